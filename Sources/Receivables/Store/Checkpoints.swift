import EventLog

/// Copies of the state's entities as they stood at a few log positions, so that a query about a
/// past date (CONTRACT 5) replays the log from the nearest copy instead of from the first event.
///
/// A copy taken after seq `c` is the fold of events 1…c. An as-of replay for date D may start from
/// it only when every event 1…c that the as-of filter judges is dated on or before D: then the
/// filtered fold of 1…c is the unfiltered one, and the answer is exact, not an approximation.
/// Each copy records that latest date. The copies are derived data: a full `rebuild` makes them
/// again, and `verify` compares each with a fresh fold of the log up to its position.
///
/// Layout in the `checkpoints` database: seq (8 bytes, big-endian) + 0x00 → the latest effective
/// date of the events through seq; seq + a state key → that entity's stored bytes, for the
/// entities a replay needs (settings, clients, invoices, deadlines, payments, templates).
public enum Checkpoints {
    /// Events between copies. Loading a copy costs about what replaying this many events
    /// costs, and each copy takes the size of the state's entities on disk.
    public static let defaultInterval: UInt64 = 50_000

    /// In key order, as a cursor meets them: a copy and the state are compared entry by entry.
    static let prefixes: [StoredState.Prefix] = [.settings, .client, .invoice, .deadline, .payment, .template]
        .sorted { $0.rawValue < $1.rawValue }

    struct Header: Equatable {
        var seq: UInt64
        var latestEffective: Day?
        /// Entries of the copy by state prefix, so that loading sizes its tables once.
        var counts: [UInt8: Int] = [:]
    }

    /// The seq a key of the checkpoints database belongs to: its first 8 bytes, big-endian.
    private static func position(_ key: UnsafeRawBufferPointer) -> UInt64 {
        key.count >= 8 ? UInt64(bigEndianBytes: UnsafeRawBufferPointer(rebasing: key[0..<8])) ?? 0 : 0
    }

    /// Every copy's position and latest effective date, in log order.
    static func headers(in transaction: Transaction, _ database: Database) throws -> [Header] {
        var result: [Header] = []
        let cursor = try transaction.cursor(database)
        var entry = try cursor.first()
        while let current = entry {
            guard current.key.count == 9, current.key[8] == 0 else {
                throw StateDecodeError(entity: "a replay checkpoint")
            }
            let seq = position(current.key)
            var value = ByteReader(bytes: current.value)
            let hasDay = value.byte() == 1
            var header = Header(seq: seq, latestEffective: hasDay ? value.day() : nil)
            while let prefix = value.byte(), let count: UInt64 = value.integer() { header.counts[prefix] = Int(count) }
            result.append(header)
            // The next copy starts at the next seq's first key.
            entry = try cursor.seek(atOrAfter: (seq + 1).bigEndianBytes)
        }
        return result
    }

    /// Copies the entities of `state` as the position after `seq`.
    static func write(seq: UInt64, latestEffective: Day?, from state: Database, to database: Database,
                      in transaction: Transaction, releasingPagesEvery release: (() -> Void)? = nil) throws {
        let position = seq.bigEndianBytes
        let cursor = try transaction.cursor(state)
        var header = ByteWriter()
        if let latestEffective {
            header.byte(1)
            header.day(latestEffective)
        } else {
            header.byte(0)
        }
        for prefix in prefixes {
            var count: UInt64 = 0
            var entry = try cursor.seek(atOrAfter: [prefix.rawValue])
            while let current = entry, current.key.first == prefix.rawValue {
                try transaction.put(database, position + Array(current.key), Array(current.value))
                count += 1
                if count % 10_000 == 0 { release?() }
                entry = try cursor.next()
            }
            header.byte(prefix.rawValue)
            header.integer(count)
        }
        try transaction.put(database, position + [0], header.bytes)
    }

    /// Writes a copy after this transaction's last event when `interval` events have been
    /// appended since the last copy.
    static func writeIfDue(lastSeq: UInt64, interval: UInt64, state: StoredState, to database: Database,
                           in transaction: Transaction) throws {
        let cursor = try transaction.cursor(database)
        var lastCopy: UInt64 = 0
        if let entry = try cursor.last() { lastCopy = position(entry.key) }
        guard lastSeq > lastCopy, lastSeq - lastCopy >= interval else { return }
        try write(seq: lastSeq, latestEffective: state.latestEffective, from: state.database, to: database, in: transaction)
    }

    /// The latest copy a replay through `knownSeq` as of `asOf` may start from.
    static func usable(through knownSeq: UInt64, asOf: Day, in transaction: Transaction, _ database: Database) throws -> Header? {
        try headers(in: transaction, database).last { header in
            header.seq <= knownSeq && (header.latestEffective.map { $0 <= asOf } ?? true)
        }
    }

    /// The state as the copy at `seq` holds it.
    static func load(_ header: Header, in transaction: Transaction, _ database: Database) throws -> MemoryState {
        var memory = MemoryState()
        memory.clients.reserveCapacity(header.counts[StoredState.Prefix.client.rawValue] ?? 0)
        memory.invoices.reserveCapacity(header.counts[StoredState.Prefix.invoice.rawValue] ?? 0)
        memory.deadlinesByID.reserveCapacity(header.counts[StoredState.Prefix.deadline.rawValue] ?? 0)
        memory.payments.reserveCapacity(header.counts[StoredState.Prefix.payment.rawValue] ?? 0)
        let position = header.seq.bigEndianBytes
        let cursor = try transaction.cursor(database)
        var entry = try cursor.seek(atOrAfter: position + [1])
        while let current = entry, current.key.count > 8, current.key.starts(with: position) {
            let value = current.value
            switch StoredState.Prefix(rawValue: current.key[8]) {
            case .settings: memory.settings = try SettingsState.decoded(value)
            case .client: memory.put(try ClientState.decoded(value))
            case .invoice: memory.put(try InvoiceState.decoded(value))
            case .deadline: memory.put(try DeadlineState.decoded(value))
            case .payment: memory.put(try PaymentState.decoded(value))
            case .template: memory.put(try TemplateState.decoded(value))
            default: throw StateDecodeError(entity: "a replay checkpoint")
            }
            entry = try cursor.next()
        }
        return memory
    }

    /// The first entry where the copy at `seq` and the entities of `state` differ, described;
    /// nil when they are the same.
    static func difference(at seq: UInt64, in transaction: Transaction, _ database: Database, state: Database) throws -> String? {
        let position = seq.bigEndianBytes
        let copy = try transaction.cursor(database)
        let fresh = try transaction.cursor(state)
        var stored = try copy.seek(atOrAfter: position + [1])
        for prefix in prefixes {
            var entry = try fresh.seek(atOrAfter: [prefix.rawValue])
            while let current = entry, current.key.first == prefix.rawValue {
                guard let kept = stored, kept.key.count > 8, kept.key.starts(with: position) else {
                    return "the replay checkpoint at seq \(seq) lacks \(ReadModel.describe(Array(current.key)))"
                }
                let keptKey = Array(kept.key.dropFirst(8))
                let freshKey = Array(current.key)
                guard keptKey == freshKey else {
                    let first = keptKey.lexicographicallyPrecedes(freshKey) ? keptKey : freshKey
                    return "the replay checkpoint at seq \(seq) differs from a fresh fold at \(ReadModel.describe(first))"
                }
                guard kept.value.elementsEqual(current.value) else {
                    return "the replay checkpoint at seq \(seq) differs from a fresh fold at \(ReadModel.describe(keptKey))"
                }
                stored = try copy.next()
                entry = try fresh.next()
            }
        }
        if let kept = stored, kept.key.count > 8, kept.key.starts(with: position) {
            return "the replay checkpoint at seq \(seq) holds \(ReadModel.describe(Array(kept.key.dropFirst(8)))), which a fresh fold has not"
        }
        return nil
    }
}
