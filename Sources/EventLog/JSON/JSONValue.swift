/// A JSON value as the event log stores and hashes it.
///
/// Equality and hashing compare strings (values and member names) by their exact
/// Unicode scalars, not by Swift's canonical equivalence: two values are equal
/// exactly when their canonical (RFC 8785) bytes are equal, which is what a hash
/// chain needs. `"\u{E9}"` and `"e\u{301}"` are therefore different values here.
public enum JSONValue: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null):
            return true
        case let (.bool(left), .bool(right)):
            return left == right
        case let (.number(left), .number(right)):
            // 0 and -0 are equal, as their canonical forms are both "0".
            return left == right
        case let (.string(left), .string(right)):
            return exactlyEqual(left, right)
        case let (.array(left), .array(right)):
            return left == right
        case let (.object(left), .object(right)):
            return left == right
        default:
            return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null:
            hasher.combine(0 as UInt8)
        case .bool(let value):
            hasher.combine(1 as UInt8)
            hasher.combine(value)
        case .number(let value):
            hasher.combine(2 as UInt8)
            // Double's own hash already treats 0 and -0 alike.
            hasher.combine(value)
        case .string(let value):
            hasher.combine(3 as UInt8)
            combineExactly(value, into: &hasher)
        case .array(let elements):
            hasher.combine(4 as UInt8)
            hasher.combine(elements.count)
            for element in elements {
                element.hash(into: &hasher)
            }
        case .object(let object):
            hasher.combine(5 as UInt8)
            object.hash(into: &hasher)
        }
    }
}

/// An object that keeps its members in input order (for output), with lookup by key.
///
/// Member names are unique. Small objects are searched linearly; larger ones keep a
/// hash index so that building or querying a big object never turns quadratic.
public struct JSONObject: Sendable, Equatable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: JSONValue)
    public typealias Iterator = IndexingIterator<[(key: String, value: JSONValue)]>

    /// Above this many members a hash index pays for itself.
    static let indexThreshold = 12

    private var storage: [(key: String, value: JSONValue)]
    private var index: [ExactKey: Int]?

    public init() {
        storage = []
        index = nil
    }

    /// Builds an object from members in order. A repeated name replaces the earlier
    /// value in its original position, as assigning through the subscript would.
    public init(_ members: [(String, JSONValue)]) {
        self.init()
        storage.reserveCapacity(members.count)
        for (key, value) in members {
            self[key] = value
        }
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }

    public var members: [(key: String, value: JSONValue)] { storage }

    public var count: Int { storage.count }

    public var keys: [String] { storage.map { $0.key } }

    public func makeIterator() -> Iterator {
        storage.makeIterator()
    }

    /// Reading gives the member's value; writing appends a new member, replaces an
    /// existing one in place, or removes it when the new value is nil.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let position = position(of: key) else { return nil }
            return storage[position].value
        }
        set {
            if let position = position(of: key) {
                if let newValue {
                    storage[position].value = newValue
                } else {
                    storage.remove(at: position)
                    rebuildIndex()
                }
            } else if let newValue {
                appendUnchecked(key: key, value: newValue)
            }
        }
    }

    /// Adds a member unless one with that name exists; returns false on a duplicate.
    /// The parser uses this so that duplicate detection shares the lookup index.
    mutating func insertNew(key: String, value: JSONValue) -> Bool {
        if position(of: key) != nil { return false }
        appendUnchecked(key: key, value: value)
        return true
    }

    private mutating func appendUnchecked(key: String, value: JSONValue) {
        storage.append((key: key, value: value))
        if index != nil {
            index?[ExactKey(key)] = storage.count - 1
        } else if storage.count > JSONObject.indexThreshold {
            rebuildIndex()
        }
    }

    private mutating func rebuildIndex() {
        guard storage.count > JSONObject.indexThreshold else {
            index = nil
            return
        }
        var rebuilt = [ExactKey: Int](minimumCapacity: storage.count)
        for (position, member) in storage.enumerated() {
            rebuilt[ExactKey(member.key)] = position
        }
        index = rebuilt
    }

    private func position(of key: String) -> Int? {
        if let index {
            return index[ExactKey(key)]
        }
        for position in storage.indices where exactlyEqual(storage[position].key, key) {
            return position
        }
        return nil
    }

    /// Same names with equal values; member order does not matter.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for member in lhs.storage {
            guard let other = rhs[member.key], other == member.value else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order must not matter, so each member is hashed alone and the results are
        // combined with a commutative sum.
        var sum = 0
        for member in storage {
            var memberHasher = Hasher()
            combineExactly(member.key, into: &memberHasher)
            member.value.hash(into: &memberHasher)
            sum = sum &+ memberHasher.finalize()
        }
        hasher.combine(storage.count)
        hasher.combine(sum)
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) {
        self = .string(value)
    }

    public init(integerLiteral value: Int) {
        self = .number(Double(value))
    }

    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }

    public init(arrayLiteral elements: JSONValue...) {
        self = .array(elements)
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements))
    }

    public init(nilLiteral: ()) {
        self = .null
    }
}

extension JSONValue {
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The value as an exact integer when it is a number with no fraction within Int64's safe range (|x| <= 2^53), else nil.
    public var integerValue: Int64? {
        guard case .number(let value) = self else { return nil }
        // Beyond 2^53 neighbouring integers collapse onto one Double, so the
        // integer the writer meant can no longer be known.
        guard value.rounded(.towardZero) == value, value.magnitude <= 9_007_199_254_740_992 else { return nil }
        return Int64(value)
    }

    /// The JSON type name, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

// MARK: - Exact string comparison

/// A dictionary key that compares member names by their exact UTF-8 bytes.
private struct ExactKey: Hashable, Sendable {
    let text: String

    init(_ text: String) {
        self.text = text
    }

    static func == (lhs: ExactKey, rhs: ExactKey) -> Bool {
        exactlyEqual(lhs.text, rhs.text)
    }

    func hash(into hasher: inout Hasher) {
        combineExactly(text, into: &hasher)
    }
}

/// True when both strings hold the same Unicode scalars (Swift's `==` would also
/// equate canonically equivalent strings, which have different canonical bytes).
@inline(__always)
private func exactlyEqual(_ left: String, _ right: String) -> Bool {
    let leftBytes = left.utf8
    let rightBytes = right.utf8
    guard leftBytes.count == rightBytes.count else { return false }
    return leftBytes.elementsEqual(rightBytes)
}

/// Feeds a string's UTF-8 bytes to a hasher, in agreement with `exactlyEqual`.
private func combineExactly(_ text: String, into hasher: inout Hasher) {
    var text = text
    text.withUTF8 { bytes in
        hasher.combine(bytes.count)
        hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
    }
}
