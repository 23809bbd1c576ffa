import Foundation
import XCTest

/// A small hand-checked scenario (Fixtures/golden/README.md says what each answer shows):
/// aging buckets at month ends, ISO weeks across a year end, a bounced Ri.Ba. reopening a
/// deadline, a postponement moving a deadline between periods, a client crossing warnAt and its
/// limit and coming back. Set RECORD_GOLDEN=1 to write the answers anew.
final class GoldenScenarioTests: XCTestCase {
    static let queries: [(name: String, arguments: [String])] = [
        ("aging-2026-01-31", ["aging", "--as-of", "2026-01-31"]),
        ("aging-2026-02-28", ["aging", "--as-of", "2026-02-28"]),
        ("calendar-weeks-2026-02-28", ["calendar", "--from", "2025-12-28", "--to", "2026-02-08", "--view", "week", "--as-of", "2026-02-28"]),
        ("calendar-weeks-2026-01-02", ["calendar", "--from", "2025-12-28", "--to", "2026-02-08", "--view", "week", "--as-of", "2026-01-02"]),
        ("calendar-months", ["calendar", "--from", "2025-12-01", "--to", "2026-03-31", "--view", "month", "--as-of", "2026-02-28"]),
        ("client-A-2026-01-15", ["client", "A", "--as-of", "2026-01-15"]),
        ("client-A-2026-02-28", ["client", "A", "--as-of", "2026-02-28"]),
        ("exposure-A-monthly", ["exposure", "A", "--from", "2025-12-01", "--to", "2026-02-28", "--step", "month"]),
        ("exposure-all-weekly", ["exposure", "--from", "2025-12-29", "--to", "2026-02-15", "--step", "week"]),
        ("credit-check-A", ["credit-check", "A", "--amount", "4500.00", "--as-of", "2026-02-28"]),
    ]

    func testTheScenarioGivesItsHandCheckedAnswers() throws {
        let golden = CommandHarness.packageRoot.appendingPathComponent("Fixtures/golden")
        let record = ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1"
        let harness = try CommandHarness()
        assertExit(try harness.run(["init"]), 0)
        assertExit(try harness.run(["append", golden.appendingPathComponent("scenario.jsonl").path,
                                    "--now", "2026-03-01T09:00:00.000Z"]), 0)
        for query in Self.queries {
            let result = try harness.run(query.arguments + ["--format", "json", "--now", "2026-03-01T09:00:00.000Z"])
            assertExit(result, 0)
            let file = golden.appendingPathComponent("expected/\(query.name).json")
            let ours = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8))
            if record {
                let pretty = try JSONSerialization.data(withJSONObject: ours, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                try (pretty + Data("\n".utf8)).write(to: file)
                continue
            }
            let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: file))
            XCTAssertEqual(ours as? NSDictionary, expected as? NSDictionary, "\(query.name) differs from Fixtures/golden/expected/\(query.name).json")
        }
        // Rebuilding the read models gives the same answers, and verify agrees.
        assertExit(try harness.run(["rebuild"]), 0)
        assertExit(try harness.run(["verify"]), 0)
        if record { return }
        for query in Self.queries {
            let result = try harness.run(query.arguments + ["--format", "json", "--now", "2026-03-01T09:00:00.000Z"])
            let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: golden.appendingPathComponent("expected/\(query.name).json")))
            XCTAssertEqual(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? NSDictionary, expected as? NSDictionary,
                           "after rebuild: \(query.name)")
        }
    }
}
