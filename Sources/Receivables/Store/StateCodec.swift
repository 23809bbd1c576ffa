import EventLog

// The binary form of the state's entities in LMDB. Each value starts with a version byte so the
// layout can grow; a value that does not decode is a damaged store, reported, never guessed at.

struct StateDecodeError: Error, CustomStringConvertible {
    var entity: String
    var description: String { "the stored state of \(entity) is damaged; run `receivables rebuild`" }
}

protocol StateCodable {
    static var entityName: String { get }
    func encode(into writer: inout ByteWriter)
    init?(from reader: inout ByteReader)
}

extension StateCodable {
    func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.byte(1)
        encode(into: &writer)
        return writer.bytes
    }

    static func decoded(_ bytes: UnsafeRawBufferPointer) throws -> Self {
        var reader = ByteReader(bytes: bytes)
        guard reader.byte() == 1, let value = Self(from: &reader) else { throw StateDecodeError(entity: entityName) }
        return value
    }
}

extension ByteWriter {
    mutating func money(_ value: Money) { integer(value.minorUnits) }
    mutating func day(_ value: Day) { integer(value.daysSinceEpoch) }
    mutating func optionalMoney(_ value: Money?) {
        byte(value == nil ? 0 : 1)
        if let value { money(value) }
    }
    mutating func optionalDay(_ value: Day?) {
        byte(value == nil ? 0 : 1)
        if let value { day(value) }
    }
    mutating func flag(_ value: Bool) { byte(value ? 1 : 0) }
    mutating func plan(_ value: ReminderPlan?) {
        guard let value else { return byte(0) }
        byte(1)
        integer(Int64(value.leadDays))
        integer(Int64(value.everyDays))
        text(value.template)
        integer(Int64(value.maxCount ?? 0))
    }
}

extension ByteReader {
    mutating func money() -> Money? { integer().map { Money(minorUnits: $0) } }
    mutating func day() -> Day? { (integer() as Int32?).map { Day(daysSinceEpoch: $0) } }
    mutating func optionalMoney() -> Money?? {
        guard let present = byte() else { return nil }
        if present == 0 { return .some(nil) }
        guard let value = money() else { return nil }
        return .some(value)
    }
    mutating func optionalDay() -> Day?? {
        guard let present = byte() else { return nil }
        if present == 0 { return .some(nil) }
        guard let value = day() else { return nil }
        return .some(value)
    }
    mutating func flag() -> Bool? { byte().map { $0 != 0 } }
    mutating func plan() -> ReminderPlan?? {
        guard let present = byte() else { return nil }
        if present == 0 { return .some(nil) }
        guard let lead: Int64 = integer(), let every: Int64 = integer(), let template = text(), let maxCount: Int64 = integer() else { return nil }
        return .some(ReminderPlan(leadDays: Int(lead), everyDays: Int(every), template: template, maxCount: maxCount == 0 ? nil : Int(maxCount)))
    }
}

extension SettingsState: StateCodable {
    static var entityName: String { "the settings" }
    func encode(into writer: inout ByteWriter) {
        writer.optionalText(company)
        writer.optionalText(iban)
        writer.optionalText(bic)
        writer.optionalText(paymentLink)
        writer.optionalText(sender)
        writer.text(timeZone.identifier)
        writer.text(currency.code)
        writer.plan(reminder)
        writer.flag(hasMoneyEvents)
    }
    init?(from reader: inout ByteReader) {
        self.init()
        guard let company = reader.optionalText(), let iban = reader.optionalText(), let bic = reader.optionalText(),
              let paymentLink = reader.optionalText(), let sender = reader.optionalText(),
              let zone = reader.text().flatMap(TimeZoneRule.init(identifier:)),
              let currency = reader.text().flatMap(Currency.iso4217), let plan = reader.plan(), let money = reader.flag()
        else { return nil }
        (self.company, self.iban, self.bic, self.paymentLink, self.sender) = (company, iban, bic, paymentLink, sender)
        (self.timeZone, self.currency, self.reminder, self.hasMoneyEvents) = (zone, currency, plan, money)
    }
}

extension ClientState: StateCodable {
    static var entityName: String { "a client" }
    func encode(into writer: inout ByteWriter) {
        writer.text(id)
        writer.text(name)
        writer.optionalText(email)
        writer.text(locale.rawValue)
        writer.optionalText(vat)
        writer.optionalMoney(limit)
        writer.integer(Int32(warnAt))
        writer.money(exposure)
        writer.money(pendingPayments)
        writer.money(onAccount)
    }
    init?(from reader: inout ByteReader) {
        guard let id = reader.text(), let name = reader.text(), let email = reader.optionalText(),
              let locale = reader.text().flatMap(ClientLocale.init(rawValue:)), let vat = reader.optionalText(),
              let limit = reader.optionalMoney(), let warnAt: Int32 = reader.integer(), let exposure = reader.money(),
              let pending = reader.money(), let onAccount = reader.money()
        else { return nil }
        self.init(id: id, name: name)
        (self.email, self.locale, self.vat, self.limit, self.warnAt) = (email, locale, vat, limit, Int(warnAt))
        (self.exposure, self.pendingPayments, self.onAccount) = (exposure, pending, onAccount)
    }
}

extension InvoiceState: StateCodable {
    static var entityName: String { "an invoice" }
    func encode(into writer: inout ByteWriter) {
        writer.text(id)
        writer.text(client)
        writer.day(issued)
        writer.money(amount)
        writer.optionalText(number)
        writer.optionalText(description)
        writer.optionalDay(cancelledOn)
        writer.integer(UInt32(deadlines.count))
        for deadline in deadlines { writer.text(deadline) }
        writer.money(liveDeadlineTotal)
        writer.money(clearedAllocated)
        writer.money(pendingAllocated)
    }
    init?(from reader: inout ByteReader) {
        guard let id = reader.text(), let client = reader.text(), let issued = reader.day(), let amount = reader.money(),
              let number = reader.optionalText(), let description = reader.optionalText(), let cancelledOn = reader.optionalDay(),
              let count: UInt32 = reader.integer() else { return nil }
        var deadlines: [String] = []
        for _ in 0..<count {
            guard let deadline = reader.text() else { return nil }
            deadlines.append(deadline)
        }
        guard let live = reader.money(), let cleared = reader.money(), let pending = reader.money() else { return nil }
        self.init(id: id, client: client, issued: issued, amount: amount)
        (self.number, self.description, self.cancelledOn, self.deadlines) = (number, description, cancelledOn, deadlines)
        (self.liveDeadlineTotal, self.clearedAllocated, self.pendingAllocated) = (live, cleared, pending)
    }
}

extension DeadlineState: StateCodable {
    static var entityName: String { "a deadline" }
    func encode(into writer: inout ByteWriter) {
        writer.text(id)
        writer.text(client)
        writer.optionalText(invoice)
        writer.day(due)
        writer.day(firstDue)
        writer.money(amount)
        writer.optionalText(description)
        writer.plan(reminder)
        writer.money(paid)
        writer.money(pending)
        writer.flag(isCancelled)
        writer.integer(UInt32(reminders.count))
        for reminder in reminders {
            writer.integer(reminder.sentAt.millisecondsSinceEpoch)
            writer.day(reminder.slot)
            writer.flag(reminder.manual)
        }
    }
    init?(from reader: inout ByteReader) {
        guard let id = reader.text(), let client = reader.text(), let invoice = reader.optionalText(), let due = reader.day(),
              let firstDue = reader.day(), let amount = reader.money(), let description = reader.optionalText(),
              let plan = reader.plan(), let paid = reader.money(), let pending = reader.money(), let cancelled = reader.flag(),
              let count: UInt32 = reader.integer() else { return nil }
        var reminders: [SentReminder] = []
        for _ in 0..<count {
            guard let sentAt: Int64 = reader.integer(), let slot = reader.day(), let manual = reader.flag() else { return nil }
            reminders.append(SentReminder(sentAt: Timestamp(millisecondsSinceEpoch: sentAt), slot: slot, manual: manual))
        }
        self.init(id: id, client: client, invoice: invoice, due: due, amount: amount)
        (self.firstDue, self.description, self.reminder, self.paid, self.pending) = (firstDue, description, plan, paid, pending)
        (self.isCancelled, self.reminders) = (cancelled, reminders)
    }
}

extension PaymentState: StateCodable {
    static var entityName: String { "a payment" }
    func encode(into writer: inout ByteWriter) {
        writer.text(id)
        writer.text(client)
        writer.money(amount)
        writer.day(received)
        writer.text(method.rawValue)
        writer.text(status.rawValue)
        writer.optionalDay(clearedOn)
        writer.optionalText(reference)
        writer.integer(UInt32(allocations.count))
        for allocation in allocations {
            writer.text(allocation.deadline)
            writer.money(allocation.amount)
        }
        writer.integer(UInt32(documents.count))
        for document in documents {
            writer.text(document.sha256)
            writer.text(document.name)
            writer.text(document.mediaType)
            writer.integer(document.size)
        }
    }
    init?(from reader: inout ByteReader) {
        guard let id = reader.text(), let client = reader.text(), let amount = reader.money(), let received = reader.day(),
              let method = reader.text().flatMap(PaymentMethod.init(rawValue:)),
              let status = reader.text().flatMap(PaymentCondition.init(rawValue:)),
              let clearedOn = reader.optionalDay(), let reference = reader.optionalText(),
              let count: UInt32 = reader.integer() else { return nil }
        var allocations: [Allocation] = []
        for _ in 0..<count {
            guard let deadline = reader.text(), let share = reader.money() else { return nil }
            allocations.append(Allocation(deadline: deadline, amount: share))
        }
        guard let documentCount: UInt32 = reader.integer() else { return nil }
        var documents: [DocumentReference] = []
        for _ in 0..<documentCount {
            guard let sha = reader.text(), let name = reader.text(), let mediaType = reader.text(), let size: Int64 = reader.integer() else { return nil }
            documents.append(DocumentReference(sha256: sha, name: name, mediaType: mediaType, size: size))
        }
        self.init(id: id, client: client, amount: amount, received: received, method: method, status: status)
        (self.clearedOn, self.reference, self.allocations, self.documents) = (clearedOn, reference, allocations, documents)
    }
}

extension TemplateState: StateCodable {
    static var entityName: String { "a template" }
    func encode(into writer: inout ByteWriter) {
        writer.text(template)
        writer.text(locale.rawValue)
        writer.optionalText(kind?.rawValue)
        writer.text(subject)
        writer.text(body)
    }
    init?(from reader: inout ByteReader) {
        guard let template = reader.text(), let locale = reader.text().flatMap(ClientLocale.init(rawValue:)),
              let kindText = reader.optionalText(), let subject = reader.text(), let body = reader.text() else { return nil }
        var kind: ReminderKind?
        if let kindText {
            guard let value = ReminderKind(rawValue: kindText) else { return nil }
            kind = value
        }
        self.init(template: template, locale: locale, kind: kind, subject: subject, body: body)
    }
}
