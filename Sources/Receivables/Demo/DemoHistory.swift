import EventLog

/// A seeded generator of a realistic company history, for the demo store, the simulation tests
/// and the benchmarks. The same seed and dates always give the same events.
///
/// The mix: clients with credit limits (one kept near its limit, one pushed over it), invoices
/// with one to four instalments due at month ends or 30/60/90 days, payments that arrive on
/// time, late or never, by bank transfer, card, SEPA, cheque and Ri.Ba. (pending until they
/// clear; some bounce), down payments held on account and applied later, postponements,
/// amendments, cancellations and reminders.
public struct DemoHistory: Sendable {
    public var seed: UInt64
    public var firstDay: Day
    public var lastDay: Day
    public var clientCount: Int

    public init(seed: UInt64 = 20_260_101, firstDay: Day, lastDay: Day, clientCount: Int = 40) {
        self.seed = seed
        self.firstDay = firstDay
        self.lastDay = lastDay
        self.clientCount = clientCount
    }

    /// The events in the order they happened, each with its business date.
    public func events() -> [EventInput] {
        var generator = Generator(history: self)
        return generator.run()
    }
}

/// SplitMix64: small, fast and the same on every platform, so a seed always means one history.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private struct Generator {
    let history: DemoHistory
    var random: SeededRandom
    var events: [EventInput] = []

    struct OpenDeadline {
        var id: String
        var client: Int
        var invoice: String
        var due: Day
        var outstanding: Int64
        var postponed = false
        var reminded: Set<Day> = []
    }

    struct PendingPayment {
        var id: String
        var client: Int
        var amount: Int64
        var received: Day
        var clearsOn: Day
        var bounces: Bool
    }

    var open: [OpenDeadline] = []
    var pending: [PendingPayment] = []
    var onAccount: [(payment: String, client: Int, remainder: Int64, received: Day)] = []
    var invoiceCount = 0
    var paymentCount = 0
    /// Per client, how much it usually buys a month, in cents.
    var monthlySpend: [Int64] = []
    var limits: [Int64] = []
    /// Each client's exposure as the generator keeps it (invoices less cleared payments), so the
    /// demo can leave one client just under its limit.
    var exposure: [Int64] = []

    init(history: DemoHistory) {
        self.history = history
        self.random = SeededRandom(seed: history.seed)
    }

    static let firstNames = ["Caffè", "Ferramenta", "Tessuti", "Officina", "Panificio", "Studio", "Trattoria", "Cantina",
                             "Farmacia", "Libreria", "Autofficina", "Ottica", "Gelateria", "Tipografia", "Vivaio", "Elettro"]
    static let lastNames = ["Rossi", "Bianchi", "Verdi", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti",
                            "De Luca", "Costa", "Giordano", "Mancini", "Rizzo", "Lombardi", "Moretti", "Barbieri"]
    static let forms = ["S.r.l.", "S.n.c.", "S.p.A.", "& Figli", "S.a.s.", ""]
    static let methods = ["bank_transfer", "bank_transfer", "bank_transfer", "card", "sepa_dd", "cash", "cheque", "riba", "riba"]

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

    func money(_ cents: Int64) -> JSONValue {
        let sign = cents < 0 ? "-" : ""
        let value = abs(cents)
        let fraction = value % 100
        return .string("\(sign)\(value / 100).\(fraction < 10 ? "0" : "")\(fraction)")
    }

    func clientID(_ index: Int) -> String { "C\(index < 9 ? "0" : "")\(index + 1)" }

    mutating func add(_ type: String, _ data: JSONObject, on day: Day, key: String? = nil) {
        let stated = EventType(rawValue: type)?.ownDateField == nil ? day : nil
        events.append(EventInput(type: type, data: data, key: key, effective: stated))
    }

    mutating func run() -> [EventInput] {
        let start = history.firstDay
        add("SettingsChanged", [
            "company": "Officina Demo S.r.l.", "iban": "IT60X0542811101000000123456", "bic": "BPMOIT22XXX",
            "sender": "amministrazione@officina-demo.example", "paymentLink": "https://pay.officina-demo.example/{deadline}?amount={amount}",
            "timezone": "Europe/Rome", "currency": "EUR",
            "reminder": ["leadDays": 5, "everyDays": 7, "template": "default", "maxCount": 6],
        ], on: start)
        for index in 0..<history.clientCount {
            let first = Self.firstNames[Int.random(in: 0..<Self.firstNames.count, using: &random)]
            let last = Self.lastNames[index % Self.lastNames.count]
            let form = Self.forms[Int.random(in: 0..<Self.forms.count, using: &random)]
            let name = [first, last, form].filter { !$0.isEmpty }.joined(separator: " ")
            var data: JSONObject = ["client": .string(clientID(index)), "name": .string(name),
                                    "email": .string("amministrazione@cliente\(index + 1).example")]
            if index % 7 == 3 { data["locale"] = "en" }
            if index % 5 != 4 { data["vat"] = .string("IT\(String(10_000_000_000 + UInt64(index) * 7_919_113))") }
            add("ClientRegistered", data, on: start, key: "crm-\(clientID(index))")
            let spend = Int64.random(in: 80_000...900_000, using: &random)
            monthlySpend.append(spend)
            // Most clients get a limit of about three months of purchases; two are kept tight on purpose.
            let limit: Int64 = index == 1 ? spend * 2 : index == 2 ? spend : spend * 3
            limits.append(limit)
            exposure.append(0)
            if index % 6 != 5 {
                add("CreditLimitSet", ["client": .string(clientID(index)), "limit": money(limit),
                                       "warnAt": .number(Double([70, 80, 80, 90][index % 4]))], on: start)
            }
        }
        var day = start
        while day <= history.lastDay {
            simulate(day)
            day = day.adding(days: 1)
        }
        // The office raised the second client's limit last week, to just above what it owes:
        // the demo shows one client near its limit (warning) beside the one over it.
        if history.clientCount > 1 && exposure[1] > 0 {
            add("CreditLimitSet", ["client": .string(clientID(1)), "limit": money(exposure[1] * 100 / 88), "warnAt": 80],
                on: history.lastDay.adding(days: -7))
        }
        return events
    }

    mutating func simulate(_ day: Day) {
        let isWorkingDay = day.weekday <= 5
        clearOrBounce(day)
        if isWorkingDay {
            for client in 0..<history.clientCount where chance(6) { issueInvoice(client, day) }
            payDeadlines(day)
            applyDownPayments(day)
        }
        sendReminders(day)
    }

    mutating func issueInvoice(_ client: Int, _ day: Day) {
        invoiceCount += 1
        let invoice = "\(day.year)/\(String(10_000 + invoiceCount).dropFirst())"
        let base = monthlySpend[client] / 3
        // The clients kept near and over their limits buy more than they pay for.
        let boost: Int64 = client == 1 || client == 2 ? 2 : 1
        let amount = max(5_000, Int64.random(in: base / 2...base * 2, using: &random) * boost)
        add("InvoiceIssued", ["invoice": .string(invoice), "client": .string(clientID(client)), "issued": .string(day.description),
                              "amount": money(amount), "number": .string(invoice),
                              "description": .string(["Forniture", "Servizi di manutenzione", "Materiali", "Consulenza", "Noleggio"][invoiceCount % 5])],
            on: day, key: "erp-\(invoice)")
        exposure[client] += amount
        let instalments = [1, 1, 1, 2, 2, 3, 4][Int.random(in: 0..<7, using: &random)]
        var left = amount
        let endOfMonthTerms = chance(50)
        for part in 1...instalments {
            let share = part == instalments ? left : amount / Int64(instalments)
            left -= share
            let due = endOfMonthTerms ? day.adding(days: 30 * part).endOfMonth : day.adding(days: 30 * part)
            let deadline = "\(invoice)-\(part)"
            add("DeadlineSet", ["deadline": .string(deadline), "client": .string(clientID(client)), "due": .string(due.description),
                                "amount": money(share), "invoice": .string(invoice)], on: day)
            open.append(OpenDeadline(id: deadline, client: client, invoice: invoice, due: due, outstanding: share))
        }
        // A down payment now and then, held on account until it is applied.
        if chance(8) {
            paymentCount += 1
            let payment = "P\(paymentCount)"
            let downPayment = amount / 5
            add("PaymentReceived", ["payment": .string(payment), "client": .string(clientID(client)), "amount": money(downPayment),
                                    "received": .string(day.description), "method": "bank_transfer", "reference": .string("Acconto \(invoice)")],
                on: day)
            onAccount.append((payment, client, downPayment, day))
            exposure[client] -= downPayment
        }
    }

    mutating func payDeadlines(_ day: Day) {
        var index = 0
        while index < open.count {
            let deadline = open[index]
            let lateness = deadline.due.days(to: day)
            // Most pay within a few days of the due date; the tight clients pay late; some never do.
            let payToday: Bool
            switch deadline.client {
            case 1, 2: payToday = lateness > 45 && chance(4)
            case let client where client % 9 == 8: payToday = lateness > 60 && chance(3)
            default: payToday = lateness >= -3 && (lateness > 10 ? chance(12) : chance(30))
            }
            if payToday {
                pay(index, day)
                if open[index].outstanding == 0 { open.remove(at: index); continue }
            } else if lateness == 1 && !deadline.postponed && chance(4) {
                let newDue = deadline.due.adding(days: 30)
                add("DeadlinePostponed", ["deadline": .string(deadline.id), "due": .string(newDue.description),
                                          "reason": "Richiesta del cliente"], on: day)
                open[index].due = newDue
                open[index].postponed = true
            }
            index += 1
        }
    }

    mutating func pay(_ index: Int, _ day: Day) {
        let deadline = open[index]
        paymentCount += 1
        let payment = "P\(paymentCount)"
        let method = Self.methods[Int.random(in: 0..<Self.methods.count, using: &random)]
        // Now and then a partial payment (an instalment of the instalment).
        let amount = chance(15) && deadline.outstanding > 10_000 ? deadline.outstanding / 2 : deadline.outstanding
        var data: JSONObject = ["payment": .string(payment), "client": .string(clientID(deadline.client)), "amount": money(amount),
                                "received": .string(day.description), "method": .string(method),
                                "allocations": [["deadline": .string(deadline.id), "amount": money(amount)]]]
        if method == "cheque" { data["reference"] = .string("Assegno n. \(1_000_000 + paymentCount)") }
        add("PaymentReceived", data, on: day)
        if method == "cheque" || method == "riba" {
            pending.append(PendingPayment(id: payment, client: deadline.client, amount: amount, received: day,
                                          clearsOn: day.adding(days: Int.random(in: 2...10, using: &random)), bounces: chance(12)))
        } else {
            exposure[deadline.client] -= amount
        }
        open[index].outstanding -= amount
    }

    mutating func clearOrBounce(_ day: Day) {
        var index = 0
        while index < pending.count {
            let payment = pending[index]
            guard payment.clearsOn <= day else { index += 1; continue }
            if payment.bounces {
                add("PaymentBounced", ["payment": .string(payment.id), "date": .string(day.description), "reason": "Insoluto"], on: day)
                reopen(payment.id)
            } else {
                add("PaymentCleared", ["payment": .string(payment.id), "date": .string(day.description)], on: day)
                exposure[payment.client] -= payment.amount
            }
            pending.remove(at: index)
        }
    }

    /// A bounced payment's deadline is open again for what it had covered.
    mutating func reopen(_ payment: String) {
        guard let event = events.last(where: { $0.type == "PaymentReceived" && $0.data["payment"]?.stringValue == payment }),
              case .array(let allocations)? = event.data["allocations"] else { return }
        for allocation in allocations {
            guard let deadline = allocation.objectValue?["deadline"]?.stringValue,
                  let text = allocation.objectValue?["amount"]?.stringValue,
                  let cents = Int64(text.replacingDot()) else { continue }
            if let index = open.firstIndex(where: { $0.id == deadline }) {
                open[index].outstanding += cents
            } else if let client = Int(event.data["client"]?.stringValue?.dropFirst() ?? "").map({ $0 - 1 }),
                      let due = events.last(where: { $0.type == "DeadlineSet" && $0.data["deadline"]?.stringValue == deadline })?.data["due"]?.stringValue.flatMap(Day.init(iso:)) {
                open.append(OpenDeadline(id: deadline, client: client, invoice: "", due: due, outstanding: cents, postponed: true))
            }
        }
    }

    mutating func applyDownPayments(_ day: Day) {
        var index = 0
        while index < onAccount.count {
            let credit = onAccount[index]
            guard credit.received.days(to: day) >= 20,
                  let target = open.firstIndex(where: { $0.client == credit.client && $0.outstanding > 0 }) else { index += 1; continue }
            let amount = min(credit.remainder, open[target].outstanding)
            add("PaymentAllocated", ["payment": .string(credit.payment),
                                     "allocations": [["deadline": .string(open[target].id), "amount": money(amount)]]], on: day)
            open[target].outstanding -= amount
            if open[target].outstanding == 0 { open.remove(at: target) }
            onAccount[index].remainder -= amount
            if onAccount[index].remainder == 0 { onAccount.remove(at: index) } else { index += 1 }
        }
    }

    mutating func sendReminders(_ day: Day) {
        for index in open.indices {
            let deadline = open[index]
            // The default plan: five days before the due date, then weekly, at most six times.
            let first = deadline.due.adding(days: -5)
            let offset = first.days(to: day)
            guard offset >= 0, offset % 7 == 0, offset / 7 < 6, !deadline.reminded.contains(day), chance(90) else { continue }
            let sentAt = Timestamp(millisecondsSinceEpoch: Int64(day.daysSinceEpoch) * 86_400_000 + 8 * 3_600_000)
            add("ReminderSent", ["deadline": .string(deadline.id), "sentAt": .string(sentAt.description),
                                 "to": .string("amministrazione@cliente\(deadline.client + 1).example"),
                                 "template": "default", "slot": .string(day.description), "channel": "email"], on: day)
            open[index].reminded.insert(day)
        }
    }
}

private extension String {
    /// "12.30" as cents, for the generator's own bookkeeping.
    func replacingDot() -> String { split(separator: ".").joined() }
}
