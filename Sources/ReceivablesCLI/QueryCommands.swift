import EventLog
import Receivables
import Reports

extension CommandContext {
    func day(_ name: String) throws(CommandFailure) -> Day? {
        guard let text = arguments.value(name) else { return nil }
        guard let day = Day(iso: text) else {
            throw CommandFailure(exitCode: .usage, message: "\(name): \"\(text)\" is not a date; write it YYYY-MM-DD")
        }
        return day
    }

    func requiredDay(_ name: String) throws(CommandFailure) -> Day {
        guard let value = try day(name) else {
            throw CommandFailure(exitCode: .usage, message: "\(name) is required (a date, YYYY-MM-DD)")
        }
        return value
    }

    func knownAt() throws(CommandFailure) -> Timestamp? {
        guard let text = arguments.value("--known-at") else { return nil }
        guard let time = Timestamp(rfc3339: text) else {
            throw CommandFailure(exitCode: .usage, message: "--known-at: \"\(text)\" is not a time; write it like 2026-07-15T00:00:00.000Z")
        }
        return time
    }

    /// The scope of a query: --as-of (default today in the store's time zone) and --known-at.
    func scope(_ store: ReceivablesStore) throws(CommandFailure) -> QueryScope {
        let asOf: Day
        if let stated = try day("--as-of") {
            asOf = stated
        } else {
            asOf = Day.of(now, in: try query { try store.timeZone() })
        }
        return QueryScope(asOf: asOf, knownAt: try knownAt())
    }

    /// Runs a query, turning its failures into exit codes.
    func query<Result>(_ body: () throws -> Result) throws(CommandFailure) -> Result {
        do {
            return try body()
        } catch let error as QueryError {
            throw CommandFailure(exitCode: .rejected, message: error.description)
        } catch let error as AmountOverflow {
            throw CommandFailure(exitCode: .rejected, message: error.description)
        } catch let error as EventStoreError {
            throw storeFailure(error)
        } catch let error as LMDBError {
            throw storeFailure(.storage(error))
        } catch {
            throw CommandFailure(exitCode: .storage, message: "\(error)")
        }
    }

    /// Prints an answer in the chosen format.
    func answer(json: JSONValue, table: () -> String, csv: (() -> String)?) throws(CommandFailure) {
        switch format {
        case .json: try printJSON(json)
        case .table: try Terminal.write(Array(table().utf8))
        case .csv:
            guard let csv else { throw CommandFailure(exitCode: .usage, message: "\(arguments.command.name) has no CSV form; use json or table") }
            try Terminal.write(Array(csv().utf8))
        }
    }

    func calendar() throws(CommandFailure) {
        let from = try requiredDay("--from"), to = try requiredDay("--to")
        let viewText = arguments.value("--view") ?? "month"
        guard let view = CalendarView(rawValue: viewText) else {
            throw CommandFailure(exitCode: .usage, message: "--view: \"\(viewText)\" is not one of day, week, month")
        }
        var statuses: Set<DeadlineStatus>?
        if let text = arguments.value("--status") {
            var chosen = Set<DeadlineStatus>()
            for word in text.split(separator: ",") {
                guard let status = DeadlineStatus(rawValue: String(word)) else {
                    throw CommandFailure(exitCode: .usage, message: "--status: \"\(word)\" is not one of open, overdue, pending, paid")
                }
                chosen.insert(status)
            }
            statuses = chosen
        }
        let store = try openStore()
        let scope = try scope(store)
        let client = arguments.value("--client")
        let (report, currency) = try query { (try store.calendar(from: from, to: to, view: view, client: client, statuses: statuses, scope: scope), try store.currency()) }
        if arguments.value("--format") == "ics" {
            let (storeID, settings) = try query { (try store.storeID(), try store.reminderInputs().settings) }
            let text = report.iCalendar(storeID: storeID, generatedAt: now, currency: currency,
                                        calendarName: settings.company.map { "Scadenze \($0)" })
            return try Terminal.write(Array(text.utf8))
        }
        try answer(json: report.json(currency), table: { report.table(currency) }, csv: { report.csv(currency) })
    }

    func aging() throws(CommandFailure) {
        var buckets = AgingBuckets.standard
        if let text = arguments.value("--buckets") {
            let edges = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
            guard !edges.contains(where: { $0 == nil }), let chosen = AgingBuckets(edges: edges.compactMap { $0 }) else {
                throw CommandFailure(exitCode: .usage, message: "--buckets: \"\(text)\" must be increasing whole days from 1, like 30,60,90")
            }
            buckets = chosen
        }
        let store = try openStore()
        let scope = try scope(store)
        let client = arguments.value("--client")
        let (report, currency) = try query { (try store.aging(scope, client: client, buckets: buckets), try store.currency()) }
        try answer(json: report.json(currency), table: { report.table(currency) }, csv: { report.csv(currency) })
    }

    func clientHistory() throws(CommandFailure) {
        let store = try openStore()
        let scope = try scope(store)
        let id = arguments.positionals[0]
        let (report, currency) = try query { (try store.client(id, scope: scope), try store.currency()) }
        try answer(json: report.json(currency), table: { report.table(currency) }, csv: nil)
    }

    func creditCheck() throws(CommandFailure) {
        guard let amountText = arguments.value("--amount") else {
            throw CommandFailure(exitCode: .usage, message: "--amount is required, e.g. --amount 2500.00")
        }
        let store = try openStore()
        let scope = try scope(store)
        let currency = try query { try store.currency() }
        let amount: Money
        do {
            amount = try Money.parse(amountText, currency: currency)
        } catch {
            throw CommandFailure(exitCode: .usage, message: "--amount: \(error)")
        }
        let id = arguments.positionals[0]
        let report = try query { try store.creditCheck(id, amount: amount, scope: scope) }
        try answer(json: report.json(currency), table: { report.table(currency) }, csv: nil)
    }

    func exposure() throws(CommandFailure) {
        let from = try requiredDay("--from"), to = try requiredDay("--to")
        let stepText = arguments.value("--step") ?? "month"
        guard let step = ExposureStep(rawValue: stepText) else {
            throw CommandFailure(exitCode: .usage, message: "--step: \"\(stepText)\" is not one of day, week, month")
        }
        let store = try openStore()
        let known = try knownAt()
        let client = arguments.positionals.first
        let (report, currency) = try query { (try store.exposure(client: client, from: from, to: to, step: step, knownAt: known), try store.currency()) }
        if arguments.value("--format") == "svg" {
            var warnAt: Int?
            if let client {
                let history = try query { try store.client(client, scope: QueryScope(asOf: to, knownAt: known)) }
                warnAt = history.client.limit == nil ? nil : history.client.warnAt
            }
            return try Terminal.write(Array(report.svg(currency: currency, locale: .it, warnAtPercent: warnAt).utf8))
        }
        try answer(json: report.json(currency), table: { report.table(currency) }, csv: { report.csv(currency) })
    }
}
