import EventLog

/// What the reminder run needs to know, read in one snapshot.
public struct ReminderInputs: Sendable {
    public var settings: SettingsState
    public var clients: [String: ClientState]
    /// Live deadlines with something outstanding, by due date then id.
    public var openDeadlines: [DeadlineState]
    public var invoices: [String: InvoiceState]
    public var templates: [TemplateState]
    /// A stable id of this history: the first event's hash, shortened. Empty for an empty log.
    public var storeID: String
}

/// A message committed for sending: kept until its ReminderSent is in the log, so that a crash
/// between the transport accepting it and the append costs a resend with the same Message-ID,
/// never a lost reminder.
public struct OutboxEntry: Sendable, Equatable {
    public var messageID: String
    public var deadline: String
    public var slot: Day
    public var manual: Bool
    public var to: String
    public var template: String
    public var kind: String
    public var subject: String
    public var from: String
    public var data: [UInt8]

    public init(messageID: String, deadline: String, slot: Day, manual: Bool, to: String, template: String, kind: String,
                subject: String, from: String, data: [UInt8]) {
        self.messageID = messageID
        self.deadline = deadline
        self.slot = slot
        self.manual = manual
        self.to = to
        self.template = template
        self.kind = kind
        self.subject = subject
        self.from = from
        self.data = data
    }

    func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: data.count + 256)
        writer.byte(1)
        for text in [messageID, deadline, to, template, kind, subject, from] { writer.text(text) }
        writer.day(slot)
        writer.flag(manual)
        writer.integer(UInt32(data.count))
        var bytes = writer.bytes
        bytes.append(contentsOf: data)
        return bytes
    }

    static func decoded(_ raw: UnsafeRawBufferPointer) throws -> OutboxEntry {
        var reader = ByteReader(bytes: raw)
        guard reader.byte() == 1, let id = reader.text(), let deadline = reader.text(), let to = reader.text(),
              let template = reader.text(), let kind = reader.text(), let subject = reader.text(), let from = reader.text(),
              let slot = reader.day(), let manual = reader.flag(), let count: UInt32 = reader.integer(),
              let data = reader.bytes(Int(count)) else { throw StateDecodeError(entity: "an outbox message") }
        return OutboxEntry(messageID: id, deadline: deadline, slot: slot, manual: manual, to: to, template: template, kind: kind,
                           subject: subject, from: from, data: data)
    }
}

extension StoredState {
    func allTemplates() throws -> [TemplateState] {
        var templates: [TemplateState] = []
        let cursor = try transaction.cursor(database)
        let prefix = [Prefix.template.rawValue]
        var entry = try cursor.seek(atOrAfter: prefix)
        while let current = entry, current.key.first == Prefix.template.rawValue {
            templates.append(try TemplateState.decoded(current.value))
            entry = try cursor.next()
        }
        return templates
    }
}

extension ReceivablesStore {
    /// The store's stable id: the first 32 hex digits of the first event's hash. It survives an
    /// export and restore, so Message-IDs and calendar UIDs stay the same.
    public func storeID() throws -> String {
        try events.read { transaction in try storeID(in: transaction) }
    }

    func storeID(in transaction: Transaction) throws -> String {
        guard let first = try events.record(1, in: transaction) else { return "" }
        return String(first.hash.hex.prefix(32))
    }

    /// The current state the reminder run works from.
    public func reminderInputs() throws -> ReminderInputs {
        try events.read { transaction in
            let stored = try StoredState(transaction: transaction, database: try state(transaction))
            let open = try stored.openDeadlines()
            var invoices: [String: InvoiceState] = [:]
            for deadline in open {
                if let id = deadline.invoice, invoices[id] == nil { invoices[id] = try stored.invoice(id) }
            }
            var clients: [String: ClientState] = [:]
            for client in try stored.allClients() { clients[client.id] = client }
            return ReminderInputs(settings: stored.settings, clients: clients, openDeadlines: open, invoices: invoices,
                                  templates: try stored.allTemplates(), storeID: try storeID(in: transaction))
        }
    }

    /// One deadline, its client and invoice, for a manual reminder.
    public func deadlineWithParties(_ id: String) throws -> (deadline: DeadlineState, client: ClientState?, invoice: InvoiceState?)? {
        try events.read { transaction in
            let stored = try StoredState(transaction: transaction, database: try state(transaction))
            guard let deadline = try stored.deadline(id) else { return nil }
            return (deadline, try stored.client(deadline.client), try deadline.invoice.flatMap { try stored.invoice($0) })
        }
    }

    /// Whether an event with this idempotency key is in the log.
    public func hasKey(_ key: String) throws -> Bool {
        try events.write(now: Timestamp(millisecondsSinceEpoch: 0)) { writer in try writer.existing(key: key) != nil }
    }

    /// Whether a ReminderSent records (deadline, slot).
    public func reminderWasSent(deadline: String, slot: Day) throws -> Bool {
        try events.read { transaction in
            try StoredState(transaction: transaction, database: try state(transaction)).hasReminder(deadline: deadline, slot: slot)
        }
    }

    // MARK: The outbox

    /// Commits a message's intent before it goes out.
    public func addToOutbox(_ entry: OutboxEntry, now: Timestamp) throws {
        try events.write(now: now) { writer in
            try writer.transaction.put(outbox, Array(entry.messageID.utf8), entry.encoded())
        }
    }

    /// The messages committed but not yet recorded as sent, by Message-ID.
    public func outboxEntries() throws -> [OutboxEntry] {
        try events.read { transaction in
            var entries: [OutboxEntry] = []
            let cursor = try transaction.cursor(outbox)
            var entry = try cursor.first()
            while let current = entry {
                entries.append(try OutboxEntry.decoded(current.value))
                entry = try cursor.next()
            }
            return entries
        }
    }

    /// Drops an intent whose message the transport refused: nothing went out.
    public func removeFromOutbox(_ messageID: String, now: Timestamp) throws {
        try events.write(now: now) { writer in
            _ = try writer.transaction.delete(outbox, Array(messageID.utf8))
        }
    }

    /// Appends the ReminderSent of an accepted message and drops its intent, in one transaction.
    /// The idempotency key "reminder:<Message-ID>" makes a repeated recording harmless.
    public func recordSent(_ entry: OutboxEntry, sentAt: Timestamp, now: Timestamp) throws(AppendError) -> AppendOutcome {
        var data: JSONObject = ["deadline": .string(entry.deadline), "sentAt": .string(sentAt.description), "to": .string(entry.to),
                                "template": .string(entry.template), "slot": .string(entry.slot.description),
                                "channel": "email", "messageId": .string(entry.messageID)]
        if entry.manual { data["manual"] = true }
        let input = EventInput(type: EventType.reminderSent.rawValue, data: data, key: "reminder:\(entry.messageID)")
        return try append([input], now: now, removingFromOutbox: [entry.messageID])
    }
}
