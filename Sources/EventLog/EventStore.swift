#if canImport(Glibc)
import Glibc
#endif

/// What went wrong in the log, worded for the person who has to act on it.
public enum EventStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// LMDB (or the disk under it) failed.
    case storage(LMDBError)
    /// Nothing at the path looks like a store.
    case storeMissing(path: String)
    /// The path exists but is not a store directory (a plain file, say).
    case notAStore(path: String, reason: String)
    /// `create` found a store already there.
    case storeExists(path: String)
    /// The store was written by a newer version of this program.
    case newerFormat(path: String, found: UInt32, supported: UInt32)
    /// An expected stream version did not match.
    case versionConflict(stream: String, expected: UInt64, actual: UInt64)
    /// A key already in the log was sent with a different event.
    case keyReused(key: String, seq: UInt64)
    /// A pinned clock went back before the log's last recordedAt.
    case clockBeforeLog(now: Timestamp, last: Timestamp)
    /// A stored record cannot be read back.
    case corruptRecord(seq: UInt64, reason: String)

    public var description: String {
        switch self {
        case .storage(let error): return "storage: \(error)"
        case .storeMissing(let path): return "no store at \(path); create one with `receivables init` or name another with --store"
        case .notAStore(let path, let reason): return "\(path) is not a store: \(reason)"
        case .storeExists(let path): return "a store already exists at \(path)"
        case .newerFormat(let path, let found, let supported):
            return "the store at \(path) has format \(found), newer than this program reads (\(supported)); use a newer version of receivables"
        case .versionConflict(let stream, let expected, let actual):
            return "stream \(stream) is at version \(actual), not the expected \(expected); reload it and try again"
        case .keyReused(let key, let seq):
            return "key \"\(key)\" was already used by a different event (seq \(seq)); use a new key"
        case .clockBeforeLog(let now, let last):
            return "the time \(now) is before the log's last recordedAt \(last); the log's time never goes back"
        case .corruptRecord(let seq, let reason): return "seq \(seq): \(reason)"
        }
    }
}

/// The position and seal of the log's last record.
public struct LogHead: Sendable, Equatable {
    public var lastSeq: UInt64
    public var lastHash: Digest
    public var lastRecordedAt: Timestamp
    public static let empty = LogHead(lastSeq: 0, lastHash: .zero, lastRecordedAt: Timestamp(millisecondsSinceEpoch: 0))
}

/// An event to append, before the store gives it a position, a time and a seal.
public struct RecordDraft: Sendable {
    public var stream: String
    public var type: String
    public var schemaVersion: UInt16
    public var effective: String
    public var key: String?
    /// A digest of the event as the appender sent it, kept with the key so that a retry can be
    /// told apart from a different event under the same key.
    public var keyFingerprint: Digest?
    public var metaCanonical: [UInt8]?
    public var dataCanonical: [UInt8]
    /// nil: append whatever the stream's version; 0: the stream must be new; n: it must be at n.
    public var expectedStreamVersion: UInt64?

    public init(stream: String, type: String, schemaVersion: UInt16 = 1, effective: String, key: String? = nil,
                keyFingerprint: Digest? = nil, metaCanonical: [UInt8]? = nil, dataCanonical: [UInt8],
                expectedStreamVersion: UInt64? = nil) {
        self.stream = stream
        self.type = type
        self.schemaVersion = schemaVersion
        self.effective = effective
        self.key = key
        self.keyFingerprint = keyFingerprint
        self.metaCanonical = metaCanonical
        self.dataCanonical = dataCanonical
        self.expectedStreamVersion = expectedStreamVersion
    }
}

/// The append-only, hash-chained event log in one LMDB environment.
///
/// It knows nothing about what the events mean. Layers above open their own databases in the
/// same environment (``extraDatabases``) and update them inside ``write(now:strictClock:_:)``,
/// so that a reader never sees a log position that their state has not absorbed.
public final class EventStore: Sendable {
    /// The on-disk format this program writes and reads.
    public static let formatVersion: UInt32 = 1

    public let environment: Environment
    public let path: String
    let log: Database
    let streams: Database
    let streamIndex: Database
    let keys: Database
    let meta: Database
    /// The databases the layers above asked for, by name.
    public let extraDatabases: [String: Database]

    static let coreDatabaseNames = ["log", "streams", "stream-index", "keys", "meta"]

    /// Opens the store at `path`. With `create`, a missing directory is made (owner-only) and a
    /// new store is initialised there; without it, a missing store is an error.
    public init(path: String, create: Bool = false, extraDatabases names: [String] = [],
                options: Environment.Options = Environment.Options()) throws(EventStoreError) {
        self.path = path
        var status = stat()
        let exists = stat(path, &status) == 0
        if exists {
            guard (status.st_mode & S_IFMT) == S_IFDIR else {
                throw .notAStore(path: path, reason: "it is a file, not a directory")
            }
            if access(path + "/data.mdb", F_OK) != 0 && !create {
                throw .storeMissing(path: path)
            }
        } else {
            guard create else { throw .storeMissing(path: path) }
            try Self.makeDirectory(path)
        }
        do {
            environment = try Environment(path: path, options: options)
        } catch let error as LMDBError {
            throw .storage(error)
        } catch {
            throw .storage(.invalid)
        }
        do {
            // A store of a newer format is refused before anything is opened for writing: a
            // database this version would add must not be written into it.
            if let format = try environment.peek(database: "meta", key: Array("format".utf8)) {
                let found = Self.formatNumber(format)
                if found > Self.formatVersion {
                    throw EventStoreError.newerFormat(path: path, found: found, supported: Self.formatVersion)
                }
            }
            let all = try environment.openDatabases(Self.coreDatabaseNames + names)
            log = all[0]; streams = all[1]; streamIndex = all[2]; keys = all[3]; meta = all[4]
            var extra: [String: Database] = [:]
            for database in all.dropFirst(Self.coreDatabaseNames.count) { extra[database.name] = database }
            extraDatabases = extra
            let metaDatabase = meta
            try environment.write { transaction in
                if let format = try transaction.get(metaDatabase, Array("format".utf8)) {
                    let found = Self.formatNumber(format)
                    if found > Self.formatVersion {
                        throw EventStoreError.newerFormat(path: path, found: found, supported: Self.formatVersion)
                    }
                } else {
                    var value = [UInt8]()
                    RecordCodec.appendInteger(Self.formatVersion, to: &value)
                    try transaction.put(metaDatabase, Array("format".utf8), value)
                }
            }
        } catch let error as EventStoreError {
            throw error
        } catch let error as LMDBError {
            throw .storage(error)
        } catch {
            throw .storage(.invalid)
        }
    }

    /// The format number stored in the meta database (unreadable: the largest, so refused).
    private static func formatNumber(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { raw in
            var reader = ByteReader(bytes: raw)
            let value: UInt32? = reader.integer()
            return value ?? .max
        }
    }

    private static func makeDirectory(_ path: String) throws(EventStoreError) {
        // Create missing parents with the usual mode, the store itself owner-only.
        var components: [String] = []
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            components.append(prefix)
        }
        for (index, directory) in components.enumerated() {
            let isStore = index == components.count - 1
            if mkdir(directory, isStore ? 0o700 : 0o755) != 0 && errno != EEXIST {
                throw .notAStore(path: path, reason: String(cString: strerror(errno)))
            }
        }
        chmod(path, 0o700)
    }

    // MARK: Reading

    /// The log's last position, hash and time.
    public func head() throws(EventStoreError) -> LogHead {
        do {
            return try read { transaction in try self.head(in: transaction) }
        } catch let error as EventStoreError {
            throw error
        } catch {
            throw .corruptRecord(seq: 0, reason: "\(error)")
        }
    }

    public func head(in transaction: Transaction) throws -> LogHead {
        guard let bytes = try transaction.get(meta, Array("head".utf8)) else { return .empty }
        return try bytes.withUnsafeBytes { raw in
            var reader = ByteReader(bytes: raw)
            guard let seq: UInt64 = reader.integer(), let hash = reader.bytes(32), let time: Int64 = reader.integer() else {
                throw EventStoreError.corruptRecord(seq: 0, reason: "the log head is malformed")
            }
            return LogHead(lastSeq: seq, lastHash: Digest(bytes: hash), lastRecordedAt: Timestamp(millisecondsSinceEpoch: time))
        }
    }

    /// Runs `body` in one consistent read snapshot of the whole store. LMDB's failures come out
    /// as `EventStoreError.storage`; the body's own errors pass through as they are.
    public func read<Result>(_ body: (Transaction) throws -> Result) throws -> Result {
        do {
            return try environment.read(body)
        } catch let error as LMDBError {
            throw EventStoreError.storage(error)
        }
    }

    /// The record at `seq`, read inside `transaction`.
    public func record(_ seq: UInt64, in transaction: Transaction) throws -> Record? {
        let key = seq.bigEndianBytes
        return try key.withUnsafeBytes { keyBytes -> Record? in
            guard let value = try transaction.get(log, keyBytes) else { return nil }
            do {
                return try RecordCodec.decode(seq: seq, value)
            } catch let error as RecordCodec.DecodeError {
                throw EventStoreError.corruptRecord(seq: seq, reason: error.reason)
            }
        }
    }

    /// Calls `body` for each record from `first` through `last`, inside one given snapshot.
    public func forEachRecord(in transaction: Transaction, from first: UInt64 = 1, through last: UInt64,
                              _ body: (Record) throws -> Void) throws {
        let cursor = try transaction.cursor(log)
        var entry = try cursor.seek(atOrAfter: max(first, 1).bigEndianBytes)
        while let current = entry {
            guard let seq = UInt64(bigEndianBytes: current.key) else {
                throw EventStoreError.corruptRecord(seq: first, reason: "a log key is not 8 bytes")
            }
            if seq > last { break }
            do {
                try body(try RecordCodec.decode(seq: seq, current.value))
            } catch let error as RecordCodec.DecodeError {
                throw EventStoreError.corruptRecord(seq: seq, reason: error.reason)
            }
            entry = try cursor.next()
        }
    }

    /// The seqs of a stream's records, in order.
    public func seqs(ofStream stream: String, in transaction: Transaction) throws -> [UInt64] {
        var prefix = Array(stream.utf8)
        prefix.append(0)
        var seqs: [UInt64] = []
        let cursor = try transaction.cursor(streamIndex)
        var entry = try cursor.seek(atOrAfter: prefix)
        while let current = entry, current.key.count == prefix.count + 8, current.key.starts(with: prefix) {
            if let seq = UInt64(bigEndianBytes: current.value) { seqs.append(seq) }
            entry = try cursor.next()
        }
        return seqs
    }

    /// Calls `body` for each record from `first` through `last` (default: the head), reading in
    /// short snapshots of `chunk` records so that the log is never held in memory and no
    /// reader pins old pages for long.
    public func forEachRecord(from first: UInt64 = 1, through last: UInt64? = nil, chunk: Int = 4096,
                              _ body: (Record) throws -> Void) throws {
        var next = max(first, 1)
        let end = try last ?? head().lastSeq
        while next <= end {
            let batch: [Record] = try read { transaction in
                var records: [Record] = []
                records.reserveCapacity(chunk)
                let cursor = try transaction.cursor(log)
                var entry = try cursor.seek(atOrAfter: next.bigEndianBytes)
                while let current = entry, records.count < chunk {
                    guard let seq = UInt64(bigEndianBytes: current.key) else {
                        throw EventStoreError.corruptRecord(seq: next, reason: "a log key is not 8 bytes")
                    }
                    if seq > end { break }
                    do {
                        records.append(try RecordCodec.decode(seq: seq, current.value))
                    } catch let error as RecordCodec.DecodeError {
                        throw EventStoreError.corruptRecord(seq: seq, reason: error.reason)
                    }
                    entry = try cursor.next()
                }
                return records
            }
            if batch.isEmpty { break }
            for record in batch { try body(record) }
            next = batch[batch.count - 1].seq + 1
        }
    }

    /// The records from `first` on, as an asynchronous sequence. With `following`, the sequence
    /// does not end at the head: it waits for new appends (from this process or another one,
    /// looking every `pollInterval`) until the task is cancelled.
    public func records(from first: UInt64 = 1, following: Bool = false,
                        pollIntervalMilliseconds: Int = 50) -> Records {
        Records(store: self, first: max(first, 1), following: following, pollIntervalMilliseconds: pollIntervalMilliseconds)
    }

    public struct Records: AsyncSequence, Sendable {
        public typealias Element = Record
        let store: EventStore
        let first: UInt64
        let following: Bool
        let pollIntervalMilliseconds: Int

        public func makeAsyncIterator() -> Iterator {
            Iterator(store: store, next: first, following: following, pollIntervalMilliseconds: pollIntervalMilliseconds)
        }

        public struct Iterator: AsyncIteratorProtocol {
            let store: EventStore
            var next: UInt64
            let following: Bool
            let pollIntervalMilliseconds: Int
            var buffered: [Record] = []
            var bufferIndex = 0

            public mutating func next() async throws -> Record? {
                while true {
                    if bufferIndex < buffered.count {
                        defer { bufferIndex += 1 }
                        return buffered[bufferIndex]
                    }
                    buffered.removeAll(keepingCapacity: true)
                    bufferIndex = 0
                    let last = try store.head().lastSeq
                    if next <= last {
                        let through = Swift.min(last, next + 1023)
                        var collected: [Record] = []
                        try store.forEachRecord(from: next, through: through) { collected.append($0) }
                        buffered = collected
                        if let tail = collected.last { next = tail.seq + 1 } else { return nil }
                        continue
                    }
                    guard following else { return nil }
                    try await Task.sleep(nanoseconds: UInt64(pollIntervalMilliseconds) * 1_000_000)
                }
            }
        }
    }

    // MARK: Writing

    /// Runs `body` in the one write transaction. Every record the body appends gets
    /// `recordedAt` = max(now, the log's last recordedAt) — or, with `strictClock`, an error when
    /// `now` is earlier. All of it commits at once or not at all; the body may run more than
    /// once (when the map has to grow), so it must act only through the writer it is given.
    public func write<Result>(now: Timestamp, strictClock: Bool = false,
                              _ body: (LogWriter) throws -> Result) throws -> Result {
        do {
            return try environment.write { transaction in
                let head = try self.head(in: transaction)
                if strictClock && now < head.lastRecordedAt {
                    throw EventStoreError.clockBeforeLog(now: now, last: head.lastRecordedAt)
                }
                let writer = LogWriter(store: self, transaction: transaction, head: head,
                                       recordedAt: max(now, head.lastRecordedAt))
                let result = try body(writer)
                try writer.finish()
                return result
            }
        } catch let error as LMDBError {
            throw EventStoreError.storage(error)
        }
    }
}

/// The appending side of one write transaction.
public final class LogWriter {
    public let store: EventStore
    public let transaction: Transaction
    public private(set) var head: LogHead
    /// The time every record of this transaction is stamped with.
    public let recordedAt: Timestamp
    private let startSeq: UInt64

    init(store: EventStore, transaction: Transaction, head: LogHead, recordedAt: Timestamp) {
        self.store = store
        self.transaction = transaction
        self.head = head
        self.recordedAt = recordedAt
        self.startSeq = head.lastSeq
    }

    /// How many records this transaction has appended so far.
    public var appendedCount: Int { Int(head.lastSeq - startSeq) }

    /// The seq and fingerprint of the event already appended under `key`, if any.
    public func existing(key: String) throws -> (seq: UInt64, fingerprint: Digest)? {
        guard let value = try transaction.get(store.keys, Array(key.utf8)) else { return nil }
        return try value.withUnsafeBytes { raw in
            var reader = ByteReader(bytes: raw)
            guard let seq: UInt64 = reader.integer(), let digest = reader.bytes(32) else {
                throw EventStoreError.corruptRecord(seq: 0, reason: "the key index entry for \"\(key)\" is malformed")
            }
            return (seq, Digest(bytes: digest))
        }
    }

    /// The current version of `stream` (0 when it has no events).
    public func version(of stream: String) throws -> UInt64 {
        guard let value = try transaction.get(store.streams, Array(stream.utf8)) else { return 0 }
        return value.withUnsafeBytes { raw in
            var reader = ByteReader(bytes: raw)
            let version: UInt64? = reader.integer()
            return version ?? 0
        }
    }

    /// Appends `draft` at the next position and answers the sealed record.
    @discardableResult
    public func append(_ draft: RecordDraft) throws -> Record {
        let current = try version(of: draft.stream)
        if let expected = draft.expectedStreamVersion, expected != current {
            throw EventStoreError.versionConflict(stream: draft.stream, expected: expected, actual: current)
        }
        var record = Record(
            seq: head.lastSeq + 1, stream: draft.stream, streamVersion: current + 1, type: draft.type,
            schemaVersion: draft.schemaVersion, recordedAt: recordedAt, effective: draft.effective,
            key: draft.key, metaCanonical: draft.metaCanonical, dataCanonical: draft.dataCanonical,
            prev: head.lastHash, hash: .zero)
        record.hash = record.computedHash()
        try store(record, fingerprint: draft.keyFingerprint ?? .zero)
        return record
    }

    /// Appends a record that already has its position, time and seal (a restore). The caller
    /// has checked its hash; this checks that it continues the chain.
    public func appendRestored(_ record: Record, fingerprint: Digest) throws {
        precondition(record.seq == head.lastSeq + 1 && record.prev == head.lastHash,
                     "a restored record must continue the chain")
        var record = record
        record.streamVersion = try version(of: record.stream) + 1
        try store(record, fingerprint: fingerprint)
    }

    private func store(_ record: Record, fingerprint: Digest) throws {
        let encoded = RecordCodec.encode(record)
        try transaction.put(store.log, record.seq.bigEndianBytes, encoded, flags: .append)
        var version = [UInt8]()
        RecordCodec.appendInteger(record.streamVersion, to: &version)
        try transaction.put(store.streams, Array(record.stream.utf8), version)
        try transaction.put(store.streamIndex, LogWriter.streamIndexKey(record.stream, record.streamVersion),
                            record.seq.bigEndianBytes)
        if let key = record.key {
            var value = [UInt8]()
            RecordCodec.appendInteger(record.seq, to: &value)
            value.append(contentsOf: fingerprint.bytes)
            try transaction.put(store.keys, Array(key.utf8), value, flags: .noOverwrite)
        }
        head = LogHead(lastSeq: record.seq, lastHash: record.hash, lastRecordedAt: record.recordedAt)
    }

    static func streamIndexKey(_ stream: String, _ version: UInt64) -> [UInt8] {
        var key = Array(stream.utf8)
        key.append(0)
        key.append(contentsOf: version.bigEndianBytes)
        return key
    }

    func finish() throws {
        guard head.lastSeq != startSeq else { return }
        var value = [UInt8]()
        RecordCodec.appendInteger(head.lastSeq, to: &value)
        value.append(contentsOf: head.lastHash.bytes)
        RecordCodec.appendInteger(head.lastRecordedAt.millisecondsSinceEpoch, to: &value)
        try transaction.put(store.meta, Array("head".utf8), value)
    }
}
