#if canImport(Glibc)
import Glibc
#endif
import EventLog
import Receivables
import Reports

extension CommandContext {
    func report() throws(CommandFailure) {
        guard let out = arguments.value("--out") else {
            throw CommandFailure(exitCode: .usage, message: "--out DIR is required: the folder to write the dashboard to")
        }
        let store = try openStore()
        let scope = try scope(store)
        let asOf = scope.asOf
        let input: Dashboard.Input = try query {
            let currency = try store.currency()
            let settings = try store.reminderInputs().settings
            let aging = try store.aging(scope)
            let months = try store.calendar(from: asOf.startOfMonth.adding(days: -1).startOfMonth,
                                            to: asOf.endOfMonth.adding(days: 1).endOfMonth, view: .day, scope: scope)
            let week = try store.calendar(from: asOf.startOfISOWeek, to: asOf.endOfISOWeek, view: .week, scope: scope)
            var pages: [Dashboard.ClientPage] = []
            for client in try store.creditOverview(scope) {
                let history = try store.client(client.id, scope: scope)
                // A year of exposure, week by week, up to the date of the dashboard.
                let exposure = try store.exposure(client: client.id, from: asOf.adding(days: -364), to: asOf, step: .week, knownAt: scope.knownAt)
                pages.append(Dashboard.ClientPage(report: history, exposure: exposure))
            }
            return Dashboard.Input(company: settings.company ?? "Receivables", asOf: asOf, currency: currency, aging: aging,
                                   calendars: [months], thisWeek: week.periods.flatMap(\.deadlines), clients: pages, generatedAt: now)
        }
        let files = Dashboard.render(input)
        for (path, contents) in files {
            let full = out + "/" + path
            try makeDirectories(String(full[..<(full.lastIndex(of: "/") ?? full.endIndex)]))
            try Terminal.writeFile(full, Array(contents.utf8))
        }
        try printJSON(["out": .string(out), "files": .number(Double(files.count)), "index": .string(out + "/index.html")])
    }

    private func makeDirectories(_ path: String) throws(CommandFailure) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw CommandFailure(exitCode: .storage, message: "cannot make \(prefix): \(String(cString: strerror(errno)))")
            }
        }
    }
}
