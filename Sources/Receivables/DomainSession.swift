import EventLog

/// A credit alert: a change of a client's credit status, judged on the whole log after an event.
public struct CreditAlert: Sendable, Equatable {
    public var client: String
    public var seq: UInt64
    /// The effective date of the event that caused it.
    public var date: Day
    public var from: CreditStatus
    public var to: CreditStatus
}

/// The work of one append transaction: each input is decoded, checked against the state as it
/// stands after the inputs before it, appended, and folded into the state, all in the same LMDB
/// write transaction.
struct DomainSession {
    let store: ReceivablesStore
    let writer: LogWriter
    var state: StoredState
    private(set) var alerts: [CreditAlert] = []

    /// A session on the live state, or on `database` (a rebuild's spare) with the entities it
    /// holds as `stored` keeps them from the batch before.
    init(store: ReceivablesStore, writer: LogWriter, database: Database? = nil, stored: StoredEntities = StoredEntities()) throws {
        self.store = store
        self.writer = writer
        if let database {
            self.state = try StoredState(transaction: writer.transaction, database: database, stored: stored)
            return
        }
        self.state = try StoredState(transaction: writer.transaction, database: try store.state(writer.transaction), blobs: store.blobs,
                                     stored: stored)
    }

    struct Appended {
        var seq: UInt64
        var isNew: Bool
    }

    mutating func append(_ input: EventInput) throws -> Appended {
        // Only a keyed input needs its fingerprint: for telling a retry from a reuse of the key.
        let fingerprint = input.key == nil ? nil : input.fingerprint
        if let key = input.key, let fingerprint, let earlier = try writer.existing(key: key) {
            guard try isRetry(of: earlier, input: input, fingerprint: fingerprint) else {
                throw EventRejection(type: input.type, field: "key",
                                     reason: "\"\(key)\" was already used by a different event (seq \(earlier.seq)); use a new key",
                                     rule: "keyReused")
            }
            return Appended(seq: earlier.seq, isNew: false)
        }
        guard let type = EventType(rawValue: input.type) else {
            throw EventRejection(type: nil, field: "type", reason: "unknown event type \"\(input.type)\"", rule: "unknownEventType")
        }
        let event = try DomainEvent.decode(type: type, data: input.data, currency: state.settings.currency)
        do {
            return try append(decided: try Decision.decide(event, in: state), type: type, input: input, fingerprint: fingerprint)
        } catch is AmountOverflow {
            throw EventRejection(type: type.rawValue, field: nil, reason: AmountOverflow().description, rule: "amountOverflow")
        }
    }

    private mutating func append(decided: DomainEvent, type: EventType, input: EventInput, fingerprint: Digest?) throws -> Appended {
        // The log records the decision in canonical form: amounts as "1220.50", the IBAN compact,
        // and a payment by invoice with the allocations the engine made (CONTRACT 3.1, 5.2).
        let data = decided.encode(currency: state.settings.currency)
        let effective = effectiveDay(of: decided, stated: input.effective)
        let draft = RecordDraft(
            stream: type.stream(for: input.data), type: type.rawValue, schemaVersion: EventType.schemaVersion,
            effective: effective.description, key: input.key, keyFingerprint: fingerprint,
            metaCanonical: input.meta.map { CanonicalJSON.bytes(.object($0)) },
            dataCanonical: CanonicalJSON.bytes(.object(data)),
            expectedStreamVersion: input.expectedStreamVersion)
        let record = try writer.append(draft)
        try fold(decided, seq: record.seq, effective: effective)
        return Appended(seq: record.seq, isNew: true)
    }

    /// A keyed input whose key is in the log is a retry when it is the same event: the same
    /// fingerprint, or (for a store restored from an export, which keeps no fingerprints) the
    /// same type, meta and decoded data as recorded, allowing for allocations the engine added.
    private func isRetry(of earlier: (seq: UInt64, fingerprint: Digest), input: EventInput, fingerprint: Digest) throws -> Bool {
        if earlier.fingerprint == fingerprint { return true }
        guard let record = try store.events.record(earlier.seq, in: writer.transaction), record.type == input.type,
              let type = EventType(rawValue: input.type) else { return false }
        if let stated = input.effective, stated.description != record.effective { return false }
        if try record.meta() != input.meta { return false }
        let currency = state.settings.currency
        guard let sent = try? DomainEvent.decode(type: type, data: input.data, currency: currency),
              var recorded = try? DomainEvent.decodeRecorded(type: type, data: try record.data(), currency: currency) else { return false }
        if case .paymentReceived(var payment) = recorded, case .paymentReceived(let original) = sent, original.allocations == nil {
            payment.allocations = nil
            recorded = .paymentReceived(payment)
        }
        return recorded == sent
    }

    /// Takes in a record restored from an export, whose effective date is as recorded. Its
    /// event must still decode; the rules are not run again (the log is the history as it was).
    mutating func restore(_ record: Record, fingerprint: Digest) throws {
        guard let type = EventType(rawValue: record.type) else {
            throw EventRejection(type: record.type, field: "type", reason: "unknown event type", rule: "unknownEventType")
        }
        var record = record
        let data = try record.data()
        let event = try DomainEvent.decode(type: type, data: data, currency: state.settings.currency)
        guard let effective = Day(iso: record.effective) else {
            throw EventRejection(type: record.type, field: "effective", reason: "must be a date written YYYY-MM-DD", rule: "invalidDate")
        }
        record.stream = type.stream(for: data)
        try writer.appendRestored(record, fingerprint: fingerprint)
        try fold(event, seq: record.seq, effective: effective)
    }

    /// Folds a record already in the log (a rebuild), with its recorded effective date.
    mutating func refold(_ record: Record) throws {
        guard let type = EventType(rawValue: record.type), let effective = Day(iso: record.effective) else {
            throw EventStoreError.corruptRecord(seq: record.seq, reason: "unknown event type or effective date")
        }
        let event = try DomainEvent.decodeRecorded(type: type, data: try record.data(), currency: state.settings.currency)
        try fold(event, seq: record.seq, effective: effective)
    }

    /// The business date of an event (CONTRACT 3.3).
    func effectiveDay(of event: DomainEvent, stated: Day?) -> Day {
        switch event {
        case .invoiceIssued(let e): return e.issued
        case .invoiceCancelled(let e): return e.date
        case .paymentCleared(let e): return e.date
        case .paymentBounced(let e): return e.date
        case .paymentReceived(let e): return e.received
        case .reminderSent(let e): return Day.of(e.sentAt, in: state.settings.timeZone)
        default: return stated ?? Day.of(writer.recordedAt, in: state.settings.timeZone)
        }
    }

    /// Folds an accepted event into the state and notes any change of its client's credit status.
    mutating func fold(_ event: DomainEvent, seq: UInt64, effective: Day) throws {
        let clientID = try Fold.client(of: event, in: state)
        let before = try clientID.flatMap { try state.client($0) }?.creditStatus()
        try Fold.apply(event, to: &state)
        if !event.type.isMasterData { state.noteEffective(effective) }
        if let clientID, let client = try state.client(clientID) {
            let after = client.creditStatus()
            state.noteClientEvent(client: clientID, seq: seq)
            if !event.type.isMasterData { try state.noteExposure(of: client, effective: effective) }
            let from = before ?? .none
            if from != after {
                let alert = CreditAlert(client: clientID, seq: seq, date: effective, from: from, to: after)
                alerts.append(alert)
                state.noteAlert(alert)
            }
        }
    }

    func finish() throws {
        try state.flush()
        for (client, from) in state.clientsToRecompute.sorted(by: { $0.key < $1.key }) {
            try recomputeExposure(of: client, from: from)
        }
    }

    /// After `finish`: a copy of the state for as-of replays when one is due (`Checkpoints`).
    func checkpointIfDue() throws {
        try Checkpoints.writeIfDue(lastSeq: writer.head.lastSeq, interval: store.checkpointInterval, state: state, to: store.checkpoints, in: writer.transaction)
    }

    /// A client's exposure series from scratch: for each date one of its events is dated, the
    /// exposure of the fold of its events dated on or before it (CONTRACT 5). Needed only when
    /// an event is dated before the client's last change point.
    private func recomputeExposure(of client: String, from: Day) throws {
        let transaction = writer.transaction
        let stored = try StoredState(transaction: transaction, database: state.database)
        var seqs = try stored.eventSeqs(ofClient: client)
        seqs += try store.events.seqs(ofStream: "settings", in: transaction)
        seqs.sort()
        // Decoded once; each date below folds the ones dated on or before it, in log order.
        var events: [(effective: Day, isMasterData: Bool, event: DomainEvent)] = []
        var currency = state.settings.currency
        for seq in seqs {
            guard let record = try store.events.record(seq, in: transaction), let type = EventType(rawValue: record.type),
                  let effective = Day(iso: record.effective) else { continue }
            let event = try DomainEvent.decodeRecorded(type: type, data: try record.data(), currency: currency)
            if case .settingsChanged(let change) = event, let changed = change.currency { currency = changed }
            events.append((effective, type.isMasterData, event))
        }
        let dates = Set(events.filter { !$0.isMasterData && $0.effective >= from }.map(\.effective)).sorted()
        var series: [ExposurePointValue] = []
        for date in dates {
            var memory = MemoryState()
            for item in events where item.isMasterData || item.effective <= date {
                try Fold.apply(item.event, to: &memory)
            }
            let value = memory.client(client)
            series.append(ExposurePointValue(day: date, exposure: value?.exposure ?? .zero, limit: value?.limit))
        }
        try stored.replaceExposureSeries(ofClient: client, from: from, with: series)
    }
}
