import EventLog
import Foundation
import XCTest
@testable import Receivables

/// Replay checkpoints: a past answer that starts from a copy of the state is the answer of a
/// replay from the first event; `verify` finds a copy that differs from the log; a rebuild makes
/// the copies again.
final class CheckpointTests: XCTestCase {
    static let seed: UInt64 = 41
    static let events = 3_000

    private func makeStore(interval: UInt64) throws -> (ReceivablesStore, WorkloadGenerator, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoints-\(UUID().uuidString)").path
        let store = try ReceivablesStore(path: directory, create: true, checkpointInterval: interval)
        let generator = WorkloadGenerator(seed: Self.seed)
        _ = try SimulationDriver.populate(store, with: generator, events: Self.events)
        return (store, generator, directory)
    }

    func testPastAnswersFromACheckpointEqualAReplayFromTheStart() throws {
        let (withCopies, generator, first) = try makeStore(interval: 200)
        let (withoutCopies, _, second) = try makeStore(interval: .max)
        defer {
            try? FileManager.default.removeItem(atPath: first)
            try? FileManager.default.removeItem(atPath: second)
        }
        let copies = try withCopies.events.read { try Checkpoints.headers(in: $0, withCopies.checkpoints) }
        XCTAssertGreaterThanOrEqual(copies.count, 10, "a copy every 200 events")
        XCTAssertTrue(try withoutCopies.events.read { try Checkpoints.headers(in: $0, withoutCopies.checkpoints) }.isEmpty)

        var random = SplitMix64(seed: Self.seed)
        let span = generator.firstDay.days(to: generator.today)
        let head = try withCopies.events.head()
        let currency = try withCopies.currency()
        var startedFromACopy = 0
        for index in 0..<40 {
            let asOf = generator.firstDay.adding(days: Int.random(in: 0...span, using: &random))
            // Known at the end of a day between the as-of date and a month later.
            let knownDay = asOf.adding(days: Int.random(in: 0...30, using: &random))
            let knownAt = Timestamp(millisecondsSinceEpoch: Int64(knownDay.daysSinceEpoch) * 86_400_000 + 86_399_999)
            let scope = QueryScope(asOf: asOf, knownAt: knownAt)
            let known = try withCopies.events.read { transaction in
                try withCopies.knownPosition(knownAt, head: head, in: transaction)
            }
            if try withCopies.events.read({ try Checkpoints.usable(through: known, asOf: asOf, in: $0, withCopies.checkpoints) }) != nil {
                startedFromACopy += 1
            }
            let label = "seed \(Self.seed), pair \(index): asOf \(asOf) knownAt \(knownAt)"
            XCTAssertEqual(try withCopies.aging(scope).json(currency), try withoutCopies.aging(scope).json(currency), "aging, \(label)")
            let from = asOf.startOfMonth
            XCTAssertEqual(try withCopies.calendar(from: from, to: from.endOfMonth, view: .week, scope: scope).json(currency),
                           try withoutCopies.calendar(from: from, to: from.endOfMonth, view: .week, scope: scope).json(currency),
                           "calendar, \(label)")
        }
        XCTAssertGreaterThan(startedFromACopy, 20, "most pairs can start from a copy; the test would prove nothing otherwise")

        XCTAssertNil(try withCopies.verifyReadModels())
    }

    func testVerifyNamesACheckpointThatDiffersFromTheLogAndRebuildMakesThemAgain() throws {
        let (store, _, directory) = try makeStore(interval: 500)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let copies = try store.events.read { try Checkpoints.headers(in: $0, store.checkpoints) }
        XCTAssertGreaterThanOrEqual(copies.count, 5)
        XCTAssertNil(try store.verifyReadModels())

        // Change one stored deadline of the third copy: a paid amount that no event gave.
        let target = copies[2].seq
        try store.events.write(now: Timestamp(millisecondsSinceEpoch: 0)) { writer in
            let cursor = try writer.transaction.cursor(store.checkpoints)
            var entry = try cursor.seek(atOrAfter: target.bigEndianBytes + [StoredState.Prefix.deadline.rawValue])
            guard let found = entry, found.key.starts(with: target.bigEndianBytes) else { return XCTFail("no deadline in the copy") }
            let key = Array(found.key)
            var deadline = try DeadlineState.decoded(found.value)
            deadline.paid = try deadline.paid.plus(Money(minorUnits: 1))
            entry = nil
            try writer.transaction.put(store.checkpoints, key, deadline.encoded())
        }
        let problem = try XCTUnwrap(try store.verifyReadModels())
        XCTAssertEqual(problem.seq, target)
        XCTAssertTrue(problem.reason.contains("replay checkpoint at seq \(target)"), problem.reason)

        try store.rebuild()
        XCTAssertNil(try store.verifyReadModels())
        let rebuilt = try store.events.read { try Checkpoints.headers(in: $0, store.checkpoints) }
        XCTAssertEqual(rebuilt.map(\.seq), Array(stride(from: 500, through: UInt64(try store.events.head().lastSeq), by: 500)))
    }

    /// A rebuild whose transaction fills the map runs again from the start of that transaction
    /// once the map has grown: nothing folded in the failed attempt may count as done.
    func testARebuildThatGrowsTheMapFoldsEveryEvent() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoints-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = Environment.Options()
        options.initialMapSizeBytes = 1 << 20
        var store = try ReceivablesStore(path: directory, create: true, options: options, checkpointInterval: 100)
        _ = try SimulationDriver.populate(store, with: WorkloadGenerator(seed: Self.seed), events: Self.events)
        let before = store.events.environment.mapSizeBytes
        // Opened again at the size the store has reached, so that the rebuild's copy fills it.
        store = try ReceivablesStore(path: directory, options: options, checkpointInterval: 100)
        try store.rebuild()
        XCTAssertGreaterThan(store.events.environment.mapSizeBytes, before, "the rebuild must grow the map, or this test proves nothing")
        XCTAssertNil(try store.verifyReadModels())
        let rebuilt = try store.events.read { try Checkpoints.headers(in: $0, store.checkpoints) }
        XCTAssertEqual(rebuilt.map(\.seq), Array(stride(from: 100, through: UInt64(try store.events.head().lastSeq), by: 100)))
    }
}
