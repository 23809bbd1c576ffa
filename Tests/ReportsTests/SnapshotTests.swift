import Foundation
import XCTest
@testable import Receivables
@testable import Reports

/// The rendered outputs of the fixed sample answers, byte for byte, against the files in
/// Fixtures/snapshots/. Run with RECORD_SNAPSHOTS=1 to write them again after an intended
/// change, then review the difference before committing it.
final class SnapshotTests: XCTestCase {
    func testCalendarICS() throws {
        try assertSnapshot(ReportSamples.february.iCalendar(storeID: ReportSamples.storeID, generatedAt: ReportSamples.generatedAt,
                                                            currency: .euro),
                           named: "calendar-2026-02.ics")
    }

    func testExposureSVG() throws {
        try assertSnapshot(ReportSamples.rossiExposure.svg(currency: .euro, locale: .it, warnAtPercent: 80, title: "Exposure of Caffè Rossi"),
                           named: "exposure-c-rossi.svg")
    }

    func testDashboardIndex() throws {
        let files = Dashboard.render(ReportSamples.dashboardInput)
        let index = try XCTUnwrap(files.first { $0.path == "index.html" })
        try assertSnapshot(index.contents, named: "dashboard-index.html")
    }

    // MARK: -

    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // ReportsTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // the package
        .appendingPathComponent("Fixtures/snapshots", isDirectory: true)

    private func assertSnapshot(_ actual: String, named name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = Self.directory.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: url)
            return
        }
        guard let expected = FileManager.default.contents(atPath: url.path) else {
            XCTFail("no snapshot at \(url.path); record it with RECORD_SNAPSHOTS=1", file: file, line: line)
            return
        }
        if expected != Data(actual.utf8) {
            let expectedLines = String(decoding: expected, as: UTF8.self).components(separatedBy: "\n")
            let actualLines = actual.components(separatedBy: "\n")
            let first = zip(expectedLines, actualLines).enumerated().first { $0.element.0 != $0.element.1 }
            let where_ = first.map { "line \($0.offset + 1):\n  expected \($0.element.0.debugDescription)\n  actual   \($0.element.1.debugDescription)" }
                ?? "line counts \(expectedLines.count) and \(actualLines.count)"
            XCTFail("\(name) differs from its snapshot at \(where_)\n(run with RECORD_SNAPSHOTS=1 to accept the new output)",
                    file: file, line: line)
        }
    }
}
