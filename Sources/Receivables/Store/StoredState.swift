import EventLog
#if canImport(Glibc)
import Glibc
#endif

/// The state kept in LMDB's `state` database, read and written inside one transaction. Writes
/// are held in memory and put once at `flush`, so an entity touched by many events of a batch
/// is decoded and encoded once.
struct StoredState: StateStore {
    let transaction: Transaction
    let database: Database
    var settings: SettingsState
    private let originalSettings: SettingsState

    private var clients: [String: ClientState] = [:]
    private var invoices: [String: InvoiceState] = [:]
    private(set) var deadlines: [String: DeadlineState] = [:]
    private(set) var payments: [String: PaymentState] = [:]
    private var templates: [String: TemplateState] = [:]
    private var reminders: Set<String> = []
    private var dirty: Set<String> = []
    private var clientEvents: [[UInt8]] = []
    private var newAlerts: [CreditAlert] = []
    private var maximumEffective: Day?
    private var maximumEffectiveChanged = false
    /// Exposure change points written in log order (the usual case), by client and day.
    private var lastPoints: [String: ExposurePointValue?] = [:]
    /// The last point of each touched client as it was stored before this transaction.
    private var storedLastPoints: [String: ExposurePointValue?] = [:]
    private var points: [String: [Day: ExposurePointValue]] = [:]
    /// Clients with an event dated before their last change point: their series is recomputed.
    /// With the earliest date of their events dated in the past: points before it stand.
    private(set) var clientsToRecompute: [String: Day] = [:]

    enum Prefix: UInt8 {
        case settings = 0x53  // "S"
        case client = 0x63    // "c"
        case invoice = 0x69   // "i"
        case deadline = 0x64  // "d"
        case payment = 0x70   // "p"
        case template = 0x74  // "t", with locale and kind
        case templateName = 0x54  // "T": a template id that has at least one saved variant
        case reminder = 0x72  // "r", deadline and slot
        case blob = 0x62      // "b", sha256 and size
        // Read-model indexes, kept in step with the entities at flush.
        case dueIndex = 0x44      // "D": due date, deadline id — every live deadline
        case openIndex = 0x4F     // "O": due date, deadline id — live deadlines with something outstanding; the value
                                  // is the rest of the deadline's aging row (OpenDeadlineSummary)
        case clientEntity = 0x58  // "X": client, "d" or "p", id — a client's deadlines and payments; the value is a
                                  // copy of the entity, so that a client's history is one scan, not a lookup each
        case clientEvent = 0x78   // "x": client, seq — the events about a client, in log order
        case alert = 0x61         // "a": client, seq — credit alerts
        case maximumEffective = 0x45  // "E": the latest effective date of any non-master event
        case exposurePoint = 0x50     // "P": client, day — the client's exposure and limit as of that day
        case exposureTotal = 0x51     // "Q": day — the change of the total exposure on that day
        case exposureLast = 0x4C      // "L": client — the client's last exposure point
    }

    /// A due date as 4 bytes that sort like the dates.
    static func sortableDay(_ day: Day) -> [UInt8] {
        let biased = UInt32(bitPattern: day.daysSinceEpoch) ^ 0x8000_0000
        return withUnsafeBytes(of: biased.bigEndian) { Array($0) }
    }

    /// The due date back from its 4 sortable bytes.
    static func day(sortable bytes: UnsafeRawBufferPointer) -> Day {
        var biased: UInt32 = 0
        for byte in bytes.prefix(4) { biased = biased << 8 | UInt32(byte) }
        return Day(daysSinceEpoch: Int32(bitPattern: biased ^ 0x8000_0000))
    }

    static func dayKey(_ prefix: Prefix, _ day: Day, _ id: String) -> [UInt8] {
        [prefix.rawValue] + sortableDay(day) + Array(id.utf8)
    }

    static func seqKey(_ prefix: Prefix, _ client: String, _ seq: UInt64) -> [UInt8] {
        key(prefix, client) + [0] + seq.bigEndianBytes
    }

    static func key(_ prefix: Prefix, _ parts: String...) -> [UInt8] {
        var key: [UInt8] = [prefix.rawValue]
        for part in parts {
            key.append(0)
            key.append(contentsOf: part.utf8)
        }
        return key
    }

    /// The blob database, for the rule that a document must be stored before it is attached.
    var blobs: Database?

    /// The entities as stored, decoded once, for a state that folds events (a query's state reads
    /// each entity once or not at all, and keeps nothing): shared by the states of one write
    /// transaction, or by the successive batches of a rebuild, which alone writes its database.
    let stored: StoredEntities?

    init(transaction: Transaction, database: Database, blobs: Database? = nil, stored: StoredEntities? = nil) throws {
        self.transaction = transaction
        self.database = database
        self.blobs = blobs
        self.stored = stored
        if let bytes = try transaction.get(database, Self.key(.settings)) {
            settings = try bytes.withUnsafeBytes { try SettingsState.decoded($0) }
        } else {
            settings = SettingsState()
        }
        originalSettings = settings
        if let bytes = try transaction.get(database, [Prefix.maximumEffective.rawValue]) {
            maximumEffective = bytes.withUnsafeBytes { raw -> Day? in var reader = ByteReader(bytes: raw); return reader.day() }
        }
    }

    /// The latest effective date of any event that is filtered by asOf: an as-of date on or after
    /// it sees the whole log, so the stored state answers exactly.
    var latestEffective: Day? { maximumEffective }

    mutating func noteEffective(_ day: Day) {
        if maximumEffective == nil || day > maximumEffective! {
            maximumEffective = day
            maximumEffectiveChanged = true
        }
    }

    mutating func noteClientEvent(client: String, seq: UInt64) {
        clientEvents.append(Self.seqKey(.clientEvent, client, seq))
    }

    mutating func noteAlert(_ alert: CreditAlert) { newAlerts.append(alert) }

    /// Records a client's exposure and limit after an event dated `effective`. When the event is
    /// dated on or after the client's last change point, the whole state is the state as of that
    /// day, so the point is exact; an earlier date changes history, and the client's series is
    /// recomputed from its events at flush.
    mutating func noteExposure(of client: ClientState, effective: Day) throws {
        if let from = clientsToRecompute[client.id] {
            clientsToRecompute[client.id] = min(from, effective)
            return
        }
        let last: ExposurePointValue?
        if let cached = lastPoints[client.id] {
            last = cached
        } else {
            last = try load(Self.key(.exposureLast, client.id))
            storedLastPoints[client.id] = last
        }
        if let last, effective < last.day {
            // Points of this batch dated before this event stand; earlier stored ones too.
            clientsToRecompute[client.id] = min(effective, points[client.id]?.keys.min() ?? effective)
            return
        }
        let point = ExposurePointValue(day: effective, exposure: client.exposure, limit: client.limit)
        lastPoints[client.id] = point
        points[client.id, default: [:]][effective] = point
    }

    /// A client's exposure change points, by day.
    func exposurePoints(ofClient client: String) throws -> [ExposurePointValue] {
        var result: [ExposurePointValue] = []
        let cursor = try transaction.cursor(database)
        let prefix = Self.key(.exposurePoint, client) + [0]
        var entry = try cursor.seek(atOrAfter: prefix)
        while let current = entry, current.key.starts(with: prefix) {
            result.append(try ExposurePointValue.decoded(current.value))
            entry = try cursor.next()
        }
        return result
    }

    /// The changes of the total exposure, by day.
    func totalExposureChanges() throws -> [(day: Day, change: Money)] {
        var result: [(Day, Money)] = []
        let cursor = try transaction.cursor(database)
        var entry = try cursor.seek(atOrAfter: [Prefix.exposureTotal.rawValue])
        while let current = entry, current.key.first == Prefix.exposureTotal.rawValue {
            var reader = ByteReader(bytes: current.value)
            guard let day = reader.day(), let change = reader.money() else { throw StateDecodeError(entity: "the total exposure") }
            result.append((day, change))
            entry = try cursor.next()
        }
        return result
    }

    /// Replaces a client's series of change points from `day` on (after an event dated in its
    /// past); the points before `day` stand.
    func replaceExposureSeries(ofClient client: String, from day: Day, with laterPoints: [ExposurePointValue]) throws {
        let series = try exposurePoints(ofClient: client).filter { $0.day < day } + laterPoints
        var changes: [Day: Money] = [:]
        var previous = Money.zero
        for point in try exposurePoints(ofClient: client) {
            changes[point.day, default: .zero] = try (changes[point.day] ?? .zero).minus(try point.exposure.minus(previous))
            previous = point.exposure
        }
        try ReceivablesStore.deleteEntries(in: transaction, database, prefix: Self.key(.exposurePoint, client) + [0])
        previous = .zero
        for point in series {
            changes[point.day, default: .zero] = try (changes[point.day] ?? .zero).plus(try point.exposure.minus(previous))
            previous = point.exposure
            try transaction.put(database, Self.key(.exposurePoint, client) + [0] + Self.sortableDay(point.day), point.encoded())
        }
        if let last = series.last {
            try transaction.put(database, Self.key(.exposureLast, client), last.encoded())
        }
        try applyTotalChanges(changes)
    }

    private func applyTotalChanges(_ changes: [Day: Money]) throws {
        for (day, change) in changes where !change.isZero {
            let key = [Prefix.exposureTotal.rawValue] + Self.sortableDay(day)
            var current = Money.zero
            if let stored = try transaction.get(database, key) {
                current = stored.withUnsafeBytes { raw -> Money in var reader = ByteReader(bytes: raw); _ = reader.day(); return reader.money() ?? .zero }
            }
            let next = try current.plus(change)
            if next.isZero {
                try transaction.delete(database, key)
            } else {
                var writer = ByteWriter()
                writer.day(day)
                writer.money(next)
                try transaction.put(database, key, writer.bytes)
            }
        }
    }

    private func load<T: StateCodable>(_ key: [UInt8]) throws -> T? {
        try key.withUnsafeBytes { keyBytes in
            guard let value = try transaction.get(database, keyBytes) else { return nil }
            return try T.decoded(value)
        }
    }

    private func exists(_ key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { try transaction.get(database, $0) != nil }
    }

    func client(_ id: String) throws -> ClientState? {
        if let changed = clients[id] { return changed }
        guard let stored else { return try load(Self.key(.client, id)) }
        return try storedEntity(&stored.clients, .client, id)
    }
    func invoice(_ id: String) throws -> InvoiceState? {
        if let changed = invoices[id] { return changed }
        guard let stored else { return try load(Self.key(.invoice, id)) }
        return try storedEntity(&stored.invoices, .invoice, id)
    }
    func deadline(_ id: String) throws -> DeadlineState? {
        if let changed = deadlines[id] { return changed }
        guard let stored else { return try load(Self.key(.deadline, id)) }
        return try storedEntity(&stored.deadlines, .deadline, id)
    }
    func payment(_ id: String) throws -> PaymentState? {
        if let changed = payments[id] { return changed }
        guard let stored else { return try load(Self.key(.payment, id)) }
        return try storedEntity(&stored.payments, .payment, id)
    }

    /// An entity as stored, from the cache when it was read or written before.
    private func storedEntity<T: StateCodable>(_ table: inout [String: T?], _ prefix: Prefix, _ id: String) throws -> T? {
        if let known = table[id] { return known }
        let value: T? = try load(Self.key(prefix, id))
        table[id] = .some(value)
        return value
    }
    func hasTemplate(_ id: String) throws -> Bool {
        if templates.values.contains(where: { $0.template == id }) { return true }
        return try exists(Self.key(.templateName, id))
    }
    func template(_ id: String, locale: ClientLocale, kind: ReminderKind?) throws -> TemplateState? {
        let key = Self.key(.template, id, locale.rawValue, kind?.rawValue ?? "")
        if let cached = templates[String(decoding: key, as: UTF8.self)] { return cached }
        return try load(key)
    }
    func hasReminder(deadline: String, slot: Day) throws -> Bool {
        let key = Self.key(.reminder, deadline, slot.description)
        if reminders.contains(String(decoding: key, as: UTF8.self)) { return true }
        return try exists(key)
    }
    /// Blobs live outside the state (a rebuild never loses them): in the store's blob database,
    /// keyed by their SHA-256, when this state was opened with it.
    func hasBlob(sha256: String, size: Int64) throws -> Bool {
        guard let blobs else { return false }
        guard let digest = Digest(hex: sha256), let stored = try transaction.get(blobs, digest.bytes) else { return false }
        return stored.count == size
    }

    mutating func put(_ client: ClientState) { clients[client.id] = client; dirty.insert("c" + client.id) }
    mutating func put(_ invoice: InvoiceState) { invoices[invoice.id] = invoice; dirty.insert("i" + invoice.id) }
    mutating func put(_ deadline: DeadlineState) { deadlines[deadline.id] = deadline; dirty.insert("d" + deadline.id) }
    mutating func put(_ payment: PaymentState) { payments[payment.id] = payment; dirty.insert("p" + payment.id) }
    mutating func put(_ template: TemplateState) {
        let key = Self.key(.template, template.template, template.locale.rawValue, template.kind?.rawValue ?? "")
        templates[String(decoding: key, as: UTF8.self)] = template
    }
    mutating func recordReminder(deadline: String, slot: Day) {
        reminders.insert(String(decoding: Self.key(.reminder, deadline, slot.description), as: UTF8.self))
    }

    /// Puts everything changed since the state was opened, and moves the read-model index
    /// entries of changed deadlines and payments.
    func flush() throws {
        var writes = OrderedWrites()
        if settings != originalSettings { writes.put(Self.key(.settings), settings.encoded()) }
        for key in dirty {
            let kind = key.first!
            let id = String(key.dropFirst())
            switch kind {
            case "c":
                let client = clients[id]!
                writes.put(Self.key(.client, id), client.encoded())
                stored?.clients[id] = .some(client)
            case "i":
                let invoice = invoices[id]!
                writes.put(Self.key(.invoice, id), invoice.encoded())
                stored?.invoices[id] = .some(invoice)
            case "d":
                let deadline = deadlines[id]!
                let previous: DeadlineState?
                if let stored {
                    previous = try storedEntity(&stored.deadlines, .deadline, id)
                } else {
                    previous = try load(Self.key(.deadline, id))
                }
                let encoded = deadline.encoded()
                writes.put(Self.key(.deadline, id), encoded)
                writes.put(Self.key(.clientEntity, deadline.client, "d", id), encoded)
                stored?.deadlines[id] = .some(deadline)
                reindex(previous, deadline, into: &writes)
            default:
                let payment = payments[id]!
                let encoded = payment.encoded()
                writes.put(Self.key(.payment, id), encoded)
                writes.put(Self.key(.clientEntity, payment.client, "p", id), encoded)
                stored?.payments[id] = .some(payment)
            }
        }
        for key in clientEvents { writes.put(key, []) }
        for alert in newAlerts {
            var writer = ByteWriter()
            writer.day(alert.date)
            writer.text(alert.from.rawValue)
            writer.text(alert.to.rawValue)
            writes.put(Self.seqKey(.alert, alert.client, alert.seq), writer.bytes)
        }
        var totalChanges: [Day: Money] = [:]
        for (client, days) in points where clientsToRecompute[client] == nil {
            var previous = (storedLastPoints[client] ?? nil)?.exposure ?? .zero
            for day in days.keys.sorted() {
                let point = days[day]!
                totalChanges[day] = try (totalChanges[day] ?? .zero).plus(try point.exposure.minus(previous))
                previous = point.exposure
                writes.put(Self.key(.exposurePoint, client) + [0] + Self.sortableDay(day), point.encoded())
            }
            if let last = lastPoints[client], let last {
                writes.put(Self.key(.exposureLast, client), last.encoded())
            }
        }
        try applyTotalChanges(totalChanges)
        if maximumEffectiveChanged, let maximumEffective {
            var writer = ByteWriter()
            writer.day(maximumEffective)
            writes.put([Prefix.maximumEffective.rawValue], writer.bytes)
        }
        for (key, template) in templates {
            writes.put(Array(key.utf8), template.encoded())
            writes.put(Self.key(.templateName, template.template), [])
        }
        for key in reminders { writes.put(Array(key.utf8), []) }
        try writes.apply(in: transaction, database)
    }

    /// Gives the open-index entries of a store of read-models layout 1, which had empty values,
    /// their aging rows from the deadlines: what a fresh fold writes. An entry whose deadline is
    /// missing, damaged or not open with that due date is left as it was, for `verify` to report and
    /// `rebuild` to mend.
    static func fillOpenIndexValues(in transaction: Transaction, _ database: Database) throws {
        for key in try keysWithEmptyValues(.openIndex, in: transaction, database) where key.count > 5 {
            let id = String(decoding: key[5...], as: UTF8.self)
            guard let bytes = try transaction.get(database, Self.key(.deadline, id)),
                  let deadline = try? bytes.withUnsafeBytes({ try DeadlineState.decoded($0) }),
                  deadline.isLive, deadline.outstanding.isPositive, dayKey(.openIndex, deadline.due, deadline.id) == key else { continue }
            try transaction.put(database, key, OpenDeadlineSummary(deadline).openIndexValue())
        }
    }

    /// The keys under `prefix` whose values are empty: the entries an earlier layout left bare.
    private static func keysWithEmptyValues(_ prefix: Prefix, in transaction: Transaction, _ database: Database) throws -> [[UInt8]] {
        var keys: [[UInt8]] = []
        let cursor = try transaction.cursor(database)
        var entry = try cursor.seek(atOrAfter: [prefix.rawValue])
        while let current = entry, current.key.first == prefix.rawValue {
            if current.value.isEmpty { keys.append(Array(current.key)) }
            entry = try cursor.next()
        }
        return keys
    }

    /// Gives the client-index entries of a store of read-models layout 2 or earlier, which had
    /// empty values, a copy of their deadline or payment: what a fresh fold writes. An entry whose
    /// entity is missing is left as it was, for `verify` to report and `rebuild` to mend.
    static func fillClientEntityValues(in transaction: Transaction, _ database: Database) throws {
        for key in try keysWithEmptyValues(.clientEntity, in: transaction, database) {
            // [X] 0 client 0 kind 0 id: ids and client ids never hold a zero byte.
            let parts = key.dropFirst().split(separator: 0, omittingEmptySubsequences: false)
            guard parts.count == 4, parts[0].isEmpty, let kind = parts[2].first, parts[2].count == 1,
                  let prefix: Prefix = kind == UInt8(ascii: "d") ? .deadline : kind == UInt8(ascii: "p") ? .payment : nil,
                  let entity = try transaction.get(database, [prefix.rawValue, 0] + Array(parts[3])) else { continue }
            try transaction.put(database, key, Array(entity))
        }
    }

    /// Keeps the due-date and open-deadline indexes in step with one deadline's change. An open
    /// deadline's entry holds its aging row, so any change of a field the row shows (a payment, a
    /// bounce, an amendment, a reminder sent) rewrites it.
    private func reindex(_ previous: DeadlineState?, _ current: DeadlineState, into writes: inout OrderedWrites) {
        let wasListed = previous.map { $0.isLive } ?? false
        let wasOpen = previous.map { $0.isLive && $0.outstanding.isPositive } ?? false
        let isListed = current.isLive
        let isOpen = current.isLive && current.outstanding.isPositive
        let moved = previous.map { $0.due != current.due } ?? false
        if let previous {
            if wasListed && (!isListed || moved) { writes.delete(Self.dayKey(.dueIndex, previous.due, previous.id)) }
            if wasOpen && (!isOpen || moved) { writes.delete(Self.dayKey(.openIndex, previous.due, previous.id)) }
        }
        if isListed && (!wasListed || moved) { writes.put(Self.dayKey(.dueIndex, current.due, current.id), []) }
        if isOpen {
            let summary = OpenDeadlineSummary(current)
            if !wasOpen || moved || previous.map(OpenDeadlineSummary.init) != summary {
                writes.put(Self.dayKey(.openIndex, current.due, current.id), summary.openIndexValue())
            }
        }
    }
}

/// The puts and deletes of a flush, applied in key order through one cursor: LMDB finds each
/// next key from the leaf page the cursor is on instead of from the root, and the pages are
/// made dirty in order. The flush of a batch writes thousands of keys of every kind (entities,
/// per-client and per-date indexes), in an order of its own.
struct OrderedWrites {
    private var keys: [[UInt8]] = []
    /// nil: delete the key.
    private var values: [[UInt8]?] = []

    mutating func put(_ key: [UInt8], _ value: [UInt8]) {
        keys.append(key)
        values.append(value)
    }

    mutating func delete(_ key: [UInt8]) {
        keys.append(key)
        values.append(nil)
    }

    /// In key order; of two writes of one key, the later one last.
    func apply(in transaction: Transaction, _ database: Database) throws {
        guard !keys.isEmpty else { return }
        let order = keys.indices.sorted { left, right in
            let comparison = Self.compare(keys[left], keys[right])
            return comparison < 0 || (comparison == 0 && left < right)
        }
        let cursor = try transaction.cursor(database)
        // A large flush (a rebuild's batch of 20,000 events) copies pages from all over the
        // map, and each read maps a whole large folio of the file around its page: the mapped
        // originals it has copied are not needed again in this transaction. Given back every
        // 16,384 writes they left some 290 MiB mapped at a time in a rebuild of 1,000,000
        // events; every 4,096, some 200. A batch of appends (some 6,000 writes for 1,000 events)
        // keeps them: the next batch reads most of them again.
        let releasing = keys.count > Self.largeFlushWrites
        for (done, index) in order.enumerated() {
            if releasing && done > 0 && done % Self.writesBetweenReleases == 0 { transaction.environment.releaseMappedPages() }
            try keys[index].withUnsafeBytes { key in
                if let value = values[index] {
                    try value.withUnsafeBytes { try cursor.put(key, $0) }
                } else if let found = try cursor.seek(atOrAfter: key), found.key.elementsEqual(key) {
                    try cursor.deleteCurrent()
                }
            }
        }
    }

    static let largeFlushWrites = 16_384
    static let writesBetweenReleases = 4_096

    private static func compare(_ left: [UInt8], _ right: [UInt8]) -> Int32 {
        left.withUnsafeBytes { l in
            right.withUnsafeBytes { r in
                let common = min(l.count, r.count)
                let prefix = common == 0 ? 0 : memcmp(l.baseAddress!, r.baseAddress!, common)
                if prefix != 0 { return prefix }
                return l.count < r.count ? -1 : l.count > r.count ? 1 : 0
            }
        }
    }
}

/// Decoded copies of the entities a state database holds (nil: known not to be stored), so that
/// an entity read by many events of a transaction is looked up and decoded once. It must only
/// be shared by states that see the same stored entities: those of one write transaction.
final class StoredEntities {
    var clients: [String: ClientState?] = [:]
    var invoices: [String: InvoiceState?] = [:]
    var deadlines: [String: DeadlineState?] = [:]
    var payments: [String: PaymentState?] = [:]
}

/// A client's exposure and the limit in force as of a day.
struct ExposurePointValue: StateCodable, Equatable {
    var day: Day
    var exposure: Money
    var limit: Money?
    static var entityName: String { "an exposure point" }
    func encode(into writer: inout ByteWriter) {
        writer.day(day)
        writer.money(exposure)
        writer.optionalMoney(limit)
    }
    init(day: Day, exposure: Money, limit: Money?) {
        self.day = day
        self.exposure = exposure
        self.limit = limit
    }
    init?(from reader: inout ByteReader) {
        guard let day = reader.day(), let exposure = reader.money(), let limit = reader.optionalMoney() else { return nil }
        self.init(day: day, exposure: exposure, limit: limit)
    }
}

extension OpenDeadlineSummary {
    /// The value of the deadline's open-index entry: the summary without the due date and id,
    /// which are the key. A version byte first, as for the entities.
    func openIndexValue() -> [UInt8] {
        var writer = ByteWriter(capacity: 48)
        writer.byte(1)
        writer.text(client)
        writer.optionalText(invoice)
        writer.money(amount)
        writer.money(paid)
        writer.money(pending)
        writer.integer(UInt32(reminderCount))
        return writer.bytes
    }

    /// The summary of an open-index entry. An entry that does not decode (an empty value, as a
    /// store of the earlier layout had before it was upgraded) is a damaged store, never guessed at.
    init(openIndexKey key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws {
        guard key.count > 5 else { throw StateDecodeError(entity: "the open-deadline index") }
        let deadline = String(decoding: UnsafeRawBufferPointer(rebasing: key[5...]), as: UTF8.self)
        var reader = ByteReader(bytes: value)
        guard reader.byte() == 1, let client = reader.text(), let invoice = reader.optionalText(), let amount = reader.money(),
              let paid = reader.money(), let pending = reader.money(), let reminderCount: UInt32 = reader.integer(), reader.isAtEnd
        else { throw StateDecodeError(entity: "the aging entry of deadline \(deadline)") }
        self.init(deadline: deadline, due: StoredState.day(sortable: UnsafeRawBufferPointer(rebasing: key[1..<5])), client: client,
                  invoice: invoice, amount: amount, paid: paid, pending: pending, reminderCount: Int(reminderCount))
    }
}
