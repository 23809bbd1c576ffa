import EventLog
import Receivables
import XCTest

final class DayTests: XCTestCase {
    private func day(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Day {
        guard let day = Day(iso: text) else {
            XCTFail("\(text) is not a date", file: file, line: line)
            return Day(daysSinceEpoch: 0)
        }
        return day
    }

    private func instant(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Timestamp {
        guard let instant = Timestamp(rfc3339: text) else {
            XCTFail("\(text) is not an instant", file: file, line: line)
            return Timestamp(millisecondsSinceEpoch: 0)
        }
        return instant
    }

    // MARK: Construction

    func testEpochAndParts() {
        XCTAssertEqual(Day(year: 1970, month: 1, day: 1)?.daysSinceEpoch, 0)
        XCTAssertEqual(Day(daysSinceEpoch: -1).description, "1969-12-31")
        let date = day("2026-02-15")
        XCTAssertEqual(date.year, 2026)
        XCTAssertEqual(date.month, 2)
        XCTAssertEqual(date.day, 15)
        XCTAssertEqual(date.description, "2026-02-15")
        XCTAssertEqual(Day(year: 2026, month: 2, day: 15), date)
        XCTAssertEqual(Day(year: 1, month: 1, day: 1)?.description, "0001-01-01")
        XCTAssertEqual(Day(year: 9999, month: 12, day: 31)?.description, "9999-12-31")
    }

    func testInvalidDatesAreRejected() {
        XCTAssertNil(Day(year: 2026, month: 2, day: 30))
        XCTAssertNil(Day(year: 2026, month: 2, day: 29))
        XCTAssertNil(Day(year: 2100, month: 2, day: 29))
        XCTAssertNil(Day(year: 2026, month: 13, day: 1))
        XCTAssertNil(Day(year: 2026, month: 0, day: 1))
        XCTAssertNil(Day(year: 2026, month: 4, day: 31))
        XCTAssertNil(Day(year: 2026, month: 1, day: 0))
        XCTAssertNil(Day(year: 0, month: 1, day: 1))
        XCTAssertNil(Day(year: 10_000, month: 1, day: 1))
        XCTAssertNotNil(Day(year: 2024, month: 2, day: 29))
        XCTAssertNotNil(Day(year: 2000, month: 2, day: 29))
        for text in [
            "2026-02-30", "2026-13-01", "2026-2-3", "2026-02-3", "26-02-03", "2026/02/03", "2026-02-03T00:00",
            " 2026-02-03", "2026-02-03 ", "", "0000-01-01", "+2026-02-03", "２０２６-02-03", "2026-0a-03",
            "20260203", "2026--2-03",
        ] {
            XCTAssertNil(Day(iso: text), text.debugDescription)
        }
    }

    func testISOTextRoundTripsForEveryDayOfFourCenturies() {
        var current = day("1900-01-01")
        let last = day("2300-12-31")
        while current <= last {
            XCTAssertEqual(Day(iso: current.description), current)
            current = current.adding(days: 1)
        }
    }

    // MARK: Arithmetic

    func testAddingDaysAcrossMonthsAndYears() {
        XCTAssertEqual(day("2025-12-31").adding(days: 1), day("2026-01-01"))
        XCTAssertEqual(day("2026-01-01").adding(days: -1), day("2025-12-31"))
        XCTAssertEqual(day("2026-02-15").adding(days: 30), day("2026-03-17"))
        XCTAssertEqual(day("2024-02-28").adding(days: 1), day("2024-02-29"))
        XCTAssertEqual(day("2024-02-29").adding(days: 1), day("2024-03-01"))
        XCTAssertEqual(day("2026-01-01").adding(days: 365), day("2027-01-01"))
        XCTAssertEqual(day("2024-01-01").adding(days: 366), day("2025-01-01"))
        XCTAssertEqual(day("2026-11-15").adding(days: 60), day("2027-01-14"))
        XCTAssertEqual(day("2000-01-01").adding(days: 36_525), day("2100-01-01"))
        XCTAssertEqual(day("2026-02-15").days(to: day("2026-03-17")), 30)
        XCTAssertEqual(day("2026-03-17").days(to: day("2026-02-15")), -30)
        XCTAssertEqual(day("2026-01-01").days(to: day("2026-01-01")), 0)
    }

    func testStrideable() {
        let start = day("2026-02-27")
        let end = day("2026-03-02")
        XCTAssertEqual(Array(start...end).map(\.description), ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"])
        XCTAssertEqual(start.distance(to: end), 3)
        XCTAssertEqual(start.advanced(by: 3), end)
        XCTAssertEqual(Array(stride(from: start, to: end, by: 2)).count, 2)
        XCTAssertLessThan(start, end)
    }

    // MARK: Weeks and months

    func testWeekday() {
        XCTAssertEqual(day("1970-01-01").weekday, 4)
        XCTAssertEqual(day("1969-12-29").weekday, 1)
        XCTAssertEqual(day("2026-02-16").weekday, 1)
        XCTAssertEqual(day("2026-02-15").weekday, 7)
        XCTAssertEqual(day("2000-01-01").weekday, 6)
        XCTAssertEqual(day("1900-01-01").weekday, 1)
    }

    func testISOWeeksAcrossYearBoundaries() {
        let cases: [(String, Int, Int, String)] = [
            ("2020-12-31", 2020, 53, "2020-W53"),
            ("2021-01-04", 2021, 1, "2021-W01"),
            ("2021-01-03", 2020, 53, "2020-W53"),
            ("2024-12-30", 2025, 1, "2025-W01"),
            ("2026-01-01", 2026, 1, "2026-W01"),
            ("2026-02-15", 2026, 7, "2026-W07"),
            ("2026-12-31", 2026, 53, "2026-W53"),
            ("2027-01-03", 2026, 53, "2026-W53"),
            ("2027-01-04", 2027, 1, "2027-W01"),
            ("2008-12-29", 2009, 1, "2009-W01"),
            ("2010-01-03", 2009, 53, "2009-W53"),
        ]
        for (text, year, week, key) in cases {
            let date = day(text)
            XCTAssertEqual(date.isoWeek.year, year, text)
            XCTAssertEqual(date.isoWeek.week, week, text)
            XCTAssertEqual(date.isoWeekKey, key, text)
        }
    }

    func testISOWeeksChangeOnlyOnMondaysAndCountUp() {
        var current = day("1999-12-27")  // a Monday, in 1999-W52
        var previous = current.isoWeek
        XCTAssertEqual(previous.year, 1999)
        XCTAssertEqual(previous.week, 52)
        let last = day("2101-01-01")
        while current < last {
            current = current.adding(days: 1)
            let week = current.isoWeek
            if current.weekday == 1 {
                let continues = week.year == previous.year && week.week == previous.week + 1
                let newYear = week.year == previous.year + 1 && week.week == 1 && previous.week >= 52
                XCTAssertTrue(continues || newYear, "\(current): \(previous) -> \(week)")
            } else {
                XCTAssertTrue(week == previous, "\(current): \(previous) -> \(week)")
            }
            previous = week
        }
    }

    func testWeekBounds() {
        let sunday = day("2026-02-15")
        XCTAssertEqual(sunday.startOfISOWeek, day("2026-02-09"))
        XCTAssertEqual(sunday.endOfISOWeek, day("2026-02-15"))
        let monday = day("2026-02-16")
        XCTAssertEqual(monday.startOfISOWeek, monday)
        XCTAssertEqual(monday.endOfISOWeek, day("2026-02-22"))
        XCTAssertEqual(day("2021-01-01").startOfISOWeek, day("2020-12-28"))
        XCTAssertEqual(day("2020-12-31").endOfISOWeek, day("2021-01-03"))
    }

    func testMonthBoundsIncludingLeapYears() {
        XCTAssertEqual(day("2026-02-15").startOfMonth, day("2026-02-01"))
        XCTAssertEqual(day("2026-02-15").endOfMonth, day("2026-02-28"))
        XCTAssertEqual(day("2024-02-10").endOfMonth, day("2024-02-29"))
        XCTAssertEqual(day("2100-02-10").endOfMonth, day("2100-02-28"))
        XCTAssertEqual(day("2000-02-10").endOfMonth, day("2000-02-29"))
        XCTAssertEqual(day("2026-12-31").startOfMonth, day("2026-12-01"))
        XCTAssertEqual(day("2026-12-01").endOfMonth, day("2026-12-31"))
        XCTAssertEqual(day("2026-04-30").endOfMonth, day("2026-04-30"))
        XCTAssertEqual(day("2026-04-01").endOfMonth, day("2026-04-30"))
        XCTAssertEqual(day("2026-02-15").monthKey, "2026-02")
        XCTAssertEqual(day("0987-11-05").monthKey, "0987-11")
    }

    // MARK: Formatting

    func testFormatted() {
        XCTAssertEqual(day("2026-02-15").formatted(.it), "15/02/2026")
        XCTAssertEqual(day("2026-02-15").formatted(.en), "2026-02-15")
        XCTAssertEqual(day("0005-01-09").formatted(.it), "09/01/0005")
    }

    // MARK: Time zones

    func testTimeZoneRuleValidation() {
        XCTAssertEqual(TimeZoneRule(identifier: "Europe/Rome")?.identifier, "Europe/Rome")
        XCTAssertEqual(TimeZoneRule.rome.identifier, "Europe/Rome")
        XCTAssertEqual(TimeZoneRule(identifier: "UTC")?.identifier, "UTC")
        XCTAssertNotNil(TimeZoneRule(identifier: "America/New_York"))
        XCTAssertNil(TimeZoneRule(identifier: "CET"))
        XCTAssertNil(TimeZoneRule(identifier: "EST"))
        XCTAssertNil(TimeZoneRule(identifier: "GMT"))
        XCTAssertNil(TimeZoneRule(identifier: "Europe/Atlantis"))
        XCTAssertNil(TimeZoneRule(identifier: "europe/rome"))
        XCTAssertNil(TimeZoneRule(identifier: ""))
        XCTAssertNil(TimeZoneRule(identifier: "/"))
        XCTAssertEqual(TimeZoneRule(identifier: "Europe/Rome"), TimeZoneRule.rome)
    }

    func testOffsetsFollowDaylightSavingTimeInRome() {
        let rome = TimeZoneRule.rome
        XCTAssertEqual(rome.secondsFromUTC(at: instant("2026-01-15T12:00:00Z")), 3600)
        XCTAssertEqual(rome.secondsFromUTC(at: instant("2026-07-15T12:00:00Z")), 7200)
        XCTAssertEqual(rome.secondsFromUTC(at: instant("2026-03-29T00:59:59.999Z")), 3600)
        XCTAssertEqual(rome.secondsFromUTC(at: instant("2026-03-29T01:00:00.000Z")), 7200)
        XCTAssertEqual(rome.secondsFromUTC(at: instant("2026-10-25T00:59:59.999Z")), 7200)
        XCTAssertEqual(rome.secondsFromUTC(at: instant("2026-10-25T01:00:00.000Z")), 3600)
        XCTAssertEqual(TimeZoneRule(identifier: "UTC")?.secondsFromUTC(at: instant("2026-07-15T12:00:00Z")), 0)
    }

    func testDayOfAnInstantInRomeAroundDaylightSavingTime() {
        let rome = TimeZoneRule.rome
        // Spring forward: 01:59:59.999 CET, still the 29th.
        XCTAssertEqual(Day.of(instant("2026-03-29T00:59:59.999Z"), in: rome), day("2026-03-29"))
        // Midnight CET starts the 29th.
        XCTAssertEqual(Day.of(instant("2026-03-28T23:00:00.000Z"), in: rome), day("2026-03-29"))
        XCTAssertEqual(Day.of(instant("2026-03-28T22:59:59.999Z"), in: rome), day("2026-03-28"))
        // Midnight CEST starts the 25th, the day the clocks go back.
        XCTAssertEqual(Day.of(instant("2026-10-24T22:00:00.000Z"), in: rome), day("2026-10-25"))
        XCTAssertEqual(Day.of(instant("2026-10-24T21:59:59.999Z"), in: rome), day("2026-10-24"))
        // Midnight CET, after the change, starts the 26th.
        XCTAssertEqual(Day.of(instant("2026-10-25T23:00:00.000Z"), in: rome), day("2026-10-26"))
        XCTAssertEqual(Day.of(instant("2026-10-25T22:59:59.999Z"), in: rome), day("2026-10-25"))
    }

    func testDayOfAnInstantInNewYork() throws {
        let newYork = try XCTUnwrap(TimeZoneRule(identifier: "America/New_York"))
        // 23:59:59.999 EST on 15 January is already the 16th in UTC.
        XCTAssertEqual(Day.of(instant("2026-01-16T04:59:59.999Z"), in: newYork), day("2026-01-15"))
        XCTAssertEqual(Day.of(instant("2026-01-16T05:00:00.000Z"), in: newYork), day("2026-01-16"))
        // In summer the offset is -4 hours.
        XCTAssertEqual(Day.of(instant("2026-07-16T03:59:59.999Z"), in: newYork), day("2026-07-15"))
        XCTAssertEqual(Day.of(instant("2026-07-16T04:00:00.000Z"), in: newYork), day("2026-07-16"))
        // The year changes at local midnight, not UTC midnight.
        XCTAssertEqual(Day.of(instant("2027-01-01T04:30:00Z"), in: newYork), day("2026-12-31"))
    }

    func testDayOfInstantsBeforeTheEpochInUTC() throws {
        let utc = try XCTUnwrap(TimeZoneRule(identifier: "UTC"))
        XCTAssertEqual(Day.of(Timestamp(millisecondsSinceEpoch: -1), in: utc), day("1969-12-31"))
        XCTAssertEqual(Day.of(Timestamp(millisecondsSinceEpoch: 0), in: utc), day("1970-01-01"))
        XCTAssertEqual(Day.of(Timestamp(millisecondsSinceEpoch: -86_400_000), in: utc), day("1969-12-31"))
        XCTAssertEqual(Day.of(Timestamp(millisecondsSinceEpoch: -86_400_001), in: utc), day("1969-12-30"))
        // Sentinel instants far outside any calendar still give a day instead of trapping.
        XCTAssertEqual(Day.of(Timestamp(millisecondsSinceEpoch: .min), in: .rome).daysSinceEpoch, Int32.min)
        XCTAssertEqual(Day.of(Timestamp(millisecondsSinceEpoch: .max), in: .rome).daysSinceEpoch, Int32.max)
    }
}
