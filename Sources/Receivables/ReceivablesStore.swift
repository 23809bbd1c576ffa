import EventLog

/// A receivables store: the event log plus the state its rules and read models need, kept in
/// one LMDB environment and updated in the append's own transaction.
public final class ReceivablesStore: Sendable {
    public let events: EventStore

    /// The databases this layer keeps beside the log: two copies of the state and read models,
    /// of which one is live, and a pointer to it. A rebuild fills the other copy and then, in one
    /// transaction, makes it the live one: readers never see a half-built read model.
    static let databaseNames = ["state-a", "state-b", "receivables-meta", "outbox", "blobs", "checkpoints"]
    let stateCopies: [Database]
    let receivablesMeta: Database
    /// Messages committed for sending whose ReminderSent is not yet in the log (by Message-ID).
    let outbox: Database
    /// Payment documents, content-addressed: the 32-byte SHA-256 → the bytes.
    let blobs: Database
    /// Copies of the state at a few log positions, where as-of replays start (`Checkpoints`).
    let checkpoints: Database
    static let activeKey = Array("active-state".utf8)
    /// The number of the last rebuild or verify that took the spare copy of the state.
    static let spareOwnerKey = Array("spare-owner".utf8)
    /// The layout of the read models this program keeps, under `readModelsLayoutKey` (absent: 1).
    /// 2: each open-index entry holds the deadline's aging row (in layout 1 its value was empty).
    /// 3: each client-index entry holds a copy of its deadline or payment (before, it was empty).
    static let readModelsLayout: UInt32 = 3
    static let readModelsLayoutKey = Array("read-models-layout".utf8)

    /// Events between two replay checkpoints (`Checkpoints`).
    public let checkpointInterval: UInt64

    /// Opens the store at `path`; with `create`, makes a new one when none is there.
    /// `checkpointInterval` sets how many events apart this process leaves copies of the state
    /// for as-of replays; the default suits stores of any size.
    public init(path: String, create: Bool = false, options: Environment.Options = Environment.Options(),
                checkpointInterval: UInt64 = Checkpoints.defaultInterval) throws(EventStoreError) {
        self.checkpointInterval = max(1, checkpointInterval)
        events = try EventStore(path: path, create: create, extraDatabases: Self.databaseNames, options: options)
        stateCopies = [events.extraDatabases["state-a"]!, events.extraDatabases["state-b"]!]
        receivablesMeta = events.extraDatabases["receivables-meta"]!
        outbox = events.extraDatabases["outbox"]!
        blobs = events.extraDatabases["blobs"]!
        checkpoints = events.extraDatabases["checkpoints"]!
        try upgradeReadModels()
    }

    /// Brings the live read models of a store written by an earlier version to this program's
    /// layout, in place and once, so that it answers and verifies as a fresh fold would without a
    /// `rebuild`. The new parts come from the stored state, not from a fold of the log: opening a
    /// large old store stays quick. A store of a later layout is left as it is.
    private func upgradeReadModels() throws(EventStoreError) {
        func layout(_ transaction: Transaction) throws -> UInt32 {
            guard let value = try transaction.get(receivablesMeta, Self.readModelsLayoutKey) else { return 1 }
            return value.withUnsafeBytes { bytes in
                var reader = ByteReader(bytes: bytes)
                return reader.integer() ?? 1
            }
        }
        do {
            // A write transaction, like the log's format check, not a read: LMDB takes a
            // process's reader lock at an environment's first read transaction, and closing an
            // older handle of the same store in this process drops it, so reading here, before a
            // caller has let go of its previous handle, would leave this one's snapshots unguarded.
            try events.environment.write { transaction in
                guard try layout(transaction) < Self.readModelsLayout else { return }
                // Each fills only the entries still empty, so a store of any earlier layout
                // takes both.
                try StoredState.fillOpenIndexValues(in: transaction, try state(transaction))
                try StoredState.fillClientEntityValues(in: transaction, try state(transaction))
                var writer = ByteWriter()
                writer.integer(Self.readModelsLayout)
                try transaction.put(receivablesMeta, Self.readModelsLayoutKey, writer.bytes)
            }
        } catch let error as EventStoreError {
            throw error
        } catch let error as LMDBError {
            throw .storage(error)
        } catch {
            throw .corruptRecord(seq: 0, reason: "\(error)")
        }
    }

    /// Which copy of the state is live (0 or 1), as this transaction sees it.
    func activeCopy(_ transaction: Transaction) throws -> Int {
        guard let value = try transaction.get(receivablesMeta, Self.activeKey), value.count == 1 else { return 0 }
        return Int(value[0] & 1)
    }

    /// The live state database, as this transaction sees it.
    func state(_ transaction: Transaction) throws -> Database {
        stateCopies[try activeCopy(transaction)]
    }

    /// Makes a new, empty store; an existing store at `path` is an error.
    public static func create(at path: String) throws(EventStoreError) -> ReceivablesStore {
        if (try? EventStore(path: path)) != nil { throw .storeExists(path: path) }
        return try ReceivablesStore(path: path, create: true)
    }

    public var path: String { events.path }

    // MARK: Appending

    /// What an append did: for each input, the seq it has in the log (an earlier one for a
    /// repeated key), and how many events are new.
    public struct AppendOutcome: Sendable, Equatable {
        public var appended: Int
        public var seqs: [UInt64]
        /// The credit alerts the batch caused, in seq order.
        public var alerts: [CreditAlert]
    }

    /// An append refused: which input (0-based) and why, or the store's own failure.
    public enum AppendError: Error, Sendable, CustomStringConvertible {
        case rejected(index: Int, EventRejection)
        case store(EventStoreError)

        public var description: String {
            switch self {
            case .rejected(_, let rejection): return rejection.description
            case .store(let error): return error.description
            }
        }
    }

    /// Appends `inputs` in one transaction, all or nothing. With `dryRun`, every check runs and
    /// the answer is what the append would be, but nothing is written.
    public func append(_ inputs: [EventInput], now: Timestamp, strictClock: Bool = false,
                       dryRun: Bool = false, removingFromOutbox outboxIDs: [String] = [],
                       storingBlob blob: (digest: Digest, bytes: [UInt8])? = nil) throws(AppendError) -> AppendOutcome {
        struct DryRunFinished: Error { var outcome: AppendOutcome }
        do {
            return try events.write(now: now, strictClock: strictClock) { writer in
                if let blob { try writer.transaction.put(blobs, blob.digest.bytes, blob.bytes) }
                var session = try DomainSession(store: self, writer: writer)
                var seqs: [UInt64] = []
                seqs.reserveCapacity(inputs.count)
                var appended = 0
                for (index, input) in inputs.enumerated() {
                    do {
                        let result = try session.append(input)
                        seqs.append(result.seq)
                        if result.isNew { appended += 1 }
                    } catch let rejection as EventRejection {
                        throw AppendError.rejected(index: index, rejection)
                    }
                }
                try session.finish()
                if !dryRun { try session.checkpointIfDue() }
                for id in outboxIDs { try writer.transaction.delete(outbox, Array(id.utf8)) }
                let outcome = AppendOutcome(appended: appended, seqs: seqs, alerts: session.alerts)
                if dryRun { throw DryRunFinished(outcome: outcome) }
                return outcome
            }
        } catch let finished as DryRunFinished {
            return finished.outcome
        } catch let error as AppendError {
            throw error
        } catch is AmountOverflow {
            // The store-wide totals of the batch as a whole would overflow.
            throw .rejected(index: max(0, inputs.count - 1),
                            EventRejection(type: nil, field: nil, reason: AmountOverflow().description, rule: "amountOverflow"))
        } catch let error as EventStoreError {
            throw .store(error)
        } catch let error as LMDBError {
            throw .store(.storage(error))
        } catch {
            throw .store(.corruptRecord(seq: 0, reason: "\(error)"))
        }
    }

    // MARK: Export

    /// Writes the log from `first` through `last` as export lines (each ending in a newline).
    public func export(from first: UInt64 = 1, through last: UInt64? = nil,
                       _ write: ([UInt8]) throws -> Void) throws {
        var buffer = [UInt8]()
        buffer.reserveCapacity(1 << 16)
        try events.forEachRecord(from: first, through: last) { record in
            buffer.append(contentsOf: record.exportLine())
            buffer.append(UInt8(ascii: "\n"))
            if buffer.count >= 1 << 16 {
                try write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if !buffer.isEmpty { try write(buffer) }
    }

    // MARK: Verify

    /// Checks the log's chain and indexes; answers the first problem, or nil.
    public func verify(progress: ((ProgressReport) -> Void)? = nil) throws -> VerifyProblem? {
        try events.verifyLog(progress: progress)
    }
}

// MARK: Restore

/// Why a restore was refused: the input line, the seq when known, and the reason.
public struct RestoreError: Error, Sendable, CustomStringConvertible {
    public var line: Int?
    public var seq: UInt64?
    public var reason: String
    /// True when the store or the disk failed rather than the input.
    public var isStorageFailure = false

    public var description: String {
        var parts: [String] = []
        if let line { parts.append("line \(line)") }
        if let seq { parts.append("seq \(seq)") }
        parts.append(reason)
        return parts.joined(separator: ": ")
    }
}

extension ReceivablesStore {
    /// Builds a new store at `path` from an export, checking every envelope's hash and the chain
    /// from seq 1; seq and recordedAt are kept. The store is built beside `path` and moved into
    /// place only when the whole export has been taken, so a refused export leaves nothing.
    public static func restore(exportBytes: UnsafeRawBufferPointer, to path: String,
                               checkpointInterval: UInt64 = Checkpoints.defaultInterval,
                               progress: ((ProgressReport) -> Void)? = nil) throws(RestoreError) -> UInt64 {
        do {
            try FileSystem.requireEmptyOrMissingStorePath(path)
        } catch {
            throw RestoreError(line: nil, seq: nil, reason: error.reason)
        }
        let temporary = path + ".restoring-\(FileSystem.processID)"
        FileSystem.removeTree(temporary)
        do {
            let count = try restoreInto(temporary, exportBytes: exportBytes, checkpointInterval: checkpointInterval, progress: progress)
            do {
                try FileSystem.replace(path, with: temporary)
            } catch {
                throw RestoreError(line: nil, seq: nil, reason: error.reason, isStorageFailure: true)
            }
            return count
        } catch {
            FileSystem.removeTree(temporary)
            throw error as? RestoreError ?? RestoreError(line: nil, seq: nil, reason: "\(error)", isStorageFailure: true)
        }
    }

    private static func restoreInto(_ path: String, exportBytes: UnsafeRawBufferPointer, checkpointInterval: UInt64,
                                    progress: ((ProgressReport) -> Void)?) throws(RestoreError) -> UInt64 {
        let store: ReceivablesStore
        do {
            store = try ReceivablesStore(path: path, create: true, checkpointInterval: checkpointInterval)
        } catch {
            throw RestoreError(line: nil, seq: nil, reason: error.description, isStorageFailure: true)
        }
        let lines = Array(LineSplitter(exportBytes).filter { !$0.line.isBlankLine })
        let total = UInt64(lines.count)
        var expectedSeq: UInt64 = 1
        var previousHash = Digest.zero
        var previousTime = Timestamp(millisecondsSinceEpoch: .min)
        let batchSize = 8192
        var start = 0
        while start < lines.count {
            // A batch also ends where a replay checkpoint falls due, so that the copies land
            // every `checkpointInterval` events, as a rebuild places them.
            let untilCheckpoint = store.checkpointInterval - UInt64(start) % store.checkpointInterval
            let count = min(batchSize, lines.count - start, Int(clamping: untilCheckpoint))
            let batch = lines[start..<(start + count)]
            do {
                try store.events.write(now: Timestamp(millisecondsSinceEpoch: 0)) { writer in
                    var session = try DomainSession(store: store, writer: writer)
                    var seq = expectedSeq, hash = previousHash, time = previousTime
                    for (number, line) in batch {
                        let record: Record
                        do {
                            record = try Envelope.parse(line)
                        } catch let error as EnvelopeError {
                            throw RestoreError(line: number, seq: error.seq, reason: error.reason)
                        }
                        guard record.seq == seq else {
                            throw RestoreError(line: number, seq: record.seq, reason: "expected seq \(seq); the export must run from seq 1 without gaps")
                        }
                        guard record.prev == hash else {
                            throw RestoreError(line: number, seq: record.seq, reason: "prev does not match the hash of seq \(seq - 1): the chain is broken")
                        }
                        guard record.recordedAt >= time else {
                            throw RestoreError(line: number, seq: record.seq, reason: "recordedAt goes back in time")
                        }
                        if let key = record.key, try writer.existing(key: key) != nil {
                            throw RestoreError(line: number, seq: record.seq, reason: "key \"\(key)\" appears twice")
                        }
                        do {
                            try session.restore(record, fingerprint: restoredFingerprint(record))
                        } catch let rejection as EventRejection {
                            throw RestoreError(line: number, seq: record.seq, reason: rejection.description)
                        }
                        seq += 1
                        hash = record.hash
                        time = record.recordedAt
                    }
                    try session.finish()
                    try session.checkpointIfDue()
                    expectedSeq = seq
                    previousHash = hash
                    previousTime = time
                }
            } catch let error as RestoreError {
                throw error
            } catch {
                throw RestoreError(line: nil, seq: nil, reason: "\(error)", isStorageFailure: true)
            }
            start += batch.count
            progress?(ProgressReport(done: UInt64(start), total: total))
        }
        return expectedSeq - 1
    }

    /// A restored keyed event gets the fingerprint its input would have had, so that the
    /// application retrying the same keyed event after a restore is still answered with its seq.
    static func restoredFingerprint(_ record: Record) throws -> Digest {
        guard record.key != nil else { return .zero }
        var object = JSONObject()
        object["type"] = .string(record.type)
        object["data"] = .object(try record.data())
        if EventType(rawValue: record.type)?.ownDateField == nil {
            object["effective"] = .string(record.effective)
        }
        if let meta = try record.meta() { object["meta"] = .object(meta) }
        return Digest.sha256(CanonicalJSON.bytes(.object(object)))
    }
}
