import EventLog
import Receivables

/// One generated event and the business day it happened on (the bench's clock stamps a batch
/// with the end of its last event's day).
struct GeneratedEvent {
    var input: EventInput
    var day: Day
}

/// The bench's seeded generator of a company's receivables: a streaming simulation, day by day,
/// that hands out events in batches and keeps only the open entities in memory, so a history of
/// millions of events costs a few tens of MiB. The same seed and size always give the same events.
///
/// The mix (see `BenchGenerator.mixDescription`): one SettingsChanged; clients (one per 500 events)
/// registered with a key, most with a credit limit, of four kinds — punctual (45%), late (27%),
/// slow (16%) and bad payers (12%); on working days invoices (6% of them with meta), each with 1 to
/// 6 instalments (30/25/20/12/8/5%) due every 30 days or at month ends; payments of every kind —
/// bank transfer (keyed), card, SEPA direct debit, cash, other, and cheque and Ri.Ba. that are
/// pending until they clear or bounce (8%) and are then paid again; explicit allocations, payment
/// by invoice (engine-allocated), partial payments, overpayments left on account, down payments
/// held on account and allocated later (PaymentAllocated); postponements, amendments,
/// cancellations of instalments and of whole invoices; reminders five days before the due date
/// and every 14 days after it, at most four; client updates and credit limit reviews.
struct BenchGenerator {
    let seed: UInt64
    let target: Int
    let clientCount: Int
    let firstDay: Day
    private var random: SeededRandom
    private(set) var emitted = 0
    private(set) var day: Day
    private var buffer: [GeneratedEvent] = []
    private var bufferIndex = 0
    private var started = false
    /// Counts by event type of what was handed out.
    private(set) var mix: [String: Int] = [:]

    enum ClientKind: Int { case punctual, late, slow, bad }

    struct Client {
        var id: String
        var kind: ClientKind
        var spend: Int64
        var limit: Int64?
        var email: String
    }

    struct Invoice {
        var id: String
        var client: Int32
        var deadlines: [Int32]
        var hasAllocations = false
        var cancelled = false
    }

    struct Deadline {
        var id: String
        var client: Int32
        var invoice: Int32
        var due: Day
        var amount: Int64
        var outstanding: Int64
        var cancelled = false
        var touched = false
        var payOn: Day?
        var reminders = 0
    }

    struct Payment {
        var id: String
        var client: Int32
        var allocations: [(deadline: Int32, amount: Int64)]
        var remainder: Int64
    }

    enum Task {
        case pay(Int32)
        case remind(Int32)
        case postpone(Int32)
        case amend(Int32)
        case cancelDeadline(Int32)
        case cancelInvoice(Int32)
        case settle(Int32, bounce: Bool)
        case allocateDown(Int32, deadline: Int32)
    }

    private var clients: [Client] = []
    private var invoices: [Invoice] = []
    private var deadlines: [Deadline] = []
    private var payments: [Int32: Payment] = [:]
    private var paymentCount: Int32 = 0
    private var agenda: [Int32: [Task]] = [:]

    static let methods: [(String, Int)] = [("bank_transfer", 36), ("riba", 20), ("sepa_dd", 12), ("card", 8), ("cheque", 8),
                                           ("cash", 5), ("other", 2), ("bank_transfer", 9)]
    static let firstNames = ["Caffè", "Ferramenta", "Tessuti", "Officina", "Panificio", "Studio", "Trattoria", "Cantina",
                             "Farmacia", "Libreria", "Autofficina", "Ottica", "Gelateria", "Tipografia", "Vivaio", "Elettro"]
    static let lastNames = ["Rossi", "Bianchi", "Verdi", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti",
                            "De Luca", "Costa", "Giordano", "Mancini", "Rizzo", "Lombardi", "Moretti", "Barbieri"]
    static let forms = ["S.r.l.", "S.n.c.", "S.p.A.", "& Figli", "S.a.s.", ""]
    static let descriptions = ["Forniture", "Servizi di manutenzione", "Materiali", "Consulenza", "Noleggio", "Trasporti"]

    /// `target` events from `seed`, starting on `firstDay`.
    init(seed: UInt64, target: Int, firstDay: Day = Day(year: 2025, month: 1, day: 1)!) {
        self.seed = seed
        self.target = target
        self.clientCount = max(20, target / 500)
        self.firstDay = firstDay
        self.day = firstDay
        self.random = SeededRandom(seed: seed)
    }

    static let mixDescription = """
        clients: one per 500 events (at least 20): 45% punctual (pay -5..+10 days from due), 27% late (+10..+60),
         16% slow (+30..+150), 12% bad payers (half never pay, the rest +90..+240); 5/6 with a credit limit
        invoices: about 0.16 per client per working day, 1 to 6 instalments (30/25/20/12/8/5%), due every 30 days or at month ends
        payments: bank transfer 45% (keyed), Ri.Ba. 20%, SEPA DD 12%, card 8%, cheque 8%, cash 5%, other 2%;
                  cheques and Ri.Ba. pending until cleared (92%) or bounced (8%, then paid again by transfer);
                  12% partial, 2% overpaid (rest on account), 8% of invoices with a down payment allocated later,
                  single-instalment invoices paid by invoice half the time (the engine allocates)
        deadlines: 4% postponed by 30 days, 1% amended, 0.5% cancelled; 1.5% of invoices cancelled
        reminders: 5 days before due (half sent), then every 14 days while something is outstanding (90% sent), at most 4
        master data: client updates (0.1%/client/day), credit limit reviews monthly (10% of clients)
        """

    // MARK: Handing out

    /// The next up to `count` events; fewer (or none) at the end.
    mutating func next(_ count: Int) -> [GeneratedEvent] {
        var out: [GeneratedEvent] = []
        out.reserveCapacity(count)
        while out.count < count && emitted < target {
            if bufferIndex >= buffer.count {
                buffer.removeAll(keepingCapacity: true)
                bufferIndex = 0
                if !started { start(); started = true } else { simulateDay() }
                continue
            }
            let event = buffer[bufferIndex]
            bufferIndex += 1
            emitted += 1
            mix[event.input.type, default: 0] += 1
            out.append(event)
        }
        return out
    }

    /// The day of the last event handed out.
    var lastDay: Day { bufferIndex > 0 ? buffer[bufferIndex - 1].day : day }

    // MARK: Helpers

    private mutating func chance(_ perMille: Int) -> Bool { Int.random(in: 0..<1000, using: &random) < perMille }
    private mutating func between(_ low: Int, _ high: Int) -> Int { Int.random(in: low...high, using: &random) }

    static func money(_ cents: Int64) -> JSONValue {
        let fraction = cents % 100
        return .string("\(cents / 100).\(fraction < 10 ? "0" : "")\(fraction)")
    }

    private mutating func add(_ type: String, _ data: JSONObject, key: String? = nil, meta: JSONObject? = nil) {
        let stated = EventType(rawValue: type)?.ownDateField == nil ? day : nil
        buffer.append(GeneratedEvent(input: EventInput(type: type, data: data, key: key, effective: stated, meta: meta), day: day))
    }

    private mutating func schedule(_ task: Task, on when: Day) {
        let at = max(when, day.adding(days: 1))
        agenda[at.daysSinceEpoch, default: []].append(task)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    // MARK: The simulation

    private mutating func start() {
        add("SettingsChanged", [
            "company": "Officina Bench S.r.l.", "iban": "IT60X0542811101000000123456", "bic": "BPMOIT22XXX",
            "sender": "amministrazione@officina-bench.example", "timezone": "Europe/Rome", "currency": "EUR",
            "paymentLink": "https://pay.officina-bench.example/{deadline}?amount={amount}",
            "reminder": ["leadDays": 5, "everyDays": 14, "template": "default", "maxCount": 4],
        ])
        for index in 0..<clientCount {
            let id = "C" + Self.pad(index + 1, 5)
            let roll = between(0, 99)
            let kind: ClientKind = roll < 45 ? .punctual : roll < 72 ? .late : roll < 88 ? .slow : .bad
            let first = Self.firstNames[between(0, Self.firstNames.count - 1)]
            let last = Self.lastNames[between(0, Self.lastNames.count - 1)]
            let form = Self.forms[between(0, Self.forms.count - 1)]
            let email = "amministrazione@cliente\(index + 1).example"
            var data: JSONObject = ["client": .string(id), "name": .string([first, last, form].filter { !$0.isEmpty }.joined(separator: " ")),
                                    "email": .string(email)]
            if index % 7 == 3 { data["locale"] = "en" }
            if index % 5 != 4 { data["vat"] = .string("IT" + Self.pad(10_000_000 + index * 7919, 11)) }
            add("ClientRegistered", data, key: "crm-\(id)")
            let spend = Int64(between(150_000, 1_500_000))
            var limit: Int64?
            if index % 6 != 5 {
                limit = kind == .bad ? spend * 2 : spend * 4
                add("CreditLimitSet", ["client": .string(id), "limit": Self.money(limit!), "warnAt": .number(Double([70, 80, 80, 90][index % 4]))])
            }
            clients.append(Client(id: id, kind: kind, spend: spend, limit: limit, email: email))
        }
    }

    private mutating func simulateDay() {
        day = day.adding(days: 1)
        let tasks = agenda.removeValue(forKey: day.daysSinceEpoch) ?? []
        for task in tasks { run(task) }
        if day.weekday <= 5 {
            for client in 0..<clientCount where chance(160) { issueInvoice(Int32(client)) }
            var updates = clientCount / 1000
            if chance(clientCount % 1000) { updates += 1 }
            if updates > 0 {
                for _ in 0..<updates {
                    let client = between(0, clientCount - 1)
                    add("ClientUpdated", ["client": .string(clients[client].id),
                                          "email": .string("contabilita\(between(1, 9))@cliente\(client + 1).example")])
                }
            }
        }
        if day.day == 1 {
            for index in 0..<clientCount where clients[index].limit != nil && chance(100) {
                let limit = clients[index].spend * Int64(between(2, 5))
                clients[index].limit = limit
                add("CreditLimitSet", ["client": .string(clients[index].id), "limit": Self.money(limit)])
            }
        }
    }

    private mutating func issueInvoice(_ client: Int32) {
        let info = clients[Int(client)]
        let number = invoices.count + 1
        let invoiceID = "\(day.year)/" + Self.pad(number, 7)
        let amount = max(5_000, Int64(between(Int(info.spend / 6), Int(info.spend / 2))))
        var data: JSONObject = ["invoice": .string(invoiceID), "client": .string(info.id), "issued": .string(day.description),
                                "amount": Self.money(amount), "number": .string(Self.pad(number, 7)),
                                "description": .string(Self.descriptions[number % Self.descriptions.count])]
        if number % 3 == 0 { data["description"] = nil }
        add("InvoiceIssued", data, key: "erp-\(invoiceID)", meta: number % 16 == 0 ? ["actor": "erp", "batch": .string(day.description)] : nil)
        let roll = between(0, 99)
        let instalments = roll < 30 ? 1 : roll < 55 ? 2 : roll < 75 ? 3 : roll < 87 ? 4 : roll < 95 ? 5 : 6
        let invoiceIndex = Int32(invoices.count)
        invoices.append(Invoice(id: invoiceID, client: client, deadlines: []))
        let endOfMonth = chance(500)
        var left = amount
        for part in 1...instalments {
            let share = part == instalments ? left : amount / Int64(instalments)
            left -= share
            let due = endOfMonth ? day.adding(days: 30 * part).endOfMonth : day.adding(days: 30 * part)
            let deadlineID = "\(invoiceID)-\(part)"
            add("DeadlineSet", ["deadline": .string(deadlineID), "client": .string(info.id), "due": .string(due.description),
                                "amount": Self.money(share), "invoice": .string(invoiceID)])
            let index = Int32(deadlines.count)
            deadlines.append(Deadline(id: deadlineID, client: client, invoice: invoiceIndex, due: due, amount: share, outstanding: share))
            invoices[Int(invoiceIndex)].deadlines.append(index)
            planPayment(index)
            schedule(.remind(index), on: due.adding(days: -5))
            if chance(40) { schedule(.postpone(index), on: due.adding(days: -2)) }
            if chance(10) { schedule(.amend(index), on: day.adding(days: 2)) }
            if instalments > 1 && chance(5) { schedule(.cancelDeadline(index), on: day.adding(days: 3)) }
        }
        if chance(15) { schedule(.cancelInvoice(invoiceIndex), on: day.adding(days: between(1, 5))) }
        // A down payment now and then, held on account until it is allocated to the first instalment.
        if chance(80) {
            let payment = newPayment(client: client)
            let downPayment = amount / 5
            add("PaymentReceived", ["payment": .string(payment.id), "client": .string(info.id), "amount": Self.money(downPayment),
                                    "received": .string(day.description), "method": "bank_transfer",
                                    "reference": .string("Acconto fattura \(invoiceID)")])
            var stored = payment
            stored.remainder = downPayment
            payments[paymentCount] = stored
            schedule(.allocateDown(paymentCount, deadline: invoices[Int(invoiceIndex)].deadlines[0]), on: day.adding(days: 20))
        }
    }

    private mutating func newPayment(client: Int32) -> Payment {
        paymentCount += 1
        return Payment(id: "P" + Self.pad(Int(paymentCount), 8), client: client, allocations: [], remainder: 0)
    }

    /// When the client will pay this deadline, by its kind.
    private mutating func planPayment(_ index: Int32) {
        let deadline = deadlines[Int(index)]
        let lateness: Int?
        switch clients[Int(deadline.client)].kind {
        case .punctual: lateness = between(-5, 10)
        case .late: lateness = between(10, 60)
        case .slow: lateness = between(30, 150)
        case .bad: lateness = chance(500) ? nil : between(90, 240)
        }
        guard let lateness else { deadlines[Int(index)].payOn = nil; return }
        let when = max(deadline.due.adding(days: lateness), day.adding(days: 1))
        deadlines[Int(index)].payOn = when
        schedule(.pay(index), on: when)
    }

    private mutating func run(_ task: Task) {
        switch task {
        case .pay(let index):
            let deadline = deadlines[Int(index)]
            guard deadline.payOn == day, !deadline.cancelled, deadline.outstanding > 0 else { return }
            pay(index)
        case .remind(let index):
            let deadline = deadlines[Int(index)]
            guard !deadline.cancelled, deadline.outstanding > 0, deadline.reminders < 4 else { return }
            deadlines[Int(index)].reminders += 1
            // Half the reminders before the due date are sent; 90% of those after it.
            if chance(deadline.due > day ? 500 : 900) {
                let sentAt = Timestamp(millisecondsSinceEpoch: Int64(day.daysSinceEpoch) * 86_400_000 + 8 * 3_600_000 + Int64(index % 3_600) * 1000)
                add("ReminderSent", ["deadline": .string(deadline.id), "sentAt": .string(sentAt.description),
                                     "to": .string(clients[Int(deadline.client)].email), "template": "default",
                                     "slot": .string(day.description), "channel": "email",
                                     "messageId": .string("<\(deadline.id)-\(day.description)@officina-bench.example>")])
            }
            schedule(.remind(index), on: day.adding(days: 14))
        case .postpone(let index):
            let deadline = deadlines[Int(index)]
            guard !deadline.cancelled, deadline.outstanding > 0 else { return }
            let newDue = deadline.due.adding(days: 30)
            add("DeadlinePostponed", ["deadline": .string(deadline.id), "due": .string(newDue.description), "reason": "Richiesta del cliente"])
            deadlines[Int(index)].due = newDue
            if let payOn = deadline.payOn, payOn > day {
                deadlines[Int(index)].payOn = payOn.adding(days: 30)
                schedule(.pay(index), on: payOn.adding(days: 30))
            }
        case .amend(let index):
            let deadline = deadlines[Int(index)]
            guard !deadline.cancelled, !deadline.touched, deadline.outstanding == deadline.amount, deadline.amount > 2_000 else { return }
            let amount = deadline.amount - deadline.amount / 10
            add("DeadlineAmended", ["deadline": .string(deadline.id), "amount": Self.money(amount), "description": "Sconto concordato"])
            deadlines[Int(index)].amount = amount
            deadlines[Int(index)].outstanding = amount
        case .cancelDeadline(let index):
            let deadline = deadlines[Int(index)]
            guard !deadline.cancelled, !deadline.touched else { return }
            add("DeadlineCancelled", ["deadline": .string(deadline.id), "reason": "Rata stornata"])
            deadlines[Int(index)].cancelled = true
        case .cancelInvoice(let invoiceIndex):
            let invoice = invoices[Int(invoiceIndex)]
            guard !invoice.cancelled, !invoice.hasAllocations,
                  invoice.deadlines.allSatisfy({ !deadlines[Int($0)].touched }) else { return }
            add("InvoiceCancelled", ["invoice": .string(invoice.id), "date": .string(day.description), "reason": "Nota di credito"])
            invoices[Int(invoiceIndex)].cancelled = true
            for index in invoice.deadlines { deadlines[Int(index)].cancelled = true }
        case .settle(let paymentIndex, let bounce):
            guard let payment = payments.removeValue(forKey: paymentIndex) else { return }
            if bounce {
                add("PaymentBounced", ["payment": .string(payment.id), "date": .string(day.description), "reason": "Insoluto"])
                for allocation in payment.allocations {
                    deadlines[Int(allocation.deadline)].outstanding += allocation.amount
                    deadlines[Int(allocation.deadline)].payOn = day.adding(days: between(15, 40))
                    schedule(.pay(allocation.deadline), on: deadlines[Int(allocation.deadline)].payOn!)
                }
            } else {
                add("PaymentCleared", ["payment": .string(payment.id), "date": .string(day.description)])
            }
        case .allocateDown(let paymentIndex, let target):
            guard var payment = payments[paymentIndex] else { return }
            let deadline = deadlines[Int(target)]
            payments[paymentIndex] = nil
            guard !deadline.cancelled, deadline.outstanding > 0 else { return }
            let amount = min(payment.remainder, deadline.outstanding)
            add("PaymentAllocated", ["payment": .string(payment.id),
                                     "allocations": [["deadline": .string(deadline.id), "amount": Self.money(amount)]]])
            payment.remainder -= amount
            deadlines[Int(target)].outstanding -= amount
            deadlines[Int(target)].touched = true
            invoices[Int(deadline.invoice)].hasAllocations = true
        }
    }

    private mutating func pay(_ index: Int32) {
        let deadline = deadlines[Int(index)]
        let client = clients[Int(deadline.client)]
        var payment = newPayment(client: deadline.client)
        var roll = between(0, 99)
        var method = "bank_transfer"
        for (name, weight) in Self.methods {
            if roll < weight { method = name; break }
            roll -= weight
        }
        let partial = chance(120) && deadline.outstanding > 10_000
        let allocated = partial ? deadline.outstanding / 2 : deadline.outstanding
        let overpaid = !partial && chance(20)
        let amount = overpaid ? allocated + Int64(between(100, 5_000)) : allocated
        var data: JSONObject = ["payment": .string(payment.id), "client": .string(client.id), "amount": Self.money(amount),
                                "received": .string(day.description), "method": .string(method)]
        let invoice = invoices[Int(deadline.invoice)]
        if invoice.deadlines.count == 1 && !overpaid && chance(500) {
            data["invoice"] = .string(invoice.id)
        } else {
            data["allocations"] = [["deadline": .string(deadline.id), "amount": Self.money(allocated)]]
        }
        if method == "cheque" { data["reference"] = .string("Assegno n. \(1_000_000 + Int(paymentCount))") }
        if method == "riba" { data["reference"] = .string("RiBa \(deadline.id)") }
        add("PaymentReceived", data, key: method == "bank_transfer" ? "bank-\(payment.id)" : nil)
        deadlines[Int(index)].outstanding -= allocated
        deadlines[Int(index)].touched = true
        invoices[Int(deadline.invoice)].hasAllocations = true
        if method == "cheque" || method == "riba" {
            payment.allocations = [(index, allocated)]
            payments[paymentCount] = payment
            schedule(.settle(paymentCount, bounce: chance(80)), on: day.adding(days: between(2, 10)))
        }
        if partial {
            deadlines[Int(index)].payOn = day.adding(days: between(20, 40))
            schedule(.pay(index), on: deadlines[Int(index)].payOn!)
        }
    }
}
