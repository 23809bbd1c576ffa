#if canImport(Glibc)
import Glibc
#endif

// receivables-robustness: crash, concurrency and space harnesses for the receivables store.
// Each subcommand is bounded in time and count, prints what it checked and its seed, and exits
// 0 when every check held, 1 when one did not, 2 on a usage mistake.

let overview = """
    receivables-robustness: crash, concurrency and space harnesses for a receivables store

    usage: receivables-robustness <subcommand> [options]      (<subcommand> --help for details)

      crash         kill a process that appends keyed batches with SIGKILL at seeded random
                    moments; after each kill the store opens, verifies, has every reported batch
                    whole and no batch in part, and the batch in flight appends exactly once
      concurrency   writer and reader processes on one store: version conflicts surface typed and
                    succeed on retry, nothing is lost or doubled, readers' read models match their
                    log position; a reader killed inside a read transaction does not pin the map
      space         (a) a store opened with a 1 MiB map grows past 1 GiB without a failed append;
                    (b) a full disk (RLIMIT_FSIZE) fails an append with exit 3 and an error: line,
                    leaves the store intact, and the next append succeeds
      map-race      processes that all grow the map at once: no transaction may fail with
                    MDB_MAP_RESIZED (a focused reproduction for the concurrency check)

    Every subcommand prints its seed; run it again with --seed to repeat its choices (kill
    moments and interleavings still depend on the machine's timing).
    Exit codes: 0 every check held; 1 a check failed (the line starting FAILED says which);
    2 usage.
    """

func robustnessMain(_ arguments: [String]) -> Int32 {
    guard let subcommand = arguments.first else {
        say(overview)
        return 0
    }
    let rest = Array(arguments.dropFirst())
    switch subcommand {
    case "--help", "-h", "help":
        say(overview)
        return 0
    case "crash": return runHarness(rest, help: crashHelp, crashMain)
    case "concurrency": return runHarness(rest, help: concurrencyHelp, concurrencyMain)
    case "space": return runHarness(rest, help: spaceHelp, spaceMain)
    case "map-race": return runHarness(rest, help: mapRaceHelp, mapRaceMain)
    // Hidden: the processes the harnesses start.
    case "child-append": return runChild(rest, childAppendMain)
    case "child-writer": return runChild(rest, childWriterMain)
    case "child-reader": return runChild(rest, childReaderMain)
    case "child-hold-reader": return runChild(rest, childHoldReaderMain)
    case "exec-limited": return runChild(rest, execLimitedMain)
    case "child-full-disk": return runChild(rest, childFullDiskMain)
    case "child-grower": return runChild(rest, childGrowerMain)
    default:
        sayError("error: unknown subcommand \(subcommand)")
        sayError("usage: receivables-robustness crash|concurrency|space|map-race [options]  (see --help)")
        return 2
    }
}

/// Runs a harness: help, usage errors (exit 2), failures (exit 1, children killed).
func runHarness(_ arguments: [String], help: String, _ body: ([String]) throws -> Void) -> Int32 {
    if arguments.contains("--help") || arguments.contains("-h") {
        say(help)
        return 0
    }
    do {
        try body(arguments)
        return 0
    } catch let usage as UsageFailure {
        sayError("error: \(usage.description)")
        return 2
    } catch {
        killLiveChildren()
        say("FAILED: \(error)")
        return 1
    }
}

func runChild(_ arguments: [String], _ body: ([String]) throws -> Void) -> Int32 {
    do {
        try body(arguments)
        return 0
    } catch let usage as UsageFailure {
        sayError("error: \(usage.description)")
        return 2
    } catch {
        sayError("error: \(error)")
        return 1
    }
}

exit(robustnessMain(Array(CommandLine.arguments.dropFirst())))
