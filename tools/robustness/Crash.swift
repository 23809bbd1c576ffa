#if canImport(Glibc)
import Glibc
#endif
import EventLog
import Receivables

let crashHelp = """
    usage: receivables-robustness crash [--kills N] [--seed S] [--store DIR] [--mode mixed|library|cli]
                                        [--max-delay-ms MS] [--receivables PATH] [--keep]

    Kills appending processes with SIGKILL at seeded random moments and checks the store after
    every kill.

    The child appends keyed batches in a loop. Batch b is ClientRegistered, InvoiceIssued, one to
    three DeadlineSet and a PaymentReceived allocated to the first deadline, with keys b<b>-0,
    b<b>-1, ...; now and then the client's name is long enough for LMDB overflow pages.
      --mode library  the child is this program's hidden `child-append`: ReceivablesStore.append
                      in a loop, printing "committed <b>" (written unbuffered) after each commit.
                      It opens the store with a 1 MiB initial map, so kills also land while the
                      map grows and the write is retried.
      --mode cli      the child is `receivables append FILE` of one batch; exit 0 before the kill
                      means committed.
      --mode mixed    (default) three library kills to one cli kill, chosen by the seed.
    The kill comes after a seeded delay: mostly 20 ms to --max-delay-ms (default 300), one time in
    five within the first 60 ms (start-up, opening the store, the first commit); for cli children
    0 to 100 ms (a debug-built `receivables append` of one batch takes some 40 to 90 ms; runs
    that finish first are not counted as kills).

    After each kill it checks:
      1. the store opens through the library (the dead child's reader slot and, if it died
         inside a commit, its write lock are recovered);
      2. `receivables verify` passes (chain, indexes, read models, documents) and counts the
         same events as the log's head;
      3. one read snapshot of the log has seqs 1...head without a gap, every stream's versions
         without a gap, every event keyed, and no key twice;
      4. every batch the child reported committed is there with all its keys;
      5. no batch is there in part (all its keys or none), none beyond the batch in flight, and
         every batch before it is there;
      6. the batch in flight, sent again with `receivables append` (same keys), appends all its
         events when it was missing and none when it had committed unreported; a second send
         appends 0; the next kill's scan finds each of its keys once.
    At the end: a last scan and verify, and the totals.

      --kills N       kills that landed on a running child (default 200; at most 100000)
      --seed S        the seed of the kill moments, modes and batch shapes (default: from the clock)
      --store DIR     where to make the store (must not hold one; it is kept afterwards);
                      default a store in a new temporary directory, removed when every check
                      held (kept, and named, when one failed)
      --receivables   the receivables executable (default: beside this program)
      --keep          keep the store and scratch files even when every check held
    """

func crashMain(_ arguments: [String]) throws {
    let options = try Options(arguments, valued: ["--kills", "--seed", "--store", "--mode", "--max-delay-ms", "--receivables"],
                              switches: ["--keep"])
    let kills = try options.int("--kills", default: 200, range: 1...100_000)
    let seed = try options.seed()
    let maxDelay = try options.int("--max-delay-ms", default: 300, range: 20...10_000)
    let mode = options.value("--mode") ?? "mixed"
    guard ["mixed", "library", "cli"].contains(mode) else { throw UsageFailure("--mode: \"\(mode)\" is not one of mixed, library, cli") }
    let receivables = try locateReceivables(options)
    let scratch = try makeTemporaryDirectory("crash")
    let storePath: String
    if let given = options.value("--store") {
        guard !fileExists(given + "/data.mdb") else { throw UsageFailure("--store: \(given) already holds a store; name a new directory") }
        storePath = given
    } else {
        storePath = scratch + "/store"
    }
    say("crash: seed \(seed), \(kills) kills, mode \(mode), store \(storePath)")
    var harness = CrashHarness(kills: kills, seed: seed, mode: mode, maxDelay: maxDelay, storePath: storePath, scratch: scratch,
                               cli: ReceivablesCommand(executable: receivables, scratch: scratch))
    do {
        try harness.run()
    } catch {
        say("seed \(seed); store kept at \(storePath), child output in \(scratch)")
        throw error
    }
    if !options.has("--keep") { FileSystem.removeTree(scratch) }
    say("crash: every check held (seed \(seed))")
}

struct CrashHarness {
    let kills: Int
    let seed: UInt64
    let mode: String
    let maxDelay: Int
    let storePath: String
    let scratch: String
    let cli: ReceivablesCommand

    // What happened, for the summary.
    var landed = 0, landedLibrary = 0, landedCLI = 0, cliFinishedFirst = 0
    var killsAfterCommits = 0, inFlightCommittedUnreported = 0, inFlightMissing = 0, reportedCommitted = 0
    var resentEvents = 0

    mutating func run() throws {
        let started = monotonicSeconds()
        var generator = SeededGenerator(seed: seed)
        try cli.initialise(storePath)
        let me = selfExecutable()
        var nextBatch = 1
        var attempts = 0, lastPrinted = 0
        while landed < kills {
            attempts += 1
            try check(attempts <= kills * 4 + 100, "\(attempts) children started but only \(landed) were still running at the kill")
            let useCLI = mode == "cli" || (mode == "mixed" && generator.int(0...3) == 0)
            let outputPath = scratch + "/child.out", errorPath = scratch + "/child.err"
            var reported: [Int] = []
            let inFlight: Int
            if useCLI {
                let file = scratch + "/batch.jsonl"
                try writeFile(file, Batch.lines(nextBatch, seed: seed).joined(separator: "\n") + "\n")
                let delay = Double(generator.int(0...100_000)) / 1000
                let child = try ChildProcess.spawn([cli.executable, "append", file, "--store", storePath, "--format", "json"],
                                                   standardOutput: outputPath, standardError: errorPath)
                sleepMilliseconds(delay)
                child.signal(SIGKILL)
                let end = child.wait()
                switch end {
                case .signaled(SIGKILL):
                    landed += 1
                    landedCLI += 1
                case .exited(0):
                    cliFinishedFirst += 1
                    let appended = (try? JSONParser.parse(child.standardOutput.trimmingTrailingNewlines))?.objectValue?["appended"]?.numberValue
                    try check(appended.map(Int.init) == Batch.keys(nextBatch, seed: seed).count,
                              "receivables append of batch \(nextBatch) exited 0 but printed \(child.standardOutput)")
                    reported = [nextBatch]
                default:
                    throw HarnessFailure("receivables append of batch \(nextBatch) ended with \(end) before the kill; stderr: \(child.standardError)")
                }
                inFlight = nextBatch
            } else {
                let delay = generator.chance(0.2) ? Double(generator.int(0...60_000)) / 1000
                                                  : Double(generator.int(20_000...(maxDelay * 1000))) / 1000
                let child = try ChildProcess.spawn([me, "child-append", "--store", storePath, "--from", String(nextBatch),
                                                    "--seed", String(seed), "--initial-map", String(1 << 20)],
                                                   standardOutput: outputPath, standardError: errorPath)
                sleepMilliseconds(delay)
                child.signal(SIGKILL)
                let end = child.wait()
                guard end == .signaled(SIGKILL) else {
                    throw HarnessFailure("child-append ended by itself (\(end)) instead of being killed; stderr: \(child.standardError)")
                }
                landed += 1
                landedLibrary += 1
                for line in child.standardOutput.split(separator: "\n") {
                    let parts = line.split(separator: " ")
                    guard parts.count == 2, parts[0] == "committed", let batch = Int(parts[1]) else {
                        // A kill can cut a line short only if write(2) was interrupted; the child writes each line at once.
                        throw HarnessFailure("child-append printed an unexpected line: \"\(line)\"")
                    }
                    try check(batch == nextBatch + reported.count, "child-append reported batch \(batch) out of order (expected \(nextBatch + reported.count))")
                    reported.append(batch)
                }
                inFlight = (reported.last ?? (nextBatch - 1)) + 1
            }
            if !reported.isEmpty && !useCLI { killsAfterCommits += 1 }
            reportedCommitted += reported.count
            try checkAfterKill(reported: reported, inFlight: inFlight, nextBatch: nextBatch)
            nextBatch = inFlight + 1
            if landed != lastPrinted && (landed % max(1, kills / 10) == 0 || landed == kills) {
                lastPrinted = landed
                say("  \(landed)/\(kills) kills, \(nextBatch - 1) batches, \(formatSeconds(monotonicSeconds() - started))")
            }
        }
        // The last resend is checked by one more scan and verify.
        let final = try scanAndCheck(reported: [], inFlight: nextBatch - 1, nextBatch: nextBatch)
        let events = try cli.verify(storePath)
        try check(events == Int(final.head), "receivables verify counted \(events) events, the log's head is \(final.head)")
        let size = fileSize(storePath + "/data.mdb")
        say("""
            crash: \(landed) kills landed (\(landedLibrary) on child-append, \(landedCLI) on receivables append; \
            \(cliFinishedFirst) receivables append runs finished before their kill: not counted as kills) \
            in \(formatSeconds(monotonicSeconds() - started))
              batches: \(nextBatch - 1) in the log, \(final.head) events, data.mdb \(formatBytes(size)); \
            \(reportedCommitted) commits reported by children
              child-append kills after at least one reported commit: \(killsAfterCommits); batch in flight had committed unreported: \
            \(inFlightCommittedUnreported), was missing and was appended by the resend: \(inFlightMissing) (\(resentEvents) events)
              checked after every kill: the store opens; receivables verify passes; seqs and stream versions gapless; \
            no key twice; every reported batch whole; no batch in part or beyond the one in flight; the batch in flight \
            appends exactly once when sent again and the second send appends 0
            """)
    }

    /// Opens the store, scans its log and checks batches: the checks 1, 3, 4 and 5.
    private func scanAndCheck(reported: [Int], inFlight: Int, nextBatch: Int) throws -> (head: UInt64, present: Set<Int>) {
        let scan: LogScan
        do {
            let store = try openStore(storePath)
            scan = try scanLog(store)
        }
        try check(scan.problems.isEmpty, "the log after the kill: \(scan.problems.joined(separator: "; "))")
        try check(scan.doubledKeys.isEmpty, "keys in the log twice: \(scan.doubledKeys.prefix(10))")
        var perBatch: [Int: Int] = [:]
        var keyed = 0
        for (key, count) in scan.keyCounts {
            guard let batch = Batch.batch(ofKey: key) else { throw HarnessFailure("an unexpected key in the log: \(key)") }
            perBatch[batch, default: 0] += 1
            keyed += count
        }
        try check(keyed == Int(scan.records), "\(Int(scan.records) - keyed) events in the log have no key")
        for (batch, count) in perBatch.sorted(by: { $0.key < $1.key }) {
            let size = Batch.keys(batch, seed: seed).count
            try check(count == size, "batch \(batch) is in the log in part: \(count) of its \(size) keys")
            try check(batch <= inFlight, "batch \(batch) is in the log, but the batch in flight was \(inFlight)")
        }
        for batch in reported {
            try check(perBatch[batch] != nil, "batch \(batch) was reported committed but is not in the log")
        }
        if nextBatch > 1 {
            for batch in 1..<nextBatch where perBatch[batch] == nil {
                throw HarnessFailure("batch \(batch), committed or resent before, is no longer in the log")
            }
        }
        return (scan.head, Set(perBatch.keys))
    }

    private mutating func checkAfterKill(reported: [Int], inFlight: Int, nextBatch: Int) throws {
        let (head, present) = try scanAndCheck(reported: reported, inFlight: inFlight, nextBatch: nextBatch)
        let events = try cli.verify(storePath)
        try check(events == Int(head), "receivables verify counted \(events) events, the log's head is \(head)")
        // Send the batch in flight again, twice.
        let file = scratch + "/resend.jsonl"
        try writeFile(file, Batch.lines(inFlight, seed: seed).joined(separator: "\n") + "\n")
        let size = Batch.keys(inFlight, seed: seed).count
        let wasThere = present.contains(inFlight)
        let first = try cli.append(file, store: storePath)
        try check(first == (wasThere ? 0 : size),
                  "sending batch \(inFlight) again appended \(first) events; it was \(wasThere ? "already committed, so 0" : "missing, so \(size)") were expected")
        let second = try cli.append(file, store: storePath)
        try check(second == 0, "sending batch \(inFlight) a second time appended \(second) events, not 0")
        if wasThere && !reported.contains(inFlight) { inFlightCommittedUnreported += 1 }
        if !wasThere { inFlightMissing += 1; resentEvents += first }
    }
}
