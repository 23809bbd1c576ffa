#if canImport(Glibc)
import Glibc
#endif
import EventLog
import Receivables

let mapRaceHelp = """
    usage: receivables-robustness map-race [--processes 8] [--seconds 3] [--seed S] [--receivables PATH] [--keep]

    A focused check of "a map grown by another process is adopted on the next transaction"
    (README, Storage). A store is made with a 1 MiB map and one payment; --processes processes
    (hidden `child-grower`) each attach documents of 256 KiB to 1 MiB to it in a loop for
    --seconds, opening the store with a 1 MiB map and now and then afresh, so the map grows all
    the time in every process. No transaction may fail: in particular none with
    MDB_MAP_RESIZED, which the library must adopt however often another process grows the map.
    At the end the log holds exactly the documents attached and `receivables verify` passes.
    The store (some 150-200 MiB for 3 s, 1 GiB for 30 s) is removed afterwards, even when a
    check failed, unless --keep.
    The same failure shows with the command alone: 8 parallel loops of `receivables attach` of
    2 MiB files on one store fail now and then with "error: storage: MDB_MAP_RESIZED".
    """

func mapRaceMain(_ arguments: [String]) throws {
    let options = try Options(arguments, valued: ["--processes", "--seconds", "--seed", "--receivables"], switches: ["--keep"])
    let processes = try options.int("--processes", default: 8, range: 2...32)
    let seconds = try options.double("--seconds", default: 3, range: 0.5...3600)
    let seed = try options.seed()
    let receivables = try locateReceivables(options)
    let scratch = try makeTemporaryDirectory("map-race")
    let cli = ReceivablesCommand(executable: receivables, scratch: scratch)
    let storePath = scratch + "/store"
    // Eight processes grow the store by some 30 to 40 MiB a second.
    let needed = Int(seconds * Double(64 << 20)) + (256 << 20)
    guard freeBytes(scratch) >= needed else {
        FileSystem.removeTree(scratch)
        throw HarnessFailure("map-race needs about \(formatBytes(needed)) free under \(scratch); only \(formatBytes(freeBytes(scratch))) are")
    }
    say("map-race: seed \(seed), \(processes) processes, \(formatSeconds(seconds)), store \(storePath)")
    do {
        do {
            let store = try openStore(storePath, create: true, initialMapBytes: 1 << 20)
            let inputs = [
                EventInput(type: "ClientRegistered", data: ["client": "S0", "name": "Shared"], key: "s0"),
                EventInput(type: "PaymentReceived",
                           data: ["payment": "PS", "client": "S0", "amount": "1.00", "received": "2026-01-20", "method": "cash"], key: "ps"),
            ]
            try check(try store.append(inputs, now: wallClock()).appended == 2, "the payment was not registered")
        }
        let me = selfExecutable()
        var children: [ChildProcess] = []
        for index in 1...processes {
            children.append(try ChildProcess.spawn([me, "child-grower", "--store", storePath, "--seconds", String(seconds),
                                                    "--seed", String(SeededGenerator.mix(seed, UInt64(index)))],
                                                   standardOutput: scratch + "/grower-\(index).out", standardError: scratch + "/grower-\(index).err"))
        }
        var attached = 0, resized = 0, other = 0
        var messages: [String] = []
        for (index, child) in children.enumerated() {
            guard let end = child.wait(seconds: seconds + 120) else { throw HarnessFailure("grower \(index + 1) did not finish") }
            try check(end == .exited(0), "grower \(index + 1) ended with \(end): \(child.standardError)")
            for line in child.standardOutput.split(separator: "\n") {
                let parts = line.split(separator: " ").map(String.init)
                if parts.first == "done", parts.count == 9 {
                    attached += Int(parts[2]) ?? 0
                    resized += Int(parts[4]) ?? 0
                    other += Int(parts[6]) ?? 0
                } else {
                    messages.append("grower \(index + 1): \(line)")
                }
            }
        }
        let scan: LogScan
        do { scan = try scanLog(try openStore(storePath)) }
        let inLog = scan.typeCounts["PaymentDocumentAttached"] ?? 0
        let events = try cli.verify(storePath)
        say("""
            map-race: \(attached) documents attached by \(processes) processes in \(formatSeconds(seconds)); data.mdb \
            \(formatBytes(fileSize(storePath + "/data.mdb"))); transactions failed with MDB_MAP_RESIZED: \(resized), otherwise: \(other)
            """)
        for message in messages { say("  \(message)") }
        try check(resized == 0, """
            \(resized) transactions failed with MDB_MAP_RESIZED: a map grown by another process was not adopted. \
            Environment.beginAdoptingResize (Sources/EventLog/LMDB/Environment.swift:132-146, `if code == MDB_MAP_RESIZED`) \
            adopts the new size once and retries mdb_txn_begin once; when another process commits past the adopted size before that retry (for a \
            write, while this one waits for LMDB's writer lock) the second MDB_MAP_RESIZED is thrown
            """)
        try check(other == 0, "\(other) transactions failed otherwise")
        try check(inLog == attached, "\(attached) documents were attached; the log holds \(inLog)")
        try check(events == Int(scan.head), "receivables verify counted \(events) events, the head is \(scan.head)")
    } catch {
        if options.has("--keep") { say("seed \(seed); store and output kept in \(scratch)") } else { FileSystem.removeTree(scratch) }
        throw error
    }
    if !options.has("--keep") { FileSystem.removeTree(scratch) }
    say("map-race: every check held (seed \(seed))")
}
