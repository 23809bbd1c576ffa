import CSQLite
import EventLog
import Receivables

// The alternative a careful engineer would build on SQLite: an events table with the indexes the
// appends and reads need, and SQL read models (clients, invoices, deadlines, reminders, payments,
// allocations, exposure points, credit alerts) kept with UPSERTs in the append's own
// transaction. The rules and the fold are the engine's own (`Decision`, `Fold`) running over a
// `StateStore` whose entities are rows, so both stores take the same events and give the same
// answers; what differs is the storage and the read-model design. No hash chain (SQLite offers
// none). A past as-of aging is computed with SQL at query time from the events table (json_extract
// and json_each over the events recorded by then).

struct SQLiteError: Error, CustomStringConvertible {
    var description: String
}

let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

final class SQLiteDatabase {
    let handle: OpaquePointer
    private var statements: [String: Statement] = [:]

    init(path: String) throws {
        var db: OpaquePointer?
        let code = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK, let db else {
            throw SQLiteError(description: "cannot open \(path): \(String(cString: sqlite3_errstr(code)))")
        }
        handle = db
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &message) != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(message)
            throw SQLiteError(description: "\(text) in: \(sql.prefix(200))")
        }
    }

    /// A prepared statement, kept for reuse.
    func statement(_ sql: String) throws -> Statement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        let statement = try Statement(database: self, sql: sql)
        statements[sql] = statement
        return statement
    }

    var errorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    /// The first column of the first row of a query, as text.
    func scalarText(_ sql: String) throws -> String? {
        let statement = try self.statement(sql)
        guard try statement.step() else { return nil }
        return statement.text(0)
    }
}

final class Statement {
    let handle: OpaquePointer
    unowned let database: SQLiteDatabase

    init(database: SQLiteDatabase, sql: String) throws {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
              let statement else {
            throw SQLiteError(description: "\(database.errorMessage) in: \(sql)")
        }
        self.handle = statement
        self.database = database
    }

    deinit { sqlite3_finalize(handle) }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    @discardableResult
    func bind(_ values: BindValue...) -> Statement {
        for (offset, value) in values.enumerated() { bind(Int32(offset + 1), value) }
        return self
    }

    func bind(_ index: Int32, _ value: BindValue) {
        switch value {
        case .null: sqlite3_bind_null(handle, index)
        case .int(let v): sqlite3_bind_int64(handle, index, v)
        case .text(let v): sqlite3_bind_text(handle, index, v, -1, sqliteTransient)
        case .blob(let v): v.withUnsafeBytes { _ = sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), sqliteTransient) }
        }
    }

    /// Steps once: true when a row is there.
    func step() throws -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        throw SQLiteError(description: database.errorMessage)
    }

    /// Runs a statement that returns no rows.
    func run() throws {
        while try step() {}
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func optionalInt(_ column: Int32) -> Int64? { isNull(column) ? nil : int(column) }
    func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }
    func string(_ column: Int32) -> String { text(column) ?? "" }
    func day(_ column: Int32) -> Day? { text(column).flatMap { Day(iso: $0) } }
    func bytes(_ column: Int32) -> UnsafeRawBufferPointer {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard let pointer = sqlite3_column_blob(handle, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: pointer, count: count)
    }
}

enum BindValue {
    case null
    case int(Int64)
    case text(String)
    case blob([UInt8])

    static func optionalText(_ value: String?) -> BindValue { value.map { .text($0) } ?? .null }
    static func optionalInt(_ value: Int64?) -> BindValue { value.map { .int($0) } ?? .null }
    static func day(_ value: Day) -> BindValue { .text(value.description) }
    static func optionalDay(_ value: Day?) -> BindValue { value.map { .text($0.description) } ?? .null }
    static func money(_ value: Money) -> BindValue { .int(value.minorUnits) }
    static func bool(_ value: Bool) -> BindValue { .int(value ? 1 : 0) }
}

enum SQLite {
    static var version: String { String(cString: sqlite3_libversion()) }

    static let schema = """
        CREATE TABLE IF NOT EXISTS events(
            seq INTEGER PRIMARY KEY, stream TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL,
            recorded_at INTEGER NOT NULL, effective TEXT NOT NULL, key TEXT UNIQUE, fingerprint BLOB, meta TEXT,
            data TEXT NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS events_stream ON events(stream, version);
        CREATE INDEX IF NOT EXISTS events_recorded_at ON events(recorded_at);
        CREATE TABLE IF NOT EXISTS settings(
            id INTEGER PRIMARY KEY CHECK (id = 1), company TEXT, iban TEXT, bic TEXT, payment_link TEXT, sender TEXT,
            timezone TEXT NOT NULL, currency TEXT NOT NULL, reminder_lead INTEGER, reminder_every INTEGER,
            reminder_template TEXT, reminder_max INTEGER, has_money INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS clients(
            id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT, locale TEXT NOT NULL, vat TEXT, credit_limit INTEGER,
            warn_at INTEGER NOT NULL, exposure INTEGER NOT NULL, pending INTEGER NOT NULL, on_account INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS invoices(
            id TEXT PRIMARY KEY, client TEXT NOT NULL, issued TEXT NOT NULL, amount INTEGER NOT NULL, number TEXT,
            description TEXT, cancelled_on TEXT, deadline_ids TEXT NOT NULL, live_total INTEGER NOT NULL,
            cleared_allocated INTEGER NOT NULL, pending_allocated INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS deadlines(
            id TEXT PRIMARY KEY, client TEXT NOT NULL, invoice TEXT, due TEXT NOT NULL, first_due TEXT NOT NULL,
            amount INTEGER NOT NULL, description TEXT, reminder_lead INTEGER, reminder_every INTEGER,
            reminder_template TEXT, reminder_max INTEGER, paid INTEGER NOT NULL, pending INTEGER NOT NULL,
            cancelled INTEGER NOT NULL, reminders INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS deadlines_due ON deadlines(due, id) WHERE cancelled = 0;
        CREATE INDEX IF NOT EXISTS deadlines_open ON deadlines(due, id) WHERE cancelled = 0 AND amount > paid + pending;
        CREATE INDEX IF NOT EXISTS deadlines_client ON deadlines(client, due, id);
        CREATE TABLE IF NOT EXISTS reminders(
            deadline TEXT NOT NULL, slot TEXT NOT NULL, sent_at INTEGER NOT NULL, manual INTEGER NOT NULL,
            PRIMARY KEY(deadline, slot, sent_at)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS payments(
            id TEXT PRIMARY KEY, client TEXT NOT NULL, amount INTEGER NOT NULL, received TEXT NOT NULL, method TEXT NOT NULL,
            status TEXT NOT NULL, cleared_on TEXT, reference TEXT, allocations INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS payments_client ON payments(client, received, id);
        CREATE TABLE IF NOT EXISTS allocations(
            payment TEXT NOT NULL, deadline TEXT NOT NULL, amount INTEGER NOT NULL, position INTEGER NOT NULL,
            PRIMARY KEY(payment, deadline)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS templates(
            template TEXT NOT NULL, locale TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL,
            PRIMARY KEY(template, locale, kind)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS exposure_points(
            client TEXT NOT NULL, day TEXT NOT NULL, exposure INTEGER NOT NULL, credit_limit INTEGER,
            PRIMARY KEY(client, day)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS alerts(
            client TEXT NOT NULL, seq INTEGER NOT NULL, day TEXT NOT NULL, from_status TEXT NOT NULL,
            to_status TEXT NOT NULL, PRIMARY KEY(client, seq)) WITHOUT ROWID;
        """

    static let readModelTables = ["settings", "clients", "invoices", "deadlines", "reminders", "payments", "allocations",
                                  "templates", "exposure_points", "alerts"]
}

/// The engine's state, kept in SQL rows: every read is a SELECT, every put an UPSERT.
struct SQLiteState: StateStore {
    let db: SQLiteDatabase
    var settings: SettingsState
    private let originalSettings: SettingsState

    init(db: SQLiteDatabase) throws {
        self.db = db
        var settings = SettingsState()
        let statement = try db.statement("""
            SELECT company, iban, bic, payment_link, sender, timezone, currency, reminder_lead, reminder_every,
                   reminder_template, reminder_max, has_money FROM settings WHERE id = 1
            """)
        if try statement.step() {
            settings.company = statement.text(0)
            settings.iban = statement.text(1)
            settings.bic = statement.text(2)
            settings.paymentLink = statement.text(3)
            settings.sender = statement.text(4)
            settings.timeZone = TimeZoneRule(identifier: statement.string(5)) ?? .rome
            settings.currency = Currency.iso4217(statement.string(6)) ?? .euro
            if let lead = statement.optionalInt(7), let every = statement.optionalInt(8), let template = statement.text(9) {
                settings.reminder = ReminderPlan(leadDays: Int(lead), everyDays: Int(every), template: template,
                                                 maxCount: statement.optionalInt(10).map(Int.init))
            }
            settings.hasMoneyEvents = statement.int(11) != 0
        }
        statement.reset()
        self.settings = settings
        self.originalSettings = settings
    }

    func saveSettings() throws {
        guard settings != originalSettings else { return }
        try db.statement("""
            INSERT INTO settings(id, company, iban, bic, payment_link, sender, timezone, currency, reminder_lead,
                reminder_every, reminder_template, reminder_max, has_money) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET company = excluded.company, iban = excluded.iban, bic = excluded.bic,
                payment_link = excluded.payment_link, sender = excluded.sender, timezone = excluded.timezone,
                currency = excluded.currency, reminder_lead = excluded.reminder_lead, reminder_every = excluded.reminder_every,
                reminder_template = excluded.reminder_template, reminder_max = excluded.reminder_max, has_money = excluded.has_money
            """).bind(.optionalText(settings.company), .optionalText(settings.iban), .optionalText(settings.bic),
                      .optionalText(settings.paymentLink), .optionalText(settings.sender), .text(settings.timeZone.identifier),
                      .text(settings.currency.code), .optionalInt(settings.reminder.map { Int64($0.leadDays) }),
                      .optionalInt(settings.reminder.map { Int64($0.everyDays) }), .optionalText(settings.reminder?.template),
                      .optionalInt(settings.reminder?.maxCount.map(Int64.init)), .bool(settings.hasMoneyEvents)).run()
    }

    func client(_ id: String) throws -> ClientState? {
        let s = try db.statement("""
            SELECT name, email, locale, vat, credit_limit, warn_at, exposure, pending, on_account FROM clients WHERE id = ?
            """).bind(.text(id))
        guard try s.step() else { return nil }
        var client = ClientState(id: id, name: s.string(0))
        client.email = s.text(1)
        client.locale = ClientLocale(rawValue: s.string(2)) ?? .default
        client.vat = s.text(3)
        client.limit = s.optionalInt(4).map { Money(minorUnits: $0) }
        client.warnAt = Int(s.int(5))
        client.exposure = Money(minorUnits: s.int(6))
        client.pendingPayments = Money(minorUnits: s.int(7))
        client.onAccount = Money(minorUnits: s.int(8))
        s.reset()
        return client
    }

    func invoice(_ id: String) throws -> InvoiceState? {
        let s = try db.statement("""
            SELECT client, issued, amount, number, description, cancelled_on, deadline_ids, live_total, cleared_allocated,
                   pending_allocated FROM invoices WHERE id = ?
            """).bind(.text(id))
        guard try s.step() else { return nil }
        var invoice = InvoiceState(id: id, client: s.string(0), issued: s.day(1)!, amount: Money(minorUnits: s.int(2)))
        invoice.number = s.text(3)
        invoice.description = s.text(4)
        invoice.cancelledOn = s.day(5)
        let ids = s.string(6)
        invoice.deadlines = ids.isEmpty ? [] : ids.split(separator: "\n").map(String.init)
        invoice.liveDeadlineTotal = Money(minorUnits: s.int(7))
        invoice.clearedAllocated = Money(minorUnits: s.int(8))
        invoice.pendingAllocated = Money(minorUnits: s.int(9))
        s.reset()
        return invoice
    }

    static let deadlineColumns = """
        id, client, invoice, due, first_due, amount, description, reminder_lead, reminder_every, reminder_template,
        reminder_max, paid, pending, cancelled, reminders
        """

    /// A deadline from a row of `deadlineColumns` (without its reminders).
    static func deadline(from s: Statement) -> (DeadlineState, reminderCount: Int) {
        var deadline = DeadlineState(id: s.string(0), client: s.string(1), invoice: s.text(2), due: s.day(3)!,
                                     amount: Money(minorUnits: s.int(5)))
        deadline.firstDue = s.day(4)!
        deadline.description = s.text(6)
        if let lead = s.optionalInt(7), let every = s.optionalInt(8), let template = s.text(9) {
            deadline.reminder = ReminderPlan(leadDays: Int(lead), everyDays: Int(every), template: template,
                                             maxCount: s.optionalInt(10).map(Int.init))
        }
        deadline.paid = Money(minorUnits: s.int(11))
        deadline.pending = Money(minorUnits: s.int(12))
        deadline.isCancelled = s.int(13) != 0
        return (deadline, Int(s.int(14)))
    }

    func deadline(_ id: String) throws -> DeadlineState? {
        let s = try db.statement("SELECT \(Self.deadlineColumns) FROM deadlines WHERE id = ?").bind(.text(id))
        guard try s.step() else { return nil }
        var (deadline, count) = Self.deadline(from: s)
        s.reset()
        if count > 0 { deadline.reminders = try reminders(of: id) }
        return deadline
    }

    func reminders(of deadline: String) throws -> [SentReminder] {
        let s = try db.statement("SELECT slot, sent_at, manual FROM reminders WHERE deadline = ? ORDER BY sent_at, slot").bind(.text(deadline))
        var result: [SentReminder] = []
        while try s.step() {
            result.append(SentReminder(sentAt: Timestamp(millisecondsSinceEpoch: s.int(1)), slot: s.day(0)!, manual: s.int(2) != 0))
        }
        return result
    }

    func payment(_ id: String) throws -> PaymentState? {
        let s = try db.statement("""
            SELECT client, amount, received, method, status, cleared_on, reference, allocations FROM payments WHERE id = ?
            """).bind(.text(id))
        guard try s.step() else { return nil }
        var payment = PaymentState(id: id, client: s.string(0), amount: Money(minorUnits: s.int(1)), received: s.day(2)!,
                                   method: PaymentMethod(rawValue: s.string(3)) ?? .other,
                                   status: PaymentCondition(rawValue: s.string(4)) ?? .cleared)
        payment.clearedOn = s.day(5)
        payment.reference = s.text(6)
        let count = s.int(7)
        s.reset()
        if count > 0 {
            let a = try db.statement("SELECT deadline, amount FROM allocations WHERE payment = ? ORDER BY position").bind(.text(id))
            while try a.step() { payment.allocations.append(Allocation(deadline: a.string(0), amount: Money(minorUnits: a.int(1)))) }
        }
        return payment
    }

    func hasTemplate(_ id: String) throws -> Bool {
        let s = try db.statement("SELECT 1 FROM templates WHERE template = ? LIMIT 1").bind(.text(id))
        defer { s.reset() }
        return try s.step()
    }

    func hasReminder(deadline: String, slot: Day) throws -> Bool {
        let s = try db.statement("SELECT 1 FROM reminders WHERE deadline = ? AND slot = ? LIMIT 1").bind(.text(deadline), .day(slot))
        defer { s.reset() }
        return try s.step()
    }

    /// Documents are not part of the bench's data: no blob store here.
    func hasBlob(sha256: String, size: Int64) throws -> Bool { false }

    func put(_ client: ClientState) throws {
        try db.statement("""
            INSERT INTO clients(id, name, email, locale, vat, credit_limit, warn_at, exposure, pending, on_account)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, email = excluded.email, locale = excluded.locale,
                vat = excluded.vat, credit_limit = excluded.credit_limit, warn_at = excluded.warn_at,
                exposure = excluded.exposure, pending = excluded.pending, on_account = excluded.on_account
            """).bind(.text(client.id), .text(client.name), .optionalText(client.email), .text(client.locale.rawValue),
                      .optionalText(client.vat), .optionalInt(client.limit?.minorUnits), .int(Int64(client.warnAt)),
                      .money(client.exposure), .money(client.pendingPayments), .money(client.onAccount)).run()
    }

    func put(_ invoice: InvoiceState) throws {
        try db.statement("""
            INSERT INTO invoices(id, client, issued, amount, number, description, cancelled_on, deadline_ids, live_total,
                cleared_allocated, pending_allocated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET client = excluded.client, issued = excluded.issued, amount = excluded.amount,
                number = excluded.number, description = excluded.description, cancelled_on = excluded.cancelled_on,
                deadline_ids = excluded.deadline_ids, live_total = excluded.live_total,
                cleared_allocated = excluded.cleared_allocated, pending_allocated = excluded.pending_allocated
            """).bind(.text(invoice.id), .text(invoice.client), .day(invoice.issued), .money(invoice.amount),
                      .optionalText(invoice.number), .optionalText(invoice.description), .optionalDay(invoice.cancelledOn),
                      .text(invoice.deadlines.joined(separator: "\n")), .money(invoice.liveDeadlineTotal),
                      .money(invoice.clearedAllocated), .money(invoice.pendingAllocated)).run()
    }

    func put(_ deadline: DeadlineState) throws {
        try db.statement("""
            INSERT INTO deadlines(\(Self.deadlineColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET client = excluded.client, invoice = excluded.invoice, due = excluded.due,
                first_due = excluded.first_due, amount = excluded.amount, description = excluded.description,
                reminder_lead = excluded.reminder_lead, reminder_every = excluded.reminder_every,
                reminder_template = excluded.reminder_template, reminder_max = excluded.reminder_max, paid = excluded.paid,
                pending = excluded.pending, cancelled = excluded.cancelled, reminders = excluded.reminders
            """).bind(.text(deadline.id), .text(deadline.client), .optionalText(deadline.invoice), .day(deadline.due),
                      .day(deadline.firstDue), .money(deadline.amount), .optionalText(deadline.description),
                      .optionalInt(deadline.reminder.map { Int64($0.leadDays) }), .optionalInt(deadline.reminder.map { Int64($0.everyDays) }),
                      .optionalText(deadline.reminder?.template), .optionalInt(deadline.reminder?.maxCount.map(Int64.init)),
                      .money(deadline.paid), .money(deadline.pending), .bool(deadline.isCancelled),
                      .int(Int64(deadline.reminders.count))).run()
        // The fold appends one reminder and puts the deadline at once: the last one may be new.
        if let last = deadline.reminders.last {
            try db.statement("INSERT OR IGNORE INTO reminders(deadline, slot, sent_at, manual) VALUES (?, ?, ?, ?)")
                .bind(.text(deadline.id), .day(last.slot), .int(last.sentAt.millisecondsSinceEpoch), .bool(last.manual)).run()
        }
    }

    func put(_ payment: PaymentState) throws {
        try db.statement("""
            INSERT INTO payments(id, client, amount, received, method, status, cleared_on, reference, allocations)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET client = excluded.client, amount = excluded.amount, received = excluded.received,
                method = excluded.method, status = excluded.status, cleared_on = excluded.cleared_on,
                reference = excluded.reference, allocations = excluded.allocations
            """).bind(.text(payment.id), .text(payment.client), .money(payment.amount), .day(payment.received),
                      .text(payment.method.rawValue), .text(payment.status.rawValue), .optionalDay(payment.clearedOn),
                      .optionalText(payment.reference), .int(Int64(payment.allocations.count))).run()
        if payment.allocations.isEmpty {
            try db.statement("DELETE FROM allocations WHERE payment = ?").bind(.text(payment.id)).run()
        } else {
            for (position, allocation) in payment.allocations.enumerated() {
                try db.statement("""
                    INSERT INTO allocations(payment, deadline, amount, position) VALUES (?, ?, ?, ?)
                    ON CONFLICT(payment, deadline) DO UPDATE SET amount = excluded.amount, position = excluded.position
                    """).bind(.text(payment.id), .text(allocation.deadline), .money(allocation.amount), .int(Int64(position))).run()
            }
        }
    }

    func put(_ template: TemplateState) throws {
        try db.statement("""
            INSERT INTO templates(template, locale, kind, subject, body) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(template, locale, kind) DO UPDATE SET subject = excluded.subject, body = excluded.body
            """).bind(.text(template.template), .text(template.locale.rawValue), .text(template.kind?.rawValue ?? ""),
                      .text(template.subject), .text(template.body)).run()
    }

    /// Reminders are rows written with their deadline (see `put(_: DeadlineState)`).
    func recordReminder(deadline: String, slot: Day) throws {}
}

/// The event store on SQLite.
final class SQLiteEventStore {
    let db: SQLiteDatabase
    let path: String

    /// Opens (creating when missing) the store; `synchronous` is FULL for durable commits.
    init(path: String, synchronous: String = "FULL") throws {
        self.path = path
        db = try SQLiteDatabase(path: path)
        try db.execute("""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = \(synchronous);
            PRAGMA cache_size = -131072;
            PRAGMA mmap_size = 2147483648;
            PRAGMA temp_store = MEMORY;
            """)
        try db.execute(SQLite.schema)
    }

    struct Rejected: Error, CustomStringConvertible {
        var index: Int
        var reason: String
        var description: String { "input \(index): \(reason)" }
    }

    /// Appends `inputs` in one transaction, all or nothing: the same checks as the engine (the
    /// engine's rules over SQL rows), the event rows, and the read models.
    func append(_ inputs: [EventInput], now: Timestamp) throws {
        try db.execute("BEGIN IMMEDIATE")
        do {
            var state = try SQLiteState(db: db)
            let last = try db.statement("SELECT coalesce(max(seq), 0), coalesce(max(recorded_at), 0) FROM events")
            _ = try last.step()
            var seq = last.int(0)
            let recordedAt = max(now.millisecondsSinceEpoch, last.int(1))
            last.reset()
            for (index, input) in inputs.enumerated() {
                do {
                    if try appendOne(input, seq: seq + 1, recordedAt: recordedAt, state: &state) { seq += 1 }
                } catch let error as EventRejection {
                    throw Rejected(index: index, reason: error.description)
                }
            }
            try state.saveSettings()
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    /// Answers false for a retry of a keyed event already in the log.
    private func appendOne(_ input: EventInput, seq: Int64, recordedAt: Int64, state: inout SQLiteState) throws -> Bool {
        var fingerprint: [UInt8]?
        if let key = input.key {
            let print = input.fingerprint.bytes
            fingerprint = print
            let s = try db.statement("SELECT seq, fingerprint FROM events WHERE key = ?").bind(.text(key))
            if try s.step() {
                let same = Array(s.bytes(1)) == print
                s.reset()
                if same { return false }
                throw EventRejection(type: input.type, field: "key", reason: "\"\(key)\" was already used by a different event", rule: "keyReused")
            }
        }
        guard let type = EventType(rawValue: input.type) else {
            throw EventRejection(type: nil, field: "type", reason: "unknown event type \"\(input.type)\"", rule: "unknownEventType")
        }
        let event = try DomainEvent.decode(type: type, data: input.data, currency: state.settings.currency)
        let decided = try Decision.decide(event, in: state)
        let data = CanonicalJSON.bytes(.object(decided.encode(currency: state.settings.currency)))
        let effective = Self.effectiveDay(of: decided, stated: input.effective, recordedAt: recordedAt, timeZone: state.settings.timeZone)
        let stream = type.stream(for: input.data)
        let versionQuery = try db.statement("SELECT coalesce(max(version), 0) FROM events WHERE stream = ?").bind(.text(stream))
        _ = try versionQuery.step()
        let version = versionQuery.int(0)
        versionQuery.reset()
        if let expected = input.expectedStreamVersion, Int64(expected) != version {
            throw EventRejection(type: input.type, field: nil, reason: "stream \(stream) is at version \(version)", rule: "versionConflict")
        }
        try db.statement("""
            INSERT INTO events(seq, stream, version, type, recorded_at, effective, key, fingerprint, meta, data)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).bind(.int(seq), .text(stream), .int(version + 1), .text(type.rawValue), .int(recordedAt), .day(effective),
                      .optionalText(input.key), fingerprint.map { .blob($0) } ?? .null,
                      .optionalText(input.meta.map { CanonicalJSON.string(.object($0)) }),
                      .text(String(decoding: data, as: UTF8.self))).run()
        try fold(decided, seq: seq, effective: effective, state: &state)
        return true
    }

    static func effectiveDay(of event: DomainEvent, stated: Day?, recordedAt: Int64, timeZone: TimeZoneRule) -> Day {
        switch event {
        case .invoiceIssued(let e): return e.issued
        case .invoiceCancelled(let e): return e.date
        case .paymentCleared(let e): return e.date
        case .paymentBounced(let e): return e.date
        case .paymentReceived(let e): return e.received
        case .reminderSent(let e): return Day.of(e.sentAt, in: timeZone)
        default: return stated ?? Day.of(Timestamp(millisecondsSinceEpoch: recordedAt), in: timeZone)
        }
    }

    /// The fold, then the client's exposure point and credit alert, as the engine keeps them.
    private func fold(_ event: DomainEvent, seq: Int64, effective: Day, state: inout SQLiteState) throws {
        let clientID = try Fold.client(of: event, in: state)
        let before = try clientID.flatMap { try state.client($0) }?.creditStatus()
        try Fold.apply(event, to: &state)
        guard let clientID, let client = try state.client(clientID) else { return }
        if !event.type.isMasterData {
            try db.statement("""
                INSERT INTO exposure_points(client, day, exposure, credit_limit) VALUES (?, ?, ?, ?)
                ON CONFLICT(client, day) DO UPDATE SET exposure = excluded.exposure, credit_limit = excluded.credit_limit
                """).bind(.text(clientID), .day(effective), .money(client.exposure), .optionalInt(client.limit?.minorUnits)).run()
        }
        let after = client.creditStatus()
        let from = before ?? CreditStatus.none
        if from != after {
            try db.statement("INSERT INTO alerts(client, seq, day, from_status, to_status) VALUES (?, ?, ?, ?, ?)")
                .bind(.text(clientID), .int(seq), .day(effective), .text(from.rawValue), .text(after.rawValue)).run()
        }
    }

    /// Recomputes every read model from the events table, in transactions of `batch` events.
    func rebuild(batch: Int = 50_000) throws -> Int {
        try db.execute("BEGIN IMMEDIATE")
        for table in SQLite.readModelTables { try db.execute("DELETE FROM \(table)") }
        try db.execute("COMMIT")
        var done: Int64 = 0
        var count = 0
        while true {
            var rows: [(seq: Int64, type: EventType, effective: Day, data: JSONObject)] = []
            rows.reserveCapacity(batch)
            let s = try db.statement("SELECT seq, type, effective, data FROM events WHERE seq > ? ORDER BY seq LIMIT ?")
                .bind(.int(done), .int(Int64(batch)))
            while try s.step() {
                guard let type = EventType(rawValue: s.string(1)), let effective = s.day(2) else {
                    throw SQLiteError(description: "seq \(s.int(0)): unknown type or date")
                }
                let text = s.bytes(3)
                guard case .object(let data) = try JSONParser.parse(text) else { throw SQLiteError(description: "seq \(s.int(0)): data") }
                rows.append((s.int(0), type, effective, data))
            }
            s.reset()
            if rows.isEmpty { break }
            try db.execute("BEGIN IMMEDIATE")
            var state = try SQLiteState(db: db)
            for row in rows {
                let event = try DomainEvent.decode(type: row.type, data: row.data, currency: state.settings.currency)
                try fold(event, seq: row.seq, effective: row.effective, state: &state)
            }
            try state.saveSettings()
            try db.execute("COMMIT")
            done = rows[rows.count - 1].seq
            count += rows.count
        }
        return count
    }

    // MARK: Queries

    struct ClientHistory {
        var client: ClientState
        var deadlines: [(DeadlineState, DeadlineStatus)]
        var payments: [PaymentState]
        var alerts: [(seq: Int64, day: Day, from: String, to: String)]
        var creditStatus: CreditStatus
    }

    func clientHistory(_ id: String, asOf: Day) throws -> ClientHistory {
        let state = try SQLiteState(db: db)
        guard let client = try state.client(id) else { throw SQLiteError(description: "no client \(id)") }
        var reminders: [String: [SentReminder]] = [:]
        let r = try db.statement("""
            SELECT r.deadline, r.slot, r.sent_at, r.manual FROM reminders r JOIN deadlines d ON d.id = r.deadline
            WHERE d.client = ? ORDER BY r.deadline, r.sent_at, r.slot
            """).bind(.text(id))
        while try r.step() {
            reminders[r.string(0), default: []].append(SentReminder(sentAt: Timestamp(millisecondsSinceEpoch: r.int(2)), slot: r.day(1)!, manual: r.int(3) != 0))
        }
        var deadlines: [(DeadlineState, DeadlineStatus)] = []
        let d = try db.statement("SELECT \(SQLiteState.deadlineColumns) FROM deadlines WHERE client = ? ORDER BY due, id").bind(.text(id))
        while try d.step() {
            var (deadline, _) = SQLiteState.deadline(from: d)
            deadline.reminders = reminders[deadline.id] ?? []
            deadlines.append((deadline, deadline.status(asOf: asOf)))
        }
        var allocations: [String: [Allocation]] = [:]
        let a = try db.statement("""
            SELECT a.payment, a.deadline, a.amount FROM allocations a JOIN payments p ON p.id = a.payment
            WHERE p.client = ? ORDER BY a.payment, a.position
            """).bind(.text(id))
        while try a.step() { allocations[a.string(0), default: []].append(Allocation(deadline: a.string(1), amount: Money(minorUnits: a.int(2)))) }
        var payments: [PaymentState] = []
        let p = try db.statement("""
            SELECT id, amount, received, method, status, cleared_on, reference FROM payments WHERE client = ? ORDER BY received, id
            """).bind(.text(id))
        while try p.step() {
            var payment = PaymentState(id: p.string(0), client: id, amount: Money(minorUnits: p.int(1)), received: p.day(2)!,
                                       method: PaymentMethod(rawValue: p.string(3)) ?? .other,
                                       status: PaymentCondition(rawValue: p.string(4)) ?? .cleared)
            payment.clearedOn = p.day(5)
            payment.reference = p.text(6)
            payment.allocations = allocations[payment.id] ?? []
            payments.append(payment)
        }
        var alerts: [(Int64, Day, String, String)] = []
        let l = try db.statement("SELECT seq, day, from_status, to_status FROM alerts WHERE client = ? AND day <= ? ORDER BY seq")
            .bind(.text(id), .day(asOf))
        while try l.step() { alerts.append((l.int(0), l.day(1)!, l.string(2), l.string(3))) }
        return ClientHistory(client: client, deadlines: deadlines, payments: payments, alerts: alerts, creditStatus: client.creditStatus())
    }

    func creditCheck(_ id: String, amount: Money) throws -> (exposure: Money, status: CreditStatus) {
        let s = try db.statement("SELECT name, credit_limit, warn_at, exposure FROM clients WHERE id = ?").bind(.text(id))
        guard try s.step() else { throw SQLiteError(description: "no client \(id)") }
        var client = ClientState(id: id, name: s.string(0))
        client.limit = s.optionalInt(1).map { Money(minorUnits: $0) }
        client.warnAt = Int(s.int(2))
        client.exposure = Money(minorUnits: s.int(3))
        s.reset()
        return (client.exposure + amount, client.creditStatus(adding: amount))
    }

    struct CalendarRow {
        var deadline: DeadlineState
        var clientName: String
        var status: DeadlineStatus
    }

    func calendar(from: Day, to: Day, asOf: Day) throws -> [CalendarRow] {
        var reminders: [String: [SentReminder]] = [:]
        let r = try db.statement("""
            SELECT r.deadline, r.slot, r.sent_at, r.manual FROM deadlines d JOIN reminders r ON r.deadline = d.id
            WHERE d.cancelled = 0 AND d.due BETWEEN ? AND ? ORDER BY r.deadline, r.sent_at, r.slot
            """).bind(.day(from), .day(to))
        while try r.step() {
            reminders[r.string(0), default: []].append(SentReminder(sentAt: Timestamp(millisecondsSinceEpoch: r.int(2)), slot: r.day(1)!, manual: r.int(3) != 0))
        }
        var rows: [CalendarRow] = []
        let columns = SQLiteState.deadlineColumns.split(separator: ",").map { "d." + $0.trimmingSpaces() }.joined(separator: ", ")
        let s = try db.statement("""
            SELECT \(columns), c.name FROM deadlines d JOIN clients c ON c.id = d.client
            WHERE d.cancelled = 0 AND d.due BETWEEN ? AND ? ORDER BY d.due, d.id
            """).bind(.day(from), .day(to))
        while try s.step() {
            var (deadline, _) = SQLiteState.deadline(from: s)
            deadline.reminders = reminders[deadline.id] ?? []
            rows.append(CalendarRow(deadline: deadline, clientName: s.string(15), status: deadline.status(asOf: asOf)))
        }
        return rows
    }

    struct AgingRowSQL {
        var deadline: String
        var client: String
        var invoice: String?
        var due: Day
        var daysOverdue: Int
        var bucket: String
        var amount: Int64
        var paid: Int64
        var pending: Int64
        var reminders: Int64
        var outstanding: Int64 { amount - paid - pending }
    }

    struct AgingSQL {
        var rows: [AgingRowSQL]
        var totals: [String: Int64]
        var clients: [(client: String, name: String, totals: [String: Int64])]
    }

    /// Today's aging: the open-deadline partial index, buckets and totals in the application.
    func agingToday(asOf: Day) throws -> AgingSQL {
        let s = try db.statement("""
            SELECT id, client, invoice, due, amount, paid, pending, reminders FROM deadlines
            WHERE cancelled = 0 AND amount > paid + pending ORDER BY due, id
            """)
        return try agingAnswer(s, asOf: asOf)
    }

    /// The aging as of a past date as known at a past time, with SQL over the events recorded by then.
    func agingPast(asOf: Day, knownAt: Timestamp) throws -> AgingSQL {
        let known = try db.statement("SELECT coalesce(max(seq), 0) FROM events WHERE recorded_at <= ?").bind(.int(knownAt.millisecondsSinceEpoch))
        _ = try known.step()
        let knownSeq = known.int(0)
        known.reset()
        let s = try db.statement("""
            WITH ev AS MATERIALIZED (
                SELECT seq, type, data FROM events
                WHERE seq <= ?1 AND effective <= ?2 AND type IN ('DeadlineSet', 'DeadlineAmended', 'DeadlinePostponed',
                    'DeadlineCancelled', 'InvoiceCancelled', 'PaymentReceived', 'PaymentAllocated', 'PaymentCleared',
                    'PaymentBounced', 'ReminderSent')),
            pstat AS MATERIALIZED (
                SELECT json_extract(data, '$.payment') AS id,
                       max(type = 'PaymentBounced') AS bounced, max(type = 'PaymentCleared') AS cleared,
                       max(CASE WHEN type = 'PaymentReceived' THEN coalesce(json_extract(data, '$.status'),
                           CASE WHEN json_extract(data, '$.method') IN ('cheque', 'riba') THEN 'pending' ELSE 'cleared' END) END) AS status
                FROM ev WHERE type IN ('PaymentReceived', 'PaymentCleared', 'PaymentBounced') GROUP BY 1),
            alloc AS MATERIALIZED (
                SELECT json_extract(a.value, '$.deadline') AS deadline,
                       sum(CASE WHEN p.status = 'pending' AND p.cleared = 0 THEN 0 ELSE CAST(round(CAST(json_extract(a.value, '$.amount') AS REAL) * 100) AS INTEGER) END) AS paid,
                       sum(CASE WHEN p.status = 'pending' AND p.cleared = 0 THEN CAST(round(CAST(json_extract(a.value, '$.amount') AS REAL) * 100) AS INTEGER) ELSE 0 END) AS pending
                FROM ev JOIN pstat AS p ON p.id = json_extract(ev.data, '$.payment'), json_each(ev.data, '$.allocations') AS a
                WHERE ev.type IN ('PaymentReceived', 'PaymentAllocated') AND p.bounced = 0 AND p.status IS NOT NULL
                GROUP BY 1),
            dl AS MATERIALIZED (
                SELECT json_extract(data, '$.deadline') AS id,
                       max(type = 'DeadlineCancelled') AS cancelled,
                       sum(type = 'ReminderSent') AS reminders,
                       max(CASE WHEN type = 'DeadlinePostponed' THEN seq END) AS postponedSeq,
                       max(CASE WHEN type = 'DeadlineAmended' AND json_extract(data, '$.amount') IS NOT NULL THEN seq END) AS amendedSeq
                FROM ev WHERE type IN ('DeadlineCancelled', 'ReminderSent', 'DeadlinePostponed', 'DeadlineAmended') GROUP BY 1),
            ican AS MATERIALIZED (SELECT DISTINCT json_extract(data, '$.invoice') AS id FROM ev WHERE type = 'InvoiceCancelled'),
            rows AS (
                SELECT json_extract(d.data, '$.deadline') AS id, json_extract(d.data, '$.client') AS client, json_extract(d.data, '$.invoice') AS invoice,
                       coalesce((SELECT json_extract(data, '$.due') FROM events WHERE seq = dl.postponedSeq), json_extract(d.data, '$.due')) AS due,
                       coalesce((SELECT CAST(round(CAST(json_extract(data, '$.amount') AS REAL) * 100) AS INTEGER) FROM events WHERE seq = dl.amendedSeq),
                                CAST(round(CAST(json_extract(d.data, '$.amount') AS REAL) * 100) AS INTEGER)) AS amount,
                       coalesce(alloc.paid, 0) AS paid, coalesce(alloc.pending, 0) AS pending, coalesce(dl.reminders, 0) AS reminders
                FROM ev AS d LEFT JOIN dl ON dl.id = json_extract(d.data, '$.deadline')
                LEFT JOIN alloc ON alloc.deadline = json_extract(d.data, '$.deadline')
                WHERE d.type = 'DeadlineSet' AND coalesce(dl.cancelled, 0) = 0
                  AND (json_extract(d.data, '$.invoice') IS NULL OR json_extract(d.data, '$.invoice') NOT IN (SELECT id FROM ican)))
            SELECT id, client, invoice, due, amount, paid, pending, reminders FROM rows WHERE amount > paid + pending ORDER BY due, id
            """).bind(.int(knownSeq), .day(asOf))
        return try agingAnswer(s, asOf: asOf)
    }

    private func agingAnswer(_ s: Statement, asOf: Day) throws -> AgingSQL {
        let buckets = AgingBuckets.standard
        var rows: [AgingRowSQL] = []
        var totals: [String: Int64] = [:]
        var perClient: [String: [String: Int64]] = [:]
        while try s.step() {
            let due = s.day(3)!
            let overdue = max(0, due.days(to: asOf))
            let bucket = buckets.name(daysOverdue: overdue)
            let row = AgingRowSQL(deadline: s.string(0), client: s.string(1), invoice: s.text(2), due: due, daysOverdue: overdue,
                                  bucket: bucket, amount: s.int(4), paid: s.int(5), pending: s.int(6), reminders: s.int(7))
            totals[bucket, default: 0] += row.outstanding
            perClient[row.client, default: [:]][bucket, default: 0] += row.outstanding
            rows.append(row)
        }
        s.reset()
        var clients: [(String, String, [String: Int64])] = []
        let name = try db.statement("SELECT name FROM clients WHERE id = ?")
        for id in perClient.keys.sorted() {
            name.reset()
            name.bind(1, .text(id))
            let text = try name.step() ? name.string(0) : id
            clients.append((id, text, perClient[id]!))
        }
        name.reset()
        return AgingSQL(rows: rows, totals: totals, clients: clients)
    }

    /// A client's exposure at each day of a range, from its stored change points.
    func exposure(client: String, from: Day, to: Day) throws -> [(Day, Int64, Int64?)] {
        let s = try db.statement("SELECT day, exposure, credit_limit FROM exposure_points WHERE client = ? AND day <= ? ORDER BY day")
            .bind(.text(client), .day(to))
        var series: [(Day, Int64, Int64?)] = []
        while try s.step() { series.append((s.day(0)!, s.int(1), s.optionalInt(2))) }
        s.reset()
        var points: [(Day, Int64, Int64?)] = []
        var index = 0
        var current: (Day, Int64, Int64?)?
        var day = from
        while day <= to {
            while index < series.count && series[index].0 <= day { current = series[index]; index += 1 }
            points.append((day, current?.1 ?? 0, current?.2))
            day = day.adding(days: 1)
        }
        return points
    }
}
