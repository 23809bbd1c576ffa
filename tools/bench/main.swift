import EventLog
import Receivables
#if canImport(Glibc)
import Glibc
#endif

// receivables-bench: the engine against its limit (raw LMDB, same bytes) and its alternative
// (an event store on SQLite), on the same seeded data. Each workload runs in a child process of
// this same binary (`--workload NAME`), so each reports its own peak RSS.

let usage = """
    usage: swift run -c release receivables-bench [--quick] [--json] [--events N] [--runs R]
                                                  [--seed S] [--dir PATH] [--keep] [--only 1,2,3,4,5]

    Measures the Receivables engine (an event-sourced store over a hash-chained LMDB log whose read
    models are updated in the append transaction) on seeded, realistic data, beside two baselines
    run in the same invocation on the same data:
      limit   raw LMDB through the same C library (CLMDB): the same stored record bytes, MDB_APPEND,
              LMDB's default durable commit; a raw cursor scan that decodes every record and parses
              its JSON data
      SQLite  Debian's libsqlite3 (WAL, synchronous=FULL): events(seq primary key, stream, version,
              type, recorded_at, effective, key unique, data) with (stream, version) and recorded_at
              indexes, and SQL read models (clients, invoices, deadlines with due/open/client
              indexes, reminders, payments, allocations, exposure points, credit alerts) kept with
              UPSERTs in the append's transaction by the engine's own rules and fold over SQL rows;
              past as-of aging computed in SQL from the events table (json_extract/json_each)

    Workloads (each in its own child process):
      1  durable single appends: one event per synced write transaction (2,000; --quick 300) after
         after a prefix of 20,000 (--quick: up to 5,000); p50, p99, events/s
      2  batched ingest of N events (default 1,000,000; --quick 100,000) in batches of 1,000 through
         ReceivablesStore.append (validation, hash chain, every read model); events/s, peak RSS
      3  rebuild of every read model from that log (store.rebuild()); events/s, peak RSS
      4  queries on that store, random parameters from the seed: client history, credit check,
         calendar month, aging today, aging as of a past date known at a past time (15 days later),
         exposure of one client daily over a year; p50, p99 (and whether the answers agree)
      5  a fresh process opens the store and answers the first aging; milliseconds

    The generated mix:
    \(BenchGenerator.mixDescription.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))

    Options:
      --quick       100,000 events and fewer iterations: the smoke run of the test suite (not a timing)
      --events N    how many events (overrides --quick's size)
      --runs R      repeat every workload R times (fresh stores) and report medians (default 1)
      --seed S      the generator's seed (default 20260101)
      --dir PATH    where the stores go (default $TMPDIR or /tmp); removed afterwards unless --keep
      --only LIST   only these workloads, e.g. 1,2 (3, 4 and 5 need 2's stores)
      --json        the results as JSON instead of a table
      --json-file F also write the JSON to file F (with the table on standard output)
      --keep        keep the stores
    """

struct Options {
    var quick = false
    var json = false
    var events: Int?
    var runs = 1
    var seed: UInt64 = 20_260_101
    var directory: String?
    var keep = false
    var jsonFile: String?
    var only: Set<Int> = [1, 2, 3, 4, 5]
    var workload = WorkloadOptions()
    var isChild = false
}

func parseArguments() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst()
    func value(_ name: String) -> String {
        guard let next = arguments.popFirst() else { fail("\(name) needs a value") }
        return next
    }
    func number(_ name: String) -> Int {
        guard let parsed = Int(value(name).filter { $0 != "_" && $0 != "," }), parsed > 0 else { fail("\(name) needs a positive number") }
        return parsed
    }
    while let argument = arguments.popFirst() {
        switch argument {
        case "--help", "-h": print(usage); exit(0)
        case "--quick": options.quick = true
        case "--json": options.json = true
        case "--events": options.events = number(argument)
        case "--runs": options.runs = number(argument)
        case "--seed": options.seed = UInt64(number(argument))
        case "--dir": options.directory = value(argument)
        case "--keep": options.keep = true
        case "--json-file": options.jsonFile = value(argument)
        case "--only":
            options.only = Set(value(argument).split(separator: ",").compactMap { Int($0) })
        // Child-process arguments.
        case "--workload": options.isChild = true; options.workload.name = value(argument)
        case "--result": options.workload.resultPath = value(argument)
        case "--batch": options.workload.batch = number(argument)
        case "--prefix": options.workload.prefix = number(argument)
        case "--singles": options.workload.singles = number(argument)
        case "--kinds": options.workload.kinds = Set(value(argument).split(separator: ",").map(String.init))
        case "--side": options.workload.side = value(argument)
        case "--today":
            guard let day = Day(iso: value(argument)) else { fail("--today needs a date") }
            options.workload.today = day
        default: fail("unknown argument \(argument)\n\n\(usage)", code: 2)
        }
    }
    return options
}

func fail(_ message: String, code: Int32 = 2) -> Never {
    fputsStandardError("receivables-bench: \(message)\n")
    exit(code)
}

let options = parseArguments()

if options.isChild {
    var workload = options.workload
    workload.events = options.events ?? (options.quick ? 100_000 : 1_000_000)
    workload.seed = options.seed
    workload.quick = options.quick
    workload.directory = options.directory ?? "."
    do {
        let result = try Workloads.run(workload)
        try System.writeText(workload.resultPath, JSONWriter.compact(.object(result)))
        exit(0)
    } catch {
        fail("workload \(workload.name): \(error)", code: 1)
    }
}

do {
    let report = try Orchestrator(options: options).run()
    if let path = options.jsonFile { try System.writeText(path, JSONWriter.pretty(.object(report)) + "\n") }
    print(options.json ? JSONWriter.pretty(.object(report)) : Report.table(report))
} catch {
    fail("\(error)", code: 1)
}
