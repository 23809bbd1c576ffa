import EventLog
import Foundation
@testable import Receivables

// A seeded generator of plausible receivables histories, in the contract's input form
// (CONTRACT 3 and 4). It keeps a rough model of its own so that most events it proposes are
// valid, but the engine decides: `SimulationDriver` appends each batch and drops what the
// engine rejects, and the rough model takes in only the accepted events.

/// SplitMix64: small, fast, and the same sequence on every platform for a seed.
struct SplitMix64: RandomNumberGenerator {
    private(set) var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    mutating func int64(_ range: ClosedRange<Int64>) -> Int64 {
        range.lowerBound + Int64(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    /// A uniform double in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }

    mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }

    mutating func pickOptional<T>(_ items: [T]) -> T? { items.isEmpty ? nil : pick(items) }

    /// An index chosen by weight.
    mutating func weighted(_ weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        var point = unit() * total
        for (index, weight) in weights.enumerated() {
            if point < weight { return index }
            point -= weight
        }
        return weights.count - 1
    }
}

/// The generator's own, rough picture of the store: enough to propose mostly valid events.
/// Amounts are in cents. It is not the model the test judges the engine by (`NaiveModel`).
struct RoughModel {
    struct Invoice {
        var client: String
        var amount: Int64
        var issued: Day
        var cancelled = false
        var deadlines: [String] = []
    }

    struct Deadline {
        var client: String
        var invoice: String?
        var amount: Int64
        var due: Day
        var cancelled = false
        /// Paid plus pending: what its payments cover.
        var covered: Int64 = 0
        var outstanding: Int64 { amount - covered }
    }

    enum PaymentStatus { case pending, cleared, bounced }

    struct Payment {
        var client: String
        var amount: Int64
        var received: Day
        var status: PaymentStatus
        var clearedOn: Day?
        var allocations: [(deadline: String, amount: Int64)] = []
        var unallocated: Int64 {
            status == .bounced ? 0 : amount - allocations.reduce(0) { $0 + $1.amount }
        }
    }

    var clients: [String] = []
    var emails: [String: String] = [:]
    var limits: [String: Int64] = [:]
    var invoices: [String: Invoice] = [:]
    var deadlines: [String: Deadline] = [:]
    var payments: [String: Payment] = [:]
    var invoicesOf: [String: [String]] = [:]
    var deadlinesOf: [String: [String]] = [:]
    var pendingPayments: [String] = []
    var paymentsWithRemainder: [String] = []
    var allPayments: [String] = []
    var allDeadlines: [String] = []
    var slots: Set<String> = []
    var templateSaved = false

    func isLive(_ deadline: Deadline) -> Bool {
        if deadline.cancelled { return false }
        if let invoice = deadline.invoice, invoices[invoice]?.cancelled == true { return false }
        return true
    }

    func liveTotal(of invoiceID: String) -> Int64 {
        guard let invoice = invoices[invoiceID] else { return 0 }
        return invoice.deadlines.compactMap { deadlines[$0] }.filter { isLive($0) }.reduce(0) { $0 + $1.amount }
    }

    /// A client's live deadlines with something outstanding, earliest due first.
    func openDeadlines(of client: String) -> [String] {
        (deadlinesOf[client] ?? []).filter { id in
            guard let deadline = deadlines[id] else { return false }
            return isLive(deadline) && deadline.outstanding > 0
        }.sorted { (deadlines[$0]!.due, $0) < (deadlines[$1]!.due, $1) }
    }

    /// A rough exposure: what the client's live deadlines still have outstanding.
    func roughExposure(of client: String) -> Int64 {
        (deadlinesOf[client] ?? []).reduce(0) { sum, id in
            guard let deadline = deadlines[id], isLive(deadline) else { return sum }
            return sum + max(0, deadline.outstanding)
        }
    }

    mutating func allocate(_ allocations: [(deadline: String, amount: Int64)], to paymentID: String) {
        guard var payment = payments[paymentID], payment.status != .bounced else { return }
        for allocation in allocations {
            guard deadlines[allocation.deadline] != nil else { continue }
            deadlines[allocation.deadline]!.covered += allocation.amount
            if let index = payment.allocations.firstIndex(where: { $0.deadline == allocation.deadline }) {
                payment.allocations[index].amount += allocation.amount
            } else {
                payment.allocations.append(allocation)
            }
        }
        payments[paymentID] = payment
    }

    /// Allocation by invoice as CONTRACT 5.2 describes it (roughly: the engine's is recorded).
    func byInvoice(_ invoiceID: String, amount: Int64) -> [(deadline: String, amount: Int64)] {
        guard let invoice = invoices[invoiceID] else { return [] }
        var left = amount
        var made: [(deadline: String, amount: Int64)] = []
        let candidates = invoice.deadlines.filter { id in
            guard let deadline = deadlines[id] else { return false }
            return isLive(deadline) && deadline.outstanding > 0
        }.sorted { (deadlines[$0]!.due, $0) < (deadlines[$1]!.due, $1) }
        for id in candidates where left > 0 {
            let share = min(left, deadlines[id]!.outstanding)
            made.append((id, share))
            left -= share
        }
        return made
    }
}

/// One event the generator proposes, with what it does to the rough model if accepted.
struct GeneratedEvent {
    var input: EventInput
    var effect: (inout RoughModel) -> Void
    /// A retried keyed event: the seq the store must answer with, appending nothing (CONTRACT 3).
    var retryOf: UInt64?
}

struct GeneratedBatch {
    var now: Timestamp
    var events: [GeneratedEvent]
}

/// Proposes batches of events over simulated days.
final class WorkloadGenerator {
    let seed: UInt64
    private var random: SplitMix64
    /// The model as the accepted events left it.
    private(set) var model = RoughModel()
    /// The model while a batch is being proposed: the accepted model plus the batch so far.
    private var work = RoughModel()
    private var pending: [GeneratedEvent] = []
    /// Accepted keyed inputs with their seqs, for retries and for misuse of a used key.
    private var keyed: [(input: EventInput, seq: UInt64)] = []
    private var keyCounter = 0

    /// The first simulated day.
    let firstDay = Day(iso: "2025-01-06")!
    /// The simulated day of the batch being proposed.
    private(set) var today: Day
    private var batchInDay = 0
    private var batchesToday = 1
    private var started = false
    private var clientTarget: Int
    private var counter = 0
    /// The share of events recorded late (dated days or weeks before `now`).
    let lateShare = 0.05
    private(set) var lateCount = 0

    init(seed: UInt64) {
        self.seed = seed
        random = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D &+ 0x1234_5678)
        today = firstDay
        clientTarget = 0  // every property is set before `random` may be used
        clientTarget = random.int(5...15)
    }

    // MARK: Batches

    /// The next batch, recorded at a later time than the one before.
    func nextBatch() -> GeneratedBatch {
        work = model
        pending = []
        if !started {
            started = true
            opening()
            return GeneratedBatch(now: timestamp(of: today, hour: 8), events: pending)
        }
        batchInDay += 1
        if batchInDay >= batchesToday {
            today = today.adding(days: random.chance(0.15) ? 2 : 1)
            batchInDay = 0
            batchesToday = random.chance(0.3) ? 2 : 1
        }
        let size = random.int(15...35)
        while pending.count < size { action() }
        var hour = batchesToday == 1 ? random.int(8...16) : (batchInDay == 0 ? random.int(7...11) : random.int(12...17))
        // Now and then the last batch of a day is recorded late in the evening (UTC): already
        // the next day in Rome, which is the day the events without a date of their own get.
        if batchInDay == batchesToday - 1 && random.chance(0.04) { hour = 23 }
        return GeneratedBatch(now: timestamp(of: today, hour: hour), events: pending)
    }

    /// Takes in the events of `batch` the engine accepted (by index, in order) and their seqs.
    func commit(_ batch: GeneratedBatch, accepted: [Int], seqs: [UInt64]) {
        var next = model
        for (position, index) in accepted.enumerated() {
            let event = batch.events[index]
            event.effect(&next)
            if event.retryOf == nil, event.input.key != nil { keyed.append((event.input, seqs[position])) }
        }
        model = next
        work = next
    }

    /// Now and then a payment gets a document (a receipt): its id, file name and bytes.
    func document() -> (payment: String, name: String, bytes: [UInt8])? {
        guard random.chance(0.1), let payment = random.pickOptional(Array(model.allPayments.suffix(100))) else { return nil }
        counter += 1
        let pdf = random.chance(0.7)
        let bytes = Array(((pdf ? "%PDF-1.4\n" : "") + "ricevuta \(payment) n. \(counter)\n").utf8)
        return (payment, "ricevuta-\(payment)-\(counter).\(pdf ? "pdf" : "txt")", bytes)
    }

    private func timestamp(of day: Day, hour: Int) -> Timestamp {
        let base = Int64(day.daysSinceEpoch) * 86_400_000
        return Timestamp(millisecondsSinceEpoch: base + Int64(hour) * 3_600_000 + Int64(random.int(0...3_599_999)))
    }

    private func emit(_ type: String, _ data: JSONObject, effective: Day? = nil, key: String? = nil,
                      _ effect: @escaping (inout RoughModel) -> Void = { _ in }) {
        var input = EventInput(type: type, data: data, key: key, effective: effective)
        if input.key == nil && random.chance(0.08) {
            keyCounter += 1
            input.key = "erp-\(seed)-\(keyCounter)"
        }
        if random.chance(0.02) { input.meta = ["actor": .string(random.pick(["anna", "marco", "erp"]))] }
        pending.append(GeneratedEvent(input: input, effect: effect, retryOf: nil))
        effect(&work)
        if !keyed.isEmpty && random.chance(0.01) { keyReuse() }
    }

    /// An application retrying a keyed event (harmless: the store answers with the earlier seq),
    /// or, now and then, sending a different event under a used key (an error).
    private func keyReuse() {
        let (earlier, seq) = random.pick(keyed)
        if random.chance(0.8) {
            pending.append(GeneratedEvent(input: earlier, effect: { _ in }, retryOf: seq))
        } else {
            var other = earlier
            other.meta = ["actor": "someone else"]
            pending.append(GeneratedEvent(input: other, effect: { _ in }, retryOf: nil))
        }
    }

    private func nextID(_ prefix: String) -> String {
        counter += 1
        // Not zero-padded: "D10" sorts before "D9", so an order by id is not the order of creation.
        return "\(prefix)\(counter)"
    }

    // MARK: Values

    /// An amount as the contract accepts it, in one of its spellings.
    private func money(_ cents: Int64) -> JSONValue {
        let whole = cents / 100, part = cents % 100
        if part == 0 && random.chance(0.5) { return .string("\(whole)") }
        if part % 10 == 0 && random.chance(0.5) { return .string("\(whole).\(part / 10)") }
        return .string("\(whole).\(part < 10 ? "0" : "")\(part)")
    }

    private func amount(_ low: Int64, _ high: Int64) -> Int64 {
        let cents = random.int64(low...high)
        // Round amounts are common in invoices.
        return random.chance(0.3) ? max(100, cents / 100 * 100) : cents
    }

    /// A late business date: days or weeks before today, never before the first day.
    private func lateDay() -> Day {
        let back = random.chance(0.7) ? random.int(1...10) : random.int(11...45)
        return max(firstDay, today.adding(days: -back))
    }

    private func isLate() -> Bool {
        let late = random.chance(lateShare)
        if late { lateCount += 1 }
        return late
    }

    /// The business date for a type without its own date: nil (the recording day) or a late one.
    private func effectiveDate() -> Day? {
        if isLate() { return lateDay() }
        // Rarely dated ahead (a change that takes effect next week).
        if random.chance(0.005) { return today.adding(days: random.int(1...10)) }
        return random.chance(0.03) ? today : nil
    }

    private func ownDate(notBefore floor: Day) -> Day {
        isLate() ? max(floor, lateDay()) : max(floor, today)
    }

    private func reminderPlan() -> JSONValue {
        var plan: JSONObject = ["leadDays": .number(Double(random.int(0...10))),
                                "everyDays": .number(Double(random.pick([0, 3, 7, 14]))),
                                "template": .string(work.templateSaved && random.chance(0.4) ? "t1" : "default")]
        if random.chance(0.5) { plan["maxCount"] = .number(Double(random.int(1...4))) }
        return .object(plan)
    }

    // MARK: The opening

    private func opening() {
        emit("SettingsChanged", ["currency": "EUR", "timezone": "Europe/Rome", "company": "Rossi Forniture S.r.l.",
                                 "reminder": ["leadDays": 5, "everyDays": 7, "template": "default", "maxCount": 3]])
        emit("ReminderTemplateSaved", ["template": "t1", "locale": "it", "subject": "Scadenza {{deadline.id}}",
                                       "body": "Gentile {{client.name}}, resta da pagare {{deadline.outstanding}}."]) { $0.templateSaved = true }
        let initial = max(3, clientTarget * 2 / 3)
        for _ in 0..<initial { registerClient() }
    }

    private func registerClient() {
        let number = work.clients.count + 1
        let id = "C\(number < 10 ? "0" : "")\(number)"
        let email = "amministrazione@cliente\(number).example.com"
        var data: JSONObject = ["client": .string(id), "name": .string("Cliente \(number) S.p.A.")]
        if random.chance(0.8) { data["email"] = .string(email) }
        if random.chance(0.5) { data["locale"] = .string(random.pick(["it", "en"])) }
        if random.chance(0.5) { data["vat"] = .string("IT\(random.int(10_000_000...99_999_999))\(random.int(100...999))") }
        emit("ClientRegistered", data) { model in
            model.clients.append(id)
            model.emails[id] = email
        }
        if random.chance(0.7) { setLimit(id, exposure: 0) }
    }

    private func setLimit(_ client: String, exposure: Int64) {
        let base = max(exposure, 500_000)
        var limit = Int64(Double(base) * (0.6 + random.unit())) / 10_000 * 10_000
        if random.chance(0.03) { limit = 0 }
        var data: JSONObject = ["client": .string(client), "limit": money(limit)]
        if random.chance(0.7) { data["warnAt"] = .number(Double(random.pick([1, 50, 70, 75, 80, 90, 100]))) }
        emit("CreditLimitSet", data, effective: effectiveDate()) { $0.limits[client] = limit }
    }

    // MARK: The day's business

    private func action() {
        if work.clients.count < clientTarget && random.chance(0.01) {
            registerClient()
            return
        }
        let weights: [Double] = [
            16,  // 0 invoice with deadlines
            3,   // 1 free deadline
            22,  // 2 payment
            5,   // 3 allocation of a remainder
            7,   // 4 clearing a pending payment
            1.5, // 5 bounce
            4,   // 6 amendment
            3,   // 7 postponement
            1.5, // 8 deadline cancelled
            1,   // 9 invoice cancelled
            7,   // 10 reminder
            0.8, // 11 client updated
            1.5, // 12 credit limit
            0.2, // 13 settings or template
        ]
        switch random.weighted(weights) {
        case 0: invoice()
        case 1: freeDeadline()
        case 2: payment()
        case 3: allocateRemainder()
        case 4: clearPending()
        case 5: bounce()
        case 6: amend()
        case 7: postpone()
        case 8: cancelDeadline()
        case 9: cancelInvoice()
        case 10: reminder()
        case 11: updateClient()
        case 12:
            let client = random.pick(work.clients)
            setLimit(client, exposure: work.roughExposure(of: client))
        default: masterData()
        }
    }

    private func invoice() {
        let client = random.pick(work.clients)
        let id = nextID("I")
        let total = amount(5_000, 1_500_000)
        let issued = isLate() ? lateDay() : today
        var data: JSONObject = ["invoice": .string(id), "client": .string(client), "issued": .string(issued.description),
                                "amount": money(total)]
        if random.chance(0.7) { data["number"] = .string("\(issued.year)/\(counter)") }
        if random.chance(0.3) { data["description"] = .string(random.pick(["Fornitura materiali", "Consulenza", "Manutenzione ordinaria"])) }
        emit("InvoiceIssued", data) { model in
            model.invoices[id] = RoughModel.Invoice(client: client, amount: total, issued: issued)
            model.invoicesOf[client, default: []].append(id)
        }
        // 1 to 4 deadlines; most add up to the invoice, some leave a part without a deadline.
        let count = random.int(1...4)
        var planned = random.chance(0.9) ? total : total - total / Int64(random.int(3...10))
        planned = max(planned, Int64(count))
        var parts: [Int64] = []
        var left = planned
        for index in 0..<count {
            let share = index == count - 1 ? left : max(1, planned / Int64(count))
            parts.append(share)
            left -= share
        }
        let terms = random.pick([30, 30, 60, 45, 0, 15])
        // Some invoices split one due date in parts, whose order is then their ids' order;
        // their ids run against the order they are set in.
        let sameDue = count > 1 && random.chance(0.15)
        let letters = ["a", "b", "c", "d"].shuffled(using: &random)
        for (index, part) in parts.enumerated() where part > 0 {
            var due = issued.adding(days: sameDue ? terms : terms * (index + 1) + (terms == 0 ? index * 30 : 0))
            if random.chance(0.4) && !sameDue { due = due.adding(days: due.day == 1 ? 0 : CivilCalendar.daysInMonth(year: due.year, month: due.month) - due.day) }
            setDeadline(client: client, invoice: id, due: due, cents: part, id: sameDue ? "\(id)-\(letters[index])" : nil)
        }
    }

    private func setDeadline(client: String, invoice: String?, due: Day, cents: Int64, id chosen: String? = nil) {
        let id = chosen ?? nextID(invoice == nil ? "F" : "D")
        var data: JSONObject = ["deadline": .string(id), "client": .string(client), "due": .string(due.description),
                                "amount": money(cents)]
        if let invoice { data["invoice"] = .string(invoice) }
        if random.chance(0.2) { data["description"] = .string(invoice == nil ? "Canone" : "Rata") }
        if random.chance(0.15) { data["reminder"] = reminderPlan() }
        emit("DeadlineSet", data, effective: effectiveDate()) { model in
            model.deadlines[id] = RoughModel.Deadline(client: client, invoice: invoice, amount: cents, due: due)
            model.deadlinesOf[client, default: []].append(id)
            model.allDeadlines.append(id)
            if let invoice { model.invoices[invoice]?.deadlines.append(id) }
        }
    }

    private func freeDeadline() {
        let client = random.pick(work.clients)
        setDeadline(client: client, invoice: nil, due: today.adding(days: random.int(-5...60)), cents: amount(2_000, 300_000))
    }

    private static let methods = ["bank_transfer", "card", "cash", "cheque", "riba", "sepa_dd", "other"]

    private func payment() {
        // Clients mostly pay what falls due; pick one with something due soon, else any.
        var client = random.pick(work.clients)
        var open = work.openDeadlines(of: client)
        for _ in 0..<4 where open.first.map({ work.deadlines[$0]!.due > today.adding(days: 20) }) ?? true {
            client = random.pick(work.clients)
            open = work.openDeadlines(of: client)
        }
        let id = nextID("P")
        let method = random.pick(Self.methods)
        let received = isLate() ? lateDay() : today
        var data: JSONObject = ["payment": .string(id), "client": .string(client), "received": .string(received.description),
                                "method": .string(method)]
        var status: RoughModel.PaymentStatus = (method == "cheque" || method == "riba") ? .pending : .cleared
        if random.chance(0.15) {
            status = random.chance(0.5) ? .pending : .cleared
            data["status"] = .string(status == .pending ? "pending" : "cleared")
        }
        if random.chance(0.2) { data["reference"] = .string("CRO \(random.int(100_000...999_999))") }
        var total: Int64
        var explicit: [(deadline: String, amount: Int64)]?
        var invoiceID: String?
        let mode = random.weighted([50, 30, 20])
        let withInvoice = open.compactMap { work.deadlines[$0]!.invoice }.filter { work.invoices[$0]?.cancelled == false }
        if mode == 0 && !open.isEmpty {
            // Explicit allocations to one to three deadlines, most paid in full.
            var allocations: [(deadline: String, amount: Int64)] = []
            for deadlineID in open.prefix(random.int(1...3)) {
                let outstanding = work.deadlines[deadlineID]!.outstanding
                let share = random.chance(0.8) ? outstanding : max(1, outstanding / Int64(random.int(2...4)))
                allocations.append((deadlineID, share))
            }
            if random.chance(0.03), let first = allocations.first {
                // Now and then too much: the engine must refuse it.
                allocations[0].amount = first.amount + 100
            } else if random.chance(0.05), let first = allocations.first, first.amount > 1 {
                // The same deadline twice in one list: merged, and judged together.
                allocations[0].amount = first.amount / 2
                allocations.append((first.deadline, first.amount - first.amount / 2 + (random.chance(0.3) ? 1 : 0)))
            }
            explicit = allocations
            total = allocations.reduce(0) { $0 + $1.amount }
            if random.chance(0.15) { total += amount(1_000, 50_000) }
            data["allocations"] = .array(allocations.map { ["deadline": .string($0.deadline), "amount": money($0.amount)] })
        } else if mode == 1, let chosen = random.pickOptional(withInvoice) {
            // By invoice: the engine allocates, earliest due first.
            invoiceID = chosen
            let owed = (work.invoices[chosen]?.deadlines ?? []).compactMap { work.deadlines[$0] }
                .filter { work.isLive($0) }.reduce(0) { $0 + max(0, $1.outstanding) }
            total = random.chance(0.7) ? max(1, owed) : max(1, owed / Int64(random.int(2...3))) + (random.chance(0.2) ? 10_000 : 0)
            data["invoice"] = .string(chosen)
        } else {
            // On account: a down payment, allocated later.
            total = amount(5_000, 400_000)
        }
        data["amount"] = money(total)
        let paymentTotal = total
        let clientID = client
        emit("PaymentReceived", data) { model in
            model.payments[id] = RoughModel.Payment(client: clientID, amount: paymentTotal, received: received, status: status)
            model.allPayments.append(id)
            if let explicit {
                model.allocate(explicit, to: id)
            } else if let invoiceID {
                model.allocate(model.byInvoice(invoiceID, amount: paymentTotal), to: id)
            }
            if status == .pending { model.pendingPayments.append(id) }
            if (model.payments[id]?.unallocated ?? 0) > 0 { model.paymentsWithRemainder.append(id) }
        }
    }

    private func allocateRemainder() {
        let payments = work.payments
        work.paymentsWithRemainder.removeAll { (payments[$0]?.unallocated ?? 0) <= 0 }
        guard let id = random.pickOptional(work.paymentsWithRemainder), let received = work.payments[id] else { return payment() }
        let open = work.openDeadlines(of: received.client)
        guard !open.isEmpty else { return }
        var left = received.unallocated
        var allocations: [(deadline: String, amount: Int64)] = []
        for deadlineID in open.prefix(random.int(1...2)) where left > 0 {
            let share = min(left, work.deadlines[deadlineID]!.outstanding)
            allocations.append((deadlineID, share))
            left -= share
        }
        emit("PaymentAllocated", ["payment": .string(id),
                                  "allocations": .array(allocations.map { ["deadline": .string($0.deadline), "amount": money($0.amount)] })],
             effective: effectiveDate()) { model in
            model.allocate(allocations, to: id)
        }
    }

    private func clearPending() {
        let payments = work.payments
        work.pendingPayments.removeAll { payments[$0]?.status != .pending }
        let ripe = work.pendingPayments.filter { work.payments[$0]!.received <= today.adding(days: -2) }
        guard let id = random.pickOptional(ripe) ?? random.pickOptional(work.pendingPayments), let payment = work.payments[id] else { return }
        if random.chance(0.12) { return bounce(id) }
        let date = ownDate(notBefore: payment.received)
        emit("PaymentCleared", ["payment": .string(id), "date": .string(date.description)]) { model in
            model.payments[id]?.status = .cleared
            model.payments[id]?.clearedOn = date
        }
    }

    private func bounce(_ chosen: String? = nil) {
        let id: String
        if let chosen {
            id = chosen
        } else {
            guard let any = random.pickOptional(Array(work.allPayments.suffix(200))), work.payments[any]?.status != .bounced else { return }
            id = any
        }
        guard let payment = work.payments[id] else { return }
        let date = ownDate(notBefore: max(payment.received, payment.clearedOn ?? payment.received))
        var data: JSONObject = ["payment": .string(id), "date": .string(date.description)]
        if random.chance(0.5) { data["reason"] = .string("insoluto") }
        emit("PaymentBounced", data) { model in
            guard var payment = model.payments[id] else { return }
            for allocation in payment.allocations { model.deadlines[allocation.deadline]?.covered -= allocation.amount }
            payment.allocations = []
            payment.status = .bounced
            model.payments[id] = payment
        }
    }

    private func someDeadline(_ wanted: (RoughModel.Deadline) -> Bool) -> String? {
        let recent = work.allDeadlines.suffix(400)
        guard !recent.isEmpty else { return nil }
        for _ in 0..<8 {
            let id = random.pick(Array(recent))
            if let deadline = work.deadlines[id], wanted(deadline) { return id }
        }
        return nil
    }

    private func amend() {
        guard let id = someDeadline({ self.work.isLive($0) }), let deadline = work.deadlines[id] else { return }
        var data: JSONObject = ["deadline": .string(id)]
        var newAmount: Int64?
        switch random.int(0...3) {
        case 0, 1:
            var room = Int64.max / 4
            if let invoice = deadline.invoice, let amount = work.invoices[invoice]?.amount {
                room = amount - work.liveTotal(of: invoice)
            }
            let low = max(deadline.covered, 1)
            let high = min(deadline.amount + room, deadline.amount * 2)
            guard high >= low else { return }
            newAmount = random.chance(0.05) ? max(1, deadline.covered - 1) : random.int64(low...high)
            data["amount"] = money(newAmount!)
        case 2:
            data["description"] = .string(random.pick(["Rata rinegoziata", "Saldo", "Acconto concordato"]))
        default:
            data["reminder"] = reminderPlan()
        }
        emit("DeadlineAmended", data, effective: effectiveDate()) { model in
            if let newAmount { model.deadlines[id]?.amount = newAmount }
        }
    }

    private func postpone() {
        guard let id = someDeadline({ self.work.isLive($0) && $0.outstanding > 0 }), let deadline = work.deadlines[id] else { return }
        let due = deadline.due.adding(days: random.chance(0.03) ? 0 : random.int(1...45))
        var data: JSONObject = ["deadline": .string(id), "due": .string(due.description)]
        if random.chance(0.5) { data["reason"] = .string("richiesta del cliente") }
        emit("DeadlinePostponed", data, effective: effectiveDate()) { $0.deadlines[id]?.due = due }
    }

    private func cancelDeadline() {
        guard let id = someDeadline({ self.work.isLive($0) && $0.covered == 0 }) else { return }
        var data: JSONObject = ["deadline": .string(id)]
        if random.chance(0.5) { data["reason"] = .string("stornata") }
        emit("DeadlineCancelled", data, effective: effectiveDate()) { $0.deadlines[id]?.cancelled = true }
    }

    private func cancelInvoice() {
        let candidates = work.invoicesOf[random.pick(work.clients)] ?? []
        guard let id = random.pickOptional(Array(candidates.suffix(30))), let invoice = work.invoices[id], !invoice.cancelled else { return }
        let date = ownDate(notBefore: invoice.issued)
        var data: JSONObject = ["invoice": .string(id), "date": .string(date.description)]
        if random.chance(0.5) { data["reason"] = .string("nota di credito") }
        emit("InvoiceCancelled", data) { $0.invoices[id]?.cancelled = true }
    }

    private func reminder() {
        guard let id = someDeadline({ self.work.isLive($0) && $0.outstanding > 0 }), let deadline = work.deadlines[id] else { return }
        let late = isLate()
        let day = late ? lateDay() : today
        // Any hour: late in the evening (UTC) it is already the next day in Rome (CONTRACT 3.3).
        let sentAt = Timestamp(millisecondsSinceEpoch: Int64(day.daysSinceEpoch) * 86_400_000 + Int64(random.pick([6, 8, 9, 10, 15, 21, 22, 23])) * 3_600_000
                                   + Int64(random.int(0...3_599_999)))
        let manual = random.chance(0.25)
        let slot = manual ? day : min(day, deadline.due.adding(days: random.pick([-7, -5, -3, 0, 0, 7, 14])))
        let key = id + "|" + slot.description
        var data: JSONObject = ["deadline": .string(id), "sentAt": .string(sentAt.description),
                                "to": .string(work.emails[deadline.client] ?? "amministrazione@example.com"),
                                "template": .string(random.chance(0.8) ? "default" : "t1"), "slot": .string(slot.description)]
        if manual {
            data["manual"] = true
        } else if random.chance(0.1) {
            data["manual"] = false
        }
        if random.chance(0.7) { data["channel"] = .string("file") }
        if random.chance(0.5) { data["messageId"] = .string("<\(id).\(slot)@receivables.example>") }
        if !manual && work.slots.contains(key) && !random.chance(0.05) { return }
        emit("ReminderSent", data) { model in
            if !manual { model.slots.insert(key) }
        }
    }

    private func updateClient() {
        let client = random.pick(work.clients)
        var data: JSONObject = ["client": .string(client)]
        switch random.int(0...3) {
        case 0: data["name"] = .string("Cliente \(client) rinominato \(random.int(1...99))")
        case 1: data["email"] = .string("contabilita.\(client.lowercased())@example.org")
        case 2: data["locale"] = .string(random.pick(["it", "en"]))
        default: data["vat"] = .string("IT\(random.int(10_000_000...99_999_999))000")
        }
        emit("ClientUpdated", data)
    }

    private func masterData() {
        if random.chance(0.2) {
            // The store's time zone decides the business day of events without a date of their own.
            emit("SettingsChanged", ["timezone": .string(random.pick(["Europe/Rome", "Europe/Rome", "UTC", "Asia/Tokyo"]))])
        } else if random.chance(0.5) {
            emit("SettingsChanged", ["company": .string("Rossi Forniture \(random.int(1...9)) S.r.l."),
                                     "reminder": reminderPlan()])
        } else {
            emit("ReminderTemplateSaved", ["template": "t1", "locale": .string(random.pick(["it", "en"])),
                                           "kind": .string(random.pick(["before_due", "due", "overdue"])),
                                           "subject": "Reminder {{deadline.id}} ({{deadline.due}})",
                                           "body": "{{client.name}}: {{deadline.outstanding}} {{payment.link}}"])
        }
    }
}

/// Appends a generator's batches to a store, dropping what the engine rejects.
enum SimulationDriver {
    struct Statistics: CustomStringConvertible {
        var batches = 0
        var accepted = 0
        var rejected = 0
        var rejectedByRule: [String: Int] = [:]
        var acceptedByType: [String: Int] = [:]
        var lastDay: Day?
        var lastRecordedAt: Timestamp?
        /// The accepted inputs in log order, with the time they were appended at.
        var acceptedInputs: [(input: EventInput, now: Timestamp)] = []
        /// The refused inputs, with the count of log events before them.
        var refusals: [NaiveRefusal] = []
        /// The credit alerts the appends answered with, as JSON (CONTRACT 7: append).
        var appendAlerts: [JSONValue] = []
        /// Retried keyed events, answered with their earlier seq.
        var retries = 0
        /// True when the time budget ran out before the log held the events asked for.
        var outOfTime = false
        /// What the appends themselves got wrong (CONTRACT 3).
        var problems: [String] = []

        var description: String {
            let types = acceptedByType.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let rules = rejectedByRule.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return "\(accepted) accepted in \(batches) batches (\(types)); \(retries) keyed retries; \(rejected) rejected (\(rules))"
        }
    }

    /// Appends batches until the log holds at least `events` events.
    /// Appends batches until the log holds at least `events` events, or until `budget` seconds
    /// have passed (then `outOfTime` is set and the log holds what was appended by then).
    static func populate(_ store: ReceivablesStore, with generator: WorkloadGenerator, events: Int, budget: Double? = nil,
                         progress: ((Int) -> Void)? = nil) throws -> Statistics {
        var statistics = Statistics()
        let started = Date()
        while statistics.accepted < events {
            if let budget, Date().timeIntervalSince(started) > budget {
                statistics.outOfTime = true
                break
            }
            let batch = generator.nextBatch()
            var remaining = Array(batch.events.indices)
            var seqs: [UInt64] = []
            while !remaining.isEmpty {
                do {
                    let outcome = try store.append(remaining.map { batch.events[$0].input }, now: batch.now)
                    seqs = outcome.seqs
                    statistics.appendAlerts += outcome.alerts.map { alert in
                        ["client": .string(alert.client), "seq": .number(Double(alert.seq)), "date": .string(alert.date.description),
                         "from": .string(alert.from.rawValue), "to": .string(alert.to.rawValue)]
                    }
                    let retries = remaining.filter { batch.events[$0].retryOf != nil }.count
                    if outcome.appended != remaining.count - retries {
                        statistics.problems.append("a batch of \(remaining.count) with \(retries) retries appended \(outcome.appended)")
                    }
                    break
                } catch .rejected(let index, let rejection) {
                    let before = remaining[..<index].filter { batch.events[$0].retryOf == nil }.count
                    statistics.refusals.append(NaiveRefusal(position: statistics.accepted + before,
                                                            input: batch.events[remaining[index]].input, rule: rejection.rule))
                    statistics.rejected += 1
                    statistics.rejectedByRule[rejection.rule, default: 0] += 1
                    if let expected = batch.events[remaining[index]].retryOf {
                        statistics.problems.append("a retry of seq \(expected) was refused: \(rejection)")
                    }
                    remaining.remove(at: index)
                } catch .store(let error) {
                    throw error
                }
            }
            generator.commit(batch, accepted: remaining, seqs: seqs)
            var appended = 0
            for (position, index) in remaining.enumerated() {
                let event = batch.events[index]
                if let expected = event.retryOf {
                    statistics.retries += 1
                    if seqs[position] != expected {
                        statistics.problems.append("a retry of seq \(expected) was answered with seq \(seqs[position])")
                    }
                    continue
                }
                appended += 1
                statistics.acceptedByType[event.input.type, default: 0] += 1
                statistics.acceptedInputs.append((event.input, batch.now))
                if seqs[position] != UInt64(statistics.acceptedInputs.count) {
                    statistics.problems.append("\(event.input.type) got seq \(seqs[position]), the log had \(statistics.acceptedInputs.count - 1) events before it")
                }
            }
            statistics.accepted += appended
            if let document = generator.document() {
                // Documents are stored as blobs with their PaymentDocumentAttached, in one append.
                let now = Timestamp(millisecondsSinceEpoch: batch.now.millisecondsSinceEpoch + 1000)
                let attached = try store.attachDocument(payment: document.payment, name: document.name, bytes: document.bytes, now: now)
                let input = EventInput(type: "PaymentDocumentAttached",
                                       data: ["payment": .string(document.payment), "sha256": .string(attached.sha256),
                                              "name": .string(document.name), "mediaType": .string(attached.mediaType),
                                              "size": .number(Double(document.bytes.count))])
                statistics.acceptedInputs.append((input, now))
                statistics.acceptedByType[input.type, default: 0] += 1
                statistics.accepted += 1
                appended += 1
                if attached.outcome.seqs != [UInt64(statistics.acceptedInputs.count)] {
                    statistics.problems.append("a document got seq \(attached.outcome.seqs), the log had \(statistics.acceptedInputs.count - 1) events before it")
                }
                statistics.appendAlerts += attached.outcome.alerts.map { alert in
                    ["client": .string(alert.client), "seq": .number(Double(alert.seq)), "date": .string(alert.date.description),
                     "from": .string(alert.from.rawValue), "to": .string(alert.to.rawValue)]
                }
            }
            statistics.batches += 1
            statistics.lastDay = generator.today
            statistics.lastRecordedAt = batch.now
            if let progress, statistics.accepted / 1000 != (statistics.accepted - appended) / 1000 { progress(statistics.accepted) }
        }
        return statistics
    }
}
