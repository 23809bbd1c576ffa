import CLMDB
#if canImport(Glibc)
import Glibc
#endif

/// A named LMDB database inside an environment. The handle is valid for the environment's life.
public struct Database: Sendable, Hashable {
    public let name: String
    let handle: MDB_dbi
}

/// One LMDB environment: the single memory-mapped file that holds a store.
///
/// All raw calls to LMDB live in this folder. The environment grows its map by itself: a write
/// that fails with `MDB_MAP_FULL` is aborted, the map is doubled and the whole write is run again,
/// so a write body must only touch the transaction it is given. A map grown by another process
/// (`MDB_MAP_RESIZED`) is adopted the same way.
public final class Environment: @unchecked Sendable {
    // @unchecked: the pointer is only used through LMDB calls that are safe across threads with
    // MDB_NOTLS, and map resizing is serialised by `resizeLock`.
    let handle: OpaquePointer
    public let path: String
    private var databases: [String: Database] = [:]
    private let databasesLock = Mutex()
    /// Transactions hold this shared; resizing the map holds it exclusively, because LMDB
    /// requires that no transaction of this process is active while the map size changes.
    private let resizeLock = ReadWriteLock()
    /// Serialises writers inside this process so map growth never races another of our writers.
    private let writerLock = Mutex()

    public struct Options: Sendable {
        /// The map size a new environment starts with; it doubles whenever it fills up.
        public var initialMapSizeBytes: Int = 64 << 20
        /// The largest map this process will grow to.
        public var maximumMapSizeBytes: Int = 1 << 40
        public var maximumDatabases: UInt32 = 32
        public var maximumReaders: UInt32 = 126
        public var readOnly: Bool = false
        public init() {}
    }

    /// Opens (creating when missing) the environment in directory `path`, whose files are
    /// created owner-only. Stale reader slots left by dead processes are cleared.
    public init(path: String, options: Options = Options()) throws {
        var environment: OpaquePointer?
        try LMDBError.check(mdb_env_create(&environment))
        guard let environment else { throw LMDBError.invalid }
        self.handle = environment
        self.path = path
        do {
            try LMDBError.check(mdb_env_set_maxdbs(environment, options.maximumDatabases))
            try LMDBError.check(mdb_env_set_maxreaders(environment, options.maximumReaders))
            try LMDBError.check(mdb_env_set_mapsize(environment, options.initialMapSizeBytes))
            var flags = UInt32(MDB_NOTLS)
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            try LMDBError.check(mdb_env_open(environment, path, flags, 0o600))
            var dead: Int32 = 0
            try LMDBError.check(mdb_reader_check(environment, &dead))
            self.maximumMapSizeBytes = options.maximumMapSizeBytes
        } catch {
            mdb_env_close(environment)
            throw error
        }
    }

    private let maximumMapSizeBytes: Int

    deinit { mdb_env_close(handle) }

    /// The current size of the memory map in bytes.
    public var mapSizeBytes: Int {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        return info.me_mapsize
    }

    /// Flushes to disk; needed only when a store was opened with relaxed durability.
    public func sync() throws { try LMDBError.check(mdb_env_sync(handle, 1)) }

    /// Opens (creating when missing) the named databases in one write transaction.
    public func openDatabases(_ names: [String]) throws -> [Database] {
        try write { transaction in
            var opened: [Database] = []
            for name in names {
                var dbi: MDB_dbi = 0
                try LMDBError.check(mdb_dbi_open(transaction.handle, name, UInt32(MDB_CREATE), &dbi))
                opened.append(Database(name: name, handle: dbi))
            }
            return opened
        }
    }

    /// Lets the kernel take back this process's view of the map's pages. Long scans (rebuild,
    /// verify) call it between batches so that the part of the log already read does not stay
    /// in the process's resident memory: the pages stay in the file system's cache, and any
    /// later access reads them from there again. Safe at any time because the map is read-only
    /// here (no MDB_WRITEMAP): no page of it is ever dirty. LMDB does not tell where its map is
    /// (mdb_env_info answers an address only for fixed maps), so the mappings of the data
    /// file are found in /proc/self/maps by its inode.
    public func releaseMappedPages() {
        var descriptor: Int32 = -1
        var status = stat()
        guard mdb_env_get_fd(handle, &descriptor) == 0, fstat(descriptor, &status) == 0 else { return }
        let maps = open("/proc/self/maps", O_RDONLY)
        guard maps >= 0 else { return }
        defer { close(maps) }
        var text: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(maps, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            text.append(contentsOf: chunk[0..<count])
        }
        // Each line: start-end perms offset device inode path.
        for line in text.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
            guard fields.count >= 6, UInt64(String(decoding: fields[4], as: UTF8.self)) == UInt64(status.st_ino) else { continue }
            let range = fields[0].split(separator: UInt8(ascii: "-"))
            guard range.count == 2, let start = UInt(String(decoding: range[0], as: UTF8.self), radix: 16),
                  let end = UInt(String(decoding: range[1], as: UTF8.self), radix: 16), end > start,
                  let address = UnsafeMutableRawPointer(bitPattern: start) else { continue }
            _ = madvise(address, Int(end - start), MADV_DONTNEED)
        }
    }

    /// The value of `key` in the database called `name`, read without creating anything (nil
    /// when either is missing): for checks that must not write to a store they may refuse.
    public func peek(database name: String, key: [UInt8]) throws -> [UInt8]? {
        // A write transaction that changes nothing (its commit writes nothing), not a read: a
        // process's first read transaction takes its reader slot, which closing an older handle
        // of the same store in this process would release under this one.
        try write { transaction in
            var dbi: MDB_dbi = 0
            let code = mdb_dbi_open(transaction.handle, name, 0, &dbi)
            if code == MDB_NOTFOUND { return nil }
            try LMDBError.check(code)
            return try key.withUnsafeBytes { keyBytes in
                try transaction.get(Database(name: name, handle: dbi), keyBytes).map { Array($0) }
            }
        }
    }

    // MARK: Transactions

    /// Runs `body` in a read-only snapshot. Readers never block the writer or each other.
    public func read<Result>(_ body: (Transaction) throws -> Result) throws -> Result {
        resizeLock.lockShared()
        defer { resizeLock.unlock() }
        let transaction = try beginAdoptingResize(flags: UInt32(MDB_RDONLY))
        defer { mdb_txn_abort(transaction.handle); transaction.handle = nil }
        return try body(transaction)
    }

    /// Runs `body` in the one write transaction and commits it; on any thrown error nothing is
    /// written. When the map fills, the map is grown and `body` runs again from the start.
    public func write<Result>(_ body: (Transaction) throws -> Result) throws -> Result {
        writerLock.lock()
        defer { writerLock.unlock() }
        while true {
            var grow = false
            do {
                resizeLock.lockShared()
                defer { resizeLock.unlock() }
                let transaction = try beginAdoptingResize(flags: 0)
                do {
                    let result = try body(transaction)
                    let code = mdb_txn_commit(transaction.handle)
                    transaction.handle = nil
                    try LMDBError.check(code)
                    return result
                } catch {
                    if let handle = transaction.handle { mdb_txn_abort(handle); transaction.handle = nil }
                    throw error
                }
            } catch let error as LMDBError where error == .mapFull {
                grow = true
            }
            if grow { try growMap() }
        }
    }

    private func beginAdoptingResize(flags: UInt32) throws -> Transaction {
        var pointer: OpaquePointer?
        var code = mdb_txn_begin(handle, nil, flags, &pointer)
        while code == MDB_MAP_RESIZED {
            // Another process grew the map (perhaps again while we waited for the writer lock).
            // Adopt its size; this needs no transaction of ours active, so step out of the shared
            // lock for the moment it takes. Each adoption only makes the map larger, so this ends.
            resizeLock.unlock()
            resizeLock.lockExclusive()
            mdb_env_set_mapsize(handle, 0)
            resizeLock.unlock()
            resizeLock.lockShared()
            code = mdb_txn_begin(handle, nil, flags, &pointer)
        }
        try LMDBError.check(code)
        return Transaction(handle: pointer!, environment: self)
    }

    private func growMap() throws {
        resizeLock.lockExclusive()
        defer { resizeLock.unlock() }
        // A reader that died holding a snapshot pins old pages; clearing its slot lets them be
        // reused, so a store with a crashed reader does not keep growing.
        var dead: Int32 = 0
        mdb_reader_check(handle, &dead)
        let current = mapSizeBytes
        guard current < maximumMapSizeBytes else { throw LMDBError.mapFull }
        let next = min(current * 2, maximumMapSizeBytes)
        try LMDBError.check(mdb_env_set_mapsize(handle, next))
    }
}

/// A transaction, valid only inside the `read` or `write` body that received it.
public final class Transaction {
    fileprivate(set) var handle: OpaquePointer?
    public unowned let environment: Environment

    fileprivate init(handle: OpaquePointer, environment: Environment) {
        self.handle = handle
        self.environment = environment
    }

    /// The value stored under `key`, as a view valid until the transaction ends.
    @inline(__always)
    public func get(_ database: Database, _ key: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer? {
        var keyValue = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var data = MDB_val()
        let code = mdb_get(handle, database.handle, &keyValue, &data)
        if code == MDB_NOTFOUND { return nil }
        try LMDBError.check(code)
        return UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size)
    }

    public func get(_ database: Database, _ key: [UInt8]) throws -> [UInt8]? {
        try key.withUnsafeBytes { (keyBytes) throws -> [UInt8]? in
            guard let value = try get(database, keyBytes) else { return nil }
            return [UInt8](value)
        }
    }

    public struct PutFlags: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// Fails with `keyExists` instead of overwriting.
        public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
        /// The key is greater than every key present: LMDB appends without searching.
        public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
    }

    @inline(__always)
    public func put(_ database: Database, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, flags: PutFlags = []) throws {
        var keyValue = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var data = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try LMDBError.check(mdb_put(handle, database.handle, &keyValue, &data, flags.rawValue))
    }

    public func put(_ database: Database, _ key: [UInt8], _ value: [UInt8], flags: PutFlags = []) throws {
        try key.withUnsafeBytes { (keyBytes) throws in
            try value.withUnsafeBytes { (valueBytes) throws in
                try put(database, keyBytes, valueBytes, flags: flags)
            }
        }
    }

    /// Deletes `key`; answers whether it was there.
    @discardableResult
    public func delete(_ database: Database, _ key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { (keyBytes) throws -> Bool in
            var keyValue = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            let code = mdb_del(handle, database.handle, &keyValue, nil)
            if code == MDB_NOTFOUND { return false }
            try LMDBError.check(code)
            return true
        }
    }

    /// Removes every entry of `database`, keeping the database itself.
    public func clear(_ database: Database) throws {
        try LMDBError.check(mdb_drop(handle, database.handle, 0))
    }

    /// The number of entries in `database`.
    public func count(_ database: Database) throws -> Int {
        var statistics = MDB_stat()
        try LMDBError.check(mdb_stat(handle, database.handle, &statistics))
        return statistics.ms_entries
    }

    public func cursor(_ database: Database) throws -> Cursor {
        var pointer: OpaquePointer?
        try LMDBError.check(mdb_cursor_open(handle, database.handle, &pointer))
        return Cursor(handle: pointer!)
    }
}

/// A position in a database, valid only inside its transaction.
public final class Cursor {
    private let handle: OpaquePointer
    fileprivate init(handle: OpaquePointer) { self.handle = handle }
    deinit { mdb_cursor_close(handle) }

    public typealias Entry = (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)

    @inline(__always)
    private func move(_ operation: MDB_cursor_op, key: UnsafeRawBufferPointer? = nil) throws -> Entry? {
        var keyValue = MDB_val(mv_size: key?.count ?? 0, mv_data: UnsafeMutableRawPointer(mutating: key?.baseAddress))
        var data = MDB_val()
        let code = mdb_cursor_get(handle, &keyValue, &data, operation)
        if code == MDB_NOTFOUND { return nil }
        try LMDBError.check(code)
        return (UnsafeRawBufferPointer(start: keyValue.mv_data, count: keyValue.mv_size),
                UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size))
    }

    public func first() throws -> Entry? { try move(MDB_FIRST) }
    public func last() throws -> Entry? { try move(MDB_LAST) }
    public func next() throws -> Entry? { try move(MDB_NEXT) }
    public func previous() throws -> Entry? { try move(MDB_PREV) }
    /// The first entry whose key is greater than or equal to `key`.
    public func seek(atOrAfter key: UnsafeRawBufferPointer) throws -> Entry? { try move(MDB_SET_RANGE, key: key) }
    public func seek(atOrAfter key: [UInt8]) throws -> Entry? {
        try key.withUnsafeBytes { (bytes) throws -> Entry? in try move(MDB_SET_RANGE, key: bytes) }
    }
    /// Deletes the entry under the cursor.
    public func deleteCurrent() throws { try LMDBError.check(mdb_cursor_del(handle, 0)) }

    /// Puts `value` under `key` and leaves the cursor there. A key after the cursor's and on
    /// the same leaf page is found from that page, not from the root: puts in key order
    /// through one cursor are cheaper than the same puts in any order.
    public func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
        var keyValue = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var data = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try LMDBError.check(mdb_cursor_put(handle, &keyValue, &data, 0))
    }
}

// MARK: Locks

/// A plain pthread mutex: the write path is synchronous, so no async lock is wanted here.
final class Mutex: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func lock() { pthread_mutex_lock(&mutex) }
    func unlock() { pthread_mutex_unlock(&mutex) }
    func withLock<T>(_ body: () throws -> T) rethrows -> T { lock(); defer { unlock() }; return try body() }
}

final class ReadWriteLock: @unchecked Sendable {
    private var lock = pthread_rwlock_t()
    init() { pthread_rwlock_init(&lock, nil) }
    deinit { pthread_rwlock_destroy(&lock) }
    func lockShared() { pthread_rwlock_rdlock(&lock) }
    func lockExclusive() { pthread_rwlock_wrlock(&lock) }
    func unlock() { pthread_rwlock_unlock(&lock) }
}
