import EventLog
#if canImport(Glibc)
import Glibc
#endif

/// Runs every workload in child processes, run after run, and assembles the report.
struct Orchestrator {
    let options: Options

    func run() throws -> JSONObject {
        let events = options.events ?? (options.quick ? 100_000 : 1_000_000)
        let singles = options.quick ? min(300, max(50, events / 100)) : 2_000
        let prefix = options.quick ? min(5_000, events / 4) : 20_000
        let base = (options.directory ?? System.environment("TMPDIR") ?? "/tmp") + "/receivables-bench-\(getpid())"
        try System.makeDirectory(base)
        defer { if !options.keep { System.remove(base) } }
        let executable = System.executablePath()
        var runs: [[String: JSONObject]] = []
        var today: String?
        for runIndex in 1...options.runs {
            let directory = base + "/run-\(runIndex)"
            try System.makeDirectory(directory)
            var results: [String: JSONObject] = [:]
            func child(_ name: String, _ extra: [String] = []) throws {
                let resultPath = directory + "/\(name).result.json"
                var arguments = [executable, "--workload", name, "--dir", directory, "--events", String(events),
                                 "--seed", String(options.seed), "--result", resultPath,
                                 "--prefix", String(prefix), "--singles", String(singles)] + extra
                if options.quick { arguments.append("--quick") }
                if !options.json { fputsStandardError("receivables-bench: run \(runIndex)/\(options.runs): \(name)…\n") }
                let (status, seconds) = try System.run(arguments)
                guard status == 0 else { throw BenchError("workload \(name) failed (exit \(status))") }
                guard let text = System.readText(resultPath), case .object(var object) = try JSONParser.parse(text) else {
                    throw BenchError("workload \(name) left no result")
                }
                object["processMs"] = .number(seconds * 1000)
                results[name] = object
            }
            let needsStores = !options.only.isDisjoint(with: [2, 3, 4, 5])
            if options.only.contains(1) {
                try child("single-ours")
                try child("single-limit")
                try child("single-sqlite")
            }
            if needsStores {
                try child("ingest-ours")
                today = results["ingest-ours"]?["lastDay"]?.stringValue
                if !options.only.isDisjoint(with: [2, 3]) { try child("ingest-limit") }
                try child("ingest-sqlite")
            }
            if options.only.contains(3) {
                try child("rebuild-ours")
                try child("scan-limit")
                try child("rebuild-sqlite")
            }
            if options.only.contains(4) { try child("queries", ["--today", today!]) }
            if options.only.contains(5) {
                try child("open-ours", ["--today", today!])
                try child("open-sqlite", ["--today", today!])
            }
            if !options.keep { System.remove(directory) }
            runs.append(results)
        }
        return assemble(runs: runs, events: events, directory: base)
    }

    /// The median of every number across runs; anything else from the first run.
    static func combine(_ values: [JSONValue]) -> JSONValue {
        guard let first = values.first else { return .null }
        switch first {
        case .number:
            return .number(median(values.compactMap(\.numberValue)))
        case .object(let object):
            var combined = JSONObject()
            for (key, _) in object {
                if key == "mix" { combined[key] = object[key]; continue }
                combined[key] = combine(values.compactMap { $0.objectValue?[key] })
            }
            return .object(combined)
        default:
            return first
        }
    }

    func assemble(runs: [[String: JSONObject]], events: Int, directory: String) -> JSONObject {
        var merged: [String: JSONObject] = [:]
        for name in runs.first?.keys.sorted() ?? [] {
            merged[name] = Self.combine(runs.compactMap { $0[name].map(JSONValue.object) }).objectValue
        }
        var report = JSONObject()
        report["tool"] = "receivables-bench"
        report["command"] = .string(CommandLine.arguments.dropFirst().isEmpty ? "receivables-bench"
                                    : "receivables-bench " + CommandLine.arguments.dropFirst().joined(separator: " "))
        report["quick"] = .bool(options.quick)
        report["events"] = .number(Double(events))
        report["seed"] = .number(Double(options.seed))
        report["runs"] = .number(Double(runs.count))
        report["figures"] = .string(runs.count > 1 ? "medians of \(runs.count) runs" : "one run")
        report["machine"] = .object(Machine.describe(directory: options.directory ?? System.environment("TMPDIR") ?? "/tmp"))
        if let ingest = merged["ingest-ours"] {
            var data = JSONObject()
            data["clients"] = ingest["clients"] ?? .null
            data["firstDay"] = ingest["firstDay"] ?? .null
            data["lastDay"] = ingest["lastDay"] ?? .null
            data["openDeadlinesToday"] = merged["queries"]?["agingToday"]?.objectValue?["rows"] ?? merged["open-ours"]?["rows"] ?? .null
            data["oursStoreMiB"] = ingest["storeMiB"] ?? .null
            data["limitStoreMiB"] = merged["ingest-limit"]?["storeMiB"] ?? .null
            data["sqliteStoreMiB"] = merged["ingest-sqlite"]?["storeMiB"] ?? .null
            data["mix"] = ingest["mix"] ?? .null
            report["data"] = .object(data)
        }
        report["mixDescription"] = .string(BenchGenerator.mixDescription)
        var workloads = JSONObject()
        func pick(_ object: JSONObject?, _ keys: [String]) -> JSONValue {
            guard let object else { return .null }
            var picked = JSONObject()
            for key in keys { if let value = object[key] { picked[key] = value } }
            return .object(picked)
        }
        func ratio(_ a: JSONValue?, _ b: JSONValue?) -> JSONValue {
            guard let a = a?.numberValue, let b = b?.numberValue, b != 0 else { return .null }
            return .number(a / b)
        }
        if let ours = merged["single-ours"] {
            let limit = merged["single-limit"], sqlite = merged["single-sqlite"]
            let keys = ["events", "eventsPerSecond", "p50Ms", "p99Ms", "cpuP50Ms", "peakRSSMiB", "diskKiBPerEvent", "writtenKiBPerEvent"]
            workloads["singleAppends"] = .object([
                "ours": pick(ours, keys), "limit": pick(limit, keys), "sqlite": pick(sqlite, keys),
                "ratios": .object(["eventsPerSecondOursOverLimit": ratio(ours["eventsPerSecond"], limit?["eventsPerSecond"]),
                                   "eventsPerSecondOursOverSQLite": ratio(ours["eventsPerSecond"], sqlite?["eventsPerSecond"]),
                                   "p99OursOverLimit": ratio(ours["p99Ms"], limit?["p99Ms"]),
                                   "p99OursOverSQLite": ratio(ours["p99Ms"], sqlite?["p99Ms"])]),
            ])
        }
        if let ours = merged["ingest-ours"] {
            let limit = merged["ingest-limit"], sqlite = merged["ingest-sqlite"]
            let keys = ["events", "seconds", "eventsPerSecond", "peakRSSMiB", "RssAnonMiB", "RssFileMiB", "storeMiB", "diskKiBPerEvent", "writtenKiBPerEvent"]
            workloads["batchedIngest"] = .object([
                "ours": pick(ours, keys), "limit": pick(limit, keys), "sqlite": pick(sqlite, keys),
                "ratios": .object(["eventsPerSecondOursOverLimit": ratio(ours["eventsPerSecond"], limit?["eventsPerSecond"]),
                                   "eventsPerSecondOursOverSQLite": ratio(ours["eventsPerSecond"], sqlite?["eventsPerSecond"]),
                                   "peakRSSOursOverLimit": ratio(ours["peakRSSMiB"], limit?["peakRSSMiB"]),
                                   "peakRSSOursOverSQLite": ratio(ours["peakRSSMiB"], sqlite?["peakRSSMiB"])]),
            ])
        }
        if let ours = merged["rebuild-ours"] {
            let limit = merged["scan-limit"], sqlite = merged["rebuild-sqlite"]
            let keys = ["events", "seconds", "eventsPerSecond", "peakRSSMiB", "RssAnonMiB", "RssFileMiB"]
            workloads["rebuild"] = .object([
                "ours": pick(ours, keys), "limit": pick(limit, keys), "sqlite": pick(sqlite, keys),
                "ratios": .object(["eventsPerSecondOursOverLimit": ratio(ours["eventsPerSecond"], limit?["eventsPerSecond"]),
                                   "eventsPerSecondOursOverSQLite": ratio(ours["eventsPerSecond"], sqlite?["eventsPerSecond"]),
                                   "peakRSSOursOverLimit": ratio(ours["peakRSSMiB"], limit?["peakRSSMiB"]),
                                   "peakRSSOursOverSQLite": ratio(ours["peakRSSMiB"], sqlite?["peakRSSMiB"])]),
            ])
        }
        if let queries = merged["queries"] {
            var object = JSONObject()
            for kind in Queries.kinds(quick: options.quick) {
                guard var entry = queries[kind.name]?.objectValue else { continue }
                let ours = entry["ours"]?.objectValue, sqlite = entry["sqlite"]?.objectValue
                entry["ratios"] = .object(["p50OursOverSQLite": ratio(ours?["p50Ms"], sqlite?["p50Ms"]),
                                           "p99OursOverSQLite": ratio(ours?["p99Ms"], sqlite?["p99Ms"])])
                object[kind.name] = .object(entry)
            }
            workloads["queries"] = .object(object)
        }
        if let ours = merged["open-ours"] {
            let sqlite = merged["open-sqlite"]
            let keys = ["ms", "processMs", "rows", "peakRSSMiB"]
            workloads["openAndFirstAging"] = .object([
                "ours": pick(ours, keys), "sqlite": pick(sqlite, keys),
                "ratios": .object(["msOursOverSQLite": ratio(ours["ms"], sqlite?["ms"])]),
            ])
        }
        report["workloads"] = .object(workloads)
        report["targets"] = .array(targets(workloads))
        if options.quick || events < 1_000_000 {
            report["note"] = .string("a run of \(events) events\(options.quick ? " (--quick)" : ""): the targets are stated for 1,000,000 events; this is a check that the tool works, not a timing")
        }
        return report
    }

    func targets(_ workloads: JSONObject) -> [JSONValue] {
        var list: [JSONValue] = []
        func number(_ path: String...) -> Double? {
            var value: JSONValue? = .object(workloads)
            for key in path { value = value?.objectValue?[key] }
            return value?.numberValue
        }
        func add(_ name: String, _ measured: Double?, _ threshold: Double, _ atLeast: Bool, _ unit: String) {
            guard let measured else { return }
            let met = atLeast ? measured >= threshold : measured < threshold
            list.append(.object(["target": .string(name), "measured": .number(measured), "threshold": .number(threshold),
                                 "unit": .string(unit), "met": .bool(met)]))
        }
        add("1: single appends >= 90% of raw LMDB's synced single-put rate", number("singleAppends", "ratios", "eventsPerSecondOursOverLimit"), 0.9, true, "ours/limit")
        add("2: batched ingest >= 50% of raw LMDB's batched put rate", number("batchedIngest", "ratios", "eventsPerSecondOursOverLimit"), 0.5, true, "ours/limit")
        add("2: batched ingest >= 10x SQLite", number("batchedIngest", "ratios", "eventsPerSecondOursOverSQLite"), 10, true, "ours/SQLite")
        add("3: rebuild >= 1,000,000 events/s", number("rebuild", "ours", "eventsPerSecond"), 1_000_000, true, "events/s")
        add("3: rebuild peak RSS < 512 MiB", number("rebuild", "ours", "peakRSSMiB"), 512, false, "MiB")
        add("4: client history p99 < 1 ms", number("queries", "clientHistory", "ours", "p99Ms"), 1, false, "ms")
        add("4: credit check p99 < 1 ms", number("queries", "creditCheck", "ours", "p99Ms"), 1, false, "ms")
        add("4: calendar month p99 < 50 ms", number("queries", "calendarMonth", "ours", "p99Ms"), 50, false, "ms")
        add("4: aging today p99 < 50 ms", number("queries", "agingToday", "ours", "p99Ms"), 50, false, "ms")
        add("4: past as-of aging p99 < 1 s", number("queries", "agingPast", "ours", "p99Ms"), 1000, false, "ms")
        for kind in Queries.kinds(quick: options.quick) {
            add("4: \(kind.name) faster than SQLite (p50)", number("queries", kind.name, "ratios", "p50OursOverSQLite"), 1, false, "ours/SQLite")
        }
        add("5: open + first aging < 50 ms", number("openAndFirstAging", "ours", "ms"), 50, false, "ms")
        return list
    }
}

/// The table form of the report.
enum Report {
    static func table(_ report: JSONObject) -> String {
        var lines: [String] = []
        let workloads = report["workloads"]?.objectValue ?? JSONObject()
        func value(_ object: JSONObject?, _ path: String...) -> Double? {
            var current: JSONValue? = object.map(JSONValue.object)
            for key in path { current = current?.objectValue?[key] }
            return current?.numberValue
        }
        let events = Int(report["events"]?.numberValue ?? 0)
        lines.append("receivables-bench — \(grouped(Double(events))) events, seed \(Int(report["seed"]?.numberValue ?? 0)), \(report["figures"]?.stringValue ?? "")")
        if let machine = report["machine"]?.objectValue {
            let text = "machine: \(Int(machine["cores"]?.numberValue ?? 0)) cores, \(machine["memoryGiB"]?.numberValue.map { format($0, 1) } ?? "?") GiB, "
                + "\(machine["cpu"]?.stringValue ?? "?"), \(machine["filesystem"]?.stringValue ?? "?") on \(machine["device"]?.stringValue ?? "?") "
                + "(\(machine["directory"]?.stringValue ?? "?")), Linux \(machine["kernel"]?.stringValue ?? "?"), Swift \(machine["swift"]?.stringValue ?? "?"), "
                + "SQLite \(machine["sqlite"]?.stringValue ?? "?"), \(machine["lmdb"]?.stringValue ?? "?")"
            lines.append(text)
        }
        if let data = report["data"]?.objectValue {
            lines.append("data: \(grouped(data["clients"]?.numberValue ?? 0)) clients, history \(data["firstDay"]?.stringValue ?? "?") to \(data["lastDay"]?.stringValue ?? "?") (today), "
                         + "\(grouped(data["openDeadlinesToday"]?.numberValue ?? 0)) open deadlines today; stores: ours \(format(data["oursStoreMiB"]?.numberValue ?? 0, 0)) MiB, "
                         + "raw LMDB \(format(data["limitStoreMiB"]?.numberValue ?? 0, 0)) MiB, SQLite \(format(data["sqliteStoreMiB"]?.numberValue ?? 0, 0)) MiB")
            if let mix = data["mix"]?.objectValue {
                let total = mix.members.reduce(0.0) { $0 + ($1.value.numberValue ?? 0) }
                let parts = mix.members.map { "\($0.key) \(format(($0.value.numberValue ?? 0) / max(total, 1) * 100, 1))%" }
                lines.append("mix: " + parts.joined(separator: ", "))
            }
        }
        lines.append("ratios are ours ÷ theirs: above 1 is better for events/s, below 1 is better for ms and MiB")
        lines.append("")
        let header = pad("workload", 44) + pad("ours", 14, right: true) + pad("limit (LMDB)", 14, right: true)
            + pad("SQLite", 14, right: true) + pad("ours/limit", 12, right: true) + pad("ours/SQLite", 13, right: true)
        lines.append(header)
        lines.append(String(repeating: "-", count: header.count))
        func row(_ label: String, _ ours: Double?, _ limit: Double?, _ sqlite: Double?, digits: Int = 0) {
            func cell(_ v: Double?) -> String { v.map { digits == 0 ? grouped($0) : format($0, digits) } ?? "—" }
            func r(_ a: Double?, _ b: Double?) -> String {
                guard let a, let b, b != 0 else { return "—" }
                return format(a / b, a / b < 0.1 ? 4 : 2)
            }
            lines.append(pad(label, 44) + pad(cell(ours), 14, right: true) + pad(cell(limit), 14, right: true)
                         + pad(cell(sqlite), 14, right: true) + pad(r(ours, limit), 12, right: true) + pad(r(ours, sqlite), 13, right: true))
        }
        if let w = workloads["singleAppends"]?.objectValue {
            let o = w["ours"]?.objectValue, l = w["limit"]?.objectValue, s = w["sqlite"]?.objectValue
            row("1 single durable appends  events/s", value(o, "eventsPerSecond"), value(l, "eventsPerSecond"), value(s, "eventsPerSecond"))
            row("                          p50 ms", value(o, "p50Ms"), value(l, "p50Ms"), value(s, "p50Ms"), digits: 3)
            row("                          p99 ms", value(o, "p99Ms"), value(l, "p99Ms"), value(s, "p99Ms"), digits: 3)
            row("                          CPU p50 ms", value(o, "cpuP50Ms"), value(l, "cpuP50Ms"), value(s, "cpuP50Ms"), digits: 3)
            row("                          KiB written/event", value(o, "writtenKiBPerEvent"), value(l, "writtenKiBPerEvent"), value(s, "writtenKiBPerEvent"), digits: 1)
            row("                          KiB to disk/event", value(o, "diskKiBPerEvent"), value(l, "diskKiBPerEvent"), value(s, "diskKiBPerEvent"), digits: 1)
        }
        if let w = workloads["batchedIngest"]?.objectValue {
            let o = w["ours"]?.objectValue, l = w["limit"]?.objectValue, s = w["sqlite"]?.objectValue
            row("2 batched ingest (1,000)  events/s", value(o, "eventsPerSecond"), value(l, "eventsPerSecond"), value(s, "eventsPerSecond"))
            row("                          peak RSS MiB", value(o, "peakRSSMiB"), value(l, "peakRSSMiB"), value(s, "peakRSSMiB"), digits: 1)
            row("                          KiB written/event", value(o, "writtenKiBPerEvent"), value(l, "writtenKiBPerEvent"), value(s, "writtenKiBPerEvent"), digits: 2)
            row("                          KiB to disk/event", value(o, "diskKiBPerEvent"), value(l, "diskKiBPerEvent"), value(s, "diskKiBPerEvent"), digits: 2)
        }
        if let w = workloads["rebuild"]?.objectValue {
            let o = w["ours"]?.objectValue, l = w["limit"]?.objectValue, s = w["sqlite"]?.objectValue
            row("3 rebuild (limit: scan)   events/s", value(o, "eventsPerSecond"), value(l, "eventsPerSecond"), value(s, "eventsPerSecond"))
            row("                          peak RSS MiB", value(o, "peakRSSMiB"), value(l, "peakRSSMiB"), value(s, "peakRSSMiB"), digits: 1)
            row("                          file-backed at the end", value(o, "RssFileMiB"), value(l, "RssFileMiB"), value(s, "RssFileMiB"), digits: 1)
        }
        if let w = workloads["queries"]?.objectValue {
            let labels = ["clientHistory": "client history", "creditCheck": "credit check", "calendarMonth": "calendar month",
                          "agingToday": "aging today", "agingPast": "aging as of past, known at past",
                          "exposureDailyYear": "exposure daily over a year"]
            for (key, entry) in w.members {
                let e = entry.objectValue
                let label = "4 " + (labels[key] ?? key)
                row(pad(label, 26) + "p50 ms", value(e, "ours", "p50Ms"), nil, value(e, "sqlite", "p50Ms"), digits: 3)
                row(pad("", 26) + "p99 ms", value(e, "ours", "p99Ms"), nil, value(e, "sqlite", "p99Ms"), digits: 3)
                row(pad("", 26) + "p99 ms of thread CPU", value(e, "ours", "cpuP99Ms"), nil, value(e, "sqlite", "cpuP99Ms"), digits: 3)
                let differing = Int(value(e, "answersDiffering") ?? 0), compared = Int(value(e, "answersCompared") ?? 0)
                let iterations = Int(value(e, "ours", "iterations") ?? 0)
                lines.append(pad("", 26) + "\(iterations) iterations; answers agree in \(compared - differing) of \(compared)")
            }
        }
        if let w = workloads["openAndFirstAging"]?.objectValue {
            let o = w["ours"]?.objectValue, s = w["sqlite"]?.objectValue
            row("5 open + first aging      ms", value(o, "ms"), nil, value(s, "ms"), digits: 2)
            row("  (whole process)         ms", value(o, "processMs"), nil, value(s, "processMs"), digits: 2)
        }
        lines.append("")
        lines.append("targets:")
        for target in report["targets"]?.arrayValue ?? [] {
            guard let t = target.objectValue else { continue }
            let met = t["met"]?.boolValue ?? false
            let measured = t["measured"]?.numberValue ?? 0
            lines.append("  [\(met ? "met " : "MISS")] \(t["target"]?.stringValue ?? ""): \(format(measured, measured >= 1000 ? 0 : 3)) \(t["unit"]?.stringValue ?? "")")
        }
        if let note = report["note"]?.stringValue { lines.append(""); lines.append("note: " + note) }
        return lines.joined(separator: "\n")
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let count = text.count
        guard count < width else { return right ? " " + text : text + " " }
        let padding = String(repeating: " ", count: width - count)
        return right ? padding + text : text + padding
    }

    static func format(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "—" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        if digits == 0 { return grouped(rounded) }
        let negative = rounded < 0
        let whole = Int64(abs(rounded))
        var fraction = String(Int64(((abs(rounded) - Double(whole)) * scale).rounded()))
        while fraction.count < digits { fraction = "0" + fraction }
        return (negative ? "-" : "") + grouped(Double(whole)) + "." + fraction
    }

    static func grouped(_ value: Double) -> String {
        let number = Int64(value.rounded())
        let digits = String(abs(number))
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (number < 0 ? "-" : "") + out
    }
}
