/// Text made safe for where it goes: an error message (one line, quoted) or markup (HTML, SVG,
/// XML). One implementation, so every output escapes the same way.
public enum TextEscaping {
    /// The text in quotes, with quotes, backslashes and control characters escaped, so an error
    /// message stays on one line and cannot be mistaken for its surrounding text.
    public static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.properties.generalCategory == .control {
                    result += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// Text safe for one line of a terminal or a log: control characters (a line break, an ESC
    /// that would drive the terminal), line and paragraph separators and bidirectional controls
    /// are written as `\u{…}`, and text beyond `limit` characters is cut with "…" — so input can
    /// never forge a second `error:` line or hide in an escape sequence.
    public static func oneLine(_ text: String, limit: Int = 2000) -> String {
        var result = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit { return result + "…" }
            if scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" || isBidiControl(scalar) {
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
            count += 1
        }
        return result
    }

    /// Text for an XML or HTML element or a double-quoted attribute value.
    ///
    /// - `& < > " '` become references, so no text can open a tag, close an attribute or end a
    ///   CDATA section (`]]>` becomes `]]&gt;`).
    /// - Control characters other than tab, line feed and carriage return are dropped: XML 1.0
    ///   forbids most of them, and none of them means anything on a page.
    /// - Bidirectional controls (such as U+200F RIGHT-TO-LEFT MARK) are written as numeric
    ///   references, so they are visible in the source and cannot silently reorder it.
    public static func markup(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            default:
                if scalar.properties.generalCategory == .control || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    continue
                }
                if isBidiControl(scalar) {
                    result += "&#x" + String(scalar.value, radix: 16, uppercase: true) + ";"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    /// The explicit directional marks, embeddings, overrides and isolates (Unicode 15, UAX #9).
    public static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }
}
