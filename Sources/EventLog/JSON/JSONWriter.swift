/// Writers that keep member order, for output people read or diff. Hashing and
/// signing use `CanonicalJSON` instead. Numbers and strings are written exactly as
/// the canonical form writes them, so the two differ only in order and white space.
public enum JSONWriter {
    /// Keeps member order, no spaces.
    public static func compact(_ value: JSONValue) -> String {
        var output: [UInt8] = []
        writeCompact(value, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Keeps member order, `"key": value`, newline and indent per level.
    public static func pretty(_ value: JSONValue, indent: Int = 2) -> String {
        var output: [UInt8] = []
        writePretty(value, indent: max(0, indent), level: 0, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// A JSON string literal with JCS escaping.
    public static func writeString(_ s: String, into output: inout [UInt8]) {
        var text = s
        text.withUTF8 { bytes in
            output.append(UInt8(ascii: "\""))
            // Copy runs that need no escaping in one go.
            var runStart = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                    index += 1
                    continue
                }
                if index > runStart {
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                }
                appendEscape(for: byte, into: &output)
                index += 1
                runStart = index
            }
            if index > runStart {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            }
            output.append(UInt8(ascii: "\""))
        }
    }

    /// The escapes RFC 8785 section 3.2.2.2 prescribes: the short forms where
    /// ECMAScript has them, else \u00xx with lowercase hex.
    private static func appendEscape(for byte: UInt8, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): output.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
        case 0x08: output.append(UInt8(ascii: "b"))
        case 0x09: output.append(UInt8(ascii: "t"))
        case 0x0A: output.append(UInt8(ascii: "n"))
        case 0x0C: output.append(UInt8(ascii: "f"))
        case 0x0D: output.append(UInt8(ascii: "r"))
        default:
            let hexDigits: StaticString = "0123456789abcdef"
            output.append(UInt8(ascii: "u"))
            output.append(UInt8(ascii: "0"))
            output.append(UInt8(ascii: "0"))
            hexDigits.withUTF8Buffer { digits in
                output.append(digits[Int(byte >> 4)])
                output.append(digits[Int(byte & 0x0F)])
            }
        }
    }

    private static func writeCompact(_ value: JSONValue, into output: inout [UInt8]) {
        switch value {
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                writeCompact(element, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            for (position, member) in object.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                writeCompact(member.value, into: &output)
            }
            output.append(UInt8(ascii: "}"))
        default:
            // Scalars have one form, shared with the canonical writer.
            CanonicalJSON.write(value, into: &output)
        }
    }

    private static func writePretty(_ value: JSONValue, indent: Int, level: Int, into output: inout [UInt8]) {
        switch value {
        case .array(let elements):
            guard !elements.isEmpty else {
                output.append(contentsOf: [UInt8(ascii: "["), UInt8(ascii: "]")])
                return
            }
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                newline(indent: indent, level: level + 1, into: &output)
                writePretty(element, indent: indent, level: level + 1, into: &output)
            }
            newline(indent: indent, level: level, into: &output)
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            guard object.count > 0 else {
                output.append(contentsOf: [UInt8(ascii: "{"), UInt8(ascii: "}")])
                return
            }
            output.append(UInt8(ascii: "{"))
            for (position, member) in object.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                newline(indent: indent, level: level + 1, into: &output)
                writeString(member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                output.append(UInt8(ascii: " "))
                writePretty(member.value, indent: indent, level: level + 1, into: &output)
            }
            newline(indent: indent, level: level, into: &output)
            output.append(UInt8(ascii: "}"))
        default:
            CanonicalJSON.write(value, into: &output)
        }
    }

    private static func newline(indent: Int, level: Int, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\n"))
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
    }
}
