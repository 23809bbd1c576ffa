import EventLog

/// The seventeen event types of the catalog (version 1).
public enum EventType: String, Sendable, CaseIterable, Hashable {
    case settingsChanged = "SettingsChanged"
    case reminderTemplateSaved = "ReminderTemplateSaved"
    case clientRegistered = "ClientRegistered"
    case clientUpdated = "ClientUpdated"
    case creditLimitSet = "CreditLimitSet"
    case invoiceIssued = "InvoiceIssued"
    case invoiceCancelled = "InvoiceCancelled"
    case deadlineSet = "DeadlineSet"
    case deadlineAmended = "DeadlineAmended"
    case deadlinePostponed = "DeadlinePostponed"
    case deadlineCancelled = "DeadlineCancelled"
    case paymentReceived = "PaymentReceived"
    case paymentAllocated = "PaymentAllocated"
    case paymentCleared = "PaymentCleared"
    case paymentBounced = "PaymentBounced"
    case paymentDocumentAttached = "PaymentDocumentAttached"
    case reminderSent = "ReminderSent"

    /// Every event type is at schema version 1.
    public static let schemaVersion: UInt16 = 1

    /// The data field that is the event's business date, for the types that carry one
    /// (CONTRACT 3.3); `effective` is refused on these.
    public var ownDateField: String? {
        switch self {
        case .invoiceIssued: return "issued"
        case .invoiceCancelled, .paymentCleared, .paymentBounced: return "date"
        case .paymentReceived: return "received"
        case .reminderSent: return "sentAt"
        default: return nil
        }
    }

    /// Master data is filtered by knownAt only, never by asOf (CONTRACT 5).
    public var isMasterData: Bool {
        switch self {
        case .settingsChanged, .reminderTemplateSaved, .clientRegistered, .clientUpdated: return true
        default: return false
        }
    }

    /// The stream (aggregate) an event belongs to: the entity it is about. Stream names are
    /// derived from the data alone, so an export can be restored without any other knowledge.
    public func stream(for data: JSONObject) -> String {
        func named(_ prefix: String, _ field: String) -> String {
            prefix + ":" + (data[field]?.stringValue ?? "")
        }
        switch self {
        case .settingsChanged: return "settings"
        case .reminderTemplateSaved: return named("template", "template")
        case .clientRegistered, .clientUpdated, .creditLimitSet: return named("client", "client")
        case .invoiceIssued, .invoiceCancelled: return named("invoice", "invoice")
        case .deadlineSet, .deadlineAmended, .deadlinePostponed, .deadlineCancelled, .reminderSent:
            return named("deadline", "deadline")
        case .paymentReceived, .paymentAllocated, .paymentCleared, .paymentBounced, .paymentDocumentAttached:
            return named("payment", "payment")
        }
    }
}
