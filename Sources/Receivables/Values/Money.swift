/// Why a piece of text is not an amount of money.
public enum MoneyParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not of the form digits, optionally a point and more digits: "1e3", "abc", "", " 12",
    /// "12 ", "+1", ".5", "1.", "1,5", "007".
    case notADecimal(String)
    /// More digits after the point than the currency's minor unit has: "1220.505" for EUR.
    case tooManyMinorDigits(String, allowed: Int)
    /// A minus sign where only zero or positive amounts make sense: "-1", and "-0.00" too,
    /// because the sign shows the writer meant something negative.
    case negativeNotAllowed(String)
    /// A magnitude beyond what 64-bit minor units can hold.
    case overflow(String)

    public var description: String {
        switch self {
        case .notADecimal(let text):
            return "\(Self.quoted(text)) is not an amount; write it as a decimal string like \"1220.50\""
        case .tooManyMinorDigits(let text, let allowed):
            if allowed == 0 {
                return "\(Self.quoted(text)) has digits after the decimal point, but this currency has no "
                    + "minor unit; write a whole number like \"1220\""
            }
            let example = "1220." + String(repeating: "5", count: allowed)
            let digitWord = allowed == 1 ? "digit" : "digits"
            return "\(Self.quoted(text)) has too many digits after the decimal point; this currency allows "
                + "at most \(allowed) \(digitWord), like \"\(example)\""
        case .negativeNotAllowed(let text):
            return "\(Self.quoted(text)) is negative; this amount must be zero or more, like \"1220.50\""
        case .overflow(let text):
            return "\(Self.quoted(text)) is too large; amounts must stay within "
                + "9223372036854775807 minor units"
        }
    }
}

/// An exact amount in integer minor units of the store's single currency.
///
/// The currency is not stored in each amount: the store has exactly one, and carrying it
/// along would invite mixing checks that can never fail. Methods that turn amounts into or
/// out of text take the currency as an argument because only it knows the digit count.
public struct Money: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var minorUnits: Int64

    public init(minorUnits: Int64) {
        self.minorUnits = minorUnits
    }

    public static let zero = Money(minorUnits: 0)

    /// Reads a plain decimal amount: "1220", "1220.5", "1220.50" for EUR.
    ///
    /// The form is deliberately narrow so that every accepted text means exactly one amount
    /// and nothing locale-dependent slips in:
    /// - ASCII digits only, no grouping separators, no exponent, no "+" and no spaces;
    /// - the integer part is "0" or starts with a non-zero digit ("007" is rejected because
    ///   leading zeros usually mean a code or a typo, not an amount), and it is never empty;
    /// - a point only when at least one digit follows it, and at most `currency.minorDigits`
    ///   digits after it (so none for a currency without a minor unit, like JPY);
    /// - a leading "-" only when `allowNegative` is true.
    /// Magnitudes are limited to `Int64.max` minor units so that every parsed amount can be
    /// negated without trapping.
    public static func parse(
        _ text: String, currency: Currency, allowNegative: Bool = false
    ) throws(MoneyParseError) -> Money {
        let bytes = Array(text.utf8)
        var position = 0
        let isNegative = bytes.first == UInt8(ascii: "-")
        if isNegative { position = 1 }

        let integerStart = position
        while position < bytes.count, isAsciiDigit(bytes[position]) { position += 1 }
        let integerDigits = bytes[integerStart..<position]
        guard !integerDigits.isEmpty else { throw .notADecimal(text) }
        if integerDigits.count > 1, integerDigits.first == UInt8(ascii: "0") { throw .notADecimal(text) }

        var fractionDigits = bytes[position..<position]
        if position < bytes.count {
            guard bytes[position] == UInt8(ascii: ".") else { throw .notADecimal(text) }
            position += 1
            let fractionStart = position
            while position < bytes.count, isAsciiDigit(bytes[position]) { position += 1 }
            fractionDigits = bytes[fractionStart..<position]
            guard !fractionDigits.isEmpty, position == bytes.count else { throw .notADecimal(text) }
        }

        // The shape is right; what is left are reasons tied to this use, in order of how
        // fundamental they are to a reader fixing the text.
        if isNegative && !allowNegative { throw .negativeNotAllowed(text) }
        if fractionDigits.count > currency.minorDigits {
            throw .tooManyMinorDigits(text, allowed: currency.minorDigits)
        }

        var magnitude: Int64 = 0
        let paddedFraction = Array(fractionDigits)
            + Array(repeating: UInt8(ascii: "0"), count: currency.minorDigits - fractionDigits.count)
        for byte in Array(integerDigits) + paddedFraction {
            let (shifted, shiftOverflow) = magnitude.multipliedReportingOverflow(by: 10)
            let (added, addOverflow) = shifted.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            if shiftOverflow || addOverflow { throw .overflow(text) }
            magnitude = added
        }
        return Money(minorUnits: isNegative ? -magnitude : magnitude)
    }

    /// Canonical form with exactly minorDigits digits: "1220.50", "-3.00", "0.00"; JPY "1220".
    /// `parse` reads this form back to the same amount.
    public func canonical(_ currency: Currency) -> String {
        let (integerPart, fractionPart) = splitDigits(minorDigits: currency.minorDigits)
        let sign = minorUnits < 0 ? "-" : ""
        return fractionPart.isEmpty ? sign + integerPart : sign + integerPart + "." + fractionPart
    }

    /// Canonical form for two minor digits; for debugging output only, since it does not
    /// know the store's currency.
    public var description: String {
        canonical(.euro)
    }

    /// The sum, or nil when it would not fit in 64-bit minor units.
    public func adding(_ other: Money) -> Money? {
        let (result, overflow) = minorUnits.addingReportingOverflow(other.minorUnits)
        return overflow ? nil : Money(minorUnits: result)
    }

    /// The difference, or nil when it would not fit in 64-bit minor units.
    public func subtracting(_ other: Money) -> Money? {
        let (result, overflow) = minorUnits.subtractingReportingOverflow(other.minorUnits)
        return overflow ? nil : Money(minorUnits: result)
    }

    /// Traps on overflow: callers use it only on amounts already bounded by validation,
    /// where overflow would be a bug rather than bad input.
    /// The sum, or `AmountOverflow` when it would leave the range of 64-bit minor units.
    public func plus(_ other: Money) throws(AmountOverflow) -> Money {
        guard let sum = adding(other) else { throw AmountOverflow() }
        return sum
    }

    /// The difference, or `AmountOverflow` when it would leave the range of 64-bit minor units.
    public func minus(_ other: Money) throws(AmountOverflow) -> Money {
        guard let difference = subtracting(other) else { throw AmountOverflow() }
        return difference
    }

    public static func + (left: Money, right: Money) -> Money {
        Money(minorUnits: left.minorUnits + right.minorUnits)
    }

    public static func - (left: Money, right: Money) -> Money {
        Money(minorUnits: left.minorUnits - right.minorUnits)
    }

    public static func < (left: Money, right: Money) -> Bool {
        left.minorUnits < right.minorUnits
    }

    public var isZero: Bool { minorUnits == 0 }
    public var isPositive: Bool { minorUnits > 0 }
    public var isNegative: Bool { minorUnits < 0 }

    /// The conventions used to show amounts to people.
    public enum DisplayLocale: String, Sendable {
        case it
        case en
    }

    /// A human-readable amount with digit grouping and the currency sign:
    /// it "1.234,56 €" and "-1.234,56 €"; en "€1,234.56" and "-€1,234.56".
    /// Currencies without a sign use their code: it "1.234,56 CHF", en "CHF 1,234.56".
    /// The space before a trailing sign is a plain U+0020 rather than a no-break space so the
    /// text survives e-mail clients and terminals that mangle U+00A0.
    public func display(_ currency: Currency, locale: DisplayLocale) -> String {
        let (integerPart, fractionPart) = splitDigits(minorDigits: currency.minorDigits)
        let sign = minorUnits < 0 ? "-" : ""
        let groupSeparator: Character = locale == .it ? "." : ","
        let decimalSeparator = locale == .it ? "," : "."
        var number = grouped(integerPart, separator: groupSeparator)
        if !fractionPart.isEmpty { number += decimalSeparator + fractionPart }
        switch locale {
        case .it:
            return sign + number + " " + (currency.symbol ?? currency.code)
        case .en:
            if let symbol = currency.symbol { return sign + symbol + number }
            return sign + currency.code + " " + number
        }
    }

    /// The magnitude's digits split at the decimal point, the fraction padded to `minorDigits`.
    /// Works on the unsigned magnitude so that `Int64.min` prints instead of trapping.
    private func splitDigits(minorDigits: Int) -> (integerPart: String, fractionPart: String) {
        var digits = String(minorUnits.magnitude)
        if digits.count <= minorDigits {
            digits = String(repeating: "0", count: minorDigits - digits.count + 1) + digits
        }
        let integerPart = String(digits.dropLast(minorDigits))
        let fractionPart = String(digits.suffix(minorDigits))
        return (integerPart, fractionPart)
    }

    private func grouped(_ digits: String, separator: Character) -> String {
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result.append(separator) }
            result.append(digit)
        }
        return result
    }
}

extension Money {
    fileprivate static func isAsciiDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}

extension MoneyParseError {
    fileprivate static func quoted(_ text: String) -> String { TextEscaping.quoted(text) }
}

/// A sum of amounts beyond what 64-bit minor units hold (about 92 quadrillion euros): refused,
/// never wrapped or trapped.
public struct AmountOverflow: Error, Sendable, Equatable, CustomStringConvertible {
    public init() {}
    public var description: String { "the amounts would add up to more than the largest amount the store can hold" }
}
