#if canImport(Glibc)
import Glibc
#endif
import EventLog
import Receivables
import Reports

/// What every command can be given.
let globalOptions = [
    OptionSpec(name: "--store", valueName: "PATH", help: "the store directory (default: $RECEIVABLES_STORE, else ./receivables-store)"),
    OptionSpec(name: "--now", valueName: "TIMESTAMP", help: "pin the clock, e.g. 2026-01-15T09:00:00.000Z (never before the log's last recordedAt)"),
    OptionSpec(name: "--format", valueName: "FORMAT", help: "table, json or csv (default: table on a terminal, json otherwise); ics for calendar, svg for exposure"),
    OptionSpec(name: "--help", valueName: nil, help: "show this help"),
]

let asOfOption = OptionSpec(name: "--as-of", valueName: "DATE", help: "the business date to look at (default: today)")
let knownAtOption = OptionSpec(name: "--known-at", valueName: "TIMESTAMP", help: "only what was recorded by then, e.g. 2026-07-15T00:00:00.000Z")

let commandSpecs: [CommandSpec] = [
    CommandSpec(name: "init", summary: "create an empty store"),
    CommandSpec(
        name: "append", summary: "append JSON Lines events atomically (all or nothing)",
        positionals: [PositionalSpec(name: "FILE", help: "a JSON Lines file, or - for standard input")],
        options: [OptionSpec(name: "--dry-run", valueName: nil, help: "check every line, append nothing")],
        discussion: "Each line: {\"type\":..., \"data\":{...}, \"key\"?:..., \"effective\"?:..., \"meta\"?:{...}}. Blank lines are ignored.\nThe first bad line aborts the whole file and nothing is appended."),
    CommandSpec(
        name: "export", summary: "write the log as envelopes, one JSON object per line",
        options: [OptionSpec(name: "--from", valueName: "SEQ", help: "first seq to export (default 1)"),
                  OptionSpec(name: "--to", valueName: "SEQ", help: "last seq to export (default: the last)")]),
    CommandSpec(
        name: "restore", summary: "make a new store from an export, checking every hash",
        positionals: [PositionalSpec(name: "FILE", help: "an export file, or - for standard input")]),
    CommandSpec(name: "verify", summary: "check the hash chain, the indexes and the read models; name the first bad seq"),
    CommandSpec(
        name: "rebuild", summary: "recompute the read models from the log",
        options: [OptionSpec(name: "--only", valueName: "NAME", help: "only one read model: calendar, aging, client or exposure")],
        discussion: "Readers keep seeing the old read models until the new ones are complete."),
    CommandSpec(
        name: "calendar", summary: "deadlines by day, week or month",
        options: [OptionSpec(name: "--from", valueName: "DATE", help: "first due date (YYYY-MM-DD)"),
                  OptionSpec(name: "--to", valueName: "DATE", help: "last due date"),
                  OptionSpec(name: "--view", valueName: "day|week|month", help: "how to group (default month)"),
                  OptionSpec(name: "--client", valueName: "ID", help: "only this client's deadlines"),
                  OptionSpec(name: "--status", valueName: "LIST", help: "only these statuses, e.g. open,overdue"),
                  asOfOption, knownAtOption]),
    CommandSpec(
        name: "aging", summary: "the aging table: what is due and overdue, by bucket",
        options: [asOfOption, knownAtOption,
                  OptionSpec(name: "--client", valueName: "ID", help: "only this client"),
                  OptionSpec(name: "--buckets", valueName: "EDGES", help: "bucket edges in days (default 30,60,90)")]),
    CommandSpec(
        name: "client", summary: "one client's history, exposure and credit status",
        positionals: [PositionalSpec(name: "CLIENT", help: "the client id")],
        options: [asOfOption, knownAtOption]),
    CommandSpec(
        name: "exposure", summary: "credit exposure over time, against the limit",
        positionals: [PositionalSpec(name: "CLIENT", help: "the client id (default: all clients)", isRequired: false)],
        options: [OptionSpec(name: "--from", valueName: "DATE", help: "first date"),
                  OptionSpec(name: "--to", valueName: "DATE", help: "last date"),
                  OptionSpec(name: "--step", valueName: "day|week|month", help: "one point per period (default month)"),
                  knownAtOption]),
    CommandSpec(
        name: "credit-check", summary: "would a new invoice of this amount pass the client's credit limit",
        positionals: [PositionalSpec(name: "CLIENT", help: "the client id")],
        options: [OptionSpec(name: "--amount", valueName: "AMOUNT", help: "the amount of the new invoice, e.g. 2500.00"),
                  asOfOption, knownAtOption]),
    CommandSpec(
        name: "remind", summary: "send the reminders due now, or one manual reminder",
        options: [OptionSpec(name: "--dry-run", valueName: nil, help: "show what would be sent, send nothing"),
                  OptionSpec(name: "--transport", valueName: "file|smtp", help: "file (default: .eml files in the store's outbox folder) or smtp"),
                  OptionSpec(name: "--smtp", valueName: "URL", help: "smtp://host:port (STARTTLS when offered) or smtps://host:port"),
                  OptionSpec(name: "--deadline", valueName: "ID", help: "send one manual reminder for this deadline now")],
        discussion: "SMTP credentials come from RECEIVABLES_SMTP_USER and RECEIVABLES_SMTP_PASSWORD, never from the command line.\nExit 1 when any message failed; a failed message is tried again on the next run."),
    CommandSpec(
        name: "import-fatturapa", summary: "import FatturaPA XML invoices as InvoiceIssued and DeadlineSet events",
        positionals: [PositionalSpec(name: "FILE|DIR", help: "FatturaPA files, or folders of them", isRepeated: true)],
        options: [OptionSpec(name: "--seller-vat", valueName: "VAT", help: "the company's VAT number, e.g. IT01234567890 (default: $RECEIVABLES_SELLER_VAT)"),
                  OptionSpec(name: "--dry-run", valueName: nil, help: "show what would be appended, append nothing")],
        discussion: "Each file is one transaction: a file that is not FatturaPA, not well formed or issued by another seller is reported and\nskipped, and the rest still import. Importing the same file again appends nothing."),
    CommandSpec(
        name: "report", summary: "write a static HTML dashboard: overview, calendar, aging, a page per client",
        options: [OptionSpec(name: "--out", valueName: "DIR", help: "the folder to write it to (made when missing)"), asOfOption],
        discussion: "Self-contained: no scripts, fonts or styles from outside; open DIR/index.html in any browser, offline."),
    CommandSpec(
        name: "attach", summary: "store a document (receipt, cheque scan) and attach it to a payment",
        positionals: [PositionalSpec(name: "PAYMENT", help: "the payment id"), PositionalSpec(name: "FILE", help: "the document")],
        options: [OptionSpec(name: "--max-size", valueName: "BYTES", help: "the largest document accepted (default 20971520, 20 MiB)")]),
    CommandSpec(
        name: "document", summary: "write a stored document back out, byte for byte",
        positionals: [PositionalSpec(name: "SHA256", help: "the document's SHA-256, as `client` shows it")],
        options: [OptionSpec(name: "--out", valueName: "FILE", help: "where to write it (- for standard output)")]),
    CommandSpec(
        name: "demo", summary: "build a demo store from a seeded generator and show what it holds",
        options: [OptionSpec(name: "--seed", valueName: "N", help: "the generator's seed (default 20260101)"),
                  OptionSpec(name: "--months", valueName: "N", help: "how many months of history (default 18)"),
                  OptionSpec(name: "--clients", valueName: "N", help: "how many clients (default 40)")],
        discussion: "The store is made at --store (it must not hold events yet). The history ends today (or at --now)."),
]

/// Runs one invocation and answers its exit code.
func run(_ arguments: [String]) -> ExitCode {
    let parser = ArgumentParser(commands: commandSpecs, globalOptions: globalOptions)
    let parsed: ParsedArguments
    do {
        guard let result = try parser.parse(arguments) else {
            try? Terminal.print(parser.overview())
            return .done
        }
        parsed = result
    } catch {
        Terminal.printError("error: \(error.message)")
        if let command = error.command, let spec = commandSpecs.first(where: { $0.name == command }) {
            Terminal.printError("usage: \(spec.usageLine)  (see `receivables \(command) --help`)")
        }
        return .usage
    }
    if parsed.wantsHelp {
        try? Terminal.print(parsed.command.help(globalOptions: globalOptions))
        return .done
    }
    do {
        let context = try CommandContext(parsed)
        try context.run()
        return .done
    } catch {
        Terminal.printError("error: \(error.message)")
        return error.exitCode
    }
}

enum OutputFormat: String {
    case table, json, csv
}

/// One invocation's settings, resolved once.
struct CommandContext {
    var arguments: ParsedArguments
    var storePath: String
    var now: Timestamp
    var clockIsPinned: Bool
    var format: OutputFormat

    init(_ arguments: ParsedArguments) throws(CommandFailure) {
        self.arguments = arguments
        if let path = arguments.value("--store") {
            storePath = path
        } else if let path = getenv("RECEIVABLES_STORE").map({ String(cString: $0) }), !path.isEmpty {
            storePath = path
        } else {
            storePath = "./receivables-store"
        }
        if let text = arguments.value("--now") {
            guard let pinned = Timestamp(rfc3339: text) else {
                throw CommandFailure(exitCode: .usage, message: "--now: \"\(text)\" is not a time; write it like 2026-01-15T09:00:00.000Z")
            }
            now = pinned
            clockIsPinned = true
        } else {
            now = Terminal.wallClock()
            clockIsPinned = false
        }
        if let text = arguments.value("--format") {
            let special: [String: String] = ["ics": "calendar", "svg": "exposure"]
            if let command = special[text] {
                guard arguments.command.name == command else {
                    throw CommandFailure(exitCode: .usage, message: "--format \(text) is only for `\(command)`; use table, json or csv")
                }
                format = .json
                return
            }
            guard let chosen = OutputFormat(rawValue: text) else {
                throw CommandFailure(exitCode: .usage, message: "--format: \"\(text)\" is not one of table, json, csv")
            }
            format = chosen
        } else {
            format = Terminal.standardOutputIsTerminal ? .table : .json
        }
    }

    func run() throws(CommandFailure) {
        switch arguments.command.name {
        case "init": try initStore()
        case "append": try append()
        case "export": try export()
        case "restore": try restore()
        case "verify": try verify()
        case "demo": try demo()
        case "rebuild": try rebuild()
        case "attach": try attach()
        case "remind": try remind()
        case "report": try report()
        case "import-fatturapa": try importFatturaPA()
        case "document": try document()
        case "calendar": try calendar()
        case "aging": try aging()
        case "client": try clientHistory()
        case "exposure": try exposure()
        case "credit-check": try creditCheck()
        default: throw CommandFailure(exitCode: .usage, message: "unknown command \(arguments.command.name)")
        }
    }

    func openStore() throws(CommandFailure) -> ReceivablesStore {
        let interval = try checkpointInterval()
        do {
            return try ReceivablesStore(path: storePath, checkpointInterval: interval)
        } catch {
            throw storeFailure(error)
        }
    }

    /// Events between replay checkpoints: `$RECEIVABLES_CHECKPOINT_EVERY` (0: none), else the
    /// library's default. Fewer copies take less disk and make past questions slower.
    func checkpointInterval() throws(CommandFailure) -> UInt64 {
        guard let text = getenv("RECEIVABLES_CHECKPOINT_EVERY").map({ String(cString: $0) }), !text.isEmpty else {
            return Checkpoints.defaultInterval
        }
        guard let value = UInt64(text) else {
            throw CommandFailure(exitCode: .usage, message: "RECEIVABLES_CHECKPOINT_EVERY must be a whole number of events "
                                 + "(0: no replay checkpoints), not \"\(text)\"")
        }
        return value == 0 ? .max : value
    }

    func storeFailure(_ error: EventStoreError) -> CommandFailure {
        switch error {
        case .versionConflict, .keyReused, .clockBeforeLog:
            return CommandFailure(exitCode: .rejected, message: error.description)
        default:
            return CommandFailure(exitCode: .storage, message: error.description)
        }
    }

    func printJSON(_ value: JSONValue) throws(CommandFailure) {
        try Terminal.print(format == .json ? JSONWriter.compact(value) : JSONWriter.pretty(value))
    }

    // MARK: Commands

    func initStore() throws(CommandFailure) {
        do {
            _ = try ReceivablesStore.create(at: storePath)
        } catch {
            if case .storeExists = error {
                throw CommandFailure(exitCode: .rejected, message: error.description)
            }
            throw storeFailure(error)
        }
        try printJSON(["store": .string(storePath), "created": true])
    }

    func append() throws(CommandFailure) {
        let path = arguments.positionals[0]
        let bytes = try Terminal.readAll(path)
        var inputs: [EventInput] = []
        var lineNumbers: [Int] = []
        let failure: CommandFailure? = bytes.withUnsafeBytes { raw in
            for (number, line) in LineSplitter(raw) where !line.isBlankLine {
                do {
                    inputs.append(try EventInput.parse(line: line))
                    lineNumbers.append(number)
                } catch {
                    return CommandFailure(exitCode: .rejected, message: "line \(number): \(error)")
                }
            }
            return nil
        }
        if let failure { throw failure }
        let store = try openStore()
        let outcome: ReceivablesStore.AppendOutcome
        do {
            outcome = try store.append(inputs, now: now, strictClock: clockIsPinned, dryRun: arguments.has("--dry-run"))
        } catch {
            switch error {
            case .rejected(let index, let rejection):
                throw CommandFailure(exitCode: .rejected, message: "line \(lineNumbers[index]): \(rejection)")
            case .store(let storeError):
                throw storeFailure(storeError)
            }
        }
        var answer: JSONObject = ["appended": .number(Double(outcome.appended))]
        if let first = outcome.seqs.first, let last = outcome.seqs.last {
            answer["first"] = .number(Double(first))
            answer["last"] = .number(Double(last))
        }
        answer["alerts"] = .array(outcome.alerts.map { alert in
            ["client": .string(alert.client), "seq": .number(Double(alert.seq)), "date": .string(alert.date.description),
             "from": .string(alert.from.rawValue), "to": .string(alert.to.rawValue)]
        })
        if arguments.has("--dry-run") { answer["dryRun"] = true }
        try printJSON(.object(answer))
    }

    func export() throws(CommandFailure) {
        func seq(_ name: String) throws(CommandFailure) -> UInt64? {
            guard let text = arguments.value(name) else { return nil }
            guard let value = UInt64(text), value >= 1 else {
                throw CommandFailure(exitCode: .usage, message: "\(name): \"\(text)\" is not a seq (a whole number from 1)")
            }
            return value
        }
        let first = try seq("--from") ?? 1
        let last = try seq("--to")
        let store = try openStore()
        do {
            try store.export(from: first, through: last) { bytes in try Terminal.write(bytes) }
        } catch let failure as CommandFailure {
            throw failure
        } catch let error as EventStoreError {
            throw storeFailure(error)
        } catch {
            throw CommandFailure(exitCode: .storage, message: "\(error)")
        }
    }

    func restore() throws(CommandFailure) {
        let bytes = try Terminal.readAll(arguments.positionals[0])
        let interval = try checkpointInterval()
        let bar = ProgressBar(label: "restore")
        let result: Result<UInt64, RestoreError> = bytes.withUnsafeBytes { raw in
            Result { () throws(RestoreError) in
                try ReceivablesStore.restore(exportBytes: raw, to: storePath, checkpointInterval: interval, progress: bar.update)
            }
        }
        let count: UInt64
        do {
            count = try result.get()
        } catch {
            bar.finish()
            throw CommandFailure(exitCode: error.isStorageFailure ? .storage : .rejected, message: error.description)
        }
        bar.finish()
        let store = try openStore()
        let head: LogHead
        do { head = try store.events.head() } catch { throw storeFailure(error) }
        try printJSON(["restored": .number(Double(count)), "head": .string(head.lastHash.hex)])
    }

    func verify() throws(CommandFailure) {
        let store = try openStore()
        let bar = ProgressBar(label: "verify")
        let problem: VerifyProblem?
        let head: LogHead
        do {
            problem = try store.verify(progress: bar.update) ?? store.verifyDocuments() ?? store.verifyReadModels(progress: bar.update)
            head = try store.events.head()
        } catch let error as SpareTakenOver {
            bar.finish()
            throw CommandFailure(exitCode: .rejected, message: error.description)
        } catch let error as EventStoreError {
            bar.finish()
            throw storeFailure(error)
        } catch {
            bar.finish()
            throw CommandFailure(exitCode: .storage, message: "\(error)")
        }
        bar.finish()
        if let problem {
            var answer: JSONObject = ["ok": false, "problem": .string(problem.reason)]
            if let seq = problem.seq { answer["seq"] = .number(Double(seq)) }
            try printJSON(.object(answer))
            throw CommandFailure(exitCode: .rejected, message: "verify failed: \(problem)")
        }
        try printJSON(["ok": true, "events": .number(Double(head.lastSeq)), "head": .string(head.lastHash.hex)])
    }

    /// The command as this process was started, so that a hint can be pasted as it is: a path
    /// made absolute (tools/demo runs `.build/release/receivables`), or the bare name found on PATH.
    static func invokedCommand() -> String {
        let invoked = CommandLine.arguments.first ?? "receivables"
        guard invoked.contains("/") else { return invoked }
        if invoked.hasPrefix("/") { return invoked }
        guard let directory = getcwd(nil, 0) else { return invoked }
        defer { free(directory) }
        let base = String(cString: directory)
        return (base.hasSuffix("/") ? base : base + "/") + (invoked.hasPrefix("./") ? String(invoked.dropFirst(2)) : invoked)
    }

    func rebuild() throws(CommandFailure) {
        var model: ReadModel?
        if let name = arguments.value("--only") {
            guard let chosen = ReadModel(rawValue: name) else {
                throw CommandFailure(exitCode: .usage, message: "--only: \"\(name)\" is not one of \(ReadModel.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            model = chosen
        }
        let store = try openStore()
        let bar = ProgressBar(label: "rebuild")
        let started = Terminal.monotonicSeconds()
        do {
            try store.rebuild(only: model, progress: bar.update)
        } catch let error as SpareTakenOver {
            bar.finish()
            throw CommandFailure(exitCode: .rejected, message: error.description)
        } catch let error as EventStoreError {
            bar.finish()
            throw storeFailure(error)
        } catch {
            bar.finish()
            throw CommandFailure(exitCode: .storage, message: "\(error)")
        }
        bar.finish()
        let events = (try? store.events.head().lastSeq) ?? 0
        try printJSON(["rebuilt": .string(model?.rawValue ?? "all"), "events": .number(Double(events)),
                       "seconds": .number((Terminal.monotonicSeconds() - started) * 1000 / 1000)])
    }
}

extension CommandContext {
    func integerOption(_ name: String, default value: Int, range: ClosedRange<Int>) throws(CommandFailure) -> Int {
        guard let text = arguments.value(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw CommandFailure(exitCode: .usage, message: "\(name): \"\(text)\" is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func demo() throws(CommandFailure) {
        let seed = try integerOption("--seed", default: 20_260_101, range: 0...Int.max)
        let months = try integerOption("--months", default: 18, range: 1...120)
        let clients = try integerOption("--clients", default: 40, range: 1...10_000)
        let store: ReceivablesStore
        do {
            store = try ReceivablesStore(path: storePath, create: true, checkpointInterval: try checkpointInterval())
            if try store.events.head().lastSeq > 0 {
                throw CommandFailure(exitCode: .rejected, message: "\(storePath) already holds events; the demo builds a new store")
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch let error as EventStoreError {
            throw storeFailure(error)
        } catch {
            throw CommandFailure(exitCode: .storage, message: "\(error)")
        }
        let today = Day.of(now, in: .rome)
        let history = DemoHistory(seed: UInt64(seed), firstDay: today.adding(days: -months * 30 - months / 2), lastDay: today,
                                  clientCount: clients)
        let inputs = history.events()
        let outcome: ReceivablesStore.AppendOutcome
        do {
            outcome = try store.append(inputs, now: now)
        } catch {
            throw CommandFailure(exitCode: .rejected, message: "the demo history was refused: \(error)")
        }
        let head: LogHead
        do { head = try store.events.head() } catch { throw storeFailure(error) }
        let scope = QueryScope(asOf: today)
        let (aging, calendar, currency, overview) = try query {
            (try store.aging(scope), try store.calendar(from: today.startOfMonth, to: today.endOfMonth, view: .week, scope: scope),
             try store.currency(), try store.creditOverview(scope))
        }
        if format == .table {
            var text = "Demo store at \(storePath): \(outcome.appended) events from \(history.firstDay) to \(history.lastDay) (seed \(seed))\n\n"
            text += "Aging as of \(today) (! has something overdue)\n" + aging.summaryTable(currency) + "\n"
            var credit = TextTable([.init("client"), .init("name"), .init("exposure", .right), .init("limit", .right), .init("status")])
            for client in overview where [.warning, .exceeded].contains(client.creditStatus()) {
                credit.append([client.id, client.name, client.exposure.canonical(currency), client.limit?.canonical(currency) ?? "",
                               client.creditStatus().rawValue], marked: client.creditStatus() == .exceeded)
            }
            text += "Clients near or over their credit limit\n" + credit.render() + "\n"
            text += calendar.table(currency)
            let command = Self.invokedCommand()
            text += "\nTry: \(command) client C02 --store \(storePath)    \(command) aging --store \(storePath)\n"
            try Terminal.write(Array(text.utf8))
        } else {
            guard case .object(let agingObject) = aging.json(currency) else { return }
            var summary = JSONObject()
            summary["asOf"] = agingObject["asOf"]
            summary["buckets"] = agingObject["buckets"]
            summary["clients"] = agingObject["clients"]
            summary["totals"] = agingObject["totals"]
            try printJSON(["store": .string(storePath), "seed": .number(Double(seed)), "from": .string(history.firstDay.description),
                           "to": .string(history.lastDay.description), "appended": .number(Double(outcome.appended)),
                           "head": .string(head.lastHash.hex), "aging": .object(summary), "calendar": calendar.json(currency)])
        }
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadding(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
