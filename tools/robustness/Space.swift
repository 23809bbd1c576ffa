#if canImport(Glibc)
import Glibc
#endif
import EventLog
import Receivables

let spaceHelp = """
    usage: receivables-robustness space [--part a|b|both] [--grow-to-mib N] [--seed S] [--dir DIR]
                                        [--receivables PATH] [--keep] [--strict-wording]

    (a) Map growth. Opens a new store through the library with Environment.Options
        .initialMapSizeBytes = 1 MiB and appends until data.mdb is past --grow-to-mib (default
        1024, i.e. 1 GiB). Each round is one append of 20 keyed batches (about 100 events, some
        with long names) and one payment document of a seeded size from 64 KiB to 8 MiB
        (attachDocument: the blob and PaymentDocumentAttached in one transaction; an 8 MiB blob
        into a small map takes several doublings inside one write). Checks: no append fails (for
        want of map size or anything else); the map starts at 1 MiB and only ever doubles (one
        write may double it more than once); at the end the map covers the file; the library's
        verify, verifyDocuments and verifyReadModels find nothing; `receivables append` from another process (which opens
        with the default 64 MiB) still appends, and `receivables verify` passes.
    (b) Full disk. A store with about 100 events; then `receivables append` of 600 more events (about
        2 MiB of new pages) run under a file size limit: the hidden `exec-limited` sets SIGXFSZ
        to ignored and RLIMIT_FSIZE to the current data.mdb size, to it + 16 KiB and to it +
        128 KiB, then execs the command; once more through
        `sh -c 'trap "" XFSZ; ulimit -f <size/512>; exec ...'`. Each time: exit 3, standard error
        one line starting "error:" (naming the full disk), nothing on standard output; then
        `receivables verify` passes and `receivables export` is byte for byte what it was. Last,
        with no limit, the same append succeeds (600 appended), verify passes and the export is
        the old one plus 600 lines. Then in ONE process (hidden `child-full-disk`): the library's
        append of 600 more events under RLIMIT_FSIZE = data.mdb fails with
        EventStoreError.storage and leaves the head where it was; the limit is lifted and the
        same open store appends all 600; verify passes and the export grew by exactly those
        lines. A limit that cannot be set is a failure, not a skip.
        An error line that does not name the full disk is printed as a NOTE (LMDB reports a write
        cut short by the limit as EIO, "Input/output error"); --strict-wording makes it a failure.

      --part a|b|both   which checks (default both)
      --grow-to-mib N   (a)'s target size (default 1024; at least 2)
      --dir DIR         where to make the stores (default a new temporary directory)
      --keep            keep the stores
      --strict-wording  (b): fail when the error line does not say the disk is full
    """

func spaceMain(_ arguments: [String]) throws {
    let options = try Options(arguments, valued: ["--part", "--grow-to-mib", "--seed", "--dir", "--receivables"], switches: ["--keep", "--strict-wording"])
    let part = options.value("--part") ?? "both"
    guard ["a", "b", "both"].contains(part) else { throw UsageFailure("--part: \"\(part)\" is not one of a, b, both") }
    let growTo = try options.int("--grow-to-mib", default: 1024, range: 2...(1 << 20))
    let seed = try options.seed()
    let receivables = try locateReceivables(options)
    let scratch: String
    if let directory = options.value("--dir") {
        try makeDirectory(directory)
        scratch = directory
    } else {
        scratch = try makeTemporaryDirectory("space")
    }
    let cli = ReceivablesCommand(executable: receivables, scratch: scratch)
    say("space: seed \(seed), part \(part), scratch \(scratch)")
    do {
        if part != "b" { try runMapGrowth(targetBytes: growTo << 20, seed: seed, scratch: scratch, cli: cli) }
        if part != "a" { try runFullDisk(seed: seed, scratch: scratch, cli: cli, strictWording: options.has("--strict-wording")) }
    } catch {
        say("seed \(seed); stores kept in \(scratch)")
        throw error
    }
    if !options.has("--keep") { FileSystem.removeTree(scratch) }
    say("space: every check held (seed \(seed))")
}

// MARK: (a) map growth

private func runMapGrowth(targetBytes: Int, seed: UInt64, scratch: String, cli: ReceivablesCommand) throws {
    let path = scratch + "/space-a"
    let free = freeBytes(scratch)
    try check(free >= targetBytes + (targetBytes / 4) + (64 << 20),
              "(a) needs about \(formatBytes(targetBytes + targetBytes / 4)) free under \(scratch); only \(formatBytes(free)) are")
    let started = monotonicSeconds()
    var generator = SeededGenerator(seed: seed)
    let store = try openStore(path, create: true, initialMapBytes: 1 << 20)
    let initialMap = store.events.environment.mapSizeBytes
    try check(initialMap == 1 << 20, "(a) the store opened with a map of \(formatBytes(initialMap)), not the 1 MiB asked for")
    var mapSizes = [initialMap]
    var rounds = 0, documents = 0, documentBytes = 0, batch = 0
    var nextReport = targetBytes / 8
    func noteMap() throws {
        let size = store.events.environment.mapSizeBytes
        if size != mapSizes.last! {
            try check(size > mapSizes.last!, "(a) the map shrank from \(formatBytes(mapSizes.last!)) to \(formatBytes(size))")
            mapSizes.append(size)
        }
    }
    // Batch 1 registers C1, F1 and P1: the payment the documents are attached to.
    while fileSize(path + "/data.mdb") <= targetBytes {
        rounds += 1
        var inputs: [EventInput] = []
        for _ in 0..<20 {
            batch += 1
            inputs += try Batch.inputs(batch, seed: seed)
        }
        let fileBefore = fileSize(path + "/data.mdb")
        do {
            let outcome = try store.append(inputs, now: wallClock())
            try check(outcome.appended == inputs.count, "(a) round \(rounds): \(outcome.appended) of \(inputs.count) events appended")
        } catch let failure as HarnessFailure {
            throw failure
        } catch {
            throw HarnessFailure("(a) round \(rounds): an append of \(inputs.count) events failed at data.mdb \(formatBytes(fileBefore)), map \(formatBytes(store.events.environment.mapSizeBytes)): \(error)")
        }
        try noteMap()
        let size = generator.int((64 << 10)...(8 << 20))
        var bytes = generator.bytes(size)
        bytes.replaceSubrange(0..<5, with: Array("%PDF-".utf8))
        do {
            let attached = try store.attachDocument(payment: "P1", name: "receipt-\(rounds).pdf", bytes: bytes, now: wallClock(),
                                                    limitBytes: 64 << 20)
            try check(attached.outcome.appended == 1, "(a) round \(rounds): the document's event was not appended")
        } catch let failure as HarnessFailure {
            throw failure
        } catch {
            throw HarnessFailure("(a) round \(rounds): attaching a \(formatBytes(size)) document failed at data.mdb \(formatBytes(fileSize(path + "/data.mdb"))), map \(formatBytes(store.events.environment.mapSizeBytes)): \(error)")
        }
        documents += 1
        documentBytes += size
        try noteMap()
        let now = fileSize(path + "/data.mdb")
        if now >= nextReport {
            say("  (a) data.mdb \(formatBytes(now)), map \(formatBytes(store.events.environment.mapSizeBytes)), \(rounds) rounds, \(formatSeconds(monotonicSeconds() - started))")
            nextReport += targetBytes / 8
        }
    }
    let finalFile = fileSize(path + "/data.mdb")
    let finalMap = store.events.environment.mapSizeBytes
    for (previous, next) in zip(mapSizes, mapSizes.dropFirst()) {
        // One write can double the map more than once (a big document into a small map).
        let ratio = next / previous
        try check(next % previous == 0 && ratio > 1 && ratio & (ratio - 1) == 0,
                  "(a) the map went from \(formatBytes(previous)) to \(formatBytes(next)), not by doubling")
    }
    try check(finalMap >= finalFile, "(a) the map (\(formatBytes(finalMap))) is smaller than data.mdb (\(formatBytes(finalFile)))")
    let head = try store.events.head().lastSeq
    if let problem = try store.verify() { throw HarnessFailure("(a) verify: \(problem)") }
    if let problem = try store.verifyDocuments() { throw HarnessFailure("(a) verifyDocuments: \(problem)") }
    if let problem = try store.verifyReadModels() { throw HarnessFailure("(a) verifyReadModels: \(problem)") }
    // Another process, opening with the default map size, appends and verifies.
    let file = scratch + "/space-a-more.jsonl"
    try writeFile(file, Batch.lines(batch + 1, seed: seed).joined(separator: "\n") + "\n")
    let more = try cli.append(file, store: path)
    try check(more == Batch.keys(batch + 1, seed: seed).count, "(a) receivables append after the growth appended \(more) events")
    let verified = try cli.verify(path)
    try check(verified == Int(head) + more, "(a) receivables verify counted \(verified) events, \(Int(head) + more) expected")
    say("""
        space (a): a store opened with a 1 MiB map grew to data.mdb \(formatBytes(finalFile)) (\(finalFile) bytes; map \(formatBytes(finalMap))) \
        in \(rounds) rounds, \(formatSeconds(monotonicSeconds() - started)); no append failed
          \(head) events, \(documents) documents (\(formatBytes(documentBytes))); map sizes seen after each append: \
        \(mapSizes.map(formatBytes).joined(separator: " → "))
          checked: every append succeeded; the map only doubled and covers the file; verify, verifyDocuments and \
        verifyReadModels find nothing; receivables append (default map) and receivables verify from another process pass
        """)
}

// MARK: (b) full disk

/// Whole batches from `first` on, with long names, about `count` events.
private func bigBatchLines(from first: Int, count: Int, seed: UInt64) -> [String] {
    var lines: [String] = []
    var batch = first
    while lines.count < count {
        lines += Batch.lines(batch, seed: seed, longName: true)
        batch += 1
    }
    return lines
}

private func runFullDisk(seed: UInt64, scratch: String, cli: ReceivablesCommand, strictWording: Bool) throws {
    let path = scratch + "/space-b"
    let started = monotonicSeconds()
    try cli.initialise(path)
    let firstFile = scratch + "/space-b-first.jsonl"
    try writeFile(firstFile, (1...20).flatMap { Batch.lines($0, seed: seed) }.joined(separator: "\n") + "\n")
    let first = try cli.append(firstFile, store: path)
    // About 600 events with names long enough for overflow pages (some 2 MiB of new pages): far
    // more than any limit below leaves room for.
    let bigLines = bigBatchLines(from: 1001, count: 600, seed: seed)
    let bigFile = scratch + "/space-b-big.jsonl"
    try writeFile(bigFile, bigLines.joined(separator: "\n") + "\n")

    let exportBefore = try cli.export(path)
    let sizeBefore = fileSize(path + "/data.mdb")
    let me = selfExecutable()
    var attempts: [(label: String, command: [String], limit: Int)] = []
    for slack in [0, 16 << 10, 128 << 10] {
        let limit = sizeBefore + slack
        attempts.append(("RLIMIT_FSIZE = data.mdb + \(formatBytes(slack))",
                         [me, "exec-limited", "--fsize", String(limit), "--", cli.executable, "append", bigFile, "--store", path, "--format", "json"],
                         limit))
    }
    let blocks = sizeBefore / 512
    attempts.append(("sh: ulimit -f \(blocks)",
                     ["/bin/sh", "-c", "trap '' XFSZ; ulimit -f \(blocks) || exit 125; exec \"$0\" \"$@\"",
                      cli.executable, "append", bigFile, "--store", path, "--format", "json"],
                     blocks * 512))
    var errorLines: [String] = []
    var notes: [String] = []
    for attempt in attempts {
        let outcome = try runCommand(attempt.command, scratch: scratch)
        if outcome.exitCode == 125 || outcome.exitCode == 126 {
            throw HarnessFailure("(b) \(attempt.label): the file size limit could not be set on this machine: \(outcome.standardError.trimmingTrailingNewlines)")
        }
        try check(outcome.exitCode == 3, "(b) \(attempt.label): receivables append ended with \(outcome.termination), not exit 3: \(outcome.summary)")
        let lines = outcome.standardError.split(separator: "\n", omittingEmptySubsequences: true)
        try check(lines.count == 1 && lines[0].hasPrefix("error:"),
                  "(b) \(attempt.label): standard error is not one line starting error: — \(outcome.standardError)")
        let line = String(lines[0])
        if !(line.contains("disk is full")) {
            let note = "(b) \(attempt.label): the error does not say the disk is full: \"\(line)\""
            if strictWording { throw HarnessFailure(note) }
            notes.append(note)
        }
        try check(outcome.standardOutput.trimmingTrailingNewlines.isEmpty, "(b) \(attempt.label): the failed append printed \(outcome.standardOutput)")
        errorLines.append("\(attempt.label): \(line)")
        let events = try cli.verify(path)
        try check(events == first, "(b) \(attempt.label): after the failure receivables verify counts \(events) events, not \(first)")
        let export = try cli.export(path)
        try check(export == exportBefore, "(b) \(attempt.label): the export changed after a failed append")
    }
    let sizeAfterFailures = fileSize(path + "/data.mdb")
    // Space is back.
    let appended = try cli.append(bigFile, store: path)
    try check(appended == bigLines.count, "(b) with no limit the append appended \(appended) of \(bigLines.count) events")
    let events = try cli.verify(path)
    try check(events == first + appended, "(b) receivables verify counts \(events) events, not \(first + appended)")
    let exportAfter = try cli.export(path)
    try check(exportAfter.hasPrefix(exportBefore), "(b) the export after the good append does not begin with the export from before")
    let added = exportAfter.dropFirst(exportBefore.count).split(separator: "\n").count
    try check(added == appended, "(b) the export grew by \(added) lines, not \(appended)")
    let sizeAfter = fileSize(path + "/data.mdb")
    let largestLimit = attempts.map(\.limit).max() ?? 0
    try check(sizeAfter > largestLimit,
              "(b) the good append left data.mdb at \(formatBytes(sizeAfter)), within the largest limit tried (\(formatBytes(largestLimit))): the limits did not bite")

    // The same in one process: the library's append fails under the limit, and the same open
    // store takes the append once the limit is lifted.
    let moreLines = bigBatchLines(from: 3001, count: 600, seed: seed)
    let moreFile = scratch + "/space-b-more.jsonl"
    try writeFile(moreFile, moreLines.joined(separator: "\n") + "\n")
    let sizeBeforeInProcess = fileSize(path + "/data.mdb")
    let inProcess = try runCommand([me, "child-full-disk", "--store", path, "--file", moreFile, "--fsize", String(sizeBeforeInProcess)],
                                   scratch: scratch)
    if inProcess.exitCode == 125 {
        throw HarnessFailure("(b) in one process: the file size limit could not be set on this machine: \(inProcess.standardError.trimmingTrailingNewlines)")
    }
    try check(inProcess.exitCode == 0, "(b) in one process: \(inProcess.summary)")
    let report = inProcess.standardOutput.split(separator: "\n").map(String.init)
    try check(report.count == 2 && report[0].hasPrefix("failed ") && report[1] == "appended \(moreLines.count)",
              "(b) in one process: unexpected report \(report)")
    let inProcessError = String(report[0].dropFirst("failed ".count))
    let eventsAtEnd = try cli.verify(path)
    try check(eventsAtEnd == first + appended + moreLines.count, "(b) after the in-process run verify counts \(eventsAtEnd) events, not \(first + appended + moreLines.count)")
    let exportAtEnd = try cli.export(path)
    try check(exportAtEnd.hasPrefix(exportAfter) && exportAtEnd.dropFirst(exportAfter.count).split(separator: "\n").count == moreLines.count,
              "(b) after the in-process run the export is not the one before plus \(moreLines.count) lines")

    say("""
        space (b): \(attempts.count) runs of receivables append (\(bigLines.count) events) under a file size limit, data.mdb at \
        \(formatBytes(sizeBefore)), \(formatSeconds(monotonicSeconds() - started))
          each: exit 3, nothing on standard output, one line on standard error:
            \(errorLines.joined(separator: "\n    "))
          each: receivables verify passes (\(first) events), the export byte for byte unchanged; data.mdb after the failures \
        \(formatBytes(sizeAfterFailures))
          then with no limit: \(appended) appended, verify passes (\(events) events), the export is the old one plus \(added) lines; \
        data.mdb \(formatBytes(sizeAfter))
          in one process (library, one open store): the append under the limit failed with EventStoreError.storage \
        (\(inProcessError)), the head did not move, and after lifting the limit the same handle appended \(moreLines.count); \
        verify passes (\(eventsAtEnd) events), the export grew by exactly those lines
        """)
    for note in notes { say("  NOTE \(note)") }
}
