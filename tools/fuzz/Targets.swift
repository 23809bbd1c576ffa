import EventLog
import Receivables

/// How one input ended: a value, or a clean typed error.
enum Outcome {
    case accepted
    case rejected
}

/// A property that did not hold: a bug, named by the check so that runs can be compared.
struct CheckFailure: Error {
    var check: String
    var detail: String
}

@inline(__always)
func expect(_ condition: Bool, _ check: String, _ detail: @autoclosure () -> String) throws(CheckFailure) {
    if !condition { throw CheckFailure(check: check, detail: detail()) }
}

/// Error messages end up as one `error:` line on a terminal: no line break may come from the
/// input (README: "Errors are one line"), and no other C0 control character either (ESC starts a
/// terminal escape sequence, a way to hide or fake output). DEL and the C1 controls are not
/// checked: terminals in UTF-8 mode do not act on them.
func checkMessage(_ message: String, _ what: String) throws(CheckFailure) {
    for scalar in message.unicodeScalars {
        if scalar == "\n" || scalar == "\r" {
            throw CheckFailure(check: "error-message-one-line", detail: "\(what) holds a line break: \(shown(message))")
        }
        if scalar.value < 0x20 && scalar != "\t" {
            throw CheckFailure(check: "error-message-no-control", detail: "\(what) holds U+\(String(scalar.value, radix: 16)): \(shown(message))")
        }
    }
}

/// A text for a report line: escaped and cut.
func shown(_ text: String, limit: Int = 300) -> String {
    var result = ""
    for scalar in text.unicodeScalars.prefix(limit) {
        if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value) {
            result += "\\u{" + String(scalar.value, radix: 16) + "}"
        } else {
            result.unicodeScalars.append(scalar)
        }
    }
    return text.unicodeScalars.count > limit ? result + "…" : result
}

func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01B3
    }
    return hash
}

struct Target: Sendable {
    let name: String
    let summary: String
    var seeds: [[UInt8]]
    let dictionary: [[UInt8]]
    let nesting: [(open: [UInt8], close: [UInt8])]
    let maximumLength: Int
    /// Builds an input from a grammar instead of mutating one (sometimes).
    let generate: (@Sendable (inout SplitMix64) -> [UInt8])?
    /// A mutation that knows the input's structure, applied after the byte mutations (sometimes).
    let smartMutate: (@Sendable (inout [UInt8], inout SplitMix64) -> Void)?
    /// Fixture files (relative to Fixtures/) whose contents join the seeds, one entry per file
    /// or, with `splitLines`, per line.
    let fixtureFiles: [String]
    let splitLines: Bool
    let run: @Sendable ([UInt8]) throws(CheckFailure) -> Outcome

    static let jpy = Currency.iso4217("JPY")!
    static let bhd = Currency.iso4217("BHD")!
    static let clf = Currency.iso4217("CLF")!

    static let all: [Target] = [jsonLines, canonicalJSON, money, dates, templates, fatturaPA, exportReader]

    static func named(_ name: String) -> Target? { all.first { $0.name == name } }
}

// MARK: - json-lines

extension Target {
    static let jsonLines = Target(
        name: "json-lines", summary: "EventInput.parse(line:) on each line, then the catalog's decode and encode",
        seeds: Seeds.bytes(Seeds.eventLines), dictionary: Seeds.bytes(Seeds.jsonDictionary + Seeds.eventDictionary),
        nesting: [(Array("[".utf8), Array("]".utf8)), (Array(#"{"data":"#.utf8), Array("}".utf8))],
        maximumLength: 256 << 10, generate: { Generate.eventLine(&$0) },
        smartMutate: { input, random in replaceJSONStringValue(&input, &random) },
        fixtureFiles: ["golden/scenario.jsonl", "events/small-company-2026.jsonl"], splitLines: true,
        run: { input throws(CheckFailure) in try runLines(input, limit: 64, eventLine) })

    /// Splits like `append` does and checks the splitter itself: numbers count up from 1 and
    /// no line holds a line feed.
    static func runLines(_ input: [UInt8], limit: Int,
                         _ body: (UnsafeRawBufferPointer) throws(CheckFailure) -> Outcome) throws(CheckFailure) -> Outcome {
        let result: Result<Outcome, CheckFailure> = input.withUnsafeBytes { raw in
            Result { () throws(CheckFailure) -> Outcome in
                var outcome = Outcome.rejected
                var expected = 1
                for (number, line) in LineSplitter(raw) {
                    try expect(number == expected, "line-numbers", "line \(number) after \(expected - 1)")
                    expected += 1
                    try expect(!line.contains(0x0A), "line-splitter", "line \(number) holds a line feed")
                    if number > limit { continue }
                    if line.isBlankLine { continue }
                    if try body(line) == .accepted { outcome = .accepted }
                }
                return outcome
            }
        }
        return try result.get()
    }

    static func eventLine(_ line: UnsafeRawBufferPointer) throws(CheckFailure) -> Outcome {
        let parsed: Result<EventInput, EventRejection> = Result { () throws(EventRejection) in try EventInput.parse(line: line) }
        let event: EventInput
        switch parsed {
        case .failure(let rejection):
            try expect(!rejection.rule.isEmpty, "rejection-has-rule", rejection.description)
            try checkMessage(rejection.description, "the rejection of a line")
            return .rejected
        case .success(let value):
            event = value
        }
        try expect(EventType(rawValue: event.type) != nil, "accepted-type-known", event.type)
        let dataSize = CanonicalJSON.bytes(.object(event.data)).count
        try expect(dataSize <= EventInput.maximumDataBytes, "accepted-data-size", "\(dataSize) bytes")
        if let key = event.key {
            try expect((1...EventInput.maximumKeyBytes).contains(key.utf8.count), "accepted-key-length", shown(key))
            try expect(!key.unicodeScalars.contains { $0.properties.generalCategory == .control }, "accepted-key-shape", shown(key))
        }
        if let meta = event.meta {
            try expect(meta.members.allSatisfy { $0.value.stringValue != nil }, "accepted-meta-strings", "\(meta)")
        }
        if let effective = event.effective {
            try expect(Day(iso: effective.description) == effective, "accepted-effective-round-trip", effective.description)
        }
        try expect(event.fingerprint == event.fingerprint, "fingerprint-stable", "")

        // The accepted line, written again, is the same input.
        var object = JSONObject()
        object["type"] = .string(event.type)
        object["data"] = .object(event.data)
        if let key = event.key { object["key"] = .string(key) }
        if let effective = event.effective { object["effective"] = .string(effective.description) }
        if let meta = event.meta { object["meta"] = .object(meta) }
        let rewritten = Array(CanonicalJSON.bytes(.object(object)))
        let again: Result<EventInput, EventRejection> = rewritten.withUnsafeBytes { raw in
            Result { () throws(EventRejection) in try EventInput.parse(line: raw) }
        }
        switch again {
        case .failure(let rejection):
            throw CheckFailure(check: "accepted-line-rewritten-parses", detail: rejection.description)
        case .success(let second):
            try expect(second.type == event.type && second.data == event.data && second.key == event.key
                       && second.effective == event.effective && second.meta == event.meta
                       && second.fingerprint == event.fingerprint,
                       "accepted-line-rewritten-equal", shown(String(decoding: rewritten, as: UTF8.self)))
        }

        // The catalog: decode, encode, decode again gives the same event (EventCoding's promise).
        guard let type = EventType(rawValue: event.type) else { return .accepted }
        for currency in [Currency.euro, jpy] {
            let decoded: Result<DomainEvent, EventRejection> = Result { () throws(EventRejection) in
                try DomainEvent.decode(type: type, data: event.data, currency: currency)
            }
            switch decoded {
            case .failure(let rejection):
                try expect(!rejection.rule.isEmpty, "rejection-has-rule", rejection.description)
                try checkMessage(rejection.description, "the rejection of event data")
            case .success(let domainEvent):
                let encoded = domainEvent.encode(currency: currency)
                let redecoded: Result<DomainEvent, EventRejection> = Result { () throws(EventRejection) in
                    try DomainEvent.decode(type: type, data: encoded, currency: currency)
                }
                switch redecoded {
                case .failure(let rejection):
                    // Named with the rule, so that one known cause does not hide another.
                    throw CheckFailure(check: "domain-encoded-decodes-\(rejection.rule)",
                                       detail: "\(currency.code): \(rejection) for \(shown(JSONWriter.compact(.object(encoded))))")
                case .success(let second):
                    try expect(second == domainEvent, "domain-decode-encode-round-trip",
                               "\(currency.code): \(shown(JSONWriter.compact(.object(encoded))))")
                    try expect(CanonicalJSON.bytes(.object(second.encode(currency: currency))) == CanonicalJSON.bytes(.object(encoded)),
                               "domain-encode-stable", shown(JSONWriter.compact(.object(encoded))))
                }
            }
        }
        return .accepted
    }

    /// Replaces one JSON string value (not a member name) with a token that matters to the catalog.
    static func replaceJSONStringValue(_ input: inout [UInt8], _ random: inout SplitMix64) {
        // Find the quotes of strings that follow a ':' or a '[' or ','.
        var starts: [Int] = []
        var index = 0
        while index < input.count, starts.count < 64 {
            if input[index] == UInt8(ascii: "\""), index > 0, [UInt8(ascii: ":"), UInt8(ascii: "["), UInt8(ascii: ",")].contains(input[index - 1]) {
                starts.append(index)
            }
            index += 1
        }
        guard !starts.isEmpty else { return }
        let start = random.pick(starts)
        var end = start + 1
        while end < input.count, input[end] != UInt8(ascii: "\"") {
            if input[end] == UInt8(ascii: "\\") { end += 1 }
            end += 1
        }
        guard end < input.count else { return }
        let replacement: String
        switch random.below(4) {
        case 0: replacement = Generate.dateText(&random)
        case 1: replacement = Generate.moneyText(&random)
        case 2: replacement = Generate.randomTemplate(&random)
        default: replacement = Generate.randomText(&random)
        }
        var encoded: [UInt8] = []
        JSONWriter.writeString(replacement, into: &encoded)
        input.replaceSubrange(start...end, with: encoded)
    }
}

// MARK: - canonical-json

extension Target {
    static let canonicalJSON = Target(
        name: "canonical-json", summary: "JSONParser.parse, then RFC 8785: parse(canonical(x)) == x, idempotent, order-free",
        seeds: Seeds.bytes(Seeds.jsonTexts + Seeds.eventLines), dictionary: Seeds.bytes(Seeds.jsonDictionary),
        nesting: [(Array("[".utf8), Array("]".utf8)), (Array(#"{"a":"#.utf8), Array("}".utf8)), (Array(#"[{"k":["#.utf8), Array("]}]".utf8))],
        maximumLength: 1 << 20, generate: { Generate.json(&$0) }, smartMutate: nil,
        fixtureFiles: ["golden/scenario.jsonl"], splitLines: true,
        run: { input throws(CheckFailure) in try canonical(input) })

    static func canonical(_ input: [UInt8]) throws(CheckFailure) -> Outcome {
        let value: JSONValue
        do {
            value = try JSONParser.parse(input)
        } catch {
            try expect(error.offset >= 0 && error.offset <= input.count, "parse-error-offset", "\(error.offset) of \(input.count)")
            try checkMessage(error.description, "a JSON parse error")
            return .rejected
        }
        let canonical = CanonicalJSON.bytes(value)
        let reparsed: JSONValue
        do {
            reparsed = try JSONParser.parse(canonical)
        } catch {
            throw CheckFailure(check: "canonical-reparses", detail: "\(error) in \(shown(String(decoding: canonical, as: UTF8.self)))")
        }
        try expect(reparsed == value, "canonical-round-trip", shown(String(decoding: canonical, as: UTF8.self)))
        try expect(CanonicalJSON.bytes(reparsed) == canonical, "canonical-idempotent", shown(String(decoding: canonical, as: UTF8.self)))
        try checkCanonicalText(canonical)
        try checkMemberOrder(reparsed)
        try checkNumbers(value)

        // Member order is irrelevant: to equality, to hashing and to the canonical bytes.
        var random = SplitMix64(seed: fnv1a(input))
        let shuffled = shuffle(value, &random)
        try expect(shuffled == value, "member-order-equality", shown(String(decoding: canonical, as: UTF8.self)))
        try expect(shuffled.hashValue == value.hashValue, "member-order-hash", shown(String(decoding: canonical, as: UTF8.self)))
        try expect(CanonicalJSON.bytes(shuffled) == canonical, "member-order-canonical", shown(String(decoding: canonical, as: UTF8.self)))

        // The other writers give the same value back.
        for (name, text) in [("compact", JSONWriter.compact(value)), ("pretty", JSONWriter.pretty(value))] {
            do {
                let back = try JSONParser.parse(text)
                try expect(back == value, "writer-\(name)-round-trip", shown(text))
            } catch let failure as CheckFailure {
                throw failure
            } catch {
                throw CheckFailure(check: "writer-\(name)-reparses", detail: "\(error) in \(shown(text))")
            }
        }
        return .accepted
    }

    static func shuffle(_ value: JSONValue, _ random: inout SplitMix64) -> JSONValue {
        switch value {
        case .array(let elements):
            return .array(elements.map { shuffle($0, &random) })
        case .object(let object):
            var members = object.members.map { ($0.key, shuffle($0.value, &random)) }
            for index in stride(from: members.count - 1, to: 0, by: -1) {
                members.swapAt(index, random.below(index + 1))
            }
            return .object(JSONObject(members))
        default:
            return value
        }
    }

    /// No white space outside strings; in strings only the escapes RFC 8785 prescribes.
    static func checkCanonicalText(_ bytes: [UInt8]) throws(CheckFailure) {
        var index = 0
        var inString = false
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == UInt8(ascii: "\"") {
                    inString = false
                } else if byte == UInt8(ascii: "\\") {
                    let next = index + 1 < bytes.count ? bytes[index + 1] : 0
                    switch next {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
                         UInt8(ascii: "r"), UInt8(ascii: "t"):
                        index += 1
                    case UInt8(ascii: "u"):
                        let hex = index + 6 <= bytes.count ? String(decoding: bytes[(index + 2)..<(index + 6)], as: UTF8.self) : ""
                        let value = UInt32(hex, radix: 16) ?? 0xFFFF
                        let short: Set<UInt32> = [0x08, 0x09, 0x0A, 0x0C, 0x0D]
                        try expect(hex == hex.lowercased() && value < 0x20 && !short.contains(value), "canonical-escapes",
                                   "\\u\(hex) at byte \(index)")
                        index += 5
                    default:
                        throw CheckFailure(check: "canonical-escapes", detail: "\\\(Character(Unicode.Scalar(next))) at byte \(index)")
                    }
                } else {
                    try expect(byte >= 0x20, "canonical-escapes", "raw control byte \(byte) at \(index)")
                }
            } else {
                try expect(![0x20, 0x09, 0x0A, 0x0D].contains(byte), "canonical-no-white-space", "byte \(index)")
                if byte == UInt8(ascii: "\"") { inString = true }
            }
            index += 1
        }
    }

    /// Members of every object in UTF-16 code unit order (the canonical text, parsed, keeps it).
    static func checkMemberOrder(_ value: JSONValue) throws(CheckFailure) {
        switch value {
        case .array(let elements):
            for element in elements { try checkMemberOrder(element) }
        case .object(let object):
            let keys = object.keys
            for index in keys.indices.dropFirst() {
                let left = Array(keys[index - 1].utf16), right = Array(keys[index].utf16)
                try expect(left.lexicographicallyPrecedes(right), "canonical-member-order",
                           "\(shown(keys[index - 1])) before \(shown(keys[index]))")
            }
            for member in object { try checkMemberOrder(member.value) }
        default:
            break
        }
    }

    /// Every number prints in ECMAScript's form and reads back to itself.
    static func checkNumbers(_ value: JSONValue) throws(CheckFailure) {
        switch value {
        case .array(let elements):
            for element in elements { try checkNumbers(element) }
        case .object(let object):
            for member in object { try checkNumbers(member.value) }
        case .number(let number):
            let text = CanonicalJSON.formatNumber(number)
            try expect(Double(text) == number, "number-round-trip", "\(number) printed as \(text)")
            let magnitude = number.magnitude
            let exponential = text.contains("e")
            if magnitude == 0 {
                try expect(text == "0", "number-es6-form", "\(number) printed as \(text)")
            } else if magnitude >= 1e21 || magnitude < 1e-6 {
                try expect(exponential && (text.contains("e+") || text.contains("e-")), "number-es6-form", "\(number) printed as \(text)")
            } else {
                try expect(!exponential, "number-es6-form", "\(number) printed as \(text)")
                if number.rounded(.towardZero) == number {
                    try expect(!text.contains("."), "number-es6-form", "\(number) printed as \(text)")
                }
            }
            try expect(!text.hasPrefix("+") && !text.hasSuffix(".") && !text.contains(".e"), "number-es6-form", text)
        default:
            break
        }
    }
}

// MARK: - money

extension Target {
    static let money = Target(
        name: "money", summary: "Money.parse with EUR, JPY, BHD, CLF; canonical form parses back; FatturaPAAmount agrees",
        seeds: Seeds.bytes(Seeds.moneyTexts), dictionary: Seeds.bytes(Seeds.moneyDictionary + Mutator.boundaryValues),
        nesting: [], maximumLength: 4096, generate: { Array(Generate.moneyText(&$0).utf8) }, smartMutate: nil,
        fixtureFiles: [], splitLines: false,
        run: { input throws(CheckFailure) in try moneyCheck(input) })

    enum MoneyKind: Equatable { case notADecimal, tooManyMinorDigits, negativeNotAllowed, overflow }

    /// An independent reading of the documented form, to compare against.
    static func moneyOracle(_ text: String, digits: Int, allowNegative: Bool) -> Result<Int64, MoneyOracleError> {
        var bytes = Array(text.utf8)[...]
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { bytes = bytes.dropFirst() }
        let parts = bytes.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        let isDigit = { (byte: UInt8) in byte >= 0x30 && byte <= 0x39 }
        guard let integer = parts.first, !integer.isEmpty, integer.allSatisfy(isDigit),
              !(integer.count > 1 && integer.first == 0x30) else { return .failure(.init(kind: .notADecimal)) }
        var fraction: ArraySlice<UInt8> = []
        if parts.count == 2 {
            fraction = parts[1]
            guard !fraction.isEmpty, fraction.allSatisfy(isDigit) else { return .failure(.init(kind: .notADecimal)) }
        }
        if negative && !allowNegative { return .failure(.init(kind: .negativeNotAllowed)) }
        if fraction.count > digits { return .failure(.init(kind: .tooManyMinorDigits)) }
        var all = Array(integer) + Array(fraction) + Array(repeating: 0x30, count: digits - fraction.count)
        while all.count > 1 && all.first == 0x30 { all.removeFirst() }
        let maximum = Array("9223372036854775807".utf8)
        if all.count > maximum.count || (all.count == maximum.count && maximum.lexicographicallyPrecedes(all)) {
            return .failure(.init(kind: .overflow))
        }
        let magnitude = Int64(String(decoding: all, as: UTF8.self))!
        return .success(negative ? -magnitude : magnitude)
    }

    struct MoneyOracleError: Error { var kind: MoneyKind }

    static func kind(of error: MoneyParseError) -> MoneyKind {
        switch error {
        case .notADecimal: return .notADecimal
        case .tooManyMinorDigits: return .tooManyMinorDigits
        case .negativeNotAllowed: return .negativeNotAllowed
        case .overflow: return .overflow
        }
    }

    static func moneyCheck(_ input: [UInt8]) throws(CheckFailure) -> Outcome {
        let text = String(decoding: input, as: UTF8.self)
        var outcome = Outcome.rejected
        for currency in [Currency.euro, jpy, bhd, clf] {
            for allowNegative in [false, true] {
                let parsed: Result<Money, MoneyParseError> = Result { () throws(MoneyParseError) in
                    try Money.parse(text, currency: currency, allowNegative: allowNegative)
                }
                let expected = moneyOracle(text, digits: currency.minorDigits, allowNegative: allowNegative)
                let context = "\(shown(text)) in \(currency.code), allowNegative \(allowNegative)"
                switch (parsed, expected) {
                case (.success(let money), .success(let units)):
                    try expect(money.minorUnits == units, "money-value", "\(context): \(money.minorUnits), expected \(units)")
                    outcome = .accepted
                    let canonical = money.canonical(currency)
                    let back: Result<Money, MoneyParseError> = Result { () throws(MoneyParseError) in
                        try Money.parse(canonical, currency: currency, allowNegative: true)
                    }
                    try expect((try? back.get()) == money, "money-canonical-round-trip", "\(context): canonical \(canonical)")
                    let fractionDigits = canonical.split(separator: ".").dropFirst().first?.count ?? 0
                    try expect(fractionDigits == currency.minorDigits, "money-canonical-digits", "\(context): \(canonical)")
                    for locale in [Money.DisplayLocale.it, .en] {
                        let display = money.display(currency, locale: locale)
                        try expect(!display.isEmpty && display.unicodeScalars.allSatisfy { $0.properties.generalCategory != .control },
                                   "money-display", display)
                    }
                    // The FatturaPA reader's amounts agree wherever both read the text.
                    if let amount = FatturaPAAmount(parsing: text) {
                        try expect(amount.money(in: currency) == money, "fatturapa-amount-agrees", "\(context): \(amount)")
                        try expect(FatturaPAAmount(parsing: amount.description) == amount, "fatturapa-amount-round-trip", amount.description)
                    } else {
                        throw CheckFailure(check: "fatturapa-amount-agrees", detail: "\(context): Money reads it, FatturaPAAmount does not")
                    }
                case (.failure(let error), .failure(let oracle)):
                    try expect(kind(of: error) == oracle.kind, "money-error-kind", "\(context): \(error), expected \(oracle.kind)")
                    try checkMessage(error.description, "a money error")
                case (.success(let money), .failure(let oracle)):
                    throw CheckFailure(check: "money-accepts", detail: "\(context): read as \(money.minorUnits), expected \(oracle.kind)")
                case (.failure(let error), .success(let units)):
                    throw CheckFailure(check: "money-refuses", detail: "\(context): \(error), expected \(units)")
                }
            }
        }
        return outcome
    }
}

// MARK: - dates

extension Target {
    static let dates = Target(
        name: "dates", summary: "Day(iso:) and Timestamp(rfc3339:) against an independent reading; description round trips",
        seeds: Seeds.bytes(Seeds.dateTexts), dictionary: Seeds.bytes(Seeds.dateDictionary),
        nesting: [], maximumLength: 1024, generate: { Array(Generate.dateText(&$0).utf8) }, smartMutate: nil,
        fixtureFiles: [], splitLines: false,
        run: { input throws(CheckFailure) in try datesCheck(input) })

    static func floorDivision(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }

    static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysInMonth(_ year: Int64, _ month: Int64) -> Int64 {
        [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][Int(month - 1)]
    }

    /// Days since 1970-01-01 by counting from 0001-01-01, not the era arithmetic the code uses.
    static func epochDays(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let previous = year - 1
        let beforeYear = 365 * previous + floorDivision(previous, 4) - floorDivision(previous, 100) + floorDivision(previous, 400)
        let cumulative: [Int64] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
        let beforeMonth = cumulative[Int(month - 1)] + (month > 2 && isLeap(year) ? 1 : 0)
        return beforeYear + beforeMonth + day - 1 - 719_162
    }

    static func digits(_ bytes: ArraySlice<UInt8>) -> Int64? {
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return bytes.reduce(0) { $0 * 10 + Int64($1 - 0x30) }
    }

    static func dayOracle(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == 0x2D, bytes[7] == 0x2D, let year = digits(bytes[0..<4]),
              let month = digits(bytes[5..<7]), let day = digits(bytes[8..<10]),
              (1...9999).contains(year), (1...12).contains(month), day >= 1, day <= daysInMonth(year, month) else { return nil }
        return epochDays(year, month, day)
    }

    static func timestampOracle(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
              bytes[13] == 0x3A, bytes[16] == 0x3A,
              let year = digits(bytes[0..<4]), let month = digits(bytes[5..<7]), let day = digits(bytes[8..<10]),
              let hour = digits(bytes[11..<13]), let minute = digits(bytes[14..<16]), let second = digits(bytes[17..<19]),
              (0...9999).contains(year), (1...12).contains(month), day >= 1, day <= daysInMonth(year, month),
              hour <= 23, minute <= 59, second <= 59 else { return nil }
        var index = 19
        var millisecond: Int64 = 0
        if bytes[index] == UInt8(ascii: ".") {
            let start = index + 1
            var end = start
            while end < bytes.count, bytes[end] >= 0x30, bytes[end] <= 0x39 { end += 1 }
            guard (1...9).contains(end - start) else { return nil }
            let first3 = Array(bytes[start..<min(end, start + 3)]) + Array(repeating: 0x30, count: max(0, 3 - (end - start)))
            millisecond = digits(first3[...])!
            index = end
        }
        let zone = bytes[index...]
        var offsetSeconds: Int64 = 0
        if zone.elementsEqual([UInt8(ascii: "Z")]) || zone.elementsEqual([UInt8(ascii: "z")]) {
            offsetSeconds = 0
        } else {
            let z = Array(zone)
            guard z.count == 6, z[0] == UInt8(ascii: "+") || z[0] == UInt8(ascii: "-"), z[3] == 0x3A,
                  let offsetHour = digits(z[1..<3]), let offsetMinute = digits(z[4..<6]),
                  offsetHour <= 23, offsetMinute <= 59 else { return nil }
            offsetSeconds = (z[0] == UInt8(ascii: "+") ? 1 : -1) * (offsetHour * 3600 + offsetMinute * 60)
        }
        let seconds = epochDays(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        // An offset may not carry the instant out of years 0000–9999, which nothing could print.
        let instant = seconds * 1000 + millisecond
        guard instant >= -62_167_219_200_000 && instant <= 253_402_300_799_999 else { return nil }
        return instant
    }

    static let utc = TimeZoneRule(identifier: "UTC")!

    static func datesCheck(_ input: [UInt8]) throws(CheckFailure) -> Outcome {
        let text = String(decoding: input, as: UTF8.self)
        var outcome = Outcome.rejected
        let day = Day(iso: text)
        let expectedDay = dayOracle(text)
        try expect((day == nil) == (expectedDay == nil), day == nil ? "day-refuses" : "day-accepts", shown(text))
        if let day, let expectedDay {
            outcome = .accepted
            try expect(Int64(day.daysSinceEpoch) == expectedDay, "day-value", "\(shown(text)): \(day.daysSinceEpoch), expected \(expectedDay)")
            try expect(day.description == text, "day-description-round-trip", "\(shown(text)) prints as \(day.description)")
            try expect((1...7).contains(day.weekday), "day-weekday", "\(day)")
            let week = day.isoWeek
            try expect((1...53).contains(week.week) && abs(week.year - day.year) <= 1, "day-iso-week", "\(day): \(week)")
            try expect(day.startOfMonth.month == day.month && day.endOfMonth.month == day.month
                       && day.endOfMonth.adding(days: 1).day == 1, "day-month-bounds", "\(day)")
            try expect(day.startOfISOWeek.weekday == 1 && day.endOfISOWeek.weekday == 7, "day-week-bounds", "\(day)")
            let italian = day.formatted(.it)
            try expect(italian == "\(text.dropFirst(8))/\(text.dropFirst(5).prefix(2))/\(text.prefix(4))", "day-italian-form", italian)
        }

        let timestamp = Timestamp(rfc3339: text)
        let expectedTime = timestampOracle(text)
        try expect((timestamp == nil) == (expectedTime == nil), timestamp == nil ? "timestamp-refuses" : "timestamp-accepts", shown(text))
        if let timestamp, let expectedTime {
            outcome = .accepted
            try expect(timestamp.millisecondsSinceEpoch == expectedTime, "timestamp-value",
                       "\(shown(text)): \(timestamp.millisecondsSinceEpoch), expected \(expectedTime)")
            let printed = timestamp.description
            try expect(Timestamp(rfc3339: printed) == timestamp, "timestamp-description-round-trip",
                       "\(shown(text)) is accepted but prints as \(printed), which does not read back")
            let civilDay = floorDivision(timestamp.millisecondsSinceEpoch, 86_400_000)
            try expect(Int64(Day.of(timestamp, in: utc).daysSinceEpoch) == civilDay, "timestamp-utc-day", "\(shown(text))")
        }
        return outcome
    }
}

// MARK: - templates

extension Target {
    static let templates = Target(
        name: "templates", summary: "TemplateText.parse and render",
        seeds: Seeds.bytes(Seeds.templateTexts), dictionary: Seeds.bytes(Seeds.templateDictionary),
        nesting: [(Array("{{".utf8), Array("}}".utf8))], maximumLength: 8 << 10,
        generate: { Array(Generate.randomTemplate(&$0).utf8) }, smartMutate: nil,
        fixtureFiles: [], splitLines: false,
        run: { input throws(CheckFailure) in try templateCheck(input) })

    static func templateCheck(_ input: [UInt8]) throws(CheckFailure) -> Outcome {
        let text = String(decoding: input, as: UTF8.self)
        let template: TemplateText
        do {
            template = try TemplateText.parse(text)
        } catch {
            let message = error.description
            try checkMessage(message, "a template error")
            try expect(message.unicodeScalars.count <= 2000, "template-error-length", "\(message.unicodeScalars.count) characters")
            return .rejected
        }
        var previousWasText = false
        var textScalars = 0
        var placeholderCount = 0
        var plain = ""
        for segment in template.segments {
            switch segment {
            case .text(let piece):
                try expect(!piece.isEmpty, "template-no-empty-text", "")
                try expect(!previousWasText, "template-text-merged", "")
                previousWasText = true
                textScalars += piece.unicodeScalars.count
                plain += piece
            case .placeholder:
                previousWasText = false
                placeholderCount += 1
            }
        }
        let empty = template.render { _ in "" }
        try expect(empty.utf8.elementsEqual(plain.utf8), "template-render-empty", shown(empty))
        let marked = template.render { _ in "[x]" }
        try expect(marked.unicodeScalars.count == textScalars + 3 * placeholderCount, "template-render-count", shown(marked))
        let nested = template.render { _ in "{{client.name}}" }
        try expect(nested.unicodeScalars.count == textScalars + 15 * placeholderCount, "template-render-no-reexpansion", shown(nested))
        if !text.contains("{{") {
            try expect(placeholderCount == 0 && empty.utf8.elementsEqual(text.utf8), "template-plain-text-unchanged", shown(text))
        }
        try expect(Set(template.placeholders).count == template.placeholders.count, "template-placeholders-unique", "")
        return .accepted
    }
}

// MARK: - fatturapa

extension Target {
    static let fatturaPA = Target(
        name: "fatturapa", summary: "FatturaPA.read and FatturaPA.plan; every planned event is a valid line and decodes",
        seeds: [Array(Seeds.fatturaPA.utf8)], dictionary: Seeds.bytes(Seeds.xmlDictionary),
        nesting: [(Array("<a>".utf8), Array("</a>".utf8)), (Array(#"<p:a xmlns:p="u">"#.utf8), Array("</p:a>".utf8))],
        maximumLength: 1 << 20, generate: nil,
        smartMutate: { input, random in replaceXMLText(&input, &random) },
        fixtureFiles: ["fatturapa"], splitLines: false,
        run: { input throws(CheckFailure) in try fatturaPACheck(input) })

    static func fatturaPACheck(_ input: [UInt8]) throws(CheckFailure) -> Outcome {
        let documents: [FatturaPADocument]
        do {
            documents = try FatturaPA.read(input, fileName: "fuzz.xml")
        } catch {
            try checkMessage(error.description, "a FatturaPA error")
            return .rejected
        }
        try expect(!documents.isEmpty, "fatturapa-documents", "no document and no error")
        var outcome = Outcome.rejected
        for currency in [Currency.euro, jpy] {
            let plan: FatturaPA.ImportPlan
            do {
                plan = try FatturaPA.plan(for: documents, sellerVAT: "IT01234567890", existingClients: [], currency: currency)
            } catch {
                try checkMessage(error.description, "a FatturaPA import error")
                continue
            }
            outcome = .accepted
            for skipped in plan.skipped { try checkMessage(skipped.description, "a skipped-document message") }
            for event in plan.events {
                var line = JSONObject()
                line["type"] = .string(event.type)
                line["data"] = .object(event.data)
                if let key = event.key { line["key"] = .string(key) }
                if let effective = event.effective { line["effective"] = .string(effective.description) }
                if let meta = event.meta { line["meta"] = .object(meta) }
                let text = JSONWriter.compact(.object(line))
                do {
                    _ = try EventInput.parse(object: line)
                } catch {
                    throw CheckFailure(check: "fatturapa-event-is-a-valid-line", detail: "\(currency.code): \(error) in \(shown(text))")
                }
                guard let type = EventType(rawValue: event.type) else {
                    throw CheckFailure(check: "fatturapa-event-type", detail: event.type)
                }
                // Dates the import computes (a due date from terms) must be dates the log takes.
                for field in ["issued", "due"] {
                    if let date = event.data[field]?.stringValue, Day(iso: date) == nil {
                        throw CheckFailure(check: "fatturapa-event-dates", detail: "\(currency.code): \(field) \(date) in \(shown(text))")
                    }
                }
                do {
                    _ = try DomainEvent.decode(type: type, data: event.data, currency: currency)
                } catch {
                    throw CheckFailure(check: "fatturapa-event-decodes", detail: "\(currency.code): \(error) in \(shown(text))")
                }
            }
        }
        return outcome
    }

    /// Puts a value that matters to the import (a date, an amount, a code) between a '>' and the
    /// next '<', that is, as some element's text.
    static func replaceXMLText(_ input: inout [UInt8], _ random: inout SplitMix64) {
        guard !input.isEmpty else { return }
        var start = random.below(input.count)
        var tries = 0
        while tries < 4096 {
            if input[start] == UInt8(ascii: ">"), start + 1 < input.count, input[start + 1] != UInt8(ascii: "\n"),
               input[start + 1] != UInt8(ascii: "<") || random.oneIn(8) { break }
            start = (start + 1) % input.count
            tries += 1
        }
        guard input[start] == UInt8(ascii: ">") else { return }
        var end = start + 1
        while end < input.count, input[end] != UInt8(ascii: "<") { end += 1 }
        input.replaceSubrange((start + 1)..<end, with: Array(random.pick(Seeds.xmlValues).utf8))
    }
}

// MARK: - export-reader

extension Target {
    static let exportReader = Target(
        name: "export-reader", summary: "Envelope.parse on export lines (what restore reads); hashes fixed up after mutation",
        seeds: Seeds.exportLines(), dictionary: Seeds.bytes(Seeds.jsonDictionary + Seeds.dateDictionary),
        nesting: [(Array("[".utf8), Array("]".utf8)), (Array(#"{"a":"#.utf8), Array("}".utf8))],
        maximumLength: 256 << 10, generate: nil,
        smartMutate: { input, _ in fixEnvelopeHash(&input) },
        fixtureFiles: ["stores/v1/export.jsonl"], splitLines: true,
        run: { input throws(CheckFailure) in try runLines(input, limit: 16, envelopeLine) })

    static func envelopeLine(_ line: UnsafeRawBufferPointer) throws(CheckFailure) -> Outcome {
        let parsed: Result<Record, EnvelopeError> = Result { () throws(EnvelopeError) in try Envelope.parse(line) }
        let record: Record
        switch parsed {
        case .failure(let error):
            try checkMessage(error.description, "an export-line error")
            return .rejected
        case .success(let value):
            record = value
        }
        try expect(record.computedHash() == record.hash, "envelope-hash", "seq \(record.seq)")
        try expect(Timestamp(rfc3339: record.recordedAt.description) == record.recordedAt, "envelope-recorded-at", record.recordedAt.description)
        let exported = record.exportLine()
        let again: Result<Record, EnvelopeError> = exported.withUnsafeBytes { raw in
            Result { () throws(EnvelopeError) in try Envelope.parse(raw) }
        }
        switch again {
        case .failure(let error):
            throw CheckFailure(check: "envelope-export-line-reads-back", detail: "\(error) in \(shown(String(decoding: exported, as: UTF8.self)))")
        case .success(let second):
            try expect(second == record, "envelope-export-line-same-record", shown(String(decoding: exported, as: UTF8.self)))
        }
        // The export line says what the input line said, member for member.
        let original = try? JSONParser.parse(line)
        let written = try? JSONParser.parse(exported)
        try expect(original != nil && original == written, "envelope-export-line-same-members",
                   shown(String(decoding: exported, as: UTF8.self)))
        return .accepted
    }

    /// After a mutation, recomputes the envelope's hash (as a forger would), so that inputs get
    /// past the hash check to everything after it.
    static func fixEnvelopeHash(_ input: inout [UInt8]) {
        guard let value = try? JSONParser.parse(input), case .object(let object) = value,
              let seq = object["seq"]?.integerValue, seq >= 1,
              let recordedAtText = object["recordedAt"]?.stringValue, let recordedAt = Timestamp(rfc3339: recordedAtText),
              let type = object["type"]?.stringValue, case .object(let data)? = object["data"],
              let effective = object["effective"]?.stringValue,
              let prev = object["prev"]?.stringValue.flatMap(Digest.init(hex:)) else { return }
        let key = object["key"]?.stringValue
        let meta = object["meta"].map(CanonicalJSON.bytes)
        let record = Record(seq: UInt64(seq), stream: "", streamVersion: 0, type: type, schemaVersion: 1, recordedAt: recordedAt,
                            effective: effective, key: key, metaCanonical: meta, dataCanonical: CanonicalJSON.bytes(.object(data)),
                            prev: prev, hash: .zero)
        let hex = Array(record.computedHash().hex.utf8)
        let marker = Array(#""hash":""#.utf8)
        if let range = input.firstRange(of: marker), range.upperBound + 64 <= input.count {
            input.replaceSubrange(range.upperBound..<(range.upperBound + 64), with: hex)
        } else {
            var fixed = object
            fixed["hash"] = .string(String(decoding: hex, as: UTF8.self))
            input = Array(JSONWriter.compact(.object(fixed)).utf8)
        }
    }
}
