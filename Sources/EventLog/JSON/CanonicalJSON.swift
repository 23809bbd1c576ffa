/// The JSON Canonicalization Scheme of RFC 8785 (JCS): the byte form that the event
/// log hashes and signs.
public enum CanonicalJSON {
    /// RFC 8785 (JCS) canonical form: members sorted by UTF-16 code units of their names, no white space, ES6 Number.prototype.toString numbers, minimal string escaping.
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        write(value, into: &output)
        return output
    }

    public static func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    /// Appends the canonical form to `output` (used on hot paths to avoid allocations).
    public static func write(_ value: JSONValue, into output: inout [UInt8]) {
        switch value {
        case .null:
            appendASCII("null", into: &output)
        case .bool(let flag):
            appendASCII(flag ? "true" : "false", into: &output)
        case .number(let number):
            appendNumber(number, into: &output)
        case .string(let text):
            JSONWriter.writeString(text, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                write(element, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            let members = object.members
            // Data that was canonical before is already in order; checking first
            // saves sorting (and its allocation) in that common case.
            if isSorted(members) {
                for position in members.indices {
                    writeMember(members[position], first: position == 0, into: &output)
                }
            } else {
                // Sorting positions moves plain integers instead of member tuples.
                let order = members.indices.sorted { precedesInUTF16Order(members[$0].key, members[$1].key) }
                for (rank, position) in order.enumerated() {
                    writeMember(members[position], first: rank == 0, into: &output)
                }
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func writeMember(_ member: (key: String, value: JSONValue), first: Bool, into output: inout [UInt8]) {
        if !first { output.append(UInt8(ascii: ",")) }
        JSONWriter.writeString(member.key, into: &output)
        output.append(UInt8(ascii: ":"))
        write(member.value, into: &output)
    }

    /// ES6 algorithm; NaN/Infinity are a precondition failure (parser never produces them)
    public static func formatNumber(_ value: Double) -> String {
        var output: [UInt8] = []
        appendNumber(value, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    // MARK: Member order

    private static func isSorted(_ members: [(key: String, value: JSONValue)]) -> Bool {
        var index = 1
        while index < members.count {
            if !precedesInUTF16Order(members[index - 1].key, members[index].key) { return false }
            index += 1
        }
        return true
    }

    /// Orders names by their UTF-16 code units, as RFC 8785 section 3.2.3 requires.
    ///
    /// UTF-8 byte order equals code point order, and that agrees with UTF-16 order
    /// except where a supplementary character (a surrogate pair, D800–DBFF first)
    /// meets a BMP character in E000–FFFF. So compare UTF-8 bytes and correct only
    /// that case: at the first difference both strings are at the same character
    /// boundary, and the lead bytes EE/EF versus F0–F4 tell the case apart.
    static func precedesInUTF16Order(_ left: String, _ right: String) -> Bool {
        var left = left
        var right = right
        return left.withUTF8 { leftBytes in
            right.withUTF8 { rightBytes in
                let shared = min(leftBytes.count, rightBytes.count)
                var index = 0
                while index < shared {
                    let leftByte = leftBytes[index]
                    let rightByte = rightBytes[index]
                    if leftByte != rightByte {
                        let leftIsSupplementary = leftByte >= 0xF0
                        let rightIsSupplementary = rightByte >= 0xF0
                        let leftIsHighBMP = leftByte == 0xEE || leftByte == 0xEF
                        let rightIsHighBMP = rightByte == 0xEE || rightByte == 0xEF
                        if leftIsSupplementary && rightIsHighBMP { return true }
                        if leftIsHighBMP && rightIsSupplementary { return false }
                        return leftByte < rightByte
                    }
                    index += 1
                }
                return leftBytes.count < rightBytes.count
            }
        }
    }

    // MARK: Numbers

    /// Writes a number as ECMAScript's Number.prototype.toString would (ECMA-262
    /// section 7.1.12.1), which RFC 8785 section 3.2.2.3 adopts.
    static func appendNumber(_ value: Double, into output: inout [UInt8]) {
        precondition(value.isFinite, "JSON has no NaN or Infinity")
        if value == 0 {
            // Covers -0 too, which ECMAScript writes as "0".
            output.append(UInt8(ascii: "0"))
            return
        }
        // Below 2^53 an integral Double's shortest digits are its exact digits, so
        // the common integer case skips the general path.
        if value.magnitude < 9_007_199_254_740_992 && value.rounded(.towardZero) == value {
            appendInteger(Int64(value), into: &output)
            return
        }
        appendShortest(value, into: &output)
    }

    private static func appendInteger(_ value: Int64, into output: inout [UInt8]) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var length = 0
            repeat {
                buffer[length] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                length += 1
            } while magnitude > 0
            while length > 0 {
                length -= 1
                output.append(buffer[length])
            }
        }
    }

    /// Takes the shortest round-trip digits from Swift's `description` (which, like
    /// ECMAScript, picks the closest of the shortest candidates) and lays them out
    /// by the ECMAScript rules.
    private static func appendShortest(_ value: Double, into output: inout [UInt8]) {
        let text = value.description
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { digits in
            var digitCount = 0
            var digitsBeforePoint = 0
            var seenPoint = false
            var exponent = 0
            var exponentNegative = false
            var inExponent = false
            var negative = false
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "-"):
                    if inExponent { exponentNegative = true } else { negative = true }
                case UInt8(ascii: "+"):
                    break
                case UInt8(ascii: "."):
                    seenPoint = true
                case UInt8(ascii: "e"), UInt8(ascii: "E"):
                    inExponent = true
                case UInt8(ascii: "0")...UInt8(ascii: "9"):
                    if inExponent {
                        exponent = exponent * 10 + Int(byte - UInt8(ascii: "0"))
                    } else {
                        precondition(digitCount < digits.count, "unexpected Double description \(text)")
                        digits[digitCount] = byte
                        digitCount += 1
                        if !seenPoint { digitsBeforePoint += 1 }
                    }
                default:
                    preconditionFailure("unexpected Double description \(text)")
                }
            }
            if exponentNegative { exponent = -exponent }

            // Normalize to value = 0.d1d2...dk × 10^n with d1 and dk not zero; the
            // names below follow ECMA-262: k is `significantCount`, n is `pointPosition`.
            var first = 0
            while first < digitCount && digits[first] == UInt8(ascii: "0") { first += 1 }
            var last = digitCount
            while last > first && digits[last - 1] == UInt8(ascii: "0") { last -= 1 }
            let significantCount = last - first
            let pointPosition = digitsBeforePoint + exponent - first

            if negative { output.append(UInt8(ascii: "-")) }
            if significantCount <= pointPosition && pointPosition <= 21 {
                // Integer: the digits, then zeros up to the decimal point.
                for index in first..<last { output.append(digits[index]) }
                for _ in 0..<(pointPosition - significantCount) { output.append(UInt8(ascii: "0")) }
            } else if 0 < pointPosition && pointPosition <= 21 {
                // Decimal point inside the digits.
                for index in first..<(first + pointPosition) { output.append(digits[index]) }
                output.append(UInt8(ascii: "."))
                for index in (first + pointPosition)..<last { output.append(digits[index]) }
            } else if -6 < pointPosition && pointPosition <= 0 {
                // Small fraction: "0." and leading zeros.
                output.append(UInt8(ascii: "0"))
                output.append(UInt8(ascii: "."))
                for _ in 0..<(-pointPosition) { output.append(UInt8(ascii: "0")) }
                for index in first..<last { output.append(digits[index]) }
            } else {
                // Exponential: d[.ddd]e±(n-1).
                output.append(digits[first])
                if significantCount > 1 {
                    output.append(UInt8(ascii: "."))
                    for index in (first + 1)..<last { output.append(digits[index]) }
                }
                output.append(UInt8(ascii: "e"))
                let shownExponent = pointPosition - 1
                output.append(shownExponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                appendInteger(Int64(shownExponent.magnitude), into: &output)
            }
        }
    }

    private static func appendASCII(_ text: StaticString, into output: inout [UInt8]) {
        text.withUTF8Buffer { output.append(contentsOf: $0) }
    }
}
