import Foundation
import XCTest

/// The public sample's answers, made by an independent model of CONTRACT 5: after `restore`,
/// each listed command prints JSON equal to its expected file.
final class SampleAnswersTests: XCTestCase {
    static let cases: [(arguments: [String], expected: String)] = [
        (["aging", "--as-of", "2026-06-30"], "aging-2026-06-30.json"),
        (["aging", "--as-of", "2026-06-30", "--known-at", "2026-07-05T09:00:00.000Z"], "aging-2026-06-30-known-2026-07-05.json"),
        (["aging", "--as-of", "2026-10-31", "--buckets", "15,45"], "aging-2026-10-31-buckets-15-45.json"),
        (["calendar", "--from", "2026-03-01", "--to", "2026-04-30", "--view", "week", "--as-of", "2026-04-15"], "calendar-2026-03-04-week.json"),
        (["client", "C02", "--as-of", "2026-11-30"], "client-C02-2026-11-30.json"),
        (["exposure", "C02", "--from", "2026-01-01", "--to", "2026-11-30", "--step", "month"], "exposure-C02-2026-monthly.json"),
        (["credit-check", "C04", "--amount", "2500.00", "--as-of", "2026-11-30"], "credit-check-C04-2026-11-30.json"),
    ]

    func testEveryListedCommandPrintsItsExpectedAnswer() throws {
        try checkTheListedAnswers(environment: [:])
    }

    /// The same answers when past questions start from replay checkpoints a few dozen events
    /// apart (the sample records some events late, so some copies cannot be used for some dates).
    func testTheAnswersAreTheSameFromReplayCheckpoints() throws {
        let harness = try checkTheListedAnswers(environment: ["RECEIVABLES_CHECKPOINT_EVERY": "37"])
        assertExit(try harness.run(["verify"], environment: ["RECEIVABLES_CHECKPOINT_EVERY": "37"]), 0)
        let bad = try harness.run(["aging"], environment: ["RECEIVABLES_CHECKPOINT_EVERY": "often"])
        assertExit(bad, 2)
        XCTAssertTrue(bad.standardError.hasPrefix("error: ") && bad.standardError.contains("RECEIVABLES_CHECKPOINT_EVERY"),
                      bad.standardError)
    }

    @discardableResult
    private func checkTheListedAnswers(environment: [String: String]) throws -> CommandHarness {
        guard let shared = CommandHarness.sharedFixtures else {
            throw XCTSkip("../shared/fixtures is not beside this checkout")
        }
        let harness = try CommandHarness()
        assertExit(try harness.run(["restore", shared.appendingPathComponent("sample/export.jsonl").path], environment: environment), 0)
        for testCase in Self.cases {
            let result = try harness.run(testCase.arguments + ["--format", "json"], environment: environment)
            assertExit(result, 0)
            let ours = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? NSDictionary
            let expected = try JSONSerialization.jsonObject(
                with: Data(contentsOf: shared.appendingPathComponent("sample/expected/\(testCase.expected)"))) as? NSDictionary
            XCTAssertNotNil(ours)
            XCTAssertEqual(ours, expected, "\(testCase.arguments.joined(separator: " ")) differs from \(testCase.expected)")
        }
        return harness
    }
}
