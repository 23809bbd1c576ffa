import EventLog
import Foundation
import XCTest
@testable import Receivables

/// Two rebuilds or verifies of one store at once (from two shells, say) both fill the spare copy
/// of the read models. The one started later takes it over; the earlier one stops at its next
/// batch instead of writing into a copy the other has cleared or already made live.
final class ConcurrentRebuildTests: XCTestCase {
    static let seed: UInt64 = 43
    static let events = 3_000

    private func makeStore() throws -> (ReceivablesStore, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concurrent-\(UUID().uuidString)").path
        let store = try ReceivablesStore(path: directory, create: true, checkpointInterval: 1_000)
        _ = try SimulationDriver.populate(store, with: WorkloadGenerator(seed: Self.seed), events: Self.events)
        return (store, directory)
    }

    func testARebuildOvertakenByAnotherStopsAndTheOtherMakesTheReadModels() throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let today = QueryScope(asOf: WorkloadGenerator(seed: Self.seed).today)
        let before = try store.aging(today).json(try store.currency())
        var overtaken = false
        var innerError: Error?
        // The other rebuild runs to its end between two batches of this one (seed \(Self.seed)).
        XCTAssertThrowsError(try store.rebuild(only: nil, batchEvents: 500) { report in
            guard !overtaken, report.done < report.total else { return }
            overtaken = true
            do { try store.rebuild(only: nil, batchEvents: 700) } catch { innerError = error }
        }) { error in
            XCTAssertTrue(error is SpareTakenOver, "\(error)")
        }
        XCTAssertTrue(overtaken, "the first rebuild must report progress between batches, or this test proves nothing")
        XCTAssertNil(innerError)
        XCTAssertNil(try store.verifyReadModels())
        XCTAssertEqual(try store.aging(today).json(try store.currency()), before)
        let copies = try store.events.read { try Checkpoints.headers(in: $0, store.checkpoints) }
        XCTAssertEqual(copies.map(\.seq), [1_000, 2_000, 3_000])
    }

    func testAVerifyOvertakenByARebuildStopsWithoutAVerdict() throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var overtaken = false
        var innerError: Error?
        XCTAssertThrowsError(try store.verifyReadModels(batchEvents: 500) { report in
            guard !overtaken, report.done < report.total else { return }
            overtaken = true
            do { try store.rebuild(only: .aging, batchEvents: 700) } catch { innerError = error }
        }) { error in
            XCTAssertTrue(error is SpareTakenOver, "\(error)")
        }
        XCTAssertTrue(overtaken)
        XCTAssertNil(innerError)
        XCTAssertNil(try store.verifyReadModels())
    }

    /// Every fold clears the copy that is the spare when it ends, in its own transaction: the
    /// one a whole rebuild replaced, or the fold a partial rebuild or a verify made.
    func testEachRebuildAndVerifyLeavesTheSpareCopyEmpty() throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let today = QueryScope(asOf: WorkloadGenerator(seed: Self.seed).today)
        let before = try store.aging(today).json(try store.currency())
        func entries() throws -> (live: Int, spare: Int) {
            try store.events.read { transaction in
                let active = try store.activeCopy(transaction)
                return (try transaction.count(store.stateCopies[active]), try transaction.count(store.stateCopies[1 - active]))
            }
        }
        let live = try entries().live
        XCTAssertGreaterThan(live, 0)
        try store.rebuild(only: nil, batchEvents: 500)
        XCTAssertEqual(try entries().live, live)
        XCTAssertEqual(try entries().spare, 0)
        try store.rebuild(only: .aging, batchEvents: 500)
        XCTAssertEqual(try entries().spare, 0)
        XCTAssertNil(try store.verifyReadModels(batchEvents: 500))
        XCTAssertEqual(try entries().spare, 0)
        XCTAssertEqual(try store.aging(today).json(try store.currency()), before)
    }
}
