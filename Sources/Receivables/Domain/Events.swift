import EventLog

// The typed form of the event catalog (CONTRACT 4). Each event is a past-tense fact with the
// contract's field names; property names follow the contract's JSON names so that the mapping
// in EventCoding.swift can be read line by line against the contract table. Optional fields
// stay optional here (nil is "absent in the JSON"), and defaults such as a client's locale are
// applied where the events are folded, so that decoding and encoding an event gives back the
// same JSON.

// MARK: Value types used by events

/// How a customer paid.
public enum PaymentMethod: String, Sendable, CaseIterable, Hashable {
    case bankTransfer = "bank_transfer"
    case card
    case cash
    case cheque
    /// Ricevuta bancaria: an Italian bank collection order, credited only after its due date.
    case riba
    case sepaDirectDebit = "sepa_dd"
    case other

    /// The status a payment has when its event does not say: cheques and RiBa can still be
    /// refused by the bank after they are handed over, so they start out pending.
    public var defaultStatus: PaymentStatus {
        switch self {
        case .cheque, .riba: return .pending
        default: return .cleared
        }
    }
}

/// Whether a payment's money has reached the account ("cleared") or may still fail ("pending").
public enum PaymentStatus: String, Sendable, CaseIterable, Hashable {
    case cleared
    case pending
}

/// Where a reminder's slot lies relative to the deadline's due date (CONTRACT 6).
public enum ReminderKind: String, Sendable, CaseIterable, Hashable {
    case beforeDue = "before_due"
    case due
    case overdue
}

/// The language a client is written to in, which also decides how amounts and dates are shown.
public enum ClientLocale: String, Sendable, CaseIterable, Hashable {
    case it
    case en

    /// The locale of a client registered without one.
    public static let `default` = ClientLocale.it

    public var displayLocale: Money.DisplayLocale {
        switch self {
        case .it: return .it
        case .en: return .en
        }
    }
}

/// When reminders go out for a deadline: the first `leadDays` before its due date, then every
/// `everyDays` (0: only once), at most `maxCount` in all when that is set.
public struct ReminderPlan: Sendable, Equatable, Hashable {
    public var leadDays: Int
    public var everyDays: Int
    /// The id of a saved template, or "default" for the built-in one.
    public var template: String
    public var maxCount: Int?

    public init(leadDays: Int, everyDays: Int, template: String, maxCount: Int? = nil) {
        self.leadDays = leadDays
        self.everyDays = everyDays
        self.template = template
        self.maxCount = maxCount
    }
}

/// A part of a payment applied to one deadline.
public struct Allocation: Sendable, Equatable, Hashable {
    public var deadline: String
    public var amount: Money

    public init(deadline: String, amount: Money) {
        self.deadline = deadline
        self.amount = amount
    }
}

// MARK: Master data

/// The store's settings changed; only the fields present change.
public struct SettingsChanged: Sendable, Equatable {
    /// The creditor's name, as reminders sign it.
    public var company: String?
    /// In the compact upper-case form, whatever spacing and case it was given in.
    public var iban: String?
    public var bic: String?
    /// An https URL that may hold `{deadline}` and `{amount}`, filled in per reminder.
    public var paymentLink: String?
    /// The e-mail address reminders are sent from.
    public var sender: String?
    public var timezone: TimeZoneRule?
    public var currency: Currency?
    /// The plan for deadlines that have none of their own.
    public var reminder: ReminderPlan?

    public init(company: String? = nil, iban: String? = nil, bic: String? = nil, paymentLink: String? = nil,
                sender: String? = nil, timezone: TimeZoneRule? = nil, currency: Currency? = nil,
                reminder: ReminderPlan? = nil) {
        self.company = company
        self.iban = iban
        self.bic = bic
        self.paymentLink = paymentLink
        self.sender = sender
        self.timezone = timezone
        self.currency = currency
        self.reminder = reminder
    }
}

/// A reminder template was saved for a locale, and for one kind of reminder or (kind nil) all.
public struct ReminderTemplateSaved: Sendable, Equatable {
    public var template: String
    public var locale: ClientLocale
    /// One line, checked with `TemplateText.parse`.
    public var subject: String
    /// Checked with `TemplateText.parse`.
    public var body: String
    public var kind: ReminderKind?

    public init(template: String, locale: ClientLocale, subject: String, body: String, kind: ReminderKind? = nil) {
        self.template = template
        self.locale = locale
        self.subject = subject
        self.body = body
        self.kind = kind
    }
}

public struct ClientRegistered: Sendable, Equatable {
    public var client: String
    public var name: String
    public var email: String?
    /// Nil means `ClientLocale.default`.
    public var locale: ClientLocale?
    /// The VAT number (partita IVA), as written.
    public var vat: String?

    public init(client: String, name: String, email: String? = nil, locale: ClientLocale? = nil, vat: String? = nil) {
        self.client = client
        self.name = name
        self.email = email
        self.locale = locale
        self.vat = vat
    }
}

/// A client's details changed; only the fields present change, and at least one is.
public struct ClientUpdated: Sendable, Equatable {
    public var client: String
    public var name: String?
    public var email: String?
    public var locale: ClientLocale?
    public var vat: String?

    public init(client: String, name: String? = nil, email: String? = nil, locale: ClientLocale? = nil,
                vat: String? = nil) {
        self.client = client
        self.name = name
        self.email = email
        self.locale = locale
        self.vat = vat
    }
}

// MARK: Credit

/// A client's credit limit ("fido") was set; it replaces any earlier one.
public struct CreditLimitSet: Sendable, Equatable {
    /// The default warning threshold, in percent of the limit.
    public static let defaultWarnAt = 80

    public var client: String
    /// Zero or more.
    public var limit: Money
    /// The exposure, in percent of the limit (1...100), from which the client is in "warning";
    /// nil means `defaultWarnAt`.
    public var warnAt: Int?

    public init(client: String, limit: Money, warnAt: Int? = nil) {
        self.client = client
        self.limit = limit
        self.warnAt = warnAt
    }
}

// MARK: Invoices and deadlines

public struct InvoiceIssued: Sendable, Equatable {
    public var invoice: String
    public var client: String
    public var issued: Day
    /// More than zero.
    public var amount: Money
    /// The invoice number as printed on it, which need not be unique across years.
    public var number: String?
    public var description: String?

    public init(invoice: String, client: String, issued: Day, amount: Money, number: String? = nil,
                description: String? = nil) {
        self.invoice = invoice
        self.client = client
        self.issued = issued
        self.amount = amount
        self.number = number
        self.description = description
    }
}

public struct InvoiceCancelled: Sendable, Equatable {
    public var invoice: String
    public var date: Day
    public var reason: String?

    public init(invoice: String, date: Day, reason: String? = nil) {
        self.invoice = invoice
        self.date = date
        self.reason = reason
    }
}

/// A payment deadline ("scadenza") was set, for an invoice or (invoice nil) on its own.
public struct DeadlineSet: Sendable, Equatable {
    public var deadline: String
    public var client: String
    public var due: Day
    /// More than zero.
    public var amount: Money
    public var invoice: String?
    public var description: String?
    public var reminder: ReminderPlan?

    public init(deadline: String, client: String, due: Day, amount: Money, invoice: String? = nil,
                description: String? = nil, reminder: ReminderPlan? = nil) {
        self.deadline = deadline
        self.client = client
        self.due = due
        self.amount = amount
        self.invoice = invoice
        self.description = description
        self.reminder = reminder
    }
}

/// A deadline's amount, description or reminder plan changed; at least one of them is present.
public struct DeadlineAmended: Sendable, Equatable {
    public var deadline: String
    /// More than zero.
    public var amount: Money?
    public var description: String?
    public var reminder: ReminderPlan?

    public init(deadline: String, amount: Money? = nil, description: String? = nil, reminder: ReminderPlan? = nil) {
        self.deadline = deadline
        self.amount = amount
        self.description = description
        self.reminder = reminder
    }
}

public struct DeadlinePostponed: Sendable, Equatable {
    public var deadline: String
    /// The new due date.
    public var due: Day
    public var reason: String?

    public init(deadline: String, due: Day, reason: String? = nil) {
        self.deadline = deadline
        self.due = due
        self.reason = reason
    }
}

public struct DeadlineCancelled: Sendable, Equatable {
    public var deadline: String
    public var reason: String?

    public init(deadline: String, reason: String? = nil) {
        self.deadline = deadline
        self.reason = reason
    }
}

// MARK: Payments

public struct PaymentReceived: Sendable, Equatable {
    public var payment: String
    public var client: String
    /// More than zero.
    public var amount: Money
    public var received: Day
    public var method: PaymentMethod
    /// Nil means `method.defaultStatus`.
    public var status: PaymentStatus?
    /// The bank's or the customer's reference, as written.
    public var reference: String?
    public var invoice: String?
    /// Non-empty when present, each amount more than zero, their sum at most `amount`.
    public var allocations: [Allocation]?

    public init(payment: String, client: String, amount: Money, received: Day, method: PaymentMethod,
                status: PaymentStatus? = nil, reference: String? = nil, invoice: String? = nil,
                allocations: [Allocation]? = nil) {
        self.payment = payment
        self.client = client
        self.amount = amount
        self.received = received
        self.method = method
        self.status = status
        self.reference = reference
        self.invoice = invoice
        self.allocations = allocations
    }

    /// The status the payment starts with.
    public var initialStatus: PaymentStatus { status ?? method.defaultStatus }
}

/// Part of a payment's unallocated remainder was applied to deadlines.
public struct PaymentAllocated: Sendable, Equatable {
    public var payment: String
    /// Non-empty, each amount more than zero.
    public var allocations: [Allocation]

    public init(payment: String, allocations: [Allocation]) {
        self.payment = payment
        self.allocations = allocations
    }
}

public struct PaymentCleared: Sendable, Equatable {
    public var payment: String
    public var date: Day

    public init(payment: String, date: Day) {
        self.payment = payment
        self.date = date
    }
}

public struct PaymentBounced: Sendable, Equatable {
    public var payment: String
    public var date: Day
    public var reason: String?

    public init(payment: String, date: Day, reason: String? = nil) {
        self.payment = payment
        self.date = date
        self.reason = reason
    }
}

/// A document (a receipt, a bank statement) was stored as a blob and linked to a payment.
public struct PaymentDocumentAttached: Sendable, Equatable {
    public var payment: String
    /// The blob's SHA-256, 64 lower-case hex digits.
    public var sha256: String
    /// A file name without a folder.
    public var name: String
    /// "type/subtype", e.g. "application/pdf".
    public var mediaType: String
    /// The blob's length in bytes.
    public var size: Int64

    public init(payment: String, sha256: String, name: String, mediaType: String, size: Int64) {
        self.payment = payment
        self.sha256 = sha256
        self.name = name
        self.mediaType = mediaType
        self.size = size
    }
}

// MARK: Reminders

/// A reminder for a deadline was handed to the mail transport.
public struct ReminderSent: Sendable, Equatable {
    public var deadline: String
    public var sentAt: Timestamp
    /// The address it was sent to.
    public var to: String
    public var template: String
    /// The reminder plan's date this reminder stands for; today for a manual one.
    public var slot: Day
    /// The transport, e.g. "file" or "smtp".
    public var channel: String?
    public var messageId: String?
    /// True for a reminder asked for by hand, outside the plan.
    public var manual: Bool?

    public init(deadline: String, sentAt: Timestamp, to: String, template: String, slot: Day,
                channel: String? = nil, messageId: String? = nil, manual: Bool? = nil) {
        self.deadline = deadline
        self.sentAt = sentAt
        self.to = to
        self.template = template
        self.slot = slot
        self.channel = channel
        self.messageId = messageId
        self.manual = manual
    }
}

// MARK: The catalog

/// One event of the catalog, typed.
public enum DomainEvent: Sendable, Equatable {
    case settingsChanged(SettingsChanged)
    case reminderTemplateSaved(ReminderTemplateSaved)
    case clientRegistered(ClientRegistered)
    case clientUpdated(ClientUpdated)
    case creditLimitSet(CreditLimitSet)
    case invoiceIssued(InvoiceIssued)
    case invoiceCancelled(InvoiceCancelled)
    case deadlineSet(DeadlineSet)
    case deadlineAmended(DeadlineAmended)
    case deadlinePostponed(DeadlinePostponed)
    case deadlineCancelled(DeadlineCancelled)
    case paymentReceived(PaymentReceived)
    case paymentAllocated(PaymentAllocated)
    case paymentCleared(PaymentCleared)
    case paymentBounced(PaymentBounced)
    case paymentDocumentAttached(PaymentDocumentAttached)
    case reminderSent(ReminderSent)

    public var type: EventType {
        switch self {
        case .settingsChanged: return .settingsChanged
        case .reminderTemplateSaved: return .reminderTemplateSaved
        case .clientRegistered: return .clientRegistered
        case .clientUpdated: return .clientUpdated
        case .creditLimitSet: return .creditLimitSet
        case .invoiceIssued: return .invoiceIssued
        case .invoiceCancelled: return .invoiceCancelled
        case .deadlineSet: return .deadlineSet
        case .deadlineAmended: return .deadlineAmended
        case .deadlinePostponed: return .deadlinePostponed
        case .deadlineCancelled: return .deadlineCancelled
        case .paymentReceived: return .paymentReceived
        case .paymentAllocated: return .paymentAllocated
        case .paymentCleared: return .paymentCleared
        case .paymentBounced: return .paymentBounced
        case .paymentDocumentAttached: return .paymentDocumentAttached
        case .reminderSent: return .reminderSent
        }
    }
}
