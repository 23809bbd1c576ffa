import Receivables

// Helpers shared by the SVG chart and the HTML dashboard: escaping text for markup, numbers in
// a fixed form, and file names that are safe whatever an id holds. Everything here is plain
// string work, so the same input gives the same bytes on every platform.

enum Markup {
    /// Text for an XML or HTML element or a double-quoted attribute value; the pages also wrap
    /// names in `<bdi>` so they cannot reorder the text around them when shown.
    static func escape(_ text: String) -> String { TextEscaping.markup(text) }

    static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool { TextEscaping.isBidiControl(scalar) }

    /// A number with exactly `decimals` digits after the point, rounded half away from zero,
    /// never "-0.0": coordinates print the same on every platform.
    static func fixed(_ value: Double, decimals: Int = 1) -> String {
        guard value.isFinite else { return "0" + (decimals > 0 ? "." + String(repeating: "0", count: decimals) : "") }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (value * scale).rounded(.toNearestOrAwayFromZero)
        let clamped = max(min(scaled, 9.0e15), -9.0e15)
        let units = Int64(clamped)
        let magnitude = units.magnitude
        var divisor: UInt64 = 1
        for _ in 0..<decimals { divisor *= 10 }
        let integerPart = String(magnitude / divisor)
        var text = (units < 0 ? "-" : "") + integerPart
        if decimals > 0 {
            let fraction = String(magnitude % divisor)
            text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        return text
    }

    /// FNV-1a, 64 bits, of the UTF-8 bytes: a short, stable fingerprint for file names (not
    /// for security: names only need to differ, and the readable part is kept beside it).
    static func fingerprint(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// A file name stem for an id, safe on every file system and in a URL without encoding:
    /// only `a-z 0-9 _ -`.
    ///
    /// An id that already has that form is used as it is. Any other id (capitals, which would
    /// collide on case-insensitive disks; dots, slashes, spaces, non-ASCII letters; Windows
    /// device names such as "con"; an id of the hashed form itself) becomes a readable,
    /// lower-cased part with every other character replaced by "_", then "-" and a 16-digit
    /// fingerprint of the whole id, so two different ids never share a name.
    static func safeStem(_ id: String) -> String {
        let bytes = Array(id.utf8)
        let plain = !bytes.isEmpty && bytes.count <= 64 && bytes.allSatisfy { isStemByte($0) }
            && !reservedDeviceNames.contains(id) && !looksHashed(id)
        if plain { return id }
        var readable = ""
        for scalar in id.unicodeScalars.prefix(32) {
            if scalar.isASCII, let byte = UInt8(exactly: scalar.value) {
                let lower = (byte >= 0x41 && byte <= 0x5A) ? byte + 32 : byte
                readable.unicodeScalars.append(isStemByte(lower) ? Unicode.Scalar(lower) : "_")
            } else {
                readable += "_"
            }
        }
        return readable + "-" + fingerprint(id)
    }

    private static func isStemByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F || byte == 0x2D
    }

    private static func looksHashed(_ stem: String) -> Bool {
        let bytes = Array(stem.utf8)
        guard bytes.count >= 17, bytes[bytes.count - 17] == 0x2D else { return false }
        return bytes.suffix(16).allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    private static let reservedDeviceNames: Set<String> = {
        var names: Set<String> = ["con", "prn", "aux", "nul"]
        for digit in 0...9 {
            names.insert("com\(digit)")
            names.insert("lpt\(digit)")
        }
        return names
    }()
}

extension Money {
    /// An axis or summary label: `display`, without the minor digits when they are all zero
    /// ("1.200 €" rather than "1.200,00 €"). In `display` the decimal separator appears once,
    /// right before the minor digits, and nowhere else (it is "," for it, whose grouping is ".";
    /// "." for en, whose grouping is ","), so removing that one occurrence is exact.
    func wholeDisplay(_ currency: Currency, locale: Money.DisplayLocale) -> String {
        let text = display(currency, locale: locale)
        guard currency.minorDigits > 0 else { return text }
        let separator = locale == .it ? "," : "."
        let zeros = separator + String(repeating: "0", count: currency.minorDigits)
        guard let range = text.firstRange(of: zeros) else { return text }
        var result = text
        result.replaceSubrange(range, with: "")
        return result
    }

    /// True when the amount is a whole number of major units.
    func isWhole(_ currency: Currency) -> Bool {
        var unit: Int64 = 1
        for _ in 0..<currency.minorDigits { unit *= 10 }
        return minorUnits % unit == 0
    }
}

enum MonthNames {
    static let english = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                          "November", "December"]
    static let short = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
}
