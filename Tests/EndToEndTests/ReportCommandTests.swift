import Foundation
import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif

/// What an office looks at: the iCalendar feed, the SVG chart, CSV, and the HTML dashboard, with
/// hostile text in names going through every one of them.
final class ReportCommandTests: XCTestCase {
    static let hostileName = #"=HYPERLINK(\"http://evil.example\",\"x\") <script>alert(1)</script> & 'q' \u202Eevil"#

    func makeStore() throws -> CommandHarness {
        let harness = try CommandHarness()
        assertExit(try harness.run(["init"]), 0)
        let scenario = CommandHarness.packageRoot.appendingPathComponent("Fixtures/golden/scenario.jsonl").path
        assertExit(try harness.run(["append", scenario, "--now", "2026-03-01T09:00:00.000Z"]), 0)
        let hostile = """
        {"type":"ClientRegistered","data":{"client":"H","name":"\(Self.hostileName)","email":"h@evil.example"},"effective":"2025-12-01"}
        {"type":"CreditLimitSet","data":{"client":"H","limit":"100.00"},"effective":"2025-12-01"}
        {"type":"InvoiceIssued","data":{"invoice":"FH","client":"H","issued":"2026-01-20","amount":"250.00","description":"<b>bold</b>; a, b\\\\c"}}
        {"type":"DeadlineSet","data":{"deadline":"FH/1","client":"H","invoice":"FH","due":"2026-02-20","amount":"250.00","description":"=cmd|' /C calc'!A0"},"effective":"2026-01-20"}
        """
        assertExit(try harness.run(["append", "-", "--now", "2026-03-01T10:00:00.000Z"], input: hostile), 0)
        return harness
    }

    func python(_ script: String, _ arguments: [String]) throws -> CommandResult {
        try CommandHarness.runExecutable(URL(fileURLWithPath: "/usr/bin/env"), arguments: ["python3", "-c", script] + arguments)
    }

    func testTheICalendarFeedParsesWithOneEventPerDeadline() throws {
        let harness = try makeStore()
        let range = ["--from", "2025-12-01", "--to", "2026-03-31", "--as-of", "2026-03-01"]
        let ics = try harness.run(["calendar"] + range + ["--format", "ics", "--now", "2026-03-01T12:00:00.000Z"])
        assertExit(ics, 0)
        let json = try harness.run(["calendar"] + range + ["--format", "json"])
        let periods = try XCTUnwrap(json.jsonObject["periods"] as? [[String: Any]])
        let deadlines = periods.flatMap { ($0["deadlines"] as? [[String: Any]]) ?? [] }.compactMap { $0["deadline"] as? String }
        let path = try harness.write(ics.standardOutput, to: "feed.ics")
        let parsed = try python("""
        import icalendar, json, sys
        calendar = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
        print(json.dumps([{'uid': str(e['UID']), 'start': e['DTSTART'].dt.isoformat(), 'summary': str(e['SUMMARY'])} for e in calendar.walk('VEVENT')]))
        """, [path])
        XCTAssertEqual(parsed.exitCode, 0, parsed.standardError + " (run tools/bootstrap for the icalendar package)")
        let events = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(parsed.standardOutput.utf8)) as? [[String: String]])
        XCTAssertEqual(events.count, deadlines.count)
        XCTAssertEqual(Set(events.map { $0["uid"]!.components(separatedBy: "@").first!.removingPercentEncoding! }), Set(deadlines))
        XCTAssertTrue(events.contains { $0["summary"]!.contains("<script>") }, "text is escaped for iCalendar, not dropped")
        XCTAssertTrue(ics.standardOutput.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 75 })
        // A second export gives the same UIDs: a calendar that re-imports it updates, never duplicates.
        let again = try harness.run(["calendar"] + range + ["--format", "ics", "--now", "2026-03-02T12:00:00.000Z"])
        XCTAssertEqual(again.standardOutput.split(separator: "\r\n").filter { $0.hasPrefix("UID:") },
                       ics.standardOutput.split(separator: "\r\n").filter { $0.hasPrefix("UID:") })
    }

    func testTheExposureChartIsWellFormedSVG() throws {
        let harness = try makeStore()
        for client in ["A", "H"] {
            let svg = try harness.run(["exposure", client, "--from", "2025-12-01", "--to", "2026-02-28", "--step", "week", "--format", "svg"])
            assertExit(svg, 0)
            let parser = XMLParser(data: Data(svg.standardOutput.utf8))
            XCTAssertTrue(parser.parse(), "\(client): \(parser.parserError.map { "\($0)" } ?? "")")
            XCTAssertTrue(svg.standardOutput.contains("<svg"))
            XCTAssertFalse(svg.standardOutput.contains("<script"), "hostile text is escaped in SVG")
        }
    }

    func testCSVNeutralisesFormulas() throws {
        let harness = try makeStore()
        let csv = try harness.run(["calendar", "--from", "2026-02-01", "--to", "2026-02-28", "--format", "csv"])
        assertExit(csv, 0)
        let hostileRow = try XCTUnwrap(csv.standardOutput.components(separatedBy: "\r\n").first { $0.contains("FH/1") })
        XCTAssertTrue(hostileRow.contains(#",H,"'=HYPERLINK("#), hostileRow)
        XCTAssertTrue(hostileRow.contains(#"'=cmd|"#), hostileRow)
        XCTAssertFalse(hostileRow.contains(#",=HYPERLINK"#))
    }

    func testTheDashboardIsSelfContainedEscapedAndRenders() throws {
        let harness = try makeStore()
        let out = harness.directory.appendingPathComponent("dashboard").path
        let result = try harness.run(["report", "--out", out, "--as-of", "2026-02-28"])
        assertExit(result, 0)
        let files = try XCTUnwrap(FileManager.default.subpathsOfDirectory(atPath: out).filter { $0.hasSuffix(".html") })
        XCTAssertTrue(files.contains("index.html") && files.contains("aging.html") && files.contains("calendar-2026-02.html"), "\(files)")
        XCTAssertGreaterThanOrEqual(files.filter { $0.hasPrefix("clients/") }.count, 3)
        for file in files {
            let html = try String(contentsOfFile: out + "/" + file, encoding: .utf8)
            XCTAssertFalse(html.contains("<script"), "\(file): a name became markup")
            XCTAssertFalse(html.range(of: #"(src|href)="(https?:)?//"#, options: .regularExpression) != nil, "\(file) loads something from outside")
            for link in html.matches(of: #/href="([^"#]+)"/#).map({ String($0.1) }) where !link.hasPrefix("mailto:") {
                let target = URL(fileURLWithPath: out + "/" + file).deletingLastPathComponent().appendingPathComponent(link).standardized.path
                XCTAssertTrue(FileManager.default.fileExists(atPath: target), "\(file) links to \(link), which is not there")
            }
        }
        // Headless Chromium renders the overview to a PNG that is not blank.
        let png = harness.directory.appendingPathComponent("index.png").path
        let chromium = try CommandHarness.runExecutable(
            URL(fileURLWithPath: "/usr/bin/env"),
            arguments: ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,900",
                        "--screenshot=\(png)", "file://\(out)/index.html"])
        XCTAssertEqual(chromium.exitCode, 0, "chromium: \(chromium.standardError.suffix(400)) (run tools/bootstrap)")
        let image = try Data(contentsOf: URL(fileURLWithPath: png))
        XCTAssertEqual(Array(image.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // A blank 1280×900 page compresses to a few kilobytes; a dashboard does not.
        XCTAssertGreaterThan(image.count, 20_000)
    }
}
