import EventLog
import Receivables

// A static HTML dashboard drawn from the query answers: pure (answers in, files out), with no
// clock, no I/O and nothing fetched when the pages are opened.
//
// Pages:
// - index.html: the overview: totals by aging bucket, clients over or near their credit limit,
//   deadlines due this week (ISO week of `asOf`, Monday to Sunday).
// - calendar-YYYY-MM.html: one month grid per month the calendar answers cover, Monday first.
// - aging.html: the aging table, overdue rows marked, and the totals per client.
// - clients.html: every client with its exposure and credit status.
// - clients/<stem>.html: one client's history, with the exposure chart inline.
//
// Decisions:
// - Labels are English, like the command line; amounts and dates follow `locale`.
// - Every value from the store is escaped (& < > " ' and bidirectional controls as numeric
//   references, other control characters dropped, see `Markup.escape`); names sit in `<bdi>`
//   so right-to-left text cannot reorder a row.
// - Links only ever point at pages of this render: a month not rendered is shown as a disabled
//   "previous"/"next" label instead of a broken link; a client without a page is plain text.
// - File names from ids use only a-z 0-9 _ - (see `Markup.safeStem`).
// - The clients "over or near their limit" are those whose credit status is exceeded or
//   warning in their ClientReport (CONTRACT 5.3), so the list can never disagree with the
//   client pages; the warning line of each chart is drawn at that client's warnAt.
// - A Content-Security-Policy meta tag forbids loading anything: a page cannot fetch, even if
//   a future change forgot to escape something.

/// The office dashboard: static HTML pages drawn from the query answers.
public struct Dashboard {
    /// One client: its history and, when wanted, its exposure over time for the chart.
    public struct ClientPage: Sendable {
        public var report: ClientReport
        public var exposure: ExposureReport?

        public init(report: ClientReport, exposure: ExposureReport?) {
            self.report = report
            self.exposure = exposure
        }
    }

    public struct Input: Sendable {
        /// The creditor's name, in the title of every page.
        public var company: String
        /// The business date the figures are as of.
        public var asOf: Day
        public var currency: Currency
        /// How amounts and dates are written.
        public var locale: Money.DisplayLocale
        public var aging: AgingReport
        /// Calendar answers (any view); a page is rendered for every month their ranges touch.
        /// Typically one answer from the first day of the month before `asOf` to the last day
        /// of the month after it.
        public var calendars: [CalendarReport]
        /// The deadlines due in the week of `asOf`, as the calendar query gives them.
        public var thisWeek: [CalendarEntry]
        /// Every client that gets a page.
        public var clients: [ClientPage]
        /// Shown in the footer when given; the dashboard never reads a clock.
        public var generatedAt: Timestamp?

        public init(company: String, asOf: Day, currency: Currency, locale: Money.DisplayLocale = .it, aging: AgingReport,
                    calendars: [CalendarReport], thisWeek: [CalendarEntry], clients: [ClientPage], generatedAt: Timestamp? = nil) {
            self.company = company
            self.asOf = asOf
            self.currency = currency
            self.locale = locale
            self.aging = aging
            self.calendars = calendars
            self.thisWeek = thisWeek
            self.clients = clients
            self.generatedAt = generatedAt
        }
    }

    /// Every page, as paths relative to the output folder ("index.html", "clients/c-001.html"),
    /// in a fixed order: index, aging, clients, the months in order, the clients by id.
    public static func render(_ input: Input) -> [(path: String, contents: String)] {
        DashboardRenderer(input).render()
    }

    /// The path of a client's page: "clients/<stem>.html", safe whatever the id holds.
    public static func clientPath(_ client: String) -> String {
        "clients/" + Markup.safeStem(client) + ".html"
    }

    /// The path of a month's page, from its key "2026-02": "calendar-2026-02.html".
    public static func calendarPath(month: String) -> String {
        "calendar-" + Markup.safeStem(month) + ".html"
    }
}

// MARK: - Rendering

struct DashboardRenderer {
    let input: Input
    typealias Input = Dashboard.Input

    /// Month key → the first day of that month, for every month with a page.
    let months: [(key: String, start: Day)]
    /// Month key → its deadlines, sorted by due then id, each deadline once.
    let monthEntries: [String: [CalendarEntry]]
    /// Client id → its page path, for the clients that have one.
    let clientPaths: [String: String]
    /// Client id → name, from every answer that names clients.
    let names: [String: String]

    init(_ input: Input) {
        self.input = input
        var starts: [String: Day] = [:]
        var entries: [String: [String: CalendarEntry]] = [:]
        for calendar in input.calendars where calendar.from <= calendar.to {
            var month = calendar.from.startOfMonth
            while month <= calendar.to {
                starts[month.monthKey] = month
                entries[month.monthKey, default: [:]] = entries[month.monthKey] ?? [:]
                month = month.endOfMonth.adding(days: 1)
            }
            for period in calendar.periods {
                for entry in period.deadlines {
                    entries[entry.due.monthKey, default: [:]][entry.deadline] = entry
                    if starts[entry.due.monthKey] == nil { starts[entry.due.monthKey] = entry.due.startOfMonth }
                }
            }
        }
        months = starts.map { (key: $0.key, start: $0.value) }.sorted { $0.start < $1.start }
        monthEntries = entries.mapValues { $0.values.sorted { ($0.due, $0.deadline) < ($1.due, $1.deadline) } }
        var paths: [String: String] = [:]
        var names: [String: String] = [:]
        for client in input.aging.clients { names[client.client] = client.name }
        for entry in input.thisWeek { names[entry.client] = entry.clientName }
        for list in monthEntries.values { for entry in list { names[entry.client] = entry.clientName } }
        for page in input.clients {
            paths[page.report.client.id] = Dashboard.clientPath(page.report.client.id)
            names[page.report.client.id] = page.report.client.name
        }
        clientPaths = paths
        self.names = names
    }

    func render() -> [(path: String, contents: String)] {
        var files: [(path: String, contents: String)] = [
            ("index.html", indexPage()),
            ("aging.html", agingPage()),
            ("clients.html", clientsPage()),
        ]
        for (index, month) in months.enumerated() {
            files.append((Dashboard.calendarPath(month: month.key), monthPage(index)))
        }
        for page in input.clients.sorted(by: { $0.report.client.id < $1.report.client.id }) {
            files.append((Dashboard.clientPath(page.report.client.id), clientPage(page)))
        }
        return files
    }

    // MARK: Shell

    enum Section: String { case overview, calendar, aging, clients }

    /// The month page the navigation bar opens: the month of `asOf` when it has a page, else
    /// the nearest month that has one.
    var mainCalendarPath: String? {
        let key = input.asOf.monthKey
        if months.contains(where: { $0.key == key }) { return Dashboard.calendarPath(month: key) }
        let nearest = months.min { abs($0.start.days(to: input.asOf)) < abs($1.start.days(to: input.asOf)) }
        return nearest.map { Dashboard.calendarPath(month: $0.key) }
    }

    func page(title: String, section: Section, depth: Int, body: String) -> String {
        let root = depth == 0 ? "" : String(repeating: "../", count: depth)
        func link(_ label: String, _ path: String?, _ target: Section) -> String {
            guard let path else { return "<span class=\"muted\">\(label)</span>" }
            let current = target == section ? " aria-current=\"page\"" : ""
            return "<a href=\"\(h(root + path))\"\(current)>\(label)</a>"
        }
        var footer = "Figures as of \(h(date(input.asOf))). Amounts in \(h(input.currency.code))."
        if let generatedAt = input.generatedAt { footer += " Generated \(h(instant(generatedAt)))." }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <meta name="referrer" content="no-referrer">
            <title>\(h(title)) \u{2013} \(h(input.company))</title>
            <style>
            \(Dashboard.styleSheet)
            </style>
            </head>
            <body>
            <header class="top"><div class="bar">
            <div class="brand"><bdi>\(h(input.company))</bdi><small>Receivables as of \(h(date(input.asOf)))</small></div>
            <nav aria-label="Pages">\(link("Overview", "index.html", .overview))\(link("Calendar", mainCalendarPath, .calendar))\
            \(link("Aging", "aging.html", .aging))\(link("Clients", "clients.html", .clients))</nav>
            </div></header>
            <main>
            \(body)
            </main>
            <footer>\(footer)</footer>
            </body>
            </html>

            """
    }

    // MARK: Overview

    func indexPage() -> String {
        let aging = input.aging
        let current = aging.totals.amounts["current"] ?? .zero
        let overdue = aging.totals.total - current
        let overdueRows = aging.rows.filter { $0.daysOverdue > 0 }.count
        let watch = creditWatch
        let exceeded = watch.filter { $0.creditStatus == .exceeded }.count
        let warning = watch.count - exceeded

        var body = "<h1>Overview</h1>\n<p class=\"lead\">Open receivables as of \(h(date(input.asOf))).</p>\n"
        body += "<div class=\"cards\">\n"
        body += card("Outstanding", money(aging.totals.total), note: "\(aging.rows.count) open deadline\(aging.rows.count == 1 ? "" : "s")")
        body += card("Overdue", money(overdue), note: "\(overdueRows) deadline\(overdueRows == 1 ? "" : "s") past due",
                     tone: overdue.isPositive ? "attention" : nil)
        body += card("Over the credit limit", "\(exceeded)", note: "client\(exceeded == 1 ? "" : "s")", tone: exceeded > 0 ? "attention" : nil)
        body += card("Near the credit limit", "\(warning)", note: "client\(warning == 1 ? "" : "s")", tone: warning > 0 ? "caution" : nil)
        body += "</div>\n"

        body += "<h2>Outstanding by age</h2>\n" + bucketTable()

        body += "<h2>Clients over or near their credit limit</h2>\n"
        if watch.isEmpty {
            body += "<div class=\"panel\"><p class=\"empty\">No client is over or near its credit limit.</p></div>\n"
        } else {
            body += "<div class=\"panel\"><table>\n<thead><tr><th>Client</th><th class=\"num\">Exposure</th><th class=\"num\">Limit</th>"
                + "<th>Used</th><th class=\"num\">Available</th><th>Status</th></tr></thead>\n<tbody>\n"
            for report in watch {
                let limit = report.client.limit ?? .zero
                body += "<tr><td>\(clientLink(report.client.id, depth: 0))</td><td class=\"num\">\(money(report.exposure))</td>"
                    + "<td class=\"num\">\(money(limit))</td><td class=\"nowrap\">\(usage(report))</td>"
                    + "<td class=\"num\">\(money(report.available ?? .zero))</td><td>\(badge(report.creditStatus.rawValue))</td></tr>\n"
            }
            body += "</tbody>\n</table></div>\n"
        }

        let monday = input.asOf.startOfISOWeek, sunday = input.asOf.endOfISOWeek
        body += "<h2>Due this week <span class=\"muted small\">\(h(date(monday))) \u{2013} \(h(date(sunday)))</span></h2>\n"
        let week = input.thisWeek.sorted { ($0.due, $0.deadline) < ($1.due, $1.deadline) }
        if week.isEmpty {
            body += "<div class=\"panel\"><p class=\"empty\">Nothing falls due this week.</p></div>\n"
        } else {
            body += deadlineTable(week, depth: 0, showClient: true)
        }
        return page(title: "Overview", section: .overview, depth: 0, body: body)
    }

    /// Clients whose credit status is exceeded or warning: exceeded first, then by how much of
    /// the limit they use, then by id.
    var creditWatch: [ClientReport] {
        input.clients.map(\.report).filter { $0.creditStatus == .exceeded || $0.creditStatus == .warning }.sorted { a, b in
            if (a.creditStatus == .exceeded) != (b.creditStatus == .exceeded) { return a.creditStatus == .exceeded }
            let ua = usedPercent(a) ?? .infinity, ub = usedPercent(b) ?? .infinity
            if ua != ub { return ua > ub }
            return a.client.id < b.client.id
        }
    }

    func usedPercent(_ report: ClientReport) -> Double? {
        guard let limit = report.client.limit, limit.isPositive else { return nil }
        return Double(report.exposure.minorUnits) / Double(limit.minorUnits) * 100
    }

    /// "87.5%" with a meter, or "–" when there is no positive limit to measure against.
    func usage(_ report: ClientReport) -> String {
        guard let percent = usedPercent(report) else { return "<span class=\"muted\">\u{2013}</span>" }
        let width = max(0, min(100, percent))
        return "<span class=\"meter \(report.creditStatus.rawValue)\"><span style=\"width:\(Markup.fixed(width))%\"></span></span> "
            + "<span class=\"num\">\(decimal(percent))%</span>"
    }

    func bucketTable() -> String {
        let aging = input.aging
        let total = aging.totals.total
        var out = "<div class=\"panel\"><table>\n<thead><tr><th>Age</th><th class=\"num\">Deadlines</th><th class=\"num\">Outstanding</th>"
            + "<th>Share</th></tr></thead>\n<tbody>\n"
        for bucket in aging.buckets {
            let amount = aging.totals.amounts[bucket] ?? .zero
            let count = aging.rows.filter { $0.bucket == bucket }.count
            let share = total.isPositive ? max(0, Double(amount.minorUnits) / Double(total.minorUnits) * 100) : 0
            let overdue = bucket != "current"
            out += "<tr\(overdue && amount.isPositive ? " class=\"overdue\"" : "")><td>\(h(bucketLabel(bucket)))</td>"
                + "<td class=\"num\">\(count)</td><td class=\"num\">\(money(amount))</td>"
                + "<td class=\"nowrap\"><span class=\"meter\(overdue ? " overdue" : "")\"><span style=\"width:\(Markup.fixed(min(share, 100)))%\"></span></span> "
                + "<span class=\"muted small\">\(decimal(share))%</span></td></tr>\n"
        }
        out += "</tbody>\n<tfoot><tr><td>Total</td><td class=\"num\">\(aging.rows.count)</td><td class=\"num\">\(money(total))</td><td></td></tr></tfoot>\n"
        return out + "</table></div>\n"
    }

    func bucketLabel(_ bucket: String) -> String {
        if bucket == "current" { return "Not yet due" }
        if bucket.hasSuffix("+") { return "More than \(bucket.dropLast()) days overdue" }
        return bucket.replacingDashWithEnDash() + " days overdue"
    }

    // MARK: Aging

    func agingPage() -> String {
        let aging = input.aging
        var body = "<h1>Aging</h1>\n<p class=\"lead\">Every live deadline with something outstanding, as of \(h(date(aging.scope.asOf)))"
        if let knownAt = aging.scope.knownAt { body += ", as known at \(h(instant(knownAt)))" }
        body += ". Overdue rows are marked.</p>\n"
        body += bucketTable()
        body += "<h2>Deadlines</h2>\n"
        if aging.rows.isEmpty {
            body += "<div class=\"panel\"><p class=\"empty\">Nothing is outstanding.</p></div>\n"
        } else {
            body += "<div class=\"panel\"><table>\n<thead><tr><th>Due</th><th>Age</th><th>Client</th><th>Invoice</th><th>Deadline</th>"
                + "<th class=\"num\">Amount</th><th class=\"num\">Paid</th><th class=\"num\">Pending</th><th class=\"num\">Outstanding</th>"
                + "<th class=\"num\">Reminders</th></tr></thead>\n<tbody>\n"
            for row in aging.rows {
                let overdue = row.daysOverdue > 0
                let age: String
                if overdue {
                    age = badge("overdue", text: "\(row.daysOverdue) day\(row.daysOverdue == 1 ? "" : "s") overdue")
                } else if row.daysToDue == 0 {
                    age = "<span class=\"muted\">due today</span>"
                } else {
                    age = "<span class=\"muted\">in \(row.daysToDue) day\(row.daysToDue == 1 ? "" : "s")</span>"
                }
                body += "<tr\(overdue ? " class=\"overdue\"" : "")><td class=\"nowrap\">\(h(date(row.due)))</td><td>\(age)</td>"
                    + "<td>\(clientLink(row.client, depth: 0))</td><td class=\"nowrap\">\(h(row.invoice ?? ""))</td><td class=\"nowrap\">\(h(row.deadline))</td>"
                    + "<td class=\"num\">\(money(row.amount))</td><td class=\"num\">\(money(row.paid))</td><td class=\"num\">\(money(row.pending))</td>"
                    + "<td class=\"num\"><strong>\(money(row.outstanding))</strong></td><td class=\"num\">\(row.reminders)</td></tr>\n"
            }
            body += "</tbody>\n</table></div>\n"
        }
        body += "<h2>By client</h2>\n"
        if aging.clients.isEmpty {
            body += "<div class=\"panel\"><p class=\"empty\">No client owes anything.</p></div>\n"
        } else {
            body += "<div class=\"panel\"><table>\n<thead><tr><th>Client</th>"
                + aging.buckets.map { "<th class=\"num\">\(h($0))</th>" }.joined() + "<th class=\"num\">Total</th></tr></thead>\n<tbody>\n"
            for client in aging.clients {
                let overdue = client.totals.total - (client.totals.amounts["current"] ?? .zero)
                body += "<tr\(overdue.isPositive ? " class=\"overdue\"" : "")><td>\(clientLink(client.client, depth: 0))</td>"
                    + aging.buckets.map { "<td class=\"num\">\(money(client.totals.amounts[$0] ?? .zero))</td>" }.joined()
                    + "<td class=\"num\"><strong>\(money(client.totals.total))</strong></td></tr>\n"
            }
            body += "</tbody>\n<tfoot><tr><td>All clients</td>"
                + aging.buckets.map { "<td class=\"num\">\(money(aging.totals.amounts[$0] ?? .zero))</td>" }.joined()
                + "<td class=\"num\">\(money(aging.totals.total))</td></tr></tfoot>\n</table></div>\n"
        }
        return page(title: "Aging", section: .aging, depth: 0, body: body)
    }

    // MARK: Clients

    func clientsPage() -> String {
        var body = "<h1>Clients</h1>\n<p class=\"lead\">Exposure and credit limits as of \(h(date(input.asOf))).</p>\n"
        let reports = input.clients.map(\.report).sorted { a, b in
            let (na, nb) = (a.client.name.lowercased(), b.client.name.lowercased())
            return na != nb ? na < nb : a.client.id < b.client.id
        }
        if reports.isEmpty {
            body += "<div class=\"panel\"><p class=\"empty\">No clients.</p></div>\n"
        } else {
            body += "<div class=\"panel\"><table>\n<thead><tr><th>Client</th><th class=\"num\">Exposure</th><th class=\"num\">Limit</th>"
                + "<th>Used</th><th class=\"num\">Available</th><th class=\"num\">Pending</th><th class=\"num\">On account</th>"
                + "<th>Credit</th></tr></thead>\n<tbody>\n"
            for report in reports {
                body += "<tr><td>\(clientLink(report.client.id, depth: 0))<br><span class=\"muted small\">\(h(report.client.id))</span></td>"
                    + "<td class=\"num\">\(money(report.exposure))</td>"
                    + "<td class=\"num\">\(report.client.limit.map(money) ?? "<span class=\"muted\">none</span>")</td>"
                    + "<td class=\"nowrap\">\(report.client.limit == nil ? "" : usage(report))</td>"
                    + "<td class=\"num\">\(report.available.map(money) ?? "")</td>"
                    + "<td class=\"num\">\(money(report.pendingPayments))</td><td class=\"num\">\(money(report.onAccount))</td>"
                    + "<td>\(badge(report.creditStatus.rawValue, text: creditLabel(report.creditStatus)))</td></tr>\n"
            }
            body += "</tbody>\n</table></div>\n"
        }
        return page(title: "Clients", section: .clients, depth: 0, body: body)
    }

    func creditLabel(_ status: CreditStatus) -> String {
        switch status {
        case .none: return "no limit"
        case .ok: return "ok"
        case .warning: return "near the limit"
        case .exceeded: return "over the limit"
        }
    }

    func clientPage(_ page: Dashboard.ClientPage) -> String {
        let report = page.report
        let client = report.client
        var body = "<h1><bdi>\(h(client.name))</bdi></h1>\n<p class=\"lead\">Client \(h(client.id))"
        if let email = client.email { body += " \u{00B7} <bdi>\(h(email))</bdi>" }
        if let vat = client.vat { body += " \u{00B7} VAT \(h(vat))" }
        body += " \u{00B7} reminders in \(client.locale == .it ? "Italian" : "English")</p>\n"

        body += "<div class=\"cards\">\n"
        body += card("Exposure", money(report.exposure), note: "invoices and free deadlines not yet collected",
                     tone: report.creditStatus == .exceeded ? "attention" : report.creditStatus == .warning ? "caution" : nil)
        if let limit = client.limit {
            body += card("Credit limit", money(limit), note: "warning at \(client.warnAt)%")
            body += card("Available", money(report.available ?? limit - report.exposure), note: nil,
                         tone: (report.available?.isNegative ?? false) ? "attention" : nil)
        } else {
            body += card("Credit limit", "none", note: "no limit set")
        }
        body += card("Pending payments", money(report.pendingPayments), note: "not yet credited")
        body += card("On account", money(report.onAccount), note: "received, not applied to a deadline")
        body += "</div>\n<p>Credit status: \(badge(report.creditStatus.rawValue, text: creditLabel(report.creditStatus)))</p>\n"

        if let exposure = page.exposure {
            body += "<h2>Exposure over time</h2>\n<figure class=\"chart\">\n"
                + exposure.svgElement(currency: input.currency, locale: input.locale, warnAtPercent: client.limit == nil ? nil : client.warnAt,
                                      title: "Exposure of \(client.name)")
                + "\n</figure>\n"
        }

        body += "<h2>Deadlines</h2>\n"
        body += report.deadlines.isEmpty
            ? "<div class=\"panel\"><p class=\"empty\">No deadlines.</p></div>\n"
            : deadlineTable(report.deadlines, depth: 1, showClient: false)

        body += "<h2>Payments</h2>\n"
        if report.payments.isEmpty {
            body += "<div class=\"panel\"><p class=\"empty\">No payments.</p></div>\n"
        } else {
            body += "<div class=\"panel\"><table>\n<thead><tr><th>Received</th><th>Payment</th><th>Method</th><th>Status</th>"
                + "<th class=\"num\">Amount</th><th class=\"num\">Unallocated</th><th>Allocated to</th><th>Documents</th></tr></thead>\n<tbody>\n"
            for payment in report.payments {
                var id = h(payment.payment)
                if let reference = payment.reference { id += "<br><span class=\"muted small\">ref. <bdi>\(h(reference))</bdi></span>" }
                let allocations = payment.allocations.isEmpty ? "<span class=\"muted\">\u{2013}</span>"
                    : "<ul class=\"plain\">" + payment.allocations.map { "<li>\(h($0.deadline)) <span class=\"num\">\(money($0.amount))</span></li>" }.joined() + "</ul>"
                let documents = payment.documents.isEmpty ? "<span class=\"muted\">\u{2013}</span>"
                    : "<ul class=\"plain\">" + payment.documents.map { document in
                        "<li><bdi>\(h(document.name))</bdi> <span class=\"muted small\">\(h(document.mediaType)), \(h(byteCount(document.size)))</span>"
                            + "<br><code title=\"\(h(document.sha256))\">\(h(String(document.sha256.prefix(16))))\u{2026}</code></li>"
                    }.joined() + "</ul>"
                body += "<tr\(payment.status == .bounced ? " class=\"bounced\"" : "")><td class=\"nowrap\">\(h(date(payment.received)))</td>"
                    + "<td>\(id)</td><td>\(h(methodLabel(payment.method)))</td><td>\(badge(payment.status.rawValue))</td>"
                    + "<td class=\"num\">\(money(payment.amount))</td><td class=\"num\">\(money(payment.unallocated))</td>"
                    + "<td>\(allocations)</td><td>\(documents)</td></tr>\n"
            }
            body += "</tbody>\n</table></div>\n"
        }

        body += "<h2>Reminders sent</h2>\n"
        let reminders = report.deadlines.flatMap { entry in entry.reminders.map { (entry: entry, reminder: $0) } }
            .sorted { ($0.reminder.sentAt, $0.entry.deadline) < ($1.reminder.sentAt, $1.entry.deadline) }
        if reminders.isEmpty {
            body += "<div class=\"panel\"><p class=\"empty\">No reminders sent.</p></div>\n"
        } else {
            body += "<div class=\"panel\"><table>\n<thead><tr><th>Sent</th><th>Deadline</th><th>Due</th><th>For the day</th><th>How</th></tr></thead>\n<tbody>\n"
            for item in reminders {
                body += "<tr><td class=\"nowrap\">\(h(instant(item.reminder.sentAt)))</td><td>\(h(item.entry.deadline))</td>"
                    + "<td class=\"nowrap\">\(h(date(item.entry.due)))</td><td class=\"nowrap\">\(h(date(item.reminder.slot)))</td>"
                    + "<td>\(item.reminder.manual ? "manual" : "scheduled")</td></tr>\n"
            }
            body += "</tbody>\n</table></div>\n"
        }

        body += "<h2>Credit alerts</h2>\n"
        if report.alerts.isEmpty {
            body += "<div class=\"panel\"><p class=\"empty\">No changes of credit status.</p></div>\n"
        } else {
            body += "<div class=\"panel\"><table>\n<thead><tr><th>Date</th><th class=\"num\">Event</th><th>From</th><th>To</th></tr></thead>\n<tbody>\n"
            for alert in report.alerts {
                body += "<tr\(alert.to == .exceeded ? " class=\"overdue\"" : "")><td class=\"nowrap\">\(h(date(alert.date)))</td>"
                    + "<td class=\"num\">#\(alert.seq)</td><td>\(badge(alert.from.rawValue, text: creditLabel(alert.from)))</td>"
                    + "<td>\(badge(alert.to.rawValue, text: creditLabel(alert.to)))</td></tr>\n"
            }
            body += "</tbody>\n</table></div>\n"
        }
        return self.page(title: client.name, section: .clients, depth: 1, body: body)
    }

    func methodLabel(_ method: PaymentMethod) -> String {
        switch method {
        case .bankTransfer: return "bank transfer"
        case .card: return "card"
        case .cash: return "cash"
        case .cheque: return "cheque"
        case .riba: return "RiBa"
        case .sepaDirectDebit: return "SEPA direct debit"
        case .other: return "other"
        }
    }

    func byteCount(_ size: Int64) -> String {
        if size < 1024 { return "\(size) B" }
        let units = ["KB", "MB", "GB", "TB"]
        var value = Double(size) / 1024
        var index = 0
        while value >= 1024 && index < units.count - 1 {
            value /= 1024
            index += 1
        }
        return decimal(value) + " " + units[index]
    }

    // MARK: Calendar

    func monthPage(_ index: Int) -> String {
        let month = months[index]
        let start = month.start, end = month.start.endOfMonth
        let entries = monthEntries[month.key] ?? []
        let title = "\(MonthNames.english[start.month - 1]) \(start.year)"
        let previous = start.adding(days: -1).startOfMonth, next = end.adding(days: 1)
        func pager(_ day: Day, _ label: String) -> String {
            let text = label == "previous" ? "\u{2190} \(MonthNames.english[day.month - 1]) \(day.year)"
                : "\(MonthNames.english[day.month - 1]) \(day.year) \u{2192}"
            if months.contains(where: { $0.key == day.monthKey }) {
                return "<a href=\"\(h(Dashboard.calendarPath(month: day.monthKey)))\" rel=\"\(label == "previous" ? "prev" : "next")\">\(h(text))</a>"
            }
            return "<span class=\"off\" title=\"not included in this report\">\(h(text))</span>"
        }
        let total = entries.reduce(Money.zero) { $0.adding($1.outstanding) ?? $0 }
        var body = "<h1>\(h(title))</h1>\n<p class=\"lead\">\(entries.count) deadline\(entries.count == 1 ? "" : "s") due, "
            + "\(money(total)) outstanding; status as of \(h(date(input.asOf))).</p>\n"
        body += "<div class=\"pager\">\(pager(previous, "previous"))\(pager(next, "next"))</div>\n"
        body += "<div class=\"month\" role=\"grid\" aria-label=\"\(h(title))\">\n"
        for name in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] {
            body += "<div class=\"dow\" role=\"columnheader\">\(name)</div>"
        }
        body += "\n"
        var byDay: [Day: [CalendarEntry]] = [:]
        for entry in entries { byDay[entry.due, default: []].append(entry) }
        var day = start.startOfISOWeek
        while day <= end.endOfISOWeek {
            var classes = ["day"]
            let inside = day >= start && day <= end
            if !inside { classes.append("outside") }
            if day.weekday >= 6 { classes.append("weekend") }
            if day == input.asOf { classes.append("today") }
            let dayEntries = inside ? (byDay[day] ?? []) : []
            if dayEntries.isEmpty { classes.append("empty-day") }
            body += "<div class=\"\(classes.joined(separator: " "))\" role=\"gridcell\"><div class=\"n\">"
            body += inside ? "\(day.day) <span class=\"muted small\">\(h(MonthNames.short[day.month - 1]))</span>" : "\(day.day)"
            body += "</div>"
            for entry in dayEntries {
                var amount = "<span class=\"nowrap\">\(money(entry.amount))</span>"
                if entry.outstanding != entry.amount && entry.outstanding.isPositive {
                    amount += " <span class=\"muted nowrap\">(\(money(entry.outstanding)) left)</span>"
                }
                let label = "\(entry.deadline)\(entry.invoice.map { ", invoice \($0)" } ?? ""): \(entry.status.rawValue)"
                let inner = "<span class=\"who\"><bdi>\(h(entry.clientName))</bdi></span><span class=\"amt\">\(amount)</span>"
                    + "<span class=\"small\">\(h(entry.status.rawValue))</span>"
                if let path = clientPaths[entry.client] {
                    body += "<a class=\"entry s-\(entry.status.rawValue)\" href=\"\(h(path))\" title=\"\(h(label))\">\(inner)</a>"
                } else {
                    body += "<div class=\"entry s-\(entry.status.rawValue)\" title=\"\(h(label))\">\(inner)</div>"
                }
            }
            body += "</div>\n"
            day = day.adding(days: 1)
        }
        body += "</div>\n"
        body += "<h2>All deadlines in \(h(title))</h2>\n"
        body += entries.isEmpty
            ? "<div class=\"panel\"><p class=\"empty\">No deadlines fall due this month.</p></div>\n"
            : deadlineTable(entries, depth: 0, showClient: true)
        return page(title: title, section: .calendar, depth: 0, body: body)
    }

    // MARK: Pieces

    /// Deadlines as a table; overdue rows marked.
    func deadlineTable(_ entries: [CalendarEntry], depth: Int, showClient: Bool) -> String {
        var out = "<div class=\"panel\"><table>\n<thead><tr><th>Due</th>" + (showClient ? "<th>Client</th>" : "")
            + "<th>Invoice</th><th>Deadline</th><th class=\"num\">Amount</th><th class=\"num\">Outstanding</th><th>Status</th>"
            + "<th class=\"num\">Reminders</th></tr></thead>\n<tbody>\n"
        var total = Money.zero
        for entry in entries {
            total = total.adding(entry.outstanding) ?? total
            var due = h(date(entry.due))
            if let postponed = entry.postponedFrom {
                due += "<br><span class=\"muted small\">postponed from \(h(date(postponed)))</span>"
            }
            var deadline = "<span class=\"nowrap\">\(h(entry.deadline))</span>"
            if let description = entry.description { deadline += "<br><span class=\"muted small\"><bdi>\(h(description))</bdi></span>" }
            out += "<tr\(entry.status == .overdue ? " class=\"overdue\"" : "")><td class=\"nowrap\">\(due)</td>"
                + (showClient ? "<td>\(clientLink(entry.client, depth: depth))</td>" : "")
                + "<td class=\"nowrap\">\(h(entry.invoice ?? ""))</td><td>\(deadline)</td><td class=\"num\">\(money(entry.amount))</td>"
                + "<td class=\"num\">\(money(entry.outstanding))</td><td>\(badge(entry.status.rawValue))</td>"
                + "<td class=\"num\">\(entry.reminders.count)</td></tr>\n"
        }
        out += "</tbody>\n<tfoot><tr><td colspan=\"\(showClient ? 5 : 4)\">Total outstanding</td><td class=\"num\">\(money(total))</td>"
            + "<td colspan=\"2\"></td></tr></tfoot>\n"
        return out + "</table></div>\n"
    }

    func card(_ label: String, _ value: String, note: String?, tone: String? = nil) -> String {
        "<div class=\"card\(tone.map { " " + $0 } ?? "")\"><div class=\"label\">\(h(label))</div><div class=\"value\">\(value)</div>"
            + (note.map { "<div class=\"muted small\">\(h($0))</div>" } ?? "") + "</div>\n"
    }

    /// A coloured status label; `status` is a keyword of the contract (it names the style).
    func badge(_ status: String, text: String? = nil) -> String {
        "<span class=\"badge s-\(h(status))\">\(h(text ?? status))</span>"
    }

    /// A client's name, linked to its page when it has one.
    func clientLink(_ client: String, depth: Int) -> String {
        let name = "<bdi>\(h(names[client] ?? client))</bdi>"
        guard let path = clientPaths[client] else { return name }
        let root = String(repeating: "../", count: depth)
        return "<a href=\"\(h(root + path))\">\(name)</a>"
    }

    func money(_ amount: Money) -> String { h(amount.display(input.currency, locale: input.locale)) }

    /// A number with one decimal, with the locale's decimal separator: it "84,0", en "84.0".
    func decimal(_ value: Double) -> String {
        let text = Markup.fixed(value)
        return input.locale == .it ? String(text.map { $0 == "." ? "," : $0 }) : text
    }
    func date(_ day: Day) -> String { day.formatted(input.locale) }

    /// "2026-02-10 09:00 UTC": instants are shown in UTC, since the answers carry no time zone.
    func instant(_ timestamp: Timestamp) -> String {
        let text = timestamp.description
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5)) + " UTC"
    }

    func h(_ text: String) -> String { Markup.escape(text) }
}

extension String {
    func replacingDashWithEnDash() -> String {
        String(map { $0 == "-" ? "\u{2013}" : $0 })
    }
}
