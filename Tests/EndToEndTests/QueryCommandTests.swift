import EventLog
import Foundation
import XCTest

/// The query commands' edges: bad options, unknown clients, formats, and read models edited
/// behind the engine's back.
final class QueryCommandTests: XCTestCase {
    func makeScenarioStore() throws -> CommandHarness {
        let harness = try CommandHarness()
        assertExit(try harness.run(["init"]), 0)
        let scenario = CommandHarness.packageRoot.appendingPathComponent("Fixtures/golden/scenario.jsonl").path
        assertExit(try harness.run(["append", scenario, "--now", "2026-03-01T09:00:00.000Z"]), 0)
        return harness
    }

    func testBadQueriesGetOneErrorLineAndTheRightExitCode() throws {
        let harness = try makeScenarioStore()
        let cases: [(arguments: [String], exit: Int32, says: String)] = [
            (["client", "Z"], 1, "no client \"Z\""),
            (["credit-check", "Z", "--amount", "10"], 1, "no client \"Z\""),
            (["exposure", "Z", "--from", "2026-01-01", "--to", "2026-02-01"], 1, "no client \"Z\""),
            (["aging", "--as-of", "2026-02-30"], 2, "not a date"),
            (["aging", "--buckets", "60,30"], 2, "increasing"),
            (["calendar", "--to", "2026-02-01"], 2, "--from is required"),
            (["calendar", "--from", "2026-03-01", "--to", "2026-02-01"], 1, "ends"),
            (["calendar", "--from", "2026-01-01", "--to", "2026-02-01", "--view", "year"], 2, "--view"),
            (["credit-check", "A", "--amount", "12.345"], 2, "--amount"),
            (["credit-check", "A"], 2, "--amount is required"),
            (["aging", "--known-at", "yesterday"], 2, "--known-at"),
            (["client", "A", "--format", "csv"], 2, "no CSV form"),
        ]
        for bad in cases {
            let result = try harness.run(bad.arguments + ["--format", bad.arguments.contains("--format") ? "" : "json"].filter { !$0.isEmpty && !bad.arguments.contains("--format") })
            XCTAssertEqual(result.exitCode, bad.exit, "\(bad.arguments): \(result.standardError)")
            XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, "\(bad.arguments): \(result.standardError)")
            XCTAssertTrue(result.standardError.hasPrefix("error: ") && result.standardError.contains(bad.says),
                          "\(bad.arguments): \(result.standardError)")
        }
    }

    func testCSVAndTableForms() throws {
        let harness = try makeScenarioStore()
        let csv = try harness.run(["aging", "--as-of", "2026-02-28", "--format", "csv"])
        assertExit(csv, 0)
        let lines = csv.standardOutput.components(separatedBy: "\r\n")
        XCTAssertEqual(lines.first, "deadline,client,invoice,due,daysToDue,daysOverdue,bucket,amount,paid,pending,outstanding,reminders")
        XCTAssertEqual(lines[1], "D1a,A,F1,2025-12-31,-59,59,31-60,1500.00,0.00,0.00,1500.00,1")
        let table = try harness.run(["aging", "--as-of", "2026-02-28", "--format", "table"])
        assertExit(table, 0)
        XCTAssertTrue(table.standardOutput.contains("! 2025-12-31  D1a"), table.standardOutput)
        let calendar = try harness.run(["calendar", "--from", "2026-01-01", "--to", "2026-02-28", "--format", "csv"])
        XCTAssertTrue(calendar.standardOutput.hasPrefix("period,deadline,due,client,clientName"))
        let exposure = try harness.run(["exposure", "A", "--from", "2026-01-01", "--to", "2026-02-28", "--format", "csv"])
        XCTAssertEqual(exposure.standardOutput, "date,exposure,limit\r\n2026-01-31,11000.00,10000.00\r\n2026-02-28,6000.00,10000.00\r\n")
    }

    func testTodayIsTheDefaultAsOfInTheStoresTimeZone() throws {
        let harness = try makeScenarioStore()
        // 23:30 UTC on 31 January is already 1 February in Rome.
        let result = try harness.run(["aging", "--format", "json", "--now", "2026-01-31T23:30:00.000Z"])
        assertExit(result, 0)
        XCTAssertEqual(result.jsonObject["asOf"] as? String, "2026-02-01")
    }

    func testAReadModelEditedBehindTheEnginesBackIsCaughtAndRebuilt() throws {
        let harness = try makeScenarioStore()
        assertExit(try harness.run(["verify"]), 0)
        // Remove D2 from the open-deadline index (the aging read model) of the live state copy.
        try StoreSurgery.withDatabase(harness.storePath, "state-a") { transaction, state in
            let cursor = try transaction.cursor(state)
            var entry = try cursor.seek(atOrAfter: [UInt8(ascii: "O")])
            while let current = entry, current.key.first == UInt8(ascii: "O") {
                if current.key.suffix(2).elementsEqual(Array("D2".utf8)) { try cursor.deleteCurrent(); break }
                entry = try cursor.next()
            }
        }
        let tampered = try harness.run(["verify"])
        assertExit(tampered, 1)
        XCTAssertTrue(tampered.standardError.contains("read model aging"), tampered.standardError)
        let aging = try harness.run(["aging", "--as-of", "2026-02-28", "--format", "json"])
        XCTAssertFalse(aging.standardOutput.contains("\"D2\""), "the edit is visible before the rebuild")
        assertExit(try harness.run(["rebuild", "--only", "aging"]), 0)
        assertExit(try harness.run(["verify"]), 0)
        XCTAssertTrue(try harness.run(["aging", "--as-of", "2026-02-28", "--format", "json"]).standardOutput.contains("\"D2\""))
    }

    func testRebuildOnAPipePrintsNoProgressAndAnswersJSON() throws {
        let harness = try makeScenarioStore()
        let result = try harness.run(["rebuild"])
        assertExit(result, 0)
        XCTAssertEqual(result.standardError, "")
        XCTAssertEqual(result.jsonObject["events"] as? Int, 18)
        let bad = try harness.run(["rebuild", "--only", "everything"])
        assertExit(bad, 2)
    }
}
