import EventLog

// The answers of the queries (CONTRACT 7), as values with their JSON form. Field names and
// order follow the contract; optional fields are omitted when absent, never null.

/// The moment a query looks at: the state as of a business date, as known at a time.
public struct QueryScope: Sendable, Equatable {
    public var asOf: Day
    /// nil: everything recorded so far.
    public var knownAt: Timestamp?
    public init(asOf: Day, knownAt: Timestamp? = nil) {
        self.asOf = asOf
        self.knownAt = knownAt
    }
}

/// Aging bucket edges (CONTRACT 5.1): edges e1...en name the buckets current, 1-e1,
/// (e1+1)-e2, ..., en+.
public struct AgingBuckets: Sendable, Equatable {
    public let edges: [Int]
    public static let standard = AgingBuckets(validated: [30, 60, 90])

    private init(validated edges: [Int]) { self.edges = edges }

    /// Edges must be whole days, increasing, from 1.
    public init?(edges: [Int]) {
        guard !edges.isEmpty, edges.first! >= 1, zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }) else { return nil }
        self.edges = edges
    }

    public var names: [String] {
        var names = ["current"]
        var low = 1
        for edge in edges {
            names.append("\(low)-\(edge)")
            low = edge + 1
        }
        names.append("\(edges.last!)+")
        return names
    }

    /// The position in `names` of the bucket of a deadline `daysOverdue` days past due.
    func position(daysOverdue: Int) -> Int {
        if daysOverdue <= 0 { return 0 }
        for (index, edge) in edges.enumerated() where daysOverdue <= edge { return index + 1 }
        return edges.count + 1
    }

    /// The bucket of a deadline `daysOverdue` days past due (0 or less: current).
    public func name(daysOverdue: Int) -> String {
        if daysOverdue <= 0 { return "current" }
        var low = 1
        for edge in edges {
            if daysOverdue <= edge { return "\(low)-\(edge)" }
            low = edge + 1
        }
        return "\(edges.last!)+"
    }
}

public struct AgingRow: Sendable, Equatable {
    public var deadline: String
    public var client: String
    public var invoice: String?
    public var due: Day
    public var daysToDue: Int
    public var daysOverdue: Int
    public var bucket: String
    public var amount: Money
    public var paid: Money
    public var pending: Money
    public var outstanding: Money
    public var reminders: Int
}

public struct BucketTotals: Sendable, Equatable {
    public var amounts: [String: Money]
    public var total: Money
    init(names: [String]) {
        amounts = Dictionary(uniqueKeysWithValues: names.map { ($0, Money.zero) })
        total = .zero
    }
    /// Totals from sums by bucket position, `sums[i]` for `names[i]`.
    init(names: [String], sums: [Money], total: Money) {
        amounts = Dictionary(uniqueKeysWithValues: zip(names, sums))
        self.total = total
    }
    mutating func add(_ amount: Money, to bucket: String) throws {
        amounts[bucket] = try (amounts[bucket] ?? .zero).plus(amount)
        total = try total.plus(amount)
    }
}

public struct AgingReport: Sendable, Equatable {
    public var scope: QueryScope
    public var buckets: [String]
    public var rows: [AgingRow]
    public var clients: [(client: String, name: String, totals: BucketTotals)]
    public var totals: BucketTotals

    public static func == (a: AgingReport, b: AgingReport) -> Bool {
        a.scope == b.scope && a.buckets == b.buckets && a.rows == b.rows && a.totals == b.totals
            && a.clients.map(\.client) == b.clients.map(\.client) && a.clients.map(\.totals) == b.clients.map(\.totals)
    }
}

public struct CalendarEntry: Sendable, Equatable {
    public var deadline: String
    public var due: Day
    public var client: String
    public var clientName: String
    public var invoice: String?
    public var description: String?
    public var amount: Money
    public var outstanding: Money
    public var status: DeadlineStatus
    public var reminders: [SentReminder]
    public var postponedFrom: Day?
}

public enum CalendarView: String, Sendable, CaseIterable {
    case day, week, month

    /// The period holding `day`: its key and bounds.
    public func period(of day: Day) -> (key: String, from: Day, to: Day) {
        switch self {
        case .day: return (day.description, day, day)
        case .week: return (day.isoWeekKey, day.startOfISOWeek, day.endOfISOWeek)
        case .month: return (day.monthKey, day.startOfMonth, day.endOfMonth)
        }
    }
}

public struct CalendarPeriod: Sendable, Equatable {
    public var period: String
    public var from: Day
    public var to: Day
    public var total: Money
    public var deadlines: [CalendarEntry]
}

public struct CalendarReport: Sendable, Equatable {
    public var from: Day
    public var to: Day
    public var view: CalendarView
    public var periods: [CalendarPeriod]
}

public struct PaymentEntry: Sendable, Equatable {
    public var payment: String
    public var amount: Money
    public var received: Day
    public var method: PaymentMethod
    public var status: PaymentCondition
    public var unallocated: Money
    public var allocations: [Allocation]
    public var documents: [DocumentReference]
    public var reference: String?
}

public struct ClientReport: Sendable, Equatable {
    public var client: ClientState
    public var exposure: Money
    public var pendingPayments: Money
    public var onAccount: Money
    public var available: Money?
    public var creditStatus: CreditStatus
    public var deadlines: [CalendarEntry]
    public var payments: [PaymentEntry]
    public var alerts: [CreditAlert]
}

public struct CreditCheckReport: Sendable, Equatable {
    public var client: String
    public var limit: Money?
    public var exposure: Money
    public var pendingPayments: Money
    public var onAccount: Money
    public var requested: Money
    public var after: Money
    public var available: Money?
    public var creditStatus: CreditStatus
}

public enum ExposureStep: String, Sendable, CaseIterable {
    case day, week, month
}

public struct ExposurePoint: Sendable, Equatable {
    public var date: Day
    public var exposure: Money
    public var limit: Money?
}

public struct ExposureReport: Sendable, Equatable {
    public var client: String?
    public var from: Day
    public var to: Day
    public var step: ExposureStep
    public var points: [ExposurePoint]
}

// MARK: JSON

extension Money {
    func json(_ currency: Currency) -> JSONValue { .string(canonical(currency)) }
}

extension BucketTotals {
    func json(_ names: [String], _ currency: Currency) -> JSONValue {
        var object = JSONObject()
        for name in names { object[name] = (amounts[name] ?? .zero).json(currency) }
        object["total"] = total.json(currency)
        return .object(object)
    }
}

extension AgingReport {
    public func json(_ currency: Currency) -> JSONValue {
        var object: JSONObject = ["asOf": .string(scope.asOf.description)]
        object["buckets"] = .array(buckets.map { .string($0) })
        object["rows"] = .array(rows.map { row in
            var item: JSONObject = ["deadline": .string(row.deadline), "client": .string(row.client)]
            if let invoice = row.invoice { item["invoice"] = .string(invoice) }
            item["due"] = .string(row.due.description)
            item["daysToDue"] = .number(Double(row.daysToDue))
            item["daysOverdue"] = .number(Double(row.daysOverdue))
            item["bucket"] = .string(row.bucket)
            item["amount"] = row.amount.json(currency)
            item["paid"] = row.paid.json(currency)
            item["pending"] = row.pending.json(currency)
            item["outstanding"] = row.outstanding.json(currency)
            item["reminders"] = .number(Double(row.reminders))
            return .object(item)
        })
        object["clients"] = .array(clients.map { client in
            ["client": .string(client.client), "name": .string(client.name), "totals": client.totals.json(buckets, currency)]
        })
        object["totals"] = totals.json(buckets, currency)
        return .object(object)
    }
}

extension CalendarEntry {
    func json(_ currency: Currency) -> JSONValue {
        var item: JSONObject = ["deadline": .string(deadline), "due": .string(due.description), "client": .string(client),
                                "clientName": .string(clientName)]
        if let invoice { item["invoice"] = .string(invoice) }
        if let description { item["description"] = .string(description) }
        item["amount"] = amount.json(currency)
        item["outstanding"] = outstanding.json(currency)
        item["status"] = .string(status.rawValue)
        item["reminders"] = .array(reminders.map { ["sentAt": .string($0.sentAt.description), "slot": .string($0.slot.description)] })
        if let postponedFrom { item["postponedFrom"] = .string(postponedFrom.description) }
        return .object(item)
    }
}

extension CalendarReport {
    public func json(_ currency: Currency) -> JSONValue {
        ["from": .string(from.description), "to": .string(to.description), "view": .string(view.rawValue),
         "periods": .array(periods.map { period in
             ["period": .string(period.period), "from": .string(period.from.description), "to": .string(period.to.description),
              "total": period.total.json(currency), "deadlines": .array(period.deadlines.map { $0.json(currency) })]
         })]
    }
}

extension ClientReport {
    public func json(_ currency: Currency) -> JSONValue {
        var identity: JSONObject = ["client": .string(client.id), "name": .string(client.name)]
        if let email = client.email { identity["email"] = .string(email) }
        identity["locale"] = .string(client.locale.rawValue)
        var object: JSONObject = ["client": .object(identity)]
        if let limit = client.limit {
            object["limit"] = limit.json(currency)
            object["warnAt"] = .number(Double(client.warnAt))
        }
        object["exposure"] = exposure.json(currency)
        object["pendingPayments"] = pendingPayments.json(currency)
        object["onAccount"] = onAccount.json(currency)
        if let available { object["available"] = available.json(currency) }
        object["creditStatus"] = .string(creditStatus.rawValue)
        object["deadlines"] = .array(deadlines.map { $0.json(currency) })
        object["payments"] = .array(payments.map { payment in
            ["payment": .string(payment.payment), "amount": payment.amount.json(currency), "received": .string(payment.received.description),
             "method": .string(payment.method.rawValue), "status": .string(payment.status.rawValue),
             "unallocated": payment.unallocated.json(currency),
             "allocations": .array(payment.allocations.map { ["deadline": .string($0.deadline), "amount": $0.amount.json(currency)] }),
             "documents": .array(payment.documents.map { ["sha256": .string($0.sha256), "name": .string($0.name),
                                                          "mediaType": .string($0.mediaType), "size": .number(Double($0.size))] })]
        })
        object["alerts"] = .array(alerts.map { ["seq": .number(Double($0.seq)), "date": .string($0.date.description),
                                                "from": .string($0.from.rawValue), "to": .string($0.to.rawValue)] })
        return .object(object)
    }
}

extension CreditCheckReport {
    public func json(_ currency: Currency) -> JSONValue {
        var object: JSONObject = ["client": .string(client)]
        if let limit { object["limit"] = limit.json(currency) }
        object["exposure"] = exposure.json(currency)
        object["pendingPayments"] = pendingPayments.json(currency)
        object["onAccount"] = onAccount.json(currency)
        object["requested"] = requested.json(currency)
        object["after"] = after.json(currency)
        if let available { object["available"] = available.json(currency) }
        object["creditStatus"] = .string(creditStatus.rawValue)
        return .object(object)
    }
}

extension ExposureReport {
    public func json(_ currency: Currency) -> JSONValue {
        var object = JSONObject()
        if let client { object["client"] = .string(client) }
        object["from"] = .string(from.description)
        object["to"] = .string(to.description)
        object["step"] = .string(step.rawValue)
        object["points"] = .array(points.map { point in
            var item: JSONObject = ["date": .string(point.date.description), "exposure": point.exposure.json(currency)]
            if let limit = point.limit { item["limit"] = limit.json(currency) }
            return .object(item)
        })
        return .object(object)
    }
}
