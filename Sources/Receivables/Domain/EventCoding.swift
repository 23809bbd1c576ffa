import EventLog

// Between an event's JSON `data` (CONTRACT 3 and 4) and its typed form.
//
// Decoding judges everything that can be judged from the event alone; whatever needs the
// store's state (is the client known, is the deadline live) is left to the rules that fold
// the event. The checks run in one fixed order, so the same input always gets the same
// answer: unknown fields first, then each field in the contract's order, then the rules that
// look at several fields at once.

extension EventType {
    /// The names of the type's data fields in the contract's order, which is also the order
    /// they are checked in and written out in.
    public var dataFields: [String] {
        switch self {
        case .settingsChanged:
            return ["company", "iban", "bic", "paymentLink", "sender", "timezone", "currency", "reminder"]
        case .reminderTemplateSaved: return ["template", "locale", "subject", "body", "kind"]
        case .clientRegistered: return ["client", "name", "email", "locale", "vat"]
        case .clientUpdated: return ["client", "name", "email", "locale", "vat"]
        case .creditLimitSet: return ["client", "limit", "warnAt"]
        case .invoiceIssued: return ["invoice", "client", "issued", "amount", "number", "description"]
        case .invoiceCancelled: return ["invoice", "date", "reason"]
        case .deadlineSet: return ["deadline", "client", "due", "amount", "invoice", "description", "reminder"]
        case .deadlineAmended: return ["deadline", "amount", "description", "reminder"]
        case .deadlinePostponed: return ["deadline", "due", "reason"]
        case .deadlineCancelled: return ["deadline", "reason"]
        case .paymentReceived:
            return ["payment", "client", "amount", "received", "method", "status", "reference", "invoice",
                    "allocations"]
        case .paymentAllocated: return ["payment", "allocations"]
        case .paymentCleared: return ["payment", "date"]
        case .paymentBounced: return ["payment", "date", "reason"]
        case .paymentDocumentAttached: return ["payment", "sha256", "name", "mediaType", "size"]
        case .reminderSent:
            return ["deadline", "sentAt", "to", "template", "slot", "channel", "messageId", "manual"]
        }
    }
}

/// Limits on the shape of event data. They keep one event from carrying more than a person
/// would type, and keep date arithmetic on reminder plans far from overflow.
public enum EventDataLimits {
    /// Free text (descriptions, reasons, references, names of clients, subjects), in Unicode
    /// scalars, so the count is the same on every platform.
    public static let maximumTextLength = 1000
    /// A document's file name, in Unicode scalars: what common file systems allow.
    public static let maximumDocumentNameLength = 255
    /// A reminder plan's leadDays and everyDays: ten years.
    public static let maximumReminderDays = 3650
    /// A document's size in bytes: the largest integer a JSON number carries exactly
    /// (2^53 - 1), so that every reader of an export sees the same size.
    public static let maximumDocumentSize: Int64 = 9_007_199_254_740_991
}

extension DomainEvent {
    /// The typed event for a type and its data, or the first rule the data breaks.
    /// `currency` is the store's, which decides how many decimal digits an amount may have.
    public static func decode(type: EventType, data: JSONObject, currency: Currency) throws(EventRejection) -> DomainEvent {
        try decode(type: type, data: data, currency: currency, recorded: false)
    }

    /// The typed event of a record already in the log. Its data passed every rule when it was
    /// appended and the hash chain vouches that it has not changed since, so the checks that
    /// only judge text (id, e-mail, IBAN, link, name and template shapes, lengths, unknown
    /// fields) are not run again: they were a third of a rebuild's time. Types, amounts and
    /// dates are still read strictly, so damaged data is still refused rather than guessed at.
    public static func decodeRecorded(type: EventType, data: JSONObject, currency: Currency) throws(EventRejection) -> DomainEvent {
        try decode(type: type, data: data, currency: currency, recorded: true)
    }

    private static func decode(type: EventType, data: JSONObject, currency: Currency, recorded: Bool) throws(EventRejection) -> DomainEvent {
        let fields = EventDataReader(type: type, data: data, currency: currency, recorded: recorded)
        try fields.rejectUnknownFields()
        switch type {
        case .settingsChanged:
            let company = try fields.optional("company", fields.companyName)
            let iban = try fields.optional("iban", fields.iban)
            let bic = try fields.optional("bic", fields.text)
            let paymentLink = try fields.optional("paymentLink", fields.paymentLink)
            let sender = try fields.optional("sender", fields.email)
            let timezone = try fields.optional("timezone", fields.timeZone)
            let storeCurrency = try fields.optional("currency", fields.isoCurrency)
            let reminder = try fields.optional("reminder", fields.reminderPlan)
            return .settingsChanged(SettingsChanged(
                company: company, iban: iban, bic: bic, paymentLink: paymentLink, sender: sender,
                timezone: timezone, currency: storeCurrency, reminder: reminder))

        case .reminderTemplateSaved:
            let template = try fields.required("template", fields.id)
            let locale = try fields.required("locale", fields.locale)
            let subject = try fields.required("subject", fields.subject)
            let body = try fields.required("body", fields.templateBody)
            let kind = try fields.optional("kind", fields.kind)
            return .reminderTemplateSaved(ReminderTemplateSaved(
                template: template, locale: locale, subject: subject, body: body, kind: kind))

        case .clientRegistered:
            let client = try fields.required("client", fields.id)
            let name = try fields.required("name", fields.clientName)
            let email = try fields.optional("email", fields.email)
            let locale = try fields.optional("locale", fields.locale)
            let vat = try fields.optional("vat", fields.text)
            return .clientRegistered(ClientRegistered(client: client, name: name, email: email, locale: locale, vat: vat))

        case .clientUpdated:
            let client = try fields.required("client", fields.id)
            let name = try fields.optional("name", fields.clientName)
            let email = try fields.optional("email", fields.email)
            let locale = try fields.optional("locale", fields.locale)
            let vat = try fields.optional("vat", fields.text)
            if name == nil && email == nil && locale == nil && vat == nil {
                throw fields.rejection(nil, "nothing to update; give at least one of name, email, locale, vat",
                                       .nothingToUpdate)
            }
            return .clientUpdated(ClientUpdated(client: client, name: name, email: email, locale: locale, vat: vat))

        case .creditLimitSet:
            let client = try fields.required("client", fields.id)
            let limit = try fields.required("limit", fields.amountZeroOrMore)
            let warnAt = try fields.optional("warnAt", fields.warnAt)
            return .creditLimitSet(CreditLimitSet(client: client, limit: limit, warnAt: warnAt))

        case .invoiceIssued:
            let invoice = try fields.required("invoice", fields.id)
            let client = try fields.required("client", fields.id)
            let issued = try fields.required("issued", fields.day)
            let amount = try fields.required("amount", fields.amountMoreThanZero)
            let number = try fields.optional("number", fields.text)
            let description = try fields.optional("description", fields.text)
            return .invoiceIssued(InvoiceIssued(
                invoice: invoice, client: client, issued: issued, amount: amount, number: number,
                description: description))

        case .invoiceCancelled:
            let invoice = try fields.required("invoice", fields.id)
            let date = try fields.required("date", fields.day)
            let reason = try fields.optional("reason", fields.text)
            return .invoiceCancelled(InvoiceCancelled(invoice: invoice, date: date, reason: reason))

        case .deadlineSet:
            let deadline = try fields.required("deadline", fields.id)
            let client = try fields.required("client", fields.id)
            let due = try fields.required("due", fields.day)
            let amount = try fields.required("amount", fields.amountMoreThanZero)
            let invoice = try fields.optional("invoice", fields.id)
            let description = try fields.optional("description", fields.text)
            let reminder = try fields.optional("reminder", fields.reminderPlan)
            return .deadlineSet(DeadlineSet(
                deadline: deadline, client: client, due: due, amount: amount, invoice: invoice,
                description: description, reminder: reminder))

        case .deadlineAmended:
            let deadline = try fields.required("deadline", fields.id)
            let amount = try fields.optional("amount", fields.amountMoreThanZero)
            let description = try fields.optional("description", fields.text)
            let reminder = try fields.optional("reminder", fields.reminderPlan)
            if amount == nil && description == nil && reminder == nil {
                throw fields.rejection(nil, "nothing to amend; give at least one of amount, description, reminder",
                                       .nothingToAmend)
            }
            return .deadlineAmended(DeadlineAmended(
                deadline: deadline, amount: amount, description: description, reminder: reminder))

        case .deadlinePostponed:
            let deadline = try fields.required("deadline", fields.id)
            let due = try fields.required("due", fields.day)
            let reason = try fields.optional("reason", fields.text)
            return .deadlinePostponed(DeadlinePostponed(deadline: deadline, due: due, reason: reason))

        case .deadlineCancelled:
            let deadline = try fields.required("deadline", fields.id)
            let reason = try fields.optional("reason", fields.text)
            return .deadlineCancelled(DeadlineCancelled(deadline: deadline, reason: reason))

        case .paymentReceived:
            let payment = try fields.required("payment", fields.id)
            let client = try fields.required("client", fields.id)
            let amount = try fields.required("amount", fields.amountMoreThanZero)
            let received = try fields.required("received", fields.day)
            let method = try fields.required("method", fields.method)
            let status = try fields.optional("status", fields.status)
            let reference = try fields.optional("reference", fields.text)
            let invoice = try fields.optional("invoice", fields.id)
            let allocations = try fields.optional("allocations", fields.allocations)
            if let allocations {
                // The only allocation rule that needs no state (CONTRACT 5.2): a payment cannot
                // hand out more than it brought in.
                var total = Money.zero
                for allocation in allocations {
                    guard let sum = total.adding(allocation.amount), sum <= amount else {
                        throw fields.rejection(
                            "allocations",
                            "add up to more than the payment's amount \(amount.canonical(currency)); "
                                + "allocate at most the amount received",
                            .allocationsExceedPayment)
                    }
                    total = sum
                }
            }
            return .paymentReceived(PaymentReceived(
                payment: payment, client: client, amount: amount, received: received, method: method,
                status: status, reference: reference, invoice: invoice, allocations: allocations))

        case .paymentAllocated:
            let payment = try fields.required("payment", fields.id)
            let allocations = try fields.required("allocations", fields.allocations)
            return .paymentAllocated(PaymentAllocated(payment: payment, allocations: allocations))

        case .paymentCleared:
            let payment = try fields.required("payment", fields.id)
            let date = try fields.required("date", fields.day)
            return .paymentCleared(PaymentCleared(payment: payment, date: date))

        case .paymentBounced:
            let payment = try fields.required("payment", fields.id)
            let date = try fields.required("date", fields.day)
            let reason = try fields.optional("reason", fields.text)
            return .paymentBounced(PaymentBounced(payment: payment, date: date, reason: reason))

        case .paymentDocumentAttached:
            let payment = try fields.required("payment", fields.id)
            let sha256 = try fields.required("sha256", fields.digest)
            let name = try fields.required("name", fields.documentName)
            let mediaType = try fields.required("mediaType", fields.mediaType)
            let size = try fields.required("size", fields.documentSize)
            return .paymentDocumentAttached(PaymentDocumentAttached(
                payment: payment, sha256: sha256, name: name, mediaType: mediaType, size: size))

        case .reminderSent:
            let deadline = try fields.required("deadline", fields.id)
            let sentAt = try fields.required("sentAt", fields.timestamp)
            let to = try fields.required("to", fields.email)
            let template = try fields.required("template", fields.id)
            let slot = try fields.required("slot", fields.day)
            let channel = try fields.optional("channel", fields.text)
            let messageId = try fields.optional("messageId", fields.text)
            let manual = try fields.optional("manual", fields.boolean)
            return .reminderSent(ReminderSent(
                deadline: deadline, sentAt: sentAt, to: to, template: template, slot: slot,
                channel: channel, messageId: messageId, manual: manual))
        }
    }

    /// The event's data as JSON: the contract's field names in its order, amounts in canonical
    /// form, absent optionals left out (never null). `decode` reads it back to an equal event.
    public func encode(currency: Currency) -> JSONObject {
        var data = EncodedData(currency: currency)
        switch self {
        case .settingsChanged(let event):
            data.add("company", event.company)
            data.add("iban", event.iban)
            data.add("bic", event.bic)
            data.add("paymentLink", event.paymentLink)
            data.add("sender", event.sender)
            data.add("timezone", event.timezone?.identifier)
            data.add("currency", event.currency?.code)
            data.add("reminder", event.reminder)
        case .reminderTemplateSaved(let event):
            data.add("template", event.template)
            data.add("locale", event.locale)
            data.add("subject", event.subject)
            data.add("body", event.body)
            data.add("kind", event.kind)
        case .clientRegistered(let event):
            data.add("client", event.client)
            data.add("name", event.name)
            data.add("email", event.email)
            data.add("locale", event.locale)
            data.add("vat", event.vat)
        case .clientUpdated(let event):
            data.add("client", event.client)
            data.add("name", event.name)
            data.add("email", event.email)
            data.add("locale", event.locale)
            data.add("vat", event.vat)
        case .creditLimitSet(let event):
            data.add("client", event.client)
            data.add("limit", event.limit)
            data.add("warnAt", event.warnAt.map { Int64($0) })
        case .invoiceIssued(let event):
            data.add("invoice", event.invoice)
            data.add("client", event.client)
            data.add("issued", event.issued)
            data.add("amount", event.amount)
            data.add("number", event.number)
            data.add("description", event.description)
        case .invoiceCancelled(let event):
            data.add("invoice", event.invoice)
            data.add("date", event.date)
            data.add("reason", event.reason)
        case .deadlineSet(let event):
            data.add("deadline", event.deadline)
            data.add("client", event.client)
            data.add("due", event.due)
            data.add("amount", event.amount)
            data.add("invoice", event.invoice)
            data.add("description", event.description)
            data.add("reminder", event.reminder)
        case .deadlineAmended(let event):
            data.add("deadline", event.deadline)
            data.add("amount", event.amount)
            data.add("description", event.description)
            data.add("reminder", event.reminder)
        case .deadlinePostponed(let event):
            data.add("deadline", event.deadline)
            data.add("due", event.due)
            data.add("reason", event.reason)
        case .deadlineCancelled(let event):
            data.add("deadline", event.deadline)
            data.add("reason", event.reason)
        case .paymentReceived(let event):
            data.add("payment", event.payment)
            data.add("client", event.client)
            data.add("amount", event.amount)
            data.add("received", event.received)
            data.add("method", event.method)
            data.add("status", event.status)
            data.add("reference", event.reference)
            data.add("invoice", event.invoice)
            data.add("allocations", event.allocations)
        case .paymentAllocated(let event):
            data.add("payment", event.payment)
            data.add("allocations", event.allocations)
        case .paymentCleared(let event):
            data.add("payment", event.payment)
            data.add("date", event.date)
        case .paymentBounced(let event):
            data.add("payment", event.payment)
            data.add("date", event.date)
            data.add("reason", event.reason)
        case .paymentDocumentAttached(let event):
            data.add("payment", event.payment)
            data.add("sha256", event.sha256)
            data.add("name", event.name)
            data.add("mediaType", event.mediaType)
            data.add("size", event.size)
        case .reminderSent(let event):
            data.add("deadline", event.deadline)
            data.add("sentAt", event.sentAt.description)
            data.add("to", event.to)
            data.add("template", event.template)
            data.add("slot", event.slot)
            data.add("channel", event.channel)
            data.add("messageId", event.messageId)
            data.add("manual", event.manual.map(JSONValue.bool))
        }
        return JSONObject(data.members)
    }
}

// MARK: Rules

/// The names of the rules decoding can report, as `EventRejection.rule`.
enum EventShapeRule: String, CaseIterable {
    case unknownField
    case missingField
    case wrongType
    case moneyNotAString
    case invalidAmount
    case amountNotPositive
    case invalidId
    case invalidDate
    case invalidTimestamp
    case invalidEmail
    case invalidIBAN
    case invalidPaymentLink
    case unknownTimeZone
    case unknownCurrency
    case unknownLocale
    case unknownMethod
    case unknownStatus
    case unknownKind
    case warnAtOutOfRange
    case invalidReminderPlan
    case invalidDigest
    case invalidSize
    case invalidMediaType
    case invalidName
    case nothingToUpdate
    case nothingToAmend
    case invalidAllocations
    case allocationsExceedPayment
    case subjectNotOneLine
    case unknownPlaceholder
    case unclosedPlaceholder
    case textTooLong
}

// MARK: Reading

/// Reads one event's data. Each reader takes the JSON value and the field's name as the
/// rejection should show it ("amount", "allocations[2].amount"), so the same check serves a
/// top-level field and a member of a nested object.
private struct EventDataReader {
    let type: EventType
    let data: JSONObject
    let currency: Currency
    /// Data read back from the log: the checks of text shape passed at append time.
    let recorded: Bool

    func rejection(_ field: String?, _ reason: String, _ rule: EventShapeRule) -> EventRejection {
        EventRejection(type: type.rawValue, field: field, reason: reason, rule: rule.rawValue)
    }

    func rejectUnknownFields() throws(EventRejection) {
        if recorded { return }
        let allowed = type.dataFields
        for name in data.keys where !allowed.contains(name) {
            var reason = "unknown field"
            if let suggestion = Suggestion.closest(to: name, among: allowed) {
                reason += " (did you mean \"\(suggestion)\"?)"
            }
            let list = allowed.isEmpty ? "no fields" : "the fields " + allowed.joined(separator: ", ")
            reason += "; \(type.rawValue) has \(list)"
            throw rejection(name, reason, .unknownField)
        }
    }

    func required<Value>(
        _ field: String, _ read: (JSONValue, String) throws(EventRejection) -> Value
    ) throws(EventRejection) -> Value {
        guard let value = data[field] else {
            throw rejection(field, "missing; every \(type.rawValue) has one", .missingField)
        }
        return try read(value, field)
    }

    /// An optional field that is present must be valid: null is not a way to leave it out,
    /// because the log writes absent fields one way only (omitted).
    func optional<Value>(
        _ field: String, _ read: (JSONValue, String) throws(EventRejection) -> Value
    ) throws(EventRejection) -> Value? {
        guard let value = data[field] else { return nil }
        if value == .null {
            throw rejection(field, "must not be null; leave the field out when it has no value", .wrongType)
        }
        return try read(value, field)
    }

    // MARK: Plain JSON types

    func string(_ value: JSONValue, _ field: String) throws(EventRejection) -> String {
        guard case .string(let text) = value else {
            throw rejection(field, "must be a string, not \(value.typeName)", .wrongType)
        }
        return text
    }

    func boolean(_ value: JSONValue, _ field: String) throws(EventRejection) -> Bool {
        guard case .bool(let flag) = value else {
            throw rejection(field, "must be true or false, not \(value.typeName)", .wrongType)
        }
        return flag
    }

    /// Whole numbers only: "80.5" percent or bytes has no meaning, and rounding it silently
    /// would store something the sender did not write.
    func wholeNumber(_ value: JSONValue, _ field: String) throws(EventRejection) -> Int64 {
        guard case .number(let number) = value else {
            throw rejection(field, "must be a whole number, not \(value.typeName)", .wrongType)
        }
        guard let whole = value.integerValue else {
            throw rejection(field, "must be a whole number, not \(number)", .wrongType)
        }
        return whole
    }

    // MARK: Text

    func text(_ value: JSONValue, _ field: String) throws(EventRejection) -> String {
        let text = try string(value, field)
        try checkLength(text, field)
        return text
    }

    private func checkLength(_ text: String, _ field: String) throws(EventRejection) {
        if recorded { return }
        let length = text.unicodeScalars.count
        if length > EventDataLimits.maximumTextLength {
            throw rejection(field, "is \(length) characters long; at most \(EventDataLimits.maximumTextLength) are allowed",
                            .textTooLong)
        }
    }

    func id(_ value: JSONValue, _ field: String) throws(EventRejection) -> String {
        let text = try string(value, field)
        if recorded { return text }
        if let problem = idProblem(text) {
            throw rejection(field, problem + "; an id is 1 to 64 characters without control characters "
                                + "or white space at either end", .invalidId)
        }
        return text
    }

    private func idProblem(_ text: String) -> String? {
        guard !Identifiers.isValidId(text) else { return nil }
        let scalars = text.unicodeScalars
        guard let first = scalars.first, let last = scalars.last else { return "must not be empty" }
        if scalars.count > 64 { return "is \(scalars.count) characters long" }
        if first.properties.isWhitespace || last.properties.isWhitespace {
            return "\(quoted(text)) begins or ends with white space"
        }
        return "\(quoted(text)) contains a control character"
    }

    /// The company's name signs every reminder's From header: one line, no control characters.
    func companyName(_ value: JSONValue, _ field: String) throws(EventRejection) -> String {
        let name = try text(value, field)
        if recorded { return name }
        if name.unicodeScalars.contains(where: isControl) {
            throw rejection(field, "\(quoted(name)) contains a control character; write the company's name on one line", .invalidName)
        }
        return name
    }

    func clientName(_ value: JSONValue, _ field: String) throws(EventRejection) -> String {
        let name = try string(value, field)
        if recorded { return name }
        if name.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
            throw rejection(field, "must not be empty; give the name the client is addressed by", .invalidName)
        }
        if name.unicodeScalars.contains(where: isControl) {
            throw rejection(field, "\(quoted(name)) contains a control character; write the name on one line", .invalidName)
        }
        try checkLength(name, field)
        return name
    }

    // MARK: Money

    func amountMoreThanZero(_ value: JSONValue, _ field: String) throws(EventRejection) -> Money {
        let amount = try money(value, field, mustBeMoreThanZero: true)
        guard amount.isPositive else {
            throw rejection(field, "is \(amount.canonical(currency)); this amount must be more than zero, like \"\(exampleAmount)\"",
                            .amountNotPositive)
        }
        return amount
    }

    func amountZeroOrMore(_ value: JSONValue, _ field: String) throws(EventRejection) -> Money {
        try money(value, field, mustBeMoreThanZero: false)
    }

    private func money(_ value: JSONValue, _ field: String, mustBeMoreThanZero: Bool) throws(EventRejection) -> Money {
        switch value {
        case .string(let text):
            do {
                return try Money.parse(text, currency: currency)
            } catch {
                var reason = error.description
                // MoneyParseError words a sign as "must be zero or more", which would mislead
                // for the amounts that must be more than zero.
                if mustBeMoreThanZero, case .negativeNotAllowed = error {
                    reason = "\(quoted(text)) is negative; this amount must be more than zero, like \"\(exampleAmount)\""
                }
                throw rejection(field, reason, .invalidAmount)
            }
        case .number:
            // A JSON number passes through binary floating point in most readers, so amounts
            // travel as decimal strings, which every reader keeps exact.
            throw rejection(field, "must be a decimal string like \"\(exampleAmount)\", not a number", .moneyNotAString)
        default:
            throw rejection(field, "must be a decimal string like \"\(exampleAmount)\", not \(value.typeName)", .wrongType)
        }
    }

    /// "1220.50" for EUR, "1220" for JPY: an example the store's currency accepts.
    private var exampleAmount: String {
        currency.minorDigits == 0 ? "1220" : "1220." + "5" + String(repeating: "0", count: currency.minorDigits - 1)
    }

    // MARK: Dates and times

    func day(_ value: JSONValue, _ field: String) throws(EventRejection) -> Day {
        let text = try string(value, field)
        guard let day = Day(iso: text) else {
            throw rejection(field, "\(quoted(text)) is not a date; write an existing date as YYYY-MM-DD, like \"2026-02-15\"",
                            .invalidDate)
        }
        return day
    }

    func timestamp(_ value: JSONValue, _ field: String) throws(EventRejection) -> Timestamp {
        let text = try string(value, field)
        guard let timestamp = Timestamp(rfc3339: text) else {
            throw rejection(field, "\(quoted(text)) is not a timestamp; write RFC 3339 with a zone, like \"2026-01-15T09:00:00.000Z\"",
                            .invalidTimestamp)
        }
        return timestamp
    }

    // MARK: Settings

    func email(_ value: JSONValue, _ field: String) throws(EventRejection) -> String {
        let text = try string(value, field)
        if recorded { return text }
        guard Identifiers.isEmailAddress(text) else {
            throw rejection(field, "\(quoted(text)) is not an e-mail address; write it like \"name@example.com\"", .invalidEmail)
        }
        return text
    }

    func iban(_ value: JSONValue, _ field: String) throws(EventRejection) -> String {
        let text = try string(value, field)
        // The log holds the IBAN as the decision normalised it.
        if recorded { return text }
        guard let normalized = Identifiers.normalizedIBAN(text) else {
            throw rejection(field, "\(quoted(text)) is not a valid IBAN: its country code, length or check digits "
                                + "are wrong; copy it again from the bank's statement", .invalidIBAN)
        }
        return normalized
    }

    func paymentLink(_ value: JSONValue, _ field: String) throws(EventRejection) -> String {
        let text = try string(value, field)
        if recorded { return text }
        guard Identifiers.isHTTPSURL(text) else {
            throw rejection(field, "\(quoted(text)) is not an https URL; write one like "
                                + "\"https://pay.example.com/?ref={deadline}&amount={amount}\", with braces only "
                                + "in {deadline} and {amount}", .invalidPaymentLink)
        }
        return text
    }

    func timeZone(_ value: JSONValue, _ field: String) throws(EventRejection) -> TimeZoneRule {
        let text = try string(value, field)
        guard let rule = TimeZoneRule(identifier: text) else {
            throw rejection(field, "\(quoted(text)) is not a known IANA time zone; write a region name like \"Europe/Rome\", or \"UTC\"",
                            .unknownTimeZone)
        }
        return rule
    }

    func isoCurrency(_ value: JSONValue, _ field: String) throws(EventRejection) -> Currency {
        let text = try string(value, field)
        guard let currency = Currency.iso4217(text) else {
            throw rejection(field, "\(quoted(text)) is not an ISO 4217 currency code; write three capital letters like \"EUR\"",
                            .unknownCurrency)
        }
        return currency
    }

    func reminderPlan(_ value: JSONValue, _ field: String) throws(EventRejection) -> ReminderPlan {
        guard case .object(let plan) = value else {
            throw rejection(field, "must be an object like {\"leadDays\": 7, \"everyDays\": 7, \"template\": \"default\"}, "
                                + "not \(value.typeName)", .wrongType)
        }
        let members = ["leadDays", "everyDays", "template", "maxCount"]
        for name in plan.keys where !members.contains(name) {
            throw rejection("\(field).\(name)", "unknown member; a reminder plan has leadDays, everyDays, template "
                                + "and maxCount", .invalidReminderPlan)
        }
        func member(_ name: String) throws(EventRejection) -> JSONValue {
            guard let memberValue = plan[name] else {
                throw rejection("\(field).\(name)", "missing; a reminder plan has leadDays, everyDays and template",
                                .invalidReminderPlan)
            }
            return memberValue
        }
        func days(_ name: String, _ meaning: String) throws(EventRejection) -> Int {
            let memberValue = try member(name)
            let limit = EventDataLimits.maximumReminderDays
            guard let count = memberValue.integerValue, (0...Int64(limit)).contains(count) else {
                throw rejection("\(field).\(name)", "must be a whole number of days from 0 to \(limit) (\(meaning)), "
                                    + "not \(shown(memberValue))", .invalidReminderPlan)
            }
            return Int(count)
        }
        let leadDays = try days("leadDays", "how long before the due date the first reminder goes out")
        let everyDays = try days("everyDays", "the days between reminders; 0 sends one only")
        let templateValue = try member("template")
        guard case .string(let template) = templateValue, Identifiers.isValidId(template) else {
            throw rejection("\(field).template", "must be a template id (1 to 64 characters), such as \"default\", "
                                + "not \(shown(templateValue))", .invalidReminderPlan)
        }
        var maxCount: Int?
        if let countValue = plan["maxCount"] {
            guard let count = countValue.integerValue, count >= 1 else {
                throw rejection("\(field).maxCount", "must be a whole number of at least 1, not \(shown(countValue)); "
                                    + "leave it out for no limit", .invalidReminderPlan)
            }
            maxCount = Int(count)
        }
        return ReminderPlan(leadDays: leadDays, everyDays: everyDays, template: template, maxCount: maxCount)
    }

    // MARK: Templates

    func locale(_ value: JSONValue, _ field: String) throws(EventRejection) -> ClientLocale {
        try choice(value, field, of: ClientLocale.self, .unknownLocale, what: "a supported locale")
    }

    func kind(_ value: JSONValue, _ field: String) throws(EventRejection) -> ReminderKind {
        try choice(value, field, of: ReminderKind.self, .unknownKind, what: "a reminder kind")
    }

    func subject(_ value: JSONValue, _ field: String) throws(EventRejection) -> String {
        let subject = try string(value, field)
        if recorded { return subject }
        // The subject becomes a mail header, where a line break would start a header of the
        // sender's choosing.
        if subject.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {
            throw rejection(field, "must be one line; remove the line breaks", .subjectNotOneLine)
        }
        try checkLength(subject, field)
        try checkTemplate(subject, field)
        return subject
    }

    func templateBody(_ value: JSONValue, _ field: String) throws(EventRejection) -> String {
        let body = try string(value, field)
        if recorded { return body }
        try checkTemplate(body, field)
        return body
    }

    private func checkTemplate(_ text: String, _ field: String) throws(EventRejection) {
        do {
            _ = try TemplateText.parse(text)
        } catch {
            switch error {
            case .unknownPlaceholder: throw rejection(field, error.description, .unknownPlaceholder)
            case .unclosedPlaceholder: throw rejection(field, error.description, .unclosedPlaceholder)
            }
        }
    }

    // MARK: Credit and payments

    func warnAt(_ value: JSONValue, _ field: String) throws(EventRejection) -> Int {
        let percent = try wholeNumber(value, field)
        guard (1...100).contains(percent) else {
            throw rejection(field, "is \(percent); the warning threshold is a percent of the limit from 1 to 100",
                            .warnAtOutOfRange)
        }
        return Int(percent)
    }

    func method(_ value: JSONValue, _ field: String) throws(EventRejection) -> PaymentMethod {
        try choice(value, field, of: PaymentMethod.self, .unknownMethod, what: "a payment method")
    }

    func status(_ value: JSONValue, _ field: String) throws(EventRejection) -> PaymentStatus {
        try choice(value, field, of: PaymentStatus.self, .unknownStatus, what: "a payment status")
    }

    func allocations(_ value: JSONValue, _ field: String) throws(EventRejection) -> [Allocation] {
        let example = "{\"deadline\": \"D-1\", \"amount\": \"\(exampleAmount)\"}"
        guard case .array(let elements) = value else {
            throw rejection(field, "must be an array of objects like \(example), not \(value.typeName)", .wrongType)
        }
        if elements.isEmpty {
            throw rejection(field, "must hold at least one allocation like \(example)", .invalidAllocations)
        }
        var allocations: [Allocation] = []
        for (index, element) in elements.enumerated() {
            let place = "\(field)[\(index)]"
            guard case .object(let object) = element else {
                throw rejection(place, "must be an object like \(example), not \(element.typeName)", .invalidAllocations)
            }
            for name in object.keys where name != "deadline" && name != "amount" {
                throw rejection("\(place).\(name)", "unknown member; an allocation has deadline and amount only",
                                .invalidAllocations)
            }
            guard let deadlineValue = object["deadline"] else {
                throw rejection("\(place).deadline", "missing; an allocation names the deadline it pays", .invalidAllocations)
            }
            guard let amountValue = object["amount"] else {
                throw rejection("\(place).amount", "missing; an allocation says how much it pays", .invalidAllocations)
            }
            let deadline = try id(deadlineValue, "\(place).deadline")
            let amount = try amountMoreThanZero(amountValue, "\(place).amount")
            allocations.append(Allocation(deadline: deadline, amount: amount))
        }
        return allocations
    }

    // MARK: Documents

    func digest(_ value: JSONValue, _ field: String) throws(EventRejection) -> String {
        let text = try string(value, field)
        if recorded { return text }
        let isLowerHex = text.utf8.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
        }
        guard text.utf8.count == 64, isLowerHex else {
            throw rejection(field, "\(quoted(text)) is not a SHA-256 digest; write it as 64 lower-case hex digits",
                            .invalidDigest)
        }
        return text
    }

    func documentName(_ value: JSONValue, _ field: String) throws(EventRejection) -> String {
        let name = try string(value, field)
        if recorded { return name }
        let length = name.unicodeScalars.count
        let limit = EventDataLimits.maximumDocumentNameLength
        let problem: String?
        if length == 0 {
            problem = "must not be empty"
        } else if length > limit {
            problem = "is \(length) characters long; at most \(limit) are allowed"
        } else if name.unicodeScalars.contains(where: isControl) {
            problem = "\(quoted(name)) contains a control character"
        } else if name.contains("/") {
            problem = "\(quoted(name)) contains \"/\"; give the file's name without its folder"
        } else if name == "." || name == ".." {
            // These name folders, not files, wherever the document is written out again.
            problem = "\(quoted(name)) is not a file name"
        } else {
            problem = nil
        }
        if let problem {
            throw rejection(field, problem + "; a document name is a file name like \"receipt.pdf\"", .invalidName)
        }
        return name
    }

    /// RFC 6838 shape: type "/" subtype, each 1 to 127 of letters, digits and ! # $ & - ^ _ . +,
    /// starting with a letter or digit. Parameters such as "; charset=utf-8" are not part of it.
    func mediaType(_ value: JSONValue, _ field: String) throws(EventRejection) -> String {
        let text = try string(value, field)
        if recorded { return text }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy(isRestrictedName) else {
            throw rejection(field, "\(quoted(text)) is not a media type; write type/subtype, like \"application/pdf\"",
                            .invalidMediaType)
        }
        return text
    }

    private func isRestrictedName(_ name: Substring) -> Bool {
        let punctuation = Set("!#$&-^_.+".utf8)
        func isLetterOrDigit(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard let first = name.utf8.first, isLetterOrDigit(first), name.utf8.count <= 127 else { return false }
        return name.utf8.allSatisfy { isLetterOrDigit($0) || punctuation.contains($0) }
    }

    func documentSize(_ value: JSONValue, _ field: String) throws(EventRejection) -> Int64 {
        let size = try wholeNumber(value, field)
        let limit = EventDataLimits.maximumDocumentSize
        guard (0...limit).contains(size) else {
            throw rejection(field, "is \(size); a size is a count of bytes from 0 to \(limit)", .invalidSize)
        }
        return size
    }

    // MARK: Helpers

    /// One of an enumeration's raw values, exactly as written: "IT" or "Cash" are refused
    /// because the log keeps one spelling of each value.
    private func choice<Choice: RawRepresentable & CaseIterable>(
        _ value: JSONValue, _ field: String, of _: Choice.Type, _ rule: EventShapeRule, what: String
    ) throws(EventRejection) -> Choice where Choice.RawValue == String {
        let text = try string(value, field)
        if let choice = Choice(rawValue: text) { return choice }
        let names = Choice.allCases.map(\.rawValue)
        var reason = "\(quoted(text)) is not \(what)"
        // Two letters are too few to guess from: "fr" is no misspelling of "it".
        if text.count >= 3, let suggestion = Suggestion.closest(to: text, among: names) {
            reason += " (did you mean \"\(suggestion)\"?)"
        }
        reason += "; use one of " + names.joined(separator: ", ")
        throw rejection(field, reason, rule)
    }

    private func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control
    }

    /// A JSON value as a message shows it: strings quoted, numbers as numbers, other types by name.
    private func shown(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return quoted(text)
        case .number(let number):
            if let whole = value.integerValue { return String(whole) }
            return String(number)
        default: return value.typeName
        }
    }

    /// The text in quotes with quotes, backslashes and control characters escaped, so a message
    /// stays on one line and its quoted part cannot be mistaken for the message around it.
    /// Long texts are cut: the field name already says where the problem is.
    private func quoted(_ text: String) -> String {
        let limit = 80
        var result = "\""
        for (index, scalar) in text.unicodeScalars.enumerated() {
            if index == limit {
                result += "…"
                break
            }
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if isControl(scalar) {
                    result += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}

// MARK: Writing

/// Collects the members of an event's data in order, leaving out what is absent.
private struct EncodedData {
    let currency: Currency
    var members: [(String, JSONValue)] = []

    init(currency: Currency) {
        self.currency = currency
    }

    mutating func add(_ name: String, _ value: JSONValue?) {
        if let value { members.append((name, value)) }
    }

    mutating func add(_ name: String, _ text: String?) {
        add(name, text.map(JSONValue.string))
    }

    mutating func add(_ name: String, _ amount: Money?) {
        add(name, amount.map { .string($0.canonical(currency)) })
    }

    mutating func add(_ name: String, _ day: Day?) {
        add(name, day.map { .string($0.description) })
    }

    mutating func add(_ name: String, _ number: Int64?) {
        add(name, number.map { .number(Double($0)) })
    }

    mutating func add<Choice: RawRepresentable>(_ name: String, _ choice: Choice?) where Choice.RawValue == String {
        add(name, choice.map { .string($0.rawValue) })
    }

    mutating func add(_ name: String, _ plan: ReminderPlan?) {
        guard let plan else { return }
        var object: [(String, JSONValue)] = [
            ("leadDays", .number(Double(plan.leadDays))),
            ("everyDays", .number(Double(plan.everyDays))),
            ("template", .string(plan.template)),
        ]
        if let maxCount = plan.maxCount { object.append(("maxCount", .number(Double(maxCount)))) }
        add(name, .object(JSONObject(object)))
    }

    mutating func add(_ name: String, _ allocations: [Allocation]?) {
        guard let allocations else { return }
        let elements = allocations.map { allocation -> JSONValue in
            .object(JSONObject([("deadline", .string(allocation.deadline)),
                                ("amount", .string(allocation.amount.canonical(currency)))]))
        }
        add(name, .array(elements))
    }
}
