import EventLog

/// The work of one append transaction: each input is checked against the state as it stands
/// after the inputs before it, appended, and folded into the state, all in the same LMDB write
/// transaction.
struct DomainSession {
    let store: ReceivablesStore
    let writer: LogWriter
    var settings: StoredSettings
    var settingsChanged = false

    init(store: ReceivablesStore, writer: LogWriter) throws {
        self.store = store
        self.writer = writer
        self.settings = try StoredSettings.load(from: writer.transaction, database: store.state)
    }

    struct Appended {
        var seq: UInt64
        var isNew: Bool
    }

    mutating func append(_ input: EventInput) throws -> Appended {
        let fingerprint = input.fingerprint
        if let key = input.key, let earlier = try writer.existing(key: key) {
            guard earlier.fingerprint == fingerprint else {
                throw EventRejection(type: input.type, field: "key",
                                     reason: "\"\(key)\" was already used by a different event (seq \(earlier.seq)); use a new key",
                                     rule: "keyReused")
            }
            return Appended(seq: earlier.seq, isNew: false)
        }
        guard let type = EventType(rawValue: input.type) else {
            throw EventRejection(type: nil, field: "type", reason: "unknown event type \"\(input.type)\"", rule: "unknownEventType")
        }
        let effective = try effectiveDay(of: type, data: input.data, stated: input.effective)
        let draft = RecordDraft(
            stream: type.stream(for: input.data), type: type.rawValue, schemaVersion: EventType.schemaVersion,
            effective: effective.description, key: input.key, keyFingerprint: input.key == nil ? nil : fingerprint,
            metaCanonical: input.meta.map { CanonicalJSON.bytes(.object($0)) },
            dataCanonical: CanonicalJSON.bytes(.object(input.data)),
            expectedStreamVersion: input.expectedStreamVersion)
        let record = try writer.append(draft)
        try fold(type: type, data: input.data)
        return Appended(seq: record.seq, isNew: true)
    }

    /// Takes in a record restored from an export, whose effective date is as recorded.
    mutating func restore(_ record: Record, fingerprint: Digest) throws {
        guard let type = EventType(rawValue: record.type) else {
            throw EventRejection(type: record.type, field: "type", reason: "unknown event type", rule: "unknownEventType")
        }
        var record = record
        let data = try record.data()
        record.stream = type.stream(for: data)
        try writer.appendRestored(record, fingerprint: fingerprint)
        try fold(type: type, data: data)
    }

    /// The business date of an event (CONTRACT 3.3).
    func effectiveDay(of type: EventType, data: JSONObject, stated: Day?) throws -> Day {
        switch type.ownDateField {
        case "sentAt":
            guard let text = data["sentAt"]?.stringValue, let instant = Timestamp(rfc3339: text) else {
                throw EventRejection(type: type.rawValue, field: "sentAt", reason: "must be a time like 2026-01-15T09:00:00.000Z", rule: "invalidTimestamp")
            }
            return Day.of(instant, in: settings.timeZone)
        case let field?:
            guard let text = data[field]?.stringValue, let day = Day(iso: text) else {
                throw EventRejection(type: type.rawValue, field: field, reason: "must be a date written YYYY-MM-DD", rule: "invalidDate")
            }
            return day
        case nil:
            return stated ?? Day.of(writer.recordedAt, in: settings.timeZone)
        }
    }

    /// Folds an accepted event into the stored state.
    mutating func fold(type: EventType, data: JSONObject) throws {
        if type == .settingsChanged, let zone = data["timezone"]?.stringValue, let rule = TimeZoneRule(identifier: zone) {
            settings.timeZone = rule
            settingsChanged = true
        }
    }

    func finish() throws {
        if settingsChanged { try settings.save(to: writer.transaction, database: store.state) }
    }
}

/// The store-wide settings the rules need.
struct StoredSettings {
    var timeZone: TimeZoneRule = .rome

    static let key = Array("settings".utf8)

    static func load(from transaction: Transaction, database: Database) throws -> StoredSettings {
        var settings = StoredSettings()
        if let bytes = try transaction.get(database, key),
           case .object(let object) = try JSONParser.parse(bytes),
           let zone = object["timezone"]?.stringValue, let rule = TimeZoneRule(identifier: zone) {
            settings.timeZone = rule
        }
        return settings
    }

    func save(to transaction: Transaction, database: Database) throws {
        let object: JSONObject = ["timezone": .string(timeZone.identifier)]
        try transaction.put(database, Self.key, CanonicalJSON.bytes(.object(object)))
    }
}
