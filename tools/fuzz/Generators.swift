import EventLog
import Receivables

/// Inputs built from a grammar rather than mutated: random JSON texts with every escape and
/// number form, event lines with the catalog's field names, dates, amounts and templates.
enum Generate {
    // MARK: JSON

    static func json(_ random: inout SplitMix64) -> [UInt8] {
        var output: [UInt8] = []
        value(&random, depth: 0, into: &output)
        return output
    }

    static func space(_ random: inout SplitMix64, into output: inout [UInt8]) {
        guard random.oneIn(4) else { return }
        for _ in 0..<random.skewed(4) { output.append(random.pick([0x20, 0x09, 0x0A, 0x0D])) }
    }

    static func value(_ random: inout SplitMix64, depth: Int, into output: inout [UInt8]) {
        space(&random, into: &output)
        let choice = depth > 6 ? random.below(5) : random.below(8)
        switch choice {
        case 0: output += Array(random.pick(["null", "true", "false"]).utf8)
        case 1, 2: number(&random, into: &output)
        case 3, 4: string(&random, into: &output)
        case 5:
            output.append(UInt8(ascii: "["))
            let count = random.below(5)
            for index in 0..<count {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                value(&random, depth: depth + 1, into: &output)
            }
            space(&random, into: &output)
            output.append(UInt8(ascii: "]"))
        default:
            output.append(UInt8(ascii: "{"))
            let count = random.below(6)
            var used = Set<[UInt8]>()
            for index in 0..<count {
                var key: [UInt8] = []
                string(&random, into: &key, forKey: true)
                if used.contains(key) && !random.oneIn(50) { continue }  // duplicates now and then
                used.insert(key)
                if index > 0 && !output.isEmpty && output.last != UInt8(ascii: "{") { output.append(UInt8(ascii: ",")) }
                space(&random, into: &output)
                output += key
                space(&random, into: &output)
                output.append(UInt8(ascii: ":"))
                value(&random, depth: depth + 1, into: &output)
            }
            space(&random, into: &output)
            output.append(UInt8(ascii: "}"))
        }
        space(&random, into: &output)
    }

    static func number(_ random: inout SplitMix64, into output: inout [UInt8]) {
        switch random.below(6) {
        case 0:
            output += Array(String(Int64(bitPattern: random.next()) >> UInt64(random.below(64))).utf8)
        case 1:
            // Any finite double, in Swift's shortest form ("1.2345e-300").
            var double = Double(bitPattern: random.next())
            while !double.isFinite { double = Double(bitPattern: random.next()) }
            output += Array(double.description.utf8)
        case 2:
            output += Array(random.pick(Mutator.boundaryValues).utf8)
        case 3:
            // A hand-made form: sign, digits, fraction, exponent.
            if random.oneIn(3) { output.append(UInt8(ascii: "-")) }
            let digits = random.skewed(25)
            output.append(UInt8(ascii: "1") + UInt8(random.below(9)))
            for _ in 1..<digits { output.append(UInt8(ascii: "0") + UInt8(random.below(10))) }
            if random.oneIn(2) {
                output.append(UInt8(ascii: "."))
                for _ in 0..<random.skewed(20) { output.append(UInt8(ascii: "0") + UInt8(random.below(10))) }
            }
            if random.oneIn(2) {
                output.append(random.pick([UInt8(ascii: "e"), UInt8(ascii: "E")]))
                if random.oneIn(2) { output.append(random.pick([UInt8(ascii: "+"), UInt8(ascii: "-")])) }
                output += Array(String(random.below(random.oneIn(4) ? 400 : 30)).utf8)
            }
        case 4:
            // Small decimals, where shortest-digit printing is subtle.
            let value = Double(random.below(2_000_001) - 1_000_000) / pow10(random.below(12))
            output += Array(value.description.utf8)
        default:
            output += Array(String(random.below(1000)).utf8)
        }
    }

    private static func pow10(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<exponent { result *= 10 }
        return result
    }

    static let keyPieces = ["a", "A", "b", "aa", "", "\u{80}", "\u{E9}", "e\u{301}", "\u{E000}", "\u{FFFF}", "😀",
                            "\u{10000}", "type", "data", "1", "10", "2", " ", "\u{7F}"]

    static func string(_ random: inout SplitMix64, into output: inout [UInt8], forKey: Bool = false) {
        output.append(UInt8(ascii: "\""))
        let pieces = forKey ? random.skewed(3) : random.skewed(12)
        for _ in 0..<pieces {
            switch random.below(forKey ? 3 : 8) {
            case 0:
                output += Array(random.pick(keyPieces).utf8)
            case 1:
                let count = random.skewed(8)
                for _ in 0..<count { output.append(UInt8(ascii: "a") + UInt8(random.below(26))) }
            case 2:
                output += Array(random.pick(["\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"]).utf8)
            case 3:
                // \uXXXX of any BMP code unit outside the surrogates, in either letter case.
                var unit = UInt16(truncatingIfNeeded: random.next())
                if (0xD800...0xDFFF).contains(unit) { unit = UInt16(random.below(0x80)) }
                output += Array(escape(unit, upper: random.oneIn(2)).utf8)
            case 4:
                // A surrogate pair (an astral character) written as two escapes.
                let scalar = 0x10000 + UInt32(random.below(0x100000))
                let high = UInt16(0xD800 + ((scalar - 0x10000) >> 10))
                let low = UInt16(0xDC00 + ((scalar - 0x10000) & 0x3FF))
                output += Array((escape(high, upper: false) + escape(low, upper: true)).utf8)
            case 5:
                output += Array(random.pick(Mutator.interestingScalars).utf8.filter { $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C })
            case 6:
                // Any scalar as raw UTF-8.
                var value = UInt32(random.below(0x110000))
                if (0xD800...0xDFFF).contains(value) || value < 0x20 || value == 0x22 || value == 0x5C { value = 0x41 }
                output += Array(String(Unicode.Scalar(value)!).utf8)
            default:
                output += Array(String(repeating: "x", count: random.skewed(64)).utf8)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func escape(_ unit: UInt16, upper: Bool) -> String {
        let digits = String(unit, radix: 16, uppercase: upper)
        return "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
    }

    // MARK: Event lines

    static let dateFields: Set<String> = ["issued", "due", "date", "received", "sentAt", "slot"]
    static let amountFields: Set<String> = ["amount", "limit"]

    static func eventLine(_ random: inout SplitMix64) -> [UInt8] {
        let type = random.oneIn(20) ? "Nope" : random.pick(EventType.allCases).rawValue
        var data = JSONObject()
        let fields = EventType(rawValue: type)?.dataFields ?? ["client"]
        for field in fields where !random.oneIn(4) {
            data[field] = fieldValue(field, &random)
        }
        if random.oneIn(20) { data["unexpected"] = .string("x") }
        var line = JSONObject()
        line["type"] = .string(type)
        line["data"] = .object(data)
        if random.oneIn(2) { line["key"] = .string(random.pick(["k1", "erp-4711", "", String(repeating: "k", count: 129), "a\u{0}b", "\u{85}"])) }
        if random.oneIn(3) { line["effective"] = .string(dateText(&random)) }
        if random.oneIn(3) { line["meta"] = random.oneIn(10) ? .object(["n": 1]) : .object(["actor": "anna", "source": .string(randomText(&random))]) }
        if random.oneIn(30) { line["extra"] = .null }
        return Array(JSONWriter.compact(.object(line)).utf8)
    }

    static func fieldValue(_ field: String, _ random: inout SplitMix64) -> JSONValue {
        if random.oneIn(25) { return random.pick([.null, .bool(true), .number(1), .array([]), .object(JSONObject())]) }
        if dateFields.contains(field) { return .string(dateText(&random)) }
        if amountFields.contains(field) { return .string(moneyText(&random)) }
        switch field {
        case "warnAt", "size": return .number(Double(random.within(-5...120)) + (random.oneIn(10) ? 0.5 : 0))
        case "manual": return .bool(random.oneIn(2))
        case "locale": return .string(random.pick(["it", "en", "fr", "IT", ""]))
        case "currency": return .string(random.pick(["EUR", "JPY", "BHD", "eur", "XXX"]))
        case "timezone": return .string(random.pick(["Europe/Rome", "UTC", "CET", "Mars/Olympus", ""]))
        case "email", "to", "sender": return .string(random.pick(["ap@rossi.example", "a b@c", "x@y\r\nBcc: z@w", "@", "ü@ü.example"]))
        case "kind": return .string(random.pick(["before_due", "due", "overdue", "later"]))
        case "channel": return .string(random.pick(["file", "smtp", "pigeon"]))
        case "method": return .string(random.pick(["cheque", "riba", "transfer", "cash", "card", "bitcoin"]))
        case "sha256": return .string(random.pick([String(repeating: "a", count: 64), String(repeating: "A", count: 64), "abc"]))
        case "mediaType": return .string(random.pick(["application/pdf", "image/png", "text/html"]))
        case "iban": return .string(random.pick(["IT60X0542811101000000123456", "IT60X054281110100000012345", "GB82WEST12345698765432"]))
        case "paymentLink": return .string(random.pick(["https://pay.example/{deadline}?amount={amount}", "javascript:alert(1)", "http://x"]))
        case "subject", "body": return .string(randomTemplate(&random))
        case "reminder":
            var plan = JSONObject()
            plan["leadDays"] = .number(Double(random.within(-1...3651)))
            plan["everyDays"] = .number(Double(random.within(-1...3651)))
            plan["template"] = .string(random.pick(["default", "T1", ""]))
            if random.oneIn(2) { plan["maxCount"] = .number(Double(random.within(-1...100))) }
            return .object(plan)
        case "allocations":
            return .array((0..<random.below(4)).map { _ in
                .object(["deadline": .string(random.pick(["D1", "D2", ""])), "amount": .string(moneyText(&random))])
            })
        default:
            return .string(randomText(&random))
        }
    }

    static func randomText(_ random: inout SplitMix64) -> String {
        switch random.below(6) {
        case 0: return random.pick(["C1", "F1", "D1", "P1", "T1", "default", "2026/1"])
        case 1: return random.pick(Mutator.interestingScalars)
        case 2: return String(repeating: "x", count: random.skewed(1100))
        case 3: return " padded "
        case 4: return "<script>alert(1)</script> =cmd|' /C calc'!A0"
        default: return "C" + String(random.below(100))
        }
    }

    static func dateText(_ random: inout SplitMix64) -> String {
        if random.oneIn(4) { return random.pick(Seeds.dateTexts) }
        let year = random.oneIn(10) ? random.pick([0, 1, 1582, 1900, 1969, 1970, 2000, 9999]) : random.within(2024...2028)
        let month = random.oneIn(10) ? random.within(0...13) : random.within(1...12)
        let day = random.oneIn(10) ? random.within(0...32) : random.within(1...31)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
        if random.oneIn(3) {
            text += random.pick(["T", "t", " "]) + "\(pad(random.within(0...24), 2)):\(pad(random.within(0...60), 2)):\(pad(random.within(0...60), 2))"
            if random.oneIn(2) { text += "." + String(repeating: "9", count: random.within(0...10)) }
            text += random.pick(["Z", "z", "+01:00", "-05:30", "+23:59", "-23:59", "+24:00", "", "+0100"])
        }
        return text
    }

    static func moneyText(_ random: inout SplitMix64) -> String {
        if random.oneIn(4) { return random.pick(Seeds.moneyTexts) }
        var text = random.oneIn(8) ? "-" : ""
        let digits = random.skewed(22)
        text += String(random.within(1...9))
        for _ in 1..<digits { text += String(random.below(10)) }
        if random.oneIn(2) {
            text += "."
            for _ in 0..<random.within(0...5) { text += String(random.below(10)) }
        }
        return text
    }

    static func randomTemplate(_ random: inout SplitMix64) -> String {
        var text = ""
        for _ in 0..<random.skewed(10) {
            switch random.below(4) {
            case 0: text += "{{" + random.pick(TemplateText.Placeholder.allCases).rawValue + "}}"
            case 1: text += random.pick(Seeds.templateDictionary)
            case 2: text += random.pick(Mutator.interestingScalars)
            default: text += random.pick(["Dear ", "Gentile ", ", ", "\n", "{", "}", "{{", "}}", " "])
            }
        }
        return text
    }
}
