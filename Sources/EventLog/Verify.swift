/// The first thing found wrong in a store, with the seq (or other name) it was found at.
public struct VerifyProblem: Sendable, Equatable, CustomStringConvertible {
    /// The first bad position, when the problem has one.
    public var seq: UInt64?
    public var reason: String

    public init(seq: UInt64?, reason: String) {
        self.seq = seq
        self.reason = reason
    }

    public var description: String {
        if let seq { return "seq \(seq): \(reason)" }
        return reason
    }
}

/// How far a long check or rebuild has come.
public struct ProgressReport: Sendable {
    public var done: UInt64
    public var total: UInt64
    public init(done: UInt64, total: UInt64) {
        self.done = done
        self.total = total
    }
}

extension EventStore {
    /// Checks the whole log: every record decodes, seq is gapless from 1, each `prev` is the hash
    /// before it, each `hash` is recomputed from the content, recordedAt never decreases, and the
    /// stream, stream-index and key indexes agree with the records and with each other. Answers
    /// the first problem found (nil when the log is sound). Reads in short snapshots.
    public func verifyLog(progress: ((ProgressReport) -> Void)? = nil) throws -> VerifyProblem? {
        let head = try self.head()
        var expectedSeq: UInt64 = 1
        var previousHash = Digest.zero
        var previousTime = Timestamp(millisecondsSinceEpoch: .min)
        var streamVersions: [String: UInt64] = [:]
        var keyedRecords = 0
        var problem: VerifyProblem?
        let reportEvery: UInt64 = 16_384

        struct Stop: Error {}
        do {
            try scanLog { seq, decoded in
                guard seq == expectedSeq else {
                    problem = VerifyProblem(seq: expectedSeq, reason: seq > expectedSeq
                        ? "the record is missing (the next one present is seq \(seq))"
                        : "a record is out of order")
                    throw Stop()
                }
                let record: Record
                switch decoded {
                case .failure(let error):
                    problem = VerifyProblem(seq: seq, reason: "the stored record cannot be read: \(error.reason)")
                    throw Stop()
                case .success(let value):
                    record = value
                }
                if record.prev != previousHash {
                    problem = VerifyProblem(seq: seq, reason: "prev does not match the hash of seq \(seq - 1)")
                    throw Stop()
                }
                if record.computedHash() != record.hash {
                    problem = VerifyProblem(seq: seq, reason: "the hash does not match the record's content")
                    throw Stop()
                }
                if record.recordedAt < previousTime {
                    problem = VerifyProblem(seq: seq, reason: "recordedAt \(record.recordedAt) goes back before \(previousTime)")
                    throw Stop()
                }
                let version = (streamVersions[record.stream] ?? 0) + 1
                streamVersions[record.stream] = version
                if record.streamVersion != version {
                    problem = VerifyProblem(seq: seq, reason: "stream \(record.stream) version \(record.streamVersion), expected \(version)")
                    throw Stop()
                }
                if let issue = try indexProblem(for: record) {
                    problem = VerifyProblem(seq: seq, reason: issue)
                    throw Stop()
                }
                if record.key != nil { keyedRecords += 1 }
                previousHash = record.hash
                previousTime = record.recordedAt
                expectedSeq += 1
                if seq % reportEvery == 0 { progress?(ProgressReport(done: seq, total: head.lastSeq)) }
            }
        } catch is Stop {
            return problem
        }
        let lastSeq = expectedSeq - 1
        progress?(ProgressReport(done: lastSeq, total: head.lastSeq))
        if lastSeq != head.lastSeq || previousHash != head.lastHash {
            return VerifyProblem(seq: lastSeq + 1, reason: "the log head says seq \(head.lastSeq) but the log ends at seq \(lastSeq)")
        }
        return try read { transaction -> VerifyProblem? in
            if try transaction.count(keys) != keyedRecords {
                return VerifyProblem(seq: nil, reason: "the key index holds \(try transaction.count(keys)) keys, the log \(keyedRecords)")
            }
            if try transaction.count(streamIndex) != Int(lastSeq) {
                return VerifyProblem(seq: nil, reason: "the stream index holds \(try transaction.count(streamIndex)) entries, the log \(lastSeq)")
            }
            if try transaction.count(streams) != streamVersions.count {
                return VerifyProblem(seq: nil, reason: "the stream table holds \(try transaction.count(streams)) streams, the log \(streamVersions.count)")
            }
            for (stream, version) in streamVersions {
                guard let stored = try transaction.get(streams, Array(stream.utf8)) else {
                    return VerifyProblem(seq: nil, reason: "stream \(stream) is missing from the stream table")
                }
                let storedVersion: UInt64? = stored.withUnsafeBytes { raw in var reader = ByteReader(bytes: raw); return reader.integer() }
                if storedVersion != version {
                    return VerifyProblem(seq: nil, reason: "stream \(stream) is at version \(storedVersion ?? 0) in the stream table, \(version) in the log")
                }
            }
            return nil
        }
    }

    /// The indexes' view of one record, or what is wrong with it.
    private func indexProblem(for record: Record) throws -> String? {
        try read { transaction -> String? in
            let indexKey = LogWriter.streamIndexKey(record.stream, record.streamVersion)
            guard let indexed = try transaction.get(streamIndex, indexKey),
                  indexed.withUnsafeBytes({ UInt64(bigEndianBytes: $0) }) == record.seq else {
                return "the stream index does not point at this record"
            }
            if let key = record.key {
                guard let entry = try transaction.get(keys, Array(key.utf8)), entry.count == 40,
                      entry.withUnsafeBytes({ raw -> UInt64? in var reader = ByteReader(bytes: raw); return reader.integer() }) == record.seq
                else { return "the key index does not point at this record for key \"\(key)\"" }
            }
            return nil
        }
    }

    /// Walks the raw log database in order, handing over each key's seq and its decoded record
    /// (or why it could not be decoded), in snapshots of a few thousand records.
    func scanLog(_ body: (UInt64, Result<Record, RecordCodec.DecodeError>) throws -> Void) throws {
        var startKey: UInt64 = 0
        while true {
            let batch: [(UInt64, Result<Record, RecordCodec.DecodeError>)] = try read { transaction in
                var items: [(UInt64, Result<Record, RecordCodec.DecodeError>)] = []
                let cursor = try transaction.cursor(log)
                var entry = try cursor.seek(atOrAfter: startKey.bigEndianBytes)
                while let current = entry, items.count < 4096 {
                    guard let seq = UInt64(bigEndianBytes: current.key) else {
                        throw EventStoreError.corruptRecord(seq: startKey, reason: "a log key is not 8 bytes")
                    }
                    do {
                        items.append((seq, .success(try RecordCodec.decode(seq: seq, current.value))))
                    } catch let error as RecordCodec.DecodeError {
                        items.append((seq, .failure(error)))
                    }
                    entry = try cursor.next()
                }
                return items
            }
            guard let last = batch.last else { return }
            for item in batch { try body(item.0, item.1) }
            if last.0 == .max { return }
            startKey = last.0 + 1
        }
    }
}
