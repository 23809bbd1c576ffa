#if canImport(Glibc)
import Glibc
#endif
import EventLog
import Receivables

// The hidden subcommands: the processes the harnesses start, kill and read. Each stops by
// itself when its parent is gone (its parent id changes) or its time is up, so a harness that
// dies leaves nothing running for long.

/// The parent's pid at start; a different one later means the parent died.
private func parentIsAlive(_ parent: pid_t) -> Bool { getppid() == parent }

// MARK: child-append

/// `child-append --store DIR --from B --seed S [--initial-map BYTES] [--max-seconds N]`:
/// appends batch B, B+1, ... through the library, printing "committed <b>" after each commit.
func childAppendMain(_ arguments: [String]) throws {
    let options = try Options(arguments, valued: ["--store", "--from", "--seed", "--initial-map", "--max-seconds"])
    guard let path = options.value("--store") else { throw UsageFailure("--store is required") }
    let first = try options.int("--from", default: 1, range: 1...Int.max)
    let seed = try options.seed()
    let map = try options.int("--initial-map", default: 64 << 20, range: 4096...(1 << 40))
    let maxSeconds = Double(try options.int("--max-seconds", default: 120, range: 1...86_400))
    let parent = getppid()
    let deadline = monotonicSeconds() + maxSeconds
    let store = try openStore(path, initialMapBytes: map)
    var batch = first
    while parentIsAlive(parent) && monotonicSeconds() < deadline {
        let inputs = try Batch.inputs(batch, seed: seed)
        let outcome: ReceivablesStore.AppendOutcome
        do {
            outcome = try store.append(inputs, now: wallClock())
        } catch {
            throw HarnessFailure("batch \(batch): \(error)")
        }
        guard outcome.appended == inputs.count else {
            throw HarnessFailure("batch \(batch) appended \(outcome.appended) of \(inputs.count) events")
        }
        say("committed \(batch)")
        batch += 1
    }
}

// MARK: child-writer

/// `child-writer --store DIR --id N --seconds T --seed S [--initial-map BYTES] [--shared K]`:
/// appends for T seconds, printing one line per fact the harness checks afterwards:
///   ok <key>                                an event appended under this key
///   cond <key> <stream> <version> <tries>   a conditional append that held at <version>
///   conflict <stream> <expected> <actual>   a typed EventStoreError.versionConflict, then retried
///   stale <key> <stream>                    a deliberately stale expected version, refused
///   doc <sha256>                            a payment document attached (no key)
///   done <summary> map <bytes>
func childWriterMain(_ arguments: [String]) throws {
    let options = try Options(arguments, valued: ["--store", "--id", "--seconds", "--seed", "--initial-map", "--shared"])
    guard let path = options.value("--store") else { throw UsageFailure("--store is required") }
    let id = try options.int("--id", default: 0, range: 0...1000)
    let seconds = try options.double("--seconds", default: 5, range: 0.1...86_400)
    var generator = SeededGenerator(seed: try options.seed())
    let map = try options.int("--initial-map", default: 1 << 20, range: 4096...(1 << 40))
    let shared = try options.int("--shared", default: 3, range: 1...100)
    let parent = getppid()
    let store = try openStore(path, initialMapBytes: map)
    let deadline = monotonicSeconds() + seconds
    var counts = (batches: 0, conditional: 0, conflicts: 0, stale: 0, newStreams: 0, documents: 0)

    func version(of stream: String) throws -> UInt64 {
        try store.events.read { transaction in UInt64(try store.events.seqs(ofStream: stream, in: transaction).count) }
    }

    var n = 0
    while parentIsAlive(parent) && monotonicSeconds() < deadline {
        n += 1
        let roll = generator.int(0...99)
        if roll < 5 {
            // A payment document (16 KiB to 1 MiB): big appends make the map grow often, so the
            // other processes meet MDB_MAP_RESIZED and adopt the new size.
            var bytes = generator.bytes(generator.int((16 << 10)...(1 << 20)))
            bytes.replaceSubrange(0..<5, with: Array("%PDF-".utf8))
            let attached = try store.attachDocument(payment: "PS", name: "w\(id)-\(n).pdf", bytes: bytes, now: wallClock())
            guard attached.outcome.appended == 1 else { throw HarnessFailure("document w\(id)-\(n) appended \(attached.outcome.appended) events") }
            say("doc \(attached.sha256)")
            counts.documents += 1
        } else if roll < 45 {
            // A plain keyed batch: a client, an invoice and a deadline, no expected versions.
            let client = "W\(id)-\(n)"
            let lines = [
                #"{"type":"ClientRegistered","data":{"client":"\#(client)","name":"Writer \#(id) client \#(n)"},"key":"w\#(id)-\#(n)-0"}"#,
                #"{"type":"InvoiceIssued","data":{"invoice":"FW\#(id)-\#(n)","client":"\#(client)","issued":"2026-02-01","amount":"500.00"},"key":"w\#(id)-\#(n)-1"}"#,
                #"{"type":"DeadlineSet","data":{"deadline":"DW\#(id)-\#(n)","client":"\#(client)","invoice":"FW\#(id)-\#(n)","due":"2026-03-31","amount":"500.00"},"key":"w\#(id)-\#(n)-2","effective":"2026-02-01"}"#,
            ]
            var inputs: [EventInput] = []
            for line in lines {
                inputs.append(try Array(line.utf8).withUnsafeBytes { raw throws(EventRejection) in try EventInput.parse(line: raw) })
            }
            let outcome = try store.append(inputs, now: wallClock())
            guard outcome.appended == 3 else { throw HarnessFailure("batch w\(id)-\(n) appended \(outcome.appended) of 3") }
            say((0..<3).map { "ok w\(id)-\(n)-\($0)" }.joined(separator: "\n"))
            counts.batches += 1
        } else if roll < 90 {
            // A conditional append on a stream every writer appends to: read the version, wait a
            // moment (so others can get in), append expecting it; on a conflict re-read and retry.
            let client = "S\(generator.int(0...(shared - 1)))"
            let stream = "client:\(client)"
            let key = "w\(id)-c\(n)"
            var tries = 0
            while true {
                tries += 1
                guard tries <= 10_000 else { throw HarnessFailure("\(key): 10000 conflicts in a row on \(stream)") }
                let expected = try version(of: stream)
                if generator.chance(0.7) { sleepMilliseconds(Double(generator.int(0...3000)) / 1000) }
                let event = NewEvent(.creditLimitSet(CreditLimitSet(client: client, limit: Money(minorUnits: Int64(100_000 + n)), warnAt: 80)),
                                     key: key, expectedStreamVersion: expected)
                do {
                    let outcome = try store.append(events: [event], now: wallClock())
                    guard outcome.appended == 1 else { throw HarnessFailure("\(key) appended \(outcome.appended) events, not 1") }
                    say("cond \(key) \(stream) \(expected) \(tries)")
                    counts.conditional += 1
                    break
                } catch let error as ReceivablesStore.AppendError {
                    guard case .store(.versionConflict(let conflictStream, let conflictExpected, let actual)) = error else {
                        throw HarnessFailure("\(key): a conditional append failed with \"\(error)\", not EventStoreError.versionConflict")
                    }
                    guard conflictStream == stream, conflictExpected == expected, actual > expected else {
                        throw HarnessFailure("\(key): versionConflict(stream: \(conflictStream), expected: \(conflictExpected), actual: \(actual)) does not match the append (stream \(stream), expected \(expected))")
                    }
                    say("conflict \(stream) \(expected) \(actual)")
                    counts.conflicts += 1
                }
            }
        } else if roll < 95 {
            // A new stream, expected version 0: nobody else touches it, so it must hold at once.
            let client = "N\(id)-\(n)"
            let key = "w\(id)-n\(n)"
            let outcome = try store.append(events: [NewEvent(.clientRegistered(ClientRegistered(client: client, name: "New \(client)")),
                                                             key: key, expectedStreamVersion: 0)], now: wallClock())
            guard outcome.appended == 1 else { throw HarnessFailure("\(key) appended \(outcome.appended) events, not 1") }
            say("ok \(key)")
            counts.newStreams += 1
        } else {
            // A deliberately stale expected version: must be refused, typed, and append nothing.
            let client = "S\(generator.int(0...(shared - 1)))"
            let stream = "client:\(client)"
            let key = "w\(id)-x\(n)"
            let current = try version(of: stream)
            guard current >= 1 else { throw HarnessFailure("\(stream) is empty; the harness registers it first") }
            let event = NewEvent(.creditLimitSet(CreditLimitSet(client: client, limit: Money(minorUnits: 1), warnAt: 80)),
                                 key: key, expectedStreamVersion: current - 1)
            do {
                _ = try store.append(events: [event], now: wallClock())
                throw HarnessFailure("\(key): an append expecting version \(current - 1) of \(stream), which is at \(current) or later, was accepted")
            } catch let error as ReceivablesStore.AppendError {
                guard case .store(.versionConflict(stream, current - 1, let actual)) = error, actual >= current else {
                    throw HarnessFailure("\(key): a stale expected version failed with \"\(error)\", not versionConflict(\(stream), \(current - 1), ≥\(current))")
                }
            }
            say("stale \(key) \(stream)")
            counts.stale += 1
        }
    }
    say("done batches \(counts.batches) conditional \(counts.conditional) conflicts \(counts.conflicts) stale \(counts.stale) new-streams \(counts.newStreams) documents \(counts.documents) map \(store.events.environment.mapSizeBytes)")
}

// MARK: child-reader

/// What one read snapshot holds: the log up to its head and the live read models.
struct SnapshotCounts {
    var head: UInt64 = 0
    var records: UInt64 = 0
    var gapless = true
    var registered = 0
    var deadlinesSet = 0
    var storedClients = 0
    var storedLiveDeadlines = 0
    var streamMismatch: String?
    /// The client ids registered through `through` (for the bracketed check), by seq.
    var registeredIDs: [(seq: UInt64, id: String)] = []
}

/// The state copy's key prefixes (README, Storage; Sources/Receivables/Store/StoredState.swift):
/// 0x63 "c" one entry per client, 0x44 "D" one per live deadline (the calendar index).
let clientPrefix: [UInt8] = [0x63]
let liveDeadlinePrefix: [UInt8] = [0x44]

func countEntries(_ transaction: Transaction, _ database: Database, prefix: [UInt8]) throws -> Int {
    let cursor = try transaction.cursor(database)
    var count = 0
    var entry = try cursor.seek(atOrAfter: prefix)
    while let current = entry, current.key.starts(with: prefix) {
        count += 1
        entry = try cursor.next()
    }
    return count
}

/// Reads, in ONE read transaction, the log's head, the log up to it and the live state copy.
/// The live copy is the one `receivables-meta`/`active-state` names, exactly as the library
/// chooses it; the counts use only the public Transaction/Database API.
func snapshotCounts(_ store: ReceivablesStore, sharedStreams: [String]) throws -> SnapshotCounts {
    guard let meta = store.events.extraDatabases["receivables-meta"], let stateA = store.events.extraDatabases["state-a"],
          let stateB = store.events.extraDatabases["state-b"] else {
        throw HarnessFailure("the store has no receivables-meta/state-a/state-b databases")
    }
    return try store.events.read { transaction in
        var counts = SnapshotCounts()
        counts.head = try store.events.head(in: transaction).lastSeq
        var expected: UInt64 = 1
        var perStream: [String: UInt64] = [:]
        try store.events.forEachRecord(in: transaction, through: counts.head) { record in
            if record.seq != expected { counts.gapless = false }
            expected = record.seq + 1
            counts.records += 1
            if record.type == "ClientRegistered" {
                counts.registered += 1
                if let id = try record.data()["client"]?.stringValue { counts.registeredIDs.append((record.seq, id)) }
            }
            if record.type == "DeadlineSet" { counts.deadlinesSet += 1 }
            if sharedStreams.contains(record.stream) { perStream[record.stream, default: 0] += 1 }
        }
        var active = 0
        if let value = try transaction.get(meta, Array("active-state".utf8)), value.count == 1 { active = Int(value[0] & 1) }
        let state = active == 0 ? stateA : stateB
        counts.storedClients = try countEntries(transaction, state, prefix: clientPrefix)
        counts.storedLiveDeadlines = try countEntries(transaction, state, prefix: liveDeadlinePrefix)
        for stream in sharedStreams {
            let indexed = UInt64(try store.events.seqs(ofStream: stream, in: transaction).count)
            if indexed != perStream[stream, default: 0] {
                counts.streamMismatch = "\(stream): the stream index holds \(indexed) events, the log up to the head \(perStream[stream, default: 0])"
            }
        }
        return counts
    }
}

/// `child-reader --store DIR --id N --seconds T [--initial-map BYTES] [--reopen-every K] [--shared K]`:
/// checks snapshots for T seconds; prints "fail ..." and exits 1 at the first mismatch, else
/// "done checks <n> bracketed <n> reopened <n> head <seq>".
func childReaderMain(_ arguments: [String]) throws {
    let options = try Options(arguments, valued: ["--store", "--id", "--seconds", "--initial-map", "--reopen-every", "--shared", "--seed"])
    guard let path = options.value("--store") else { throw UsageFailure("--store is required") }
    let seconds = try options.double("--seconds", default: 5, range: 0.1...86_400)
    let map = try options.int("--initial-map", default: 1 << 20, range: 4096...(1 << 40))
    let reopenEvery = try options.int("--reopen-every", default: 20, range: 1...1_000_000)
    let shared = try options.int("--shared", default: 3, range: 1...100)
    let sharedStreams = (0..<shared).map { "client:S\($0)" }
    var generator = SeededGenerator(seed: try options.seed())
    let parent = getppid()
    let deadline = monotonicSeconds() + seconds
    var store = try openStore(path, initialMapBytes: map)
    var checks = 0, bracketed = 0, reopened = 0, lastHead: UInt64 = 0
    func fail(_ text: String) throws -> Never {
        say("fail \(text)")
        throw HarnessFailure(text)
    }
    while parentIsAlive(parent) && monotonicSeconds() < deadline {
        let counts = try snapshotCounts(store, sharedStreams: sharedStreams)
        checks += 1
        if !counts.gapless || counts.records != counts.head {
            try fail("snapshot at head \(counts.head): the log holds \(counts.records) records\(counts.gapless ? "" : " with a gap")")
        }
        if counts.storedClients != counts.registered {
            try fail("snapshot at head \(counts.head): \(counts.registered) ClientRegistered in the log, \(counts.storedClients) clients in the live read model")
        }
        if counts.storedLiveDeadlines != counts.deadlinesSet {
            try fail("snapshot at head \(counts.head): \(counts.deadlinesSet) DeadlineSet in the log, \(counts.storedLiveDeadlines) live deadlines in the calendar index")
        }
        if let mismatch = counts.streamMismatch { try fail("snapshot at head \(counts.head): \(mismatch)") }
        if counts.head < lastHead { try fail("the head went back from \(lastHead) to \(counts.head)") }
        lastHead = counts.head
        // The public query, bracketed by two heads: when they agree, clientIDs() answered from
        // a snapshot at exactly that head, so it must list the clients registered through it.
        if checks % 3 == 0 {
            let before = try store.events.head().lastSeq
            let ids = try store.clientIDs()
            let after = try store.events.head().lastSeq
            if before == after {
                let later = try snapshotCounts(store, sharedStreams: sharedStreams)
                let expected = Set(later.registeredIDs.filter { $0.seq <= before }.map(\.id))
                if ids != expected {
                    try fail("clientIDs() at head \(before) has \(ids.count) clients, the log through \(before) registers \(expected.count) (\(ids.symmetricDifference(expected).sorted().prefix(5)) differ)")
                }
                bracketed += 1
            }
        }
        if checks % reopenEvery == 0 {
            // Open afresh: mdb_reader_check and adopting the map size others grew happen on open.
            store = try openStore(path, initialMapBytes: map)
            reopened += 1
        }
        sleepMilliseconds(Double(generator.int(0...5000)) / 1000)
    }
    say("done checks \(checks) bracketed \(bracketed) reopened \(reopened) head \(lastHead)")
}

// MARK: child-hold-reader

/// `child-hold-reader --store DIR [--no-transaction]`: opens a read transaction, prints
/// "holding <head>" and keeps it open until it is killed (or its parent dies). With
/// --no-transaction it only keeps the environment open (prints "open").
func childHoldReaderMain(_ arguments: [String]) throws {
    let options = try Options(arguments, valued: ["--store", "--max-seconds"], switches: ["--no-transaction"])
    guard let path = options.value("--store") else { throw UsageFailure("--store is required") }
    let maxSeconds = Double(try options.int("--max-seconds", default: 600, range: 1...86_400))
    let parent = getppid()
    let deadline = monotonicSeconds() + maxSeconds
    let store = try openStore(path)
    if options.has("--no-transaction") {
        // A keeper: the environment open, no transaction.
        say("open")
        while parentIsAlive(parent) && monotonicSeconds() < deadline { sleepMilliseconds(20) }
        return
    }
    try store.events.read { transaction in
        let head = try store.events.head(in: transaction).lastSeq
        say("holding \(head)")
        while parentIsAlive(parent) && monotonicSeconds() < deadline { sleepMilliseconds(20) }
    }
}

// MARK: exec-limited

/// `exec-limited --fsize BYTES -- PROGRAM ARGS...`: ignores SIGXFSZ (so a write past the limit
/// fails with EFBIG instead of killing), sets RLIMIT_FSIZE and execs PROGRAM. Exit 125 when the
/// limit cannot be set, 126 when PROGRAM cannot be run.
func execLimitedMain(_ arguments: [String]) throws {
    let options = try Options(arguments, valued: ["--fsize"], passRest: true)
    guard let text = options.value("--fsize"), let bytes = UInt64(text) else { throw UsageFailure("--fsize BYTES is required") }
    guard let program = options.rest.first else { throw UsageFailure("name the program after --") }
    signal(SIGXFSZ, SIG_IGN)
    var limit = rlimit(rlim_cur: rlim_t(bytes), rlim_max: rlim_t(bytes))
    if setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit) != 0 {
        sayError("exec-limited: setrlimit(RLIMIT_FSIZE, \(bytes)) is not permitted here: \(String(cString: strerror(errno)))")
        exit(125)
    }
    var check = rlimit()
    getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &check)
    if check.rlim_cur != rlim_t(bytes) {
        sayError("exec-limited: RLIMIT_FSIZE is \(check.rlim_cur) after setting it to \(bytes)")
        exit(125)
    }
    let argv: [UnsafeMutablePointer<CChar>?] = options.rest.map { strdup($0) } + [nil]
    execv(program, argv)
    sayError("exec-limited: cannot run \(program): \(String(cString: strerror(errno)))")
    exit(126)
}

// MARK: child-full-disk

/// `child-full-disk --store DIR --file JSONL --fsize BYTES`: in ONE process and with ONE open
/// store, appends FILE under RLIMIT_FSIZE = BYTES (SIGXFSZ ignored) — it must fail with
/// EventStoreError.storage — then lifts the limit and appends FILE again with the same handle,
/// which must take it all. Prints "failed <errno> <description>" and "appended <n>".
func childFullDiskMain(_ arguments: [String]) throws {
    let options = try Options(arguments, valued: ["--store", "--file", "--fsize"])
    guard let path = options.value("--store"), let file = options.value("--file"),
          let text = options.value("--fsize"), let bytes = UInt64(text) else {
        throw UsageFailure("--store, --file and --fsize are required")
    }
    guard let content = readFile(file) else { throw HarnessFailure("cannot read \(file)") }
    var inputs: [EventInput] = []
    for line in content.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
        inputs.append(try Array(line).withUnsafeBytes { raw throws(EventRejection) in try EventInput.parse(line: raw) })
    }
    let store = try openStore(path)
    let headBefore = try store.events.head().lastSeq
    signal(SIGXFSZ, SIG_IGN)
    var original = rlimit()
    getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &original)
    var limited = rlimit(rlim_cur: rlim_t(bytes), rlim_max: original.rlim_max)
    if setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limited) != 0 {
        sayError("child-full-disk: setrlimit(RLIMIT_FSIZE, \(bytes)) is not permitted here: \(String(cString: strerror(errno)))")
        exit(125)
    }
    do {
        let outcome = try store.append(inputs, now: wallClock())
        throw HarnessFailure("the append under the file size limit succeeded (\(outcome.appended) appended)")
    } catch let error as ReceivablesStore.AppendError {
        guard case .store(.storage(let storage)) = error else {
            throw HarnessFailure("the append under the file size limit failed with \"\(error)\", not EventStoreError.storage")
        }
        say("failed \(storage.rawValue) \(storage)")
    }
    let headAfterFailure = try store.events.head().lastSeq
    guard headAfterFailure == headBefore else {
        throw HarnessFailure("after the failed append the head moved from \(headBefore) to \(headAfterFailure)")
    }
    if setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &original) != 0 {
        throw HarnessFailure("cannot lift the file size limit again: \(String(cString: strerror(errno)))")
    }
    let outcome: ReceivablesStore.AppendOutcome
    do {
        outcome = try store.append(inputs, now: wallClock())
    } catch {
        throw HarnessFailure("with space back, the same store handle failed to append: \(error)")
    }
    say("appended \(outcome.appended)")
}

// MARK: child-grower

/// `child-grower --store DIR --seconds T --seed S [--initial-map BYTES]`: attaches documents of
/// 256 KiB to 1 MiB to payment PS in a loop, so that the map grows all the time while other
/// processes do the same. Counts failures instead of stopping at the first; prints
/// "done attached <n> map-resized <n> other <n>" and, for each kind of failure, its first message.
func childGrowerMain(_ arguments: [String]) throws {
    let options = try Options(arguments, valued: ["--store", "--seconds", "--seed", "--initial-map"])
    guard let path = options.value("--store") else { throw UsageFailure("--store is required") }
    let seconds = try options.double("--seconds", default: 3, range: 0.1...86_400)
    let map = try options.int("--initial-map", default: 1 << 20, range: 4096...(1 << 40))
    var generator = SeededGenerator(seed: try options.seed())
    let parent = getppid()
    let deadline = monotonicSeconds() + seconds
    var attached = 0, resized = 0, other = 0, openFailures = 0
    var firstResized: String?, firstOther: String?
    var store: ReceivablesStore?
    while parentIsAlive(parent) && monotonicSeconds() < deadline {
        if store == nil {
            do {
                store = try openStore(path, initialMapBytes: map)
            } catch {
                openFailures += 1
                if error.description.contains("MAP_RESIZED") { resized += 1; firstResized = firstResized ?? "open: \(error)" }
                else { other += 1; firstOther = firstOther ?? "open: \(error)" }
                continue
            }
        }
        var bytes = generator.bytes(generator.int((256 << 10)...(1 << 20)))
        bytes.replaceSubrange(0..<5, with: Array("%PDF-".utf8))
        do {
            _ = try store!.attachDocument(payment: "PS", name: "grow.pdf", bytes: bytes, now: wallClock())
            attached += 1
        } catch {
            let text = "\(error)"
            if text.contains("MAP_RESIZED") { resized += 1; firstResized = firstResized ?? text }
            else { other += 1; firstOther = firstOther ?? text }
        }
        // Now and then open afresh, as every new process (every CLI run) does.
        if generator.chance(0.1) { store = nil }
    }
    if let firstResized { say("first-resized \(firstResized)") }
    if let firstOther { say("first-other \(firstOther)") }
    say("done attached \(attached) map-resized \(resized) other \(other) open-failures \(openFailures)")
}
