import CCurl
import CCurlShim

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Sends reminders to an SMTP server through libcurl's easy API.
///
/// The URL is `smtp://host[:port]` (STARTTLS is used when the server offers it) or
/// `smtps://host[:port]` (implicit TLS). Credentials never go in the URL: they come from the
/// environment variables `RECEIVABLES_SMTP_USER` and `RECEIVABLES_SMTP_PASSWORD`, and they never
/// appear in an error, a description or a log.
public struct SMTPTransport: ReminderTransport, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The environment variable holding the SMTP user name.
    public static let userVariable = "RECEIVABLES_SMTP_USER"
    /// The environment variable holding the SMTP password.
    public static let passwordVariable = "RECEIVABLES_SMTP_PASSWORD"
    /// Set to 1 to allow AUTH over a connection without TLS (a local relay or test server).
    public static let allowPlaintextVariable = "RECEIVABLES_SMTP_ALLOW_PLAINTEXT_AUTH"
    private let requiresTLS: Bool

    /// The URL handed to libcurl, rebuilt from its validated parts (no credentials, no path).
    public let url: String
    public let connectTimeoutSeconds: Int
    public let totalTimeoutSeconds: Int

    private let endpoint: Endpoint
    private let user: String?
    private let password: String?

    public init(
        url: String, environment: [String: String], connectTimeoutSeconds: Int = 10, totalTimeoutSeconds: Int = 60
    ) throws(TransportError) {
        let endpoint = try Endpoint(parsing: url)
        guard connectTimeoutSeconds >= 1, totalTimeoutSeconds >= 1 else {
            throw TransportError(reason: "the SMTP connect and total timeouts must be at least 1 second")
        }
        self.endpoint = endpoint
        self.url = endpoint.url
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.totalTimeoutSeconds = totalTimeoutSeconds
        let user = environment[Self.userVariable] ?? ""
        self.user = user.isEmpty ? nil : user
        self.password = environment[Self.passwordVariable]
        // A password must not cross the network in the clear: with credentials, smtp:// requires
        // STARTTLS unless the operator says a plain relay is fine (a local test server, say).
        self.requiresTLS = self.user != nil && environment[Self.allowPlaintextVariable] != "1"
        for (name, value) in [(Self.userVariable, self.user), (Self.passwordVariable, self.password)] {
            if let value, value.utf8.contains(0) {
                throw TransportError(reason: "\(name) contains a NUL character")
            }
        }
    }

    public var description: String {
        "SMTPTransport(\(url), authentication: \(user == nil ? "none" : "from \(Self.userVariable)"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["url": url, "authenticates": user != nil], displayStyle: .struct)
    }

    public func send(_ message: OutgoingMessage) throws(TransportError) {
        try Self.checkEnvelope(message)
        guard CurlGlobal.status == CURLE_OK else {
            throw TransportError(reason: "libcurl could not be initialised (\(Self.text(of: CurlGlobal.status)))")
        }
        guard let handle = curl_easy_init() else {
            throw TransportError(reason: "libcurl could not create a transfer handle")
        }
        defer { curl_easy_cleanup(handle) }

        var recipientList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(recipientList) }
        for recipient in message.recipients {
            guard let extended = curl_slist_append(recipientList, recipient) else {
                throw TransportError(reason: "libcurl could not allocate the recipient list")
            }
            recipientList = extended
        }

        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }

        let state = TransferState(data: message.data)
        let context = Unmanaged.passRetained(state)
        defer { context.release() }
        let contextPointer = context.toOpaque()

        func set(_ name: String, _ code: CURLcode) throws(TransportError) {
            guard code == CURLE_OK else {
                throw TransportError(reason: "libcurl refused the option \(name) (\(Self.text(of: code)))")
            }
        }
        try set("URL", receivables_curl_set_string(handle, CURLOPT_URL, url))
        try set("PROTOCOLS_STR", receivables_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps"))
        if endpoint.scheme == "smtp" {
            let level = requiresTLS ? CURLUSESSL_ALL : CURLUSESSL_TRY
            try set("USE_SSL", receivables_curl_set_long(handle, CURLOPT_USE_SSL, Int(level.rawValue)))
        }
        try set("NOSIGNAL", receivables_curl_set_long(handle, CURLOPT_NOSIGNAL, 1))
        try set("CONNECTTIMEOUT", receivables_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT, connectTimeoutSeconds))
        try set("TIMEOUT", receivables_curl_set_long(handle, CURLOPT_TIMEOUT, totalTimeoutSeconds))
        try set("ERRORBUFFER", receivables_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        if let user {
            try set("USERNAME", receivables_curl_set_string(handle, CURLOPT_USERNAME, user))
            if let password {
                try set("PASSWORD", receivables_curl_set_string(handle, CURLOPT_PASSWORD, password))
            }
        }
        try set("MAIL_FROM", receivables_curl_set_string(handle, CURLOPT_MAIL_FROM, message.from))
        try set("MAIL_RCPT", receivables_curl_set_slist(handle, CURLOPT_MAIL_RCPT, recipientList))
        try set("UPLOAD", receivables_curl_set_long(handle, CURLOPT_UPLOAD, 1))
        try set("INFILESIZE", receivables_curl_set_long(handle, CURLOPT_INFILESIZE, message.data.count))
        try set("READDATA", receivables_curl_set_pointer(handle, CURLOPT_READDATA, contextPointer))
        try set("READFUNCTION", receivables_curl_set_read_callback(handle) { buffer, size, count, userdata in
            guard let buffer, let userdata else { return Int(CURL_READFUNC_ABORT) }
            let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
            return state.read(into: buffer, capacity: size * count)
        })
        // The debug callback sees the server's replies (kept, to report them) and the commands sent
        // (only their verb is kept, so AUTH data never leaves libcurl). With a debug callback set,
        // VERBOSE prints nothing.
        try set("DEBUGDATA", receivables_curl_set_pointer(handle, CURLOPT_DEBUGDATA, contextPointer))
        try set("DEBUGFUNCTION", receivables_curl_set_debug_callback(handle) { _, kind, data, size, userdata in
            guard let data, let userdata else { return 0 }
            let state = Unmanaged<TransferState>.fromOpaque(userdata).takeUnretainedValue()
            let bytes = UnsafeRawBufferPointer(start: data, count: size)
            if kind == CURLINFO_HEADER_IN {
                state.received(bytes)
            } else if kind == CURLINFO_HEADER_OUT {
                state.sent(bytes)
            }
            return 0
        })
        try set("VERBOSE", receivables_curl_set_long(handle, CURLOPT_VERBOSE, 1))

        let result = curl_easy_perform(handle)
        if result == CURLE_OK { return }

        var responseCode = 0
        _ = receivables_curl_get_long_info(handle, CURLINFO_RESPONSE_CODE, &responseCode)
        var osErrno = 0
        _ = receivables_curl_get_long_info(handle, CURLINFO_OS_ERRNO, &osErrno)
        throw failure(
            result, state: state, responseCode: responseCode, osErrno: osErrno,
            detail: String(cString: errorBuffer), message: message)
    }

    // MARK: - Errors

    private func failure(
        _ result: CURLcode, state: TransferState, responseCode: Int, osErrno: Int, detail rawDetail: String,
        message: OutgoingMessage
    ) -> TransportError {
        let reply = state.lastReply
        let code = reply?.code ?? responseCode
        let serverReply = reply.map { redact($0.text) } ?? (code > 0 ? String(code) : nil)
        let detail = redact(Self.clean(rawDetail))
        let server = "the SMTP server at \(endpoint.display)"
        func withDetail(_ reason: String) -> String { detail.isEmpty ? reason : "\(reason) (\(detail))" }

        // The server said no: name what it refused, and give its own words.
        if code >= 400,
            [CURLE_SEND_ERROR, CURLE_WEIRD_SERVER_REPLY, CURLE_RECV_ERROR, CURLE_LOGIN_DENIED, CURLE_AUTH_ERROR,
             CURLE_USE_SSL_FAILED, CURLE_QUOTE_ERROR].contains(result)
        {
            let reason: String
            switch state.lastCommand {
            case nil: reason = "\(server) refused the connection"
            case "EHLO", "HELO": reason = "\(server) refused the greeting (EHLO)"
            case "STARTTLS": reason = "\(server) refused to start TLS"
            case "AUTH":
                reason = "\(server) refused the login (check \(Self.userVariable) and \(Self.passwordVariable))"
            case "MAIL": reason = "\(server) refused the sender \(state.lastAddress ?? message.from)"
            case "RCPT": reason = "\(server) refused the recipient \(state.lastAddress ?? "")"
            case "DATA": reason = "\(server) refused the message"
            default: reason = "\(server) refused the message"
            }
            if result == CURLE_LOGIN_DENIED {
                return TransportError(
                    reason: "\(server) refused the login (check \(Self.userVariable) and \(Self.passwordVariable))",
                    serverReply: serverReply)
            }
            return TransportError(reason: reason, serverReply: serverReply)
        }

        let reason: String
        switch result {
        case CURLE_COULDNT_RESOLVE_HOST:
            reason = "cannot resolve the SMTP server's host name \(endpoint.host)"
        case CURLE_COULDNT_CONNECT:
            reason = "cannot connect to \(server): \(Self.connectProblem(osErrno: osErrno, detail: detail))"
        case CURLE_OPERATION_TIMEDOUT:
            reason = withDetail(
                "timed out talking to \(server) (connect timeout \(connectTimeoutSeconds) s, "
                    + "total timeout \(totalTimeoutSeconds) s)")
        case CURLE_PEER_FAILED_VERIFICATION:
            reason = withDetail("TLS failure: the certificate of \(server) could not be verified")
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED,
            CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT:
            reason = withDetail("TLS failure with \(server)")
        case CURLE_USE_SSL_FAILED:
            reason = withDetail("\(server) could not start TLS")
        case CURLE_LOGIN_DENIED:
            reason = "\(server) refused the login (check \(Self.userVariable) and \(Self.passwordVariable))"
        case CURLE_AUTH_ERROR:
            reason = withDetail("authentication with \(server) failed")
        case CURLE_GOT_NOTHING:
            reason = "\(server) closed the connection without answering"
        case CURLE_SEND_ERROR:
            reason = withDetail("the connection to \(server) broke while sending")
        case CURLE_RECV_ERROR:
            reason = withDetail("the connection to \(server) broke while waiting for its reply")
        case CURLE_WEIRD_SERVER_REPLY:
            reason = withDetail("\(server) gave an unexpected reply")
            return TransportError(reason: reason, serverReply: serverReply)
        case CURLE_UNSUPPORTED_PROTOCOL:
            reason = "this libcurl cannot speak \(endpoint.scheme)://"
        case CURLE_OUT_OF_MEMORY:
            reason = "libcurl ran out of memory"
        case CURLE_READ_ERROR, CURLE_ABORTED_BY_CALLBACK:
            reason = "the message could not be handed to libcurl"
        default:
            reason = withDetail("sending to \(server) failed (curl error \(result.rawValue): \(Self.text(of: result)))")
        }
        return TransportError(reason: reason, serverReply: code >= 400 ? serverReply : nil)
    }

    private static func connectProblem(osErrno: Int, detail: String) -> String {
        if osErrno != 0, let text = strerror(Int32(osErrno)) {
            let words = String(cString: text)
            return words.prefix(1).lowercased() + words.dropFirst()
        }
        return detail.isEmpty ? "connection failed" : detail
    }

    /// Removes the credentials from a text, should libcurl ever repeat them.
    private func redact(_ text: String) -> String {
        var text = text
        for secret in [password, user] {
            if let secret, !secret.isEmpty { text = text.replacingAll(secret, with: "***") }
        }
        return text
    }

    private static func text(of code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code))
    }

    /// One line, printable, bounded.
    static func clean(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if out.unicodeScalars.count >= 300 { out += "…"; break }
            if scalar.value < 0x20 || scalar.value == 0x7F {
                if !out.hasSuffix(" ") && !out.isEmpty { out += " " }
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        while out.hasSuffix(" ") { out.removeLast() }
        return out
    }

    private static func checkEnvelope(_ message: OutgoingMessage) throws(TransportError) {
        guard !message.recipients.isEmpty else {
            throw TransportError(reason: "the message has no recipients")
        }
        func bad(_ address: String) -> Bool {
            address.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
        }
        if bad(message.from) {
            throw TransportError(reason: "the sender address contains a control character")
        }
        for recipient in message.recipients where recipient.isEmpty || bad(recipient) {
            throw TransportError(reason: "a recipient address is empty or contains a control character")
        }
    }
}

// MARK: - libcurl global state

private enum CurlGlobal {
    /// curl_global_init, once per process (a static let is initialised exactly once, thread-safely).
    static let status: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
}

// MARK: - Per-transfer state, reached from the C callbacks through their user pointer

private final class TransferState {
    struct Reply {
        var code: Int
        var text: String
    }

    private static let verbs: Set<String> = [
        "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "RSET", "QUIT", "NOOP",
    ]

    private let data: [UInt8]
    private var offset = 0
    /// The last complete reply of the server before QUIT.
    private(set) var lastReply: Reply?
    private var pendingLines: [String] = []
    /// The verb of the last command sent (never its arguments, except MAIL/RCPT addresses).
    private(set) var lastCommand: String?
    private(set) var lastAddress: String?
    private var quitting = false

    init(data: [UInt8]) { self.data = data }

    func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, data.count - offset)
        guard count > 0 else { return 0 }
        data.withUnsafeBufferPointer { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }

    /// A server reply (one or more lines).
    func received(_ bytes: UnsafeRawBufferPointer) {
        guard !quitting else { return }
        for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            let line = SMTPTransport.clean(String(decoding: rawLine, as: UTF8.self))
            if line.isEmpty { continue }
            if pendingLines.count < 8 { pendingLines.append(line) }
            let utf8 = Array(line.utf8)
            let continues = utf8.count > 3 && utf8[3] == UInt8(ascii: "-")
            if !continues {
                let code = utf8.count >= 3 ? Int(String(decoding: utf8[0..<3], as: UTF8.self)) ?? 0 : 0
                lastReply = Reply(code: code, text: pendingLines.joined(separator: " "))
                pendingLines = []
            }
        }
    }

    /// A command sent to the server: keep only its verb (and the address of MAIL FROM / RCPT TO).
    func sent(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes.prefix(600), as: UTF8.self)
        let verb = String(line.prefix { $0.isLetter }).uppercased()
        guard Self.verbs.contains(verb), !quitting else { return }
        if verb == "QUIT" {
            // What follows is the goodbye; the reply worth reporting came before it.
            quitting = true
            return
        }
        lastCommand = verb
        lastAddress = nil
        if verb == "MAIL" || verb == "RCPT", let open = line.firstIndex(of: "<"),
            let close = line[open...].firstIndex(of: ">")
        {
            lastAddress = SMTPTransport.clean(String(line[line.index(after: open)..<close]))
        }
    }
}

// MARK: - The URL

private struct Endpoint: Sendable {
    var scheme: String
    var host: String
    var port: Int?

    var url: String { "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "") }
    var display: String { "\(host):\(port ?? (scheme == "smtps" ? 465 : 25))" }

    static let guidance =
        "use smtp://host[:port] or smtps://host[:port]; put credentials in RECEIVABLES_SMTP_USER and RECEIVABLES_SMTP_PASSWORD"

    private static func refuse(_ what: String) -> TransportError {
        TransportError(reason: "\(what): \(guidance)")
    }

    /// Never repeats the URL itself in an error: it may hold a password.
    init(parsing text: String) throws(TransportError) {
        let scalars = text.unicodeScalars
        guard !scalars.isEmpty else { throw Self.refuse("the SMTP URL is empty") }
        guard let separator = text.firstRange(of: "://") else {
            throw Self.refuse("the SMTP URL is not a URL")
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        let rest = text[separator.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let remainder = rest[authorityEnd...]
        if authority.contains("@") {
            throw Self.refuse("the SMTP URL must not contain a user name or password")
        }
        guard scheme == "smtp" || scheme == "smtps" else {
            let printable =
                !scheme.isEmpty && scheme.count <= 16
                && scheme.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "+" || $0 == "-" || $0 == "." }
            throw Self.refuse(printable ? "unsupported SMTP URL scheme \"\(scheme)\"" : "unsupported SMTP URL scheme")
        }
        guard scalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw Self.refuse("the SMTP URL contains spaces, control or non-ASCII characters")
        }
        guard remainder.isEmpty || remainder == "/" else {
            throw Self.refuse("the SMTP URL must have no path, query or fragment")
        }

        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw Self.refuse("the SMTP URL has an unterminated IPv6 address")
            }
            host = authority[...close]
            let inner = authority[authority.index(after: authority.startIndex)..<close]
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw Self.refuse("the SMTP URL has an invalid IPv6 address")
            }
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw Self.refuse("the SMTP URL has an invalid host") }
                portText = after.dropFirst()
            }
        } else {
            let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            host = parts[0]
            if parts.count == 2 { portText = parts[1] }
            guard !host.isEmpty else { throw Self.refuse("the SMTP URL has no host") }
            guard
                host.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "." || $0 == "_" }),
                !host.hasPrefix("-"), !host.hasPrefix(".")
            else {
                throw Self.refuse("the SMTP URL has an invalid host")
            }
        }
        var port: Int?
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(portText), (1...65535).contains(value)
            else {
                throw Self.refuse("the SMTP URL has an invalid port")
            }
            port = value
        }
        self.scheme = scheme
        self.host = String(host).lowercased()
        self.port = port
    }
}

extension String {
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}
