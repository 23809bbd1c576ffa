import Foundation
import XCTest

/// `receivables append` end to end: a year of a small company goes in whole and verifies; a bad
/// line anywhere refuses the whole file with one `error:` line naming the line and the rule, and
/// leaves the store as it was (CONTRACT 3, 4, 5.2 and 7).
final class AppendValidationTests: XCTestCase {
    static let yearEnd = "2026-12-31T18:00:00.000Z"
    static let companyFile = CommandHarness.packageRoot.appendingPathComponent("Fixtures/events/small-company-2026.jsonl")

    /// What a store holds before the bad input is tried on it.
    static let seed = """
    {"type":"SettingsChanged","data":{"company":"Officine Meccaniche Brambilla S.r.l.","iban":"IT60X0542811101000000123456","timezone":"Europe/Rome","currency":"EUR"}}
    {"type":"ClientRegistered","data":{"client":"C1","name":"Ferramenta Rossi S.r.l.","email":"amministrazione@ferramentarossi.example"}}
    {"type":"InvoiceIssued","data":{"invoice":"F1","client":"C1","issued":"2026-01-10","amount":"1220.00","number":"1/2026"},"key":"erp-F1"}
    {"type":"DeadlineSet","data":{"deadline":"F1/R1","client":"C1","due":"2026-02-28","amount":"1220.00","invoice":"F1"},"key":"erp-F1-R1","effective":"2026-01-10"}

    """

    /// Two good lines that come before each bad one: they must not be appended either.
    static let goodPrefix = """
    {"type":"ClientRegistered","data":{"client":"C2","name":"Bianchi Costruzioni S.p.A.","locale":"en"}}
    {"type":"InvoiceIssued","data":{"invoice":"F2","client":"C2","issued":"2026-02-01","amount":"500.00"}}

    """

    // MARK: Helpers

    func companyLines() throws -> [String] {
        let text = try String(contentsOf: Self.companyFile, encoding: .utf8)
        return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    static func object(_ line: some StringProtocol) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
    }

    func export(_ harness: CommandHarness) throws -> String {
        let result = try harness.run(["export"])
        assertExit(result, 0)
        return result.standardOutput
    }

    func seededStore() throws -> CommandHarness {
        let harness = try CommandHarness()
        assertExit(try harness.run(["init"]), 0)
        let seeded = try harness.run(["append", try harness.write(Self.seed, to: "seed.jsonl"), "--now", "2026-03-01T09:00:00.000Z"])
        assertExit(seeded, 0)
        return harness
    }

    /// Appends `input` as a file to a seeded store and expects it refused at `line` with
    /// `error: line N: <type>: <field>: ... (rule: <rule>)` on one line, exit 1, nothing appended.
    func assertRefused(_ name: String, _ input: String, line: Int, type: String?, field: String?, rule: String,
                       file: StaticString = #filePath, testLine: UInt = #line) throws {
        let harness = try seededStore()
        let before = try export(harness)
        let path = try harness.write(input, to: "bad.jsonl")
        for arguments in [["append", path, "--now", "2026-03-02T09:00:00.000Z"],
                          ["append", path, "--now", "2026-03-02T09:00:00.000Z", "--dry-run"]] {
            let mode = arguments.contains("--dry-run") ? " (dry run)" : ""
            let result = try harness.run(arguments)
            XCTAssertEqual(result.exitCode, 1, "\(name)\(mode): \(result.standardError)", file: file, line: testLine)
            XCTAssertEqual(result.standardOutput, "", "\(name)\(mode)", file: file, line: testLine)
            let errorLines = result.standardError.split(separator: "\n", omittingEmptySubsequences: false)
            XCTAssertEqual(errorLines.count, 2, "\(name)\(mode): one line ending in a newline: \(result.standardError)",
                           file: file, line: testLine)
            let prefix = "error: line \(line): " + [type, field].compactMap { $0 }.map { $0 + ": " }.joined()
            XCTAssertTrue(result.standardError.hasPrefix(prefix), "\(name)\(mode): expected \(prefix)…, got \(result.standardError)",
                          file: file, line: testLine)
            XCTAssertTrue(result.standardError.hasSuffix("(rule: \(rule))\n"), "\(name)\(mode): expected rule \(rule): \(result.standardError)",
                          file: file, line: testLine)
            XCTAssertEqual(try export(harness), before, "\(name)\(mode) changed the store", file: file, line: testLine)
        }
    }

    // MARK: A year of a small company

    func testAYearOfASmallCompanyAppendsWholeAndVerifies() throws {
        let lines = try companyLines()
        let events = lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        XCTAssertGreaterThan(events.count, 200)
        let harness = try CommandHarness()
        assertExit(try harness.run(["init"]), 0)
        let appended = try harness.run(["append", Self.companyFile.path, "--now", Self.yearEnd])
        assertExit(appended, 0)
        let answer = appended.jsonObject
        XCTAssertEqual(answer["appended"] as? Int, events.count)
        XCTAssertEqual(answer["first"] as? Int, 1)
        XCTAssertEqual(answer["last"] as? Int, events.count)
        XCTAssertFalse((answer["alerts"] as? [Any] ?? []).isEmpty, "credit limits were set and invoiced against")

        let verified = try harness.run(["verify"])
        assertExit(verified, 0)
        XCTAssertEqual(verified.jsonObject["events"] as? Int, events.count)

        let exported = try export(harness).split(separator: "\n").map { Self.object($0) }
        XCTAssertEqual(exported.count, events.count)
        var byInvoice: [String: [String]] = [:]
        for (index, line) in events.enumerated() {
            let input = Self.object(line)
            let envelope = exported[index]
            XCTAssertEqual(envelope["seq"] as? Int, index + 1)
            XCTAssertEqual(envelope["type"] as? String, input["type"] as? String, "seq \(index + 1)")
            XCTAssertEqual(envelope["recordedAt"] as? String, Self.yearEnd)
            XCTAssertEqual(envelope["key"] as? String, input["key"] as? String, "seq \(index + 1)")
            guard let data = input["data"] as? [String: Any], var recorded = envelope["data"] as? [String: Any] else {
                XCTFail("seq \(index + 1): no data")
                continue
            }
            if input["type"] as? String == "PaymentReceived", let invoice = data["invoice"] as? String, data["allocations"] == nil {
                // CONTRACT 5.2: the log records the allocations the engine made.
                let allocations = recorded["allocations"] as? [[String: Any]] ?? []
                let payment = data["payment"] as? String ?? "?"
                XCTAssertFalse(allocations.isEmpty, "\(payment) by invoice: no allocations recorded")
                var total = Decimal(0)
                for allocation in allocations {
                    let deadline = allocation["deadline"] as? String ?? ""
                    XCTAssertTrue(deadline.hasPrefix(invoice + "/"), "\(payment): \(deadline) is not a deadline of \(invoice)")
                    total += Decimal(string: allocation["amount"] as? String ?? "") ?? 0
                }
                XCTAssertLessThanOrEqual(total, Decimal(string: data["amount"] as? String ?? "") ?? 0, payment)
                byInvoice[payment] = allocations.map { "\($0["deadline"] as? String ?? "")=\($0["amount"] as? String ?? "")" }
                recorded["allocations"] = nil
            }
            // Everything else is recorded as it was sent (the file's amounts are canonical).
            XCTAssertEqual(NSDictionary(dictionary: recorded), NSDictionary(dictionary: data), "seq \(index + 1): data")
        }
        // Earliest due first, and a payment of a whole invoice spread over its instalments.
        XCTAssertEqual(byInvoice["P-0630-032"], ["F2026-024/R1=3416.12", "F2026-024/R2=3416.12"])
        XCTAssertEqual(byInvoice["P-0930-059"], ["F2026-031/R1=518.96", "F2026-031/R2=518.96"])
        // After the Ri.Ba. bounced, its deadline was open again for the transfer that replaced it.
        XCTAssertEqual(byInvoice["P-0614-029"], ["F2026-015/R1=935.64"])
        // More than the invoice's outstanding: the rest (50.00) stays on account.
        XCTAssertEqual(byInvoice["P-1020-061"], ["F2026-025/R2=3416.00"])
        XCTAssertEqual(byInvoice.count, 21)
    }

    func testABadLineInTheMiddleRefusesTheWholeFile() throws {
        let (bad, lineNumber) = try companyFileWithABadLine()
        let harness = try seededStore()
        let before = try export(harness)
        let path = try harness.write(bad, to: "company-bad.jsonl")
        let result = try harness.run(["append", path, "--now", Self.yearEnd])
        assertExit(result, 1)
        XCTAssertEqual(result.standardOutput, "")
        XCTAssertEqual(result.standardError.filter { $0 == "\n" }.count, 1, result.standardError)
        XCTAssertTrue(result.standardError.hasPrefix("error: line \(lineNumber): PaymentReceived: allocations[0].amount: "),
                      result.standardError)
        XCTAssertTrue(result.standardError.hasSuffix("(rule: allocationExceedsOutstanding)\n"), result.standardError)
        XCTAssertEqual(try export(harness), before, "a refused file must leave the store byte for byte as it was")
        assertExit(try harness.run(["verify"]), 0)

        // A dry run of the same file fails the same way.
        let dry = try harness.run(["append", path, "--now", Self.yearEnd, "--dry-run"])
        assertExit(dry, 1)
        XCTAssertEqual(dry.standardError, result.standardError)
        XCTAssertEqual(try export(harness), before)
    }

    /// The company file with an over-allocation inserted halfway, and that line's number.
    func companyFileWithABadLine() throws -> (String, Int) {
        var lines = try companyLines()
        let middle = lines.count / 2
        // The first deadline set before the middle; no payment can allocate 99999.00 to it.
        guard let deadline = lines[..<middle].map({ Self.object($0) }).first(where: { $0["type"] as? String == "DeadlineSet" }),
              let data = deadline["data"] as? [String: Any], let id = data["deadline"] as? String,
              let client = data["client"] as? String
        else {
            XCTFail("no DeadlineSet in the first half of the company file")
            return ("", 0)
        }
        let bad = #"{"type":"PaymentReceived","data":{"payment":"P-BAD","client":"\#(client)","amount":"99999.00","received":"2026-06-30","method":"bank_transfer","allocations":[{"deadline":"\#(id)","amount":"99999.00"}]}}"#
        lines.insert(bad, at: middle)
        return (lines.joined(separator: "\n"), middle + 1)
    }

    // MARK: Dry runs

    func testADryRunOfAGoodFileAppendsNothing() throws {
        let harness = try CommandHarness()
        assertExit(try harness.run(["init"]), 0)
        let count = try companyLines().filter { !$0.isEmpty }.count
        let dry = try harness.run(["append", Self.companyFile.path, "--now", Self.yearEnd, "--dry-run"])
        assertExit(dry, 0)
        XCTAssertEqual(dry.jsonObject["appended"] as? Int, count)
        XCTAssertEqual(try export(harness), "")
        // Nothing was kept from the dry run, not even the keys: the real append takes every line.
        let real = try harness.run(["append", Self.companyFile.path, "--now", Self.yearEnd])
        assertExit(real, 0)
        XCTAssertEqual(real.jsonObject["appended"] as? Int, count)
        XCTAssertEqual(real.jsonObject["last"] as? Int, count)
        XCTAssertEqual((real.jsonObject["alerts"] as? [Any])?.count, (dry.jsonObject["alerts"] as? [Any])?.count)
    }

    func testADryRunOfABadFileFailsLikeTheRealAppend() throws {
        // assertRefused runs every bad input both ways; this one shows it on a JSON number amount.
        try assertRefused("dry run", Self.goodPrefix + #"{"type":"PaymentReceived","data":{"payment":"P1","client":"C1","amount":1220,"received":"2026-02-28","method":"cash"}}"#,
                          line: 3, type: "PaymentReceived", field: "amount", rule: "moneyNotAString")
    }

    // MARK: Bad input

    func testAmountsAsJSONNumbersAreRefused() throws {
        let cases: [(String, String, String)] = [
            (#"{"type":"InvoiceIssued","data":{"invoice":"F3","client":"C1","issued":"2026-02-01","amount":1220.5}}"#, "InvoiceIssued", "amount"),
            (#"{"type":"InvoiceIssued","data":{"invoice":"F3","client":"C1","issued":"2026-02-01","amount":1220}}"#, "InvoiceIssued", "amount"),
            (#"{"type":"CreditLimitSet","data":{"client":"C1","limit":5000}}"#, "CreditLimitSet", "limit"),
            (#"{"type":"PaymentReceived","data":{"payment":"P1","client":"C1","amount":"100.00","received":"2026-02-28","method":"cash","allocations":[{"deadline":"F1/R1","amount":100}]}}"#,
             "PaymentReceived", "allocations[0].amount"),
        ]
        for (line, type, field) in cases {
            try assertRefused(line, Self.goodPrefix + line, line: 3, type: type, field: field, rule: "moneyNotAString")
        }
    }

    func testUnknownEventTypesAreRefused() throws {
        for type in ["InvoicePaid", "invoiceIssued", "Invoice Issued", ""] {
            let line = #"{"type":"\#(type)","data":{"invoice":"F3"}}"#
            // A blank line before it still counts in the line numbers.
            try assertRefused(line, Self.goodPrefix + "\n" + line, line: 4, type: nil, field: "type", rule: "unknownEventType")
        }
    }

    func testUnknownDataFieldsAreRefused() throws {
        let cases: [(String, String, String)] = [
            (#"{"type":"InvoiceIssued","data":{"invoice":"F3","client":"C1","issued":"2026-02-01","amount":"10.00","amout":"10.00"}}"#, "InvoiceIssued", "amout"),
            (#"{"type":"ClientRegistered","data":{"client":"C3","name":"Verdi","pec":"verdi@pec.example"}}"#, "ClientRegistered", "pec"),
            (#"{"type":"PaymentReceived","data":{"payment":"P1","client":"C1","amount":"10.00","received":"2026-02-28","method":"cash","currency":"EUR"}}"#,
             "PaymentReceived", "currency"),
        ]
        for (line, type, field) in cases {
            try assertRefused(line, Self.goodPrefix + line, line: 3, type: type, field: field, rule: "unknownField")
        }
    }

    func testWrongFieldTypesAreRefused() throws {
        let cases: [(String, String, String)] = [
            (#"{"type":"InvoiceIssued","data":{"invoice":3,"client":"C1","issued":"2026-02-01","amount":"10.00"}}"#, "InvoiceIssued", "invoice"),
            (#"{"type":"InvoiceIssued","data":{"invoice":"F3","client":"C1","issued":20260201,"amount":"10.00"}}"#, "InvoiceIssued", "issued"),
            (#"{"type":"InvoiceIssued","data":{"invoice":"F3","client":"C1","issued":"2026-02-01","amount":"10.00","number":null}}"#, "InvoiceIssued", "number"),
            (#"{"type":"CreditLimitSet","data":{"client":"C1","limit":"5000.00","warnAt":"80"}}"#, "CreditLimitSet", "warnAt"),
            (#"{"type":"ReminderSent","data":{"deadline":"F1/R1","sentAt":"2026-03-01T09:00:00.000Z","to":"a@rossi.example","template":"default","slot":"2026-03-01","manual":"true"}}"#,
             "ReminderSent", "manual"),
            (#"{"type":"PaymentAllocated","data":{"payment":"P1","allocations":{"deadline":"F1/R1","amount":"1.00"}}}"#, "PaymentAllocated", "allocations"),
        ]
        for (line, type, field) in cases {
            try assertRefused(line, Self.goodPrefix + line, line: 3, type: type, field: field, rule: "wrongType")
        }
    }

    func testIdsWithControlCharactersAreRefused() throws {
        let cases: [(String, String, String)] = [
            (#"{"type":"ClientRegistered","data":{"client":"C\u0001","name":"Controllo"}}"#, "ClientRegistered", "client"),
            (#"{"type":"InvoiceIssued","data":{"invoice":"F\t3","client":"C1","issued":"2026-02-01","amount":"10.00"}}"#, "InvoiceIssued", "invoice"),
            (#"{"type":"DeadlineSet","data":{"deadline":"F1/R2\n","client":"C1","due":"2026-03-31","amount":"10.00"}}"#, "DeadlineSet", "deadline"),
            (#"{"type":"PaymentReceived","data":{"payment":"P\u007f1","client":"C1","amount":"10.00","received":"2026-02-28","method":"cash"}}"#, "PaymentReceived", "payment"),
        ]
        for (line, type, field) in cases {
            try assertRefused(line, Self.goodPrefix + line, line: 3, type: type, field: field, rule: "invalidId")
        }
    }

    func testImpossibleDatesAreRefused() throws {
        let cases: [(String, String, String)] = [
            (#"{"type":"InvoiceIssued","data":{"invoice":"F3","client":"C1","issued":"2026-02-30","amount":"10.00"}}"#, "InvoiceIssued", "issued"),
            (#"{"type":"DeadlineSet","data":{"deadline":"F1/R2","client":"C1","due":"2026-04-31","amount":"10.00"}}"#, "DeadlineSet", "due"),
            (#"{"type":"PaymentReceived","data":{"payment":"P1","client":"C1","amount":"10.00","received":"2025-02-29","method":"cash"}}"#, "PaymentReceived", "received"),
            (#"{"type":"DeadlinePostponed","data":{"deadline":"F1/R1","due":"2026-3-15"}}"#, "DeadlinePostponed", "due"),
            (#"{"type":"ClientUpdated","data":{"client":"C1","email":"nuova@rossi.example"},"effective":"2026-02-30"}"#, "ClientUpdated", "effective"),
        ]
        for (line, type, field) in cases {
            try assertRefused(line, Self.goodPrefix + line, line: 3, type: type, field: field, rule: "invalidDate")
        }
    }

    func testAnIBANWithAWrongCheckDigitIsRefused() throws {
        for iban in ["IT61X0542811101000000123456", "IT60X0542811101000000123457", "IT60 X054 2811 1010 0000 0123 465"] {
            let line = #"{"type":"SettingsChanged","data":{"iban":"\#(iban)"}}"#
            try assertRefused(iban, Self.goodPrefix + line, line: 3, type: "SettingsChanged", field: "iban", rule: "invalidIBAN")
        }
    }

    // MARK: Contract points the code missed when these were written (they fail until it follows the contract)

    /// CONTRACT 3.1: arithmetic is exact and overflow checked; 7: a rejected input exits 1 with
    /// one `error:` line. Amounts that each parse but whose sums overflow must be refused, not
    /// crash the process.
    func testSumsBeyondSixtyFourBitsAreRefusedNotACrash() throws {
        let max = "92233720368547758.07"
        let cases: [(String, String, Int)] = [
            // C2 already owes something, so the largest invoice overflows its exposure at once.
            ("the invoice sum rule", """
            {"type":"InvoiceIssued","data":{"invoice":"F-MAX","client":"C2","issued":"2026-02-01","amount":"\(max)"}}
            {"type":"DeadlineSet","data":{"deadline":"F-MAX/R1","client":"C2","due":"2026-03-31","amount":"\(max)","invoice":"F-MAX"}}
            {"type":"DeadlineSet","data":{"deadline":"F-MAX/R2","client":"C2","due":"2026-04-30","amount":"0.01","invoice":"F-MAX"}}
            """, 3),
            ("the invoice sum rule for a client with nothing else", """
            {"type":"ClientRegistered","data":{"client":"C9","name":"Nove"}}
            {"type":"InvoiceIssued","data":{"invoice":"F-MAX","client":"C9","issued":"2026-02-01","amount":"\(max)"}}
            {"type":"DeadlineSet","data":{"deadline":"F-MAX/R1","client":"C9","due":"2026-03-31","amount":"\(max)","invoice":"F-MAX"}}
            {"type":"DeadlineSet","data":{"deadline":"F-MAX/R2","client":"C9","due":"2026-04-30","amount":"0.01","invoice":"F-MAX"}}
            """, 6),
            ("a client's exposure", """
            {"type":"InvoiceIssued","data":{"invoice":"F-MAX","client":"C1","issued":"2026-02-01","amount":"\(max)"}}
            """, 3),
            ("a client's payments on account", """
            {"type":"PaymentReceived","data":{"payment":"P-MAX1","client":"C2","amount":"\(max)","received":"2026-02-01","method":"cash"}}
            {"type":"PaymentReceived","data":{"payment":"P-MAX2","client":"C2","amount":"\(max)","received":"2026-02-02","method":"cash"}}
            """, 4),
        ]
        for (name, input, line) in cases {
            let harness = try seededStore()
            let before = try export(harness)
            let path = try harness.write(Self.goodPrefix + input + "\n", to: "overflow.jsonl")
            let result = try harness.run(["append", path, "--now", "2026-03-02T09:00:00.000Z"])
            guard result.exitCode == 1 else {
                // A Swift runtime trap ends the process with SIGILL, seen here as exit status 4.
                XCTFail("\(name): exit \(result.exitCode), not 1\(result.exitCode == 4 ? ": the process crashed (arithmetic overflow trap)" : ""): "
                            + result.standardError.prefix(400))
                XCTAssertEqual(try export(harness), before, "\(name) changed the store")
                continue
            }
            XCTAssertTrue(result.standardError.hasPrefix("error: line \(line): "), "\(name): \(result.standardError.prefix(400))")
            XCTAssertEqual(result.standardError.filter { $0 == "\n" }.count, 1, "\(name): one line")
            XCTAssertEqual(try export(harness), before, "\(name) changed the store")
        }
    }

    /// CONTRACT 3.1: money is accepted as "1220", "1220.5" or "1220.50", and output is always
    /// canonical: the export (the log's output) shows "1220.00" and "1220.50".
    func testTheExportShowsAmountsInCanonicalForm() throws {
        let harness = try seededStore()
        let input = """
        {"type":"InvoiceIssued","data":{"invoice":"F3","client":"C1","issued":"2026-02-01","amount":"1220.5"}}
        {"type":"DeadlineSet","data":{"deadline":"F3/R1","client":"C1","due":"2026-03-31","amount":"1220","invoice":"F3"}}
        {"type":"CreditLimitSet","data":{"client":"C1","limit":"0"}}
        {"type":"PaymentReceived","data":{"payment":"P1","client":"C1","amount":"20","received":"2026-02-28","method":"cash","allocations":[{"deadline":"F3/R1","amount":"19.5"}]}}

        """
        assertExit(try harness.run(["append", try harness.write(input, to: "short.jsonl"), "--now", "2026-03-02T09:00:00.000Z"]), 0)
        let exported = try export(harness).split(separator: "\n").map { Self.object($0) }.suffix(4)
        let data = exported.map { $0["data"] as? [String: Any] ?? [:] }
        XCTAssertEqual(data.map { $0["amount"] as? String ?? $0["limit"] as? String }, ["1220.50", "1220.00", "0.00", "20.00"])
        let allocation = (data.last?["allocations"] as? [[String: Any]])?.first
        XCTAssertEqual(allocation?["amount"] as? String, "19.50")
    }
}
