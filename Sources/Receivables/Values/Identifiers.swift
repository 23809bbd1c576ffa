/// Shape checks for the identifiers the store accepts from people and configuration.
///
/// These checks say whether text is well-formed, not whether it names something that exists:
/// no network, no bank or mail server is consulted, so the domain module stays pure.
public enum Identifiers {
    // MARK: IBAN

    /// ISO 13616: country code, check digits, BBAN length per country (the SWIFT IBAN registry
    /// list of countries and lengths), mod-97 == 1. Spaces are allowed in input and ignored;
    /// returns the compact upper-case form, or nil.
    ///
    /// Lower-case letters are accepted and upper-cased, because people copy IBANs from
    /// sources that print them either way and the standard treats the letters alike.
    public static func normalizedIBAN(_ text: String) -> String? {
        var characters: [UInt8] = []
        for byte in text.utf8 where byte != UInt8(ascii: " ") {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
                characters.append(byte)
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                characters.append(byte - 32)
            default:
                return nil
            }
        }
        guard characters.count >= 4,
            isLetter(characters[0]), isLetter(characters[1]),
            isDigit(characters[2]), isDigit(characters[3])
        else { return nil }
        let compact = String(decoding: characters, as: UTF8.self)
        guard let expectedLength = ibanLengthByCountry[String(compact.prefix(2))],
            characters.count == expectedLength
        else { return nil }

        // Check digits are always 02...98; 00, 01 and 99 can pass the remainder test by
        // coincidence (99 ≡ 2) yet no correctly computed IBAN carries them.
        let checkDigits = Int(characters[2] - UInt8(ascii: "0")) * 10 + Int(characters[3] - UInt8(ascii: "0"))
        guard (2...98).contains(checkDigits) else { return nil }

        // Move the first four characters to the end, read letters as 10...35, and take the
        // number modulo 97 digit by digit so it never needs big integers.
        var remainder = 0
        for byte in characters[4...] + characters[..<4] {
            if isDigit(byte) {
                remainder = (remainder * 10 + Int(byte - UInt8(ascii: "0"))) % 97
            } else {
                remainder = (remainder * 100 + Int(byte - UInt8(ascii: "A")) + 10) % 97
            }
        }
        return remainder == 1 ? compact : nil
    }

    /// Total IBAN length by country code, from the SWIFT IBAN registry (release 101, December
    /// 2025, 89 countries). Territories that use a parent country's IBANs (for example
    /// Guadeloupe under FR, Jersey under GB, Åland under FI) are not listed separately,
    /// because their IBANs begin with the parent's code. Countries that publish IBANs outside
    /// the registry ("experimental" lists) are left out: a bank on the SEPA rails rejects them.
    private static let ibanLengthByCountry: [String: Int] = [
        "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
        "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
        "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
        "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
        "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
        "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
        "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
        "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
        "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
        "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
        "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
        "YE": 30,
    ]

    /// The number of countries in the IBAN registry table, for tests that guard against
    /// an entry being dropped by accident.
    public static var ibanCountryCount: Int { ibanLengthByCountry.count }

    // MARK: E-mail

    /// local@domain.tld shape: exactly one "@", a non-empty local part of at most 64 bytes
    /// without leading, trailing or doubled dots, and a domain of at least two dot-separated
    /// labels whose last one is at least two characters and not all digits. At most 254 bytes
    /// in total (the SMTP path limit). No white space, no control characters (so no CR or LF,
    /// which could inject mail headers) and none of the characters that only quoted or
    /// bracketed addresses may hold: ( ) < > [ ] \ , ; : and the double quote.
    /// Non-ASCII letters are accepted, since internationalized addresses are in real use.
    public static func isEmailAddress(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 254 else { return false }
        if let answer = isASCIIEmailAddress(text) { return answer }
        return isEmailAddressOfAnyScript(text)
    }

    /// The same rules as `isEmailAddressOfAnyScript` on the bytes of an all-ASCII address, where
    /// a character is one byte (a control character, CR LF included, is refused anyway): every
    /// reminder carries an address, and most are ASCII. nil when the text is not all ASCII.
    static func isASCIIEmailAddress(_ text: String) -> Bool? {
        var utf8 = text.utf8
        if let answer = utf8.withContiguousStorageIfAvailable({ isASCIIEmailAddress(bytes: $0) }) { return answer }
        var copy = text
        copy.makeContiguousUTF8()
        utf8 = copy.utf8
        return utf8.withContiguousStorageIfAvailable { isASCIIEmailAddress(bytes: $0) } ?? nil
    }

    private static func isASCIIEmailAddress(bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        var at: Int?
        for (index, byte) in bytes.enumerated() {
            // Controls, space and DEL are control characters or white space.
            if byte <= 0x20 || byte == 0x7F { return false }
            switch byte {
            case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "["), UInt8(ascii: "]"),
                 UInt8(ascii: "\\"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "\""):
                return false
            case UInt8(ascii: "@"):
                if at != nil { return false }
                at = index
            default: continue
            }
        }
        guard let at else { return false }
        let local = UnsafeBufferPointer(rebasing: bytes[..<at])
        let domain = UnsafeBufferPointer(rebasing: bytes[(at + 1)...])
        let dot = UInt8(ascii: ".")
        guard !local.isEmpty, local.count <= 64, local.first != dot, local.last != dot else { return false }
        for index in local.indices.dropFirst() where local[index] == dot && local[index - 1] == dot { return false }

        let labels = domain.split(separator: dot, omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        let hyphen = UInt8(ascii: "-")
        for label in labels {
            guard !label.isEmpty, label.count <= 63, label.first != hyphen, label.last != hyphen,
                  label.allSatisfy({ isAsciiLetterOrDigit(Unicode.Scalar($0)) || $0 == hyphen }) else { return false }
        }
        let topLevel = labels[labels.count - 1]
        return topLevel.count >= 2 && !topLevel.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// The rules for any address, by Unicode scalars and characters.
    static func isEmailAddressOfAnyScript(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 254 else { return false }
        for scalar in text.unicodeScalars {
            if isControlOrWhiteSpace(scalar) { return false }
            switch scalar {
            case "(", ")", "<", ">", "[", "]", "\\", ",", ";", ":", "\"": return false
            default: continue
            }
        }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let local = parts[0]
        let domain = parts[1]

        guard !local.isEmpty, local.utf8.count <= 64,
            !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..")
        else { return false }

        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard isHostLabel(label) else { return false }
        }
        let topLevel = labels[labels.count - 1]
        return topLevel.count >= 2 && !topLevel.allSatisfy { $0.isASCII && $0.isNumber }
    }

    // MARK: HTTPS URL

    /// "https://host[:port]/path?query#fragment" shape, as used for payment links.
    ///
    /// - The scheme is https, in any letter case, since a payment link must not travel in
    ///   clear text.
    /// - The host is a dot-separated name (letters, digits, hyphens; non-ASCII letters allowed)
    ///   or a bracketed IPv6 address; the port, if any, is 1...65535.
    /// - No user name or password before the host: credentials in a configured link would
    ///   end up in every e-mail and log line that shows it.
    /// - After the host, only characters a URL may hold literally (RFC 3986, with non-ASCII
    ///   letters as in IRIs); "%" must start a two-hex-digit escape; no spaces or control
    ///   characters.
    /// - Braces only as the placeholders "{deadline}" and "{amount}", which are filled in per
    ///   reminder; any other brace is most likely a misspelled placeholder.
    public static func isHTTPSURL(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        let scheme = "https://"
        guard scalars.count > scheme.unicodeScalars.count,
            String(String.UnicodeScalarView(scalars[0..<scheme.unicodeScalars.count])).lowercased() == scheme
        else { return false }
        for scalar in scalars where isControlOrWhiteSpace(scalar) { return false }

        var position = scheme.unicodeScalars.count
        let authorityStart = position
        while position < scalars.count, !["/", "?", "#"].contains(scalars[position]) { position += 1 }
        guard isAuthority(scalars[authorityStart..<position]) else { return false }
        return isPathQueryAndFragment(scalars[position...])
    }

    private static func isAuthority(_ authority: ArraySlice<Unicode.Scalar>) -> Bool {
        var host = authority
        var port: ArraySlice<Unicode.Scalar>? = nil
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { return false }
            host = authority[authority.startIndex...close]
            let afterHost = authority[(close + 1)...]
            if !afterHost.isEmpty {
                guard afterHost.first == ":" else { return false }
                port = afterHost.dropFirst()
            }
            let inside = host.dropFirst().dropLast()
            guard inside.contains(":"),
                inside.allSatisfy({ $0.properties.isASCIIHexDigit || $0 == ":" || $0 == "." })
            else { return false }
        } else {
            if let colon = authority.firstIndex(of: ":") {
                host = authority[authority.startIndex..<colon]
                port = authority[(colon + 1)...]
            }
            let labels = String(String.UnicodeScalarView(host)).split(separator: ".", omittingEmptySubsequences: false)
            guard !host.isEmpty else { return false }
            for label in labels {
                guard isHostLabel(label) else { return false }
            }
        }
        if let port {
            guard (1...5).contains(port.count),
                port.allSatisfy({ $0.isASCII && ("0"..."9").contains($0) }),
                let value = Int(String(String.UnicodeScalarView(port))),
                (1...65535).contains(value)
            else { return false }
        }
        return true
    }

    private static func isPathQueryAndFragment(_ rest: ArraySlice<Unicode.Scalar>) -> Bool {
        let placeholders = ["{deadline}", "{amount}"].map { Array($0.unicodeScalars) }
        let allowedPunctuation = Set("-._~!$&'()*+,;=:@/?#".unicodeScalars)
        var position = rest.startIndex
        while position < rest.endIndex {
            let scalar = rest[position]
            if scalar == "{" {
                guard let placeholder = placeholders.first(where: { rest[position...].starts(with: $0) })
                else { return false }
                position += placeholder.count
                continue
            }
            if scalar == "%" {
                guard position + 2 < rest.endIndex,
                    rest[position + 1].properties.isASCIIHexDigit,
                    rest[position + 2].properties.isASCIIHexDigit
                else { return false }
                position += 3
                continue
            }
            let isAllowed: Bool
            if scalar.isASCII {
                isAllowed = isAsciiLetterOrDigit(scalar) || allowedPunctuation.contains(scalar)
            } else {
                isAllowed = true  // control and white space were already rejected
            }
            guard isAllowed else { return false }
            position += 1
        }
        return true
    }

    // MARK: Identifiers

    /// 1 to 64 Unicode scalars, no control characters (Cc: U+0000...U+001F, U+007F and the C1
    /// range U+0080...U+009F) and no leading or trailing white space.
    ///
    /// Scalars rather than Characters are counted so that the limit does not depend on the
    /// Unicode version's grapheme rules, and a stored id keeps its length on every platform.
    public static func isValidId(_ text: String) -> Bool {
        // Printable ASCII without spaces, the usual id, needs no look-up of Unicode properties.
        let length = text.utf8.count
        if length > 0, length <= 64, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) { return true }
        let scalars = text.unicodeScalars
        guard let first = scalars.first, let last = scalars.last, scalars.count <= 64 else { return false }
        if first.properties.isWhitespace || last.properties.isWhitespace { return false }
        return !scalars.contains { $0.properties.generalCategory == .control }
    }

    // MARK: Helpers

    private static func isLetter(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isAsciiLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    private static func isControlOrWhiteSpace(_ scalar: Unicode.Scalar) -> Bool {
        // Printable ASCII is neither; checking it first spares a look-up of Unicode properties.
        if scalar.value > 0x20 && scalar.value < 0x7F { return false }
        return scalar.properties.generalCategory == .control || scalar.properties.isWhitespace
    }

    /// A DNS label: 1 to 63 bytes of ASCII letters, digits and inner hyphens, or non-ASCII
    /// letters of an internationalized name.
    private static func isHostLabel(_ label: Substring) -> Bool {
        guard !label.isEmpty, label.utf8.count <= 63, !label.hasPrefix("-"), !label.hasSuffix("-")
        else { return false }
        return label.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII ? (isAsciiLetterOrDigit(scalar) || scalar == "-") : !isControlOrWhiteSpace(scalar)
        }
    }
}
