import Foundation
import XCTest
@testable import EventLog

/// The log's contract, run against the LMDB store: positions, chain, streams and expected
/// versions, idempotency keys, reading and following, verification, map growth.
final class EventStoreContractTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("eventlog-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func makeStore(_ options: Environment.Options = Environment.Options()) throws -> EventStore {
        try EventStore(path: directory.path, create: true, options: options)
    }

    func draft(_ stream: String, _ payload: String, key: String? = nil, expected: UInt64? = nil) -> RecordDraft {
        RecordDraft(stream: stream, type: "Noted", effective: "2026-01-15", key: key,
                    keyFingerprint: key.map { _ in Digest.sha256(Array(payload.utf8)) },
                    dataCanonical: CanonicalJSON.bytes(.object(["payload": .string(payload)])),
                    expectedStreamVersion: expected)
    }

    let t0 = Timestamp(millisecondsSinceEpoch: 1_768_467_600_000)

    func testAppendAssignsGaplessSeqsAndChainsHashes() throws {
        let store = try makeStore()
        let records = try store.write(now: t0) { writer in
            [try writer.append(draft("a", "1")), try writer.append(draft("b", "2")), try writer.append(draft("a", "3"))]
        }
        XCTAssertEqual(records.map(\.seq), [1, 2, 3])
        XCTAssertEqual(records.map(\.streamVersion), [1, 1, 2])
        XCTAssertEqual(records[0].prev, .zero)
        XCTAssertEqual(records[1].prev, records[0].hash)
        XCTAssertEqual(records[2].prev, records[1].hash)
        for record in records { XCTAssertEqual(record.computedHash(), record.hash) }
        XCTAssertEqual(try store.head().lastSeq, 3)
        XCTAssertEqual(try store.head().lastHash, records[2].hash)
        XCTAssertNil(try store.verifyLog())
    }

    func testABatchIsAllOrNothing() throws {
        let store = try makeStore()
        try store.write(now: t0) { writer in _ = try writer.append(draft("a", "1")) }
        struct Refused: Error {}
        XCTAssertThrowsError(try store.write(now: t0) { writer in
            _ = try writer.append(draft("a", "2"))
            _ = try writer.append(draft("b", "3"))
            throw Refused()
        })
        XCTAssertEqual(try store.head().lastSeq, 1)
        XCTAssertNil(try store.verifyLog())
    }

    func testExpectedStreamVersionConflictNamesStreamExpectedAndActual() throws {
        let store = try makeStore()
        try store.write(now: t0) { writer in
            _ = try writer.append(draft("invoice:F1", "1", expected: 0))
            _ = try writer.append(draft("invoice:F1", "2", expected: 1))
        }
        XCTAssertThrowsError(try store.write(now: t0) { writer in _ = try writer.append(draft("invoice:F1", "3", expected: 1)) }) { error in
            XCTAssertEqual(error as? EventStoreError, .versionConflict(stream: "invoice:F1", expected: 1, actual: 2))
        }
        XCTAssertNoThrow(try store.write(now: t0) { writer in _ = try writer.append(draft("invoice:F1", "3", expected: 2)) })
    }

    func testKeysAreIndexedWithTheirFingerprints() throws {
        let store = try makeStore()
        try store.write(now: t0) { writer in _ = try writer.append(draft("a", "1", key: "k1")) }
        let found = try store.write(now: t0) { writer in try writer.existing(key: "k1") }
        XCTAssertEqual(found?.seq, 1)
        XCTAssertEqual(found?.fingerprint, Digest.sha256(Array("1".utf8)))
        XCTAssertNil(try store.write(now: t0) { writer in try writer.existing(key: "k2") })
    }

    func testRecordedAtNeverGoesBack() throws {
        let store = try makeStore()
        try store.write(now: t0) { writer in _ = try writer.append(draft("a", "1")) }
        let earlier = Timestamp(millisecondsSinceEpoch: t0.millisecondsSinceEpoch - 5000)
        let record = try store.write(now: earlier) { writer in try writer.append(draft("a", "2")) }
        XCTAssertEqual(record.recordedAt, t0, "a clock that steps back is clamped to the log's last time")
        XCTAssertThrowsError(try store.write(now: earlier, strictClock: true) { writer in _ = try writer.append(draft("a", "3")) }) { error in
            XCTAssertEqual(error as? EventStoreError, .clockBeforeLog(now: earlier, last: self.t0))
        }
    }

    func testReopenedStoreHoldsEverything() throws {
        do {
            let store = try makeStore()
            try store.write(now: t0) { writer in for index in 0..<100 { _ = try writer.append(draft("s\(index % 7)", "\(index)")) } }
        }
        let reopened = try EventStore(path: directory.path)
        var seen: [UInt64] = []
        try reopened.forEachRecord { seen.append($0.seq) }
        XCTAssertEqual(seen, Array(1...100))
        XCTAssertNil(try reopened.verifyLog())
    }

    func testReadingFromAPositionStreamsInChunks() async throws {
        let store = try makeStore()
        try store.write(now: t0) { writer in for index in 0..<10_000 { _ = try writer.append(draft("s", "\(index)")) } }
        var count = 0
        var expected: UInt64 = 5_000
        for try await record in store.records(from: 5_000) {
            XCTAssertEqual(record.seq, expected)
            expected += 1
            count += 1
        }
        XCTAssertEqual(count, 5_001)
    }

    func testFollowingSeesAppendsMadeAfterItStarted() async throws {
        let store = try makeStore()
        try store.write(now: t0) { writer in _ = try writer.append(draft("s", "0")) }
        let follower = Task {
            var seqs: [UInt64] = []
            for try await record in store.records(from: 1, following: true, pollIntervalMilliseconds: 5) {
                seqs.append(record.seq)
                if seqs.count == 4 { break }
            }
            return seqs
        }
        for index in 1...3 {
            try await Task.sleep(nanoseconds: 20_000_000)
            try store.write(now: t0) { writer in _ = try writer.append(draft("s", "\(index)")) }
        }
        let seqs = try await follower.value
        XCTAssertEqual(seqs, [1, 2, 3, 4])
    }

    func testTheMapGrowsByItselfWhenItFills() throws {
        var options = Environment.Options()
        options.initialMapSizeBytes = 1 << 20
        let store = try makeStore(options)
        let big = String(repeating: "x", count: 60_000)
        for batch in 0..<20 {
            try store.write(now: t0) { writer in
                for index in 0..<10 { _ = try writer.append(draft("s", "\(batch)-\(index)-\(big)")) }
            }
        }
        XCTAssertEqual(try store.head().lastSeq, 200)
        XCTAssertGreaterThan(store.environment.mapSizeBytes, 1 << 20)
        XCTAssertNil(try store.verifyLog())
    }

    func testExportLinesParseBackToTheSameRecords() throws {
        let store = try makeStore()
        let records = try store.write(now: t0) { writer in
            [try writer.append(draft("a", "é \"quoted\" \u{1F600}", key: "k")), try writer.append(draft("b", "2"))]
        }
        for record in records {
            let line = record.exportLine()
            let parsed = try line.withUnsafeBytes { try Envelope.parse($0) }
            XCTAssertEqual(parsed.hash, record.hash)
            XCTAssertEqual(parsed.dataCanonical, record.dataCanonical)
            XCTAssertEqual(parsed.key, record.key)
        }
        // Change one letter of the payload ("quoted" becomes "Quoted"): the stated hash no longer fits.
        var tampered = records[0].exportLine()
        let payloadStart = tampered.firstRange(of: Array("quoted".utf8))!.lowerBound
        tampered[payloadStart] = UInt8(ascii: "Q")
        XCTAssertThrowsError(try tampered.withUnsafeBytes { try Envelope.parse($0) }) { error in
            XCTAssertEqual((error as? EnvelopeError)?.seq, 1)
        }
    }

    func testANewerFormatIsRefused() throws {
        do {
            let store = try makeStore()
            try store.environment.write { transaction in try transaction.put(store.meta, Array("format".utf8), [2, 0, 0, 0]) }
        }
        XCTAssertThrowsError(try EventStore(path: directory.path)) { error in
            guard case .newerFormat(_, let found, let supported)? = error as? EventStoreError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(found, 2)
            XCTAssertEqual(supported, 1)
        }
    }

    func testVerifyReportsProgress() throws {
        let store = try makeStore()
        try store.write(now: t0) { writer in for index in 0..<40_000 { _ = try writer.append(draft("s", "\(index)")) } }
        var reports: [ProgressReport] = []
        XCTAssertNil(try store.verifyLog { reports.append($0) })
        XCTAssertGreaterThan(reports.count, 1)
        XCTAssertEqual(reports.last?.done, 40_000)
        XCTAssertEqual(reports.last?.total, 40_000)
    }
}
