import XCTest
import EventLog
@testable import Receivables
@testable import Reports

/// A fixed, hand-built set of query answers for the renderer tests and snapshots. The answers'
/// memberwise initialisers are internal to Receivables, hence `@testable import Receivables`.
enum ReportSamples {
    static let currency = Currency.euro
    static let asOf = day("2026-02-16")
    static let storeID = "0123456789abcdef0123456789abcdef"
    static let generatedAt = Timestamp(rfc3339: "2026-02-16T08:30:00.000Z")!

    static let hostileName = "<script>alert(1)</script> \"quoted\" & 'single' =HYPERLINK(\"x\")\u{200F}"
    /// The hostile name as every page must show it.
    static let hostileNameEscaped = "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; &#39;single&#39; "
        + "=HYPERLINK(&quot;x&quot;)&#x200F;"
    static let hostileID = "X/../<evil> id"
    static let longName = "Società Cooperativa Agricola Valle dell'Adige – Frutticoltori Riuniti di Trentino e Südtirol, Bolzano"

    static func day(_ text: String) -> Day { Day(iso: text)! }
    static func eur(_ text: String) -> Money { try! Money.parse(text, currency: .euro, allowNegative: true) }
    static func at(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

    static func entry(_ deadline: String, due: String, client: String, name: String, invoice: String? = nil, description: String? = nil,
                      amount: String, outstanding: String, status: DeadlineStatus, reminders: [SentReminder] = [],
                      postponedFrom: String? = nil) -> CalendarEntry {
        CalendarEntry(deadline: deadline, due: day(due), client: client, clientName: name, invoice: invoice, description: description,
                      amount: eur(amount), outstanding: eur(outstanding), status: status, reminders: reminders,
                      postponedFrom: postponedFrom.map(day))
    }

    // MARK: Deadlines

    static let rossiJanuary = entry("D-0", due: "2026-01-15", client: "C-ROSSI", name: "Caffè Rossi", invoice: "F-2025/118",
                                    amount: "2500.00", outstanding: "2500.00", status: .overdue,
                                    reminders: [SentReminder(sentAt: at("2026-01-08T07:00:00.000Z"), slot: day("2026-01-08"), manual: false),
                                                SentReminder(sentAt: at("2026-01-22T07:00:00.000Z"), slot: day("2026-01-22"), manual: false)])
    static let hostileJanuary = entry("D-H0", due: "2026-01-20", client: hostileID, name: hostileName,
                                      invoice: "<b>INV</b>", description: "=cmd|' /C calc'!A0 <img src=x>",
                                      amount: "300.00", outstanding: "300.00", status: .overdue)
    static let rossiOverdue = entry("D-1", due: "2026-02-10", client: "C-ROSSI", name: "Caffè Rossi", invoice: "F-2026/001",
                                    amount: "1234.56", outstanding: "1234.56", status: .overdue,
                                    reminders: [SentReminder(sentAt: at("2026-02-12T15:04:05.000Z"), slot: day("2026-02-12"), manual: true)])
    static let bianchiToday = entry("D-2", due: "2026-02-16", client: "bianchi", name: "Bianchi & Figli S.r.l.", invoice: "F-2026/002",
                                    description: "Rata 2/3; saldo, fine mese", amount: "2000.00", outstanding: "800.00", status: .open,
                                    postponedFrom: "2026-02-01")
    static let hostilePending = entry("D 3/ü@x;y", due: "2026-02-18", client: hostileID, name: hostileName,
                                      amount: "500.00", outstanding: "0.00", status: .pending)
    static let longOpen = entry("D-4", due: "2026-02-20", client: "coop", name: longName, description: "Line one\nLine two \\ back",
                                amount: "999.99", outstanding: "999.99", status: .open)
    static let rossiPaid = entry("D-5", due: "2026-02-27", client: "C-ROSSI", name: "Caffè Rossi", invoice: "F-2026/003",
                                 amount: "1000.00", outstanding: "0.00", status: .paid)
    static let bianchiMarch = entry("D-6", due: "2026-03-16", client: "bianchi", name: "Bianchi & Figli S.r.l.", invoice: "F-2026/002",
                                    amount: "1400.00", outstanding: "1400.00", status: .open)

    // MARK: Answers

    /// The calendar of February, by day (what `calendar --view day` gives).
    static var february: CalendarReport {
        calendar(from: "2026-02-01", to: "2026-02-28", [rossiOverdue, bianchiToday, hostilePending, longOpen, rossiPaid])
    }

    /// January to March, for the dashboard.
    static var quarter: CalendarReport {
        calendar(from: "2026-01-01", to: "2026-03-31",
                 [rossiJanuary, hostileJanuary, rossiOverdue, bianchiToday, hostilePending, longOpen, rossiPaid, bianchiMarch])
    }

    static func calendar(from: String, to: String, _ entries: [CalendarEntry]) -> CalendarReport {
        var periods: [CalendarPeriod] = []
        for entry in entries {
            if periods.last?.period != entry.due.description {
                periods.append(CalendarPeriod(period: entry.due.description, from: entry.due, to: entry.due, total: .zero, deadlines: []))
            }
            periods[periods.count - 1].deadlines.append(entry)
            periods[periods.count - 1].total = periods[periods.count - 1].total + entry.outstanding
        }
        return CalendarReport(from: day(from), to: day(to), view: .day, periods: periods)
    }

    static var aging: AgingReport {
        let buckets = AgingBuckets.standard
        let names = buckets.names
        var rows: [AgingRow] = []
        var totals = BucketTotals(names: names)
        var perClient: [String: BucketTotals] = [:]
        for entry in [rossiJanuary, hostileJanuary, rossiOverdue, bianchiToday, longOpen, bianchiMarch] {
            let daysToDue = asOf.days(to: entry.due)
            let daysOverdue = max(0, -daysToDue)
            let bucket = buckets.name(daysOverdue: daysOverdue)
            let paid = entry.amount - entry.outstanding
            rows.append(AgingRow(deadline: entry.deadline, client: entry.client, invoice: entry.invoice, due: entry.due, daysToDue: daysToDue,
                                 daysOverdue: daysOverdue, bucket: bucket, amount: entry.amount, paid: paid, pending: .zero,
                                 outstanding: entry.outstanding, reminders: entry.reminders.count))
            try! totals.add(entry.outstanding, to: bucket)
            try! perClient[entry.client, default: BucketTotals(names: names)].add(entry.outstanding, to: bucket)
        }
        let clientNames = ["C-ROSSI": "Caffè Rossi", "bianchi": "Bianchi & Figli S.r.l.", "coop": longName, hostileID: hostileName]
        let clients = perClient.keys.sorted().map { (client: $0, name: clientNames[$0]!, totals: perClient[$0]!) }
        return AgingReport(scope: QueryScope(asOf: asOf), buckets: names, rows: rows, clients: clients, totals: totals)
    }

    static func client(_ id: String, _ name: String, limit: String?, warnAt: Int = 80, exposure: String, email: String? = nil) -> ClientState {
        var client = ClientState(id: id, name: name)
        client.limit = limit.map(eur)
        client.warnAt = warnAt
        client.exposure = eur(exposure)
        client.email = email
        return client
    }

    static var rossiReport: ClientReport {
        let client = client("C-ROSSI", "Caffè Rossi", limit: "10000.00", exposure: "12345.60", email: "amministrazione@caffe-rossi.example")
        let payment = PaymentEntry(payment: "P-1", amount: eur("1500.00"), received: day("2026-01-30"), method: .bankTransfer, status: .cleared,
                                   unallocated: eur("500.00"), allocations: [Allocation(deadline: "D-5", amount: eur("1000.00"))],
                                   documents: [DocumentReference(sha256: String(repeating: "ab", count: 32), name: "bonifico <30-01>.pdf",
                                                                 mediaType: "application/pdf", size: 48_213)],
                                   reference: "CRO 1234567890")
        let bounced = PaymentEntry(payment: "P-2", amount: eur("700.00"), received: day("2026-02-02"), method: .cheque, status: .bounced,
                                   unallocated: .zero, allocations: [], documents: [], reference: nil)
        return ClientReport(client: client, exposure: client.exposure, pendingPayments: .zero, onAccount: eur("500.00"),
                            available: eur("-2345.60"), creditStatus: .exceeded,
                            deadlines: [rossiJanuary, rossiOverdue, rossiPaid], payments: [payment, bounced],
                            alerts: [CreditAlert(client: "C-ROSSI", seq: 12, date: day("2025-11-03"), from: .none, to: .ok),
                                     CreditAlert(client: "C-ROSSI", seq: 40, date: day("2025-12-10"), from: .ok, to: .warning),
                                     CreditAlert(client: "C-ROSSI", seq: 57, date: day("2026-01-15"), from: .warning, to: .exceeded)])
    }

    static var rossiExposure: ExposureReport {
        let points: [(String, String, String?)] = [
            ("2025-09-30", "3000.00", nil), ("2025-10-31", "5200.00", nil), ("2025-11-30", "7400.00", "10000.00"),
            ("2025-12-31", "9100.00", "10000.00"), ("2026-01-31", "11800.00", "10000.00"), ("2026-02-16", "12345.60", "10000.00"),
        ]
        return ExposureReport(client: "C-ROSSI", from: day("2025-09-01"), to: asOf, step: .month,
                              points: points.map { ExposurePoint(date: day($0.0), exposure: eur($0.1), limit: $0.2.map(eur)) })
    }

    static var bianchiReport: ClientReport {
        let client = client("bianchi", "Bianchi & Figli S.r.l.", limit: "5000.00", exposure: "4200.00")
        let payment = PaymentEntry(payment: "P-3", amount: eur("1200.00"), received: day("2026-02-05"), method: .riba, status: .pending,
                                   unallocated: .zero, allocations: [Allocation(deadline: "D-2", amount: eur("1200.00"))], documents: [],
                                   reference: nil)
        return ClientReport(client: client, exposure: client.exposure, pendingPayments: eur("1200.00"), onAccount: .zero,
                            available: eur("800.00"), creditStatus: .warning, deadlines: [bianchiToday, bianchiMarch],
                            payments: [payment], alerts: [])
    }

    static var bianchiExposure: ExposureReport {
        let points: [(String, String)] = [("2026-01-25", "3000.00"), ("2026-02-01", "4800.00"), ("2026-02-08", "5200.00"),
                                          ("2026-02-15", "4200.00"), ("2026-02-16", "4200.00")]
        return ExposureReport(client: "bianchi", from: day("2026-01-19"), to: asOf, step: .week,
                              points: points.map { ExposurePoint(date: day($0.0), exposure: eur($0.1), limit: eur("5000.00")) })
    }

    static var hostileReport: ClientReport {
        var client = client(hostileID, hostileName, limit: nil, exposure: "800.00", email: "\"x\"@evil.example")
        client.vat = "IT<0>"
        return ClientReport(client: client, exposure: client.exposure, pendingPayments: eur("500.00"), onAccount: .zero, available: nil,
                            creditStatus: .none, deadlines: [hostileJanuary, hostilePending],
                            payments: [PaymentEntry(payment: "P-<4>", amount: eur("500.00"), received: day("2026-02-14"), method: .other,
                                                    status: .pending, unallocated: .zero,
                                                    allocations: [Allocation(deadline: "D 3/ü@x;y", amount: eur("500.00"))],
                                                    documents: [DocumentReference(sha256: String(repeating: "0f", count: 32), name: hostileName,
                                                                                  mediaType: "text/html", size: 12)],
                                                    reference: hostileName)],
                            alerts: [])
    }

    static var hostileExposure: ExposureReport {
        ExposureReport(client: hostileID, from: day("2026-02-01"), to: asOf, step: .day,
                       points: (1...16).map { ExposurePoint(date: day("2026-02-\($0 < 10 ? "0" : "")\($0)"),
                                                            exposure: eur($0 < 14 ? "300.00" : "800.00"), limit: nil) })
    }

    static var coopReport: ClientReport {
        let client = client("coop", longName, limit: "50000.00", warnAt: 90, exposure: "999.99")
        return ClientReport(client: client, exposure: client.exposure, pendingPayments: .zero, onAccount: .zero, available: eur("49000.01"),
                            creditStatus: .ok, deadlines: [longOpen], payments: [], alerts: [])
    }

    static var dashboardInput: Dashboard.Input {
        Dashboard.Input(company: "Torrefazione Esempio S.p.A.", asOf: asOf, currency: currency, locale: .it, aging: aging,
                        calendars: [quarter], thisWeek: [bianchiToday, hostilePending, longOpen],
                        clients: [Dashboard.ClientPage(report: rossiReport, exposure: rossiExposure),
                                  Dashboard.ClientPage(report: bianchiReport, exposure: bianchiExposure),
                                  Dashboard.ClientPage(report: hostileReport, exposure: hostileExposure),
                                  Dashboard.ClientPage(report: coopReport, exposure: nil)],
                        generatedAt: generatedAt)
    }
}

/// The small helpers the renderers share.
final class ReportSamplesTests: XCTestCase {
    func testMarkupEscapesEverySpecialCharacter() {
        XCTAssertEqual(Markup.escape("a & b < c > d \" e ' f"), "a &amp; b &lt; c &gt; d &quot; e &#39; f")
        XCTAssertEqual(Markup.escape("]]>"), "]]&gt;")
        XCTAssertEqual(Markup.escape("rtl\u{200F}mark\u{202E}override"), "rtl&#x200F;mark&#x202E;override")
        XCTAssertEqual(Markup.escape("bell\u{7}nul\u{0}esc\u{1B}del\u{7F}c1\u{85}"), "bellnulescdelc1")
        XCTAssertEqual(Markup.escape("tab\tline\n"), "tab\tline\n")
        XCTAssertEqual(Markup.escape(ReportSamples.hostileName), ReportSamples.hostileNameEscaped)
    }

    func testFixedNumbersArePlatformIndependent() {
        XCTAssertEqual(Markup.fixed(0), "0.0")
        XCTAssertEqual(Markup.fixed(-0.04), "0.0")
        XCTAssertEqual(Markup.fixed(12.25), "12.3")
        XCTAssertEqual(Markup.fixed(-12.25), "-12.3")
        XCTAssertEqual(Markup.fixed(3.14159, decimals: 3), "3.142")
        XCTAssertEqual(Markup.fixed(.nan), "0.0")
    }

    func testFileNamesFromIdsAreSafeAndDistinct() {
        XCTAssertEqual(Dashboard.clientPath("c-001"), "clients/c-001.html")
        XCTAssertEqual(Dashboard.clientPath("rossi_2"), "clients/rossi_2.html")
        let ids = ["ABC", "abc", "Abc", "../../etc/passwd", "a/b", "a b", "a.b", "con", "CON", "Ünïcode", "%41", "%2541", "a%2Fb",
                   ReportSamples.hostileID, ReportSamples.hostileName, "abc-0123456789abcdef", String(repeating: "z", count: 64)]
        var seen: [String: String] = [:]
        for id in ids {
            let path = Dashboard.clientPath(id)
            XCTAssertTrue(path.hasPrefix("clients/") && path.hasSuffix(".html"), path)
            let stem = path.dropFirst("clients/".count).dropLast(".html".count)
            XCTAssertFalse(stem.isEmpty)
            XCTAssertTrue(stem.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F || $0 == 0x2D },
                          "\(id) gives \(path)")
            XCTAssertNil(seen[path.lowercased()], "\(id) and \(seen[path.lowercased()] ?? "") share \(path)")
            seen[path.lowercased()] = id
            XCTAssertEqual(Dashboard.clientPath(id), path, "the name of an id never changes")
        }
        XCTAssertEqual(Dashboard.calendarPath(month: "2026-02"), "calendar-2026-02.html")
    }

    func testWholeAmountsDropTheirMinorDigits() {
        XCTAssertEqual(ReportSamples.eur("1200").wholeDisplay(.euro, locale: .it), "1.200 €")
        XCTAssertEqual(ReportSamples.eur("1200").wholeDisplay(.euro, locale: .en), "€1,200")
        XCTAssertEqual(ReportSamples.eur("1200.50").wholeDisplay(.euro, locale: .it), "1.200,50 €")
        XCTAssertEqual(Money(minorUnits: -100_000).wholeDisplay(Currency.iso4217("CHF")!, locale: .en), "-CHF 1,000")
        XCTAssertEqual(Money(minorUnits: 1500).wholeDisplay(Currency.iso4217("JPY")!, locale: .it), "1.500 ¥")
    }
}
