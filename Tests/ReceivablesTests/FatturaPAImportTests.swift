import EventLog
import Foundation
import XCTest
@testable import Receivables

/// `FatturaPA.events`/`plan`: documents into ClientRegistered, InvoiceIssued and DeadlineSet,
/// with content-derived keys, checked against the event catalog and a real store.
final class FatturaPAImportTests: XCTestCase {
    private typealias Support = FatturaPATestSupport
    private let company = "IT01234567890"

    private func documents(_ names: String...) throws -> [FatturaPADocument] {
        var documents: [FatturaPADocument] = []
        for name in names {
            documents += try FatturaPA.read(try Support.own(name), fileName: name)
        }
        return documents
    }

    private func makePlan(_ documents: [FatturaPADocument], sellerVAT: String? = nil, existingClients: Set<String> = [])
        throws -> FatturaPA.ImportPlan
    {
        try FatturaPA.plan(for: documents, sellerVAT: sellerVAT ?? company, existingClients: existingClients, currency: .euro)
    }

    private func makePlan(bodies: [String], seller: String = "01234567890") throws -> FatturaPA.ImportPlan {
        try makePlan(try FatturaPA.read(Support.invoice(seller: seller, bodies: bodies), fileName: "edge.xml"))
    }

    private func importError(bodies: [String], currency: Currency = .euro) -> FatturaPAError? {
        Support.fatturaPAError { () throws(FatturaPAError) in
            let documents = try FatturaPA.read(Support.invoice(bodies: bodies), fileName: "edge.xml")
            _ = try FatturaPA.events(for: documents, sellerVAT: "IT01234567890", existingClients: [], currency: currency)
        }
    }

    /// Every event passes the catalog's shape checks, as `append` will run them.
    private func assertValid(_ events: [EventInput], file: StaticString = #filePath, line: UInt = #line) {
        for event in events {
            guard let type = EventType(rawValue: event.type) else { return XCTFail("type \(event.type)", file: file, line: line) }
            do {
                _ = try DomainEvent.decode(type: type, data: event.data, currency: .euro)
            } catch {
                XCTFail("\(event.type) \(event.data): \(error)", file: file, line: line)
            }
            XCTAssertLessThanOrEqual(event.key?.utf8.count ?? 0, EventInput.maximumKeyBytes, file: file, line: line)
        }
    }

    func testPlainInvoiceWithTwoInstalments() throws {
        let events = try makePlan(try documents("IT01234567890_tp01_two_instalments.xml")).events
        assertValid(events)
        XCTAssertEqual(events.map(\.type), ["ClientRegistered", "InvoiceIssued", "DeadlineSet", "DeadlineSet"])
        XCTAssertEqual(events[0].data, ["client": "IT09876543210", "name": "Rossi Forniture S.r.l.", "vat": "IT09876543210"])
        XCTAssertEqual(events[0].key, "fatturapa:client:IT09876543210")
        XCTAssertEqual(events[1].data, [
            "invoice": "IT01234567890/2026/FT 12", "client": "IT09876543210", "issued": "2026-01-15",
            "amount": "1220.00", "number": "FT 12", "description": "Fornitura di gennaio",
        ])
        XCTAssertEqual(events[1].key, "fatturapa:IT01234567890/2026/FT 12")
        XCTAssertNil(events[1].effective)
        XCTAssertEqual(events[2].data, [
            "deadline": "IT01234567890/2026/FT 12-1", "client": "IT09876543210", "due": "2026-02-15", "amount": "610.00",
            "invoice": "IT01234567890/2026/FT 12", "description": "MP05 bonifico",
        ])
        XCTAssertEqual(events[2].key, "fatturapa:IT01234567890/2026/FT 12:deadline:1")
        XCTAssertEqual(events[2].effective, Day(iso: "2026-01-15"))
        XCTAssertEqual(events[3].fatturaPAString("deadline"), "IT01234567890/2026/FT 12-2")
        XCTAssertEqual(events[3].fatturaPAString("due"), "2026-03-15")
        XCTAssertEqual(events[3].key, "fatturapa:IT01234567890/2026/FT 12:deadline:2")
        XCTAssertEqual(events.map { $0.meta ?? JSONObject() }, Array(repeating: ["source": "fatturapa"], count: 4))
    }

    func testTermsOnlyDeadlineIsTheDocumentDatePlusTheDays() throws {
        let events = try makePlan(try documents("IT01234567890_tp02_terms_only.xml")).events
        assertValid(events)
        XCTAssertEqual(events[0].data, ["client": "RSSMRA80A01F205X", "name": "Mario Rossi"])
        XCTAssertEqual(events[1].fatturaPAString("amount"), "174.00")
        XCTAssertNil(events[1].data["description"])
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(events[2].fatturaPAString("due"), "2026-03-02")  // 2026-01-31 + 30 days
        XCTAssertEqual(events[2].fatturaPAString("amount"), "174.00")
        XCTAssertEqual(events[2].fatturaPAString("description"), "MP12 RIBA")
    }

    func testNoPaymentDataIsOneDeadlineForTheTotalOnTheDocumentDate() throws {
        let events = try makePlan(try documents("IT01234567890_no_payment_data.xml")).events
        assertValid(events)
        XCTAssertEqual(events.map(\.type), ["ClientRegistered", "InvoiceIssued", "DeadlineSet"])
        XCTAssertEqual(events[2].data, [
            "deadline": "IT01234567890/2026/14-1", "client": "IT09876543210", "due": "2026-02-02", "amount": "244.00",
            "invoice": "IT01234567890/2026/14",
        ])
    }

    func testWindows1252TextReachesTheEventsAsUnicode() throws {
        let events = try makePlan(try documents("IT01234567890_windows1252.xml")).events
        assertValid(events)
        XCTAssertEqual(events[0].fatturaPAString("name"), "Caffè Città S.n.c.")
        XCTAssertEqual(events[1].fatturaPAString("description"), "Caffè e cornetti, 30 € più IVA")
        XCTAssertEqual(events[2].fatturaPAString("description"), "MP01 contanti")
    }

    func testTwoBodiesAdvanceAndTermsFromAReferenceDate() throws {
        let events = try makePlan(try documents("IT01234567890_two_bodies.xml")).events
        assertValid(events)
        XCTAssertEqual(events.map(\.type), ["ClientRegistered", "InvoiceIssued", "DeadlineSet", "InvoiceIssued", "DeadlineSet", "DeadlineSet"])
        XCTAssertEqual(events[3].fatturaPAString("invoice"), "IT01234567890/2026/17")
        XCTAssertEqual(events[4].fatturaPAString("due"), "2026-03-02")
        XCTAssertEqual(events[4].fatturaPAString("amount"), "440.00")
        XCTAssertEqual(events[5].fatturaPAString("due"), "2026-05-30")  // 2026-03-31 + 60 days
        XCTAssertEqual(events[5].fatturaPAString("amount"), "2000.00")
        XCTAssertEqual(events[5].fatturaPAString("deadline"), "IT01234567890/2026/17-2")
    }

    func testAnotherSellersFileIsAnErrorNamingTheFile() throws {
        let documents = try documents("IT01234567890_tp01_two_instalments.xml", "IT09999999999_other_seller.xml")
        let error = Support.fatturaPAError { () throws(FatturaPAError) in
            _ = try FatturaPA.events(for: documents, sellerVAT: "IT01234567890", existingClients: [], currency: .euro)
        }
        XCTAssertEqual(error?.kind, .otherSeller)
        XCTAssertEqual(error?.description,
                       "IT09999999999_other_seller.xml: issued by IT09999999999, not by the company (IT01234567890)")
    }

    func testTheCompanyVATMayBeWrittenSeveralWays() throws {
        let documents = try documents("IT01234567890_tp01_two_instalments.xml")
        let expected = try makePlan(documents).events.map(\.key)
        for form in ["01234567890", "it01234567890", "IT 012 345 678 90", " IT01234567890 "] {
            XCTAssertEqual(try makePlan(documents, sellerVAT: form).events.map(\.key), expected, form)
        }
        let error = Support.fatturaPAError { () throws(FatturaPAError) in
            _ = try FatturaPA.events(for: documents, sellerVAT: "", existingClients: [], currency: .euro)
        }
        XCTAssertEqual(error?.kind, .invalidSellerVAT)
        XCTAssertEqual(error?.description, "the company's VAT number \"\" is not a VAT number like IT01234567890")
    }

    func testKnownClientsAreNotRegisteredAgain() throws {
        let documents = try documents("IT01234567890_tp01_two_instalments.xml", "IT01234567890_no_payment_data.xml",
                                      "IT01234567890_tp02_terms_only.xml")
        let fresh = try makePlan(documents).events
        XCTAssertEqual(fresh.filter { $0.type == "ClientRegistered" }.map { $0.fatturaPAString("client") },
                       ["IT09876543210", "RSSMRA80A01F205X"])
        let known = try makePlan(documents, existingClients: ["IT09876543210"]).events
        XCTAssertEqual(known.filter { $0.type == "ClientRegistered" }.map { $0.fatturaPAString("client") }, ["RSSMRA80A01F205X"])
    }

    func testImportingTwiceGivesTheSameKeysAndEvents() throws {
        let names = ["IT01234567890_tp01_two_instalments.xml", "IT01234567890_tp02_terms_only.xml",
                     "IT01234567890_no_payment_data.xml", "IT01234567890_windows1252.xml", "IT01234567890_two_bodies.xml"]
        func run() throws -> [EventInput] {
            var documents: [FatturaPADocument] = []
            for name in names { documents += try FatturaPA.read(try Support.own(name), fileName: name) }
            return try FatturaPA.events(for: documents, sellerVAT: company, existingClients: [], currency: .euro)
        }
        let first = try run()
        let second = try run()
        XCTAssertEqual(first.map(\.key), second.map(\.key))
        XCTAssertEqual(first.map(\.fingerprint), second.map(\.fingerprint))
        let keys = first.compactMap(\.key)
        XCTAssertEqual(keys.count, first.count, "every event has a key")
        XCTAssertEqual(Set(keys).count, keys.count, "keys are unique")
        XCTAssertTrue(keys.allSatisfy { $0.hasPrefix(FatturaPA.keyPrefix) })
    }

    /// The store dedupes by key: a second import of the same files appends nothing.
    func testAStoreAppendsTheImportOnce() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fatturapa-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try ReceivablesStore(path: directory.path, create: true)
        let now = Timestamp(rfc3339: "2026-04-01T09:00:00.000Z")!
        let documents = try documents("IT01234567890_tp01_two_instalments.xml", "IT01234567890_tp02_terms_only.xml",
                                      "IT01234567890_no_payment_data.xml", "IT01234567890_windows1252.xml",
                                      "IT01234567890_two_bodies.xml")
        let events = try makePlan(documents).events
        let first = try store.append(events, now: now)
        XCTAssertEqual(first.appended, events.count)
        // Even without telling the import which clients exist, the keys make it a no-op.
        let second = try store.append(try makePlan(documents).events, now: now)
        XCTAssertEqual(second.appended, 0)
        XCTAssertEqual(second.seqs, first.seqs)

        let report = try store.client("IT09876543210", scope: QueryScope(asOf: Day(iso: "2026-04-01")!))
        // 1220.00 + 244.00 + 122.00 + 2440.00, nothing paid.
        XCTAssertEqual(report.exposure, Money(minorUnits: 402_600))
        XCTAssertEqual(report.deadlines.count, 6)
    }

    func testCreditNotesNegativeTotalsAndSelfInvoicesAreSkippedWithAReason() throws {
        let plan = try makePlan(bodies: [
            Support.body(type: "TD04", number: "NC1"),
            Support.body(number: "2", total: "-1.83"),
            Support.body(number: "3", total: "0.00"),
            Support.body(type: "TD17", currency: "GBP", number: "4"),
            Support.body(number: "5"),
        ])
        XCTAssertEqual(plan.events.filter { $0.type == "InvoiceIssued" }.map { $0.fatturaPAString("number") }, ["5"])
        XCTAssertEqual(plan.skipped.map(\.number), ["NC1", "2", "3", "4"])
        XCTAssertEqual(plan.skipped[0].description,
                       "edge.xml: document NC1 (TD04, body 1) skipped: a credit note (nota di credito, TD04) lowers what a "
                        + "customer owes; it is not a receivable deadline")
        XCTAssertTrue(plan.skipped[1].reason.contains("-1.83"))
        XCTAssertTrue(plan.skipped[3].reason.contains("TD17"))
        // A self-invoice is skipped even when its seller is not the company.
        let foreign = try FatturaPA.read(Support.invoice(seller: "09999999999", bodies: [Support.body(type: "TD17")]),
                                         fileName: "self.xml")
        XCTAssertEqual(try self.makePlan(foreign).skipped.count, 1)
    }

    func testPaymentsMayBeLessThanTheTotalButNeverMore() throws {
        // Withholding tax: the customer pays 100.00 of 122.00 to the company.
        let withholding = try makePlan(bodies: [Support.body(payments: Support.payment("TP02", [("MP05", "2026-02-15", "100.00")]))])
        XCTAssertEqual(withholding.events.last?.fatturaPAString("amount"), "100.00")

        let error = importError(bodies: [Support.body(number: "9", payments: Support.payment("TP01", [
            ("MP05", "2026-02-15", "100.00"), ("MP05", "2026-03-15", "22.01"),
        ]))])
        XCTAssertEqual(error?.kind, .paymentsExceedTotal)
        XCTAssertTrue(error?.description.hasPrefix("edge.xml: document 9 (body 1, line ") ?? false, error?.description ?? "")
        XCTAssertTrue(error?.description.hasSuffix("the payment details (DettaglioPagamento) add up to 122.01, more than the "
                                                   + "document total 122.00 (ImportoTotaleDocumento)") ?? false,
                      error?.description ?? "")
    }

    func testAmountsAreExactOrRefused() throws {
        let inexact = importError(bodies: [Support.body(payments: Support.payment("TP02", [("MP05", "2026-02-15", "10.005")]))])
        XCTAssertEqual(inexact?.kind, .inexactAmount)
        XCTAssertTrue(inexact?.description.contains("ImportoPagamento 10.005 has more decimals than EUR allows (2); "
                                                    + "the import does not round") ?? false, inexact?.description ?? "")
        let exact = try makePlan(bodies: [Support.body(total: "122.00000000",
                                                   payments: Support.payment("TP02", [("MP05", "2026-02-15", "122.000")]))])
        XCTAssertEqual(exact.events.map { $0.fatturaPAString("amount") }, [nil, "122.00", "122.00"])
        // A zero detail sets no deadline; a negative one is an error.
        let zero = try makePlan(bodies: [Support.body(payments: Support.payment("TP01", [
            ("MP05", "2026-02-15", "0.00"), ("MP05", "2026-03-15", "122.00"),
        ]))])
        XCTAssertEqual(zero.events.filter { $0.type == "DeadlineSet" }.map { $0.fatturaPAString("deadline") }, ["IT01234567890/2026/1-2"])
        XCTAssertEqual(importError(bodies: [Support.body(payments: Support.payment("TP02", [("MP05", "2026-02-15", "-1.00")]))])?.kind,
                       .invalidContent)
    }

    func testALoneDetailWithoutAmountIsForTheTotal() throws {
        let plan = try makePlan(bodies: [Support.body(payments: Support.payment("TP02", [("MP08", nil, nil)]))])
        XCTAssertEqual(plan.events.last?.fatturaPAString("amount"), "122.00")
        XCTAssertEqual(plan.events.last?.fatturaPAString("due"), "2026-01-15")
        XCTAssertEqual(plan.events.last?.fatturaPAString("description"), "MP08 carta di pagamento")
        let twoWithout = importError(bodies: [Support.body(payments: Support.payment("TP01", [("MP05", nil, nil), ("MP05", nil, "1.00")]))])
        XCTAssertEqual(twoWithout?.kind, .invalidContent)
    }

    func testTheCurrencyMustBeTheStores() throws {
        let error = importError(bodies: [Support.body(currency: "USD")])
        XCTAssertEqual(error?.kind, .currencyMismatch)
        XCTAssertTrue(error?.description.contains("is in USD; the store keeps EUR") ?? false, error?.description ?? "")
        let documents = try FatturaPA.read(Support.invoice(bodies: [Support.body(currency: "USD")]), fileName: "edge.xml")
        let events = try FatturaPA.events(for: documents, sellerVAT: company, existingClients: [], currency: Currency.iso4217("USD")!)
        XCTAssertEqual(events.map(\.type), ["ClientRegistered", "InvoiceIssued", "DeadlineSet"])
    }

    func testTheSameInvoiceTwiceIsImportedOnceAndADifferentOneUnderItsNumberIsAnError() throws {
        let bytes = try Support.own("IT01234567890_tp01_two_instalments.xml")
        let once = try FatturaPA.read(bytes, fileName: "a.xml")
        let again = try FatturaPA.read(bytes, fileName: "copy of a.xml")
        let plan = try makePlan(once + again)
        XCTAssertEqual(plan.events.count, 4)
        XCTAssertEqual(plan.skipped.map(\.description),
                       ["copy of a.xml: document FT 12 (TD01, body 1) skipped: the same invoice as in a.xml (body 1); imported once"])

        var changed = again
        changed[0].total = FatturaPAAmount(parsing: "1300")!
        let error = Support.fatturaPAError { () throws(FatturaPAError) in
            _ = try FatturaPA.events(for: once + changed, sellerVAT: "IT01234567890", existingClients: [], currency: .euro)
        }
        XCTAssertEqual(error?.kind, .duplicateInvoice)
        XCTAssertTrue(error?.description.hasPrefix("copy of a.xml: document FT 12") ?? false, error?.description ?? "")
        XCTAssertTrue(error?.description.contains("is also in a.xml (body 1) with different content") ?? false)
    }

    func testLongCausaleIsCutToTheTextLimit() throws {
        let line = String(repeating: "A", count: 200)
        let plan = try makePlan(bodies: [Support.body(causale: Array(repeating: line, count: 6))])
        let description = try XCTUnwrap(plan.events[1].fatturaPAString("description"))
        XCTAssertEqual(description.unicodeScalars.count, EventDataLimits.maximumTextLength)
        XCTAssertTrue(description.hasSuffix("\u{2026}"))
        assertValid(plan.events)
    }

    func testEveryMethodHasAName() {
        XCTAssertEqual(FatturaPAPaymentDetail.methodNames.count, 23)
        for number in 1...23 {
            let code = number < 10 ? "MP0\(number)" : "MP\(number)"
            XCTAssertNotNil(FatturaPAPaymentDetail.methodNames[code], code)
        }
    }
}
