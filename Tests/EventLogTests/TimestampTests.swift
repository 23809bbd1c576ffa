import EventLog
import XCTest

final class TimestampTests: XCTestCase {
    /// SplitMix64: tiny, fast and fully determined by its seed, so a failing random case can be
    /// replayed by putting the printed seed back.
    private struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            return mixed ^ (mixed >> 31)
        }
    }

    private func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    func testParsesUTCAndPrintsCanonicalForm() throws {
        let timestamp = try XCTUnwrap(Timestamp(rfc3339: "2026-01-15T09:00:00Z"))
        XCTAssertEqual(timestamp.millisecondsSinceEpoch, 1_768_467_600_000)
        XCTAssertEqual(timestamp.description, "2026-01-15T09:00:00.000Z")
        XCTAssertEqual("\(timestamp)", "2026-01-15T09:00:00.000Z")
    }

    func testEpochAndInstantsBeforeIt() {
        XCTAssertEqual(Timestamp(millisecondsSinceEpoch: 0).description, "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(Timestamp(millisecondsSinceEpoch: -1).description, "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(Timestamp(millisecondsSinceEpoch: -86_400_000).description, "1969-12-31T00:00:00.000Z")
        XCTAssertEqual(Timestamp(rfc3339: "1969-12-31T23:59:59.999Z")?.millisecondsSinceEpoch, -1)
    }

    func testExtremeInstantsPrintWithoutTrapping() {
        // The log uses Int64.min as a "before everything" sentinel; printing it must not trap.
        XCTAssertEqual(Timestamp(millisecondsSinceEpoch: .min).description, "-292275055-05-16T16:47:04.192Z")
        XCTAssertEqual(Timestamp(millisecondsSinceEpoch: .max).description, "292278994-08-17T07:12:55.807Z")
        XCTAssertNil(Timestamp(rfc3339: Timestamp(millisecondsSinceEpoch: .min).description))
    }

    func testRangeOfFourDigitYears() {
        XCTAssertEqual(Timestamp(rfc3339: "0001-01-01T00:00:00Z")?.millisecondsSinceEpoch, -62_135_596_800_000)
        XCTAssertEqual(Timestamp(rfc3339: "9999-12-31T23:59:59.999Z")?.millisecondsSinceEpoch, 253_402_300_799_999)
        XCTAssertEqual(Timestamp(rfc3339: "0000-01-01T00:00:00Z")?.description, "0000-01-01T00:00:00.000Z")
    }

    func testOffsetsAreConvertedToUTC() {
        let expected = Timestamp(rfc3339: "2026-01-15T09:00:00Z")
        XCTAssertNotNil(expected)
        XCTAssertEqual(Timestamp(rfc3339: "2026-01-15T10:00:00+01:00"), expected)
        XCTAssertEqual(Timestamp(rfc3339: "2026-01-15T03:30:00-05:30"), expected)
        XCTAssertEqual(Timestamp(rfc3339: "2026-01-15T09:00:00+00:00"), expected)
        XCTAssertEqual(Timestamp(rfc3339: "2026-01-15T09:00:00-00:00"), expected)
        XCTAssertEqual(Timestamp(rfc3339: "2026-01-15T23:59:00+23:59")?.description, "2026-01-15T00:00:00.000Z")
        // An offset can move the instant to another UTC date, and across a year.
        XCTAssertEqual(
            Timestamp(rfc3339: "2026-01-01T00:30:00+01:00")?.description, "2025-12-31T23:30:00.000Z")
        XCTAssertEqual(
            Timestamp(rfc3339: "2025-12-31T20:00:00-05:00")?.description, "2026-01-01T01:00:00.000Z")
    }

    func testFractionsAreTruncatedToMilliseconds() {
        XCTAssertEqual(Timestamp(rfc3339: "2026-01-15T09:00:00.1Z")?.description, "2026-01-15T09:00:00.100Z")
        XCTAssertEqual(Timestamp(rfc3339: "2026-01-15T09:00:00.12Z")?.description, "2026-01-15T09:00:00.120Z")
        XCTAssertEqual(Timestamp(rfc3339: "2026-01-15T09:00:00.123Z")?.description, "2026-01-15T09:00:00.123Z")
        XCTAssertEqual(Timestamp(rfc3339: "2026-01-15T09:00:00.9999Z")?.description, "2026-01-15T09:00:00.999Z")
        XCTAssertEqual(
            Timestamp(rfc3339: "2026-01-15T09:00:00.123456789Z")?.description, "2026-01-15T09:00:00.123Z")
        XCTAssertEqual(
            Timestamp(rfc3339: "2026-01-15T09:00:00.999999999+01:00")?.description, "2026-01-15T08:00:00.999Z")
    }

    func testLowerCaseSeparatorsAreAccepted() {
        let expected = Timestamp(rfc3339: "2026-01-15T09:00:00Z")
        XCTAssertEqual(Timestamp(rfc3339: "2026-01-15t09:00:00Z"), expected)
        XCTAssertEqual(Timestamp(rfc3339: "2026-01-15t09:00:00z"), expected)
    }

    func testLeapDays() {
        XCTAssertNotNil(Timestamp(rfc3339: "2024-02-29T12:00:00Z"))
        XCTAssertNotNil(Timestamp(rfc3339: "2000-02-29T12:00:00Z"))
        XCTAssertNil(Timestamp(rfc3339: "2100-02-29T12:00:00Z"))
        XCTAssertNil(Timestamp(rfc3339: "2026-02-29T12:00:00Z"))
    }

    func testRejectsEverythingElse() {
        let malformed = [
            "",
            "2026-01-15",
            "2026-01-15T09:00Z",
            "2026-01-15T09:00:00",
            "2026-01-15 09:00:00Z",
            "2026-01-15T09:00:00ZZ",
            "2026-01-15T09:00:00Z ",
            " 2026-01-15T09:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-10T00:00:00Z",
            "2026-01-00T00:00:00Z",
            "2026-01-15T24:00:00Z",
            "2026-01-15T09:60:00Z",
            "2026-01-15T09:00:60Z",
            "2026-01-15T09:00:00.Z",
            "2026-01-15T09:00:00.1234567890Z",
            "2026-01-15T09:00:00,5Z",
            "2026-01-15T09:00:00+24:00",
            "2026-01-15T09:00:00+01:60",
            "2026-01-15T09:00:00+0100",
            "2026-01-15T09:00:00+01",
            "2026-01-15T09:00:00 +01:00",
            "2026-1-15T09:00:00Z",
            "26-01-15T09:00:00Z",
            "+2026-01-15T09:00:00Z",
            "-2026-01-15T09:00:00Z",
            "20260115T090000Z",
            "２０２６-01-15T09:00:00Z",
            "2026-01-15T09:00:00UTC",
            "2026-01-15X09:00:00Z",
        ]
        for text in malformed {
            XCTAssertNil(Timestamp(rfc3339: text), "accepted \(text.debugDescription)")
        }
    }

    func testRoundTripsOverRandomInstants() {
        let seed: UInt64 = 0x7A11_0C0F_FEE0_2026
        var generator = SeededGenerator(state: seed)
        let range: ClosedRange<Int64> = -62_167_219_200_000...253_402_300_799_999  // years 0000...9999
        for _ in 0..<20_000 {
            let instant = Timestamp(millisecondsSinceEpoch: Int64.random(in: range, using: &generator))
            let text = instant.description
            XCTAssertEqual(text.utf8.count, 24, "seed \(seed): \(text)")
            let parts = instant.utcParts
            XCTAssertEqual(text, "\(padded(parts.year, 4))-\(padded(parts.month, 2))-\(padded(parts.day, 2))T"
                               + "\(padded(parts.hour, 2)):\(padded(parts.minute, 2)):\(padded(parts.second, 2)).\(padded(parts.millisecond, 3))Z",
                           "seed \(seed)")
            guard let parsed = Timestamp(rfc3339: text) else {
                XCTFail("seed \(seed): \(text) did not parse back")
                return
            }
            XCTAssertEqual(parsed, instant, "seed \(seed): \(text)")
        }
    }

    func testRoundTripsThroughOffsets() {
        let seed: UInt64 = 20_260_115
        var generator = SeededGenerator(state: seed)
        for _ in 0..<5_000 {
            let milliseconds = Int64.random(in: 0...4_102_444_800_000, using: &generator)
            let offsetMinutes = Int.random(in: -(23 * 60 + 59)...(23 * 60 + 59), using: &generator)
            // Write the instant as local time at the offset and check it reads back the same.
            let local = Timestamp(millisecondsSinceEpoch: milliseconds + Int64(offsetMinutes) * 60_000).utcParts
            let sign = offsetMinutes < 0 ? "-" : "+"
            let hours = abs(offsetMinutes) / 60
            let minutes = abs(offsetMinutes) % 60
            let date = "\(padded(local.year, 4))-\(padded(local.month, 2))-\(padded(local.day, 2))"
            let time = "\(padded(local.hour, 2)):\(padded(local.minute, 2)):\(padded(local.second, 2))"
            let fraction = padded(local.millisecond, 3)
            let text = "\(date)T\(time).\(fraction)\(sign)\(padded(hours, 2)):\(padded(minutes, 2))"
            XCTAssertEqual(
                Timestamp(rfc3339: text)?.millisecondsSinceEpoch, milliseconds, "seed \(seed): \(text)")
        }
    }

    func testUTCParts() {
        let parts = Timestamp(rfc3339: "2024-02-29T23:59:58.765Z")?.utcParts
        XCTAssertEqual(
            parts,
            CivilDateTime(year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 58, millisecond: 765))
    }

    func testCivilCalendarAgreesWithSequentialCounting() {
        // Walk every day from 1600 to 2400 and check each conversion against a plain counter.
        var days = CivilCalendar.daysFromCivil(year: 1600, month: 1, day: 1)
        for year in 1600...2400 {
            for month in 1...12 {
                for day in 1...CivilCalendar.daysInMonth(year: year, month: month) {
                    XCTAssertEqual(CivilCalendar.daysFromCivil(year: Int64(year), month: month, day: day), days)
                    let civil = CivilCalendar.civilFromDays(days)
                    if civil.year != year || civil.month != month || civil.day != day {
                        XCTFail("\(days) gave \(civil), expected \(year)-\(month)-\(day)")
                        return
                    }
                    days += 1
                }
            }
        }
        XCTAssertEqual(CivilCalendar.daysFromCivil(year: 1970, month: 1, day: 1), 0)
    }

    func testComparable() {
        let earlier = Timestamp(millisecondsSinceEpoch: 1)
        let later = Timestamp(millisecondsSinceEpoch: 2)
        XCTAssertLessThan(earlier, later)
        XCTAssertLessThan(Timestamp(rfc3339: "2026-01-15T10:00:00+02:00")!, Timestamp(rfc3339: "2026-01-15T09:00:00Z")!)
    }

    func testMemberwiseInitializerValidatesParts() {
        XCTAssertEqual(Timestamp(year: 2026, month: 1, day: 15, hour: 9)?.description, "2026-01-15T09:00:00.000Z")
        XCTAssertNil(Timestamp(year: 2026, month: 2, day: 30))
        XCTAssertNil(Timestamp(year: 2026, month: 1, day: 1, hour: 24))
        XCTAssertNil(Timestamp(year: 2026, month: 1, day: 1, millisecond: 1000))
        XCTAssertNil(Timestamp(year: 10_000, month: 1, day: 1))
    }
}
