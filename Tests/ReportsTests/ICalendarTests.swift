import Foundation
import XCTest
import EventLog
@testable import Receivables
@testable import Reports

final class ICalendarTests: XCTestCase {
    private var ics: String {
        ReportSamples.february.iCalendar(storeID: ReportSamples.storeID, generatedAt: ReportSamples.generatedAt, currency: .euro)
    }

    // MARK: Read back by an independent parser

    /// Python's `icalendar` package reads the file back: one event per deadline, with the dates,
    /// UIDs, texts and statuses we wrote, long lines unfolded exactly.
    func testPythonICalendarReadsEveryDeadlineBack() throws {
        let parsed = try PythonICalendar.parse(ics)
        XCTAssertEqual(parsed["version"] as? String, "2.0")
        XCTAssertEqual(parsed["method"] as? String, "PUBLISH")
        XCTAssertEqual(parsed["calscale"] as? String, "GREGORIAN")
        XCTAssertEqual(parsed["name"] as? String, "Receivables deadlines")
        XCTAssertEqual(parsed["prodid"] as? String, "-//Receivables//Receivables deadline calendar//EN")
        XCTAssertEqual(parsed["errors"] as? [String], [], "the parser reported problems")

        let events = try XCTUnwrap(parsed["events"] as? [[String: Any]])
        let entries = ReportSamples.february.periods.flatMap(\.deadlines)
        XCTAssertEqual(events.count, entries.count, "one VEVENT per deadline")
        for (event, entry) in zip(events, entries) {
            XCTAssertEqual(event["uid"] as? String, CalendarEntry.iCalendarUID(deadline: entry.deadline, storeID: ReportSamples.storeID))
            XCTAssertEqual(event["dtstart"] as? String, entry.due.description)
            XCTAssertEqual(event["dtstart_type"] as? String, "date", "an all-day event")
            XCTAssertEqual(event["dtend"] as? String, entry.due.adding(days: 1).description)
            XCTAssertEqual(event["dtstamp"] as? String, "2026-02-16T08:30:00+00:00")
            XCTAssertEqual(event["status"] as? String, entry.status == .pending ? "TENTATIVE" : "CONFIRMED")
            XCTAssertEqual(event["categories"] as? [String], [entry.status.rawValue])
            XCTAssertEqual(event["transp"] as? String, "TRANSPARENT")
        }
        let summaries = events.compactMap { $0["summary"] as? String }
        XCTAssertEqual(summaries, [
            "Caffè Rossi – 1.234,56 € (overdue)",
            "Bianchi & Figli S.r.l. – 2.000,00 €",
            ReportSamples.hostileName + " – 500,00 € (pending)",
            ReportSamples.longName + " – 999,99 €",
            "Caffè Rossi – 1.000,00 € (paid)",
        ])
        XCTAssertEqual(events[0]["uid"] as? String, "D-1@0123456789abcdef0123456789abcdef.receivables")
        XCTAssertEqual(events[2]["uid"] as? String, "D%203%2F%C3%BC%40x%3By@0123456789abcdef0123456789abcdef.receivables")

        let bianchi = try XCTUnwrap(events[1]["description"] as? String)
        XCTAssertEqual(bianchi, """
            Deadline: D-2
            Invoice: F-2026/002
            Description: Rata 2/3; saldo, fine mese
            Client: Bianchi & Figli S.r.l. (bianchi)
            Amount: 2.000,00 €
            Outstanding: 800,00 €
            Status: open
            Reminders sent: none
            Postponed from: 01/02/2026
            """)
        let rossi = try XCTUnwrap(events[0]["description"] as? String)
        XCTAssertTrue(rossi.contains("Reminders sent: 1 (12/02/2026 (manual))"), rossi)
        let coop = try XCTUnwrap(events[3]["description"] as? String)
        XCTAssertTrue(coop.contains("Description: Line one\nLine two \\ back\n"), coop)
    }

    /// A re-import must update, not duplicate: the same deadline gets the same UID whatever the
    /// time of export, and different stores give different UIDs.
    func testUIDsAreStableAcrossExports() {
        let later = ReportSamples.february.iCalendar(storeID: ReportSamples.storeID, generatedAt: Timestamp(rfc3339: "2026-03-01T10:00:00Z")!,
                                                     currency: .euro)
        XCTAssertEqual(uids(ics), uids(later))
        XCTAssertEqual(Set(uids(ics)).count, uids(ics).count, "UIDs are unique")
        let other = ReportSamples.february.iCalendar(storeID: "fedcba98765432100123456789abcdef", generatedAt: ReportSamples.generatedAt,
                                                     currency: .euro)
        XCTAssertTrue(Set(uids(ics)).isDisjoint(with: uids(other)))
        XCTAssertEqual(CalendarEntry.iCalendarUID(deadline: "a", storeID: ""), "a@store.receivables")
    }

    // MARK: Lines, folding and escaping, checked here

    func testEveryLineEndsInCRLFAndFitsIn75Octets() throws {
        let bytes = Array(ics.utf8)
        XCTAssertTrue(ics.hasPrefix("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"))
        XCTAssertTrue(ics.hasSuffix("END:VCALENDAR\r\n"))
        var lines: [[UInt8]] = []
        var current: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0D {
                XCTAssertEqual(index + 1 < bytes.count ? bytes[index + 1] : 0, 0x0A, "a CR is always followed by LF")
                lines.append(current)
                current = []
                index += 2
                continue
            }
            XCTAssertNotEqual(bytes[index], 0x0A, "a bare LF at byte \(index)")
            current.append(bytes[index])
            index += 1
        }
        XCTAssertTrue(current.isEmpty, "the last line ends in CRLF")
        var folded = 0
        for line in lines {
            XCTAssertLessThanOrEqual(line.count, 75, String(decoding: line, as: UTF8.self))
            XCTAssertNotNil(String(validating: line, as: UTF8.self), "a fold split a UTF-8 sequence: \(line)")
            XCTAssertFalse(line.contains { $0 < 0x20 && $0 != 0x09 }, "a control character in \(String(decoding: line, as: UTF8.self))")
            if line.first == 0x20 { folded += 1 }
        }
        XCTAssertGreaterThan(folded, 0, "the long lines were folded")
        XCTAssertEqual(lines.filter { $0 == Array("BEGIN:VEVENT".utf8) }.count, 5)
    }

    func testTheLongAccentedSummaryFoldsAndUnfoldsBackExactly() throws {
        let lines = ics.components(separatedBy: "\r\n")
        let start = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("SUMMARY:Società") })
        var logical = lines[start]
        var next = start + 1
        while lines[next].hasPrefix(" ") {
            logical += lines[next].dropFirst()
            next += 1
        }
        XCTAssertGreaterThan(next - start, 1, "the summary is longer than one line")
        XCTAssertEqual(logical, "SUMMARY:" + ReportSamples.longName.replacingOccurrences(of: ",", with: "\\,") + " – 999\\,99 €")
    }

    func testFoldingNeverSplitsAUTF8Sequence() {
        for prefix in ["", "a", "ab", "abc"] {
            for body in [String(repeating: "è", count: 80), String(repeating: "€", count: 60), String(repeating: "👩‍👩‍👧", count: 12),
                         String(repeating: "e\u{301}", count: 50)] {
                let line = "SUMMARY:" + prefix + body
                let folded = ICalendarText.fold(line)
                let physical = folded.components(separatedBy: "\r\n").dropLast()
                for part in physical {
                    XCTAssertLessThanOrEqual(part.utf8.count, 75)
                }
                XCTAssertEqual(physical.first.map { $0.utf8.count >= 72 }, true, "lines are filled up to the limit")
                XCTAssertEqual(unfolded(folded), line + "\r\n", "unfolds back exactly")
            }
        }
        XCTAssertEqual(ICalendarText.fold("SHORT:x"), "SHORT:x\r\n")
        let exactly75 = "X:" + String(repeating: "a", count: 73)
        XCTAssertEqual(ICalendarText.fold(exactly75), exactly75 + "\r\n")
        XCTAssertEqual(ICalendarText.fold(exactly75 + "b"), exactly75 + "\r\n b\r\n")
    }

    func testTextValuesAreEscapedAsRFC5545Says() {
        XCTAssertEqual(ICalendarText.escape("a\\b;c,d"), "a\\\\b\\;c\\,d")
        XCTAssertEqual(ICalendarText.escape("one\ntwo\r\nthree\rfour\u{2028}five"), "one\\ntwo\\nthree\\nfour\\nfive")
        XCTAssertEqual(ICalendarText.escape("bell\u{7}esc\u{1B}[2Jdel\u{7F}nul\u{0}"), "bellesc[2Jdelnul")
        XCTAssertEqual(ICalendarText.escape("tab\there"), "tab here")
        XCTAssertEqual(ICalendarText.escape("colon: fine \"quotes\" too"), "colon: fine \"quotes\" too")
        // A hostile value cannot start a new property or component.
        let hostile = ReportSamples.february
        var entries = hostile.periods[0].deadlines
        entries[0].clientName = "Evil\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:forged"
        entries[0].description = "x\nATTACH:http://evil.example/"
        let report = CalendarReport(from: hostile.from, to: hostile.to, view: .day,
                                    periods: [CalendarPeriod(period: "p", from: hostile.from, to: hostile.to, total: .zero, deadlines: entries)])
        let text = report.iCalendar(storeID: "s", generatedAt: ReportSamples.generatedAt, currency: .euro)
        let flat = unfolded(text)
        XCTAssertEqual(flat.components(separatedBy: "\r\n").filter { $0 == "BEGIN:VEVENT" }.count, 1)
        XCTAssertFalse(flat.components(separatedBy: "\r\n").contains { $0.hasPrefix("UID:forged") || $0.hasPrefix("ATTACH") })
    }

    func testAnEmptyRangeIsAValidCalendar() throws {
        let empty = CalendarReport(from: ReportSamples.day("2026-04-01"), to: ReportSamples.day("2026-04-30"), view: .day, periods: [])
        let text = empty.iCalendar(storeID: ReportSamples.storeID, generatedAt: ReportSamples.generatedAt, currency: .euro, locale: .en,
                                   calendarName: "Scadenze, Rossi; 2026")
        XCTAssertFalse(text.contains("VEVENT"))
        XCTAssertTrue(text.contains("X-WR-CALNAME:Scadenze\\, Rossi\\; 2026\r\n"))
        XCTAssertTrue(text.contains("X-WR-CALDESC:Deadlines due 2026-04-01 to 2026-04-30\r\n"))
        let parsed = try PythonICalendar.parse(text)
        XCTAssertEqual((parsed["events"] as? [Any])?.count, 0)
        XCTAssertEqual(parsed["name"] as? String, "Scadenze, Rossi; 2026")
    }

    func testEnglishAmountsWhenAsked() {
        let text = ReportSamples.february.iCalendar(storeID: "s", generatedAt: ReportSamples.generatedAt, currency: .euro, locale: .en)
        XCTAssertTrue(text.contains("SUMMARY:Caffè Rossi – €1\\,234.56 (overdue)\r\n"), text)
    }

    private func uids(_ text: String) -> [String] {
        unfolded(text).components(separatedBy: "\r\n").filter { $0.hasPrefix("UID:") }
    }

    /// RFC 5545 3.1 unfolding, on the bytes: every CRLF followed by one space is removed. (String
    /// searches would not do: a space followed by a combining mark is one Character.)
    private func unfolded(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var result: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if index + 2 < bytes.count, bytes[index] == 0x0D, bytes[index + 1] == 0x0A, bytes[index + 2] == 0x20 {
                index += 3
                continue
            }
            result.append(bytes[index])
            index += 1
        }
        return String(decoding: result, as: UTF8.self)
    }
}

/// Runs Python's `icalendar` package (installed by tools/bootstrap) on a calendar and returns
/// what it read, as JSON.
enum PythonICalendar {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    static let script = """
        import sys, json, re
        from icalendar import Calendar
        cal = Calendar.from_ical(sys.stdin.buffer.read().decode("utf-8"))
        errors = []
        def text(value):
            return None if value is None else str(value)
        # icalendar keeps X- properties raw; their default value type is TEXT (RFC 5545 3.8.8.2).
        def xtext(value):
            if value is None:
                return None
            raw = value.to_ical()
            raw = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            return re.sub(r"\\\\([\\\\;,nN])", lambda m: "\\n" if m.group(1) in "nN" else m.group(1), raw)
        out = {"version": text(cal.get("VERSION")), "prodid": text(cal.get("PRODID")), "method": text(cal.get("METHOD")),
               "calscale": text(cal.get("CALSCALE")), "name": xtext(cal.get("X-WR-CALNAME")), "events": [], "errors": errors}
        for component in cal.walk():
            errors.extend(str(error) for error in getattr(component, "errors", []))
        for event in cal.walk("VEVENT"):
            start = event.decoded("DTSTART")
            categories = event.get("CATEGORIES")
            if categories is None:
                cats = []
            elif isinstance(categories, list):
                cats = [str(c) for item in categories for c in item.cats]
            else:
                cats = [str(c) for c in categories.cats]
            out["events"].append({
                "uid": text(event.get("UID")),
                "dtstart": start.isoformat(),
                "dtstart_type": type(start).__name__,
                "dtend": event.decoded("DTEND").isoformat() if "DTEND" in event else None,
                "dtstamp": event.decoded("DTSTAMP").isoformat(),
                "summary": text(event.get("SUMMARY")),
                "description": text(event.get("DESCRIPTION")),
                "status": text(event.get("STATUS")),
                "transp": text(event.get("TRANSP")),
                "categories": cats,
            })
        sys.stdout.write(json.dumps(out))
        """

    static func parse(_ ics: String) throws -> [String: Any] {
        let probe = try run(["-c", "import icalendar"], input: Data())
        guard probe.status == 0 else {
            XCTFail("python3 with the icalendar package is needed for this test: run tools/bootstrap")
            throw Missing(description: "python3 -c 'import icalendar' failed: \(probe.error)")
        }
        let result = try run(["-c", script], input: Data(ics.utf8))
        guard result.status == 0 else {
            throw Missing(description: "python3 icalendar failed to read the calendar: \(result.error)")
        }
        let json = try JSONSerialization.jsonObject(with: result.output)
        guard let object = json as? [String: Any] else { throw Missing(description: "unexpected output \(json)") }
        return object
    }

    static func run(_ arguments: [String], input: Data) throws -> (status: Int32, output: Data, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let standardInput = Pipe(), standardOutput = Pipe(), standardError = Pipe()
        process.standardInput = standardInput
        process.standardOutput = standardOutput
        process.standardError = standardError
        try process.run()
        // Python reads all of its input before writing, so writing first cannot deadlock.
        standardInput.fileHandleForWriting.write(input)
        try? standardInput.fileHandleForWriting.close()
        let output = standardOutput.fileHandleForReading.readDataToEndOfFile()
        let error = standardError.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, output, String(decoding: error, as: UTF8.self))
    }
}
