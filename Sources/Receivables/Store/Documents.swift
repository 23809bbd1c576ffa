import EventLog

/// A payment document's kind, told from its first bytes rather than its name.
public enum MediaType {
    public static func sniff(_ bytes: [UInt8]) -> String {
        func starts(_ prefix: [UInt8]) -> Bool { bytes.count >= prefix.count && Array(bytes.prefix(prefix.count)) == prefix }
        if starts(Array("%PDF-".utf8)) { return "application/pdf" }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return "image/tiff" }
        return "application/octet-stream"
    }
}

/// Why a document could not be stored or read back.
public enum DocumentError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooLarge(size: Int, limit: Int)
    case unknownPayment(String)
    case notStored(String)
    case invalidDigest(String)

    public var description: String {
        switch self {
        case .tooLarge(let size, let limit): return "the file is \(size) bytes; documents may be at most \(limit) bytes (see --max-size)"
        case .unknownPayment(let id): return "no payment \"\(id)\" was received"
        case .notStored(let digest): return "no document with SHA-256 \(digest) is stored"
        case .invalidDigest(let text): return "\"\(text)\" is not a SHA-256 (64 lowercase hex digits)"
        }
    }
}

extension ReceivablesStore {
    /// The default largest document: 20 MiB.
    public static let defaultDocumentLimitBytes = 20 << 20

    /// Stores `bytes` as a content-addressed blob and appends PaymentDocumentAttached, in one
    /// transaction: the document is in the store exactly when the log says it is attached.
    public func attachDocument(payment: String, name: String, bytes: [UInt8], now: Timestamp,
                               limitBytes: Int = ReceivablesStore.defaultDocumentLimitBytes) throws -> (outcome: AppendOutcome, sha256: String, mediaType: String) {
        guard bytes.count <= limitBytes else { throw DocumentError.tooLarge(size: bytes.count, limit: limitBytes) }
        let digest = Digest.sha256(bytes)
        let mediaType = MediaType.sniff(bytes)
        let input = EventInput(type: EventType.paymentDocumentAttached.rawValue,
                               data: ["payment": .string(payment), "sha256": .string(digest.hex), "name": .string(name),
                                      "mediaType": .string(mediaType), "size": .number(Double(bytes.count))])
        let outcome = try append([input], now: now, storingBlob: (digest, bytes))
        return (outcome, digest.hex, mediaType)
    }

    /// A stored document's bytes.
    public func document(sha256 text: String) throws -> [UInt8] {
        guard let digest = Digest(hex: text) else { throw DocumentError.invalidDigest(text) }
        return try events.read { transaction in
            guard let bytes = try transaction.get(blobs, digest.bytes) else { throw DocumentError.notStored(text) }
            return bytes
        }
    }

    /// Checks that every stored document still hashes to its key; names the first that does not.
    public func verifyDocuments() throws -> VerifyProblem? {
        try events.read { transaction in
            let cursor = try transaction.cursor(blobs)
            var entry = try cursor.first()
            while let current = entry {
                guard current.key.count == 32 else {
                    return VerifyProblem(seq: nil, reason: "a document is stored under a key that is not a SHA-256")
                }
                let key = Digest(bytes: current.key)
                if Digest.sha256(current.value) != key {
                    return VerifyProblem(seq: nil, reason: "document \(key.hex) does not match its SHA-256: it was changed")
                }
                entry = try cursor.next()
            }
            return nil
        }
    }
}
