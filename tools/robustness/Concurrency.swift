#if canImport(Glibc)
import Glibc
#endif
import EventLog
import Receivables

let concurrencyHelp = """
    usage: receivables-robustness concurrency [--writers 4] [--readers 4] [--seconds T] [--seed S]
                                              [--initial-map BYTES] [--stale-appends N] [--no-stale-reader]
                                              [--receivables PATH] [--keep]

    Writer and reader processes on one store for T seconds (default 10), then a killed reader.

    Writers (hidden `child-writer`, through the Swift library) each loop:
      40%  a keyed batch (ClientRegistered, InvoiceIssued, DeadlineSet) with no expected versions;
       5%  a payment document of 16 KiB to 1 MiB (attachDocument; unkeyed), so the map grows often;
      45%  a conditional CreditLimitSet on one of three streams every writer appends to
           (client:S0..S2): read the stream's version, wait up to 3 ms, append with
           expectedStreamVersion = that version (ReceivablesStore.append(events:)); a conflict
           must be the typed EventStoreError.versionConflict naming that stream, the expected
           version and a later actual one, and the append succeeds on a retry after re-reading;
       5%  a new stream with expected version 0 (must hold at once);
       5%  a deliberately stale expected version (must be refused, typed, appending nothing).
    Readers (hidden `child-reader`) each loop, in ONE read transaction (store.events.read): the
    head seq; the log up to it (seqs gapless, as many records as the head says); the number of
    ClientRegistered and DeadlineSet events in it; the live state copy (the one
    receivables-meta/active-state names) — its client entries (key prefix "c") must equal the
    ClientRegistered count and its calendar entries (prefix "D", every live deadline) the
    DeadlineSet count — and the stream index of each shared stream against the log. Every third
    check, the public clientIDs() is bracketed by two head() calls; when they agree its answer
    must be exactly the clients registered through that head. Every 20 checks a reader opens
    the store afresh. Writers and readers open with a 1 MiB initial map (--initial-map), so the
    map grows under them and other processes adopt the size (MDB_MAP_RESIZED).
    At the end: every key a writer reported is in the log once; no other writer key is; as many
    PaymentDocumentAttached as documents reported, and no other unkeyed event; every
    stale key is absent; each conditional append got version expected+1; each shared stream
    holds its registration plus every reported conditional append; seqs and stream versions are
    gapless; at least one natural conflict happened; `receivables verify` passes.

    Then a killed reader (unless --no-stale-reader), on three fresh stores with a keeper process
    holding each environment open (so that LMDB never re-initialises the reader table as a first
    opener would, and only mdb_reader_check can clear a slot):
      A  no reader: open, N single-event appends (default 400, --stale-appends); data.mdb growth;
      B  a reader process opens a read transaction and is killed with SIGKILL; `mdb_stat -r`
         shows its slot still there; a new open of the store (the library) clears it
         (`mdb_stat -r` no longer lists it); N appends: growth must stay within A's
         (at most A + max(A/2, 1 MiB));
      C  control: the reader is alive during the N appends: growth must be larger than B's by
         at least 1 MiB (else the measurement could not have seen a pinned snapshot).
    It also reports, without judging it, D: the killed reader's slot with no new open since
    (the appending process opened the store before the kill).

      --writers N / --readers N   processes of each kind (defaults 4 and 4; 1 to 32)
      --seconds T                 how long they run (default 10)
      --seed S                    the writers' and readers' choices (default: from the clock)
      --initial-map BYTES         the map writers and readers open with (default 1048576)
      --shared K                  how many streams the conditional appends contend on (default 3)
      --keep                      keep the stores and the children's output
    """

func concurrencyMain(_ arguments: [String]) throws {
    let options = try Options(arguments, valued: ["--writers", "--readers", "--seconds", "--seed", "--initial-map", "--stale-appends",
                                                  "--receivables", "--shared"],
                              switches: ["--keep", "--no-stale-reader"])
    let writers = try options.int("--writers", default: 4, range: 1...32)
    let readers = try options.int("--readers", default: 4, range: 0...32)
    let seconds = try options.double("--seconds", default: 10, range: 0.5...86_400)
    let seed = try options.seed()
    let initialMap = try options.int("--initial-map", default: 1 << 20, range: 4096...(1 << 40))
    let staleAppends = try options.int("--stale-appends", default: 400, range: 10...1_000_000)
    let shared = try options.int("--shared", default: 3, range: 1...100)
    let receivables = try locateReceivables(options)
    let scratch = try makeTemporaryDirectory("concurrency")
    let cli = ReceivablesCommand(executable: receivables, scratch: scratch)
    say("concurrency: seed \(seed), \(writers) writers, \(readers) readers, \(formatSeconds(seconds)), scratch \(scratch)")
    do {
        try runConcurrency(writers: writers, readers: readers, seconds: seconds, seed: seed, initialMap: initialMap, shared: shared,
                           scratch: scratch, cli: cli)
        if !options.has("--no-stale-reader") {
            try runStaleReader(appends: staleAppends, scratch: scratch, seed: seed)
        }
    } catch {
        say("seed \(seed); stores and child output kept in \(scratch)")
        throw error
    }
    if !options.has("--keep") { FileSystem.removeTree(scratch) }
    say("concurrency: every check held (seed \(seed))")
}

private func runConcurrency(writers: Int, readers: Int, seconds: Double, seed: UInt64, initialMap: Int, shared: Int,
                            scratch: String, cli: ReceivablesCommand) throws {
    let storePath = scratch + "/store"
    do {
        // Made through the library with the small map, so that the map the writers grow starts small.
        let store = try openStore(storePath, create: true, initialMapBytes: initialMap)
        var inputs = (0..<shared).map { EventInput(type: "ClientRegistered", data: ["client": .string("S\($0)"), "name": .string("Shared \($0)")],
                                                   key: "shared-\($0)") }
        // The payment the writers attach documents to.
        inputs.append(EventInput(type: "PaymentReceived",
                                 data: ["payment": "PS", "client": "S0", "amount": "1.00", "received": "2026-01-20", "method": "cash"],
                                 key: "shared-payment"))
        try check(try store.append(inputs, now: wallClock()).appended == shared + 1, "the shared clients were not registered")
    }

    let me = selfExecutable()
    var children: [(name: String, process: ChildProcess)] = []
    for id in 1...writers {
        let process = try ChildProcess.spawn([me, "child-writer", "--store", storePath, "--id", String(id), "--seconds", String(seconds),
                                              "--seed", String(SeededGenerator.mix(seed, UInt64(id))), "--initial-map", String(initialMap),
                                              "--shared", String(shared)],
                                             standardOutput: scratch + "/writer-\(id).out", standardError: scratch + "/writer-\(id).err")
        children.append(("writer \(id)", process))
    }
    if readers > 0 {
        for id in 1...readers {
            let process = try ChildProcess.spawn([me, "child-reader", "--store", storePath, "--id", String(id), "--seconds", String(seconds),
                                                  "--seed", String(SeededGenerator.mix(seed, UInt64(100 + id))),
                                                  "--initial-map", String(initialMap), "--shared", String(shared)],
                                                 standardOutput: scratch + "/reader-\(id).out", standardError: scratch + "/reader-\(id).err")
            children.append(("reader \(id)", process))
        }
    }
    let started = monotonicSeconds()
    let limit = seconds + 120
    for (name, process) in children {
        guard let end = process.wait(seconds: max(1, started + limit - monotonicSeconds())) else {
            killLiveChildren()
            throw HarnessFailure("\(name) was still running \(Int(limit)) s after the start (a deadlock or a stall); output in \(process.standardOutputPath)")
        }
        guard end == .exited(0) else {
            let failLine = process.standardOutput.split(separator: "\n").first { $0.hasPrefix("fail ") }.map(String.init) ?? ""
            throw HarnessFailure("\(name) ended with \(end): \(failLine.isEmpty ? "" : failLine + "; ")stderr: \(process.standardError.trimmingTrailingNewlines)")
        }
    }
    let elapsed = monotonicSeconds() - started

    // What the writers reported.
    var reported: [String: Int] = [:]          // key -> times reported
    var conditional: [String: (stream: String, version: UInt64)] = [:]
    var conditionalPerStream: [String: Int] = [:]
    var staleKeys: [String] = []
    var conflicts = 0, retriesAfterConflict = 0, batches = 0, documents = 0
    for (name, process) in children where name.hasPrefix("writer") {
        var done = false
        for line in process.standardOutput.split(separator: "\n") {
            let parts = line.split(separator: " ").map(String.init)
            switch parts.first {
            case "ok" where parts.count == 2:
                reported[parts[1], default: 0] += 1
                if parts[1].hasSuffix("-0") { batches += 1 }
            case "cond" where parts.count == 5:
                reported[parts[1], default: 0] += 1
                guard let version = UInt64(parts[3]), let tries = Int(parts[4]) else { throw HarnessFailure("\(name): bad line \(line)") }
                conditional[parts[1]] = (parts[2], version)
                conditionalPerStream[parts[2], default: 0] += 1
                if tries > 1 { retriesAfterConflict += 1 }
            case "conflict" where parts.count == 4: conflicts += 1
            case "stale" where parts.count == 3: staleKeys.append(parts[1])
            case "doc" where parts.count == 2: documents += 1
            case "done": done = true
            default: throw HarnessFailure("\(name) printed an unexpected line: \(line)")
            }
        }
        try check(done, "\(name) did not finish its loop")
    }
    var writerMaps: [Int] = []
    for (name, process) in children where name.hasPrefix("writer") {
        if let line = process.standardOutput.split(separator: "\n").last(where: { $0.hasPrefix("done ") }),
           let range = line.firstRange(of: " map "), let bytes = Int(line[range.upperBound...].prefix { $0.isNumber }) {
            writerMaps.append(bytes)
        } else {
            throw HarnessFailure("\(name) did not report its map size")
        }
    }
    var readerChecks = 0, readerBracketed = 0, readerReopens = 0
    for (name, process) in children where name.hasPrefix("reader") {
        guard let line = process.standardOutput.split(separator: "\n").last(where: { $0.hasPrefix("done ") }) else {
            throw HarnessFailure("\(name) did not finish: \(process.standardOutput)")
        }
        let parts = line.split(separator: " ").map(String.init)
        let checks = Int(parts[2]) ?? 0
        try check(checks >= 1, "\(name) made no check")
        readerChecks += checks
        readerBracketed += Int(parts[4]) ?? 0
        readerReopens += Int(parts[6]) ?? 0
    }

    // The store as it is now.
    let scan: LogScan
    do {
        let store = try openStore(storePath)
        scan = try scanLog(store)
    }
    try check(scan.problems.isEmpty, "the log: \(scan.problems.joined(separator: "; "))")
    try check(scan.doubledKeys.isEmpty, "keys in the log twice (an event doubled): \(scan.doubledKeys.prefix(10))")
    let doubleReports = reported.filter { $0.value > 1 }.map(\.key)
    try check(doubleReports.isEmpty, "writers reported keys twice: \(doubleReports.prefix(10))")
    let lost = reported.keys.filter { scan.keyCounts[$0] == nil }.sorted()
    try check(lost.isEmpty, "\(lost.count) events a writer reported are not in the log (lost): \(lost.prefix(10))")
    let sharedKeys = Set((0..<shared).map { "shared-\($0)" } + ["shared-payment"])
    let unreported = scan.keyCounts.keys.filter { reported[$0] == nil && !sharedKeys.contains($0) }.sorted()
    try check(unreported.isEmpty, "\(unreported.count) keys are in the log that no writer reported: \(unreported.prefix(10))")
    let staleInLog = staleKeys.filter { scan.keyCounts[$0] != nil }
    try check(staleInLog.isEmpty, "appends refused for a stale version are in the log: \(staleInLog.prefix(10))")
    for (key, expected) in conditional {
        let version = scan.keyStreamVersions[key] ?? 0
        try check(version == expected.version + 1,
                  "\(key) was appended expecting version \(expected.version) of \(expected.stream) but is at version \(version)")
    }
    for index in 0..<shared {
        let stream = "client:S\(index)"
        let holds = scan.streamCounts[stream] ?? 0
        let expected = UInt64(1 + (conditionalPerStream[stream] ?? 0))
        try check(holds == expected, "\(stream) holds \(holds) events; its registration and \(expected - 1) reported conditional appends were expected")
    }
    let attached = scan.typeCounts["PaymentDocumentAttached"] ?? 0
    try check(attached == documents, "writers attached \(documents) documents; the log holds \(attached) PaymentDocumentAttached")
    try check(scan.records == UInt64(scan.keyCounts.count + attached), "the log holds events that are neither keyed nor documents")
    try check(conflicts > 0, "no natural version conflict happened in \(formatSeconds(seconds)); run longer or with more writers")
    let events = try cli.verify(storePath)
    try check(events == Int(scan.head), "receivables verify counted \(events) events, the log's head is \(scan.head)")
    say("""
        concurrency: \(writers) writers and \(readers) readers ran \(formatSeconds(elapsed)); \(scan.head) events \
        (\(batches) keyed batches, \(conditional.count) conditional appends, \(documents) documents, \(staleKeys.count) stale appends refused); \
        data.mdb \(formatBytes(fileSize(storePath + "/data.mdb"))); the writers' maps, opened at \(formatBytes(initialMap)), ended at \(writerMaps.map(formatBytes).joined(separator: ", "))
          \(conflicts) typed versionConflict errors, \(retriesAfterConflict) conditional appends succeeded on a retry after re-reading
          readers: \(readerChecks) snapshot checks (head, log, ClientRegistered = clients, DeadlineSet = live deadlines, \
        stream index = log), \(readerBracketed) bracketed clientIDs() checks, \(readerReopens) re-opens; none mismatched
          checked: every reported key once in the log, no unreported writer key, stale keys absent, conditional versions \
        exact, shared streams complete, seqs and stream versions gapless, receivables verify passes
        """)
}

// MARK: The killed reader

/// The pids `mdb_stat -r` lists in the reader table, or nil when mdb_stat is not there.
private func readerTablePIDs(_ store: String, scratch: String) throws -> [pid_t]? {
    let candidates = ["/usr/bin/mdb_stat", "/usr/local/bin/mdb_stat", "/bin/mdb_stat"]
    guard let tool = candidates.first(where: { access($0, X_OK) == 0 }) else { return nil }
    let outcome = try runCommand([tool, "-r", store], scratch: scratch, timeout: 30)
    // mdb_stat exits 1 after -r whatever the table holds (it returns fputs's answer); judge
    // it by what it printed.
    guard outcome.termination != .signaled(SIGKILL), outcome.standardOutput.hasPrefix("Reader Table Status") else {
        throw HarnessFailure("mdb_stat -r \(store) failed: \(outcome.summary)")
    }
    var pids: [pid_t] = []
    for line in outcome.standardOutput.split(separator: "\n") {
        let fields = line.split(separator: " ")
        if fields.count >= 3, let pid = pid_t(fields[0]), UInt64(fields[2]) != nil { pids.append(pid) }
    }
    return pids
}

private func waitForLine(_ process: ChildProcess, prefix: String, seconds: Double = 30) throws -> String {
    let deadline = monotonicSeconds() + seconds
    while monotonicSeconds() < deadline {
        if let line = process.standardOutput.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(line) }
        if let end = process.poll() { throw HarnessFailure("a helper process ended (\(end)) before printing \"\(prefix)\": \(process.standardError)") }
        sleepMilliseconds(5)
    }
    throw HarnessFailure("a helper process did not print \"\(prefix)\" within \(Int(seconds)) s")
}

private func runStaleReader(appends: Int, scratch: String, seed: UInt64) throws {
    let me = selfExecutable()
    let started = monotonicSeconds()

    /// A store with some history (so the trees have depth), made and closed.
    func prepare(_ label: String) throws -> String {
        let path = scratch + "/stale-\(label)"
        let store = try openStore(path, create: true)
        for group in 0..<10 {
            var inputs: [EventInput] = []
            for batch in (group * 10 + 1)...(group * 10 + 10) { inputs += try Batch.inputs(batch, seed: seed) }
            _ = try store.append(inputs, now: wallClock())
        }
        return path
    }
    func keeper(_ path: String, _ label: String) throws -> ChildProcess {
        let process = try ChildProcess.spawn([me, "child-hold-reader", "--store", path, "--no-transaction"],
                                             standardOutput: scratch + "/keeper-\(label).out", standardError: scratch + "/keeper-\(label).err")
        _ = try waitForLine(process, prefix: "open")
        return process
    }
    func holder(_ path: String, _ label: String) throws -> ChildProcess {
        let process = try ChildProcess.spawn([me, "child-hold-reader", "--store", path],
                                             standardOutput: scratch + "/holder-\(label).out", standardError: scratch + "/holder-\(label).err")
        _ = try waitForLine(process, prefix: "holding")
        return process
    }
    /// `appends` single-event transactions (a CreditLimitSet on client C1); the growth of data.mdb.
    func heavyAppends(_ store: ReceivablesStore, _ path: String) throws -> Int {
        let before = fileSize(path + "/data.mdb")
        for index in 1...appends {
            let event = NewEvent(.creditLimitSet(CreditLimitSet(client: "C1", limit: Money(minorUnits: Int64(100_000 + index)), warnAt: 80)),
                                 key: "heavy-\(index)")
            let outcome = try store.append(events: [event], now: wallClock())
            try check(outcome.appended == 1, "a heavy append appended \(outcome.appended) events")
        }
        return fileSize(path + "/data.mdb") - before
    }

    // A: no reader.
    let pathA = try prepare("a")
    let keeperA = try keeper(pathA, "a")
    let growthA: Int
    do { growthA = try heavyAppends(try openStore(pathA), pathA) }
    keeperA.signal(SIGKILL); keeperA.wait()

    // B: a reader killed inside its read transaction, then a new open.
    let pathB = try prepare("b")
    let keeperB = try keeper(pathB, "b")
    let holderB = try holder(pathB, "b")
    let listedAlive = try readerTablePIDs(pathB, scratch: scratch)
    holderB.signal(SIGKILL)
    try check(holderB.wait() == .signaled(SIGKILL), "the reader was not killed")
    let listedAfterKill = try readerTablePIDs(pathB, scratch: scratch)
    let growthB: Int
    var listedAfterOpen: [pid_t]?
    do {
        let store = try openStore(pathB)
        listedAfterOpen = try readerTablePIDs(pathB, scratch: scratch)
        growthB = try heavyAppends(store, pathB)
    }
    keeperB.signal(SIGKILL); keeperB.wait()
    var tableNote = "mdb_stat not found: the reader table was not inspected"
    if let listedAlive, let listedAfterKill, let listedAfterOpen {
        try check(listedAlive.contains(holderB.pid), "mdb_stat -r did not list the reader \(holderB.pid) while it held its transaction: \(listedAlive)")
        try check(!listedAfterOpen.contains(holderB.pid),
                  "after the killed reader \(holderB.pid) and a new open, mdb_stat -r still lists its slot: \(listedAfterOpen)")
        tableNote = "mdb_stat -r: the reader \(holderB.pid) listed while alive; "
            + (listedAfterKill.contains(holderB.pid) ? "still listed after SIGKILL (stale); " : "gone after SIGKILL already; ")
            + "gone after the new open"
    }

    // C: control, the reader alive during the appends.
    let pathC = try prepare("c")
    let keeperC = try keeper(pathC, "c")
    let holderC = try holder(pathC, "c")
    let growthC: Int
    do { growthC = try heavyAppends(try openStore(pathC), pathC) }
    holderC.signal(SIGKILL); holderC.wait()
    keeperC.signal(SIGKILL); keeperC.wait()

    // D (reported only): the appending process opened the store before the reader died and
    // does not open it again.
    let pathD = try prepare("d")
    let growthD: Int
    do {
        let store = try openStore(pathD)
        let holderD = try holder(pathD, "d")
        holderD.signal(SIGKILL); holderD.wait()
        growthD = try heavyAppends(store, pathD)
    }

    say("""
        stale reader: \(appends) single-event appends each, \(formatSeconds(monotonicSeconds() - started)); data.mdb growth: \
        A no reader \(formatBytes(growthA)), B reader killed then a new open \(formatBytes(growthB)), \
        C reader alive \(formatBytes(growthC)); D (not judged) reader killed after the appender's open, no new open: \(formatBytes(growthD))
          \(tableNote)
        """)
    try check(growthB <= growthA + max(growthA / 2, 1 << 20),
              "after a reader was killed inside its transaction and the store opened again, \(appends) appends grew data.mdb by \(formatBytes(growthB)), against \(formatBytes(growthA)) with no reader: the stale slot still pins pages")
    try check(growthC >= growthB + (1 << 20),
              "with a live reader the growth (\(formatBytes(growthC))) is not clearly above the killed reader's (\(formatBytes(growthB))): the measurement cannot tell; raise --stale-appends")
}
