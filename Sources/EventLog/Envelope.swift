/// Reading the export form back: one envelope per line, each checked against the chain.
public enum Envelope {
    public static let members: Set<String> = ["seq", "recordedAt", "type", "data", "effective", "key", "meta", "prev", "hash"]

    /// Parses one export line into a record (its stream left empty for the caller to assign).
    /// It checks the line's form and that the stated `hash` is the hash of its content; the caller
    /// checks `seq` and `prev` against the record before it.
    public static func parse(_ line: UnsafeRawBufferPointer) throws(EnvelopeError) -> Record {
        let value: JSONValue
        do {
            value = try JSONParser.parse(line)
        } catch {
            throw EnvelopeError(seq: nil, reason: "not valid JSON: \(error)")
        }
        guard case .object(let object) = value else {
            throw EnvelopeError(seq: nil, reason: "an envelope must be a JSON object, not \(value.typeName)")
        }
        for key in object.keys where !members.contains(key) {
            throw EnvelopeError(seq: nil, reason: "unknown member \"\(Self.oneLine(key))\"")
        }
        guard let seqValue = object["seq"]?.integerValue, seqValue >= 1 else {
            throw EnvelopeError(seq: nil, reason: "seq must be a whole number from 1")
        }
        let seq = UInt64(seqValue)
        func string(_ name: String) throws(EnvelopeError) -> String {
            guard let text = object[name]?.stringValue else {
                throw EnvelopeError(seq: seq, reason: "\(name) must be a string")
            }
            return text
        }
        let recordedAtText = try string("recordedAt")
        guard let recordedAt = Timestamp(rfc3339: recordedAtText), recordedAt.description == recordedAtText else {
            throw EnvelopeError(seq: seq, reason: "recordedAt must be an RFC 3339 UTC time with milliseconds, like 2026-01-15T09:00:00.000Z")
        }
        let type = try string("type")
        guard case .object(let data)? = object["data"] else {
            throw EnvelopeError(seq: seq, reason: "data must be an object")
        }
        let effective = try string("effective")
        var key: String?
        if object["key"] != nil { key = try string("key") }
        var metaCanonical: [UInt8]?
        if let meta = object["meta"] {
            guard case .object(let metaObject) = meta, metaObject.members.allSatisfy({ $0.value.stringValue != nil }) else {
                throw EnvelopeError(seq: seq, reason: "meta must be an object of strings")
            }
            metaCanonical = CanonicalJSON.bytes(meta)
        }
        guard let prev = Digest(hex: try string("prev")) else {
            throw EnvelopeError(seq: seq, reason: "prev must be 64 lowercase hex digits")
        }
        guard let hash = Digest(hex: try string("hash")) else {
            throw EnvelopeError(seq: seq, reason: "hash must be 64 lowercase hex digits")
        }
        let record = Record(seq: seq, stream: "", streamVersion: 0, type: type, schemaVersion: 1,
                            recordedAt: recordedAt, effective: effective, key: key, metaCanonical: metaCanonical,
                            dataCanonical: CanonicalJSON.bytes(.object(data)), prev: prev, hash: hash)
        guard record.computedHash() == hash else {
            throw EnvelopeError(seq: seq, reason: "the hash does not match the envelope's content")
        }
        return record
    }
}

extension Envelope {
    /// A name from the input, safe inside a one-line message: control characters, line and
    /// paragraph separators written as `\u{…}`, and at most 200 characters.
    static func oneLine(_ text: String) -> String {
        var result = ""
        for (index, scalar) in text.unicodeScalars.enumerated() {
            if index == 200 { return result + "…" }
            if scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" {
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

public struct EnvelopeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var seq: UInt64?
    public var reason: String
    public init(seq: UInt64?, reason: String) {
        self.seq = seq
        self.reason = reason
    }
    public var description: String {
        if let seq { return "seq \(seq): \(reason)" }
        return reason
    }
}

/// Splits a byte buffer into lines (LF, with an optional CR before it), numbering from 1.
public struct LineSplitter: Sequence {
    public let bytes: UnsafeRawBufferPointer
    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public struct Iterator: IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        var offset = 0
        var number = 0
        public mutating func next() -> (number: Int, line: UnsafeRawBufferPointer)? {
            guard offset < bytes.count else { return nil }
            number += 1
            let start = offset
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            offset = end + 1
            var lineEnd = end
            if lineEnd > start && bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            return (number, UnsafeRawBufferPointer(rebasing: bytes[start..<lineEnd]))
        }
    }

    public func makeIterator() -> Iterator { Iterator(bytes: bytes) }
}

extension UnsafeRawBufferPointer {
    /// True when the bytes are only spaces, tabs and carriage returns: a blank line.
    public var isBlankLine: Bool {
        allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
    }
}
