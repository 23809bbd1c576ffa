import Foundation
import XCTest
@testable import Reminders

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SMTPTransport against tools/smtp-test-server.py (aiosmtpd on 127.0.0.1), with what arrived
/// read back by Python's `email` package: an independent peer on both ends.
final class SMTPTransportTests: XCTestCase {
    private static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private static let bootstrapHint = "run tools/bootstrap, which installs python3's aiosmtpd"

    private var scratch: URL!
    private var servers: [Process] = []

    override func setUpWithError() throws {
        try super.setUpWithError()
        let probe = try Self.run(["python3", "-c", "import aiosmtpd, email, json"])
        guard probe.status == 0 else {
            let missing = probe.status == 127 ? "python3 is not installed" : "python3 cannot import aiosmtpd"
            XCTFail("\(missing): \(Self.bootstrapHint) (\(probe.stderr))")
            throw TestSetupError(message: missing)
        }
        scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("smtp-transport-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        for server in servers { Self.stop(server) }
        servers = []
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
        try super.tearDownWithError()
    }

    // MARK: - Delivery

    func testAMessageArrivesWithItsEnvelopeSubjectMessageIDAndBody() throws {
        let server = try startServer()
        let subject = "Promemoria: fattura n. 12 in scadenza il 15/02/2026 — 1.234,56 € (Società Città)"
        let bodyLines = [
            "Gentile Mario Bianchi,",
            "",
            "la fattura n. 12 di 1.234,56 € scade il 15/02/2026.",
            ".Questa riga comincia con un punto,",
            ".",
            "e la riga sopra è un punto solo.",
            "",
            "Cordiali saluti,",
            "Studio Rossi",
        ]
        let message = Self.message(
            messageID: "rcv-3f1c.D-0007.20260215@receivables.invalid",
            subject: subject, bodyLines: bodyLines,
            recipients: ["mario@cliente.test", "anna@cliente.test"])

        let transport = try SMTPTransport(url: "smtp://127.0.0.1:\(server.port)", environment: [:])
        try transport.send(message)

        let envelope = try server.envelope(1)
        XCTAssertEqual(envelope.mail_from, "fatture@studio-rossi.test")
        XCTAssertEqual(envelope.rcpt_tos, ["mario@cliente.test", "anna@cliente.test"])
        XCTAssertNil(envelope.login)
        XCTAssertEqual(try Data(contentsOf: server.eml(1)), Data(message.data), "the bytes arrive unchanged")

        let parsed = try Self.parseWithPython(server.eml(1))
        XCTAssertEqual(parsed.subject, subject)
        XCTAssertEqual(parsed.from, "fatture@studio-rossi.test")
        XCTAssertEqual(parsed.to, ["mario@cliente.test", "anna@cliente.test"])
        XCTAssertEqual(parsed.message_id, "<rcv-3f1c.D-0007.20260215@receivables.invalid>")
        XCTAssertEqual(parsed.body, bodyLines.joined(separator: "\n") + "\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: server.eml(2).path))
    }

    func testALargeMessageArrivesIntact() throws {
        let server = try startServer()
        let bodyLines = (1...6000).map { "Riga \($0): " + String(repeating: "àbc€", count: 12) }
        let message = Self.message(
            messageID: "large@receivables.invalid", subject: "Estratto conto", bodyLines: bodyLines,
            recipients: ["mario@cliente.test"])
        XCTAssertGreaterThan(message.data.count, 300_000, "more than one read callback's worth")

        try SMTPTransport(url: "smtp://127.0.0.1:\(server.port)/", environment: [:]).send(message)

        XCTAssertEqual(try Data(contentsOf: server.eml(1)), Data(message.data))
        XCTAssertEqual(try Self.parseWithPython(server.eml(1)).body, bodyLines.joined(separator: "\n") + "\n")
    }

    func testCredentialsComeFromTheEnvironmentAndNeverShow() throws {
        let password = "Pa55-w0rd-never-shown"
        let server = try startServer(auth: "reminders:\(password)")
        let message = Self.message(
            messageID: "auth@receivables.invalid", subject: "Promemoria", bodyLines: ["Saldo: 10,00 €"],
            recipients: ["mario@cliente.test"])

        let good = try SMTPTransport(
            url: "smtp://127.0.0.1:\(server.port)",
            environment: ["RECEIVABLES_SMTP_USER": "reminders", "RECEIVABLES_SMTP_PASSWORD": password,
                          "RECEIVABLES_SMTP_ALLOW_PLAINTEXT_AUTH": "1"])
        try good.send(message)
        XCTAssertEqual(try server.envelope(1).login, "reminders")
        for shown in [String(describing: good), String(reflecting: good), Self.dumped(good)] {
            XCTAssertFalse(shown.contains(password), shown)
        }

        let wrongPassword = "Wr0ng-secret-never-shown"
        let bad = try SMTPTransport(
            url: "smtp://127.0.0.1:\(server.port)",
            environment: ["RECEIVABLES_SMTP_USER": "reminders", "RECEIVABLES_SMTP_PASSWORD": wrongPassword,
                          "RECEIVABLES_SMTP_ALLOW_PLAINTEXT_AUTH": "1"],
            connectTimeoutSeconds: 2, totalTimeoutSeconds: 10)
        let error = try XCTUnwrap(Self.failure { try bad.send(message) })
        XCTAssertTrue(error.reason.contains("refused the login"), error.description)
        XCTAssertTrue(error.reason.contains("RECEIVABLES_SMTP_PASSWORD"), error.description)
        XCTAssertTrue(error.serverReply?.hasPrefix("535") ?? false, error.description)
        XCTAssertFalse(error.description.contains(wrongPassword), error.description)
        XCTAssertFalse(FileManager.default.fileExists(atPath: server.eml(2).path))

        let anonymous = try SMTPTransport(url: "smtp://127.0.0.1:\(server.port)", environment: [:])
        let refused = try XCTUnwrap(Self.failure { try anonymous.send(message) })
        XCTAssertTrue(refused.serverReply?.hasPrefix("530") ?? false, refused.description)

        // Without the explicit opt-out, credentials are never sent over a connection without TLS.
        let guarded = try SMTPTransport(
            url: "smtp://127.0.0.1:\(server.port)",
            environment: ["RECEIVABLES_SMTP_USER": "reminders", "RECEIVABLES_SMTP_PASSWORD": password],
            connectTimeoutSeconds: 2, totalTimeoutSeconds: 10)
        let noTLS = try XCTUnwrap(Self.failure { try guarded.send(message) })
        XCTAssertFalse(noTLS.description.contains(password), noTLS.description)
        XCTAssertFalse(FileManager.default.fileExists(atPath: server.eml(2).path), "nothing was delivered")
    }

    // MARK: - Failures

    func testARefusedRecipientIsReportedWithTheServersReply() throws {
        let server = try startServer(refuse: ["nobody@cliente.test"])
        let message = Self.message(
            messageID: "refused@receivables.invalid", subject: "Promemoria", bodyLines: ["Saldo: 10,00 €"],
            recipients: ["mario@cliente.test", "nobody@cliente.test"])
        let transport = try SMTPTransport(url: "smtp://127.0.0.1:\(server.port)", environment: [:])

        let error = try XCTUnwrap(Self.failure { try transport.send(message) })
        XCTAssertTrue(error.reason.contains("refused the recipient nobody@cliente.test"), error.description)
        XCTAssertEqual(error.serverReply, "550 5.1.1 No such user")
        XCTAssertTrue(error.description.contains("550"), error.description)
        XCTAssertFalse(FileManager.default.fileExists(atPath: server.eml(1).path), "nothing was delivered")
    }

    func testAServerThatIsDownGivesAConnectionErrorQuickly() throws {
        let socket = try LoopbackSocket()
        let port = socket.port
        socket.close()  // nothing listens there now
        let transport = try SMTPTransport(
            url: "smtp://127.0.0.1:\(port)", environment: [:], connectTimeoutSeconds: 2, totalTimeoutSeconds: 5)
        let message = Self.message(
            messageID: "down@receivables.invalid", subject: "Promemoria", bodyLines: ["x"],
            recipients: ["mario@cliente.test"])

        let started = ContinuousClock.now
        let error = try XCTUnwrap(Self.failure { try transport.send(message) })
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5))
        XCTAssertEqual(error.reason, "cannot connect to the SMTP server at 127.0.0.1:\(port): connection refused")
        XCTAssertNil(error.serverReply)
    }

    func testASilentServerTimesOut() throws {
        let socket = try LoopbackSocket(listening: true)  // accepts connections, never answers
        defer { socket.close() }
        let transport = try SMTPTransport(
            url: "smtp://127.0.0.1:\(socket.port)", environment: [:], connectTimeoutSeconds: 1,
            totalTimeoutSeconds: 1)
        let message = Self.message(
            messageID: "silent@receivables.invalid", subject: "Promemoria", bodyLines: ["x"],
            recipients: ["mario@cliente.test"])

        let started = ContinuousClock.now
        let error = try XCTUnwrap(Self.failure { try transport.send(message) })
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(4))
        XCTAssertTrue(error.reason.hasPrefix("timed out talking to the SMTP server at 127.0.0.1"), error.description)
        XCTAssertNil(error.serverReply)
    }

    func testImplicitTLSAgainstAPlainServerIsATLSFailure() throws {
        let server = try startServer()
        let transport = try SMTPTransport(
            url: "smtps://127.0.0.1:\(server.port)", environment: [:], connectTimeoutSeconds: 2, totalTimeoutSeconds: 5)
        let message = Self.message(
            messageID: "tls@receivables.invalid", subject: "Promemoria", bodyLines: ["x"],
            recipients: ["mario@cliente.test"])

        let error = try XCTUnwrap(Self.failure { try transport.send(message) })
        XCTAssertTrue(error.reason.hasPrefix("TLS failure with the SMTP server at 127.0.0.1:\(server.port)"), error.description)
        XCTAssertFalse(FileManager.default.fileExists(atPath: server.eml(1).path))
    }

    func testAnEnvelopeWithoutRecipientsOrWithLineBreaksIsRefusedBeforeConnecting() throws {
        let transport = try SMTPTransport(url: "smtp://127.0.0.1:9", environment: [:])
        var message = Self.message(
            messageID: "x@receivables.invalid", subject: "x", bodyLines: ["x"], recipients: [])
        XCTAssertEqual(Self.failure { try transport.send(message) }?.reason, "the message has no recipients")
        message.recipients = ["mario@cliente.test\r\nRCPT TO:<evil@example.test>"]
        XCTAssertEqual(
            Self.failure { try transport.send(message) }?.reason,
            "a recipient address is empty or contains a control character")
    }

    // MARK: - URLs

    func testOnlySMTPAndSMTPSURLsWithoutCredentialsAreAccepted() throws {
        let advice = "use smtp://host[:port] or smtps://host[:port]; put credentials in RECEIVABLES_SMTP_USER "
            + "and RECEIVABLES_SMTP_PASSWORD"
        func refusal(_ url: String) -> TransportError? {
            do {
                _ = try SMTPTransport(url: url, environment: [:])
                return nil
            } catch {
                return error
            }
        }

        XCTAssertEqual(refusal("http://mail.example.test")?.reason, "unsupported SMTP URL scheme \"http\": \(advice)")
        XCTAssertEqual(refusal("file:///tmp/outbox")?.reason, "unsupported SMTP URL scheme \"file\": \(advice)")
        for url in ["smtp://reminders:s3cr3t-in-url@mail.example.test:587", "smtps://reminders@mail.example.test",
                    "http://reminders:s3cr3t-in-url@mail.example.test"] {
            let error = try XCTUnwrap(refusal(url), url)
            XCTAssertEqual(error.reason, "the SMTP URL must not contain a user name or password: \(advice)")
            XCTAssertFalse(error.description.contains("s3cr3t"))
        }
        for garbage in ["", "not a url", "mail.example.test:25", "smtp://", "smtp://:25", "smtp://mail.example.test:",
                        "smtp://mail.example.test:0", "smtp://mail.example.test:99999", "smtp://mail.example.test:2x5",
                        "smtp://mail.example.test/path", "smtp://mail.example.test?x=1", "smtp://mail example.test",
                        "smtp://mail.example.test:25:26", "smtp://[::1", "smtp://-bad.example.test",
                        "smtp://mail.example.test#frag", "smtp://mäil.example.test"] {
            let error = try XCTUnwrap(refusal(garbage), "\(garbage) should be refused")
            XCTAssertTrue(error.reason.hasSuffix(advice), error.reason)
            XCTAssertNil(error.serverReply)
        }

        XCTAssertEqual(try SMTPTransport(url: "smtp://127.0.0.1:2525", environment: [:]).url, "smtp://127.0.0.1:2525")
        XCTAssertEqual(try SMTPTransport(url: "SMTPS://Mail.Example.Test/", environment: [:]).url,
                       "smtps://mail.example.test")
        XCTAssertEqual(try SMTPTransport(url: "smtp://[::1]:25", environment: [:]).url, "smtp://[::1]:25")
        XCTAssertNil(refusal("smtp://mail.example.test"))
        XCTAssertEqual(
            Self.failure { _ = try SMTPTransport(url: "smtp://mail.example.test", environment: [:], totalTimeoutSeconds: 0) }?
                .reason,
            "the SMTP connect and total timeouts must be at least 1 second")
    }

    // MARK: - Helpers: the message

    private static func message(messageID: String, subject: String, bodyLines: [String], recipients: [String])
        -> OutgoingMessage
    {
        let headers = [
            "From: Studio Rossi <fatture@studio-rossi.test>",
            "To: " + recipients.map { "<\($0)>" }.joined(separator: ", "),
            "Subject: " + encodedWords(subject).joined(separator: "\r\n "),
            "Date: Mon, 16 Feb 2026 09:00:00 +0100",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: 8bit",
        ]
        let text = headers.joined(separator: "\r\n") + "\r\n\r\n" + bodyLines.joined(separator: "\r\n") + "\r\n"
        return OutgoingMessage(
            messageID: messageID, from: "fatture@studio-rossi.test", recipients: recipients, data: Array(text.utf8))
    }

    /// RFC 2047 "B" encoded words, each at most 75 characters, split on character boundaries.
    private static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk = ""
        func flush() {
            if !chunk.isEmpty { words.append("=?UTF-8?B?" + Data(chunk.utf8).base64EncodedString() + "?=") }
            chunk = ""
        }
        for character in text {
            if chunk.utf8.count + String(character).utf8.count > 45 { flush() }
            chunk.append(character)
        }
        flush()
        return words
    }

    // MARK: - Helpers: the server

    private struct Server {
        var port: Int
        var out: URL
        func eml(_ number: Int) -> URL { out.appendingPathComponent("\(number).eml") }
        func envelope(_ number: Int) throws -> Envelope {
            try JSONDecoder().decode(Envelope.self, from: Data(contentsOf: out.appendingPathComponent("\(number).json")))
        }
    }

    private struct Envelope: Decodable {
        var mail_from: String
        var rcpt_tos: [String]
        var login: String?
    }

    private func startServer(refuse: [String] = [], auth: String? = nil) throws -> Server {
        let name = "server-\(servers.count + 1)"
        let out = scratch.appendingPathComponent(name, isDirectory: true)
        let portFile = scratch.appendingPathComponent("\(name).port")
        let log = scratch.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)

        var arguments = [
            "python3", Self.repository.appendingPathComponent("tools/smtp-test-server.py").path,
            "--port", "0", "--out", out.path, "--port-file", portFile.path,
        ]
        if !refuse.isEmpty { arguments += ["--refuse"] + refuse }
        if let auth { arguments += ["--auth", auth] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        servers.append(process)

        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOf: portFile, encoding: .utf8),
                let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return Server(port: port, out: out)
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        XCTFail("smtp-test-server.py did not start (\(Self.bootstrapHint)): \(output)")
        throw TestSetupError(message: "the SMTP test server did not start")
    }

    private static func stop(_ process: Process) {
        guard process.isRunning else { process.waitUntilExit(); return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    // MARK: - Helpers: Python's reading of what arrived

    private struct Parsed: Decodable {
        var subject: String
        var from: String
        var to: [String]
        var message_id: String
        var body: String?
    }

    private static let parser = """
        import email, email.policy, json, sys
        with open(sys.argv[1], "rb") as handle:
            message = email.message_from_binary_file(handle, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        print(json.dumps({
            "subject": str(message["subject"]),
            "from": message["from"].addresses[0].addr_spec,
            "to": [address.addr_spec for address in message["to"].addresses],
            "message_id": str(message["message-id"]),
            "body": body.get_content().replace("\\r\\n", "\\n") if body is not None else None,
        }))
        """

    private static func parseWithPython(_ file: URL) throws -> Parsed {
        let result = try run(["python3", "-c", parser, file.path])
        guard result.status == 0 else {
            XCTFail("python3 could not parse \(file.lastPathComponent): \(result.stderr)")
            throw TestSetupError(message: "python3 email parsing failed")
        }
        return try JSONDecoder().decode(Parsed.self, from: Data(result.stdout.utf8))
    }

    private static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Read stderr on another thread so that neither pipe can fill up and block the child.
        nonisolated(unsafe) var errorData = Data()
        let errorRead = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            errorData = stderr.fileHandleForReading.readDataToEndOfFile()
            errorRead.signal()
        }
        let outputData = stdout.fileHandleForReading.readDataToEndOfFile()
        errorRead.wait()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self),
                String(decoding: errorData, as: UTF8.self))
    }

    // MARK: - Helpers: misc

    /// The TransportError the body throws; nil (and a failure) when it throws nothing.
    private static func failure(
        _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line
    ) -> TransportError? {
        do {
            try body()
            XCTFail("expected a TransportError", file: file, line: line)
            return nil
        } catch let error as TransportError {
            return error
        } catch {
            XCTFail("expected a TransportError, got \(error)", file: file, line: line)
            return nil
        }
    }

    private static func dumped(_ value: some Any) -> String {
        var text = ""
        dump(value, to: &text)
        return text
    }
}

private struct TestSetupError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A TCP socket on 127.0.0.1 with a port the kernel chose; listening (but never accepting) on request.
private final class LoopbackSocket {
    let port: Int
    private var descriptor: Int32

    init(listening: Bool = false) throws {
        #if canImport(Glibc)
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw TestSetupError(message: "socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = descriptor
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound, !listening || listen(fd, 8) == 0 else {
            closeDescriptor(fd)
            throw TestSetupError(message: "bind/listen on 127.0.0.1 failed")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() {
        if descriptor >= 0 {
            closeDescriptor(descriptor)
            descriptor = -1
        }
    }

    deinit { close() }
}

private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}
