import EventLog
import Foundation
import XCTest

/// Forgeries beyond a single flipped byte (ChainTests): records deleted, swapped, re-timed, a
/// chain tail recomputed so that it is consistent in itself, read models and documents edited
/// behind the engine's back. `verify` must fail and name the first bad seq, entry or document.
/// Then the store's files are owner-only whatever the umask, and no output lets input text
/// become markup, a formula or a header.
final class ForgeryTests: XCTestCase {
    // MARK: Stores

    /// Ten keyed client registrations, two per append at five different times, so that
    /// recordedAt differs along the log.
    func makeChainStore() throws -> CommandHarness {
        let harness = try CommandHarness()
        assertExit(try harness.run(["init"]), 0)
        for batch in 0..<5 {
            let lines = (1...2).map { offset -> String in
                let number = batch * 2 + offset
                return #"{"type":"ClientRegistered","data":{"client":"C\#(number)","name":"Client \#(number)"},"key":"k\#(number)","meta":{"actor":"anna"}}"#
            }
            let now = "2026-01-15T09:0\(batch):00.000Z"
            assertExit(try harness.run(["append", "-", "--now", now], input: lines.joined(separator: "\n")), 0)
        }
        assertExit(try harness.run(["verify"]), 0)
        return harness
    }

    /// The golden scenario: clients with exposure, limits, payments.
    func makeScenarioStore() throws -> CommandHarness {
        let harness = try CommandHarness()
        assertExit(try harness.run(["init"]), 0)
        let scenario = CommandHarness.packageRoot.appendingPathComponent("Fixtures/golden/scenario.jsonl").path
        assertExit(try harness.run(["append", scenario, "--now", "2026-03-01T09:00:00.000Z"]), 0)
        assertExit(try harness.run(["verify"]), 0)
        return harness
    }

    /// Runs `verify`, expects it to fail, and answers its JSON answer and its error line.
    func failedVerify(_ harness: CommandHarness, file: StaticString = #filePath, line: UInt = #line) throws -> (seq: Int?, problem: String, error: String) {
        let result = try harness.run(["verify", "--format", "json"])
        XCTAssertEqual(result.exitCode, 1, "verify must fail: \(result.standardOutput) \(result.standardError)", file: file, line: line)
        XCTAssertEqual(result.jsonObject["ok"] as? Bool, false, file: file, line: line)
        XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, result.standardError, file: file, line: line)
        XCTAssertTrue(result.standardError.hasPrefix("error: verify failed: "), result.standardError, file: file, line: line)
        return (result.jsonObject["seq"] as? Int, result.jsonObject["problem"] as? String ?? "", result.standardError)
    }

    func assertVerifyNames(_ harness: CommandHarness, seq: Int, _ reasonFragment: String,
                           file: StaticString = #filePath, line: UInt = #line) throws {
        let outcome = try failedVerify(harness, file: file, line: line)
        XCTAssertEqual(outcome.seq, seq, outcome.error, file: file, line: line)
        XCTAssertTrue(outcome.error.hasPrefix("error: verify failed: seq \(seq): "), outcome.error, file: file, line: line)
        XCTAssertTrue(outcome.problem.contains(reasonFragment), "\(outcome.problem) should say \(reasonFragment)", file: file, line: line)
    }

    // MARK: The log

    func testADeletedLastEventIsCaughtAtItsSeq() throws {
        let harness = try makeChainStore()
        try StoreSurgery.withDatabase(harness.storePath, "log") { transaction, log in
            XCTAssertTrue(try transaction.delete(log, StoreSurgery.seqKey(10)))
        }
        // The log is a valid chain of nine; only the head still knows there were ten.
        try assertVerifyNames(harness, seq: 10, "the log head says seq 10 but the log ends at seq 9")
    }

    func testADeletedFirstEventIsCaughtAtItsSeq() throws {
        let harness = try makeChainStore()
        try StoreSurgery.withDatabase(harness.storePath, "log") { transaction, log in
            XCTAssertTrue(try transaction.delete(log, StoreSurgery.seqKey(1)))
        }
        try assertVerifyNames(harness, seq: 1, "missing")
    }

    func testTwoDistantSwappedEventsAreCaughtAtTheFirst() throws {
        let harness = try makeChainStore()
        try StoreSurgery.withDatabase(harness.storePath, "log") { transaction, log in
            let three = try XCTUnwrap(try transaction.get(log, StoreSurgery.seqKey(3)))
            let eight = try XCTUnwrap(try transaction.get(log, StoreSurgery.seqKey(8)))
            try transaction.put(log, StoreSurgery.seqKey(3), eight)
            try transaction.put(log, StoreSurgery.seqKey(8), three)
        }
        try assertVerifyNames(harness, seq: 3, "prev does not match")
    }

    /// recordedAt is sealed by the hash: moving it by one millisecond, forward (still in order)
    /// or back before the record before it, is caught at that record.
    func testAChangedRecordedAtIsCaughtAtItsSeq() throws {
        for delta: Int64 in [1, -60_001] {
            let harness = try makeChainStore()
            try ForgeryKit.rewrite(harness.storePath, seq: 6) { record in record.recordedAt += delta }
            try assertVerifyNames(harness, seq: 6, "the hash does not match the record's content")
        }
    }

    /// The forger changes record 5's data and recomputes the hashes of 5...10, so the chain is
    /// consistent in itself. Without the head rewritten too, the head's hash gives it away;
    /// with the head rewritten, the read models (folded when the data was true) do.
    func testARecomputedChainTailIsCaught() throws {
        let harness = try makeChainStore()
        try ForgeryKit.rewrite(harness.storePath, seq: 5, recomputeThrough: 10) { record in
            record.data = Array(#"{"client":"C5","name":"Forged 5"}"#.utf8)
        }
        let chainOnly = try failedVerify(harness)
        // verify names seq 11 with "the log head says seq 10 but the log ends at seq 10": the
        // count agrees and the head's hash does not, which the message does not say.
        XCTAssertEqual(chainOnly.seq, 11, chainOnly.error)
        XCTAssertTrue(chainOnly.problem.contains("log head"), chainOnly.problem)

        try ForgeryKit.rewriteHead(harness.storePath)
        let withHead = try failedVerify(harness)
        XCTAssertNil(withHead.seq, withHead.error)
        XCTAssertTrue(withHead.problem.contains("client C5") && withHead.problem.contains("fresh fold"), withHead.problem)
        XCTAssertTrue(withHead.error.hasPrefix("error: verify failed: client C5 differs from a fresh fold of the log"), withHead.error)
    }

    // MARK: Read models and documents

    /// A client's exposure changed in the live state copy: named, and rebuilt back.
    func testAReadModelEditedBehindTheEnginesBackIsNamed() throws {
        let harness = try makeScenarioStore()
        let before = try harness.run(["client", "A", "--as-of", "2026-03-01", "--format", "json"]).standardOutput
        XCTAssertEqual(try harness.run(["client", "A", "--as-of", "2026-03-01", "--format", "json"]).jsonObject["exposure"] as? String, "6000.00")
        try ForgeryKit.editLiveState(harness.storePath, key: [UInt8(ascii: "c"), 0] + Array("A".utf8)) { value in
            // The client record ends with exposure, pending payments and on-account: three Int64.
            let offset = value.count - 24
            var exposure = value[offset..<(offset + 8)].withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }
            XCTAssertEqual(Int64(littleEndian: exposure), 600_000)
            exposure = (100_000 as Int64).littleEndian
            withUnsafeBytes(of: exposure) { value.replaceSubrange(offset..<(offset + 8), with: $0) }
        }
        XCTAssertEqual(try harness.run(["client", "A", "--as-of", "2026-03-01", "--format", "json"]).jsonObject["exposure"] as? String, "1000.00",
                       "the edit shows in the answers until the read models are rebuilt")
        let outcome = try failedVerify(harness)
        XCTAssertNil(outcome.seq)
        XCTAssertEqual(outcome.problem, "client A differs from a fresh fold of the log")
        assertExit(try harness.run(["rebuild"]), 0)
        assertExit(try harness.run(["verify"]), 0)
        XCTAssertEqual(try harness.run(["client", "A", "--as-of", "2026-03-01", "--format", "json"]).standardOutput, before)
    }

    /// An exposure change point added to the live copy (a read model entry the log never made).
    func testAnInventedReadModelEntryIsNamed() throws {
        let harness = try makeScenarioStore()
        try ForgeryKit.withLiveState(harness.storePath) { transaction, state in
            // Copy client A's last exposure point to a day the log has no event on.
            let cursor = try transaction.cursor(state)
            let prefix = [UInt8(ascii: "P"), 0] + Array("A".utf8) + [0]
            var entry = try cursor.seek(atOrAfter: prefix)
            var last: ([UInt8], [UInt8])?
            while let current = entry, current.key.starts(with: prefix) {
                last = ([UInt8](current.key), [UInt8](current.value))
                entry = try cursor.next()
            }
            let (key, value) = try XCTUnwrap(last)
            var invented = key
            invented[invented.count - 1] &+= 1
            try transaction.put(state, invented, value)
        }
        let outcome = try failedVerify(harness)
        XCTAssertNil(outcome.seq)
        XCTAssertTrue(outcome.problem.hasPrefix("read model exposure entry"), outcome.problem)
        XCTAssertTrue(outcome.problem.contains("is stored but a fresh fold of the log has no such entry"), outcome.problem)
    }

    /// A stored document replaced by other bytes of the same length is named by its SHA-256.
    func testAReplacedDocumentIsNamed() throws {
        let harness = try makeScenarioStore()
        let original = Array("%PDF-1.4 receipt of P2, the original".utf8)
        let path = harness.directory.appendingPathComponent("receipt.pdf")
        try Data(original).write(to: path)
        let attached = try harness.run(["attach", "P2", path.path])
        assertExit(attached, 0)
        let sha = try XCTUnwrap(attached.jsonObject["sha256"] as? String)
        try StoreSurgery.withDatabase(harness.storePath, "blobs") { transaction, blobs in
            var forged = original
            forged[forged.count - 1] = UInt8(ascii: "!")
            try transaction.put(blobs, try XCTUnwrap(Digest(hex: sha)).bytes, forged)
        }
        let outcome = try failedVerify(harness)
        XCTAssertNil(outcome.seq)
        XCTAssertEqual(outcome.problem, "document \(sha) does not match its SHA-256: it was changed")
    }

    // MARK: Owner-only files

    /// Whatever the umask, the store folder is 0700 and every file and folder in it (the outbox
    /// and its .eml files included) is owner-only; a restored store too.
    func testStoreFilesAreOwnerOnlyWhateverTheUmask() throws {
        let harness = try CommandHarness()
        let history = CommandHarness.packageRoot.appendingPathComponent("Fixtures/stores/v1/reminders.jsonl").path
        let scenario = CommandHarness.packageRoot.appendingPathComponent("Fixtures/golden/scenario.jsonl").path
        let pdf = CommandHarness.packageRoot.appendingPathComponent("Fixtures/stores/v1/tiny.pdf").path
        let store = harness.storePath
        let restored = harness.directory.appendingPathComponent("restored").path
        let export = harness.directory.appendingPathComponent("export.jsonl").path
        let executable = CommandHarness.executable.path
        let script = """
        set -e
        umask 000
        "$0" init --store "$1"
        "$0" append "$2" --store "$1" --now 2026-03-01T09:00:00.000Z
        "$0" attach P2 "$3" --store "$1" --now 2026-03-01T09:05:00.000Z
        "$0" append "$4" --store "$1" --now 2026-03-01T09:06:00.000Z
        "$0" remind --store "$1" --now 2026-03-01T09:10:00.000Z
        "$0" export --store "$1" > "$5"
        "$0" restore "$5" --store "$6"
        "$0" remind --store "$6" --now 2026-03-08T09:10:00.000Z || true
        """
        let result = try CommandHarness.runExecutable(URL(fileURLWithPath: "/bin/sh"),
                                                      arguments: ["-c", script, executable, store, scenario, pdf, history, export, restored])
        assertExit(result, 0)
        for root in [store, restored] {
            XCTAssertEqual(try mode(root), 0o700, root)
            var seen: [String] = []
            let enumerator = try XCTUnwrap(FileManager.default.enumerator(atPath: root))
            while let relative = enumerator.nextObject() as? String {
                let path = root + "/" + relative
                seen.append(relative)
                var status = stat()
                XCTAssertEqual(lstat(path, &status), 0)
                if (status.st_mode & S_IFMT) == S_IFDIR {
                    XCTAssertEqual(Int(status.st_mode & 0o777), 0o700, "\(path) is a folder of the store")
                } else {
                    XCTAssertEqual(Int(status.st_mode & 0o777), 0o600, "\(path) is a file of the store")
                }
            }
            XCTAssertTrue(seen.contains("data.mdb") && seen.contains("lock.mdb"), "\(seen)")
            XCTAssertTrue(seen.contains("outbox"), "\(root): remind writes its .eml files to the outbox: \(seen)")
            XCTAssertTrue(seen.contains { $0.hasPrefix("outbox/") && $0.hasSuffix(".eml") }, "\(seen)")
        }
    }

    func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    // MARK: Input text never becomes markup, a formula or a header

    static let hostileName = #"\"><img src=x onerror=alert(1)></style><script>alert(2)</script> =1+1"#
    static let hostileText = #"\t=1+1\r\n=HYPERLINK(\"http://evil.example\"),\"x\"\nATTACH:http://evil.example/a\r\nBEGIN:VALARM\u2028@SUM(A1)"#

    func makeHostileStore() throws -> CommandHarness {
        let harness = try CommandHarness()
        assertExit(try harness.run(["init"]), 0)
        let lines = """
        {"type":"SettingsChanged","data":{"company":"Officina <b>Prova</b> & \\"Figli\\"","iban":"IT60X0542811101000000123456","sender":"amm@prova.example","timezone":"Europe/Rome","currency":"EUR","reminder":{"leadDays":5,"everyDays":7,"template":"default"}},"effective":"2026-01-01"}
        {"type":"ClientRegistered","data":{"client":"H","name":"\(Self.hostileName)","email":"h@evil.example","locale":"en"},"effective":"2026-01-01"}
        {"type":"ClientRegistered","data":{"client":"K","name":"Kappa","email":"k@kappa.example"},"effective":"2026-01-01"}
        {"type":"CreditLimitSet","data":{"client":"H","limit":"50.00"},"effective":"2026-01-01"}
        {"type":"InvoiceIssued","data":{"invoice":"F1","client":"H","issued":"2026-01-10","amount":"100.00","number":"<i>1</i>","description":"\(Self.hostileText)"}}
        {"type":"DeadlineSet","data":{"deadline":"F1-1","client":"H","invoice":"F1","due":"2026-02-12","amount":"100.00","description":"\(Self.hostileText)"},"effective":"2026-01-10"}
        {"type":"InvoiceIssued","data":{"invoice":"F2","client":"K","issued":"2026-01-10","amount":"50.00","number":"2\\r\\nBcc: victim@evil.example"}}
        {"type":"DeadlineSet","data":{"deadline":"F2-1","client":"K","invoice":"F2","due":"2026-02-12","amount":"50.00","description":"-2+3"},"effective":"2026-01-10"}
        """
        assertExit(try harness.run(["append", "-", "--now", "2026-02-01T09:00:00.000Z"], input: lines), 0)
        return harness
    }

    /// A CR or LF reaches no header: a client name with one is refused at the door, and a
    /// reminder whose subject or sender would hold one is refused, never written; the messages
    /// that are written parse with exactly the headers the program writes, and their HTML part
    /// shows the hostile name as text.
    func testNoLineBreakBecomesAnEmailHeader() throws {
        let harness = try makeHostileStore()
        let refused = try harness.run(["append", "-"], input: #"{"type":"ClientRegistered","data":{"client":"X","name":"Evil\r\nBcc: victim@evil.example","email":"x@evil.example"}}"#)
        assertExit(refused, 1)
        XCTAssertTrue(refused.standardError.contains("invalidName"), refused.standardError)
        let email = try harness.run(["append", "-"], input: #"{"type":"ClientUpdated","data":{"client":"K","email":"k@kappa.example\r\nBcc: victim@evil.example"}}"#)
        assertExit(email, 1)

        let sent = try harness.run(["remind", "--now", "2026-02-10T08:00:00.000Z", "--format", "json"])
        let items = try XCTUnwrap(sent.jsonObject["reminders"] as? [[String: Any]], sent.standardOutput)
        let byDeadline = Dictionary(uniqueKeysWithValues: items.compactMap { item in (item["deadline"] as? String).map { ($0, item) } })
        XCTAssertEqual(byDeadline["F2-1"]?["status"] as? String, "failed", "the subject would hold the invoice number's line break")
        XCTAssertTrue((byDeadline["F2-1"]?["error"] as? String ?? "").contains("Subject header would hold a line break"), "\(items)")
        XCTAssertEqual(byDeadline["F1-1"]?["status"] as? String, "sent", "\(items)")
        assertExit(sent, 1)

        let outbox = harness.storePath + "/outbox"
        let files = try FileManager.default.contentsOfDirectory(atPath: outbox).filter { $0.hasSuffix(".eml") }
        XCTAssertEqual(files.count, 1)
        let script = """
        import email, email.policy, json, sys
        message = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
        raw = open(sys.argv[1], 'rb').read().decode('utf-8')
        head = raw.split('\\r\\n\\r\\n', 1)[0]
        names = [line.split(':', 1)[0] for line in head.split('\\r\\n') if line and not line[0].isspace()]
        html = [part.get_content() for part in message.walk() if part.get_content_type() == 'text/html']
        text = [part.get_content() for part in message.walk() if part.get_content_type() == 'text/plain']
        print(json.dumps({'names': names, 'to': str(message['To']), 'from': str(message['From']),
                          'subject': str(message['Subject']), 'html': html, 'text': text,
                          'bareLF': '\\n' in raw.replace('\\r\\n', '')}))
        """
        let parsed = try CommandHarness.runExecutable(URL(fileURLWithPath: "/usr/bin/env"),
                                                      arguments: ["python3", "-c", script, outbox + "/" + files[0]])
        XCTAssertEqual(parsed.exitCode, 0, parsed.standardError)
        let message = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(parsed.standardOutput.utf8)) as? [String: Any])
        XCTAssertEqual(message["names"] as? [String], ["Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type",
                                                      "X-Receivables-Deadline", "X-Receivables-Slot", "Auto-Submitted"])
        XCTAssertEqual(message["bareLF"] as? Bool, false, "every line of the message ends in CR LF")
        XCTAssertTrue((message["to"] as? String ?? "").contains("<img src=x"), "the name is the display name, as text: \(message)")
        XCTAssertTrue((message["to"] as? String ?? "").hasSuffix("<h@evil.example>"), "\(message)")
        XCTAssertTrue((message["from"] as? String ?? "").hasSuffix("<amm@prova.example>"), "\(message)")
        let html = (message["html"] as? [String] ?? []).joined()
        XCTAssertFalse(html.isEmpty)
        XCTAssertFalse(html.contains("<img") || html.contains("<script") || html.contains("<b>") || html.contains("<i>"), html)
        XCTAssertTrue(html.contains("&lt;img src=x"), html)
    }

    /// The dashboard and the SVG chart: every value is text, whatever it holds.
    func testNoInputBecomesHTMLOrSVGMarkup() throws {
        let harness = try makeHostileStore()
        let out = harness.directory.appendingPathComponent("dashboard").path
        assertExit(try harness.run(["report", "--out", out, "--as-of", "2026-02-20"]), 0)
        let pages = try XCTUnwrap(FileManager.default.subpathsOfDirectory(atPath: out).filter { $0.hasSuffix(".html") })
        XCTAssertTrue(pages.contains { $0.hasPrefix("clients/h-") }, "a page for client H: \(pages)")
        var sawName = false
        for page in pages {
            let html = try String(contentsOfFile: out + "/" + page, encoding: .utf8)
            for forbidden in ["<img", "<script", "<b>", "<i>", "</style><", "\" onerror"] {
                XCTAssertFalse(html.contains(forbidden), "\(page) holds \(forbidden)")
            }
            XCTAssertEqual(html.components(separatedBy: "<style").count - 1, 1, "\(page): one inline style sheet, no other")
            if html.contains("&lt;img src=x onerror=alert(1)&gt;") { sawName = true }
        }
        XCTAssertTrue(sawName, "the hostile name is shown, as text, somewhere")
        let svg = try harness.run(["exposure", "H", "--from", "2026-01-01", "--to", "2026-03-31", "--step", "week", "--format", "svg"])
        assertExit(svg, 0)
        for forbidden in ["<img", "<script", "<i>", "\" onerror"] { XCTAssertFalse(svg.standardOutput.contains(forbidden), "SVG holds \(forbidden)") }
    }

    /// iCalendar: a line break in a text becomes the TEXT escape "\n", so no input starts a
    /// property or a component of its own.
    func testNoInputBecomesAnICalendarProperty() throws {
        let harness = try makeHostileStore()
        let ics = try harness.run(["calendar", "--from", "2026-02-01", "--to", "2026-02-28", "--as-of", "2026-02-10",
                                   "--format", "ics", "--now", "2026-02-10T08:00:00.000Z"])
        assertExit(ics, 0)
        XCTAssertTrue(ics.standardOutput.hasSuffix("\r\n"))
        let physical = ics.standardOutput.dropLast(2).components(separatedBy: "\r\n")
        XCTAssertFalse(physical.contains { $0.contains("\r") || $0.contains("\n") }, "no bare CR or LF")
        // Unfold (RFC 5545 3.1) and look at the property names.
        var logical: [String] = []
        for line in physical {
            if line.hasPrefix(" ") || line.hasPrefix("\t"), !logical.isEmpty { logical[logical.count - 1] += line.dropFirst() } else { logical.append(line) }
        }
        let allowed: Set<String> = ["BEGIN", "END", "VERSION", "PRODID", "CALSCALE", "METHOD", "X-WR-CALNAME", "X-WR-CALDESC",
                                    "REFRESH-INTERVAL", "X-PUBLISHED-TTL", "UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY",
                                    "DESCRIPTION", "STATUS", "CATEGORIES", "TRANSP", "URL", "LAST-MODIFIED", "SEQUENCE"]
        for line in logical {
            let name = String(line.prefix { $0 != ":" && $0 != ";" })
            XCTAssertTrue(allowed.contains(name), "an input made the property \(name): \(line)")
        }
        XCTAssertEqual(logical.filter { $0 == "BEGIN:VEVENT" }.count, 2)
        XCTAssertFalse(logical.contains { $0.hasPrefix("BEGIN:VALARM") || $0.hasPrefix("ATTACH") })
        XCTAssertTrue(logical.contains { $0.hasPrefix("DESCRIPTION:") && $0.contains("\\nATTACH:http://evil.example/a") }, "the text is kept, escaped")
    }

    /// CSV: cells that a spreadsheet would run (= + - @, and a leading tab or CR) start with an
    /// apostrophe; line breaks stay inside their quoted cell, so the rows are the deadlines.
    func testNoInputBecomesACSVFormulaOrRow() throws {
        let harness = try makeHostileStore()
        let csv = try harness.run(["calendar", "--from", "2026-02-01", "--to", "2026-02-28", "--as-of", "2026-02-10", "--format", "csv"])
        assertExit(csv, 0)
        let script = """
        import csv, io, json, sys
        rows = list(csv.reader(io.StringIO(sys.stdin.read(), newline='')))
        print(json.dumps(rows))
        """
        let parsed = try CommandHarness.runExecutable(URL(fileURLWithPath: "/usr/bin/env"), arguments: ["python3", "-c", script],
                                                      input: Data(csv.standardOutput.utf8))
        XCTAssertEqual(parsed.exitCode, 0, parsed.standardError)
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(parsed.standardOutput.utf8)) as? [[String]])
        XCTAssertEqual(rows.count, 3, "a header and one row per deadline: \(rows)")
        let header = try XCTUnwrap(rows.first)
        let amountColumns = Set(["amount", "outstanding", "reminders"].compactMap { header.firstIndex(of: $0) })
        for row in rows.dropFirst() {
            XCTAssertEqual(row.count, header.count, "\(row)")
            for (index, cell) in row.enumerated() where !amountColumns.contains(index) {
                if let first = cell.unicodeScalars.first {
                    XCTAssertFalse("=+-@\t\r".unicodeScalars.contains(first), "column \(header[index]) starts a formula: \(cell)")
                }
            }
        }
        let hostile = try XCTUnwrap(rows.first { $0.contains("F1-1") })
        let nameCell = hostile[try XCTUnwrap(header.firstIndex(of: "clientName"))]
        XCTAssertEqual(nameCell, #"\"><img src=x onerror=alert(1)></style><script>alert(2)</script> =1+1"#.replacingOccurrences(of: "\\\"", with: "\""))
        let description = hostile[try XCTUnwrap(header.firstIndex(of: "description"))]
        XCTAssertTrue(description.hasPrefix("'\t=1+1"), description)
        XCTAssertTrue(description.contains("\nATTACH:http://evil.example/a"), "the text is kept inside its cell: \(description)")
        let other = try XCTUnwrap(rows.first { $0.contains("F2-1") })
        XCTAssertEqual(other[try XCTUnwrap(header.firstIndex(of: "description"))], "'-2+3")
    }
}

/// Changes a store behind the program's back with a separate LMDB handle, using the record
/// layout documented in Record.swift (RecordCodec) rather than the program's own codec.
enum ForgeryKit {
    /// A stored record, field by field.
    struct RawRecord {
        var format: UInt8
        var schemaVersion: UInt16
        var recordedAt: Int64
        var streamVersion: UInt64
        var prev: [UInt8]
        var hash: [UInt8]
        var stream: [UInt8]
        var type: [UInt8]
        var effective: [UInt8]
        var key: [UInt8]?
        var meta: [UInt8]?
        var data: [UInt8]

        init(_ bytes: [UInt8]) throws {
            var offset = 0
            func take(_ count: Int) throws -> [UInt8] {
                guard count >= 0, offset + count <= bytes.count else { throw NSError(domain: "RawRecord", code: 1) }
                defer { offset += count }
                return Array(bytes[offset..<(offset + count)])
            }
            func integer<T: FixedWidthInteger>(_: T.Type) throws -> T {
                let raw = try take(MemoryLayout<T>.size)
                return T(littleEndian: raw.withUnsafeBytes { $0.loadUnaligned(as: T.self) })
            }
            func text() throws -> [UInt8] { try take(Int(try integer(UInt32.self))) }
            func optional() throws -> [UInt8]? {
                let length = try integer(UInt32.self)
                return length == .max ? nil : try take(Int(length))
            }
            format = try take(1)[0]
            schemaVersion = try integer(UInt16.self)
            recordedAt = try integer(Int64.self)
            streamVersion = try integer(UInt64.self)
            prev = try take(32)
            hash = try take(32)
            stream = try text()
            type = try text()
            effective = try text()
            key = try optional()
            meta = try optional()
            data = try text()
            guard offset == bytes.count else { throw NSError(domain: "RawRecord", code: 2) }
        }

        var encoded: [UInt8] {
            var output: [UInt8] = [format]
            func integer<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { output.append(contentsOf: $0) } }
            func text(_ bytes: [UInt8]) { integer(UInt32(bytes.count)); output += bytes }
            integer(schemaVersion)
            integer(recordedAt)
            integer(streamVersion)
            output += prev
            output += hash
            text(stream)
            text(type)
            text(effective)
            if let key { text(key) } else { integer(UInt32.max) }
            if let meta { text(meta) } else { integer(UInt32.max) }
            text(data)
            return output
        }

        /// The hash of the envelope as `export` writes it, computed by the public Record.
        func computedHash(seq: UInt64) -> [UInt8] {
            let record = Record(seq: seq, stream: String(decoding: stream, as: UTF8.self), streamVersion: streamVersion,
                                type: String(decoding: type, as: UTF8.self), schemaVersion: schemaVersion,
                                recordedAt: Timestamp(millisecondsSinceEpoch: recordedAt),
                                effective: String(decoding: effective, as: UTF8.self), key: key.map { String(decoding: $0, as: UTF8.self) },
                                metaCanonical: meta, dataCanonical: data, prev: Digest(bytes: prev), hash: Digest(bytes: hash))
            return record.computedHash().bytes
        }
    }

    static func withDatabases(_ path: String, _ names: [String], _ body: (Transaction, [Database]) throws -> Void) throws {
        let environment = try Environment(path: path)
        let databases = try environment.openDatabases(names)
        try environment.write { transaction in try body(transaction, databases) }
    }

    /// Changes record `seq` in place; with `recomputeThrough`, also recomputes its hash and the
    /// prev and hash of every record after it up to that seq, as a careful forger would.
    static func rewrite(_ path: String, seq: UInt64, recomputeThrough last: UInt64? = nil,
                        _ change: (inout RawRecord) -> Void) throws {
        try withDatabases(path, ["log"]) { transaction, databases in
            let log = databases[0]
            var record = try RawRecord(try XCTUnwrap(try transaction.get(log, StoreSurgery.seqKey(seq))))
            change(&record)
            guard let last else {
                try transaction.put(log, StoreSurgery.seqKey(seq), record.encoded)
                return
            }
            record.hash = record.computedHash(seq: seq)
            try transaction.put(log, StoreSurgery.seqKey(seq), record.encoded)
            var previous = record.hash
            for next in (seq + 1)...max(seq + 1, last) where next <= last {
                var following = try RawRecord(try XCTUnwrap(try transaction.get(log, StoreSurgery.seqKey(next))))
                following.prev = previous
                following.hash = following.computedHash(seq: next)
                try transaction.put(log, StoreSurgery.seqKey(next), following.encoded)
                previous = following.hash
            }
        }
    }

    /// Points the log head (meta "head": seq, hash, recordedAt) at the last record as it is now.
    static func rewriteHead(_ path: String) throws {
        try withDatabases(path, ["log", "meta"]) { transaction, databases in
            let (log, meta) = (databases[0], databases[1])
            let cursor = try transaction.cursor(log)
            let last = try XCTUnwrap(try cursor.last())
            let seq = UInt64(bigEndian: last.key.loadUnaligned(as: UInt64.self))
            let record = try RawRecord([UInt8](last.value))
            var head: [UInt8] = []
            withUnsafeBytes(of: seq.littleEndian) { head.append(contentsOf: $0) }
            head += record.hash
            withUnsafeBytes(of: record.recordedAt.littleEndian) { head.append(contentsOf: $0) }
            try transaction.put(meta, Array("head".utf8), head)
        }
    }

    /// Runs `body` with the live state copy ("state-a" or "state-b", as receivables-meta says).
    static func withLiveState(_ path: String, _ body: (Transaction, Database) throws -> Void) throws {
        try withDatabases(path, ["receivables-meta", "state-a", "state-b"]) { transaction, databases in
            let active = try transaction.get(databases[0], Array("active-state".utf8))?.first ?? 0
            try body(transaction, databases[active == 1 ? 2 : 1])
        }
    }

    /// Edits one entry of the live state copy (nothing when `key` is nil).
    static func editLiveState(_ path: String, key: [UInt8]?, _ edit: (inout [UInt8]) -> Void) throws {
        guard let key else { return }
        try withLiveState(path) { transaction, state in
            var value = try XCTUnwrap(try transaction.get(state, key), "no entry \(key) in the live state")
            edit(&value)
            try transaction.put(state, key, value)
        }
    }
}
