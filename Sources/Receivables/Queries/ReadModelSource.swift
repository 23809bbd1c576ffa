import EventLog

/// What the queries read: the state of some moment, with the lists the read models keep.
/// The stored read models answer for the whole log; a replay into memory answers for any
/// as-of date and known-at time. The answers are computed by the same code from either.
public protocol ReadModelSource {
    var settings: SettingsState { get }
    func client(_ id: String) throws -> ClientState?
    func deadline(_ id: String) throws -> DeadlineState?
    func invoice(_ id: String) throws -> InvoiceState?
    /// Every client, by id.
    func allClients() throws -> [ClientState]
    /// Live deadlines whose current due date is in `from...to`, by due date then id.
    func liveDeadlines(dueFrom from: Day, through to: Day) throws -> [DeadlineState]
    /// Live deadlines with something outstanding, by due date then id.
    func openDeadlines() throws -> [DeadlineState]
    /// Calls `body` with what the aging table needs of each live deadline with something
    /// outstanding, by due date then id: the deadlines of `openDeadlines`, none read whole.
    func forEachOpenDeadline(_ body: (OpenDeadlineSummary) throws -> Void) throws
    /// How many calls `forEachOpenDeadline` makes, where counting is cheaper than the scan, so
    /// that the aging table is sized once, not grown; nil where it would cost a scan of its own.
    func openDeadlineCount() throws -> Int?
    /// A client's deadlines of every status, by due date then id.
    func deadlines(ofClient client: String) throws -> [DeadlineState]
    /// A client's payments, by received date then id.
    func payments(ofClient client: String) throws -> [PaymentState]
}

/// An open deadline as the aging table shows it. The stored read models keep it as the value of
/// the deadline's open-index entry, so that the table is one scan of that index.
public struct OpenDeadlineSummary: Sendable, Equatable {
    public var deadline: String
    public var due: Day
    public var client: String
    public var invoice: String?
    public var amount: Money
    public var paid: Money
    public var pending: Money
    /// How many reminders were sent about the deadline.
    public var reminderCount: Int

    public init(deadline: String, due: Day, client: String, invoice: String?, amount: Money, paid: Money, pending: Money,
                reminderCount: Int) {
        self.deadline = deadline
        self.due = due
        self.client = client
        self.invoice = invoice
        self.amount = amount
        self.paid = paid
        self.pending = pending
        self.reminderCount = reminderCount
    }

    public init(_ deadline: DeadlineState) {
        self.init(deadline: deadline.id, due: deadline.due, client: deadline.client, invoice: deadline.invoice,
                  amount: deadline.amount, paid: deadline.paid, pending: deadline.pending, reminderCount: deadline.reminders.count)
    }

    /// As `DeadlineState.outstanding` computes it, so both sources answer alike.
    public var outstanding: Money { amount - paid - pending }
}

func byDueThenID(_ a: DeadlineState, _ b: DeadlineState) -> Bool { (a.due, a.id) < (b.due, b.id) }
func byReceivedThenID(_ a: PaymentState, _ b: PaymentState) -> Bool { (a.received, a.id) < (b.received, b.id) }

extension MemoryState: ReadModelSource {
    public func allClients() -> [ClientState] { clients.values.sorted { $0.id < $1.id } }
    public func liveDeadlines(dueFrom from: Day, through to: Day) -> [DeadlineState] {
        deadlinesByID.values.filter { $0.isLive && $0.due >= from && $0.due <= to }.sorted(by: byDueThenID)
    }
    public func openDeadlines() -> [DeadlineState] {
        deadlinesByID.values.filter { $0.isLive && $0.outstanding.isPositive }.sorted(by: byDueThenID)
    }
    /// Counting would go through every deadline, as the scan does: the table grows instead.
    public func openDeadlineCount() -> Int? { nil }
    public func forEachOpenDeadline(_ body: (OpenDeadlineSummary) throws -> Void) rethrows {
        // The summaries are sorted, not the deadlines: a past aging replays a state of some
        // hundred thousand deadlines, and moving whole deadlines through the sort cost a tenth of it.
        var summaries: [OpenDeadlineSummary] = []
        for deadline in deadlinesByID.values where deadline.isLive && deadline.outstanding.isPositive {
            summaries.append(OpenDeadlineSummary(deadline))
        }
        summaries.sort { ($0.due, $0.deadline) < ($1.due, $1.deadline) }
        for summary in summaries { try body(summary) }
    }
    public func deadlines(ofClient client: String) -> [DeadlineState] {
        deadlinesByID.values.filter { $0.client == client }.sorted(by: byDueThenID)
    }
    public func payments(ofClient client: String) -> [PaymentState] {
        payments.values.filter { $0.client == client }.sorted(by: byReceivedThenID)
    }
}

extension StoredState: ReadModelSource {
    /// Calls `body` with the rest of each key that starts with `prefix`, in key order.
    func scan(prefix: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Bool) throws {
        let cursor = try transaction.cursor(database)
        var entry = try cursor.seek(atOrAfter: prefix)
        while let current = entry, current.key.starts(with: prefix) {
            let rest = UnsafeRawBufferPointer(rebasing: current.key[prefix.count...])
            if try !body(rest) { return }
            entry = try cursor.next()
        }
    }

    func allClients() throws -> [ClientState] {
        var clients: [ClientState] = []
        let cursor = try transaction.cursor(database)
        let prefix = Self.key(.client)
        var entry = try cursor.seek(atOrAfter: prefix)
        while let current = entry, current.key.starts(with: prefix) {
            clients.append(try ClientState.decoded(current.value))
            entry = try cursor.next()
        }
        return clients.sorted { $0.id < $1.id }
    }

    private func deadlines(inDayIndex prefix: Prefix, from: Day?, through: Day?) throws -> [DeadlineState] {
        var ids: [String] = []
        let start = [prefix.rawValue] + (from.map(Self.sortableDay) ?? [])
        let end = through.map(Self.sortableDay)
        let cursor = try transaction.cursor(database)
        var entry = try cursor.seek(atOrAfter: start)
        while let current = entry, current.key.count >= 5, current.key[0] == prefix.rawValue {
            if let end, end.lexicographicallyPrecedes(current.key[1..<5]) { break }
            ids.append(String(decoding: UnsafeRawBufferPointer(rebasing: current.key[5...]), as: UTF8.self))
            entry = try cursor.next()
        }
        return try ids.compactMap { try deadline($0) }
    }

    func liveDeadlines(dueFrom from: Day, through to: Day) throws -> [DeadlineState] {
        try deadlines(inDayIndex: .dueIndex, from: from, through: to)
    }

    func openDeadlines() throws -> [DeadlineState] {
        try deadlines(inDayIndex: .openIndex, from: nil, through: nil)
    }

    /// A walk of the open index's keys, decoding nothing.
    func openDeadlineCount() throws -> Int? {
        let cursor = try transaction.cursor(database)
        let prefix = Prefix.openIndex.rawValue
        var count = 0
        var entry = try cursor.seek(atOrAfter: [prefix])
        while let current = entry, current.key.first == prefix {
            count += 1
            entry = try cursor.next()
        }
        return count
    }

    /// One scan of the open index: each entry's key holds the due date and id, its value the rest.
    func forEachOpenDeadline(_ body: (OpenDeadlineSummary) throws -> Void) throws {
        let cursor = try transaction.cursor(database)
        let prefix = Prefix.openIndex.rawValue
        var entry = try cursor.seek(atOrAfter: [prefix])
        while let current = entry, current.key.first == prefix {
            try body(try OpenDeadlineSummary(openIndexKey: current.key, value: current.value))
            entry = try cursor.next()
        }
    }

    /// A client's deadlines or payments from one scan of the client index, whose values are
    /// copies of the entities: neighbours in the index, where the entities themselves lie
    /// scattered among every client's. One changed in this transaction and not yet put comes
    /// from memory.
    private func entities<Entity: StateCodable>(ofClient client: String, kind: String,
                                                changed: (String) throws -> Entity?) throws -> [Entity] {
        var entities: [Entity] = []
        let cursor = try transaction.cursor(database)
        let prefix = Self.key(.clientEntity, client, kind) + [0]
        var entry = try cursor.seek(atOrAfter: prefix)
        while let current = entry, current.key.starts(with: prefix) {
            let id = String(decoding: UnsafeRawBufferPointer(rebasing: current.key[prefix.count...]), as: UTF8.self)
            if let cached = try changed(id) {
                entities.append(cached)
            } else {
                // An empty value is an index entry of an earlier layout that the upgrade at open
                // could not fill: a damaged store, reported, never guessed at.
                entities.append(try Entity.decoded(current.value))
            }
            entry = try cursor.next()
        }
        return entities
    }

    func deadlines(ofClient client: String) throws -> [DeadlineState] {
        try entities(ofClient: client, kind: "d") { deadlines[$0] }.sorted(by: byDueThenID)
    }

    func payments(ofClient client: String) throws -> [PaymentState] {
        try entities(ofClient: client, kind: "p") { payments[$0] }.sorted(by: byReceivedThenID)
    }

    /// The client's credit alerts, in seq order.
    func alerts(ofClient client: String) throws -> [CreditAlert] {
        var alerts: [CreditAlert] = []
        let cursor = try transaction.cursor(database)
        let prefix = Self.key(.alert, client) + [0]
        var entry = try cursor.seek(atOrAfter: prefix)
        while let current = entry, current.key.starts(with: prefix) {
            guard let seq = UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: current.key[prefix.count...])) else {
                throw StateDecodeError(entity: "a credit alert")
            }
            var reader = ByteReader(bytes: current.value)
            guard let date = reader.day(), let from = reader.text().flatMap(CreditStatus.init(rawValue:)),
                  let to = reader.text().flatMap(CreditStatus.init(rawValue:)) else { throw StateDecodeError(entity: "a credit alert") }
            alerts.append(CreditAlert(client: client, seq: seq, date: date, from: from, to: to))
            entry = try cursor.next()
        }
        return alerts
    }

    /// The seqs of the events about a client, in log order.
    func eventSeqs(ofClient client: String) throws -> [UInt64] {
        var seqs: [UInt64] = []
        try scan(prefix: Self.key(.clientEvent, client) + [0]) { rest in
            if let seq = UInt64(bigEndianBytes: rest) { seqs.append(seq) }
            return true
        }
        return seqs
    }
}
