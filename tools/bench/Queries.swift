import EventLog
import Receivables

/// Workload 4: the same questions to both stores, with the same random parameters from the
/// seed; p50 and p99 of each, and whether the answers agree.
enum Queries {
    struct Kind {
        var name: String
        var iterations: Int
        var budgetSeconds: Double
    }

    static func kinds(quick: Bool) -> [Kind] {
        let scale = quick ? 4 : 1
        let budget = quick ? 2.0 : 40.0
        return [
            Kind(name: "clientHistory", iterations: 200 / scale, budgetSeconds: budget),
            Kind(name: "creditCheck", iterations: 200 / scale, budgetSeconds: budget),
            Kind(name: "calendarMonth", iterations: 100 / scale, budgetSeconds: budget),
            Kind(name: "agingToday", iterations: 50 / scale, budgetSeconds: budget),
            Kind(name: "agingPast", iterations: quick ? 3 : 10, budgetSeconds: budget),
            Kind(name: "exposureDailyYear", iterations: 200 / scale, budgetSeconds: budget),
        ]
    }

    /// The parameters of one iteration.
    struct Parameters {
        var client: String
        var amount: Money
        var month: Day
        var pastDay: Day
        var knownAt: Timestamp
    }

    static func run(_ options: WorkloadOptions) throws -> JSONObject {
        guard let today = options.today else { throw BenchError("--today is required") }
        let ours = try ReceivablesStore(path: options.directory + "/ours")
        let sqlite = try SQLiteEventStore(path: options.directory + "/sqlite.db", synchronous: "FULL")
        let firstDay = BenchGenerator(seed: options.seed, target: options.events).firstDay
        let clientCount = BenchGenerator(seed: options.seed, target: options.events).clientCount
        var random = SeededRandom(seed: options.seed ^ 0x5155_4552_4945_5321)
        let span = max(1, firstDay.days(to: today))
        func parameters() -> Parameters {
            let client = "C" + pad(Int.random(in: 1...clientCount, using: &random), 5)
            let amount = Money(minorUnits: Int64.random(in: 1_000...500_000, using: &random))
            let monthOffset = Int.random(in: 0...(span + 180), using: &random)
            let month = firstDay.adding(days: monthOffset).startOfMonth
            let low = min(span / 4, 60), high = max(low, span - 30)
            let pastDay = firstDay.adding(days: Int.random(in: low...high, using: &random))
            let knownAt = Timestamp(millisecondsSinceEpoch: Int64(pastDay.adding(days: 15).daysSinceEpoch) * 86_400_000)
            return Parameters(client: client, amount: amount, month: month, pastDay: pastDay, knownAt: knownAt)
        }
        var result = JSONObject()
        let todayScope = QueryScope(asOf: today)
        var mismatches: [String] = []
        for kind in kinds(quick: options.quick) where options.kinds?.contains(kind.name) ?? true {
            var params: [Parameters] = []
            for _ in 0..<kind.iterations { params.append(parameters()) }
            func ourAnswer(_ p: Parameters) throws -> String {
                switch kind.name {
                case "clientHistory":
                    let report = try ours.client(p.client, scope: todayScope)
                    let outstanding = report.deadlines.reduce(Int64(0)) { $0 + $1.outstanding.minorUnits }
                    let paid = report.payments.reduce(Int64(0)) { $0 + $1.amount.minorUnits }
                    let reminders = report.deadlines.reduce(0) { $0 + $1.reminders.count }
                    return "\(report.deadlines.count)|\(outstanding)|\(reminders)|\(report.payments.count)|\(paid)|\(report.exposure.minorUnits)|\(report.alerts.count)|\(report.creditStatus.rawValue)"
                case "creditCheck":
                    let report = try ours.creditCheck(p.client, amount: p.amount, scope: todayScope)
                    return "\(report.after.minorUnits)|\(report.creditStatus.rawValue)"
                case "calendarMonth":
                    let report = try ours.calendar(from: p.month, to: p.month.endOfMonth, view: .month, scope: todayScope)
                    let entries = report.periods.flatMap(\.deadlines)
                    let outstanding = entries.reduce(Int64(0)) { $0 + $1.outstanding.minorUnits }
                    let reminders = entries.reduce(0) { $0 + $1.reminders.count }
                    return "\(entries.count)|\(outstanding)|\(reminders)|\(entries.first?.clientName ?? "")"
                case "agingToday", "agingPast":
                    let scope = kind.name == "agingToday" ? todayScope : QueryScope(asOf: p.pastDay, knownAt: p.knownAt)
                    let report = try ours.aging(scope)
                    let outstanding = report.rows.reduce(Int64(0)) { $0 + $1.outstanding.minorUnits }
                    let paid = report.rows.reduce(Int64(0)) { $0 + $1.paid.minorUnits }
                    let pending = report.rows.reduce(Int64(0)) { $0 + $1.pending.minorUnits }
                    let reminders = report.rows.reduce(0) { $0 + $1.reminders }
                    return "\(report.rows.count)|\(outstanding)|\(paid)|\(pending)|\(reminders)|\(report.clients.count)|\(report.totals.total.minorUnits)"
                default:
                    let report = try ours.exposure(client: p.client, from: today.adding(days: -364), to: today, step: .day, knownAt: nil)
                    let sum = report.points.reduce(Int64(0)) { $0 + $1.exposure.minorUnits }
                    return "\(report.points.count)|\(sum)|\(report.points.last?.limit?.minorUnits ?? -1)"
                }
            }
            func sqliteAnswer(_ p: Parameters) throws -> String {
                switch kind.name {
                case "clientHistory":
                    let report = try sqlite.clientHistory(p.client, asOf: today)
                    let outstanding = report.deadlines.reduce(Int64(0)) { $0 + $1.0.outstanding.minorUnits }
                    let paid = report.payments.reduce(Int64(0)) { $0 + $1.amount.minorUnits }
                    let reminders = report.deadlines.reduce(0) { $0 + $1.0.reminders.count }
                    return "\(report.deadlines.count)|\(outstanding)|\(reminders)|\(report.payments.count)|\(paid)|\(report.client.exposure.minorUnits)|\(report.alerts.count)|\(report.creditStatus.rawValue)"
                case "creditCheck":
                    let report = try sqlite.creditCheck(p.client, amount: p.amount)
                    return "\(report.exposure.minorUnits)|\(report.status.rawValue)"
                case "calendarMonth":
                    let rows = try sqlite.calendar(from: p.month, to: p.month.endOfMonth, asOf: today)
                    let outstanding = rows.reduce(Int64(0)) { $0 + $1.deadline.outstanding.minorUnits }
                    let reminders = rows.reduce(0) { $0 + $1.deadline.reminders.count }
                    return "\(rows.count)|\(outstanding)|\(reminders)|\(rows.first?.clientName ?? "")"
                case "agingToday", "agingPast":
                    let report = kind.name == "agingToday" ? try sqlite.agingToday(asOf: today)
                                                           : try sqlite.agingPast(asOf: p.pastDay, knownAt: p.knownAt)
                    let outstanding = report.rows.reduce(Int64(0)) { $0 + $1.outstanding }
                    let paid = report.rows.reduce(Int64(0)) { $0 + $1.paid }
                    let pending = report.rows.reduce(Int64(0)) { $0 + $1.pending }
                    let reminders = report.rows.reduce(Int64(0)) { $0 + $1.reminders }
                    return "\(report.rows.count)|\(outstanding)|\(paid)|\(pending)|\(reminders)|\(report.clients.count)|\(report.totals.values.reduce(0, +))"
                default:
                    let points = try sqlite.exposure(client: p.client, from: today.adding(days: -364), to: today)
                    let sum = points.reduce(Int64(0)) { $0 + $1.1 }
                    return "\(points.count)|\(sum)|\(points.last?.2 ?? -1)"
                }
            }
            var object = JSONObject()
            var answers: [[String]] = [[], []]
            for (side, answer) in [ourAnswer, sqliteAnswer].enumerated() {
                if let only = options.side, only != (side == 0 ? "ours" : "sqlite") { continue }
                _ = try answer(params[0])  // warm-up, not timed
                var samples = Samples()
                var cpu = Samples()
                let started = System.seconds()
                for p in params {
                    let t0 = System.seconds(), c0 = System.threadCPUSeconds()
                    let digest = try answer(p)
                    samples.add(System.seconds() - t0)
                    cpu.add(System.threadCPUSeconds() - c0)
                    answers[side].append(digest)
                    if samples.values.count >= 3 && System.seconds() - started > kind.budgetSeconds { break }
                }
                var figures = JSONObject()
                figures["p50Ms"] = .number(samples.p50)
                figures["p99Ms"] = .number(samples.p99)
                figures["iterations"] = .number(Double(samples.values.count))
                // Thread CPU time of the same iterations: on a shared machine, wall-clock outliers
                // are often preemption; these show what the query itself cost.
                figures["cpuP50Ms"] = .number(cpu.p50)
                figures["cpuP99Ms"] = .number(cpu.p99)
                object[side == 0 ? "ours" : "sqlite"] = .object(figures)
            }
            var differing = 0
            for index in 0..<min(answers[0].count, answers[1].count) where answers[0][index] != answers[1][index] {
                differing += 1
                if mismatches.count < 5 {
                    mismatches.append("\(kind.name) #\(index): ours \(answers[0][index]) sqlite \(answers[1][index])")
                }
            }
            object["answersCompared"] = .number(Double(min(answers[0].count, answers[1].count)))
            object["answersDiffering"] = .number(Double(differing))
            if kind.name == "agingToday", let first = answers[0].first {
                object["rows"] = .number(Double(first.split(separator: "|").first.flatMap { Int($0) } ?? 0))
            }
            if kind.name == "agingPast", let first = answers[0].first {
                object["rowsFirst"] = .number(Double(first.split(separator: "|").first.flatMap { Int($0) } ?? 0))
            }
            result[kind.name] = .object(object)
        }
        for line in mismatches { fputsStandardError("receivables-bench: answers differ: \(line)\n") }
        Workloads.memory(&result)
        return result
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

func fputsStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { _ = write(2, $0.baseAddress, $0.count) }
}

#if canImport(Glibc)
import Glibc
#endif
