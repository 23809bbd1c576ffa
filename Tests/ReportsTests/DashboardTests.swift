import Foundation
import XCTest
@testable import Receivables
@testable import Reports

final class DashboardTests: XCTestCase {
    private lazy var files = Dashboard.render(ReportSamples.dashboardInput)
    private var pages: [String: String] { Dictionary(uniqueKeysWithValues: files.map { ($0.path, $0.contents) }) }

    func testRendersEveryPage() {
        let paths = files.map(\.path)
        XCTAssertEqual(Array(paths.prefix(6)), ["index.html", "aging.html", "clients.html", "calendar-2026-01.html", "calendar-2026-02.html",
                                                "calendar-2026-03.html"])
        XCTAssertEqual(Set(paths.dropFirst(6)), Set(ReportSamples.dashboardInput.clients.map { Dashboard.clientPath($0.report.client.id) }))
        XCTAssertEqual(Set(paths).count, paths.count, "no two pages share a path")
        for path in paths {
            XCTAssertTrue(path.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./".contains($0)) }, path)
            XCTAssertFalse(path.contains(".."), path)
        }
        XCTAssertEqual(Dashboard.render(ReportSamples.dashboardInput).map(\.contents), files.map(\.contents), "same input, same bytes")
    }

    func testHostileTextAppearsOnlyEscapedOnEveryPage() throws {
        var shown = 0
        for (path, html) in files {
            XCTAssertFalse(html.lowercased().contains("<script"), "\(path) holds a script tag")
            XCTAssertFalse(html.contains("alert(1)</"), path)
            XCTAssertFalse(html.contains("\"quoted\""), path)
            XCTAssertFalse(html.contains("'single'"), path)
            XCTAssertFalse(html.contains("(\"x\")"), path)
            XCTAssertFalse(html.contains("<img"), path)
            XCTAssertFalse(html.contains("<b>INV"), path)
            XCTAssertFalse(html.unicodeScalars.contains { Markup.isBidiControl($0) }, "\(path) holds a raw bidirectional control")
            XCTAssertFalse(html.unicodeScalars.contains { $0.properties.generalCategory == .control && $0 != "\n" }, path)
            if html.contains(ReportSamples.hostileNameEscaped) { shown += 1 }
        }
        // Overview (this week), aging, clients, January and February, the client's own page.
        XCTAssertEqual(shown, 6, "the hostile client is shown, escaped, wherever it belongs")
        let page = try XCTUnwrap(pages[Dashboard.clientPath(ReportSamples.hostileID)])
        XCTAssertTrue(page.contains("<h1><bdi>\(ReportSamples.hostileNameEscaped)</bdi></h1>"))
        XCTAssertTrue(page.contains("<title>\(ReportSamples.hostileNameEscaped) – Torrefazione Esempio S.p.A.</title>"))
        XCTAssertTrue(page.contains("=cmd|&#39; /C calc&#39;!A0 &lt;img src=x&gt;"))
    }

    func testNothingIsFetchedFromOutside() {
        for (path, html) in files {
            for reference in references(in: html) {
                let lower = reference.lowercased()
                XCTAssertFalse(lower.hasPrefix("http:") || lower.hasPrefix("https:") || lower.hasPrefix("//") || lower.hasPrefix("data:")
                               || lower.hasPrefix("javascript:") || lower.hasPrefix("file:") || lower.hasPrefix("/"),
                               "\(path) refers to \(reference)")
            }
            for tag in ["<script", "<link", "<img", "<iframe", "<object", "<embed", "<base", "@import", "url(", "@font-face"] {
                XCTAssertFalse(html.lowercased().contains(tag), "\(path) holds \(tag)")
            }
            XCTAssertEqual(html.components(separatedBy: "<style>").count, 2, "\(path): one inline style sheet")
            XCTAssertTrue(html.contains("default-src 'none'"), "\(path): a policy that forbids fetching")
        }
    }

    func testLinksBetweenPagesResolveToRenderedFiles() {
        let rendered = Set(files.map(\.path))
        var count = 0
        for (path, html) in files {
            let directory = path.split(separator: "/").dropLast().map(String.init)
            for reference in references(in: html) {
                let target = reference.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                var parts = directory
                for part in target.split(separator: "/") {
                    if part == ".." {
                        XCTAssertFalse(parts.isEmpty, "\(path): \(reference) leaves the output folder")
                        if !parts.isEmpty { parts.removeLast() }
                    } else if part != "." {
                        parts.append(String(part))
                    }
                }
                XCTAssertTrue(rendered.contains(parts.joined(separator: "/")), "\(path) links to \(reference), which is not rendered")
                count += 1
            }
        }
        XCTAssertGreaterThan(count, 50)
        // The nav bar is on every page, and points at the month of asOf.
        for (path, html) in files {
            let root = path.hasPrefix("clients/") ? "../" : ""
            XCTAssertTrue(html.contains("<nav aria-label=\"Pages\"><a href=\"\(root)index.html\""), path)
            XCTAssertTrue(html.contains("<a href=\"\(root)calendar-2026-02.html\""), path)
            XCTAssertTrue(html.contains("<a href=\"\(root)aging.html\""), path)
            XCTAssertTrue(html.contains("<a href=\"\(root)clients.html\""), path)
        }
    }

    func testMonthGridStartsOnMondayAndLinksItsNeighbours() throws {
        let february = try XCTUnwrap(pages["calendar-2026-02.html"])
        XCTAssertTrue(february.contains("<h1>February 2026</h1>"))
        // February 2026 starts on a Sunday: the grid opens on Monday 26 January.
        let firstCell = try XCTUnwrap(february.range(of: "role=\"gridcell\"><div class=\"n\">"))
        XCTAssertTrue(february[firstCell.upperBound...].hasPrefix("26</div>"))
        XCTAssertTrue(february.contains("<div class=\"dow\" role=\"columnheader\">Mon</div>"))
        XCTAssertEqual(february.components(separatedBy: "role=\"gridcell\"").count - 1, 35, "five full weeks, Monday to Sunday")
        XCTAssertTrue(february.contains("<a href=\"calendar-2026-01.html\" rel=\"prev\">"))
        XCTAssertTrue(february.contains("<a href=\"calendar-2026-03.html\" rel=\"next\">"))
        XCTAssertTrue(february.contains("class=\"day today\""), "asOf is highlighted")
        XCTAssertTrue(february.contains("class=\"entry s-overdue\""))
        XCTAssertTrue(february.contains("class=\"entry s-pending\""))
        XCTAssertTrue(february.contains("class=\"entry s-paid\""))
        XCTAssertTrue(february.contains("2.000,00 €</span> <span class=\"muted nowrap\">(800,00 € left)</span>"))

        let january = try XCTUnwrap(pages["calendar-2026-01.html"])
        XCTAssertTrue(january.contains("<span class=\"off\" title=\"not included in this report\">← December 2025</span>"),
                      "a month that is not rendered is not a link")
        let march = try XCTUnwrap(pages["calendar-2026-03.html"])
        XCTAssertTrue(march.contains("<span class=\"off\" title=\"not included in this report\">April 2026 →</span>"))
    }

    func testAgingMarksOverdueRows() throws {
        let aging = try XCTUnwrap(pages["aging.html"])
        let rows = aging.components(separatedBy: "<tr").dropFirst()
        let overdue = rows.filter { $0.hasPrefix(" class=\"overdue\"") }
        for deadline in ["D-0", "D-H0", "D-1"] {
            XCTAssertTrue(overdue.contains { $0.contains(">\(deadline)</td>") }, "\(deadline) is marked overdue")
        }
        for deadline in ["D-2", "D-4", "D-6"] {
            XCTAssertFalse(overdue.contains { $0.contains(">\(deadline)</td>") }, "\(deadline) is not overdue")
        }
        XCTAssertTrue(aging.contains("32 days overdue"))
        XCTAssertTrue(aging.contains("due today"))
        XCTAssertTrue(aging.contains("<td class=\"num\">7.234,55 €</td></tr></tfoot>"), "the grand total")
    }

    func testOverviewShowsBucketsCreditWatchAndThisWeek() throws {
        let index = try XCTUnwrap(pages["index.html"])
        XCTAssertTrue(index.contains("Not yet due"))
        XCTAssertTrue(index.contains("More than 90 days overdue"))
        let watch = try XCTUnwrap(index.components(separatedBy: "Clients over or near their credit limit").last)
        let rossi = try XCTUnwrap(watch.range(of: "Caffè Rossi"))
        let bianchi = try XCTUnwrap(watch.range(of: "Bianchi &amp; Figli"))
        XCTAssertLessThan(rossi.lowerBound, bianchi.lowerBound, "exceeded before warning")
        XCTAssertTrue(watch.contains("<span class=\"badge s-exceeded\">exceeded</span>"))
        XCTAssertTrue(watch.contains("<span class=\"badge s-warning\">warning</span>"))
        XCTAssertTrue(index.contains("Due this week <span class=\"muted small\">16/02/2026 – 22/02/2026</span>"))
        let client = try XCTUnwrap(pages[Dashboard.clientPath("C-ROSSI")])
        XCTAssertTrue(client.contains("<figure class=\"chart\">\n<svg xmlns=\"http://www.w3.org/2000/svg\""), "the chart is inline")
        XCTAssertTrue(client.contains("bonifico &lt;30-01&gt;.pdf"))
        XCTAssertTrue(client.contains("manual"))
        XCTAssertTrue(client.contains("<span class=\"badge s-exceeded\">over the limit</span>"))
        XCTAssertFalse(client.contains("<?xml"), "no XML declaration inside HTML")
    }

    /// Every value of an `href` or `src` attribute in a tag (quoted, single-quoted or unquoted).
    /// Text and attribute values cannot hold a raw "<" or ">" (they are escaped), so a tag runs
    /// from "<" to ">".
    private func references(in html: String) -> [String] {
        var found: [String] = []
        let scalars = Array(html.unicodeScalars)
        var index = 0
        func matches(_ word: String, at position: Int) -> Bool {
            let word = Array(word.unicodeScalars)
            guard position + word.count <= scalars.count else { return false }
            for (offset, scalar) in word.enumerated() where Character(scalars[position + offset]).lowercased() != String(scalar) { return false }
            return true
        }
        var inTag = false
        while index < scalars.count {
            if scalars[index] == "<" { inTag = true }
            if scalars[index] == ">" { inTag = false }
            guard inTag else {
                index += 1
                continue
            }
            var length = 0
            if matches("href", at: index) { length = 4 } else if matches("src", at: index) { length = 3 }
            guard length > 0 else {
                index += 1
                continue
            }
            var cursor = index + length
            while cursor < scalars.count, scalars[cursor] == " " { cursor += 1 }
            guard cursor < scalars.count, scalars[cursor] == "=" else {
                index += length
                continue
            }
            cursor += 1
            while cursor < scalars.count, scalars[cursor] == " " { cursor += 1 }
            var value = ""
            if cursor < scalars.count, scalars[cursor] == "\"" || scalars[cursor] == "'" {
                let quote = scalars[cursor]
                cursor += 1
                while cursor < scalars.count, scalars[cursor] != quote {
                    value.unicodeScalars.append(scalars[cursor])
                    cursor += 1
                }
            } else {
                while cursor < scalars.count, scalars[cursor] != " ", scalars[cursor] != ">" {
                    value.unicodeScalars.append(scalars[cursor])
                    cursor += 1
                }
            }
            found.append(value.replacingOccurrences(of: "&amp;", with: "&"))
            index = cursor
        }
        return found
    }
}
