import EventLog

// The state the rules judge against and the read models are drawn from: one value per entity,
// folded from the log. Pure values; where they are kept (LMDB during an append, memory during
// an as-of replay) is the business of a `StateStore`.

/// The store-wide settings, as the SettingsChanged events so far have left them.
public struct SettingsState: Sendable, Equatable {
    public var company: String?
    public var iban: String?
    public var bic: String?
    public var paymentLink: String?
    public var sender: String?
    public var timeZone: TimeZoneRule = .rome
    public var currency: Currency = .euro
    /// The plan for deadlines without one of their own.
    public var reminder: ReminderPlan?
    /// Once money has been recorded the currency cannot change: every amount is in it.
    public var hasMoneyEvents = false

    public init() {}
}

/// What a credit status can be (CONTRACT 5.3).
public enum CreditStatus: String, Sendable, Equatable, CaseIterable {
    case none, ok, warning, exceeded
}

public struct ClientState: Sendable, Equatable {
    public var id: String
    public var name: String
    public var email: String?
    public var locale: ClientLocale = .default
    public var vat: String?
    public var limit: Money?
    public var warnAt: Int = 80
    /// Σ of the contributions of the client's invoices, free deadlines and cleared payments.
    public var exposure: Money = .zero
    /// Σ of the amounts of its payments still pending.
    public var pendingPayments: Money = .zero
    /// Σ of the unallocated remainders of its payments that have not bounced.
    public var onAccount: Money = .zero

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }

    /// CONTRACT 5.3, judged on `exposure` (or on exposure plus a requested amount).
    public func creditStatus(adding requested: Money = .zero) -> CreditStatus {
        guard let limit else { return .none }
        let judged = exposure + requested
        if judged > limit { return .exceeded }
        // exposure × 100 >= warnAt × limit, in exact minor units (wide multiplication: no overflow).
        let left = judged.minorUnits.multipliedFullWidth(by: 100)
        let right = Int64(warnAt).multipliedFullWidth(by: limit.minorUnits)
        if judged.isPositive && (left.high, left.low) >= (right.high, right.low) { return .warning }
        return .ok
    }
}

public struct InvoiceState: Sendable, Equatable {
    public var id: String
    public var client: String
    public var issued: Day
    public var amount: Money
    public var number: String?
    public var description: String?
    public var cancelledOn: Day?
    /// Its deadlines, in the order they were set.
    public var deadlines: [String] = []
    /// Σ of the amounts of its live deadlines (the invoice sum rule).
    public var liveDeadlineTotal: Money = .zero
    /// Σ of the cleared allocations to its deadlines.
    public var clearedAllocated: Money = .zero
    /// Σ of the pending allocations to its deadlines.
    public var pendingAllocated: Money = .zero

    public var isCancelled: Bool { cancelledOn != nil }

    public init(id: String, client: String, issued: Day, amount: Money) {
        self.id = id
        self.client = client
        self.issued = issued
        self.amount = amount
    }

    /// What the invoice adds to its client's exposure.
    public var exposureContribution: Money { isCancelled ? .zero : amount - clearedAllocated }
}

public struct SentReminder: Sendable, Equatable {
    public var sentAt: Timestamp
    public var slot: Day
    public var manual: Bool
    public init(sentAt: Timestamp, slot: Day, manual: Bool) {
        self.sentAt = sentAt
        self.slot = slot
        self.manual = manual
    }
}

public struct DeadlineState: Sendable, Equatable {
    public var id: String
    public var client: String
    public var invoice: String?
    public var due: Day
    /// The due date first set, kept to show a postponement.
    public var firstDue: Day
    public var amount: Money
    public var description: String?
    public var reminder: ReminderPlan?
    public var paid: Money = .zero
    public var pending: Money = .zero
    /// Cancelled itself, or its invoice was.
    public var isCancelled = false
    public var reminders: [SentReminder] = []

    public init(id: String, client: String, invoice: String?, due: Day, amount: Money) {
        self.id = id
        self.client = client
        self.invoice = invoice
        self.due = due
        self.firstDue = due
        self.amount = amount
    }

    public var isLive: Bool { !isCancelled }
    public var outstanding: Money { amount - paid - pending }

    /// What a free deadline (one without an invoice) adds to its client's exposure.
    public var exposureContribution: Money { invoice != nil || isCancelled ? .zero : amount - paid }

    /// CONTRACT 5.1, as of `asOf`.
    public func status(asOf: Day) -> DeadlineStatus {
        if isCancelled { return .cancelled }
        let outstanding = self.outstanding
        if !outstanding.isPositive { return pending.isZero ? .paid : .pending }
        return due < asOf ? .overdue : .open
    }
}

public enum DeadlineStatus: String, Sendable, Equatable, CaseIterable {
    case open, overdue, pending, paid, cancelled
}

/// The payment's status in the state: the event's two plus what can happen later.
public enum PaymentCondition: String, Sendable, Equatable {
    case cleared, pending, bounced
}

public struct DocumentReference: Sendable, Equatable {
    public var sha256: String
    public var name: String
    public var mediaType: String
    public var size: Int64
    public init(sha256: String, name: String, mediaType: String, size: Int64) {
        self.sha256 = sha256
        self.name = name
        self.mediaType = mediaType
        self.size = size
    }
}

public struct PaymentState: Sendable, Equatable {
    public var id: String
    public var client: String
    public var amount: Money
    public var received: Day
    public var method: PaymentMethod
    public var status: PaymentCondition
    public var clearedOn: Day?
    public var reference: String?
    /// One entry per deadline, merged, in the order first made.
    public var allocations: [Allocation] = []
    public var documents: [DocumentReference] = []

    public init(id: String, client: String, amount: Money, received: Day, method: PaymentMethod, status: PaymentCondition) {
        self.id = id
        self.client = client
        self.amount = amount
        self.received = received
        self.method = method
        self.status = status
    }

    public var allocatedTotal: Money { allocations.reduce(.zero) { $0 + $1.amount } }
    /// What is not applied to any deadline: an on-account credit. A bounced payment has none.
    public var unallocated: Money { status == .bounced ? .zero : amount - allocatedTotal }

    /// A cleared payment's remainder lowers its client's exposure.
    public var exposureContribution: Money { status == .cleared ? .zero - unallocated : .zero }
    /// A pending payment counts in its client's pendingPayments, whole.
    public var pendingContribution: Money { status == .pending ? amount : .zero }

    mutating func merge(_ allocation: Allocation) {
        if let index = allocations.firstIndex(where: { $0.deadline == allocation.deadline }) {
            allocations[index].amount = allocations[index].amount + allocation.amount
        } else {
            allocations.append(allocation)
        }
    }
}

/// A saved reminder template, by (template, locale, kind).
public struct TemplateState: Sendable, Equatable {
    public var template: String
    public var locale: ClientLocale
    public var kind: ReminderKind?
    public var subject: String
    public var body: String
    public init(template: String, locale: ClientLocale, kind: ReminderKind?, subject: String, body: String) {
        self.template = template
        self.locale = locale
        self.kind = kind
        self.subject = subject
        self.body = body
    }
}

/// Where the state is kept. The rules and the fold only read and write through this, so the
/// same code runs against LMDB inside an append and against memory in an as-of replay.
public protocol StateStore {
    var settings: SettingsState { get set }
    func client(_ id: String) throws -> ClientState?
    func invoice(_ id: String) throws -> InvoiceState?
    func deadline(_ id: String) throws -> DeadlineState?
    func payment(_ id: String) throws -> PaymentState?
    func hasTemplate(_ id: String) throws -> Bool
    func hasReminder(deadline: String, slot: Day) throws -> Bool
    func hasBlob(sha256: String, size: Int64) throws -> Bool
    mutating func put(_ client: ClientState) throws
    mutating func put(_ invoice: InvoiceState) throws
    mutating func put(_ deadline: DeadlineState) throws
    mutating func put(_ payment: PaymentState) throws
    mutating func put(_ template: TemplateState) throws
    mutating func recordReminder(deadline: String, slot: Day) throws
    /// The live deadlines of an invoice, for allocation by invoice and the sum rule.
    func deadlines(ofInvoice invoice: InvoiceState) throws -> [DeadlineState]
}

extension StateStore {
    public func deadlines(ofInvoice invoice: InvoiceState) throws -> [DeadlineState] {
        try invoice.deadlines.compactMap { try deadline($0) }
    }
}

/// The state in memory: for as-of replays, tests and the demo.
public struct MemoryState: StateStore, Sendable {
    public var settings = SettingsState()
    public var clients: [String: ClientState] = [:]
    public var invoices: [String: InvoiceState] = [:]
    public var deadlinesByID: [String: DeadlineState] = [:]
    public var payments: [String: PaymentState] = [:]
    public var templates: [String: [TemplateState]] = [:]
    var reminderSlots: Set<String> = []
    public var blobs: Set<String> = []

    public init() {}

    public func client(_ id: String) -> ClientState? { clients[id] }
    public func invoice(_ id: String) -> InvoiceState? { invoices[id] }
    public func deadline(_ id: String) -> DeadlineState? { deadlinesByID[id] }
    public func payment(_ id: String) -> PaymentState? { payments[id] }
    public func hasTemplate(_ id: String) -> Bool { templates[id] != nil }
    public func hasReminder(deadline: String, slot: Day) -> Bool { reminderSlots.contains(deadline + "\u{0}" + slot.description) }
    public func hasBlob(sha256: String, size: Int64) -> Bool { blobs.contains("\(sha256):\(size)") }
    public mutating func put(_ client: ClientState) { clients[client.id] = client }
    public mutating func put(_ invoice: InvoiceState) { invoices[invoice.id] = invoice }
    public mutating func put(_ deadline: DeadlineState) { deadlinesByID[deadline.id] = deadline }
    public mutating func put(_ payment: PaymentState) { payments[payment.id] = payment }
    public mutating func put(_ template: TemplateState) {
        var list = templates[template.template] ?? []
        list.removeAll { $0.locale == template.locale && $0.kind == template.kind }
        list.append(template)
        templates[template.template] = list
    }
    public mutating func recordReminder(deadline: String, slot: Day) { reminderSlots.insert(deadline + "\u{0}" + slot.description) }
}
