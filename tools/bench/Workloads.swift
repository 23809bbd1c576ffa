import EventLog
import Receivables
#if canImport(Glibc)
import Glibc
#endif

/// What one child process is asked to do.
struct WorkloadOptions {
    var name = ""
    var directory = ""
    var events = 1_000_000
    var seed: UInt64 = 20_260_101
    var batch = 1_000
    var prefix = 20_000
    var singles = 2_000
    var today: Day?
    var quick = false
    var resultPath = ""
    /// For profiling: only these query kinds, only this side ("ours" or "sqlite").
    var kinds: Set<String>?
    var side: String?
}

/// The clock of the bench: a batch is recorded at 19:00 UTC of its last event's day.
func recordedAt(_ day: Day, plus milliseconds: Int64 = 0) -> Timestamp {
    Timestamp(millisecondsSinceEpoch: Int64(day.daysSinceEpoch) * 86_400_000 + 19 * 3_600_000 + milliseconds)
}

enum Workloads {
    static func run(_ options: WorkloadOptions) throws -> JSONObject {
        switch options.name {
        case "single-ours": return try singleOurs(options)
        case "single-limit": return try singleLimit(options)
        case "single-sqlite": return try singleSQLite(options)
        case "ingest-ours": return try ingestOurs(options)
        case "ingest-limit": return try ingestLimit(options)
        case "ingest-sqlite": return try ingestSQLite(options)
        case "rebuild-ours": return try rebuildOurs(options)
        case "scan-limit": return try scanLimit(options)
        case "rebuild-sqlite": return try rebuildSQLite(options)
        case "queries": return try Queries.run(options)
        case "open-ours": return try openOurs(options)
        case "open-sqlite": return try openSQLite(options)
        default: throw BenchError("unknown workload \(options.name)")
        }
    }

    /// The write counters at the start of a workload's measured part, to report per event what
    /// the disk wrote and what the process handed to write calls.
    struct WriteCounters {
        let path: String
        let device: Double?
        let process: Double

        init(under path: String) {
            self.path = path
            device = System.deviceWrittenBytes(under: path)
            process = (System.ioStatus()["writtenMiB"] ?? 0) * 1_048_576
        }

        func perEvent(_ object: inout JSONObject, events: Int) {
            guard events > 0 else { return }
            let now = WriteCounters(under: path)
            if let before = device, let after = now.device {
                object["diskKiBPerEvent"] = .number((after - before) / 1024 / Double(events))
            }
            object["writtenKiBPerEvent"] = .number((now.process - process) / 1024 / Double(events))
        }
    }

    static func memory(_ object: inout JSONObject) {
        object["peakRSSMiB"] = .number(System.peakRSSMiB())
        for (name, value) in System.memoryStatus() { object[name + "MiB"] = .number(value) }
        for (name, value) in System.ioStatus() { object[name] = .number(value) }
    }

    static func appendOurs(_ store: ReceivablesStore, _ events: [GeneratedEvent], now: Timestamp) throws {
        do {
            _ = try store.append(events.map(\.input), now: now)
        } catch {
            throw BenchError("the engine refused a generated event: \(error)")
        }
    }

    // MARK: 1. Durable single appends

    /// Times each append `next` hands out (prepared outside the timing; nil when there are no
    /// more): wall and thread CPU time of each, and the write counters over them all.
    static func timedSingles(under directory: String, _ next: () throws -> (() throws -> Void)?) throws -> JSONObject {
        let counters = WriteCounters(under: directory)
        var samples = Samples()
        // The thread's CPU time apart: the rest of an append's time is waiting for the disk.
        var cpu = Samples()
        while let append = try next() {
            let started = System.seconds(), startedCPU = System.threadCPUSeconds()
            try append()
            samples.add(System.seconds() - started)
            cpu.add(System.threadCPUSeconds() - startedCPU)
        }
        var result = JSONObject()
        result["events"] = .number(Double(samples.values.count))
        result["p50Ms"] = .number(samples.p50)
        result["p99Ms"] = .number(samples.p99)
        result["cpuP50Ms"] = .number(cpu.p50)
        result["eventsPerSecond"] = .number(Double(samples.values.count) / (samples.total / 1000))
        counters.perEvent(&result, events: samples.values.count)
        memory(&result)
        return result
    }

    static func singleOurs(_ options: WorkloadOptions) throws -> JSONObject {
        let path = options.directory + "/ours-single"
        System.remove(path)
        let store = try ReceivablesStore(path: path, create: true)
        var generator = BenchGenerator(seed: options.seed, target: options.prefix + options.singles)
        while generator.emitted < options.prefix {
            let batch = generator.next(min(options.batch, options.prefix - generator.emitted))
            try appendOurs(store, batch, now: recordedAt(batch.last!.day))
        }
        var index: Int64 = 0
        return try timedSingles(under: options.directory) {
            let batch = generator.next(1)
            guard let event = batch.first else { return nil }
            index += 1
            let now = recordedAt(event.day, plus: index)
            return { try appendOurs(store, batch, now: now) }
        }
    }

    static func singleLimit(_ options: WorkloadOptions) throws -> JSONObject {
        let records: [RawLMDB.RawRecord]
        do {
            let source = try RawLMDB.Env(path: options.directory + "/ours-single", readOnly: true)
            records = try source.read(from: 1, limit: options.prefix + options.singles)
        }
        let path = options.directory + "/limit-single"
        System.remove(path)
        let env = try RawLMDB.Env(path: path, readOnly: false)
        let prefix = min(options.prefix, records.count)
        var start = 0
        while start < prefix {
            let end = min(start + options.batch, prefix)
            try env.appendBatch(records[start..<end])
            start = end
        }
        var index = prefix
        return try timedSingles(under: options.directory) {
            guard index < records.count else { return nil }
            defer { index += 1 }
            let record = records[index...index]
            return { try env.appendBatch(record) }
        }
    }

    static func singleSQLite(_ options: WorkloadOptions) throws -> JSONObject {
        let path = options.directory + "/sqlite-single.db"
        for suffix in ["", "-wal", "-shm"] { System.remove(path + suffix) }
        let store = try SQLiteEventStore(path: path, synchronous: "FULL")
        var generator = BenchGenerator(seed: options.seed, target: options.prefix + options.singles)
        while generator.emitted < options.prefix {
            let batch = generator.next(min(options.batch, options.prefix - generator.emitted))
            try store.append(batch.map(\.input), now: recordedAt(batch.last!.day))
        }
        var index: Int64 = 0
        return try timedSingles(under: options.directory) {
            let batch = generator.next(1)
            guard let event = batch.first else { return nil }
            index += 1
            let now = recordedAt(event.day, plus: index)
            return { try store.append([event.input], now: now) }
        }
    }

    // MARK: 2. Batched ingest

    static func ingestOurs(_ options: WorkloadOptions) throws -> JSONObject {
        let path = options.directory + "/ours"
        System.remove(path)
        let store = try ReceivablesStore(path: path, create: true)
        var generator = BenchGenerator(seed: options.seed, target: options.events)
        let counters = WriteCounters(under: options.directory)
        var seconds = 0.0
        var generating = 0.0
        var batches = 0
        var firstDay: Day?
        while true {
            let generated = System.seconds()
            let batch = generator.next(options.batch)
            guard let last = batch.last else { break }
            if firstDay == nil { firstDay = batch.first!.day }
            let started = System.seconds()
            generating += started - generated
            try appendOurs(store, batch, now: recordedAt(last.day))
            seconds += System.seconds() - started
            batches += 1
        }
        var result = JSONObject()
        result["events"] = .number(Double(generator.emitted))
        result["batches"] = .number(Double(batches))
        result["seconds"] = .number(seconds)
        result["generatorSeconds"] = .number(generating)
        result["eventsPerSecond"] = .number(Double(generator.emitted) / seconds)
        result["firstDay"] = .string(firstDay?.description ?? "")
        result["lastDay"] = .string(generator.lastDay.description)
        result["clients"] = .number(Double(generator.clientCount))
        result["storeMiB"] = .number(Double(System.diskUsage(path)) / 1_048_576)
        var mix = JSONObject()
        for (type, count) in generator.mix.sorted(by: { $0.value > $1.value }) { mix[type] = .number(Double(count)) }
        result["mix"] = .object(mix)
        counters.perEvent(&result, events: generator.emitted)
        memory(&result)
        return result
    }

    static func ingestLimit(_ options: WorkloadOptions) throws -> JSONObject {
        let source = try RawLMDB.Env(path: options.directory + "/ours", readOnly: true)
        let path = options.directory + "/limit"
        System.remove(path)
        let env = try RawLMDB.Env(path: path, readOnly: false)
        var seconds = 0.0
        let counters = WriteCounters(under: options.directory)
        var next: UInt64 = 1
        var count = 0
        while true {
            let records = try source.read(from: next, limit: options.batch)
            guard let last = records.last else { break }
            let started = System.seconds()
            try env.appendBatch(records[...])
            seconds += System.seconds() - started
            count += records.count
            next = last.seq + 1
        }
        var result = JSONObject()
        result["events"] = .number(Double(count))
        result["seconds"] = .number(seconds)
        result["eventsPerSecond"] = .number(Double(count) / seconds)
        result["storeMiB"] = .number(Double(System.diskUsage(path)) / 1_048_576)
        counters.perEvent(&result, events: count)
        memory(&result)
        return result
    }

    static func ingestSQLite(_ options: WorkloadOptions) throws -> JSONObject {
        let path = options.directory + "/sqlite.db"
        for suffix in ["", "-wal", "-shm"] { System.remove(path + suffix) }
        let store = try SQLiteEventStore(path: path, synchronous: "FULL")
        var generator = BenchGenerator(seed: options.seed, target: options.events)
        var seconds = 0.0
        let counters = WriteCounters(under: options.directory)
        while true {
            let batch = generator.next(options.batch)
            guard let last = batch.last else { break }
            let started = System.seconds()
            try store.append(batch.map(\.input), now: recordedAt(last.day))
            seconds += System.seconds() - started
        }
        try store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        var result = JSONObject()
        result["events"] = .number(Double(generator.emitted))
        result["seconds"] = .number(seconds)
        result["eventsPerSecond"] = .number(Double(generator.emitted) / seconds)
        result["storeMiB"] = .number(Double(System.diskUsage(path) + System.diskUsage(path + "-wal")) / 1_048_576)
        counters.perEvent(&result, events: generator.emitted)
        memory(&result)
        return result
    }

    // MARK: 3. Rebuild

    static func rebuildOurs(_ options: WorkloadOptions) throws -> JSONObject {
        let store = try ReceivablesStore(path: options.directory + "/ours")
        let events = try store.events.head().lastSeq
        let started = System.seconds()
        try store.rebuild()
        let seconds = System.seconds() - started
        var result = JSONObject()
        result["events"] = .number(Double(events))
        result["seconds"] = .number(seconds)
        result["eventsPerSecond"] = .number(Double(events) / seconds)
        memory(&result)
        return result
    }

    static func scanLimit(_ options: WorkloadOptions) throws -> JSONObject {
        let env = try RawLMDB.Env(path: options.directory + "/limit", readOnly: true)
        var count = 0
        var members = 0
        let started = System.seconds()
        try env.scan { seq, bytes in
            let (_, data) = try RawLMDB.decode(seq: seq, bytes)
            members += data.objectValue?.count ?? 0
            count += 1
        }
        let seconds = System.seconds() - started
        var result = JSONObject()
        result["events"] = .number(Double(count))
        result["dataMembers"] = .number(Double(members))
        result["seconds"] = .number(seconds)
        result["eventsPerSecond"] = .number(Double(count) / seconds)
        memory(&result)
        return result
    }

    static func rebuildSQLite(_ options: WorkloadOptions) throws -> JSONObject {
        let store = try SQLiteEventStore(path: options.directory + "/sqlite.db", synchronous: "FULL")
        let started = System.seconds()
        let count = try store.rebuild()
        let seconds = System.seconds() - started
        var result = JSONObject()
        result["events"] = .number(Double(count))
        result["seconds"] = .number(seconds)
        result["eventsPerSecond"] = .number(Double(count) / seconds)
        memory(&result)
        return result
    }

    // MARK: 5. Open and answer the first aging

    static func openOurs(_ options: WorkloadOptions) throws -> JSONObject {
        guard let today = options.today else { throw BenchError("--today is required") }
        let started = System.seconds()
        let store = try ReceivablesStore(path: options.directory + "/ours")
        let aging = try store.aging(QueryScope(asOf: today))
        let seconds = System.seconds() - started
        var result = JSONObject()
        result["ms"] = .number(seconds * 1000)
        result["rows"] = .number(Double(aging.rows.count))
        memory(&result)
        return result
    }

    static func openSQLite(_ options: WorkloadOptions) throws -> JSONObject {
        guard let today = options.today else { throw BenchError("--today is required") }
        let started = System.seconds()
        let store = try SQLiteEventStore(path: options.directory + "/sqlite.db", synchronous: "FULL")
        let aging = try store.agingToday(asOf: today)
        let seconds = System.seconds() - started
        var result = JSONObject()
        result["ms"] = .number(seconds * 1000)
        result["rows"] = .number(Double(aging.rows.count))
        memory(&result)
        return result
    }
}
