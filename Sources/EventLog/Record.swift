/// One event as the log holds it: its position, its stream, its business date and its payload,
/// chained to the record before it by `prev` and sealed by `hash`.
public struct Record: Sendable, Equatable {
    /// Global position in the log, 1-based, gapless.
    public var seq: UInt64
    /// The stream (aggregate) the event belongs to, and its version within that stream (1-based).
    public var stream: String
    public var streamVersion: UInt64
    public var type: String
    public var schemaVersion: UInt16
    /// When the store recorded it; never decreases along the log.
    public var recordedAt: Timestamp
    /// The business date, "YYYY-MM-DD".
    public var effective: String
    /// The idempotency key, when the appender gave one.
    public var key: String?
    /// The canonical (RFC 8785) JSON of the meta object, when there is one.
    public var metaCanonical: [UInt8]?
    /// The canonical (RFC 8785) JSON of the data object: exactly the bytes that were hashed.
    public var dataCanonical: [UInt8]
    public var prev: Digest
    public var hash: Digest

    public init(seq: UInt64, stream: String, streamVersion: UInt64, type: String, schemaVersion: UInt16,
                recordedAt: Timestamp, effective: String, key: String?, metaCanonical: [UInt8]?,
                dataCanonical: [UInt8], prev: Digest, hash: Digest) {
        self.seq = seq
        self.stream = stream
        self.streamVersion = streamVersion
        self.type = type
        self.schemaVersion = schemaVersion
        self.recordedAt = recordedAt
        self.effective = effective
        self.key = key
        self.metaCanonical = metaCanonical
        self.dataCanonical = dataCanonical
        self.prev = prev
        self.hash = hash
    }

    /// The data object, parsed from its canonical bytes.
    public func data() throws(JSONParseError) -> JSONObject {
        let value = try JSONParser.parse(dataCanonical)
        return value.objectValue ?? JSONObject()
    }

    /// The meta object, parsed.
    public func meta() throws(JSONParseError) -> JSONObject? {
        guard let metaCanonical else { return nil }
        return try JSONParser.parse(metaCanonical).objectValue
    }

    /// The RFC 8785 canonical JSON of the envelope without its `hash` member: the bytes the
    /// hash seals. Members in code-unit order: data, effective, key, meta, prev, recordedAt,
    /// seq, type.
    public func canonicalEnvelopeWithoutHash() -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(dataCanonical.count + 256)
        output.append(contentsOf: #"{"data":"#.utf8)
        output.append(contentsOf: dataCanonical)
        appendEffectiveKeyMetaAndPrev(to: &output)
        output.append(contentsOf: #"","recordedAt":""#.utf8)
        output.append(contentsOf: recordedAt.description.utf8)
        output.append(contentsOf: #"","seq":"#.utf8)
        output.append(contentsOf: String(seq).utf8)
        output.append(contentsOf: #","type":"#.utf8)
        JSONWriter.writeString(type, into: &output)
        output.append(UInt8(ascii: "}"))
        return output
    }

    /// `,"effective":…[,"key":…][,"meta":…],"prev":"…` — the middle of both envelope forms,
    /// whose members happen to stand in the same order in each.
    private func appendEffectiveKeyMetaAndPrev(to output: inout [UInt8]) {
        output.append(contentsOf: #","effective":"#.utf8)
        JSONWriter.writeString(effective, into: &output)
        if let key {
            output.append(contentsOf: #","key":"#.utf8)
            JSONWriter.writeString(key, into: &output)
        }
        if let metaCanonical {
            output.append(contentsOf: #","meta":"#.utf8)
            output.append(contentsOf: metaCanonical)
        }
        output.append(contentsOf: #","prev":""#.utf8)
        output.append(contentsOf: prev.hex.utf8)
    }

    /// The hash this record must carry, recomputed from its content.
    public func computedHash() -> Digest {
        Digest.sha256(canonicalEnvelopeWithoutHash())
    }

    /// The export line (without newline): the envelope in the contract's member order.
    public func exportLine() -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(dataCanonical.count + 320)
        output.append(contentsOf: #"{"seq":"#.utf8)
        output.append(contentsOf: String(seq).utf8)
        output.append(contentsOf: #","recordedAt":""#.utf8)
        output.append(contentsOf: recordedAt.description.utf8)
        output.append(contentsOf: #"","type":"#.utf8)
        JSONWriter.writeString(type, into: &output)
        output.append(contentsOf: #","data":"#.utf8)
        output.append(contentsOf: dataCanonical)
        appendEffectiveKeyMetaAndPrev(to: &output)
        output.append(contentsOf: #"","hash":""#.utf8)
        output.append(contentsOf: hash.hex.utf8)
        output.append(contentsOf: #""}"#.utf8)
        return output
    }
}

/// The binary form of a record in the log database. The key is the big-endian seq; the value
/// starts with a format byte so the layout can change without guessing.
///
///     u8 format (1) | u16 schemaVersion | i64 recordedAt ms | u64 streamVersion | 32 prev | 32 hash
///     | str stream | str type | str effective | optstr key | optstr meta | str data
///
/// where str is a u32 length then UTF-8 bytes and optstr uses length 0xFFFFFFFF for "absent".
enum RecordCodec {
    static let format: UInt8 = 1
    static let absent: UInt32 = .max

    static func encode(_ record: Record) -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(83 + record.dataCanonical.count + record.stream.utf8.count + record.type.utf8.count + 64)
        output.append(format)
        appendInteger(record.schemaVersion, to: &output)
        appendInteger(record.recordedAt.millisecondsSinceEpoch, to: &output)
        appendInteger(record.streamVersion, to: &output)
        output.append(contentsOf: record.prev.bytes)
        output.append(contentsOf: record.hash.bytes)
        appendString(Array(record.stream.utf8), to: &output)
        appendString(Array(record.type.utf8), to: &output)
        appendString(Array(record.effective.utf8), to: &output)
        appendOptional(record.key.map { Array($0.utf8) }, to: &output)
        appendOptional(record.metaCanonical, to: &output)
        appendString(record.dataCanonical, to: &output)
        return output
    }

    struct DecodeError: Error { var reason: String }

    static func decode(seq: UInt64, _ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> Record {
        var reader = ByteReader(bytes: bytes)
        guard let format = reader.byte(), format == Self.format else {
            throw DecodeError(reason: "unknown record format")
        }
        guard let schemaVersion: UInt16 = reader.integer(),
              let recordedAt: Int64 = reader.integer(),
              let streamVersion: UInt64 = reader.integer(),
              let prev = reader.bytes(32),
              let hash = reader.bytes(32),
              let stream = reader.string(),
              let type = reader.string(),
              let effective = reader.string(),
              let key = reader.optional(),
              let meta = reader.optional(),
              let data = reader.string(),
              reader.isAtEnd
        else { throw DecodeError(reason: "record is truncated or malformed") }
        return Record(
            seq: seq, stream: String(decoding: stream, as: UTF8.self), streamVersion: streamVersion,
            type: String(decoding: type, as: UTF8.self), schemaVersion: schemaVersion,
            recordedAt: Timestamp(millisecondsSinceEpoch: recordedAt),
            effective: String(decoding: effective, as: UTF8.self),
            key: key.value.map { String(decoding: $0, as: UTF8.self) }, metaCanonical: meta.value,
            dataCanonical: data, prev: Digest(bytes: prev), hash: Digest(bytes: hash))
    }

    static func appendInteger<T: FixedWidthInteger>(_ value: T, to output: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { output.append(contentsOf: $0) }
    }

    static func appendString(_ bytes: [UInt8], to output: inout [UInt8]) {
        appendInteger(UInt32(bytes.count), to: &output)
        output.append(contentsOf: bytes)
    }

    static func appendOptional(_ bytes: [UInt8]?, to output: inout [UInt8]) {
        if let bytes { appendString(bytes, to: &output) } else { appendInteger(absent, to: &output) }
    }
}

/// Reads little-endian fields from a buffer; every read is bounds-checked and answers nil past the end.
/// The small reads are inlinable: the state's values are decoded in other modules, field by
/// field, and a call per field (a generic one, unspecialised) would cost more than the read.
public struct ByteReader {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var position = 0
    /// The length a string field has when it is absent (RecordCodec.absent).
    @usableFromInline static var absentLength: UInt32 { .max }

    @inlinable public init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// How many bytes have been read.
    public var offset: Int { position }

    @inlinable public var isAtEnd: Bool { position == bytes.count }

    @inlinable public mutating func byte() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    @inlinable public mutating func integer<T: FixedWidthInteger>() -> T? {
        let size = MemoryLayout<T>.size
        guard bytes.count - position >= size else { return nil }
        defer { position += size }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
    }

    public mutating func bytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, bytes.count - position >= count else { return nil }
        defer { position += count }
        return [UInt8](UnsafeRawBufferPointer(rebasing: bytes[position..<position + count]))
    }

    public mutating func string() -> [UInt8]? {
        guard let length: UInt32 = integer(), length != RecordCodec.absent else { return nil }
        return bytes(Int(length))
    }

    /// An optional field: `.some(nil)` when marked absent, nil when malformed.
    public mutating func optional() -> (value: [UInt8]?, Void)? {
        guard let length: UInt32 = integer() else { return nil }
        if length == RecordCodec.absent { return (nil, ()) }
        guard let value = bytes(Int(length)) else { return nil }
        return (value, ())
    }

    /// The next `length` bytes as UTF-8 text, decoded in place.
    @inlinable mutating func text(length: UInt32) -> String? {
        let count = Int(length)
        guard bytes.count - position >= count else { return nil }
        defer { position += count }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<position + count]), as: UTF8.self)
    }

    /// A length-prefixed UTF-8 text.
    @inlinable public mutating func text() -> String? {
        guard let length: UInt32 = integer(), length != Self.absentLength else { return nil }
        return text(length: length)
    }

    /// An optional text: `.some(nil)` when absent, nil when malformed.
    @inlinable public mutating func optionalText() -> String?? {
        guard let length: UInt32 = integer() else { return nil }
        if length == Self.absentLength { return .some(nil) }
        guard let value = text(length: length) else { return nil }
        return .some(value)
    }
}

/// Writes the little-endian, length-prefixed fields `ByteReader` reads.
public struct ByteWriter {
    public private(set) var bytes: [UInt8] = []
    public init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    public mutating func integer<T: FixedWidthInteger>(_ value: T) { RecordCodec.appendInteger(value, to: &bytes) }
    public mutating func byte(_ value: UInt8) { bytes.append(value) }
    public mutating func text(_ value: String) { RecordCodec.appendString(Array(value.utf8), to: &bytes) }
    public mutating func optionalText(_ value: String?) { RecordCodec.appendOptional(value.map { Array($0.utf8) }, to: &bytes) }
}

extension UInt64 {
    /// The big-endian bytes, so that LMDB's byte order is numeric order.
    public var bigEndianBytes: [UInt8] { withUnsafeBytes(of: self.bigEndian) { Array($0) } }

    public init?(bigEndianBytes bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 8 else { return nil }
        var value: UInt64 = 0
        withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: bytes) }
        self = UInt64(bigEndian: value)
    }
}
