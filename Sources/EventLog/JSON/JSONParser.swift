/// Why a JSON text was rejected, and where.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset of the problem in the input.
    public var offset: Int
    /// What was wrong, e.g. "unexpected character 'x'" or "duplicate member \"a\"".
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "at byte \(offset): \(reason)" }
}

/// A strict RFC 8259 parser that also enforces the I-JSON rules RFC 8785 relies on
/// (unique member names, valid Unicode, numbers that fit a Double).
///
/// It makes a single pass over the raw UTF-8 bytes, keeps its own explicit stack
/// instead of recursing (so a hostile input cannot exhaust the thread's stack,
/// whatever depth limit the caller chooses), and reports every problem as a
/// `JSONParseError`.
public struct JSONParser {
    public struct Limits: Sendable {
        /// Deepest nesting of arrays and objects allowed. Values above
        /// `JSONParser.depthCeiling` act as that ceiling: Swift compares, hashes,
        /// writes and frees nested values recursively, so much deeper values could
        /// exhaust a thread's stack long after parsing succeeded.
        public var maximumDepth: Int = 64
        public var maximumBytes: Int = 16 << 20
        public init() {}
    }

    /// The nesting depth no limit can exceed (see `Limits.maximumDepth`).
    static let depthCeiling = 256

    public static func parse(_ bytes: UnsafeRawBufferPointer, limits: Limits = .init()) throws(JSONParseError) -> JSONValue {
        var parser = ParserState(bytes: bytes, limits: limits)
        return try parser.parseDocument()
    }

    public static func parse(_ bytes: [UInt8], limits: Limits = .init()) throws(JSONParseError) -> JSONValue {
        // The closure cannot throw a typed error through withUnsafeBytes, so the
        // outcome travels out as a Result.
        let outcome: Result<JSONValue, JSONParseError> = bytes.withUnsafeBytes { buffer in
            do throws(JSONParseError) {
                return .success(try parse(buffer, limits: limits))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    public static func parse(_ text: String, limits: Limits = .init()) throws(JSONParseError) -> JSONValue {
        var text = text
        let outcome: Result<JSONValue, JSONParseError> = text.withUTF8 { buffer in
            do throws(JSONParseError) {
                return .success(try parse(UnsafeRawBufferPointer(buffer), limits: limits))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }
}

// MARK: - Implementation

private enum Byte {
    static let tab: UInt8 = 0x09
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let plus: UInt8 = 0x2B
    static let comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let slash: UInt8 = 0x2F
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39
    static let colon: UInt8 = 0x3A
    static let upperE: UInt8 = 0x45
    static let openBracket: UInt8 = 0x5B
    static let backslash: UInt8 = 0x5C
    static let closeBracket: UInt8 = 0x5D
    static let lowerE: UInt8 = 0x65
    static let openBrace: UInt8 = 0x7B
    static let closeBrace: UInt8 = 0x7D
}

/// One open container on the parser's explicit stack.
private struct OpenContainer {
    var isObject: Bool
    var elements: [JSONValue] = []
    var object = JSONObject()
    /// The name waiting for its value, and where it started (for duplicate reports).
    var pendingKey = ""
    var pendingKeyOffset = 0
}

private struct ParserState {
    let bytes: UnsafeRawBufferPointer
    let end: Int
    let limits: JSONParser.Limits
    let maximumDepth: Int
    var position = 0
    /// Reused buffer for strings that contain escapes.
    var scratch: [UInt8] = []

    init(bytes: UnsafeRawBufferPointer, limits: JSONParser.Limits) {
        self.bytes = bytes
        self.end = bytes.count
        self.limits = limits
        self.maximumDepth = min(limits.maximumDepth, JSONParser.depthCeiling)
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        if end > limits.maximumBytes {
            throw JSONParseError(offset: limits.maximumBytes, reason: "input larger than \(limits.maximumBytes) bytes")
        }
        if end >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF {
            throw JSONParseError(offset: 0, reason: "byte order mark is not allowed")
        }
        skipWhitespace()
        let value = try parseValueTree()
        skipWhitespace()
        if position < end {
            throw unexpectedByte(at: position, context: " after the value")
        }
        return value
    }

    // MARK: Structure

    mutating func parseValueTree() throws(JSONParseError) -> JSONValue {
        var stack: [OpenContainer] = []
        var value: JSONValue

        parsing: while true {
            // Here a value must start at `position` (white space already skipped).
            guard position < end else { throw endOfInput() }
            switch bytes[position] {
            case Byte.openBrace:
                try checkDepth(stack.count + 1)
                position += 1
                skipWhitespace()
                if position < end && bytes[position] == Byte.closeBrace {
                    position += 1
                    value = .object(JSONObject())
                } else {
                    var container = OpenContainer(isObject: true)
                    container.pendingKeyOffset = position
                    container.pendingKey = try parseMemberName()
                    stack.append(container)
                    continue parsing
                }
            case Byte.openBracket:
                try checkDepth(stack.count + 1)
                position += 1
                skipWhitespace()
                if position < end && bytes[position] == Byte.closeBracket {
                    position += 1
                    value = .array([])
                } else {
                    stack.append(OpenContainer(isObject: false))
                    continue parsing
                }
            case Byte.quote:
                value = .string(try parseString())
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                value = .null
            case Byte.minus, Byte.zero...Byte.nine:
                value = .number(try parseNumber())
            default:
                throw unexpectedByte(at: position, context: "")
            }

            // Attach the finished value to its container, closing every container
            // that ends right after it.
            while true {
                let top = stack.count - 1
                guard top >= 0 else { return value }
                let isObject = stack[top].isObject
                if isObject {
                    let key = stack[top].pendingKey
                    guard stack[top].object.insertNew(key: key, value: value) else {
                        throw JSONParseError(offset: stack[top].pendingKeyOffset, reason: "duplicate member \(quoted(key))")
                    }
                } else {
                    stack[top].elements.append(value)
                }

                skipWhitespace()
                guard position < end else { throw endOfInput() }
                let byte = bytes[position]
                if byte == Byte.comma {
                    let commaOffset = position
                    position += 1
                    skipWhitespace()
                    if position < end && (bytes[position] == Byte.closeBrace || bytes[position] == Byte.closeBracket) {
                        throw JSONParseError(offset: commaOffset, reason: "trailing comma is not allowed")
                    }
                    if isObject {
                        stack[top].pendingKeyOffset = position
                        stack[top].pendingKey = try parseMemberName()
                    }
                    continue parsing
                }
                if isObject && byte == Byte.closeBrace {
                    position += 1
                    value = .object(stack.removeLast().object)
                } else if !isObject && byte == Byte.closeBracket {
                    position += 1
                    value = .array(stack.removeLast().elements)
                } else {
                    throw unexpectedByte(at: position, context: isObject ? ", expected ',' or '}'" : ", expected ',' or ']'")
                }
            }
        }
    }

    /// Reads `"name"` and the `:` after it, leaving `position` at the member's value.
    mutating func parseMemberName() throws(JSONParseError) -> String {
        guard position < end else { throw endOfInput() }
        guard bytes[position] == Byte.quote else {
            throw unexpectedByte(at: position, context: ", expected a member name")
        }
        let name = try parseString()
        skipWhitespace()
        guard position < end else { throw endOfInput() }
        guard bytes[position] == Byte.colon else {
            throw unexpectedByte(at: position, context: ", expected ':'")
        }
        position += 1
        skipWhitespace()
        return name
    }

    func checkDepth(_ depth: Int) throws(JSONParseError) {
        if depth > maximumDepth {
            throw JSONParseError(offset: position, reason: "nesting deeper than \(maximumDepth)")
        }
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < end {
            switch bytes[position] {
            case Byte.space, Byte.lineFeed, Byte.carriageReturn, Byte.tab:
                position += 1
            default:
                return
            }
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let length = literal.utf8CodeUnitCount
        let start = position
        let matches = literal.withUTF8Buffer { expected -> Bool in
            guard end - start >= length else { return false }
            for offset in 0..<length where bytes[start + offset] != expected[offset] {
                return false
            }
            return true
        }
        guard matches else {
            throw JSONParseError(offset: start, reason: "invalid literal, expected '\(literal)'")
        }
        position += length
    }

    // MARK: Strings

    /// Parses a string whose opening quote is at `position`.
    mutating func parseString() throws(JSONParseError) -> String {
        let quoteOffset = position
        let start = position + 1
        var index = start

        // Fast path: most strings have no escapes, so find the closing quote and
        // decode the whole run at once.
        while true {
            index = skipPlainASCII(from: index)
            guard index < end else { throw unterminatedString(quoteOffset) }
            let byte = bytes[index]
            if byte == Byte.quote {
                position = index + 1
                return makeString(from: start, to: index)
            }
            if byte == Byte.backslash { break }
            if byte < 0x20 { throw controlCharacter(byte, at: index) }
            index = try skipMultibyteSequence(at: index)
        }

        // Slow path: copy unescaped runs in bulk and decode escapes between them.
        scratch.removeAll(keepingCapacity: true)
        var runStart = start
        while true {
            index = skipPlainASCII(from: index)
            guard index < end else { throw unterminatedString(quoteOffset) }
            let byte = bytes[index]
            if byte == Byte.quote {
                appendRun(from: runStart, to: index)
                position = index + 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if byte == Byte.backslash {
                appendRun(from: runStart, to: index)
                index = try decodeEscape(at: index, quoteOffset: quoteOffset)
                runStart = index
                continue
            }
            if byte < 0x20 { throw controlCharacter(byte, at: index) }
            index = try skipMultibyteSequence(at: index)
        }
    }

    /// Skips bytes that need no attention inside a string: printable ASCII other
    /// than the quote and the backslash. Eight bytes are tested at a time.
    @inline(__always)
    func skipPlainASCII(from start: Int) -> Int {
        var index = start
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        while end - index >= 8 {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let quotes = word ^ (ones &* UInt64(Byte.quote))
            let backslashes = word ^ (ones &* UInt64(Byte.backslash))
            // Each term has a high bit set in some byte exactly when some byte is,
            // respectively: below 0x20, a quote, a backslash, or not ASCII.
            let controls = (word &- ones &* 0x20) & ~word
            let quoteHits = (quotes &- ones) & ~quotes
            let backslashHits = (backslashes &- ones) & ~backslashes
            if (controls | quoteHits | backslashHits | word) & highBits != 0 { break }
            index += 8
        }
        while index < end {
            let byte = bytes[index]
            if byte < 0x20 || byte >= 0x80 || byte == Byte.quote || byte == Byte.backslash { break }
            index += 1
        }
        return index
    }

    /// Checks one UTF-8 sequence starting at a byte >= 0x80 and returns the index
    /// after it. Overlong forms, surrogates and values past U+10FFFF are rejected.
    func skipMultibyteSequence(at index: Int) throws(JSONParseError) -> Int {
        let lead = bytes[index]
        var length = 0
        var lowest: UInt8 = 0x80
        var highest: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lowest = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; highest = 0x9F
        case 0xF0: length = 4; lowest = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; highest = 0x8F
        default:
            throw JSONParseError(offset: index, reason: "invalid UTF-8 byte 0x\(hex(lead))")
        }
        guard end - index >= length else {
            throw JSONParseError(offset: index, reason: "truncated UTF-8 sequence")
        }
        let second = bytes[index + 1]
        guard second >= lowest && second <= highest else {
            throw JSONParseError(offset: index, reason: "invalid UTF-8 sequence")
        }
        var offset = 2
        while offset < length {
            let continuation = bytes[index + offset]
            guard continuation & 0xC0 == 0x80 else {
                throw JSONParseError(offset: index, reason: "invalid UTF-8 sequence")
            }
            offset += 1
        }
        return index + length
    }

    /// Decodes the escape whose backslash is at `index` into `scratch` and returns
    /// the index after it.
    mutating func decodeEscape(at index: Int, quoteOffset: Int) throws(JSONParseError) -> Int {
        guard index + 1 < end else { throw unterminatedString(quoteOffset) }
        let escaped = bytes[index + 1]
        switch escaped {
        case Byte.quote, Byte.backslash, Byte.slash:
            scratch.append(escaped)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            let first = try readHexQuad(at: index + 2, escapeOffset: index)
            switch first {
            case 0xD800...0xDBFF:
                // A high surrogate is only meaningful with a low one right after it.
                let next = index + 6
                guard end - next >= 6, bytes[next] == Byte.backslash, bytes[next + 1] == UInt8(ascii: "u") else {
                    throw JSONParseError(offset: index, reason: "unpaired surrogate \\u\(hex(first))")
                }
                let second = try readHexQuad(at: next + 2, escapeOffset: next)
                guard (0xDC00...0xDFFF).contains(second) else {
                    throw JSONParseError(offset: index, reason: "unpaired surrogate \\u\(hex(first))")
                }
                let scalar = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                appendUTF8(scalar)
                return index + 12
            case 0xDC00...0xDFFF:
                throw JSONParseError(offset: index, reason: "unpaired surrogate \\u\(hex(first))")
            default:
                appendUTF8(first)
                return index + 6
            }
        default:
            throw JSONParseError(offset: index, reason: "invalid escape \(describe(escaped))")
        }
        return index + 2
    }

    func readHexQuad(at start: Int, escapeOffset: Int) throws(JSONParseError) -> UInt32 {
        guard end - start >= 4 else {
            throw JSONParseError(offset: escapeOffset, reason: "incomplete \\u escape")
        }
        var result: UInt32 = 0
        for offset in 0..<4 {
            let byte = bytes[start + offset]
            let digit: UInt8
            switch byte {
            case Byte.zero...Byte.nine: digit = byte - Byte.zero
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default:
                throw JSONParseError(offset: escapeOffset, reason: "invalid \\u escape")
            }
            result = result << 4 | UInt32(digit)
        }
        return result
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    mutating func appendRun(from start: Int, to stop: Int) {
        guard stop > start else { return }
        scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<stop]))
    }

    /// Copies already validated UTF-8 into a String in one step.
    func makeString(from start: Int, to stop: Int) -> String {
        let run = UnsafeRawBufferPointer(rebasing: bytes[start..<stop])
        return String(unsafeUninitializedCapacity: run.count) { target in
            UnsafeMutableRawBufferPointer(target).copyMemory(from: run)
            return run.count
        }
    }

    // MARK: Numbers

    /// Checks the RFC 8259 number grammar by hand, then converts. Small integers are
    /// built directly; everything else goes through the standard library so that
    /// rounding is correct.
    mutating func parseNumber() throws(JSONParseError) -> Double {
        let start = position
        var index = position
        var negative = false
        if bytes[index] == Byte.minus {
            negative = true
            index += 1
        }
        guard index < end, isDigit(bytes[index]) else {
            throw JSONParseError(offset: start, reason: "invalid number, expected a digit")
        }
        var integer: UInt64 = 0
        var integerDigits = 0
        if bytes[index] == Byte.zero {
            index += 1
            if index < end && isDigit(bytes[index]) {
                throw JSONParseError(offset: start, reason: "leading zeros are not allowed")
            }
            integerDigits = 1
        } else {
            while index < end, isDigit(bytes[index]) {
                if integerDigits < 18 {
                    integer = integer &* 10 &+ UInt64(bytes[index] - Byte.zero)
                }
                integerDigits += 1
                index += 1
            }
        }
        var isInteger = true
        if index < end && bytes[index] == Byte.dot {
            isInteger = false
            index += 1
            guard index < end, isDigit(bytes[index]) else {
                throw JSONParseError(offset: start, reason: "invalid number, expected a digit after '.'")
            }
            while index < end, isDigit(bytes[index]) { index += 1 }
        }
        if index < end && (bytes[index] == Byte.lowerE || bytes[index] == Byte.upperE) {
            isInteger = false
            index += 1
            if index < end && (bytes[index] == Byte.plus || bytes[index] == Byte.minus) { index += 1 }
            guard index < end, isDigit(bytes[index]) else {
                throw JSONParseError(offset: start, reason: "invalid number, expected a digit in the exponent")
            }
            while index < end, isDigit(bytes[index]) { index += 1 }
        }
        position = index

        // Up to 15 digits every integer is exact in a Double.
        if isInteger && integerDigits <= 15 {
            let magnitude = Double(integer)
            return negative ? -magnitude : magnitude
        }
        // Short texts fit Swift's inline small-string form, so this rarely allocates.
        let text = makeString(from: start, to: index)
        guard let value = Double(text), value.isFinite else {
            throw JSONParseError(offset: start, reason: "number out of range")
        }
        return value
    }

    @inline(__always)
    func isDigit(_ byte: UInt8) -> Bool {
        byte >= Byte.zero && byte <= Byte.nine
    }

    // MARK: Errors

    func endOfInput() -> JSONParseError {
        JSONParseError(offset: end, reason: "unexpected end of input")
    }

    func unterminatedString(_ quoteOffset: Int) -> JSONParseError {
        JSONParseError(offset: quoteOffset, reason: "unterminated string")
    }

    func controlCharacter(_ byte: UInt8, at index: Int) -> JSONParseError {
        JSONParseError(offset: index, reason: "control character U+00\(hex(byte)) in string must be escaped")
    }

    func unexpectedByte(at index: Int, context: String) -> JSONParseError {
        let byte = bytes[index]
        if byte >= 0x20 && byte < 0x7F {
            return JSONParseError(offset: index, reason: "unexpected character \(describe(byte))\(context)")
        }
        return JSONParseError(offset: index, reason: "unexpected byte 0x\(hex(byte))\(context)")
    }
}

/// `'x'` for printable ASCII, `0xNN` otherwise.
private func describe(_ byte: UInt8) -> String {
    if byte >= 0x20 && byte < 0x7F {
        return "'\(Character(Unicode.Scalar(byte)))'"
    }
    return "0x\(hex(byte))"
}

private func hex<Value: BinaryInteger>(_ value: Value) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    let width = value > 0xFF ? 4 : 2
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// A member name as it would be written in JSON, safe to show in a message.
private func quoted(_ name: String) -> String {
    var output: [UInt8] = []
    JSONWriter.writeString(name, into: &output)
    return String(decoding: output, as: UTF8.self)
}
