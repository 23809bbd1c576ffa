/// A small, strict XML 1.0 reader for the FatturaPA import: bytes in, an element tree out.
///
/// It reads exactly what invoices need and refuses everything that makes XML dangerous:
/// - A document type declaration (`<!DOCTYPE ...>`) is refused outright, wherever it appears.
///   So no entity is ever declared, nothing is expanded ("billion laughs" cannot start) and no
///   external entity or DTD is ever fetched: the reader does no I/O at all.
/// - Named entity references other than the five predefined ones (`&lt; &gt; &amp; &apos;
///   &quot;`) are refused; numeric character references (`&#233;`, `&#xE9;`) are read.
/// - Input size, nesting depth, element count, attributes per element and name length are
///   bounded (`Limits`), so every input ends in a tree or a typed `Failure` with a line
///   number, in time linear in its size. Elements are read with an explicit stack, never by
///   recursion, so deep input cannot overflow the call stack.
///
/// Encodings: UTF-8 (the default, and the only one allowed after a UTF-8 byte order mark,
/// which is skipped), US-ASCII, ISO-8859-1 and windows-1252, as the XML declaration names
/// them; the text is converted to Unicode. UTF-16 and anything else are refused.
/// Line ends are normalized (CR LF and lone CR become LF), attribute values are normalized
/// (tab and LF become spaces), and names are split at the namespace colon; a prefix must be
/// declared by an `xmlns:` attribute in scope.
///
/// Comments and processing instructions are skipped; CDATA sections add to the text.
enum XMLReader {
    struct Limits: Sendable, Equatable {
        var maximumBytes = 10 * 1024 * 1024
        var maximumDepth = 64
        var maximumElements = 100_000
        var maximumAttributes = 64
        /// In bytes, for element and attribute names, PI targets and entity names.
        var maximumNameLength = 256

        static let standard = Limits()
    }

    enum Encoding: String, Sendable, Equatable {
        case utf8 = "UTF-8"
        case ascii = "US-ASCII"
        case latin1 = "ISO-8859-1"
        case windows1252 = "windows-1252"
    }

    struct Attribute: Sendable, Equatable {
        /// The local name, without the prefix.
        var name: String
        var prefix: String?
        var value: String
    }

    /// An element: its local name, its prefix and resolved namespace, its attributes, the
    /// character data directly inside it (children's text excluded) and its child elements.
    struct Element: Sendable, Equatable {
        var name: String
        var prefix: String?
        var namespace: String?
        var attributes: [Attribute]
        var text: String
        var children: [Element]
        /// The line of the start tag, counted from 1.
        var line: Int

        /// The first child with this local name.
        func child(_ name: String) -> Element? {
            children.first { $0.name == name }
        }

        /// Every child with this local name, in document order.
        func children(named name: String) -> [Element] {
            children.filter { $0.name == name }
        }

        /// The element reached by following first children with these local names.
        func descendant(_ path: String...) -> Element? {
            var current = self
            for name in path {
                guard let next = current.child(name) else { return nil }
                current = next
            }
            return current
        }

        /// The value of the unprefixed attribute with this name.
        func attribute(_ name: String) -> String? {
            attributes.first { $0.name == name && $0.prefix == nil }?.value
        }
    }

    struct Document: Sendable, Equatable {
        var root: Element
        /// The encoding the bytes were read in.
        var encoding: Encoding
    }

    struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        enum Kind: String, Sendable, Equatable {
            /// The bytes break a rule of XML 1.0 (or of namespaces in XML).
            case notWellFormed
            /// A DOCTYPE, or a named entity other than the predefined five.
            case forbiddenMarkup
            /// More bytes, depth, elements, attributes or a longer name than `Limits` allow.
            case limitExceeded
            /// An encoding other than UTF-8, US-ASCII, ISO-8859-1 and windows-1252.
            case unsupportedEncoding
        }

        var kind: Kind
        var line: Int
        var message: String

        var description: String { "line \(line): \(message)" }
    }

    /// Reads a whole document.
    static func parse(_ bytes: [UInt8], limits: Limits = .standard) throws(Failure) -> Document {
        if bytes.count > limits.maximumBytes {
            throw Failure(kind: .limitExceeded, line: 1,
                          message: "the file is \(bytes.count) bytes; at most \(limits.maximumBytes) are read")
        }
        let prologue = try readDeclaration(bytes)
        let text = try transcode(bytes, from: prologue.contentStart, encoding: prologue.encoding,
                                 firstLine: prologue.contentLine)
        var parser = XMLByteParser(bytes: text, firstLine: prologue.contentLine, limits: limits)
        let root = try parser.parseDocument()
        return Document(root: root, encoding: prologue.encoding)
    }

    // MARK: - Byte order mark and XML declaration

    private struct Prologue {
        var encoding: Encoding
        /// Where the content after the BOM and the declaration starts.
        var contentStart: Int
        /// The line that position is on.
        var contentLine: Int
    }

    /// Skips a UTF-8 BOM and reads the XML declaration, which is ASCII in every supported
    /// encoding; the rest of the file can only be decoded once its encoding is known.
    private static func readDeclaration(_ bytes: [UInt8]) throws(Failure) -> Prologue {
        var position = 0
        var hasBOM = false
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            position = 3
            hasBOM = true
        } else if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE])
            || bytes.starts(with: [0x00, 0x3C]) || bytes.starts(with: [0x3C, 0x00])
            || bytes.starts(with: [0x00, 0x00])
        {
            throw Failure(kind: .unsupportedEncoding, line: 1,
                          message: "the file looks like UTF-16 or UTF-32; only UTF-8, US-ASCII, ISO-8859-1 and windows-1252 are read")
        }
        let declarationStart: [UInt8] = Array("<?xml".utf8)
        guard bytes[position...].starts(with: declarationStart),
            position + 5 < bytes.count, isWhiteSpace(bytes[position + 5])
        else {
            // Without a declaration the first thing after white space must be markup; saying
            // so beats a complaint about some byte deeper in a PDF or a spreadsheet.
            var index = position
            var line = 1
            while index < bytes.count, isWhiteSpace(bytes[index]) {
                if bytes[index] == 0x0A { line += 1 }
                index += 1
            }
            if index < bytes.count, bytes[index] != UInt8(ascii: "<") {
                let start = bytes[index...].prefix { $0 >= 0x20 && $0 < 0x7F }.prefix(16)
                let shown = start.isEmpty ? "a byte that is not text" : "\"" + String(decoding: start, as: UTF8.self) + "\""
                throw Failure(kind: .notWellFormed, line: line, message: "this is not XML: it starts with \(shown), not with \"<\"")
            }
            return Prologue(encoding: .utf8, contentStart: position, contentLine: 1)
        }

        var line = 1
        var index = position + 5
        func fail(_ message: String) -> Failure {
            Failure(kind: .notWellFormed, line: line, message: "XML declaration: " + message)
        }
        func skipSpace() -> Bool {
            var skipped = false
            while index < bytes.count, isWhiteSpace(bytes[index]) {
                if bytes[index] == 0x0A || (bytes[index] == 0x0D && (index + 1 >= bytes.count || bytes[index + 1] != 0x0A)) {
                    line += 1
                }
                index += 1
                skipped = true
            }
            return skipped
        }
        // Pseudo-attributes in their fixed order: version, then encoding?, then standalone?.
        var pairs: [(name: String, value: String)] = []
        while true {
            let spaced = skipSpace()
            if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "?"), bytes[index + 1] == UInt8(ascii: ">") {
                index += 2
                break
            }
            guard index < bytes.count else { throw fail("not closed with \"?>\"") }
            guard spaced else { throw fail("white space is needed between pseudo-attributes") }
            let nameStart = index
            while index < bytes.count, isASCIILetter(bytes[index]) { index += 1 }
            let name = String(decoding: bytes[nameStart..<index], as: UTF8.self)
            guard !name.isEmpty else { throw fail("expected version, encoding or standalone") }
            _ = skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { throw fail("expected \"=\" after \(name)") }
            index += 1
            _ = skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
                throw fail("the value of \(name) must be quoted")
            }
            let quote = bytes[index]
            index += 1
            let valueStart = index
            while index < bytes.count, bytes[index] != quote, index - valueStart <= 64 {
                guard bytes[index] >= 0x21, bytes[index] < 0x7F else { throw fail("the value of \(name) holds an unexpected character") }
                index += 1
            }
            guard index < bytes.count, bytes[index] == quote else { throw fail("the value of \(name) is not closed") }
            pairs.append((name, String(decoding: bytes[valueStart..<index], as: UTF8.self)))
            index += 1
            if pairs.count > 3 { throw fail("too many pseudo-attributes") }
        }
        let names = pairs.map(\.name)
        let allowedOrders: [[String]] = [
            ["version"], ["version", "encoding"], ["version", "standalone"], ["version", "encoding", "standalone"],
        ]
        guard allowedOrders.contains(names) else {
            throw fail("expected version, then optionally encoding and standalone, in that order; found \(names.joined(separator: ", "))")
        }
        let version = pairs[0].value
        guard version.hasPrefix("1."), version.count > 2, version.utf8.dropFirst(2).allSatisfy(isASCIIDigit) else {
            throw fail("version \"\(version)\" is not an XML 1.x version")
        }
        if let standalone = pairs.first(where: { $0.name == "standalone" })?.value, standalone != "yes", standalone != "no" {
            throw fail("standalone must be \"yes\" or \"no\", not \"\(standalone)\"")
        }
        var encoding = Encoding.utf8
        if let name = pairs.first(where: { $0.name == "encoding" })?.value {
            guard let known = Self.encoding(named: name) else {
                throw Failure(kind: .unsupportedEncoding, line: line,
                              message: "encoding \"\(name)\" is not supported; use UTF-8, US-ASCII, ISO-8859-1 or windows-1252")
            }
            if hasBOM, known != .utf8 {
                throw Failure(kind: .unsupportedEncoding, line: line,
                              message: "the file starts with a UTF-8 byte order mark but declares \(name)")
            }
            encoding = known
        }
        return Prologue(encoding: encoding, contentStart: index, contentLine: line)
    }

    /// The supported encodings by their IANA names and common aliases, in any letter case.
    static func encoding(named name: String) -> Encoding? {
        switch name.lowercased() {
        case "utf-8", "utf8": return .utf8
        case "us-ascii", "ascii": return .ascii
        case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1": return .latin1
        case "windows-1252", "cp1252", "x-cp1252": return .windows1252
        default: return nil
        }
    }

    // MARK: - Decoding to UTF-8

    /// The content as UTF-8 with normalized line ends; every character checked against
    /// XML 1.0's Char production (no NUL, no C0 controls but tab, LF and CR, no U+FFFE/U+FFFF).
    private static func transcode(_ bytes: [UInt8], from start: Int, encoding: Encoding, firstLine: Int) throws(Failure) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count - start + 16)
        var line = firstLine
        var index = start
        var previousWasCR = false

        func appendScalar(_ value: UInt32) { appendUTF8(value, to: &output) }
        func invalid(_ message: String) -> Failure {
            Failure(kind: .notWellFormed, line: line, message: message)
        }
        func hex(_ byte: UInt8) -> String {
            let digits = Array("0123456789ABCDEF")
            return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
        }

        while index < bytes.count {
            let byte = bytes[index]
            // ASCII is the same in every supported encoding.
            if byte < 0x80 {
                index += 1
                if byte == 0x0D {
                    output.append(0x0A)
                    line += 1
                    previousWasCR = true
                    continue
                }
                if byte == 0x0A {
                    if !previousWasCR {
                        output.append(0x0A)
                        line += 1
                    }
                    previousWasCR = false
                    continue
                }
                previousWasCR = false
                guard byte >= 0x20 || byte == 0x09 else {
                    throw invalid("control character \(hex(byte)) is not allowed in XML")
                }
                output.append(byte)
                continue
            }
            previousWasCR = false
            switch encoding {
            case .ascii:
                throw invalid("byte \(hex(byte)) is not US-ASCII, as the XML declaration says the file is")
            case .latin1:
                appendScalar(UInt32(byte))
                index += 1
            case .windows1252:
                if byte >= 0xA0 {
                    appendScalar(UInt32(byte))
                } else {
                    let scalar = windows1252High[Int(byte - 0x80)]
                    guard scalar != 0 else {
                        throw invalid("byte \(hex(byte)) is not a character in windows-1252")
                    }
                    appendScalar(UInt32(scalar))
                }
                index += 1
            case .utf8:
                // Decode one sequence, refusing overlong forms, surrogates and values past
                // U+10FFFF, then copy its bytes unchanged.
                let length: Int
                var value: UInt32
                switch byte {
                case 0xC2...0xDF: length = 2; value = UInt32(byte & 0x1F)
                case 0xE0...0xEF: length = 3; value = UInt32(byte & 0x0F)
                case 0xF0...0xF4: length = 4; value = UInt32(byte & 0x07)
                default: throw invalid("byte \(hex(byte)) is not valid UTF-8 (is the encoding in the XML declaration right?)")
                }
                guard index + length <= bytes.count else {
                    throw invalid("the file ends inside a UTF-8 sequence")
                }
                for offset in 1..<length {
                    let continuation = bytes[index + offset]
                    guard continuation & 0xC0 == 0x80 else {
                        throw invalid("byte \(hex(byte)) starts a UTF-8 sequence that is cut short (is the encoding in the XML declaration right?)")
                    }
                    value = (value << 6) | UInt32(continuation & 0x3F)
                }
                let minimum: UInt32 = length == 2 ? 0x80 : (length == 3 ? 0x800 : 0x10000)
                guard value >= minimum, value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value) else {
                    throw invalid("an invalid UTF-8 sequence starting with byte \(hex(byte))")
                }
                guard value != 0xFFFE, value != 0xFFFF else {
                    throw invalid("character U+\(String(value, radix: 16, uppercase: true)) is not allowed in XML")
                }
                output.append(contentsOf: bytes[index..<(index + length)])
                index += length
            }
        }
        return output
    }

    /// windows-1252 bytes 0x80...0x9F; 0 marks the five bytes the code page leaves undefined.
    private static let windows1252High: [UInt16] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]

    // MARK: - Byte classes

    fileprivate static func isWhiteSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    fileprivate static func isASCIILetter(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    fileprivate static func isASCIIDigit(_ byte: UInt8) -> Bool {
        byte >= 0x30 && byte <= 0x39
    }

    /// XML 1.0 (fifth edition) NameStartChar.
    fileprivate static func isNameStart(_ value: UInt32) -> Bool {
        switch value {
        case 0x3A, 0x41...0x5A, 0x5F, 0x61...0x7A: return true
        case 0xC0...0xD6, 0xD8...0xF6, 0xF8...0x2FF, 0x370...0x37D, 0x37F...0x1FFF, 0x200C...0x200D,
            0x2070...0x218F, 0x2C00...0x2FEF, 0x3001...0xD7FF, 0xF900...0xFDCF, 0xFDF0...0xFFFD,
            0x10000...0xEFFFF:
            return true
        default: return false
        }
    }

    /// XML 1.0 (fifth edition) NameChar.
    fileprivate static func isNameChar(_ value: UInt32) -> Bool {
        switch value {
        case 0x2D, 0x2E, 0x30...0x39, 0xB7, 0x300...0x36F, 0x203F...0x2040: return true
        default: return isNameStart(value)
        }
    }

    /// XML 1.0 Char, for character references.
    fileprivate static func isChar(_ value: UInt32) -> Bool {
        switch value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }
}

// MARK: - The parser proper

/// Works on UTF-8 that `transcode` has already checked, so a multi-byte sequence is always
/// complete and every character is an XML Char; markup is all ASCII.
private struct XMLByteParser {
    private let bytes: [UInt8]
    private let firstLine: Int
    private let limits: XMLReader.Limits
    private var position = 0
    private var elementCount = 0
    /// The line of `lineCachePosition`, so that line numbers cost linear time overall.
    private var lineCachePosition = 0
    private var lineCacheLine: Int

    init(bytes: [UInt8], firstLine: Int, limits: XMLReader.Limits) {
        self.bytes = bytes
        self.firstLine = firstLine
        self.limits = limits
        self.lineCacheLine = firstLine
    }

    /// One open element while its content is read.
    private struct Frame {
        var qualifiedName: [UInt8]
        var element: XMLReader.Element
        var text: [UInt8]
        var namespaces: [(prefix: String, uri: String)]
    }

    private static let xmlNamespace = "http://www.w3.org/XML/1998/namespace"

    // MARK: Lines and errors

    private mutating func line(at offset: Int) -> Int {
        if offset < lineCachePosition {
            lineCachePosition = 0
            lineCacheLine = firstLine
        }
        var index = lineCachePosition
        var line = lineCacheLine
        let end = min(offset, bytes.count)
        while index < end {
            if bytes[index] == 0x0A { line += 1 }
            index += 1
        }
        lineCachePosition = end
        lineCacheLine = line
        return line
    }

    private mutating func failure(_ kind: XMLReader.Failure.Kind, _ message: String, at offset: Int? = nil) -> XMLReader.Failure {
        XMLReader.Failure(kind: kind, line: line(at: offset ?? position), message: message)
    }

    private mutating func malformed(_ message: String, at offset: Int? = nil) -> XMLReader.Failure {
        failure(.notWellFormed, message, at: offset)
    }

    // MARK: Small readers

    private func starts(with text: StaticString, at offset: Int? = nil) -> Bool {
        let start = offset ?? position
        let count = text.utf8CodeUnitCount
        guard start + count <= bytes.count else { return false }
        return text.withUTF8Buffer { pattern in
            for index in 0..<count where bytes[start + index] != pattern[index] { return false }
            return true
        }
    }

    /// The scalar starting at `offset` and its length in bytes.
    private func scalar(at offset: Int) -> (value: UInt32, length: Int) {
        let lead = bytes[offset]
        switch lead {
        case 0..<0x80:
            return (UInt32(lead), 1)
        case 0xC0..<0xE0:
            return ((UInt32(lead & 0x1F) << 6) | UInt32(bytes[offset + 1] & 0x3F), 2)
        case 0xE0..<0xF0:
            return ((UInt32(lead & 0x0F) << 12) | (UInt32(bytes[offset + 1] & 0x3F) << 6)
                | UInt32(bytes[offset + 2] & 0x3F), 3)
        default:
            return ((UInt32(lead & 0x07) << 18) | (UInt32(bytes[offset + 1] & 0x3F) << 12)
                | (UInt32(bytes[offset + 2] & 0x3F) << 6) | UInt32(bytes[offset + 3] & 0x3F), 4)
        }
    }

    @discardableResult
    private mutating func skipWhiteSpace() -> Bool {
        let start = position
        while position < bytes.count, XMLReader.isWhiteSpace(bytes[position]) { position += 1 }
        return position > start
    }

    /// A Name as XML 1.0 defines it (colons included); nil when none starts here.
    private mutating func readName(_ what: String) throws(XMLReader.Failure) -> [UInt8]? {
        guard position < bytes.count else { return nil }
        let start = position
        let first = scalar(at: position)
        guard XMLReader.isNameStart(first.value) else { return nil }
        position += first.length
        while position < bytes.count {
            let next = scalar(at: position)
            guard XMLReader.isNameChar(next.value) else { break }
            position += next.length
            if position - start > limits.maximumNameLength {
                throw failure(.limitExceeded, "\(what) is longer than \(limits.maximumNameLength) bytes", at: start)
            }
        }
        return Array(bytes[start..<position])
    }

    /// Splits "prefix:local" as namespaces in XML require: at most one colon, both parts non-empty.
    private mutating func splitQualifiedName(_ name: [UInt8], at offset: Int) throws(XMLReader.Failure) -> (prefix: String?, local: String) {
        let colons = name.indices.filter { name[$0] == UInt8(ascii: ":") }
        let text = String(decoding: name, as: UTF8.self)
        if colons.isEmpty { return (nil, text) }
        guard colons.count == 1, let colon = colons.first, colon > 0, colon < name.count - 1,
            XMLReader.isNameStart(scalar(of: name, at: colon + 1))
        else {
            throw malformed("\"\(text)\" is not a valid qualified name", at: offset)
        }
        return (String(decoding: name[..<colon], as: UTF8.self), String(decoding: name[(colon + 1)...], as: UTF8.self))
    }

    private func scalar(of name: [UInt8], at offset: Int) -> UInt32 {
        // The name was read as whole scalars, so a sequence is complete here.
        let lead = name[offset]
        switch lead {
        case 0..<0x80: return UInt32(lead)
        case 0xC0..<0xE0: return (UInt32(lead & 0x1F) << 6) | UInt32(name[offset + 1] & 0x3F)
        case 0xE0..<0xF0:
            return (UInt32(lead & 0x0F) << 12) | (UInt32(name[offset + 1] & 0x3F) << 6) | UInt32(name[offset + 2] & 0x3F)
        default:
            return (UInt32(lead & 0x07) << 18) | (UInt32(name[offset + 1] & 0x3F) << 12)
                | (UInt32(name[offset + 2] & 0x3F) << 6) | UInt32(name[offset + 3] & 0x3F)
        }
    }

    // MARK: Document

    mutating func parseDocument() throws(XMLReader.Failure) -> XMLReader.Element {
        try skipMisc()
        guard position < bytes.count else { throw malformed("the file holds no element") }
        guard bytes[position] == UInt8(ascii: "<") else {
            throw malformed("expected the root element, found text")
        }
        let root = try parseElements()
        try skipMisc()
        if position < bytes.count {
            if bytes[position] == UInt8(ascii: "<") {
                throw malformed("a second root element; a document has exactly one")
            }
            throw malformed("text after the root element")
        }
        return root
    }

    /// White space, comments and processing instructions, before or after the root.
    private mutating func skipMisc() throws(XMLReader.Failure) {
        while position < bytes.count {
            if skipWhiteSpace() { continue }
            if starts(with: "<!--") {
                try skipComment()
            } else if starts(with: "<?") {
                try skipProcessingInstruction()
            } else if starts(with: "<!DOCTYPE") || starts(with: "<!doctype") {
                throw refusedDoctype()
            } else if starts(with: "<!") {
                throw malformed("unexpected markup declaration")
            } else {
                return
            }
        }
    }

    private mutating func refusedDoctype() -> XMLReader.Failure {
        failure(.forbiddenMarkup,
                "a DOCTYPE is not allowed: FatturaPA files have none, and refusing it means no entity is ever expanded or fetched")
    }

    private mutating func skipComment() throws(XMLReader.Failure) {
        let start = position
        position += 4
        while position + 1 < bytes.count {
            if bytes[position] == UInt8(ascii: "-"), bytes[position + 1] == UInt8(ascii: "-") {
                guard position + 2 < bytes.count, bytes[position + 2] == UInt8(ascii: ">") else {
                    throw malformed("\"--\" is not allowed inside a comment")
                }
                position += 3
                return
            }
            position += 1
        }
        throw malformed("a comment is not closed with \"-->\"", at: start)
    }

    private mutating func skipProcessingInstruction() throws(XMLReader.Failure) {
        let start = position
        position += 2
        guard let target = try readName("a processing instruction target") else {
            throw malformed("a processing instruction needs a target name")
        }
        if target.count == 3, String(decoding: target, as: UTF8.self).lowercased() == "xml" {
            throw malformed("an XML declaration is only allowed at the very start of the file", at: start)
        }
        if starts(with: "?>") {
            position += 2
            return
        }
        guard skipWhiteSpace() else { throw malformed("expected white space after the processing instruction target") }
        while position + 1 < bytes.count {
            if bytes[position] == UInt8(ascii: "?"), bytes[position + 1] == UInt8(ascii: ">") {
                position += 2
                return
            }
            position += 1
        }
        throw malformed("a processing instruction is not closed with \"?>\"", at: start)
    }

    // MARK: Elements

    /// Reads the element starting at `position` and everything inside it, iteratively.
    private mutating func parseElements() throws(XMLReader.Failure) -> XMLReader.Element {
        var stack: [Frame] = []
        let first = try parseStartTag(depth: 1, scopes: stack)
        if first.isEmpty { return first.frame.element }
        stack.append(first.frame)

        while true {
            guard position < bytes.count else {
                let open = stack[stack.count - 1]
                throw malformed("the file ends before <\(String(decoding: open.qualifiedName, as: UTF8.self))> "
                    + "(line \(open.element.line)) is closed")
            }
            let byte = bytes[position]
            if byte == UInt8(ascii: "<") {
                if starts(with: "</") {
                    let closed = try parseEndTag(expected: stack[stack.count - 1])
                    stack.removeLast()
                    if stack.isEmpty { return closed }
                    stack[stack.count - 1].element.children.append(closed)
                } else if starts(with: "<!--") {
                    try skipComment()
                } else if starts(with: "<![CDATA[") {
                    let start = position
                    position += 9
                    var found = false
                    while position + 2 < bytes.count {
                        if bytes[position] == UInt8(ascii: "]"), bytes[position + 1] == UInt8(ascii: "]"),
                            bytes[position + 2] == UInt8(ascii: ">")
                        {
                            found = true
                            break
                        }
                        position += 1
                    }
                    guard found else { throw malformed("a CDATA section is not closed with \"]]>\"", at: start) }
                    stack[stack.count - 1].text.append(contentsOf: bytes[(start + 9)..<position])
                    position += 3
                } else if starts(with: "<?") {
                    try skipProcessingInstruction()
                } else if starts(with: "<!DOCTYPE") || starts(with: "<!doctype") {
                    throw refusedDoctype()
                } else if starts(with: "<!") {
                    throw malformed("markup declarations are not allowed inside an element")
                } else {
                    let depth = stack.count + 1
                    let child = try parseStartTag(depth: depth, scopes: stack)
                    if child.isEmpty {
                        stack[stack.count - 1].element.children.append(child.frame.element)
                    } else {
                        stack.append(child.frame)
                    }
                }
            } else if byte == UInt8(ascii: "&") {
                let scalar = try parseReference()
                appendScalar(scalar, to: &stack[stack.count - 1].text)
            } else {
                let start = position
                while position < bytes.count {
                    let next = bytes[position]
                    if next == UInt8(ascii: "<") || next == UInt8(ascii: "&") { break }
                    if next == UInt8(ascii: "]"), starts(with: "]]>") {
                        throw malformed("\"]]>\" is not allowed in text")
                    }
                    position += 1
                }
                stack[stack.count - 1].text.append(contentsOf: bytes[start..<position])
            }
        }
    }

    /// Reads `<name attributes...>` or `<name .../>` with the namespaces in scope.
    private mutating func parseStartTag(depth: Int, scopes: [Frame]) throws(XMLReader.Failure) -> (frame: Frame, isEmpty: Bool) {
        let tagStart = position
        let tagLine = line(at: tagStart)
        if depth > limits.maximumDepth {
            throw failure(.limitExceeded, "elements are nested more than \(limits.maximumDepth) deep")
        }
        elementCount += 1
        if elementCount > limits.maximumElements {
            throw failure(.limitExceeded, "the file holds more than \(limits.maximumElements) elements")
        }
        position += 1
        guard let qualifiedName = try readName("an element name") else {
            throw malformed("\"<\" must start a tag; write \"&lt;\" for a literal \"<\"")
        }
        var rawAttributes: [(name: [UInt8], value: String, offset: Int)] = []
        var isEmpty = false
        while true {
            let spaced = skipWhiteSpace()
            guard position < bytes.count else {
                throw malformed("the file ends inside the tag <\(String(decoding: qualifiedName, as: UTF8.self))>", at: tagStart)
            }
            if bytes[position] == UInt8(ascii: ">") {
                position += 1
                break
            }
            if starts(with: "/>") {
                position += 2
                isEmpty = true
                break
            }
            guard spaced else { throw malformed("expected white space, \">\" or \"/>\" in a tag") }
            let attributeStart = position
            guard let name = try readName("an attribute name") else {
                throw malformed("expected an attribute name, \">\" or \"/>\"")
            }
            skipWhiteSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "=") else {
                throw malformed("expected \"=\" after the attribute \(String(decoding: name, as: UTF8.self))")
            }
            position += 1
            skipWhiteSpace()
            let value = try parseAttributeValue()
            if rawAttributes.contains(where: { $0.name == name }) {
                throw malformed("the attribute \(String(decoding: name, as: UTF8.self)) appears twice", at: attributeStart)
            }
            rawAttributes.append((name, value, attributeStart))
            if rawAttributes.count > limits.maximumAttributes {
                throw failure(.limitExceeded, "an element has more than \(limits.maximumAttributes) attributes", at: attributeStart)
            }
        }

        // Namespace declarations first, then names are resolved against them.
        var declared: [(prefix: String, uri: String)] = []
        for attribute in rawAttributes {
            let text = String(decoding: attribute.name, as: UTF8.self)
            if text == "xmlns" {
                declared.append(("", attribute.value))
            } else if text.hasPrefix("xmlns:") {
                let prefix = String(text.dropFirst(6))
                if prefix == "xmlns" || (prefix == "xml" && attribute.value != Self.xmlNamespace) || attribute.value.isEmpty {
                    throw malformed("the namespace declaration \(text) is not allowed", at: attribute.offset)
                }
                declared.append((prefix, attribute.value))
            }
        }
        func resolve(_ prefix: String) -> String? {
            if prefix == "xml" { return Self.xmlNamespace }
            if let found = declared.last(where: { $0.prefix == prefix }) { return found.uri }
            for frame in scopes.reversed() {
                if let found = frame.namespaces.last(where: { $0.prefix == prefix }) { return found.uri }
            }
            return nil
        }

        let (prefix, local) = try splitQualifiedName(qualifiedName, at: tagStart)
        var namespace: String?
        if let prefix {
            guard prefix != "xmlns", let uri = resolve(prefix) else {
                throw malformed("the namespace prefix \"\(prefix)\" of <\(prefix):\(local)> is not declared", at: tagStart)
            }
            namespace = uri
        } else if let uri = resolve(""), !uri.isEmpty {
            namespace = uri
        }

        var attributes: [XMLReader.Attribute] = []
        attributes.reserveCapacity(rawAttributes.count)
        for attribute in rawAttributes {
            let (attributePrefix, attributeName) = try splitQualifiedName(attribute.name, at: attribute.offset)
            if let attributePrefix, attributePrefix != "xmlns", resolve(attributePrefix) == nil {
                throw malformed("the namespace prefix \"\(attributePrefix)\" of the attribute "
                    + "\(attributePrefix):\(attributeName) is not declared", at: attribute.offset)
            }
            attributes.append(XMLReader.Attribute(name: attributeName, prefix: attributePrefix, value: attribute.value))
        }

        let element = XMLReader.Element(name: local, prefix: prefix, namespace: namespace, attributes: attributes,
                                        text: "", children: [], line: tagLine)
        return (Frame(qualifiedName: qualifiedName, element: element, text: [], namespaces: declared), isEmpty)
    }

    private mutating func parseAttributeValue() throws(XMLReader.Failure) -> String {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") else {
            throw malformed("an attribute value must be in quotes")
        }
        let quote = bytes[position]
        let start = position
        position += 1
        var value: [UInt8] = []
        while true {
            guard position < bytes.count else { throw malformed("an attribute value is not closed", at: start) }
            let byte = bytes[position]
            if byte == quote {
                position += 1
                return String(decoding: value, as: UTF8.self)
            }
            switch byte {
            case UInt8(ascii: "<"):
                throw malformed("\"<\" is not allowed in an attribute value; write \"&lt;\"")
            case UInt8(ascii: "&"):
                appendScalar(try parseReference(), to: &value)
            case 0x09, 0x0A:
                value.append(0x20)
                position += 1
            default:
                value.append(byte)
                position += 1
            }
        }
    }

    private mutating func parseEndTag(expected frame: Frame) throws(XMLReader.Failure) -> XMLReader.Element {
        let start = position
        position += 2
        guard let name = try readName("an element name") else { throw malformed("expected an element name after \"</\"") }
        skipWhiteSpace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: ">") else {
            throw malformed("expected \">\" to end the tag </\(String(decoding: name, as: UTF8.self))>")
        }
        position += 1
        guard name == frame.qualifiedName else {
            throw malformed("</\(String(decoding: name, as: UTF8.self))> does not close "
                + "<\(String(decoding: frame.qualifiedName, as: UTF8.self))> (line \(frame.element.line))", at: start)
        }
        var element = frame.element
        element.text = String(decoding: frame.text, as: UTF8.self)
        return element
    }

    // MARK: References

    /// `&name;` for the five predefined entities, `&#N;` and `&#xH;`; anything else is refused.
    private mutating func parseReference() throws(XMLReader.Failure) -> UInt32 {
        let start = position
        position += 1
        if position < bytes.count, bytes[position] == UInt8(ascii: "#") {
            position += 1
            var radix: UInt32 = 10
            if position < bytes.count, bytes[position] == UInt8(ascii: "x") {
                radix = 16
                position += 1
            }
            var value: UInt32 = 0
            var digits = 0
            while position < bytes.count, bytes[position] != UInt8(ascii: ";") {
                let byte = bytes[position]
                let digit: UInt32
                switch byte {
                case 0x30...0x39: digit = UInt32(byte - 0x30)
                case 0x61...0x66 where radix == 16: digit = UInt32(byte - 0x61 + 10)
                case 0x41...0x46 where radix == 16: digit = UInt32(byte - 0x41 + 10)
                default: throw malformed("a character reference holds an unexpected character", at: start)
                }
                value = value * radix + digit
                digits += 1
                // Anything beyond U+10FFFF is refused before it can overflow.
                if value > 0x10FFFF { throw malformed("a character reference beyond U+10FFFF", at: start) }
                position += 1
            }
            guard digits > 0, position < bytes.count else {
                throw malformed("a character reference must be like &#233; or &#xE9;", at: start)
            }
            position += 1
            guard XMLReader.isChar(value) else {
                throw malformed("&#\(radix == 16 ? "x" : "")\(String(value, radix: Int(radix), uppercase: true)); "
                    + "is not a character XML allows", at: start)
            }
            return value
        }
        guard let name = try readName("an entity name"), position < bytes.count, bytes[position] == UInt8(ascii: ";") else {
            throw malformed("\"&\" must start a reference like &amp; or &#233;; write \"&amp;\" for a literal \"&\"", at: start)
        }
        position += 1
        switch String(decoding: name, as: UTF8.self) {
        case "lt": return 0x3C
        case "gt": return 0x3E
        case "amp": return 0x26
        case "apos": return 0x27
        case "quot": return 0x22
        case let other:
            throw failure(.forbiddenMarkup,
                          "the entity &\(other); is not allowed; only &lt; &gt; &amp; &apos; &quot; and character references are read",
                          at: start)
        }
    }

    private func appendScalar(_ value: UInt32, to output: inout [UInt8]) { appendUTF8(value, to: &output) }
}

/// Appends the UTF-8 form of a Unicode scalar value (the caller has checked it is one).
private func appendUTF8(_ value: UInt32, to output: inout [UInt8]) {
        switch value {
        case 0..<0x80:
            output.append(UInt8(value))
        case 0x80..<0x800:
            output.append(UInt8(0xC0 | (value >> 6)))
            output.append(UInt8(0x80 | (value & 0x3F)))
        case 0x800..<0x10000:
            output.append(UInt8(0xE0 | (value >> 12)))
            output.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            output.append(UInt8(0x80 | (value & 0x3F)))
        default:
            output.append(UInt8(0xF0 | (value >> 18)))
            output.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
            output.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            output.append(UInt8(0x80 | (value & 0x3F)))
        }
}
