import EventLog

/// An event of the log with its position, decoded: what an embedding application folds into
/// its own projections.
public struct LoggedEvent: Sendable {
    public var record: Record
    public var event: DomainEvent
}

extension ReceivablesStore {
    /// The events from `first` on, decoded, as an asynchronous sequence. With `following`, it
    /// waits for new appends (from any process) instead of ending at the head, until the task is
    /// cancelled. The store's currency cannot change once amounts are recorded, so the current
    /// one decodes every event.
    public func events(from first: UInt64 = 1, following: Bool = false) throws -> AsyncThrowingMapSequence<EventStore.Records, LoggedEvent> {
        let currency = try self.currency()
        return events.records(from: first, following: following).map { record in
            guard let type = EventType(rawValue: record.type) else {
                throw EventStoreError.corruptRecord(seq: record.seq, reason: "unknown event type \(record.type)")
            }
            return LoggedEvent(record: record, event: try DomainEvent.decodeRecorded(type: type, data: try record.data(), currency: currency))
        }
    }

    /// Appends typed events (CONTRACT 8): each with an optional idempotency key, business date,
    /// meta and expected stream version. Amounts are written in the store's currency.
    public func append(events typed: [NewEvent], now: Timestamp) throws(AppendError) -> AppendOutcome {
        let currency: Currency
        do { currency = try self.currency() } catch { throw .store(.corruptRecord(seq: 0, reason: "\(error)")) }
        let inputs = typed.map { item in
            EventInput(type: item.event.type.rawValue, data: item.event.encode(currency: currency), key: item.key,
                       effective: item.effective, meta: item.meta, expectedStreamVersion: item.expectedStreamVersion)
        }
        return try append(inputs, now: now)
    }
}

/// A typed event to append, with what the log keeps beside it.
public struct NewEvent: Sendable {
    public var event: DomainEvent
    public var key: String?
    public var effective: Day?
    public var meta: JSONObject?
    public var expectedStreamVersion: UInt64?

    public init(_ event: DomainEvent, key: String? = nil, effective: Day? = nil, meta: JSONObject? = nil,
                expectedStreamVersion: UInt64? = nil) {
        self.event = event
        self.key = key
        self.effective = effective
        self.meta = meta
        self.expectedStreamVersion = expectedStreamVersion
    }
}
