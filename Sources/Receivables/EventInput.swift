import EventLog

/// One event as an application or an input file proposes it: the JSON Lines form of
/// CONTRACT 3, checked for shape but not yet against the store's state.
public struct EventInput: Sendable {
    public var type: String
    public var data: JSONObject
    /// The idempotency key.
    public var key: String?
    /// The business date the appender states, for the types that have no date of their own.
    public var effective: Day?
    public var meta: JSONObject?
    /// For the library: the version the event's stream must be at (0: new stream).
    public var expectedStreamVersion: UInt64?

    public init(type: String, data: JSONObject, key: String? = nil, effective: Day? = nil,
                meta: JSONObject? = nil, expectedStreamVersion: UInt64? = nil) {
        self.type = type
        self.data = data
        self.key = key
        self.effective = effective
        self.meta = meta
        self.expectedStreamVersion = expectedStreamVersion
    }

    /// The members an input line may have.
    public static let members = ["type", "data", "key", "effective", "meta"]
    /// Bounds that keep one event from swamping the log.
    public static let maximumDataBytes = 64 * 1024
    public static let maximumKeyBytes = 128

    /// Parses one JSON Lines input line.
    public static func parse(line: UnsafeRawBufferPointer) throws(EventRejection) -> EventInput {
        let value: JSONValue
        do {
            value = try JSONParser.parse(line)
        } catch {
            throw EventRejection(type: nil, field: nil, reason: "not valid JSON: \(error)", rule: "malformedJSON")
        }
        guard case .object(let object) = value else {
            throw EventRejection(type: nil, field: nil, reason: "an event line must be a JSON object, not \(value.typeName)", rule: "lineNotAnObject")
        }
        return try parse(object: object)
    }

    public static func parse(object: JSONObject) throws(EventRejection) -> EventInput {
        for member in object.keys where !members.contains(member) {
            throw EventRejection(type: nil, field: member,
                                 reason: "unknown member; an event line has \(members.joined(separator: ", "))",
                                 rule: "unknownMember")
        }
        guard let typeValue = object["type"] else {
            throw EventRejection(type: nil, field: "type", reason: "missing; say which event this is, e.g. \"InvoiceIssued\"", rule: "missingType")
        }
        guard let type = typeValue.stringValue else {
            throw EventRejection(type: nil, field: "type", reason: "must be a string, not \(typeValue.typeName)", rule: "wrongType")
        }
        guard EventType(rawValue: type) != nil else {
            var reason = "unknown event type \"\(type)\""
            if let suggestion = Suggestion.closest(to: type, among: EventType.allCases.map(\.rawValue)) {
                reason += "; did you mean \"\(suggestion)\"?"
            }
            throw EventRejection(type: nil, field: "type", reason: reason, rule: "unknownEventType")
        }
        guard let dataValue = object["data"] else {
            throw EventRejection(type: type, field: "data", reason: "missing; every event has a data object", rule: "missingData")
        }
        guard case .object(let data) = dataValue else {
            throw EventRejection(type: type, field: "data", reason: "must be an object, not \(dataValue.typeName)", rule: "wrongType")
        }
        let dataSize = CanonicalJSON.bytes(dataValue).count
        if dataSize > maximumDataBytes {
            throw EventRejection(type: type, field: "data", reason: "is \(dataSize) bytes; at most \(maximumDataBytes) are allowed", rule: "dataTooLarge")
        }
        var key: String?
        if let keyValue = object["key"] {
            guard let text = keyValue.stringValue else {
                throw EventRejection(type: type, field: "key", reason: "must be a string, not \(keyValue.typeName)", rule: "wrongType")
            }
            let size = text.utf8.count
            if size == 0 || size > maximumKeyBytes {
                throw EventRejection(type: type, field: "key", reason: "must be 1 to \(maximumKeyBytes) bytes, not \(size)", rule: "keyLength")
            }
            if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                throw EventRejection(type: type, field: "key", reason: "must not contain control characters", rule: "keyShape")
            }
            key = text
        }
        var effective: Day?
        if let effectiveValue = object["effective"] {
            guard let text = effectiveValue.stringValue, let day = Day(iso: text) else {
                throw EventRejection(type: type, field: "effective", reason: "must be a date written YYYY-MM-DD", rule: "invalidDate")
            }
            if let field = EventType(rawValue: type)?.ownDateField {
                throw EventRejection(type: type, field: "effective",
                                     reason: "not allowed: this event's business date is its \(field)", rule: "effectiveNotAllowed")
            }
            effective = day
        }
        var meta: JSONObject?
        if let metaValue = object["meta"] {
            guard case .object(let metaObject) = metaValue else {
                throw EventRejection(type: type, field: "meta", reason: "must be an object of strings, not \(metaValue.typeName)", rule: "wrongType")
            }
            for (name, value) in metaObject.members where value.stringValue == nil {
                throw EventRejection(type: type, field: "meta.\(name)", reason: "must be a string, not \(value.typeName)", rule: "wrongType")
            }
            meta = metaObject
        }
        return EventInput(type: type, data: data, key: key, effective: effective, meta: meta)
    }

    /// A digest of the event as sent, kept with its key: a retry with the same content is
    /// recognised, a different event under the same key is refused.
    public var fingerprint: Digest {
        var object = JSONObject()
        object["type"] = .string(type)
        object["data"] = .object(data)
        if let effective { object["effective"] = .string(effective.description) }
        if let meta { object["meta"] = .object(meta) }
        return Digest.sha256(CanonicalJSON.bytes(.object(object)))
    }
}

/// Why an event was refused: the event, the field and the rule it broke.
public struct EventRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public var type: String?
    public var field: String?
    public var reason: String
    /// The rule's name, stable for scripts and tests, e.g. `allocationExceedsOutstanding`.
    public var rule: String

    public init(type: String?, field: String?, reason: String, rule: String) {
        self.type = type
        self.field = field
        self.reason = reason
        self.rule = rule
    }

    /// `<Type>: <field>: <what is wrong> (rule: <name>)`, leaving out what is unknown. Names and
    /// values quoted from the input are kept to one safe line.
    public var description: String {
        var parts: [String] = []
        if let type { parts.append(TextEscaping.oneLine(type, limit: 200)) }
        if let field { parts.append(TextEscaping.oneLine(field, limit: 200)) }
        parts.append("\(TextEscaping.oneLine(reason)) (rule: \(rule))")
        return parts.joined(separator: ": ")
    }
}

/// Picks the nearest known word to a misspelt one, for "did you mean" hints.
public enum Suggestion {
    public static func closest(to word: String, among candidates: [String]) -> String? {
        // Nothing longer than any known word is a misspelling of it; and an edit distance over a
        // megabyte of junk would take seconds.
        guard word.count <= 64 else { return nil }
        let lowered = word.lowercased()
        var best: (String, Int)?
        for candidate in candidates {
            // A long enough prefix ("ag" is not, "agi" is) counts as a near miss too.
            let isPrefix = word.count >= 3 && candidate.lowercased().hasPrefix(lowered)
            let distance = isPrefix ? 0 : editDistance(lowered, candidate.lowercased())
            if distance <= max(2, candidate.count / 3), best == nil || distance < best!.1 {
                best = (candidate, distance)
            }
        }
        return best?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
