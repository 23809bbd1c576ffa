import EventLog
import Foundation
@testable import Receivables

// A second, deliberately plain reading of CONTRACT 5 and 7, written without the engine's state
// types: its only inputs are the log's envelopes in their export form, and its only engine
// pieces are the values Money, Day and Timestamp and the JSON types. Every answer is computed
// from scratch by folding the log; it is meant to be obviously right, not fast.

/// One envelope of the export (CONTRACT 3), with its data read into a typed event.
struct NaiveEnvelope {
    var seq: UInt64
    var recordedAt: Timestamp
    var type: String
    var effective: Day
    var data: JSONObject
    var event: NaiveEvent
    /// SettingsChanged, ReminderTemplateSaved, ClientRegistered, ClientUpdated: filtered by
    /// knownAt only, never by asOf (CONTRACT 5).
    var isMasterData: Bool

    init(seq: UInt64, recordedAt: Timestamp, type: String, effective: Day, data: JSONObject, event: NaiveEvent) {
        self.seq = seq
        self.recordedAt = recordedAt
        self.type = type
        self.effective = effective
        self.data = data
        self.event = event
        isMasterData = ["SettingsChanged", "ReminderTemplateSaved", "ClientRegistered", "ClientUpdated"].contains(type)
    }
}

struct NaiveAllocation {
    var deadline: String
    var amount: Money
}

/// The events the model folds; the fields are the contract's.
enum NaiveEvent {
    case clientRegistered(client: String, name: String, email: String?, locale: String?)
    case clientUpdated(client: String, name: String?, email: String?, locale: String?)
    case creditLimitSet(client: String, limit: Money, warnAt: Int?)
    case invoiceIssued(invoice: String, client: String, amount: Money, issued: Day)
    case invoiceCancelled(invoice: String, date: Day)
    case deadlineSet(deadline: String, client: String, due: Day, amount: Money, invoice: String?, description: String?,
                     planTemplate: String?)
    case deadlineAmended(deadline: String, amount: Money?, description: String?, planTemplate: String?)
    case deadlinePostponed(deadline: String, due: Day)
    case deadlineCancelled(deadline: String)
    case paymentReceived(payment: String, client: String, amount: Money, received: Day, method: String, status: String,
                         invoice: String?, allocations: [NaiveAllocation])
    case paymentAllocated(payment: String, allocations: [NaiveAllocation])
    case paymentCleared(payment: String, date: Day)
    case paymentBounced(payment: String, date: Day)
    case documentAttached(payment: String, document: JSONValue)
    case reminderSent(deadline: String, sentAt: Timestamp, slot: Day, manual: Bool)
    /// The queries under test read nothing of the settings (the store stays in EUR); the rules
    /// read the reminder plan's template.
    case settingsChanged(planTemplate: String?, timezone: String?)
    case templateSaved(template: String)
    case other
}

struct NaiveModelError: Error, CustomStringConvertible {
    var description: String
}

/// A credit alert (CONTRACT 5.3): a change of a client's creditStatus after an event.
struct NaiveAlert {
    var client: String
    var seq: UInt64
    var recordedAt: Timestamp
    var date: Day
    var from: String
    var to: String
}

/// The state of one (asOf, knownAt): the fold of CONTRACT 5.
final class NaiveState {
    struct Client {
        var id: String
        var name: String
        var email: String?
        var locale: String
        var limit: Money?
        var warnAt = 80
    }

    struct Invoice {
        var id: String
        var client: String
        var amount: Money
        var issued: Day
        var cancelled = false
        var deadlines: [String] = []
    }

    struct Deadline {
        var id: String
        var client: String
        var invoice: String?
        var firstDue: Day
        var due: Day
        var amount: Money
        var description: String?
        var cancelled = false
        var reminders: [(sentAt: String, slot: Day)] = []
    }

    struct Payment {
        var id: String
        var client: String
        var amount: Money
        var received: Day
        var method: String
        var status: String  // "cleared", "pending" or "bounced"
        var clearedOn: Day?
        var allocations: [NaiveAllocation] = []
        var documents: [JSONValue] = []
    }

    var clients: [String: Client] = [:]
    var invoices: [String: Invoice] = [:]
    var deadlines: [String: Deadline] = [:]
    var payments: [String: Payment] = [:]
    var invoicesOf: [String: [String]] = [:]
    var deadlinesOf: [String: [String]] = [:]
    var paymentsOf: [String: [String]] = [:]
    /// The payments that ever allocated to a deadline, by deadline.
    var payersOf: [String: [String]] = [:]
    /// The entities the last applied event changed: "c:", "i:", "d:" or "p:" and the id. A
    /// changed deadline counts its invoice as changed too (the invoice's exposure reads it).
    var changed: Set<String> = []
    /// Every (deadline, slot) with a ReminderSent, and the saved template ids.
    var reminderSlots: Set<String> = []
    var templates: Set<String> = []

    // MARK: Folding

    func apply(_ event: NaiveEvent) {
        changed = []
        switch event {
        case .clientRegistered(let id, let name, let email, let locale):
            guard clients[id] == nil else { return }
            clients[id] = Client(id: id, name: name, email: email, locale: locale ?? "it")
            changed.insert("c:" + id)
        case .clientUpdated(let id, let name, let email, let locale):
            guard var client = clients[id] else { return }
            if let name { client.name = name }
            if let email { client.email = email }
            if let locale { client.locale = locale }
            clients[id] = client
            changed.insert("c:" + id)
        case .creditLimitSet(let id, let limit, let warnAt):
            guard clients[id] != nil else { return }
            clients[id]!.limit = limit
            clients[id]!.warnAt = warnAt ?? 80
            changed.insert("c:" + id)
        case .invoiceIssued(let id, let client, let amount, let issued):
            guard clients[client] != nil, invoices[id] == nil else { return }
            invoices[id] = Invoice(id: id, client: client, amount: amount, issued: issued)
            invoicesOf[client, default: []].append(id)
            changed.insert("i:" + id)
        case .invoiceCancelled(let id, _):
            guard let invoice = invoices[id] else { return }
            invoices[id]!.cancelled = true
            changed.insert("i:" + id)
            for deadline in invoice.deadlines { changedDeadline(deadline) }
        case .deadlineSet(let id, let client, let due, let amount, let invoice, let description, _):
            guard clients[client] != nil, deadlines[id] == nil else { return }
            // A deadline of an invoice that is not in the state is about an entity not in it.
            if let invoice, invoices[invoice] == nil { return }
            deadlines[id] = Deadline(id: id, client: client, invoice: invoice, firstDue: due, due: due, amount: amount,
                                     description: description)
            deadlinesOf[client, default: []].append(id)
            if let invoice { invoices[invoice]!.deadlines.append(id) }
            changedDeadline(id)
        case .deadlineAmended(let id, let amount, let description, _):
            guard deadlines[id] != nil else { return }
            if let amount { deadlines[id]!.amount = amount }
            if let description { deadlines[id]!.description = description }
            changedDeadline(id)
        case .deadlinePostponed(let id, let due):
            guard deadlines[id] != nil else { return }
            deadlines[id]!.due = due
            changedDeadline(id)
        case .deadlineCancelled(let id):
            guard deadlines[id] != nil else { return }
            deadlines[id]!.cancelled = true
            changedDeadline(id)
        case .paymentReceived(let id, let client, let amount, let received, let method, let status, _, let allocations):
            guard clients[client] != nil, payments[id] == nil else { return }
            payments[id] = Payment(id: id, client: client, amount: amount, received: received, method: method, status: status)
            paymentsOf[client, default: []].append(id)
            changed.insert("p:" + id)
            allocate(allocations, of: id)
        case .paymentAllocated(let id, let allocations):
            guard let payment = payments[id], payment.status != "bounced" else { return }
            changed.insert("p:" + id)
            allocate(allocations, of: id)
        case .paymentCleared(let id, let date):
            guard let payment = payments[id], payment.status == "pending" else { return }
            payments[id]!.status = "cleared"
            payments[id]!.clearedOn = date
            changed.insert("p:" + id)
            for allocation in payment.allocations { changedDeadline(allocation.deadline) }
        case .paymentBounced(let id, _):
            guard let payment = payments[id], payment.status != "bounced" else { return }
            for allocation in payment.allocations { changedDeadline(allocation.deadline) }
            payments[id]!.status = "bounced"
            payments[id]!.allocations = []
            changed.insert("p:" + id)
        case .documentAttached(let id, let document):
            guard payments[id] != nil else { return }
            payments[id]!.documents.append(document)
        case .reminderSent(let id, let sentAt, let slot, _):
            guard deadlines[id] != nil else { return }
            deadlines[id]!.reminders.append((sentAt.description, slot))
            reminderSlots.insert(id + "|" + slot.description)
        case .templateSaved(let template):
            templates.insert(template)
        case .settingsChanged, .other:
            return
        }
    }

    /// An allocation to a deadline not in the state counts as unallocated (CONTRACT 5).
    private func allocate(_ allocations: [NaiveAllocation], of id: String) {
        for allocation in allocations {
            guard deadlines[allocation.deadline] != nil else { continue }
            var payment = payments[id]!
            if let index = payment.allocations.firstIndex(where: { $0.deadline == allocation.deadline }) {
                payment.allocations[index].amount = payment.allocations[index].amount + allocation.amount
            } else {
                payment.allocations.append(allocation)
                payersOf[allocation.deadline, default: []].append(id)
            }
            payments[id] = payment
            changedDeadline(allocation.deadline)
        }
    }

    private func changedDeadline(_ id: String) {
        changed.insert("d:" + id)
        if let invoice = deadlines[id]?.invoice { changed.insert("i:" + invoice) }
    }

    // MARK: Derived figures (CONTRACT 5)

    /// A deadline is live unless it or its invoice was cancelled.
    func isLive(_ deadline: Deadline) -> Bool {
        if deadline.cancelled { return false }
        if let invoice = deadline.invoice, invoices[invoice]?.cancelled == true { return false }
        return true
    }

    /// The sum of the allocations to a deadline from payments with `status`.
    private func allocated(to deadline: String, status: String) -> Money {
        var sum = Money.zero
        for id in payersOf[deadline] ?? [] {
            guard let payment = payments[id], payment.status == status else { continue }
            for allocation in payment.allocations where allocation.deadline == deadline { sum = sum + allocation.amount }
        }
        return sum
    }

    func paid(_ deadline: Deadline) -> Money { allocated(to: deadline.id, status: "cleared") }
    func pending(_ deadline: Deadline) -> Money { allocated(to: deadline.id, status: "pending") }
    func outstanding(_ deadline: Deadline) -> Money { deadline.amount - paid(deadline) - pending(deadline) }

    func status(_ deadline: Deadline, asOf: Day) -> String {
        if !isLive(deadline) { return "cancelled" }
        let outstanding = outstanding(deadline)
        if outstanding.minorUnits <= 0 { return pending(deadline).isZero ? "paid" : "pending" }
        return deadline.due < asOf ? "overdue" : "open"
    }

    func unallocated(_ payment: Payment) -> Money {
        if payment.status == "bounced" { return .zero }
        return payment.allocations.reduce(payment.amount) { $0 - $1.amount }
    }

    /// CONTRACT 5.3.
    func exposure(of client: String) -> Money {
        var exposure = Money.zero
        for id in invoicesOf[client] ?? [] {
            let invoice = invoices[id]!
            guard !invoice.cancelled else { continue }
            exposure = exposure + invoice.amount
            for deadline in invoice.deadlines { exposure = exposure - paid(deadlines[deadline]!) }
        }
        for id in deadlinesOf[client] ?? [] {
            let deadline = deadlines[id]!
            guard deadline.invoice == nil, isLive(deadline) else { continue }
            exposure = exposure + deadline.amount - paid(deadline)
        }
        for id in paymentsOf[client] ?? [] where payments[id]!.status == "cleared" {
            exposure = exposure - unallocated(payments[id]!)
        }
        return exposure
    }

    /// What one entity adds to its client's exposure (5.3): a live invoice its amount minus the
    /// cleared allocations to its deadlines, a live free deadline its amount minus its cleared
    /// allocations, a cleared payment minus its unallocated remainder. Keys as in `changed`.
    func contribution(_ key: String) -> (client: String, amount: Money)? {
        let id = String(key.dropFirst(2))
        switch key.prefix(2) {
        case "c:":
            return clients[id].map { ($0.id, .zero) }
        case "i:":
            guard let invoice = invoices[id] else { return nil }
            if invoice.cancelled { return (invoice.client, .zero) }
            return (invoice.client, invoice.deadlines.reduce(invoice.amount) { $0 - paid(deadlines[$1]!) })
        case "d:":
            guard let deadline = deadlines[id] else { return nil }
            if deadline.invoice != nil || !isLive(deadline) { return (deadline.client, .zero) }
            return (deadline.client, deadline.amount - paid(deadline))
        default:
            guard let payment = payments[id] else { return nil }
            return (payment.client, payment.status == "cleared" ? .zero - unallocated(payment) : .zero)
        }
    }

    func pendingPayments(of client: String) -> Money {
        (paymentsOf[client] ?? []).compactMap { payments[$0] }.filter { $0.status == "pending" }.reduce(.zero) { $0 + $1.amount }
    }

    /// The unallocated remainders of the payments that have not bounced.
    func onAccount(of client: String) -> Money {
        (paymentsOf[client] ?? []).compactMap { payments[$0] }.filter { $0.status != "bounced" }.reduce(.zero) { $0 + unallocated($1) }
    }

    /// CONTRACT 5.3, in exact integers.
    static func creditStatus(exposure: Money, limit: Money?, warnAt: Int) -> String {
        guard let limit else { return "none" }
        if exposure > limit { return "exceeded" }
        let left = exposure.minorUnits.multipliedFullWidth(by: 100)
        let right = Int64(warnAt).multipliedFullWidth(by: limit.minorUnits)
        if exposure.minorUnits > 0 && (left.high, left.low) >= (right.high, right.low) { return "warning" }
        return "ok"
    }

    func creditStatus(of client: String, adding amount: Money = .zero) -> String {
        guard let state = clients[client] else { return "none" }
        return Self.creditStatus(exposure: exposure(of: client) + amount, limit: state.limit, warnAt: state.warnAt)
    }
}

/// The naive model: the log, and the answers of CONTRACT 7 computed from it.
struct NaiveModel {
    let log: [NaiveEnvelope]
    let currency = Currency.euro
    /// Every credit alert of the whole log, in seq order.
    let alerts: [NaiveAlert]
    /// The client each event is about (nil for settings and templates), by log position.
    let clientOfEvent: [String?]

    init(exportBytes: [UInt8]) throws {
        var log: [NaiveEnvelope] = []
        var start = 0
        for index in exportBytes.indices where exportBytes[index] == UInt8(ascii: "\n") {
            let line = Array(exportBytes[start..<index])
            start = index + 1
            if line.isEmpty { continue }
            log.append(try Self.envelope(line))
        }
        self.log = log
        alerts = Self.alerts(of: log)
        // Which client an event is about: the one it names, else the one of the entity it names.
        var owner: [String: String] = [:]
        var clientOfEvent: [String?] = []
        for envelope in log {
            var client = envelope.data["client"]?.stringValue
            for (field, kind) in [("invoice", "i:"), ("deadline", "d:"), ("payment", "p:")] {
                guard let id = envelope.data[field]?.stringValue else { continue }
                if let client, owner[kind + id] == nil { owner[kind + id] = client }
                if client == nil { client = owner[kind + id] }
            }
            clientOfEvent.append(client)
        }
        self.clientOfEvent = clientOfEvent
    }

    // MARK: Reading the export

    static func envelope(_ line: [UInt8]) throws -> NaiveEnvelope {
        guard case .object(let object) = try JSONParser.parse(line),
              let seq = object["seq"]?.integerValue,
              let recordedAtText = object["recordedAt"]?.stringValue, let recordedAt = Timestamp(rfc3339: recordedAtText),
              let type = object["type"]?.stringValue,
              let effectiveText = object["effective"]?.stringValue, let effective = Day(iso: effectiveText),
              case .object(let data) = object["data"]
        else { throw NaiveModelError(description: "an export line is not an envelope: \(String(decoding: line, as: UTF8.self))") }
        return NaiveEnvelope(seq: UInt64(seq), recordedAt: recordedAt, type: type, effective: effective, data: data,
                             event: try event(type: type, data: data))
    }

    static func event(type: String, data: JSONObject) throws -> NaiveEvent {
        func text(_ name: String) throws -> String {
            guard let value = data[name]?.stringValue else { throw NaiveModelError(description: "\(type): no \(name) in \(data)") }
            return value
        }
        func optionalText(_ name: String) -> String? { data[name]?.stringValue }
        func money(_ value: JSONValue?) throws -> Money {
            guard let text = value?.stringValue else { throw NaiveModelError(description: "\(type): an amount is missing in \(data)") }
            return try Money.parse(text, currency: .euro)
        }
        func day(_ name: String) throws -> Day {
            guard let day = Day(iso: try text(name)) else { throw NaiveModelError(description: "\(type): \(name) is not a date") }
            return day
        }
        func planTemplate() -> String? { data["reminder"]?.objectValue?["template"]?.stringValue }
        func allocations() throws -> [NaiveAllocation] {
            guard let list = data["allocations"]?.arrayValue else { return [] }
            return try list.map { element in
                guard let deadline = element.objectValue?["deadline"]?.stringValue else {
                    throw NaiveModelError(description: "\(type): an allocation without a deadline")
                }
                return NaiveAllocation(deadline: deadline, amount: try money(element.objectValue?["amount"]))
            }
        }
        switch type {
        case "ClientRegistered":
            return .clientRegistered(client: try text("client"), name: try text("name"), email: optionalText("email"),
                                     locale: optionalText("locale"))
        case "ClientUpdated":
            return .clientUpdated(client: try text("client"), name: optionalText("name"), email: optionalText("email"),
                                  locale: optionalText("locale"))
        case "CreditLimitSet":
            return .creditLimitSet(client: try text("client"), limit: try money(data["limit"]),
                                   warnAt: data["warnAt"]?.integerValue.map { Int($0) })
        case "InvoiceIssued":
            return .invoiceIssued(invoice: try text("invoice"), client: try text("client"), amount: try money(data["amount"]),
                                  issued: try day("issued"))
        case "InvoiceCancelled":
            return .invoiceCancelled(invoice: try text("invoice"), date: try day("date"))
        case "DeadlineSet":
            return .deadlineSet(deadline: try text("deadline"), client: try text("client"), due: try day("due"),
                                amount: try money(data["amount"]), invoice: optionalText("invoice"),
                                description: optionalText("description"), planTemplate: planTemplate())
        case "DeadlineAmended":
            return .deadlineAmended(deadline: try text("deadline"), amount: try data["amount"].map { try money($0) },
                                    description: optionalText("description"), planTemplate: planTemplate())
        case "DeadlinePostponed":
            return .deadlinePostponed(deadline: try text("deadline"), due: try day("due"))
        case "DeadlineCancelled":
            return .deadlineCancelled(deadline: try text("deadline"))
        case "PaymentReceived":
            let method = try text("method")
            let status = optionalText("status") ?? (method == "cheque" || method == "riba" ? "pending" : "cleared")
            return .paymentReceived(payment: try text("payment"), client: try text("client"), amount: try money(data["amount"]),
                                    received: try day("received"), method: method, status: status, invoice: optionalText("invoice"),
                                    allocations: try allocations())
        case "PaymentAllocated":
            return .paymentAllocated(payment: try text("payment"), allocations: try allocations())
        case "PaymentCleared":
            return .paymentCleared(payment: try text("payment"), date: try day("date"))
        case "PaymentBounced":
            return .paymentBounced(payment: try text("payment"), date: try day("date"))
        case "PaymentDocumentAttached":
            return .documentAttached(payment: try text("payment"),
                                     document: ["sha256": .string(try text("sha256")), "name": .string(try text("name")),
                                                "mediaType": .string(try text("mediaType")), "size": data["size"] ?? .null])
        case "ReminderSent":
            guard let sentAt = Timestamp(rfc3339: try text("sentAt")) else { throw NaiveModelError(description: "bad sentAt") }
            return .reminderSent(deadline: try text("deadline"), sentAt: sentAt, slot: try day("slot"),
                                 manual: data["manual"]?.boolValue ?? false)
        case "SettingsChanged":
            return .settingsChanged(planTemplate: planTemplate(), timezone: optionalText("timezone"))
        case "ReminderTemplateSaved":
            return .templateSaved(template: try text("template"))
        default:
            return .other
        }
    }

    // MARK: States

    /// The fold, in log order, of the events recorded by `knownAt` whose effective date is on or
    /// before `asOf`, master data by knownAt only (CONTRACT 5).
    ///
    /// With `client`, only the events about that client and the settings: its figures are the
    /// same, since the rules keep every entity's references within its client (the audit checks
    /// that the accepted events obey them); `exposure` checks it again now and then.
    func state(asOf: Day, knownAt: Timestamp?, client: String? = nil) -> NaiveState {
        let state = NaiveState()
        for (index, envelope) in log.enumerated() {
            if let knownAt, envelope.recordedAt > knownAt { break }
            guard envelope.isMasterData || envelope.effective <= asOf else { continue }
            if let client, let about = clientOfEvent[index], about != client { continue }
            state.apply(envelope.event)
        }
        return state
    }

    /// The alerts: each change of a client's creditStatus judged on the whole log after each
    /// event. A client's exposure is the sum of its entities' contributions (5.3); after each
    /// event the contributions of the entities it changed are computed again, and every 500
    /// events (and at the end) each client's sum is checked against `exposure(of:)` from scratch.
    static func alerts(of log: [NaiveEnvelope]) -> [NaiveAlert] {
        let state = NaiveState()
        var statuses: [String: String] = [:]
        var contributions: [String: Money] = [:]
        var exposures: [String: Money] = [:]
        var alerts: [NaiveAlert] = []
        for (index, envelope) in log.enumerated() {
            state.apply(envelope.event)
            var judged: Set<String> = []
            for key in state.changed {
                guard let (client, amount) = state.contribution(key) else { continue }
                exposures[client] = (exposures[client] ?? .zero) + amount - (contributions[key] ?? .zero)
                contributions[key] = amount
                judged.insert(client)
            }
            for client in judged.sorted() {
                let limits = state.clients[client]
                let now = NaiveState.creditStatus(exposure: exposures[client] ?? .zero, limit: limits?.limit, warnAt: limits?.warnAt ?? 80)
                let before = statuses[client] ?? "none"
                if now != before {
                    alerts.append(NaiveAlert(client: client, seq: envelope.seq, recordedAt: envelope.recordedAt,
                                             date: envelope.effective, from: before, to: now))
                }
                statuses[client] = now
            }
            if index % 500 == 499 || index == log.count - 1 {
                for client in state.clients.keys {
                    precondition((exposures[client] ?? .zero) == state.exposure(of: client),
                                 "the naive model's running exposure of \(client) is wrong after seq \(envelope.seq)")
                    precondition((statuses[client] ?? "none") == state.creditStatus(of: client),
                                 "the naive model's credit status of \(client) is wrong after seq \(envelope.seq)")
                }
            }
        }
        return alerts
    }

    // MARK: Answers (CONTRACT 7), as JSON

    func money(_ amount: Money) -> JSONValue { .string(amount.canonical(currency)) }

    static func unknownClient(_ id: String) -> JSONValue { ["error": "unknownClient", "client": .string(id)] }

    /// Bucket names for edges e1...en: current, 1-e1, (e1+1)-e2, ..., en+.
    static func bucketNames(_ edges: [Int]) -> [String] {
        var names = ["current"]
        var low = 1
        for edge in edges {
            names.append("\(low)-\(edge)")
            low = edge + 1
        }
        names.append("\(edges.last!)+")
        return names
    }

    static func bucket(daysOverdue: Int, edges: [Int]) -> String {
        let names = bucketNames(edges)
        if daysOverdue <= 0 { return names[0] }
        for (index, edge) in edges.enumerated() where daysOverdue <= edge { return names[index + 1] }
        return names.last!
    }

    func aging(_ state: NaiveState, asOf: Day, knownAt: Timestamp?, client filter: String?, edges: [Int]) -> JSONValue {
        if let filter, state.clients[filter] == nil { return Self.unknownClient(filter) }
        let names = Self.bucketNames(edges)
        func emptyTotals() -> [String: Money] { Dictionary(uniqueKeysWithValues: (names + ["total"]).map { ($0, Money.zero) }) }
        func totalsJSON(_ totals: [String: Money]) -> JSONValue {
            .object(JSONObject((names + ["total"]).map { ($0, money(totals[$0]!)) }))
        }
        let open = state.deadlines.values.filter { deadline in
            state.isLive(deadline) && state.outstanding(deadline).minorUnits > 0 && (filter == nil || deadline.client == filter)
        }.sorted { ($0.due, $0.id) < ($1.due, $1.id) }
        var rows: [JSONValue] = []
        var totals = emptyTotals()
        var perClient: [String: [String: Money]] = [:]
        for deadline in open {
            let daysToDue = deadline.due.daysSinceEpoch - asOf.daysSinceEpoch
            let daysOverdue = deadline.due < asOf ? Int(asOf.daysSinceEpoch - deadline.due.daysSinceEpoch) : 0
            let bucket = Self.bucket(daysOverdue: daysOverdue, edges: edges)
            let outstanding = state.outstanding(deadline)
            var row: JSONObject = ["deadline": .string(deadline.id), "client": .string(deadline.client)]
            if let invoice = deadline.invoice { row["invoice"] = .string(invoice) }
            row["due"] = .string(deadline.due.description)
            row["daysToDue"] = .number(Double(daysToDue))
            row["daysOverdue"] = .number(Double(daysOverdue))
            row["bucket"] = .string(bucket)
            row["amount"] = money(deadline.amount)
            row["paid"] = money(state.paid(deadline))
            row["pending"] = money(state.pending(deadline))
            row["outstanding"] = money(outstanding)
            row["reminders"] = .number(Double(deadline.reminders.count))
            rows.append(.object(row))
            totals[bucket]! = totals[bucket]! + outstanding
            totals["total"]! = totals["total"]! + outstanding
            var mine = perClient[deadline.client] ?? emptyTotals()
            mine[bucket]! = mine[bucket]! + outstanding
            mine["total"]! = mine["total"]! + outstanding
            perClient[deadline.client] = mine
        }
        var object: JSONObject = ["asOf": .string(asOf.description)]
        if let knownAt { object["knownAt"] = .string(knownAt.description) }
        object["buckets"] = .array(names.map { .string($0) })
        object["rows"] = .array(rows)
        object["clients"] = .array(perClient.keys.sorted().map { id in
            ["client": .string(id), "name": .string(state.clients[id]?.name ?? id), "totals": totalsJSON(perClient[id]!)]
        })
        object["totals"] = totalsJSON(totals)
        return .object(object)
    }

    func calendarEntry(_ state: NaiveState, _ deadline: NaiveState.Deadline, asOf: Day) -> JSONValue {
        var entry: JSONObject = ["deadline": .string(deadline.id), "due": .string(deadline.due.description),
                                 "client": .string(deadline.client),
                                 "clientName": .string(state.clients[deadline.client]?.name ?? deadline.client)]
        if let invoice = deadline.invoice { entry["invoice"] = .string(invoice) }
        if let description = deadline.description { entry["description"] = .string(description) }
        entry["amount"] = money(deadline.amount)
        entry["outstanding"] = money(state.outstanding(deadline))
        entry["status"] = .string(state.status(deadline, asOf: asOf))
        entry["reminders"] = .array(deadline.reminders.map { ["sentAt": .string($0.sentAt), "slot": .string($0.slot.description)] })
        if deadline.firstDue != deadline.due { entry["postponedFrom"] = .string(deadline.firstDue.description) }
        return .object(entry)
    }

    /// The period holding a day: its key and bounds, computed here from the calendar rules.
    static func period(of day: Day, view: String) -> (key: String, from: Day, to: Day) {
        let (year, month, dayOfMonth) = (day.year, day.month, day.day)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        switch view {
        case "day":
            return (day.description, day, day)
        case "week":
            // ISO 8601: weeks start on Monday; a week belongs to the year of its Thursday.
            // 1970-01-05 was a Monday.
            let sinceMonday = ((Int(day.daysSinceEpoch) - 4) % 7 + 7) % 7
            let monday = Day(daysSinceEpoch: day.daysSinceEpoch - Int32(sinceMonday))
            let thursday = Day(daysSinceEpoch: monday.daysSinceEpoch + 3)
            let januaryFirst = Day(year: thursday.year, month: 1, day: 1)!
            let week = Int(thursday.daysSinceEpoch - januaryFirst.daysSinceEpoch) / 7 + 1
            return ("\(thursday.year)-W\(two(week))", monday, Day(daysSinceEpoch: monday.daysSinceEpoch + 6))
        default:
            let first = Day(year: year, month: month, day: 1)!
            var last = first
            while let next = Day(year: year, month: month, day: last.day + 1) { last = next }
            _ = dayOfMonth
            return ("\(year)-\(two(month))", first, last)
        }
    }

    func calendar(_ state: NaiveState, asOf: Day, from: Day, to: Day, view: String, client filter: String?) -> JSONValue {
        let listed = state.deadlines.values.filter { deadline in
            state.isLive(deadline) && deadline.due >= from && deadline.due <= to && (filter == nil || deadline.client == filter)
        }.sorted { ($0.due, $0.id) < ($1.due, $1.id) }
        var periods: [(key: String, from: Day, to: Day, total: Money, entries: [JSONValue])] = []
        for deadline in listed {
            let period = Self.period(of: deadline.due, view: view)
            if periods.last?.key != period.key { periods.append((period.key, period.from, period.to, .zero, [])) }
            periods[periods.count - 1].total = periods[periods.count - 1].total + state.outstanding(deadline)
            periods[periods.count - 1].entries.append(calendarEntry(state, deadline, asOf: asOf))
        }
        return ["from": .string(from.description), "to": .string(to.description), "view": .string(view),
                "periods": .array(periods.map { period in
                    ["period": .string(period.key), "from": .string(period.from.description), "to": .string(period.to.description),
                     "total": money(period.total), "deadlines": .array(period.entries)]
                })]
    }

    func client(_ state: NaiveState, _ id: String, asOf: Day, knownAt: Timestamp?) -> JSONValue {
        guard let client = state.clients[id] else { return Self.unknownClient(id) }
        var identity: JSONObject = ["client": .string(id), "name": .string(client.name)]
        if let email = client.email { identity["email"] = .string(email) }
        identity["locale"] = .string(client.locale)
        let exposure = state.exposure(of: id)
        var object: JSONObject = ["client": .object(identity)]
        if let limit = client.limit {
            object["limit"] = money(limit)
            object["warnAt"] = .number(Double(client.warnAt))
        }
        object["exposure"] = money(exposure)
        object["pendingPayments"] = money(state.pendingPayments(of: id))
        object["onAccount"] = money(state.onAccount(of: id))
        if let limit = client.limit { object["available"] = money(limit - exposure) }
        object["creditStatus"] = .string(state.creditStatus(of: id))
        object["deadlines"] = .array(state.deadlines.values.filter { $0.client == id }.sorted { ($0.due, $0.id) < ($1.due, $1.id) }
            .map { calendarEntry(state, $0, asOf: asOf) })
        object["payments"] = .array(state.payments.values.filter { $0.client == id }.sorted { ($0.received, $0.id) < ($1.received, $1.id) }
            .map { payment in
                ["payment": .string(payment.id), "amount": money(payment.amount), "received": .string(payment.received.description),
                 "method": .string(payment.method), "status": .string(payment.status),
                 "unallocated": money(state.unallocated(payment)),
                 "allocations": .array(payment.allocations.map { ["deadline": .string($0.deadline), "amount": money($0.amount)] }),
                 "documents": .array(payment.documents)]
            })
        object["alerts"] = .array(alerts.filter { alert in
            alert.client == id && (knownAt == nil || alert.recordedAt <= knownAt!) && alert.date <= asOf
        }.map { ["seq": .number(Double($0.seq)), "date": .string($0.date.description), "from": .string($0.from), "to": .string($0.to)] })
        return .object(object)
    }

    func creditCheck(_ state: NaiveState, _ id: String, amount: Money) -> JSONValue {
        guard let client = state.clients[id] else { return Self.unknownClient(id) }
        let exposure = state.exposure(of: id)
        var object: JSONObject = ["client": .string(id)]
        if let limit = client.limit { object["limit"] = money(limit) }
        object["exposure"] = money(exposure)
        object["pendingPayments"] = money(state.pendingPayments(of: id))
        object["onAccount"] = money(state.onAccount(of: id))
        object["requested"] = money(amount)
        object["after"] = money(exposure + amount)
        if let limit = client.limit { object["available"] = money(limit - exposure) }
        object["creditStatus"] = .string(state.creditStatus(of: id, adding: amount))
        return .object(object)
    }

    /// The dates of an exposure series: the last day of each step period from the one holding
    /// `from`, the last clipped to `to`.
    static func exposureDates(from: Day, to: Day, step: String) -> [Day] {
        var dates: [Day] = []
        var day = from
        while true {
            let end = period(of: day, view: step).to
            dates.append(min(end, to))
            if end >= to { return dates }
            day = Day(daysSinceEpoch: end.daysSinceEpoch + 1)
        }
    }

    func exposure(client filter: String?, from: Day, to: Day, step: String, knownAt: Timestamp?) -> JSONValue {
        var points: [JSONValue] = []
        for (index, date) in Self.exposureDates(from: from, to: to, step: step).enumerated() {
            let state = state(asOf: date, knownAt: knownAt, client: filter)
            if let filter {
                guard let client = state.clients[filter] else { return Self.unknownClient(filter) }
                if index == 0 {
                    let whole = self.state(asOf: date, knownAt: knownAt)
                    precondition(whole.exposure(of: filter) == state.exposure(of: filter) && whole.clients[filter]?.limit == client.limit,
                                 "the naive model's fold of \(filter)'s events alone differs from the whole fold as of \(date)")
                }
                var point: JSONObject = ["date": .string(date.description), "exposure": money(state.exposure(of: filter))]
                if let limit = client.limit { point["limit"] = money(limit) }
                points.append(.object(point))
            } else {
                let total = state.clients.keys.reduce(Money.zero) { $0 + state.exposure(of: $1) }
                points.append(["date": .string(date.description), "exposure": money(total)])
            }
        }
        var object = JSONObject()
        if let filter { object["client"] = .string(filter) }
        object["from"] = .string(from.description)
        object["to"] = .string(to.description)
        object["step"] = .string(step)
        object["points"] = .array(points)
        return .object(object)
    }
}

// MARK: - The rules (CONTRACT 4 and 5.2)

/// What the contract says of an event proposed against a state.
enum NaiveVerdict: Equatable {
    case valid
    case invalid(String)
    /// The contract does not say (or the rule is about the data's shape, which the generator
    /// keeps right): not judged.
    case notJudged
}

extension NaiveState {
    /// The sum of the amounts of an invoice's live deadlines.
    func liveDeadlineTotal(_ invoice: Invoice) -> Money {
        invoice.deadlines.compactMap { deadlines[$0] }.filter { isLive($0) }.reduce(.zero) { $0 + $1.amount }
    }

    /// The rules of CONTRACT 4, judged against this state (the whole log so far). `event` is
    /// read from the input as the appender sent it.
    func verdict(_ event: NaiveEvent) -> NaiveVerdict {
        func planTemplateKnown(_ template: String?) -> Bool { template == nil || template == "default" || templates.contains(template!) }
        /// Explicit allocations (5.2): each to a deadline of the client, at most its outstanding
        /// (counting the list's earlier entries), in all at most `available`.
        func allocationsVerdict(_ allocations: [NaiveAllocation], client: String, available: Money) -> NaiveVerdict {
            var taken: [String: Money] = [:]
            var total = Money.zero
            for allocation in allocations {
                guard let deadline = deadlines[allocation.deadline] else { return .invalid("allocation to an unknown deadline") }
                // Allocating to a cancelled deadline: the contract does not say.
                guard isLive(deadline) else { return .notJudged }
                guard deadline.client == client else { return .invalid("allocation to another client's deadline") }
                let already = taken[deadline.id] ?? .zero
                guard allocation.amount <= outstanding(deadline) - already else { return .invalid("allocation above the outstanding") }
                taken[deadline.id] = already + allocation.amount
                total = total + allocation.amount
            }
            return total <= available ? .valid : .invalid("allocations above what the payment has")
        }
        switch event {
        case .clientRegistered(let id, _, _, _):
            return clients[id] == nil ? .valid : .invalid("client not new")
        case .clientUpdated(let id, _, _, _), .creditLimitSet(let id, _, _):
            return clients[id] != nil ? .valid : .invalid("client unknown")
        case .invoiceIssued(let id, let client, _, _):
            if invoices[id] != nil { return .invalid("invoice not new") }
            return clients[client] != nil ? .valid : .invalid("client unknown")
        case .invoiceCancelled(let id, let date):
            guard let invoice = invoices[id] else { return .invalid("invoice unknown") }
            if invoice.cancelled { return .invalid("invoice already cancelled") }
            let allocated = invoice.deadlines.contains { id in
                (payersOf[id] ?? []).contains { payer in
                    payments[payer]!.status != "bounced" && payments[payer]!.allocations.contains { $0.deadline == id }
                }
            }
            if allocated { return .invalid("a payment is allocated to the invoice") }
            return date >= invoice.issued ? .valid : .invalid("date before issued")
        case .deadlineSet(let id, let client, _, let amount, let invoiceID, _, let template):
            if deadlines[id] != nil { return .invalid("deadline not new") }
            if clients[client] == nil { return .invalid("client unknown") }
            if let invoiceID {
                guard let invoice = invoices[invoiceID] else { return .invalid("invoice unknown") }
                if invoice.client != client { return .invalid("invoice of another client") }
                if invoice.cancelled { return .invalid("invoice cancelled") }
                if liveDeadlineTotal(invoice) + amount > invoice.amount { return .invalid("deadlines above the invoice amount") }
            }
            return planTemplateKnown(template) ? .valid : .invalid("reminder template unknown")
        case .deadlineAmended(let id, let amount, _, let template):
            guard let deadline = deadlines[id], isLive(deadline) else { return .invalid("deadline not live") }
            if let amount {
                if amount < paid(deadline) + pending(deadline) { return .invalid("amount below paid + pending") }
                if let invoiceID = deadline.invoice, let invoice = invoices[invoiceID],
                   liveDeadlineTotal(invoice) - deadline.amount + amount > invoice.amount {
                    return .invalid("deadlines above the invoice amount")
                }
            }
            return planTemplateKnown(template) ? .valid : .invalid("reminder template unknown")
        case .deadlinePostponed(let id, let due):
            guard let deadline = deadlines[id], isLive(deadline) else { return .invalid("deadline not live") }
            if outstanding(deadline).minorUnits <= 0 { return .invalid("nothing outstanding") }
            return due > deadline.due ? .valid : .invalid("due not later")
        case .deadlineCancelled(let id):
            guard let deadline = deadlines[id], isLive(deadline) else { return .invalid("deadline not live") }
            return paid(deadline).isZero && pending(deadline).isZero ? .valid : .invalid("paid or pending")
        case .paymentReceived(let id, let client, let amount, _, _, _, let invoiceID, let allocations):
            if payments[id] != nil { return .invalid("payment not new") }
            if clients[client] == nil { return .invalid("client unknown") }
            if let invoiceID {
                // Paying an unknown, cancelled or foreign invoice: the contract does not say.
                guard let invoice = invoices[invoiceID], !invoice.cancelled, invoice.client == client else { return .notJudged }
            }
            return allocationsVerdict(allocations, client: client, available: amount)
        case .paymentAllocated(let id, let allocations):
            guard let payment = payments[id] else { return .invalid("payment unknown") }
            if payment.status == "bounced" { return .invalid("payment bounced") }
            return allocationsVerdict(allocations, client: payment.client, available: unallocated(payment))
        case .paymentCleared(let id, let date):
            guard let payment = payments[id] else { return .invalid("payment unknown") }
            if payment.status != "pending" { return .invalid("payment not pending") }
            return date >= payment.received ? .valid : .invalid("date before received")
        case .paymentBounced(let id, let date):
            guard let payment = payments[id] else { return .invalid("payment unknown") }
            if payment.status == "bounced" { return .invalid("payment already bounced") }
            if date < payment.received { return .invalid("date before received") }
            if let cleared = payment.clearedOn, date < cleared { return .invalid("date before cleared") }
            return .valid
        case .reminderSent(let id, _, let slot, let manual):
            if deadlines[id] == nil { return .invalid("deadline unknown") }
            if !manual && reminderSlots.contains(id + "|" + slot.description) { return .invalid("slot already sent") }
            return .valid
        case .settingsChanged(let template, _):
            return planTemplateKnown(template) ? .valid : .invalid("reminder template unknown")
        case .templateSaved, .documentAttached, .other:
            return .notJudged
        }
    }

    /// A payment by invoice (5.2): the invoice's live deadlines with something outstanding,
    /// earliest due first, ties by deadline id.
    func allocationByInvoice(_ invoiceID: String, amount: Money) -> [NaiveAllocation] {
        guard let invoice = invoices[invoiceID] else { return [] }
        let candidates = invoice.deadlines.compactMap { deadlines[$0] }
            .filter { isLive($0) && outstanding($0).minorUnits > 0 }
            .sorted { ($0.due, $0.id) < ($1.due, $1.id) }
        var left = amount
        var made: [NaiveAllocation] = []
        for deadline in candidates where left.minorUnits > 0 {
            let share = min(left, outstanding(deadline))
            made.append(NaiveAllocation(deadline: deadline.id, amount: share))
            left = left - share
        }
        return made
    }
}

/// An input the engine refused: where in the log it was proposed (the count of events before
/// it), the input and the rule the engine named.
struct NaiveRefusal {
    var position: Int
    var input: EventInput
    var rule: String
}

extension NaiveModel {
    /// Checks the appends against CONTRACT 3 and 4: each accepted event obeys the rules against
    /// the whole log before it, each refused one breaks one; seq, recordedAt and the effective
    /// date are as 3 and 3.3 say; the recorded data is the input's (amounts may be rewritten
    /// canonically), plus the allocations the engine made for a payment by invoice (5.2).
    func audit(accepted: [(input: EventInput, now: Timestamp)], refused: [NaiveRefusal], limit: Int = 12) -> [String] {
        var problems: [String] = []
        func problem(_ text: String) { if problems.count < limit { problems.append(text) } }
        guard accepted.count == log.count else {
            return ["the log holds \(log.count) events, \(accepted.count) were accepted"]
        }
        // The store's time zone, as the SettingsChanged events so far have left it (default Rome).
        var zone = TimeZone(identifier: "Europe/Rome")!
        func localDay(_ instant: Timestamp) -> Day {
            let date = Date(timeIntervalSince1970: Double(instant.millisecondsSinceEpoch) / 1000)
            let local = instant.millisecondsSinceEpoch + Int64(zone.secondsFromGMT(for: date)) * 1000
            return Day(daysSinceEpoch: Int32((local - (((local % 86_400_000) + 86_400_000) % 86_400_000)) / 86_400_000))
        }
        /// The keys used so far, with the event each was first used for (CONTRACT 3: `key`).
        var keys: [String: EventInput] = [:]
        func sameEvent(_ a: EventInput, _ b: EventInput) -> Bool {
            a.type == b.type && a.data == b.data && a.effective == b.effective && a.meta == b.meta
        }
        let state = NaiveState()
        var refusals = refused.sorted { $0.position < $1.position }[...]
        var previousRecordedAt: Timestamp?
        for (index, envelope) in log.enumerated() {
            while let refusal = refusals.first, refusal.position <= index {
                refusals.removeFirst()
                guard let event = try? Self.event(type: refusal.input.type, data: refusal.input.data) else { continue }
                if let key = refusal.input.key, let first = keys[key], !sameEvent(first, refusal.input) { continue }
                if state.verdict(event) == .valid {
                    problem("refused a valid \(refusal.input.type) before seq \(index + 1) (rule \(refusal.rule)): "
                            + JSONWriter.compact(.object(refusal.input.data)))
                }
            }
            let (input, now) = accepted[index]
            if envelope.seq != UInt64(index + 1) { problem("seq \(envelope.seq) at position \(index + 1)") }
            if envelope.type != input.type { problem("seq \(envelope.seq) is a \(envelope.type), \(input.type) was appended") }
            if envelope.recordedAt != now { problem("seq \(envelope.seq): recordedAt \(envelope.recordedAt), appended at \(now)") }
            if let previousRecordedAt, envelope.recordedAt < previousRecordedAt { problem("seq \(envelope.seq): recordedAt goes back") }
            previousRecordedAt = envelope.recordedAt
            // CONTRACT 3.3.
            let ownDate: [String: String] = ["InvoiceIssued": "issued", "InvoiceCancelled": "date", "PaymentCleared": "date",
                                             "PaymentBounced": "date", "PaymentReceived": "received"]
            let expectedEffective: Day?
            if let field = ownDate[input.type] {
                expectedEffective = input.data[field]?.stringValue.flatMap { Day(iso: $0) }
            } else if input.type == "ReminderSent" {
                expectedEffective = input.data["sentAt"]?.stringValue.flatMap { Timestamp(rfc3339: $0) }.map(localDay)
            } else {
                expectedEffective = input.effective ?? localDay(envelope.recordedAt)
            }
            if let key = input.key {
                if keys[key] != nil { problem("seq \(envelope.seq): appended under the key \(key), which an earlier event has") }
                keys[key] = input
            }
            if envelope.effective != expectedEffective {
                problem("seq \(envelope.seq) \(input.type): effective \(envelope.effective), CONTRACT 3.3 says \(expectedEffective?.description ?? "?")")
            }
            // The recorded data is the input's.
            for (name, value) in input.data {
                guard let recorded = envelope.data[name] else {
                    problem("seq \(envelope.seq) \(input.type): data.\(name) was not recorded")
                    continue
                }
                if !Self.sameValue(value, recorded) {
                    problem("seq \(envelope.seq) \(input.type): data.\(name) recorded as \(JSONWriter.compact(recorded)), appended as \(JSONWriter.compact(value))")
                }
            }
            for (name, _) in envelope.data where input.data[name] == nil {
                let madeByEngine = input.type == "PaymentReceived" && name == "allocations" && input.data["invoice"] != nil
                if !madeByEngine { problem("seq \(envelope.seq) \(input.type): data.\(name) was recorded but not appended") }
            }
            // The rules, and the allocation of a payment by invoice.
            if let event = try? Self.event(type: input.type, data: input.data) {
                if case .invalid(let why) = state.verdict(event) {
                    problem("accepted seq \(envelope.seq) \(input.type) that breaks a rule (\(why)): " + JSONWriter.compact(.object(input.data)))
                }
                if case .paymentReceived(_, _, let amount, _, _, _, let invoice?, let allocations) = event, allocations.isEmpty,
                   input.data["allocations"] == nil {
                    let expected = state.allocationByInvoice(invoice, amount: amount)
                    var recorded: [NaiveAllocation] = []
                    if case .paymentReceived(_, _, _, _, _, _, _, let made) = envelope.event { recorded = made }
                    let same = expected.count == recorded.count
                        && zip(expected, recorded).allSatisfy { $0.deadline == $1.deadline && $0.amount == $1.amount }
                    if !same {
                        func shown(_ list: [NaiveAllocation]) -> String { list.map { "\($0.deadline) \($0.amount)" }.joined(separator: ", ") }
                        problem("seq \(envelope.seq): payment by invoice \(invoice) recorded with [\(shown(recorded))], CONTRACT 5.2 gives [\(shown(expected))]")
                    }
                }
            } else {
                problem("seq \(envelope.seq): the appended \(input.type) could not be read")
            }
            state.apply(envelope.event)
            if case .settingsChanged(_, let timezone?) = envelope.event, let changed = TimeZone(identifier: timezone) { zone = changed }
        }
        for refusal in refusals {
            if let event = try? Self.event(type: refusal.input.type, data: refusal.input.data), state.verdict(event) == .valid {
                problem("refused a valid \(refusal.input.type) at the end (rule \(refusal.rule))")
            }
        }
        return problems
    }

    /// Equal JSON, where two amounts are equal when they are the same amount ("12.5" and "12.50").
    static func sameValue(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if a == b { return true }
        switch (a, b) {
        case (.string(let x), .string(let y)):
            guard let left = try? Money.parse(x, currency: .euro), let right = try? Money.parse(y, currency: .euro) else { return false }
            return left == right
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { sameValue($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { member in y[member.key].map { sameValue(member.value, $0) } ?? false }
        default:
            return false
        }
    }
}
