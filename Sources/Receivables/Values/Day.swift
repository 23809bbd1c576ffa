import EventLog
// Only `TimeZoneRule` below uses Foundation, for the zone rules database; `Day` itself is
// plain arithmetic so that its results never depend on the platform's calendar settings.
import Foundation
import Synchronization

/// A civil (calendar) date without a zone.
///
/// Deadlines, reports and reminders are about dates as the store's people see them, not
/// instants, so they are counted in whole days; a day is turned into or out of an instant
/// only through a `TimeZoneRule`.
public struct Day: Sendable, Hashable, Comparable, CustomStringConvertible, Strideable {
    /// Days since 1970-01-01, which is 0.
    public var daysSinceEpoch: Int32

    public init(daysSinceEpoch: Int32) {
        self.daysSinceEpoch = daysSinceEpoch
    }

    /// Nil for dates that do not exist (2026-02-30, month 13) and for years outside 1...9999,
    /// which have no four-digit form.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), CivilCalendar.isValidDate(year: year, month: month, day: day)
        else { return nil }
        let days = CivilCalendar.daysFromCivil(year: Int64(year), month: month, day: day)
        self.daysSinceEpoch = Int32(days)
    }

    /// Exactly "YYYY-MM-DD" with ASCII digits; "2026-2-3" and "2026-02-03T00:00" are rejected
    /// so that a stored date has a single spelling.
    public init?(iso text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = Day.decimal(bytes[0..<4]),
            let month = Day.decimal(bytes[5..<7]),
            let day = Day.decimal(bytes[8..<10])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    private var civil: (year: Int, month: Int, day: Int) {
        CivilCalendar.civilFromDays(Int64(daysSinceEpoch))
    }

    public var year: Int { civil.year }
    public var month: Int { civil.month }
    public var day: Int { civil.day }

    /// "2026-02-15". Days outside years 1...9999 (reachable only through `init(daysSinceEpoch:)`)
    /// print with a longer or signed year rather than a wrong one.
    public var description: String {
        let (year, month, day) = civil
        return "\(Day.yearText(year))-\(Day.twoDigits(month))-\(Day.twoDigits(day))"
    }

    /// Traps when the result leaves the 32-bit range (about 5.8 million years), which no
    /// real deadline arithmetic comes near.
    public func adding(days: Int) -> Day {
        Day(daysSinceEpoch: Int32(Int(daysSinceEpoch) + days))
    }

    /// Days from `self` to `other`: positive when `other` is later.
    public func days(to other: Day) -> Int {
        Int(other.daysSinceEpoch) - Int(daysSinceEpoch)
    }

    /// ISO weekday: Monday 1 ... Sunday 7.
    public var weekday: Int {
        // 1970-01-01 was a Thursday (ISO 4); the modulo is floored so earlier days work too.
        let offset = (Int(daysSinceEpoch) + 3) % 7
        return (offset < 0 ? offset + 7 : offset) + 1
    }

    /// ISO 8601 week-numbering year and week. A week belongs to the year that holds its
    /// Thursday, so 2021-01-03 is in (2020, 53) and 2024-12-30 is in (2025, 1).
    public var isoWeek: (year: Int, week: Int) {
        let thursday = adding(days: 4 - weekday)
        let firstOfYear = CivilCalendar.daysFromCivil(year: Int64(thursday.year), month: 1, day: 1)
        return (thursday.year, Int(Int64(thursday.daysSinceEpoch) - firstOfYear) / 7 + 1)
    }

    /// "2026-W07".
    public var isoWeekKey: String {
        let (year, week) = isoWeek
        return "\(Day.yearText(year))-W\(Day.twoDigits(week))"
    }

    /// "2026-02".
    public var monthKey: String {
        let (year, month, _) = civil
        return "\(Day.yearText(year))-\(Day.twoDigits(month))"
    }

    /// The Monday of this ISO week.
    public var startOfISOWeek: Day { adding(days: 1 - weekday) }
    /// The Sunday of this ISO week.
    public var endOfISOWeek: Day { adding(days: 7 - weekday) }

    public var startOfMonth: Day { adding(days: 1 - day) }

    public var endOfMonth: Day {
        let (year, month, day) = civil
        return adding(days: CivilCalendar.daysInMonth(year: year, month: month) - day)
    }

    /// The civil date of an instant in a time zone: the date a clock on the wall there shows.
    public static func of(_ instant: Timestamp, in timeZone: TimeZoneRule) -> Day {
        let offsetMilliseconds = Int64(timeZone.secondsFromUTC(at: instant)) * 1000
        let (local, overflow) = instant.millisecondsSinceEpoch.addingReportingOverflow(offsetMilliseconds)
        // Only instants hundreds of millions of years away overflow; pinning them keeps this total.
        let localMilliseconds = overflow ? (offsetMilliseconds > 0 ? Int64.max : Int64.min) : local
        var days = localMilliseconds / 86_400_000
        if localMilliseconds % 86_400_000 < 0 { days -= 1 }
        return Day(daysSinceEpoch: Int32(clamping: days))
    }

    /// How dates are shown to people: it "15/02/2026", en "2026-02-15" (ISO, which English
    /// readers in any country read the same way).
    public func formatted(_ locale: Money.DisplayLocale) -> String {
        switch locale {
        case .it:
            let (year, month, day) = civil
            return "\(Day.twoDigits(day))/\(Day.twoDigits(month))/\(Day.yearText(year))"
        case .en:
            return description
        }
    }

    public static func < (left: Day, right: Day) -> Bool {
        left.daysSinceEpoch < right.daysSinceEpoch
    }

    public func distance(to other: Day) -> Int {
        days(to: other)
    }

    public func advanced(by count: Int) -> Day {
        adding(days: count)
    }

    private static func decimal(_ bytes: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    private static func yearText(_ year: Int) -> String {
        let digits = String(year.magnitude)
        let padded = String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        return year < 0 ? "-" + padded : padded
    }
}

/// A validated IANA time zone, such as "Europe/Rome".
///
/// Only region names ("Area/Location") and "UTC" are accepted: abbreviations like "CET" or
/// "EST" name fixed offsets or differ between systems, and a store configured with one would
/// silently get daylight saving time wrong.
public struct TimeZoneRule: Sendable, Hashable {
    public let identifier: String
    private let timeZone: TimeZone

    /// Nil unless the name contains "/" or is exactly "UTC", and the zone database knows it.
    public init?(identifier: String) {
        if let known = Self.resolved.withLock({ $0[identifier] }) {
            self = known
            return
        }
        guard identifier.contains("/") || identifier == "UTC",
            let timeZone = TimeZone(identifier: identifier)
        else { return nil }
        self.identifier = identifier
        self.timeZone = timeZone
        Self.resolved.withLock { $0[identifier] = self }
    }

    /// The zones already looked up: every read of a store's settings names its zone, and asking
    /// Foundation's zone database again was a tenth of a credit check. At most the database's
    /// few hundred names, as only the zones it knows are kept.
    private static let resolved = Mutex<[String: TimeZoneRule]>([:])

    /// Europe/Rome, the default. The zone database ships with Foundation's ICU data, so a
    /// missing Rome would mean a broken installation, not bad input.
    public static let rome = TimeZoneRule(identifier: "Europe/Rome")!

    /// The zone's offset from UTC in effect at the instant, daylight saving time included.
    public func secondsFromUTC(at instant: Timestamp) -> Int {
        // Offsets change only on whole seconds, so flooring to the second is exact and keeps
        // floating-point rounding away from the last millisecond before a transition.
        var seconds = instant.millisecondsSinceEpoch / 1000
        if instant.millisecondsSinceEpoch % 1000 < 0 { seconds -= 1 }
        return timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    public static func == (left: TimeZoneRule, right: TimeZoneRule) -> Bool {
        left.identifier == right.identifier
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(identifier)
    }
}
