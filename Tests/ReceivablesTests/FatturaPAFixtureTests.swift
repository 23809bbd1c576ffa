import EventLog
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Receivables

/// The real-world FatturaPA files in ../shared/fixtures/fatturapa, read at test time (never
/// copied here). Each is checked against an independent reading of the same XML by
/// Foundation's XMLParser (libxml2), which the tests use only as an oracle.
final class FatturaPAFixtureTests: XCTestCase {
    private typealias Support = FatturaPATestSupport

    /// Files that are not FatturaElettronica documents (simplified invoices, FSM10).
    private let notFatturaPA: Set<String> = ["IT01234567890_FSM10.xml", "IT02780790107_11009.xml"]
    /// Files whose payment details add up to more than the total they leave to be computed
    /// from DatiRiepilogo (32.50 due on 25.00 + 5.50): an error, never a wrong deadline.
    private let paymentsExceedTotal: Set<String> = ["IT01234567890_FPR03.xml", "IT01234567890_FPR10.xml", "IT05979361218_no_decl.xml"]
    /// Documents skipped with a reason: credit notes (TD04), self-invoices (TD17) and a
    /// negative total (FPR16).
    private let skippedTypes: [String: [String]] = [
        "IT01234567890_FPR06.xml": ["TD04"], "IT01234567890_FPR07.xml": ["TD04"],
        "IT01234567890_x05mX.xml": ["TD17"], "IT02780790107_11008.xml": ["TD17"],
        "IT02098391200_FPR16.xml": ["TD01"],
    ]

    // MARK: The oracle

    /// What the oracle reads of one FatturaElettronicaBody.
    private struct OracleBody {
        var type = ""
        var number = ""
        var date = ""
        var total: String?
        var summary: [String] = []
        var hasPayments = false
        var details: [[String: String]] = []
    }

    private struct OracleFile {
        var root = ""
        var sellerCountry = ""
        var sellerCode = ""
        var bodies: [OracleBody] = []
    }

    private final class OracleDelegate: NSObject, XMLParserDelegate {
        var file = OracleFile()
        private var path: [String] = []
        private var text: [String] = []

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            if path.isEmpty { file.root = elementName }
            path.append(elementName)
            text.append("")
            switch elementName {
            case "FatturaElettronicaBody": file.bodies.append(OracleBody())
            case "DatiPagamento" where path.count == 3: file.bodies[file.bodies.count - 1].hasPayments = true
            case "DettaglioPagamento": file.bodies[file.bodies.count - 1].details.append([:])
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if !text.isEmpty { text[text.count - 1] += string }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            let value = (text.popLast() ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let parent = path.count >= 2 ? path[path.count - 2] : ""
            let inSellerVAT = path.count >= 4 && path[path.count - 4] == "CedentePrestatore" && parent == "IdFiscaleIVA"
            if inSellerVAT, elementName == "IdPaese" { file.sellerCountry = value }
            if inSellerVAT, elementName == "IdCodice" { file.sellerCode = value }
            if !file.bodies.isEmpty, path.contains("FatturaElettronicaBody") {
                let index = file.bodies.count - 1
                switch (parent, elementName) {
                case ("DatiGeneraliDocumento", "TipoDocumento"): file.bodies[index].type = value
                case ("DatiGeneraliDocumento", "Numero"): file.bodies[index].number = value
                case ("DatiGeneraliDocumento", "Data"): file.bodies[index].date = String(value.prefix(10))
                case ("DatiGeneraliDocumento", "ImportoTotaleDocumento"): file.bodies[index].total = value
                case ("DatiRiepilogo", "ImponibileImporto"), ("DatiRiepilogo", "Imposta"): file.bodies[index].summary.append(value)
                case ("DettaglioPagamento", _):
                    let detail = file.bodies[index].details.count - 1
                    file.bodies[index].details[detail][elementName] = value
                default: break
                }
            }
            path.removeLast()
        }
    }

    private func oracle(_ bytes: [UInt8]) -> OracleFile? {
        let parser = XMLParser(data: Data(bytes))
        parser.shouldProcessNamespaces = true
        let delegate = OracleDelegate()
        parser.delegate = delegate
        return parser.parse() ? delegate.file : nil
    }

    /// Cents of a decimal text, through Foundation's Decimal (not the importer's parser).
    private func cents(_ text: String) -> Int64? {
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else { return nil }
        var scaled = value * 100
        var rounded = Decimal()
        NSDecimalRound(&rounded, &scaled, 0, .plain)
        guard rounded == scaled else { return nil }
        return NSDecimalNumber(decimal: rounded).int64Value
    }

    // MARK: Every file

    func testEverySharedFileImportsAsItsXMLSays() throws {
        let names = try Support.sharedFileNames()
        XCTAssertFalse(names.isEmpty)
        var failures: [String: FatturaPAError.Kind] = [:]
        var skipped: [String: [String]] = [:]
        var invoices = 0
        var deadlines = 0
        for name in names {
            let bytes = try Support.shared(name)
            guard let expected = oracle(bytes) else {
                // Not well-formed for libxml2 either: the importer must say so, and not crash.
                let error = Support.fatturaPAError { () throws(FatturaPAError) in _ = try FatturaPA.read(bytes, fileName: name) }
                XCTAssertTrue(error?.description.hasPrefix(name + ": ") ?? false, name)
                failures[name] = error?.kind
                continue
            }
            let documents: [FatturaPADocument]
            let plan: FatturaPA.ImportPlan
            do {
                documents = try FatturaPA.read(bytes, fileName: name)
                XCTAssertEqual(documents.count, expected.bodies.count, name)
                plan = try FatturaPA.plan(for: documents, sellerVAT: Support.sellerVAT(of: documents), existingClients: [],
                                          currency: .euro)
            } catch {
                XCTAssertTrue(error.description.hasPrefix(name + ": "), error.description)
                failures[name] = error.kind
                continue
            }
            XCTAssertEqual(documents.first?.seller.description, expected.sellerCountry + expected.sellerCode, name)
            if !plan.skipped.isEmpty { skipped[name] = plan.skipped.map(\.documentType) }

            for body in expected.bodies where !plan.skipped.contains(where: { $0.number == body.number }) {
                let invoiceId = "\(expected.sellerCountry)\(expected.sellerCode)/\(body.date.prefix(4))/\(body.number)"
                let context = "\(name) \(invoiceId)"
                guard let invoice = plan.events.first(where: { $0.type == "InvoiceIssued" && $0.fatturaPAString("invoice") == invoiceId })
                else {
                    XCTFail("\(context): no InvoiceIssued")
                    continue
                }
                invoices += 1
                XCTAssertEqual(invoice.fatturaPAString("issued"), body.date, context)
                XCTAssertEqual(invoice.fatturaPAString("number"), body.number, context)
                let totalCents = body.total.flatMap(cents) ?? body.summary.compactMap(cents).reduce(0, +)
                XCTAssertEqual(invoice.fatturaPAString("amount"), Money(minorUnits: totalCents).canonical(.euro), context)

                let setEvents = plan.events.filter { $0.type == "DeadlineSet" && $0.fatturaPAString("invoice") == invoiceId }
                deadlines += setEvents.count
                let payable = body.details.filter { ($0["ImportoPagamento"].flatMap(cents) ?? 1) > 0 }
                let dated = payable.filter { $0["DataScadenzaPagamento"] != nil }
                // One deadline per payable detail; one for the total when there is no DatiPagamento.
                XCTAssertEqual(setEvents.count, body.hasPayments ? payable.count : 1, context)
                if dated.isEmpty {
                    XCTAssertGreaterThanOrEqual(setEvents.count, 1, context)
                }
                for (detail, event) in zip(payable, setEvents) {
                    if let due = detail["DataScadenzaPagamento"] {
                        XCTAssertEqual(event.fatturaPAString("due"), String(due.prefix(10)), context)
                    } else {
                        let start = Day(iso: String((detail["DataRiferimentoTerminiPagamento"] ?? body.date).prefix(10)))!
                        let days = Int(detail["GiorniTerminiPagamento"] ?? "0") ?? 0
                        XCTAssertEqual(event.fatturaPAString("due"), start.adding(days: days).description, context)
                    }
                    if let amount = detail["ImportoPagamento"].flatMap(cents) {
                        XCTAssertEqual(event.fatturaPAString("amount"), Money(minorUnits: amount).canonical(.euro), context)
                    }
                    let method = detail["ModalitaPagamento"] ?? ""
                    XCTAssertTrue(event.fatturaPAString("description")?.hasPrefix(method + " ") ?? false, context)
                }
                if !body.hasPayments {
                    XCTAssertEqual(setEvents.first?.fatturaPAString("due"), body.date, context)
                    XCTAssertEqual(setEvents.first?.fatturaPAString("amount"), invoice.fatturaPAString("amount"), context)
                }
            }
            // Every event is one the catalog accepts.
            for event in plan.events {
                XCTAssertNoThrow(try DomainEvent.decode(type: EventType(rawValue: event.type)!, data: event.data, currency: .euro),
                                 "\(name) \(event.type)")
            }
        }
        XCTAssertEqual(Set(failures.filter { $0.value == .notFatturaPA }.keys), notFatturaPA.intersection(names))
        XCTAssertEqual(Set(failures.filter { $0.value == .paymentsExceedTotal }.keys), paymentsExceedTotal.intersection(names))
        XCTAssertEqual(Set(failures.keys), notFatturaPA.union(paymentsExceedTotal).intersection(names), "\(failures)")
        XCTAssertEqual(skipped, skippedTypes.filter { names.contains($0.key) })
        XCTAssertGreaterThan(invoices, 30)
        XCTAssertGreaterThan(deadlines, invoices)
    }

    /// Broken copies of every file (cut short, a wrong encoding declared) are answered with a
    /// clear error naming the file, never a crash.
    func testDamagedCopiesGiveClearErrors() throws {
        for name in try Support.sharedFileNames() {
            let bytes = try Support.shared(name)
            for cut in [bytes.count / 3, bytes.count / 2, bytes.count - 3] {
                let error = Support.fatturaPAError { () throws(FatturaPAError) in
                    _ = try FatturaPA.read(Array(bytes[..<cut]), fileName: name)
                }
                XCTAssertEqual(error?.kind, .notWellFormed, "\(name) cut at \(cut)")
                XCTAssertTrue(error?.description.hasPrefix("\(name): not well formed at line ") ?? false, error?.description ?? name)
            }
        }
        // A UTF-8 file with accents, declared as US-ASCII.
        let bytes = try Support.shared("IT01234567890_FPR13.xml")
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "encoding=\"utf-8\"", with: "encoding=\"US-ASCII\"")
        var asASCII = Array(text.utf8)
        if asASCII.starts(with: [0xEF, 0xBB, 0xBF]) { asASCII.removeFirst(3) }
        let error = Support.fatturaPAError { () throws(FatturaPAError) in _ = try FatturaPA.read(asASCII, fileName: "FPR13.xml") }
        XCTAssertEqual(error?.kind, .notWellFormed)
        XCTAssertTrue(error?.description.contains("is not US-ASCII") ?? false, error?.description ?? "")
    }

    /// Each importable file, appended into a fresh store, is accepted whole; a second import
    /// appends nothing.
    func testEveryImportableFileAppendsOnceIntoAStore() throws {
        let now = Timestamp(rfc3339: "2026-04-01T09:00:00.000Z")!
        for name in try Support.sharedFileNames() {
            let bytes = try Support.shared(name)
            guard let documents = try? FatturaPA.read(bytes, fileName: name),
                let events = try? FatturaPA.events(for: documents, sellerVAT: Support.sellerVAT(of: documents),
                                                   existingClients: [], currency: .euro),
                !events.isEmpty
            else { continue }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fatturapa-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = try ReceivablesStore(path: directory.path, create: true)
            do {
                let first = try store.append(events, now: now)
                XCTAssertEqual(first.appended, events.count, name)
                let again = try store.append(events, now: now)
                XCTAssertEqual(again.appended, 0, name)
            } catch {
                XCTFail("\(name): \(error)")
            }
        }
    }

    // MARK: Notable files

    func testInstalmentsWithABankAndAFullPaymentBlock() throws {
        let name = "IT02780790107_11004.xml"
        let documents = try FatturaPA.read(try Support.shared(name), fileName: name)
        let events = try FatturaPA.events(for: documents, sellerVAT: "02780790107", existingClients: [], currency: .euro)
        XCTAssertEqual(events.map(\.type), ["ClientRegistered", "InvoiceIssued", "DeadlineSet", "DeadlineSet", "DeadlineSet"])
        // The buyer has a fiscal code only.
        XCTAssertEqual(events[0].data, ["client": "80213330584", "name": "AMMINISTRAZIONE BETA"])
        XCTAssertEqual(events[1].fatturaPAString("invoice"), "IT02780790107/2014/123")
        // No ImportoTotaleDocumento: 34.00 + 7.48 from DatiRiepilogo.
        XCTAssertEqual(events[1].fatturaPAString("amount"), "41.48")
        XCTAssertTrue(events[1].fatturaPAString("description")?.hasPrefix("LA FATTURA FA RIFERIMENTO AD UNA OPERAZIONE") ?? false)
        XCTAssertTrue(events[1].fatturaPAString("description")?.contains("QQQQ SEGUE DESCRIZIONE") ?? false)
        XCTAssertEqual(events[2...].map { $0.fatturaPAString("due") }, ["2015-04-30", "2015-05-30", "2015-06-30"])
        XCTAssertEqual(events[2...].map { $0.fatturaPAString("amount") }, ["20.00", "9.00", "1.50"])
        XCTAssertEqual(events[2...].map { $0.fatturaPAString("description") }, Array(repeating: "MP05 bonifico", count: 3))
        XCTAssertEqual(events[2...].map { $0.fatturaPAString("deadline") },
                       ["IT02780790107/2014/123-1", "IT02780790107/2014/123-2", "IT02780790107/2014/123-3"])
    }

    func testTwoMP05InstalmentsAndASellerCodeWithTrailingSpaces() throws {
        let name = "IT05979361218_001.xml"
        let documents = try FatturaPA.read(try Support.shared(name), fileName: name)
        XCTAssertEqual(documents.first?.seller.description, "IT05979361218")
        let events = try FatturaPA.events(for: documents, sellerVAT: "IT05979361218", existingClients: ["80213330584"], currency: .euro)
        XCTAssertEqual(events.map(\.type), ["InvoiceIssued", "DeadlineSet", "DeadlineSet"])
        XCTAssertEqual(events[0].fatturaPAString("invoice"), "IT05979361218/2015/FT/2015/0006")
        XCTAssertEqual(events[0].fatturaPAString("amount"), "57.00")
        XCTAssertEqual(events[1...].map { $0.fatturaPAString("due") }, ["2015-03-18", "2015-04-17"])
        XCTAssertEqual(events[1...].map { $0.fatturaPAString("amount") }, ["27.00", "27.00"])
    }

    func testTwoBodiesWhoseFirstScheduleExceedsItsComputedTotal() throws {
        let name = "IT01234567890_FPR03.xml"
        let documents = try FatturaPA.read(try Support.shared(name), fileName: name)
        XCTAssertEqual(documents.map(\.number), ["123", "456"])
        XCTAssertEqual(documents.map { $0.payments.map(\.condition) }, [["TP01"], ["TP01"]])
        XCTAssertEqual(documents.flatMap { $0.payments.flatMap { $0.details.map(\.method) } }, ["MP01", "MP19"])
        XCTAssertEqual(documents.flatMap { $0.payments.flatMap { $0.details.map(\.due) } }, [Day(iso: "2015-01-30"), Day(iso: "2015-01-28")])
        XCTAssertEqual(documents.flatMap { $0.payments.flatMap { $0.details.map { $0.amount?.description } } }, ["32.50", "2440.00"])
        XCTAssertEqual(documents.map(\.total.description), ["30.50", "2440.00"])
        XCTAssertEqual(documents.map(\.totalIsComputed), [true, true])

        let error = Support.fatturaPAError { () throws(FatturaPAError) in
            _ = try FatturaPA.events(for: documents, sellerVAT: "IT02780790107", existingClients: [], currency: .euro)
        }
        XCTAssertEqual(error?.kind, .paymentsExceedTotal)
        XCTAssertEqual(error?.description, "\(name): document 123 (body 1, line \(documents[0].line)): the payment details "
            + "(DettaglioPagamento) add up to 32.50, more than the document total 30.50 (computed from DatiRiepilogo, "
            + "as ImportoTotaleDocumento is absent)")

        // The second body alone is a sound invoice with one SEPA direct debit.
        let second = try FatturaPA.events(for: [documents[1]], sellerVAT: "IT02780790107", existingClients: [], currency: .euro)
        XCTAssertEqual(second.map(\.type), ["ClientRegistered", "InvoiceIssued", "DeadlineSet"])
        XCTAssertEqual(second[0].data, ["client": "03533590174", "name": "BETA GAMMA"])
        XCTAssertEqual(second[1].fatturaPAString("amount"), "2440.00")
        XCTAssertEqual(second[2].data, [
            "deadline": "IT02780790107/2014/456-1", "client": "03533590174", "due": "2015-01-28", "amount": "2440.00",
            "invoice": "IT02780790107/2014/456", "description": "MP19 SEPA Direct Debit",
        ])
    }

    func testWindows1252FileWithTwoBodiesAndWithholding() throws {
        let name = "IT02182030391_32.windows-1252.xml"
        let documents = try FatturaPA.read(try Support.shared(name), fileName: name)
        let plan = try FatturaPA.plan(for: documents, sellerVAT: "IT12345678901", existingClients: [], currency: .euro)
        XCTAssertEqual(plan.events.map(\.type), ["ClientRegistered", "InvoiceIssued", "DeadlineSet", "InvoiceIssued", "DeadlineSet"])
        XCTAssertEqual(plan.events[0].data, ["client": "IT01180680397", "name": "CIR 2000 snc", "vat": "IT01180680397"])
        XCTAssertEqual(plan.events.filter { $0.type == "InvoiceIssued" }.map { $0.fatturaPAString("invoice") },
                       ["IT12345678901/2017/3", "IT12345678901/2017/4"])
        // ImportoTotaleDocumento 174.80; the customer pays 119.86 (the rest is withheld).
        XCTAssertEqual(plan.events.map { $0.fatturaPAString("amount") }, [nil, "174.80", "119.86", "174.80", "119.86"])
        XCTAssertEqual(plan.events[2].fatturaPAString("due"), "2017-02-28")
    }

    func testDatesAmountsAndTermsAsRealFilesWriteThem() throws {
        func events(_ name: String) throws -> [EventInput] {
            let documents = try FatturaPA.read(try Support.shared(name), fileName: name)
            return try FatturaPA.events(for: documents, sellerVAT: Support.sellerVAT(of: documents), existingClients: [], currency: .euro)
        }
        // A due date with a zone: "2015-06-03+02:00".
        XCTAssertEqual(try events("IT05979361218_007.xml").last?.fatturaPAString("due"), "2015-06-03")
        XCTAssertEqual(try events("IT05979361218_007.xml").last?.fatturaPAString("description"), "MP18 bollettino di c/c postale")
        // A total with leading spaces: "  56.50".
        XCTAssertEqual(try events("IT02780790107_11007.xml")[1].fatturaPAString("amount"), "56.50")
        // A document date with a zone: "2014-12-18+01:00".
        XCTAssertEqual(try events("IT02780790107_11004_xml_doctor.xml")[1].fatturaPAString("issued"), "2014-12-18")
        // A due date wins over the terms it was computed from.
        let terms = try events("IT05979361218_ripilogoiva.xml")
        XCTAssertEqual(terms.last?.fatturaPAString("due"), "2020-11-05")
        XCTAssertEqual(terms.last?.fatturaPAString("amount"), "204.16")
        // A card payment without a date: due on the document date. No XML declaration, UTF-8 text.
        let card = try events("IT08973230967_6zZcm.xml")
        XCTAssertEqual(card.last?.fatturaPAString("due"), "2023-08-07")
        XCTAssertEqual(card.last?.fatturaPAString("description"), "MP08 carta di pagamento")
        // A negative TD01 is skipped, saying why.
        let name = "IT02098391200_FPR16.xml"
        let documents = try FatturaPA.read(try Support.shared(name), fileName: name)
        let plan = try FatturaPA.plan(for: documents, sellerVAT: "IT02780790107", existingClients: [], currency: .euro)
        XCTAssertEqual(plan.events.count, 0)
        XCTAssertEqual(plan.skipped.map(\.description),
                       ["\(name): document 2023/131703/1 (TD01, body 1) skipped: its total is -1.83; only a positive total is a receivable"])
    }

    func testSimplifiedInvoicesAreNotFatturaPA() throws {
        let name = "IT01234567890_FSM10.xml"
        let error = Support.fatturaPAError { () throws(FatturaPAError) in _ = try FatturaPA.read(try! Support.shared(name), fileName: name) }
        XCTAssertEqual(error?.description, "\(name): not a FatturaPA invoice (root element is FatturaElettronicaSemplificata; "
            + "simplified invoices (FSM10) are not imported)")
    }

    /// Two different files under one seller, year and number (FT/2015/0009) are refused together.
    func testTheSameNumberTwiceInAYearIsRefused() throws {
        var documents: [FatturaPADocument] = []
        for name in ["IT05979361218_004.xml", "IT05979361218_007.xml"] {
            documents += try FatturaPA.read(try Support.shared(name), fileName: name)
        }
        let error = Support.fatturaPAError { () throws(FatturaPAError) in
            _ = try FatturaPA.events(for: documents, sellerVAT: "IT05979361218", existingClients: [], currency: .euro)
        }
        XCTAssertEqual(error?.kind, .duplicateInvoice)
        XCTAssertTrue(error?.description.hasPrefix("IT05979361218_007.xml: document FT/2015/0009") ?? false, error?.description ?? "")
    }
}
