// Timestamps are parsed and printed by hand rather than with Foundation's
// date formatters: the log's text form must be byte-for-byte stable across
// platforms and Foundation versions, and the rules here are small enough to
// state exactly.

/// An instant with millisecond precision, as the log records it: "2026-01-15T09:00:00.000Z".
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// The instant at a UTC civil date and time, or nil when any part is out of range.
    /// Years are limited to 0...9999 so that every such instant prints back in the same four-digit form.
    public init?(
        year: Int, month: Int, day: Int,
        hour: Int = 0, minute: Int = 0, second: Int = 0, millisecond: Int = 0
    ) {
        guard (0...9999).contains(year),
            CivilCalendar.isValidDate(year: year, month: month, day: day),
            (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second),
            (0...999).contains(millisecond)
        else { return nil }
        let days = CivilCalendar.daysFromCivil(year: Int64(year), month: month, day: day)
        let secondsOfDay = Int64(hour * 3600 + minute * 60 + second)
        self.millisecondsSinceEpoch = (days * 86_400 + secondsOfDay) * 1000 + Int64(millisecond)
    }

    /// Accepts RFC 3339: "2026-01-15T09:00:00Z", with 1 to 9 fraction digits (truncated to ms),
    /// "Z" or "+01:00"/"-05:30" offsets, 'T' or 't'. Rejects anything else (returns nil),
    /// including invalid dates like 2026-02-30 and hours > 23.
    ///
    /// A lower-case "z" is accepted too, because RFC 3339 (section 5.6) allows it alongside "t".
    /// Leap seconds (":60") are rejected: a count of milliseconds since the epoch cannot name them.
    public init?(rfc3339 text: String) {
        var reader = AsciiReader(text)
        guard let year = reader.number(digits: 4), reader.skip("-"),
            let month = reader.number(digits: 2), reader.skip("-"),
            let day = reader.number(digits: 2),
            reader.skip("T") || reader.skip("t"),
            let hour = reader.number(digits: 2), reader.skip(":"),
            let minute = reader.number(digits: 2), reader.skip(":"),
            let second = reader.number(digits: 2)
        else { return nil }

        var millisecond = 0
        if reader.skip(".") {
            var fractionDigits = 0
            while let digit = reader.digit() {
                fractionDigits += 1
                if fractionDigits <= 3 { millisecond = millisecond * 10 + digit }
            }
            guard (1...9).contains(fractionDigits) else { return nil }
            while fractionDigits < 3 {
                millisecond *= 10
                fractionDigits += 1
            }
        }

        let offsetSeconds: Int
        if reader.skip("Z") || reader.skip("z") {
            offsetSeconds = 0
        } else {
            let sign: Int
            if reader.skip("+") {
                sign = 1
            } else if reader.skip("-") {
                sign = -1
            } else {
                return nil
            }
            guard let offsetHour = reader.number(digits: 2), reader.skip(":"),
                let offsetMinute = reader.number(digits: 2),
                (0...23).contains(offsetHour), (0...59).contains(offsetMinute)
            else { return nil }
            offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60)
        }
        guard reader.isAtEnd,
            let local = Timestamp(
                year: year, month: month, day: day,
                hour: hour, minute: minute, second: second, millisecond: millisecond)
        else { return nil }
        // The text names local time at the offset, so UTC is local time minus the offset; an
        // offset must not carry the instant out of years 0000–9999, which nothing could print.
        let instant = local.millisecondsSinceEpoch - Int64(offsetSeconds) * 1000
        guard instant >= Self.earliestMilliseconds && instant <= Self.latestMilliseconds else { return nil }
        self.millisecondsSinceEpoch = instant
    }

    /// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the instants the form can write.
    static let earliestMilliseconds: Int64 = -62_167_219_200_000
    static let latestMilliseconds: Int64 = 253_402_300_799_999

    /// The proleptic-Gregorian UTC civil date and time parts, computed without Foundation
    /// (days-from-civil algorithm).
    public var utcParts: CivilDateTime {
        let (days, millisecondOfDay) = Timestamp.floorDivision(millisecondsSinceEpoch, 86_400_000)
        let date = CivilCalendar.civilFromDays(days)
        let millisecondOfDayInt = Int(millisecondOfDay)
        return CivilDateTime(
            year: date.year, month: date.month, day: date.day,
            hour: millisecondOfDayInt / 3_600_000,
            minute: millisecondOfDayInt / 60_000 % 60,
            second: millisecondOfDayInt / 1000 % 60,
            millisecond: millisecondOfDayInt % 1000)
    }

    /// Always "YYYY-MM-DDTHH:MM:SS.sssZ" (UTC, exactly 3 fraction digits).
    /// Instants outside years 0...9999 cannot come from parsing; they print with a longer or
    /// signed year rather than being clamped, so that nothing prints as a different instant.
    public var description: String {
        let parts = utcParts
        if (0...9999).contains(parts.year) {
            // The usual case, written straight into its 24 bytes: every record's recordedAt
            // is printed as it is appended.
            return String(unsafeUninitializedCapacity: 24) { buffer in
                let fields = [(parts.year, 4), (parts.month, 2), (parts.day, 2), (parts.hour, 2), (parts.minute, 2),
                              (parts.second, 2), (parts.millisecond, 3)]
                let separators = Array("--T::.Z".utf8)
                var offset = 0
                for (index, (value, width)) in fields.enumerated() {
                    var rest = value
                    for position in stride(from: offset + width - 1, through: offset, by: -1) {
                        buffer[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                        rest /= 10
                    }
                    buffer[offset + width] = separators[index]
                    offset += width + 1
                }
                return 24
            }
        }
        let yearText: String
        if parts.year < 0 {
            yearText = "-" + Self.zeroPadded(-parts.year, width: 4)
        } else {
            yearText = Self.zeroPadded(parts.year, width: 4)
        }
        let month = Self.zeroPadded(parts.month, width: 2)
        let day = Self.zeroPadded(parts.day, width: 2)
        let hour = Self.zeroPadded(parts.hour, width: 2)
        let minute = Self.zeroPadded(parts.minute, width: 2)
        let second = Self.zeroPadded(parts.second, width: 2)
        let millisecond = Self.zeroPadded(parts.millisecond, width: 3)
        return "\(yearText)-\(month)-\(day)T\(hour):\(minute):\(second).\(millisecond)Z"
    }

    public static func < (left: Timestamp, right: Timestamp) -> Bool {
        left.millisecondsSinceEpoch < right.millisecondsSinceEpoch
    }
}

/// A UTC civil date and time, as broken out of a ``Timestamp``.
public struct CivilDateTime: Sendable, Hashable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    public var millisecond: Int

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.millisecond = millisecond
    }
}

/// Conversions between proleptic-Gregorian civil dates and days since 1970-01-01.
///
/// These are Howard Hinnant's days-from-civil and civil-from-days algorithms: they work in
/// 400-year eras (which repeat exactly) and start the year in March so that the leap day falls
/// at the end, which keeps the arithmetic branch-free and exact for any year, negative included.
public enum CivilCalendar {
    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public static func isValidDate(year: Int, month: Int, day: Int) -> Bool {
        (1...12).contains(month) && day >= 1 && day <= daysInMonth(year: year, month: month)
    }

    /// Days since 1970-01-01 of a valid civil date.
    public static func daysFromCivil(year: Int64, month: Int, day: Int) -> Int64 {
        let marchBasedYear = month <= 2 ? year - 1 : year
        let era = (marchBasedYear >= 0 ? marchBasedYear : marchBasedYear - 399) / 400
        let yearOfEra = marchBasedYear - era * 400
        let monthFromMarch = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a count of days since 1970-01-01.
    public static func civilFromDays(_ days: Int64) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }
}

// Helpers live inside the type so they cannot clash with names elsewhere in the module.
extension Timestamp {
    /// Quotient rounded toward negative infinity and a remainder that is never negative,
    /// so instants before 1970 fall on the right day.
    fileprivate static func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }

    fileprivate static func zeroPadded(_ value: Int, width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Reads ASCII bytes one at a time; any non-ASCII byte simply fails to match, which is how
    /// look-alike digits and other Unicode are rejected.
    fileprivate struct AsciiReader {
        private let bytes: [UInt8]
        private var position = 0

        init(_ text: String) {
            bytes = Array(text.utf8)
        }

        var isAtEnd: Bool { position == bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard position < bytes.count, bytes[position] == UInt8(character.value) else { return false }
            position += 1
            return true
        }

        mutating func digit() -> Int? {
            guard position < bytes.count, (0x30...0x39).contains(bytes[position]) else { return nil }
            defer { position += 1 }
            return Int(bytes[position] - 0x30)
        }

        /// Exactly `digits` decimal digits.
        mutating func number(digits: Int) -> Int? {
            var value = 0
            for _ in 0..<digits {
                guard let next = digit() else { return nil }
                value = value * 10 + next
            }
            return value
        }
    }
}
