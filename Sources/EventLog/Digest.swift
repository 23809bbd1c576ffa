import CCrypto

/// A SHA-256 digest, computed by the system's libcrypto.
public struct Digest: Sendable, Hashable, CustomStringConvertible {
    /// The 32 bytes.
    public private(set) var bytes: [UInt8]

    public static let zero = Digest(bytes: [UInt8](repeating: 0, count: 32))

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "a SHA-256 digest has 32 bytes")
        self.bytes = bytes
    }

    public init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == 32, "a SHA-256 digest has 32 bytes")
        self.bytes = [UInt8](bytes)
    }

    /// The digest of `data`.
    public static func sha256(_ data: UnsafeRawBufferPointer) -> Digest {
        var output = [UInt8](repeating: 0, count: 32)
        output.withUnsafeMutableBufferPointer { out in
            _ = SHA256(data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count, out.baseAddress)
        }
        return Digest(bytes: output)
    }

    public static func sha256(_ data: [UInt8]) -> Digest {
        data.withUnsafeBytes { sha256($0) }
    }

    /// Lowercase hex, as the contract writes `hash` and `prev`.
    public var description: String { hex }

    public var hex: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(64)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Parses 64 lowercase hex digits; anything else is nil.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        var result = [UInt8]()
        result.reserveCapacity(32)
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            default: return nil
            }
        }
        var index = 0
        while index < 64 {
            guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else { return nil }
            result.append(high << 4 | low)
            index += 2
        }
        self.bytes = result
    }
}

/// An incremental SHA-256, for blobs and files too large to hold twice.
public final class SHA256Hasher {
    private let context: OpaquePointer
    public init() {
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }
    deinit { EVP_MD_CTX_free(context) }
    public func update(_ data: UnsafeRawBufferPointer) {
        EVP_DigestUpdate(context, data.baseAddress, data.count)
    }
    public func finish() -> Digest {
        var output = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        output.withUnsafeMutableBufferPointer { out in _ = EVP_DigestFinal_ex(context, out.baseAddress, &length) }
        return Digest(bytes: output)
    }
}
