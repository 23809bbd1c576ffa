import EventLog

/// Why a query could not be answered.
public enum QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownClient(String)
    case invalidRange(from: Day, to: Day)
    case store(String)
    case overflow

    public var description: String {
        switch self {
        case .unknownClient(let id): return "no client \"\(id)\" is registered"
        case .invalidRange(let from, let to): return "the range ends (\(to)) before it starts (\(from))"
        case .store(let text): return text
        case .overflow: return "the amounts add up to more than the largest amount the store can hold"
        }
    }
}

extension ReceivablesStore {
    // MARK: Choosing the source

    /// Runs `body` on the state `scope` asks for, in one read snapshot. The stored read models
    /// answer when they are exact for the scope: nothing recorded after `knownAt`, and no event
    /// with an effective date after `asOf`. Otherwise the log is replayed into memory, filtered as
    /// CONTRACT 5 says — for one client, only that client's events and the settings.
    func withSource<Result>(_ scope: QueryScope, client: String? = nil,
                            _ body: (any ReadModelSource, _ alerts: (String) throws -> [CreditAlert]) throws -> Result) throws -> Result {
        try events.read { transaction in
            let stored = try StoredState(transaction: transaction, database: try state(transaction))
            let head = try events.head(in: transaction)
            let knownSeq = try knownPosition(scope.knownAt, head: head, in: transaction)
            let exact = knownSeq == head.lastSeq && (stored.latestEffective.map { $0 <= scope.asOf } ?? true)
            let alerts: (String) throws -> [CreditAlert] = { id in
                try stored.alerts(ofClient: id).filter { $0.seq <= knownSeq && $0.date <= scope.asOf }
            }
            if exact { return try body(stored, alerts) }
            let replayed = try replay(through: knownSeq, asOf: scope.asOf, client: client, stored: stored, in: transaction)
            return try body(replayed, alerts)
        }
    }

    /// The last seq recorded at or before `knownAt` (the head when nil). recordedAt never
    /// decreases along the log, so a binary search finds it.
    func knownPosition(_ knownAt: Timestamp?, head: LogHead, in transaction: Transaction) throws -> UInt64 {
        guard let knownAt, knownAt < head.lastRecordedAt else { return head.lastSeq }
        var low: UInt64 = 0, high = head.lastSeq
        while low < high {
            let middle = low + (high - low + 1) / 2
            guard let record = try events.record(middle, in: transaction) else {
                throw EventStoreError.corruptRecord(seq: middle, reason: "the record is missing")
            }
            if record.recordedAt <= knownAt { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// The fold of the events recorded through `knownSeq` whose effective date is on or before
    /// `asOf` (master data: whatever its date). With a client, only its events and the settings.
    func replay(through knownSeq: UInt64, asOf: Day, client: String?, stored: StoredState,
                in transaction: Transaction) throws -> MemoryState {
        var memory = MemoryState()
        func take(_ record: Record) throws {
            guard let type = EventType(rawValue: record.type) else { return }
            if !type.isMasterData {
                guard let effective = Day(iso: record.effective), effective <= asOf else { return }
            }
            let event = try DomainEvent.decodeRecorded(type: type, data: try record.data(), currency: memory.settings.currency)
            try Fold.apply(event, to: &memory)
        }
        if let client {
            var seqs = try stored.eventSeqs(ofClient: client)
            seqs += try events.seqs(ofStream: "settings", in: transaction)
            seqs.sort()
            for seq in seqs where seq <= knownSeq {
                guard let record = try events.record(seq, in: transaction) else { continue }
                try take(record)
            }
        } else {
            // From the latest copy of the state that the as-of filter would have left whole.
            var first: UInt64 = 1
            if let checkpoint = try Checkpoints.usable(through: knownSeq, asOf: asOf, in: transaction, checkpoints) {
                memory = try Checkpoints.load(checkpoint, in: transaction, checkpoints)
                first = checkpoint.seq + 1
            }
            if first <= knownSeq { try events.forEachRecord(in: transaction, from: first, through: knownSeq, take) }
        }
        return memory
    }

    // MARK: The queries

    /// The aging table (CONTRACT 7): every live deadline with something outstanding as of the date.
    public func aging(_ scope: QueryScope, client clientFilter: String? = nil, buckets: AgingBuckets = .standard) throws -> AgingReport {
        try withSource(scope, client: clientFilter) { source, _ in
            try Self.aging(from: source, scope: scope, client: clientFilter, buckets: buckets)
        }
    }

    /// The aging table computed from one source, stored or replayed.
    static func aging(from source: any ReadModelSource, scope: QueryScope, client clientFilter: String?,
                      buckets: AgingBuckets) throws -> AgingReport {
        if let clientFilter, try source.client(clientFilter) == nil { throw QueryError.unknownClient(clientFilter) }
        let names = buckets.names
        var rows: [AgingRow] = []
        // Some 128 bytes a row: grown by doubling, a table of 100,000 rows would be copied and
        // its fresh pages faulted in twice over; counting the index first costs less.
        if clientFilter == nil, let count = try source.openDeadlineCount() { rows.reserveCapacity(count) }
        // Summed by bucket position and named once at the end: a row costs no lookup by bucket name.
        var totals = BucketSums(count: names.count)
        var perClient: [String: BucketSums] = [:]
        try source.forEachOpenDeadline { deadline in
            if let clientFilter, deadline.client != clientFilter { return }
            let daysToDue = scope.asOf.days(to: deadline.due)
            let daysOverdue = max(0, -daysToDue)
            let bucket = buckets.position(daysOverdue: daysOverdue)
            let outstanding = deadline.outstanding
            rows.append(AgingRow(deadline: deadline.deadline, client: deadline.client, invoice: deadline.invoice, due: deadline.due,
                                 daysToDue: daysToDue, daysOverdue: daysOverdue, bucket: names[bucket], amount: deadline.amount,
                                 paid: deadline.paid, pending: deadline.pending, outstanding: outstanding,
                                 reminders: deadline.reminderCount))
            try totals.add(outstanding, at: bucket)
            try perClient[deadline.client, default: BucketSums(count: names.count)].add(outstanding, at: bucket)
        }
        var clients: [(client: String, name: String, totals: BucketTotals)] = []
        for id in perClient.keys.sorted() {
            clients.append((id, try source.client(id)?.name ?? id, perClient[id]!.totals(names: names)))
        }
        return AgingReport(scope: scope, buckets: names, rows: rows, clients: clients, totals: totals.totals(names: names))
    }

    /// Deadlines by period (CONTRACT 7): every live deadline whose current due date is in range.
    public func calendar(from: Day, to: Day, view: CalendarView, client clientFilter: String? = nil,
                         statuses: Set<DeadlineStatus>? = nil, scope: QueryScope) throws -> CalendarReport {
        guard from <= to else { throw QueryError.invalidRange(from: from, to: to) }
        return try withSource(scope, client: clientFilter) { source, _ in
            var periods: [CalendarPeriod] = []
            var names: [String: String] = [:]
            for deadline in try source.liveDeadlines(dueFrom: from, through: to) where clientFilter == nil || deadline.client == clientFilter {
                let entry = try calendarEntry(deadline, asOf: scope.asOf, source: source, names: &names)
                if let statuses, !statuses.contains(entry.status) { continue }
                let period = view.period(of: deadline.due)
                if periods.last?.period != period.key {
                    periods.append(CalendarPeriod(period: period.key, from: period.from, to: period.to, total: .zero, deadlines: []))
                }
                periods[periods.count - 1].deadlines.append(entry)
                periods[periods.count - 1].total = try periods[periods.count - 1].total.plus(entry.outstanding)
            }
            return CalendarReport(from: from, to: to, view: view, periods: periods)
        }
    }

    func calendarEntry(_ deadline: DeadlineState, asOf: Day, source: any ReadModelSource,
                       names: inout [String: String]) throws -> CalendarEntry {
        let clientName: String
        if let known = names[deadline.client] {
            clientName = known
        } else {
            clientName = try source.client(deadline.client)?.name ?? deadline.client
            names[deadline.client] = clientName
        }
        return CalendarEntry(deadline: deadline.id, due: deadline.due, client: deadline.client, clientName: clientName,
                             invoice: deadline.invoice, description: deadline.description, amount: deadline.amount,
                             outstanding: deadline.outstanding, status: deadline.status(asOf: asOf),
                             reminders: deadline.reminders, postponedFrom: deadline.firstDue != deadline.due ? deadline.firstDue : nil)
    }

    /// One client's history (CONTRACT 7).
    public func client(_ id: String, scope: QueryScope) throws -> ClientReport {
        try withSource(scope, client: id) { source, alerts in
            guard let client = try source.client(id) else { throw QueryError.unknownClient(id) }
            var names = [id: client.name]
            let deadlines = try source.deadlines(ofClient: id).map { try calendarEntry($0, asOf: scope.asOf, source: source, names: &names) }
            let payments = try source.payments(ofClient: id).map { payment in
                PaymentEntry(payment: payment.id, amount: payment.amount, received: payment.received, method: payment.method,
                             status: payment.status, unallocated: payment.unallocated, allocations: payment.allocations,
                             documents: payment.documents, reference: payment.reference)
            }
            return ClientReport(client: client, exposure: client.exposure, pendingPayments: client.pendingPayments,
                                onAccount: client.onAccount, available: client.limit.map { $0 - client.exposure },
                                creditStatus: client.creditStatus(), deadlines: deadlines, payments: payments, alerts: try alerts(id))
        }
    }

    /// Would a new invoice of `amount` pass the client's limit (CONTRACT 7)?
    public func creditCheck(_ id: String, amount: Money, scope: QueryScope) throws -> CreditCheckReport {
        try withSource(scope, client: id) { source, _ in
            guard let client = try source.client(id) else { throw QueryError.unknownClient(id) }
            return CreditCheckReport(client: id, limit: client.limit, exposure: client.exposure, pendingPayments: client.pendingPayments,
                                     onAccount: client.onAccount, requested: amount, after: client.exposure + amount,
                                     available: client.limit.map { $0 - client.exposure }, creditStatus: client.creditStatus(adding: amount))
        }
    }

    /// Exposure over time (CONTRACT 7): a point at the last day of each step period from the
    /// period holding `from`, the last clipped to `to`; each the exposure as of that date.
    public func exposure(client clientFilter: String?, from: Day, to: Day, step: ExposureStep, knownAt: Timestamp?) throws -> ExposureReport {
        guard from <= to else { throw QueryError.invalidRange(from: from, to: to) }
        var dates: [Day] = []
        var day = from
        while true {
            let end: Day
            switch step {
            case .day: end = day
            case .week: end = day.endOfISOWeek
            case .month: end = day.endOfMonth
            }
            dates.append(min(end, to))
            if end >= to { break }
            day = end.adding(days: 1)
        }
        let stored: [ExposurePoint]? = try events.read { transaction in
            let head = try events.head(in: transaction)
            guard try knownPosition(knownAt, head: head, in: transaction) == head.lastSeq else { return nil }
            return try storedExposure(client: clientFilter, at: dates, in: transaction)
        }
        var points: [ExposurePoint] = []
        if let stored {
            points = stored
        } else {
            // Known at a past time: each point is a replay of what was recorded by then.
            for date in dates {
                let point: ExposurePoint = try withSource(QueryScope(asOf: date, knownAt: knownAt), client: clientFilter) { source, _ in
                    if let clientFilter {
                        guard let client = try source.client(clientFilter) else {
                            return ExposurePoint(date: date, exposure: .zero, limit: nil)
                        }
                        return ExposurePoint(date: date, exposure: client.exposure, limit: client.limit)
                    }
                    let total = try source.allClients().reduce(Money.zero) { try $0.plus($1.exposure) }
                    return ExposurePoint(date: date, exposure: total, limit: nil)
                }
                points.append(point)
            }
        }
        if let clientFilter, try withSource(QueryScope(asOf: to, knownAt: knownAt), client: clientFilter, { source, _ in try source.client(clientFilter) }) == nil {
            // A client unknown even at the end of the range is a mistake, not a row of zeros.
            throw QueryError.unknownClient(clientFilter)
        }
        return ExposureReport(client: clientFilter, from: from, to: to, step: step, points: points)
    }

    /// Exposure at each date from the stored change points: the last point on or before it.
    func storedExposure(client: String?, at dates: [Day], in transaction: Transaction) throws -> [ExposurePoint] {
        let stored = try StoredState(transaction: transaction, database: try state(transaction))
        var result: [ExposurePoint] = []
        if let client {
            let series = try stored.exposurePoints(ofClient: client)
            var index = 0
            var current: ExposurePointValue?
            for date in dates {
                while index < series.count && series[index].day <= date { current = series[index]; index += 1 }
                result.append(ExposurePoint(date: date, exposure: current?.exposure ?? .zero, limit: current?.limit))
            }
        } else {
            let changes = try stored.totalExposureChanges()
            var index = 0
            var total = Money.zero
            for date in dates {
                while index < changes.count && changes[index].day <= date { total = try total.plus(changes[index].change); index += 1 }
                result.append(ExposurePoint(date: date, exposure: total, limit: nil))
            }
        }
        return result
    }

    /// Every client with its exposure, limit and credit status, by id: the office's view of who is
    /// near or over the limit.
    public func creditOverview(_ scope: QueryScope) throws -> [ClientState] {
        try withSource(scope) { source, _ in try source.allClients() }
    }

    /// The ids of every client registered so far.
    public func clientIDs() throws -> Set<String> {
        try events.read { transaction in
            Set(try StoredState(transaction: transaction, database: try state(transaction)).allClients().map(\.id))
        }
    }

    /// The store's currency, for printing answers.
    public func currency() throws -> Currency {
        try events.read { transaction in try StoredState(transaction: transaction, database: try state(transaction)).settings.currency }
    }

    /// The store's time zone, for "today".
    public func timeZone() throws -> TimeZoneRule {
        try events.read { transaction in try StoredState(transaction: transaction, database: try state(transaction)).settings.timeZone }
    }
}

/// Amounts summed by aging bucket position, with their total.
private struct BucketSums {
    var sums: [Money]
    var total = Money.zero

    init(count: Int) { sums = Array(repeating: .zero, count: count) }

    mutating func add(_ amount: Money, at position: Int) throws {
        sums[position] = try sums[position].plus(amount)
        total = try total.plus(amount)
    }

    func totals(names: [String]) -> BucketTotals { BucketTotals(names: names, sums: sums, total: total) }
}
