import Foundation
import XCTest

/// `remind` end to end: the file transport, a real SMTP server on loopback (aiosmtpd), a crash
/// between the transport accepting a message and its ReminderSent, failures and bad input.
final class RemindCommandTests: XCTestCase {
    static let now = "2026-02-10T08:00:00.000Z"

    /// Two clients, one without an e-mail address, deadlines with plans that fall due today.
    static let history = """
    {"type":"SettingsChanged","data":{"company":"Officina Prova S.r.l.","iban":"IT60X0542811101000000123456","sender":"amministrazione@prova.example","paymentLink":"https://pay.prova.example/{deadline}?amount={amount}","timezone":"Europe/Rome","currency":"EUR","reminder":{"leadDays":5,"everyDays":7,"template":"default"}},"effective":"2026-01-01"}
    {"type":"ClientRegistered","data":{"client":"C1","name":"Caffè Rossi S.r.l.","email":"ap@rossi.example"},"effective":"2026-01-01"}
    {"type":"ClientRegistered","data":{"client":"C2","name":"Smith & Partners","email":"payables@smith.example","locale":"en"},"effective":"2026-01-01"}
    {"type":"ClientRegistered","data":{"client":"C3","name":"Senza Posta"},"effective":"2026-01-01"}
    {"type":"InvoiceIssued","data":{"invoice":"F1","client":"C1","issued":"2026-01-10","amount":"1234.56","number":"2026/1"}}
    {"type":"DeadlineSet","data":{"deadline":"F1-1","client":"C1","invoice":"F1","due":"2026-02-15","amount":"1234.56"},"effective":"2026-01-10"}
    {"type":"InvoiceIssued","data":{"invoice":"F2","client":"C2","issued":"2026-01-10","amount":"500.00","number":"2026/2"}}
    {"type":"DeadlineSet","data":{"deadline":"F2-1","client":"C2","invoice":"F2","due":"2026-02-03","amount":"500.00"},"effective":"2026-01-10"}
    {"type":"InvoiceIssued","data":{"invoice":"F3","client":"C3","issued":"2026-01-10","amount":"80.00"}}
    {"type":"DeadlineSet","data":{"deadline":"F3-1","client":"C3","invoice":"F3","due":"2026-02-10","amount":"80.00"},"effective":"2026-01-10"}
    {"type":"InvoiceIssued","data":{"invoice":"F4","client":"C1","issued":"2026-01-10","amount":"99.00"}}
    {"type":"DeadlineSet","data":{"deadline":"F4-1","client":"C1","invoice":"F4","due":"2026-02-12","amount":"99.00"},"effective":"2026-01-10"}
    {"type":"PaymentReceived","data":{"payment":"P1","client":"C1","amount":"99.00","received":"2026-02-01","method":"cheque","allocations":[{"deadline":"F4-1","amount":"99.00"}]}}
    """

    func makeStore() throws -> CommandHarness {
        let harness = try CommandHarness()
        assertExit(try harness.run(["init"]), 0)
        assertExit(try harness.run(["append", "-", "--now", "2026-02-01T09:00:00.000Z"], input: Self.history), 0)
        return harness
    }

    func reminderSents(_ harness: CommandHarness) throws -> [[String: Any]] {
        try harness.run(["export"]).standardOutput.split(separator: "\n").compactMap {
            let envelope = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            return envelope?["type"] as? String == "ReminderSent" ? envelope?["data"] as? [String: Any] : nil
        }
    }

    func testTheFileTransportSendsEachSlotOnceAndReportsAClientWithoutAddress() throws {
        let harness = try makeStore()
        let planned = try harness.run(["remind", "--dry-run", "--now", Self.now])
        XCTAssertEqual(planned.exitCode, 1, "the client without an address is a failure: \(planned.standardError)")
        let plannedItems = try XCTUnwrap(planned.jsonObject["reminders"] as? [[String: Any]])
        // F1-1: slots 02-10, 02-17...: today's slot (before due). F2-1: slots 01-29, 02-05: overdue.
        // F4-1 is covered by a pending cheque: nothing. F3-1: slot 02-05, but its client has no address.
        XCTAssertEqual(plannedItems.map { $0["deadline"] as? String }, ["F1-1", "F2-1", "F3-1"])
        XCTAssertEqual(plannedItems.map { $0["kind"] as? String }, ["before_due", "overdue", "before_due"])
        XCTAssertEqual(plannedItems.map { $0["status"] as? String }, ["planned", "planned", "failed"])
        XCTAssertEqual(plannedItems[1]["slot"] as? String, "2026-02-05")
        XCTAssertEqual(try reminderSents(harness).count, 0)

        let sent = try harness.run(["remind", "--now", Self.now])
        assertExit(sent, 1)
        XCTAssertEqual((sent.jsonObject["reminders"] as? [[String: Any]])?.map { $0["status"] as? String }, ["sent", "sent", "failed"])
        XCTAssertTrue(sent.standardError.contains("F3-1: client C3 has no e-mail address"), sent.standardError)
        let recorded = try reminderSents(harness)
        XCTAssertEqual(recorded.compactMap { $0["deadline"] as? String }, ["F1-1", "F2-1"])
        let outbox = harness.storePath + "/outbox"
        let files = try FileManager.default.contentsOfDirectory(atPath: outbox).filter { $0.hasSuffix(".eml") }
        XCTAssertEqual(files.count, 2)
        XCTAssertEqual(Set(files), Set(recorded.compactMap { ($0["messageId"] as? String).map { $0 + ".eml" } }))
        let rossi = try String(contentsOfFile: outbox + "/" + (recorded[0]["messageId"] as! String) + ".eml", encoding: .utf8)
        XCTAssertTrue(rossi.contains("To: \"=?UTF-8?") || rossi.contains("Caff"), rossi)

        // The next run the same day sends nothing new.
        let again = try harness.run(["remind", "--now", "2026-02-10T15:00:00.000Z"])
        XCTAssertEqual((again.jsonObject["reminders"] as? [[String: Any]])?.compactMap { $0["status"] as? String }, ["failed"])
        XCTAssertEqual(try reminderSents(harness).count, 2)
    }

    func testACrashAfterTheTransportAcceptedCostsOneResendWithTheSameMessageID() throws {
        let harness = try makeStore()
        let crashed = try harness.run(["remind", "--now", Self.now], environment: ["RECEIVABLES_TEST_CRASH_AFTER_SEND": "1"])
        XCTAssertNotEqual(crashed.exitCode, 0)
        XCTAssertEqual(try reminderSents(harness).count, 0, "killed before ReminderSent was appended")
        let outbox = harness.storePath + "/outbox"
        let firstFiles = try FileManager.default.contentsOfDirectory(atPath: outbox).filter { $0.hasSuffix(".eml") }
        XCTAssertEqual(firstFiles.count, 1, "the first message went out before the crash")

        let recovered = try harness.run(["remind", "--now", "2026-02-10T08:05:00.000Z"])
        let items = try XCTUnwrap(recovered.jsonObject["reminders"] as? [[String: Any]])
        let resent = items.filter { $0["resent"] as? Bool == true }
        XCTAssertEqual(resent.count, 1, recovered.standardOutput)
        XCTAssertEqual(resent.first?["status"] as? String, "sent")
        let recorded = try reminderSents(harness)
        XCTAssertEqual(recorded.compactMap { $0["deadline"] as? String }.sorted(), ["F1-1", "F2-1"], "each slot recorded once, none lost")
        XCTAssertEqual(recorded.compactMap { $0["messageId"] as? String }.filter { firstFiles.contains($0 + ".eml") }.count, 1,
                       "the resent message kept its Message-ID")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outbox).filter { $0.hasSuffix(".eml") }.count, 2)
    }

    func testAManualReminder() throws {
        let harness = try makeStore()
        let manual = try harness.run(["remind", "--deadline", "F1-1", "--now", "2026-02-03T10:00:00.000Z"])
        assertExit(manual, 0)
        let recorded = try reminderSents(harness)
        XCTAssertEqual(recorded.count, 1)
        XCTAssertEqual(recorded.first?["manual"] as? Bool, true)
        XCTAssertEqual(recorded.first?["slot"] as? String, "2026-02-03")
        let paidUp = try harness.run(["remind", "--deadline", "F4-1"])
        assertExit(paidUp, 1)
        XCTAssertTrue(paidUp.standardError.contains("nothing to remind"), paidUp.standardError)
        assertExit(try harness.run(["remind", "--deadline", "NOPE"]), 1)
    }

    func testBadTransportOptionsAreUsageErrors() throws {
        let harness = try makeStore()
        for arguments in [["remind", "--transport", "smtp"], ["remind", "--transport", "pigeon"],
                          ["remind", "--transport", "smtp", "--smtp", "http://mail.example"],
                          ["remind", "--transport", "smtp", "--smtp", "smtp://user:secret@127.0.0.1:25"]] {
            let result = try harness.run(arguments)
            XCTAssertEqual(result.exitCode, 2, "\(arguments): \(result.standardError)")
            XCTAssertFalse(result.standardError.contains("secret"), "credentials never appear in errors")
        }
        XCTAssertEqual(try reminderSents(harness).count, 0)
    }

    // MARK: SMTP on loopback

    final class SMTPServer {
        let process = Process()
        let port: Int
        let directory: URL

        init(refusing: [String] = []) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let portFile = directory.appendingPathComponent("port")
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", CommandHarness.packageRoot.appendingPathComponent("tools/smtp-test-server.py").path,
                                 "--port", "0", "--out", directory.appendingPathComponent("mail").path, "--port-file", portFile.path]
                + refusing.flatMap { ["--refuse", $0] }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            var found: Int?
            for _ in 0..<200 {
                if let text = try? String(contentsOf: portFile, encoding: .utf8), let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                    found = value
                    break
                }
                usleep(50_000)
            }
            guard let found else {
                process.terminate()
                throw NSError(domain: "SMTPServer", code: 1, userInfo: [NSLocalizedDescriptionKey:
                    "the SMTP test server did not start; run tools/bootstrap (python3 with aiosmtpd)"])
            }
            port = found
        }

        func stop() {
            if process.isRunning { process.terminate(); process.waitUntilExit() }
        }

        /// The messages that arrived, parsed by Python's email package.
        func received() throws -> [[String: Any]] {
            let script = """
            import email, email.policy, glob, json, os, sys
            out = []
            for path in sorted(glob.glob(os.path.join(sys.argv[1], '*.eml')), key=lambda p: int(os.path.basename(p).split('.')[0])):
                message = email.message_from_bytes(open(path, 'rb').read(), policy=email.policy.default)
                envelope = json.load(open(path[:-4] + '.json'))
                out.append({'subject': str(message['subject']), 'to': str(message['to']), 'messageId': str(message['message-id']),
                            'recipients': envelope['rcpt_tos'], 'text': message.get_body(preferencelist=('plain',)).get_content()})
            print(json.dumps(out))
            """
            let result = try CommandHarness.runExecutable(URL(fileURLWithPath: "/usr/bin/env"),
                                                          arguments: ["python3", "-c", script, directory.appendingPathComponent("mail").path])
            guard result.exitCode == 0 else { throw NSError(domain: "python", code: Int(result.exitCode), userInfo: [NSLocalizedDescriptionKey: result.standardError]) }
            return try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [[String: Any]] ?? []
        }
    }

    func testTheDaysRemindersThroughARealSMTPServer() throws {
        let server = try SMTPServer()
        defer { server.stop() }
        let harness = try makeStore()
        let result = try harness.run(["remind", "--transport", "smtp", "--smtp", "smtp://127.0.0.1:\(server.port)", "--now", Self.now])
        assertExit(result, 1) // C3 has no address
        let mail = try server.received()
        XCTAssertEqual(mail.count, 2)
        let rossi = try XCTUnwrap(mail.first { ($0["recipients"] as? [String]) == ["ap@rossi.example"] })
        let text = try XCTUnwrap(rossi["text"] as? String)
        XCTAssertTrue(text.contains("1.234,56 €"), text)
        XCTAssertTrue(text.contains("15/02/2026"), text)
        XCTAssertTrue(text.contains("IT60X0542811101000000123456") || text.contains("IT60 X054"), text)
        XCTAssertTrue(text.contains("https://pay.prova.example/F1-1?amount=1234.56"), text)
        XCTAssertTrue(text.contains("2026/1"), "the invoice number: \(text)")
        let smith = try XCTUnwrap(mail.first { ($0["recipients"] as? [String]) == ["payables@smith.example"] })
        let englishText = try XCTUnwrap(smith["text"] as? String)
        XCTAssertTrue(englishText.contains("€500.00"), englishText)
        XCTAssertTrue(englishText.contains("2026-02-03"), englishText)
        let recorded = try reminderSents(harness)
        XCTAssertEqual(Set(recorded.compactMap { $0["messageId"] as? String }),
                       Set(mail.compactMap { ($0["messageId"] as? String)?.trimmingCharacters(in: CharacterSet(charactersIn: "<>")) }))
    }

    func testAServerThatIsDownOrRefusesAppendsNothingAndTheNextRunSends() throws {
        let harness = try makeStore()
        let down = try harness.run(["remind", "--transport", "smtp", "--smtp", "smtp://127.0.0.1:1", "--now", Self.now])
        assertExit(down, 1)
        XCTAssertTrue(down.standardError.contains("cannot connect"), down.standardError)
        XCTAssertEqual(try reminderSents(harness).count, 0)

        let refusing = try SMTPServer(refusing: ["ap@rossi.example"])
        defer { refusing.stop() }
        let refused = try harness.run(["remind", "--transport", "smtp", "--smtp", "smtp://127.0.0.1:\(refusing.port)", "--now", Self.now])
        assertExit(refused, 1)
        XCTAssertTrue(refused.standardError.contains("550"), refused.standardError)
        XCTAssertEqual(try reminderSents(harness).compactMap { $0["deadline"] as? String }, ["F2-1"])

        let server = try SMTPServer()
        defer { server.stop() }
        let retried = try harness.run(["remind", "--transport", "smtp", "--smtp", "smtp://127.0.0.1:\(server.port)", "--now", "2026-02-10T09:00:00.000Z"])
        assertExit(retried, 1)
        XCTAssertEqual(try server.received().count, 1, "only the refused one goes out again")
        XCTAssertEqual(try reminderSents(harness).compactMap { $0["deadline"] as? String }.sorted(), ["F1-1", "F2-1"])
    }
}
