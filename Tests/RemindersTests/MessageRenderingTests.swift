import EventLog
import Foundation
import Receivables
import XCTest
@testable import Reminders

/// A parsed message, as a reader would see it: unfolded headers and the raw body.
struct ParsedMessage {
    var headerLines: [String]
    var headers: [(name: String, value: String)]
    var body: String

    init(_ data: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.components(separatedBy: "\r\n\r\n")
        headerLines = parts[0].components(separatedBy: "\r\n")
        body = parts.dropFirst().joined(separator: "\r\n\r\n")
        headers = []
        for headerLine in headerLines {
            if headerLine.hasPrefix(" ") || headerLine.hasPrefix("\t") {
                // Unfolding: the CRLF goes, the white space stays.
                headers[headers.count - 1].value += headerLine
            } else if let colon = headerLine.firstIndex(of: ":") {
                let value = headerLine[headerLine.index(after: colon)...]
                headers.append((String(headerLine[..<colon]), String(value.drop(while: { $0 == " " }))))
            } else {
                XCTFail("not a header line: \(headerLine)", file: file, line: line)
            }
        }
        // White space that folding put before the value is not part of it.
        headers = headers.map { ($0.name, String($0.value.drop(while: { $0 == " " || $0 == "\t" }))) }
    }

    subscript(name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    func count(of name: String) -> Int {
        headers.filter { $0.name.lowercased() == name.lowercased() }.count
    }
}

/// RFC 2047 "B" words back to text (what a mail reader does), for the checks below.
func decodeEncodedWords(_ value: String) -> String {
    let words = value.split(separator: " ")
    guard words.allSatisfy({ $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") }) else { return value }
    var bytes: [UInt8] = []
    for word in words {
        let base64 = word.dropFirst(10).dropLast(2)
        bytes += Array(Data(base64Encoded: String(base64)) ?? Data())
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// RFC 2045 quoted-printable decoder, written independently of the encoder: soft breaks go,
/// =XX becomes the byte, hard line breaks stay CRLF.
func decodeQuotedPrintable(_ encoded: String) -> [UInt8] {
    var output: [UInt8] = []
    let lines = encoded.components(separatedBy: "\r\n")
    for (index, line) in lines.enumerated() {
        var bytes = Array(line.utf8)
        var soft = false
        if bytes.last == UInt8(ascii: "=") {
            soft = true
            bytes.removeLast()
        }
        var position = 0
        while position < bytes.count {
            if bytes[position] == UInt8(ascii: "="), position + 2 < bytes.count {
                let hex = String(decoding: bytes[(position + 1)...(position + 2)], as: UTF8.self)
                output.append(UInt8(hex, radix: 16)!)
                position += 3
            } else {
                output.append(bytes[position])
                position += 1
            }
        }
        if !soft && index < lines.count - 1 { output += [0x0D, 0x0A] }
    }
    return output
}

final class MessageRenderingTests: XCTestCase {
    private let now = Fixture.timestamp("2026-12-03T08:00:00.000Z")

    private func render(
        client: ClientState = Fixture.client(), deadline: DeadlineState = Fixture.deadline("d1", due: "2026-02-15"),
        invoice: InvoiceState? = Fixture.invoice(), settings: SettingsState = Fixture.settings(),
        saved: [TemplateState] = [], slot: String = "2026-02-25", template: String = "default", storeID: String = "store-1",
        now: Timestamp? = nil
    ) throws -> ReminderMessage {
        let reminder = Fixture.reminder(deadline: deadline, client: client, slot: slot, template: template)
        return try ReminderMessage.render(
            reminder: reminder, deadline: deadline, client: client, invoice: invoice, settings: settings,
            catalog: TemplateCatalog(saved: saved), storeID: storeID, now: now ?? self.now)
    }

    private func mimeParts(_ message: ParsedMessage) throws -> [(headers: [String], body: String)] {
        let contentType = try XCTUnwrap(message["Content-Type"])
        let boundary = try XCTUnwrap(contentType.components(separatedBy: "boundary=\"").last?.dropLast())
        var chunks = message.body.components(separatedBy: "\r\n--\(boundary)")
        XCTAssertTrue(chunks.removeFirst().hasSuffix("MIME format.\r\n"))
        XCTAssertEqual(chunks.removeLast(), "--\r\n")
        return chunks.map { chunk in
            let parts = chunk.components(separatedBy: "\r\n\r\n")
            return (Array(parts[0].components(separatedBy: "\r\n").dropFirst()), parts.dropFirst().joined(separator: "\r\n\r\n"))
        }
    }

    // MARK: Shape

    func testHeadersParseBackAndEveryLineEndsInCRLF() throws {
        let message = try render()
        let bytes = message.outgoing.data
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0A { XCTAssertEqual(bytes[index - 1], 0x0D, "bare LF at \(index)") }
            if byte == 0x0D { XCTAssertEqual(bytes[index + 1], 0x0A, "bare CR at \(index)") }
        }
        XCTAssertEqual(Array(bytes.suffix(2)), [0x0D, 0x0A])

        let parsed = ParsedMessage(bytes)
        for line in parsed.headerLines { XCTAssertLessThanOrEqual(line.utf8.count, 78, line) }
        for name in ["Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type",
                     "X-Receivables-Deadline", "X-Receivables-Slot", "Auto-Submitted"] {
            XCTAssertEqual(parsed.count(of: name), 1, name)
        }
        XCTAssertEqual(parsed["Date"], "Thu, 03 Dec 2026 08:00:00 +0000")
        XCTAssertEqual(parsed["From"], "\"Bianchi & Figli S.p.A.\" <crediti@bianchi.example>")
        XCTAssertEqual(parsed["To"], "\"Rossi S.r.l.\" <amministrazione@rossi.example>")
        XCTAssertEqual(parsed["Subject"], "Sollecito di pagamento: fattura 2026/1 scaduta il 15/02/2026")
        XCTAssertEqual(parsed["Subject"], message.subject)
        XCTAssertEqual(parsed["Message-ID"], "<\(message.messageID)>")
        XCTAssertEqual(parsed["MIME-Version"], "1.0")
        XCTAssertTrue(parsed["Content-Type"]!.hasPrefix("multipart/alternative; boundary=\"=_receivables_"))
        XCTAssertEqual(parsed["X-Receivables-Deadline"], "d1")
        XCTAssertEqual(parsed["X-Receivables-Slot"], "2026-02-25")

        XCTAssertEqual(message.outgoing.from, "crediti@bianchi.example")
        XCTAssertEqual(message.outgoing.recipients, ["amministrazione@rossi.example"])

        let parts = try mimeParts(parsed)
        XCTAssertEqual(parts.map(\.headers), [
            ["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable"],
            ["Content-Type: text/html; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable"],
        ])
        for part in parts {
            for line in part.body.components(separatedBy: "\r\n") { XCTAssertLessThanOrEqual(line.utf8.count, 76, line) }
        }
        let plain = String(decoding: decodeQuotedPrintable(parts[0].body), as: UTF8.self)
        XCTAssertEqual(plain, message.content.text.replacingOccurrences(of: "\n", with: "\r\n"))
        XCTAssertTrue(plain.contains("1.220,50 €"))
        let html = String(decoding: decodeQuotedPrintable(parts[1].body), as: UTF8.self)
        XCTAssertEqual(html, message.content.html.replacingOccurrences(of: "\n", with: "\r\n"))
        XCTAssertTrue(html.contains("<a href=\"https://pay.example.com/p?d=d1&amp;a=1220.50\">"), html)
    }

    func testDateHeader() {
        let table: [(String, String)] = [
            ("2026-12-03T08:00:00.000Z", "Thu, 03 Dec 2026 08:00:00 +0000"),
            ("1970-01-01T00:00:00.000Z", "Thu, 01 Jan 1970 00:00:00 +0000"),
            ("2024-02-29T23:59:59.999Z", "Thu, 29 Feb 2024 23:59:59 +0000"),
            ("2026-03-29T01:30:00+02:00", "Sat, 28 Mar 2026 23:30:00 +0000"),
            ("1969-12-31T23:59:59.000Z", "Wed, 31 Dec 1969 23:59:59 +0000"),
            ("2026-06-07T12:00:00Z", "Sun, 07 Jun 2026 12:00:00 +0000"),
        ]
        for (instant, expected) in table {
            XCTAssertEqual(ReminderMessage.rfc5322Date(Fixture.timestamp(instant)), expected)
        }
    }

    // MARK: Encoded words and folding

    func testNonASCIISubjectIsEncodedAsRFC2047Words() throws {
        let subject = "Promemoria: fattura {{invoice.number}} — scadenza"
        let saved = [TemplateState(template: "plain", locale: .it, kind: nil, subject: subject, body: "Testo.\n")]
        let message = try render(saved: saved, template: "plain")
        XCTAssertEqual(message.subject, "Promemoria: fattura 2026/1 — scadenza")
        XCTAssertEqual(message.content.template, "plain")
        let parsed = ParsedMessage(message.outgoing.data)
        let header = try XCTUnwrap(parsed["Subject"])
        XCTAssertTrue(header.hasPrefix("=?UTF-8?B?"), header)
        XCTAssertEqual(decodeEncodedWords(header), "Promemoria: fattura 2026/1 — scadenza")
        for line in parsed.headerLines { XCTAssertLessThanOrEqual(line.utf8.count, 78) }
    }

    func testLongSubjectsAreFolded() throws {
        let ascii = String(repeating: "Promemoria importante ", count: 8) + "{{invoice.number}}"
        let accented = String(repeating: "Però è già scaduta — ", count: 8) + "{{invoice.number}}"
        for subject in [ascii, accented] {
            let saved = [TemplateState(template: "long", locale: .it, kind: nil, subject: subject, body: "Testo.")]
            let message = try render(saved: saved, template: "long")
            let parsed = ParsedMessage(message.outgoing.data)
            let subjectLines = parsed.headerLines.drop { !$0.hasPrefix("Subject:") }.prefix { !$0.hasPrefix("Message-ID:") }
            XCTAssertGreaterThan(subjectLines.count, 1)
            for line in subjectLines { XCTAssertLessThanOrEqual(line.utf8.count, 78, line) }
            XCTAssertEqual(decodeEncodedWords(parsed["Subject"]!), message.subject)
        }
        // The longest id goes to a continuation line of its own.
        let deadline = Fixture.deadline(String(repeating: "x", count: 64), due: "2026-02-15")
        let parsed = ParsedMessage(try render(deadline: deadline).outgoing.data)
        for line in parsed.headerLines { XCTAssertLessThanOrEqual(line.utf8.count, 78, line) }
        XCTAssertTrue(parsed.headerLines.contains("X-Receivables-Deadline:"))
        XCTAssertEqual(parsed["X-Receivables-Deadline"], deadline.id)
        // A word too long for any line is encoded, so that it can be cut.
        let long = String(repeating: "y", count: 100)
        let header = MailHeader.unstructured(name: "Subject", value: "a " + long)
        let lines = header.components(separatedBy: "\r\n")
        XCTAssertGreaterThan(lines.count, 1)
        for line in lines { XCTAssertLessThanOrEqual(line.utf8.count, 78, line) }
        XCTAssertEqual(decodeEncodedWords(ParsedMessage(Array((header + "\r\n\r\n").utf8))["Subject"]!), "a " + long)
    }

    func testNonASCIINamesAreEncodedAndQuotesEscaped() throws {
        var settings = Fixture.settings()
        settings.company = "Società \"Bianchi\" \\ Figli"
        let client = Fixture.client(name: "Müller GmbH")
        let parsed = ParsedMessage(try render(client: client, settings: settings).outgoing.data)
        let from = try XCTUnwrap(parsed["From"])
        XCTAssertTrue(from.hasPrefix("=?UTF-8?B?"), from)
        XCTAssertTrue(from.hasSuffix(" <crediti@bianchi.example>"))
        XCTAssertEqual(decodeEncodedWords(String(from.dropLast(" <crediti@bianchi.example>".count))), settings.company)
        let to = try XCTUnwrap(parsed["To"])
        XCTAssertEqual(decodeEncodedWords(String(to.dropLast(" <amministrazione@rossi.example>".count))), "Müller GmbH")

        settings.company = "Bianchi \"Il Forno\" \\ Figli"
        XCTAssertEqual(ParsedMessage(try render(settings: settings).outgoing.data)["From"],
                       "\"Bianchi \\\"Il Forno\\\" \\\\ Figli\" <crediti@bianchi.example>")
        settings.company = nil
        XCTAssertEqual(ParsedMessage(try render(settings: settings).outgoing.data)["From"], "crediti@bianchi.example")
    }

    // MARK: Quoted-printable

    func testQuotedPrintableRoundTrip() {
        let samples = [
            "",
            "plain ascii",
            "Gentile cliente,\n\nl'importo è di 1.234,56 € — grazie.\n",
            String(repeating: "a", count: 200),
            String(repeating: "é", count: 100),
            String(repeating: "abc= ", count: 40),
            "trailing space \ntrailing tab\t\nlast line with space ",
            "windows\r\nline\rends\n",
            ".\n.leading dot\nFrom the start\nFrom\n",
            String(repeating: "x", count: 75) + "é" + String(repeating: "y", count: 74) + " ",
            "\u{0}\u{1}控制 ☃ 🙂",
        ]
        for sample in samples {
            let encoded = QuotedPrintable.encode(sample)
            let lines = encoded.components(separatedBy: "\r\n")
            for line in lines {
                XCTAssertLessThanOrEqual(line.utf8.count, 76, line)
                XCTAssertFalse(line.hasSuffix(" ") || line.hasSuffix("\t"), "white space at the end of \(line)")
                XCTAssertTrue(line.utf8.allSatisfy { $0 == 0x09 || (0x20...0x7E).contains($0) }, line)
                XCTAssertFalse(line.hasPrefix("From "))
                XCTAssertNotEqual(line, ".")
            }
            XCTAssertFalse(encoded.contains("\n") && encoded.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
            var normalized = sample.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            normalized = normalized.replacingOccurrences(of: "\n", with: "\r\n")
            XCTAssertEqual(decodeQuotedPrintable(encoded), Array(normalized.utf8), sample)
        }
        XCTAssertEqual(QuotedPrintable.encode("a=b é\n"), "a=3Db =C3=A9\r\n")
    }

    // MARK: HTML

    func testHTMLEscapesEveryValue() throws {
        let client = Fixture.client(name: "<script>alert(\"x\")</script> & Co")
        let message = try render(client: client)
        let html = message.content.html
        XCTAssertFalse(html.contains("<script>"), html)
        XCTAssertTrue(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co"), html)
        XCTAssertTrue(html.contains("Bianchi &amp; Figli S.p.A."))
        XCTAssertEqual(ReminderMessage.htmlEscaped("& < > \" '"), "&amp; &lt; &gt; &quot; &#39;")
        // The plain part shows the name as it is.
        XCTAssertTrue(message.content.text.contains("<script>alert(\"x\")</script> & Co"))
        // And the To header quotes it.
        XCTAssertEqual(ParsedMessage(message.outgoing.data)["To"],
                       "\"<script>alert(\\\"x\\\")</script> & Co\" <amministrazione@rossi.example>")

        // Template text is escaped too, not only values.
        let saved = [TemplateState(template: "raw", locale: .it, kind: nil, subject: "S",
                                   body: "<b>{{client.name}}</b> 'x'\n\nLink: {{payment.link}}")]
        let raw = try render(client: Fixture.client(name: "A&B"), saved: saved, template: "raw").content.html
        XCTAssertTrue(raw.contains("<p>&lt;b&gt;A&amp;B&lt;/b&gt; &#39;x&#39;</p>"), raw)
        XCTAssertTrue(raw.contains("<p>Link: <a href=\"https://pay.example.com/p?d=d1&amp;a=1220.50\">"
                                   + "https://pay.example.com/p?d=d1&amp;a=1220.50</a></p>"), raw)
    }

    // MARK: Header injection

    func testLineBreaksInHeaderValuesAreRejected() throws {
        let cases: [(label: String, field: String, make: () throws -> ReminderMessage)] = [
            ("client name", "To", { try self.render(client: Fixture.client(name: "Rossi\r\nBcc: victim@example.com")) }),
            ("client name LF", "To", { try self.render(client: Fixture.client(name: "Rossi\nBcc: victim@example.com")) }),
            ("address", "To", { try self.render(client: Fixture.client(email: "a@rossi.example\r\nBcc: victim@example.com")) }),
            ("subject", "Subject", {
                try self.render(invoice: Fixture.invoice(number: "2026/1\r\nBcc: victim@example.com"))
            }),
            ("saved subject", "Subject", {
                try self.render(saved: [TemplateState(template: "t", locale: .it, kind: nil, subject: "Hi\nBcc: x@y.example",
                                                      body: "b")], template: "t")
            }),
            ("company", "From", {
                var settings = Fixture.settings()
                settings.company = "Bianchi\rBcc: victim@example.com"
                return try self.render(settings: settings)
            }),
            ("sender", "From", {
                var settings = Fixture.settings()
                settings.sender = "crediti@bianchi.example\nBcc: victim@example.com"
                return try self.render(settings: settings)
            }),
        ]
        for testCase in cases {
            XCTAssertThrowsError(try testCase.make(), testCase.label) { error in
                XCTAssertEqual(error as? ReminderMessageError, .headerInjection(field: testCase.field), testCase.label)
            }
        }
        // Not a line break, but not an address either.
        XCTAssertThrowsError(try render(client: Fixture.client(email: "a@rossi.example>, victim@example.com"))) { error in
            XCTAssertEqual(error as? ReminderMessageError,
                           .invalidAddress(field: "To", address: "a@rossi.example>, victim@example.com"))
        }
    }

    func testMissingAddresses() {
        var settings = Fixture.settings()
        settings.sender = nil
        XCTAssertThrowsError(try render(settings: settings)) { XCTAssertEqual($0 as? ReminderMessageError, .noSender) }
        XCTAssertThrowsError(try render(client: Fixture.client(email: nil))) {
            XCTAssertEqual($0 as? ReminderMessageError, .noRecipient(client: "c1"))
        }
    }

    // MARK: Message-ID

    func testMessageIDIsDeterministic() throws {
        let first = try render()
        let again = try render()
        XCTAssertEqual(first.messageID, again.messageID)
        XCTAssertEqual(first.outgoing.data, again.outgoing.data)
        // Another run at another time: same id, so a resent message is recognised.
        XCTAssertEqual(try render(now: Fixture.timestamp("2026-12-04T09:00:00Z")).messageID, first.messageID)
        // The id stands for (store, deadline, slot).
        XCTAssertNotEqual(try render(slot: "2026-03-04").messageID, first.messageID)
        XCTAssertNotEqual(try render(storeID: "store-2").messageID, first.messageID)
        XCTAssertNotEqual(try render(deadline: Fixture.deadline("d2", due: "2026-02-15")).messageID, first.messageID)

        let digest = Digest.sha256(Array("store-1\u{0}d1\u{0}2026-02-25".utf8)).hex
        XCTAssertEqual(first.messageID, String(digest.prefix(32)) + "@receivables")
        XCTAssertEqual(ReminderMessage.messageID(storeID: "store-1", deadline: "d1", slot: Fixture.day("2026-02-25")),
                       first.messageID)
        XCTAssertNotNil(first.messageID.range(of: "^[0-9a-f]{32}@receivables$", options: .regularExpression))
    }

    // MARK: Values

    func testPlaceholderValues() {
        var deadline = Fixture.deadline("D 1/é", due: "2026-02-15", amount: "1234.56")
        deadline.paid = Fixture.money("14.06")
        let client = Fixture.client()
        let reminder = Fixture.reminder(deadline: deadline, client: client, slot: "2026-02-10")
        let italian = ReminderMessage.placeholderValues(reminder: reminder, deadline: deadline, client: client,
                                                        invoice: Fixture.invoice(), settings: Fixture.settings())
        XCTAssertEqual(italian[.deadlineAmount], "1.234,56 €")
        XCTAssertEqual(italian[.deadlineOutstanding], "1.220,50 €")
        XCTAssertEqual(italian[.deadlineDue], "15/02/2026")
        XCTAssertEqual(italian[.deadlineDaysToDue], "5")
        XCTAssertEqual(italian[.deadlineDaysOverdue], "0")
        XCTAssertEqual(italian[.invoiceNumber], "2026/1")
        XCTAssertEqual(italian[.deadlineId], "D 1/é")
        XCTAssertEqual(italian[.paymentLink], "https://pay.example.com/p?d=D%201%2F%C3%A9&a=1220.50")
        XCTAssertEqual(italian[.bankIBAN], "IT60X0542811101000000123456")
        XCTAssertEqual(italian[.companyName], "Bianchi & Figli S.p.A.")
        XCTAssertEqual(italian[.clientName], "Rossi S.r.l.")
        XCTAssertEqual(Set(italian.keys), Set(TemplateText.Placeholder.allCases))

        let english = Fixture.client(locale: .en)
        let late = Fixture.reminder(deadline: deadline, client: english, slot: "2026-03-01")
        let values = ReminderMessage.placeholderValues(reminder: late, deadline: deadline, client: english,
                                                       invoice: Fixture.invoice(number: nil), settings: Fixture.settings())
        XCTAssertEqual(values[.deadlineAmount], "€1,234.56")
        XCTAssertEqual(values[.deadlineDue], "2026-02-15")
        XCTAssertEqual(values[.deadlineDaysOverdue], "14")
        XCTAssertEqual(values[.deadlineDaysToDue], "-14")
        // No number: the invoice id; a free deadline: the deadline id.
        XCTAssertEqual(values[.invoiceNumber], "inv1")
        let free = Fixture.deadline("free-7", invoice: nil, due: "2026-02-15")
        XCTAssertEqual(ReminderMessage.placeholderValues(reminder: late, deadline: free, client: english, invoice: nil,
                                                         settings: Fixture.settings())[.invoiceNumber], "free-7")
        var noLink = Fixture.settings()
        noLink.paymentLink = nil
        XCTAssertEqual(ReminderMessage.placeholderValues(reminder: late, deadline: free, client: english, invoice: nil,
                                                         settings: noLink)[.paymentLink], "")
    }

    // MARK: An independent reader

    func testPythonsEmailPackageReadsTheMessage() throws {
        var settings = Fixture.settings()
        settings.company = "Società Bianchi & Figli"
        let client = Fixture.client(name: "<script>alert(\"x\")</script> & Co")
        let saved = [TemplateState(template: "plain", locale: .it, kind: .overdue,
                                   subject: "Promemoria: fattura {{invoice.number}} — scadenza",
                                   body: "Spett.le {{client.name}},\n\nimporto: {{deadline.outstanding}}.\n"
                                       + String(repeating: "Una riga lunga, molto lunga. ", count: 6) + "\n")]
        let message = try render(client: client, settings: settings, saved: saved, template: "plain")

        let script = """
            import email, email.policy, json, sys
            m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
            defects = [str(d) for part in m.walk() for d in part.defects]
            to = m["to"].addresses[0]
            sender = m["from"].addresses[0]
            print(json.dumps({
                "subject": str(m["subject"]),
                "toName": to.display_name, "toAddress": to.addr_spec,
                "fromName": sender.display_name, "fromAddress": sender.addr_spec,
                "messageID": str(m["message-id"]),
                "date": m["date"].datetime.isoformat(),
                "deadline": str(m["x-receivables-deadline"]),
                "plain": m.get_body(preferencelist=("plain",)).get_content(),
                "html": m.get_body(preferencelist=("html",)).get_content(),
                "defects": defects,
            }))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(message.outgoing.data))
        try input.fileHandleForWriting.close()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "python3 failed (is it installed?): \(errorText)")
        guard process.terminationStatus == 0 else { return }

        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: answer) as? [String: Any])
        XCTAssertEqual(parsed["subject"] as? String, "Promemoria: fattura 2026/1 — scadenza")
        XCTAssertEqual(parsed["toName"] as? String, "<script>alert(\"x\")</script> & Co")
        XCTAssertEqual(parsed["toAddress"] as? String, "amministrazione@rossi.example")
        XCTAssertEqual(parsed["fromName"] as? String, "Società Bianchi & Figli")
        XCTAssertEqual(parsed["fromAddress"] as? String, "crediti@bianchi.example")
        XCTAssertEqual(parsed["messageID"] as? String, "<\(message.messageID)>")
        XCTAssertEqual(parsed["date"] as? String, "2026-12-03T08:00:00+00:00")
        XCTAssertEqual(parsed["deadline"] as? String, "d1")
        let plain = (parsed["plain"] as? String)?.replacingOccurrences(of: "\r\n", with: "\n")
        XCTAssertEqual(plain, message.content.text)
        let html = (parsed["html"] as? String)?.replacingOccurrences(of: "\r\n", with: "\n")
        XCTAssertEqual(html, message.content.html)
        XCTAssertEqual((parsed["defects"] as? [String]) ?? ["missing"], [])
    }
}
