import CLMDB
import EventLog
#if canImport(Glibc)
import Glibc
#endif

/// The limit: LMDB through the same C library, with nothing of ours on top. It writes the very
/// bytes the engine stored in its `log` database (read back from the engine's store), keyed by
/// the same big-endian seq, with MDB_APPEND and LMDB's default durable commit.
enum RawLMDB {
    static var version: String { String(cString: mdb_version(nil, nil, nil)) }

    static func check(_ code: Int32, _ what: String) throws {
        guard code == 0 else { throw BenchError("LMDB \(what): \(String(cString: mdb_strerror(code)))") }
    }

    /// An environment with one database, "log".
    final class Env {
        let handle: OpaquePointer
        var dbi: MDB_dbi = 0

        /// Opens `path` (a directory); read-only opens an existing store (the engine's).
        init(path: String, readOnly: Bool, mapSize: Int = 64 << 30) throws {
            var environment: OpaquePointer?
            try check(mdb_env_create(&environment), "env_create")
            handle = environment!
            try check(mdb_env_set_maxdbs(handle, 32), "set_maxdbs")
            try check(mdb_env_set_mapsize(handle, mapSize), "set_mapsize")
            if !readOnly { try System.makeDirectory(path) }
            try check(mdb_env_open(handle, path, UInt32(readOnly ? MDB_RDONLY | MDB_NOTLS : MDB_NOTLS), 0o600), "env_open \(path)")
            var txn: OpaquePointer?
            try check(mdb_txn_begin(handle, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn), "txn_begin")
            let code = mdb_dbi_open(txn, "log", readOnly ? 0 : UInt32(MDB_CREATE), &dbi)
            if code != 0 { mdb_txn_abort(txn); try check(code, "dbi_open log") }
            try check(mdb_txn_commit(txn), "txn_commit")
        }

        deinit { mdb_env_close(handle) }

        /// One write transaction putting `records` with MDB_APPEND, committed (durably).
        func appendBatch(_ records: ArraySlice<RawRecord>) throws {
            var txn: OpaquePointer?
            try check(mdb_txn_begin(handle, nil, 0, &txn), "txn_begin")
            for record in records {
                var key = record.seq.bigEndian
                let code = withUnsafeMutableBytes(of: &key) { keyBytes in
                    record.value.withUnsafeBytes { valueBytes in
                        var k = MDB_val(mv_size: 8, mv_data: keyBytes.baseAddress)
                        var v = MDB_val(mv_size: valueBytes.count, mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress))
                        return mdb_put(txn, dbi, &k, &v, UInt32(MDB_APPEND))
                    }
                }
                if code != 0 { mdb_txn_abort(txn); try check(code, "put") }
            }
            try check(mdb_txn_commit(txn), "txn_commit")
        }

        /// Calls `body` with every (seq, value) of the log in key order, in one read snapshot.
        func scan(_ body: (UInt64, UnsafeRawBufferPointer) throws -> Void) throws {
            var txn: OpaquePointer?
            try check(mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &txn), "txn_begin")
            defer { mdb_txn_abort(txn) }
            var cursor: OpaquePointer?
            try check(mdb_cursor_open(txn, dbi, &cursor), "cursor_open")
            defer { mdb_cursor_close(cursor) }
            var key = MDB_val(), value = MDB_val()
            var code = mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
            while code == 0 {
                guard key.mv_size == 8 else { throw BenchError("a log key is not 8 bytes") }
                let seq = UInt64(bigEndian: key.mv_data.loadUnaligned(as: UInt64.self))
                try body(seq, UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
                code = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
            }
            if code != MDB_NOTFOUND { try check(code, "cursor_get") }
        }

        /// Copies the values of seqs `first` through `last` (at most `limit` of them).
        func read(from first: UInt64, limit: Int) throws -> [RawRecord] {
            var txn: OpaquePointer?
            try check(mdb_txn_begin(handle, nil, UInt32(MDB_RDONLY), &txn), "txn_begin")
            defer { mdb_txn_abort(txn) }
            var cursor: OpaquePointer?
            try check(mdb_cursor_open(txn, dbi, &cursor), "cursor_open")
            defer { mdb_cursor_close(cursor) }
            var start = first.bigEndian
            var records: [RawRecord] = []
            records.reserveCapacity(limit)
            try withUnsafeMutableBytes(of: &start) { startBytes in
                var key = MDB_val(mv_size: 8, mv_data: startBytes.baseAddress), value = MDB_val()
                var code = mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE)
                while code == 0 && records.count < limit {
                    let seq = UInt64(bigEndian: key.mv_data.loadUnaligned(as: UInt64.self))
                    records.append(RawRecord(seq: seq, value: [UInt8](UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))))
                    code = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
                }
                if code != 0 && code != MDB_NOTFOUND { try check(code, "cursor_get") }
            }
            return records
        }
    }

    struct RawRecord {
        var seq: UInt64
        var value: [UInt8]
    }

    /// Decodes a stored record the way any reader of the format would: the fixed header, the
    /// length-prefixed strings, and the data parsed as JSON.
    static func decode(seq: UInt64, _ bytes: UnsafeRawBufferPointer) throws -> (Record, JSONValue) {
        var reader = ByteReader(bytes: bytes)
        guard let format = reader.byte(), format == 1,
              let schemaVersion: UInt16 = reader.integer(),
              let recordedAt: Int64 = reader.integer(),
              let streamVersion: UInt64 = reader.integer(),
              let prev = reader.bytes(32),
              let hash = reader.bytes(32),
              let stream = reader.text(),
              let type = reader.text(),
              let effective = reader.text(),
              let key = reader.optionalText(),
              let meta = reader.optional(),
              let data = reader.string(),
              reader.isAtEnd else { throw BenchError("seq \(seq): malformed record") }
        let record = Record(seq: seq, stream: stream, streamVersion: streamVersion, type: type, schemaVersion: schemaVersion,
                            recordedAt: Timestamp(millisecondsSinceEpoch: recordedAt), effective: effective, key: key,
                            metaCanonical: meta.value, dataCanonical: data, prev: Digest(bytes: prev), hash: Digest(bytes: hash))
        return (record, try JSONParser.parse(data))
    }
}
