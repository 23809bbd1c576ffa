import EventLog

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
    private var deadlines: [String: DeadlineState] = [:]
    private var payments: [String: PaymentState] = [:]
    private var templates: [String: TemplateState] = [:]
    private var reminders: Set<String> = []
    private var dirty: Set<String> = []

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
    }

    static func key(_ prefix: Prefix, _ parts: String...) -> [UInt8] {
        var key: [UInt8] = [prefix.rawValue]
        for part in parts {
            key.append(0)
            key.append(contentsOf: part.utf8)
        }
        return key
    }

    init(transaction: Transaction, database: Database) throws {
        self.transaction = transaction
        self.database = database
        if let bytes = try transaction.get(database, Self.key(.settings)) {
            settings = try bytes.withUnsafeBytes { try SettingsState.decoded($0) }
        } else {
            settings = SettingsState()
        }
        originalSettings = settings
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
        if let cached = clients[id] { return cached }
        return try load(Self.key(.client, id))
    }
    func invoice(_ id: String) throws -> InvoiceState? {
        if let cached = invoices[id] { return cached }
        return try load(Self.key(.invoice, id))
    }
    func deadline(_ id: String) throws -> DeadlineState? {
        if let cached = deadlines[id] { return cached }
        return try load(Self.key(.deadline, id))
    }
    func payment(_ id: String) throws -> PaymentState? {
        if let cached = payments[id] { return cached }
        return try load(Self.key(.payment, id))
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
    func hasBlob(sha256: String, size: Int64) throws -> Bool {
        try exists(Self.key(.blob, sha256, String(size)))
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

    /// Puts everything changed since the state was opened.
    func flush() throws {
        if settings != originalSettings { try transaction.put(database, Self.key(.settings), settings.encoded()) }
        for key in dirty {
            let kind = key.first!
            let id = String(key.dropFirst())
            switch kind {
            case "c": try transaction.put(database, Self.key(.client, id), clients[id]!.encoded())
            case "i": try transaction.put(database, Self.key(.invoice, id), invoices[id]!.encoded())
            case "d": try transaction.put(database, Self.key(.deadline, id), deadlines[id]!.encoded())
            default: try transaction.put(database, Self.key(.payment, id), payments[id]!.encoded())
            }
        }
        for (key, template) in templates {
            try transaction.put(database, Array(key.utf8), template.encoded())
            try transaction.put(database, Self.key(.templateName, template.template), [])
        }
        for key in reminders { try transaction.put(database, Array(key.utf8), []) }
    }
}
