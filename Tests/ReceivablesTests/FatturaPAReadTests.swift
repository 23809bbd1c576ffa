import Foundation
import XCTest
@testable import Receivables

/// `FatturaPA.read` on the project's own samples (Fixtures/fatturapa, written from the schema)
/// and on hand-made edge cases.
final class FatturaPAReadTests: XCTestCase {
    private typealias Support = FatturaPATestSupport

    private func read(_ name: String) throws -> [FatturaPADocument] {
        try FatturaPA.read(try Support.own(name), fileName: name)
    }

    private func amount(_ text: String) -> FatturaPAAmount {
        FatturaPAAmount(parsing: text)!
    }

    func testPlainInvoiceWithTwoInstalments() throws {
        let documents = try read("IT01234567890_tp01_two_instalments.xml")
        XCTAssertEqual(documents.count, 1)
        let document = try XCTUnwrap(documents.first)
        XCTAssertEqual(document.fileName, "IT01234567890_tp01_two_instalments.xml")
        XCTAssertEqual(document.bodyIndex, 1)
        XCTAssertEqual(document.formatVersion, "FPR12")
        XCTAssertEqual(document.seller, FatturaPAVATNumber(country: "IT", code: "01234567890"))
        XCTAssertEqual(document.sellerName, "Esempio Ricevibili S.r.l.")
        XCTAssertEqual(document.buyer, FatturaPABuyer(vat: FatturaPAVATNumber(country: "IT", code: "09876543210"),
                                                      fiscalCode: "09876543210", name: "Rossi Forniture S.r.l."))
        XCTAssertEqual(document.documentType, "TD01")
        XCTAssertEqual(document.currencyCode, "EUR")
        XCTAssertEqual(document.number, "FT 12")
        XCTAssertEqual(document.date, Day(iso: "2026-01-15"))
        XCTAssertEqual(document.total, amount("1220.00"))
        XCTAssertFalse(document.totalIsComputed)
        XCTAssertEqual(document.causale, ["Fornitura di gennaio"])
        XCTAssertEqual(document.payments.map(\.condition), ["TP01"])
        let details = document.payments[0].details
        XCTAssertEqual(details.map(\.method), ["MP05", "MP05"])
        XCTAssertEqual(details.map(\.due), [Day(iso: "2026-02-15"), Day(iso: "2026-03-15")])
        XCTAssertEqual(details.map(\.amount), [amount("610"), amount("610")])
        XCTAssertEqual(details.first?.methodName, "bonifico")
    }

    func testTermsOnlyPaymentAndComputedTotal() throws {
        let document = try XCTUnwrap(try read("IT01234567890_tp02_terms_only.xml").first)
        XCTAssertEqual(document.buyer, FatturaPABuyer(vat: nil, fiscalCode: "RSSMRA80A01F205X", name: "Mario Rossi"))
        // No ImportoTotaleDocumento: 100.00 + 22.00 + 50.00 + 2.00 from the two DatiRiepilogo rows.
        XCTAssertEqual(document.total, amount("174.00"))
        XCTAssertTrue(document.totalIsComputed)
        XCTAssertEqual(document.causale, [])
        let detail = try XCTUnwrap(document.payments.first?.details.first)
        XCTAssertEqual(document.payments.first?.condition, "TP02")
        XCTAssertNil(detail.due)
        XCTAssertEqual(detail.termDays, 30)
        XCTAssertNil(detail.termsStart)
        XCTAssertEqual(detail.method, "MP12")
    }

    func testNoPaymentDataAndEightDecimals() throws {
        let document = try XCTUnwrap(try read("IT01234567890_no_payment_data.xml").first)
        XCTAssertEqual(document.payments, [])
        XCTAssertEqual(document.total, amount("244"))
        XCTAssertEqual(document.total.description, "244.00")
    }

    func testWindows1252IsReadAsUnicode() throws {
        let document = try XCTUnwrap(try read("IT01234567890_windows1252.xml").first)
        XCTAssertEqual(document.causale, ["Caffè e cornetti, 30 € più IVA"])
        XCTAssertEqual(document.buyer.name, "Caffè Città S.n.c.")
    }

    func testSeveralBodiesAreSeveralDocuments() throws {
        let documents = try read("IT01234567890_two_bodies.xml")
        XCTAssertEqual(documents.map(\.bodyIndex), [1, 2])
        XCTAssertEqual(documents.map(\.number), ["16", "17"])
        XCTAssertEqual(documents[0].buyer, documents[1].buyer)
        XCTAssertEqual(documents[1].payments.map(\.condition), ["TP03", "TP02"])
        let balance = documents[1].payments[1].details[0]
        XCTAssertEqual(balance.termsStart, Day(iso: "2026-03-31"))
        XCTAssertEqual(balance.termDays, 60)
        XCTAssertLessThan(documents[0].line, documents[1].line)
    }

    func testErrorsNameTheFileAndSayWhat() throws {
        let notXML = Support.fatturaPAError { () throws(FatturaPAError) in
            _ = try FatturaPA.read(try! Support.own("not_xml.xml"), fileName: "not_xml.xml")
        }
        XCTAssertEqual(notXML?.kind, .notWellFormed)
        XCTAssertEqual(notXML?.description, "not_xml.xml: not well formed at line 1: this is not XML: it starts with \"%PDF-1.4\", not with \"<\"")

        let otherRoot = Support.fatturaPAError { () throws(FatturaPAError) in
            _ = try FatturaPA.read(Array("<?xml version=\"1.0\"?>\n<Order/>".utf8), fileName: "order.xml")
        }
        XCTAssertEqual(otherRoot?.description, "order.xml: not a FatturaPA invoice (root element is Order)")
        XCTAssertEqual(otherRoot?.line, 2)

        let doctype = Support.fatturaPAError { () throws(FatturaPAError) in
            _ = try FatturaPA.read(try! Support.own("billion_laughs.xml"), fileName: "billion_laughs.xml")
        }
        XCTAssertEqual(doctype?.kind, .forbiddenMarkup)
        XCTAssertTrue(doctype?.description.hasPrefix("billion_laughs.xml: refused at line 2: a DOCTYPE is not allowed") ?? false,
                      doctype?.description ?? "")

        let external = Support.fatturaPAError { () throws(FatturaPAError) in
            _ = try FatturaPA.read(try! Support.own("external_entity.xml"), fileName: "external_entity.xml")
        }
        XCTAssertEqual(external?.kind, .forbiddenMarkup)

        let badVersion = Support.fatturaPAError { () throws(FatturaPAError) in
            _ = try FatturaPA.read(Array("<FatturaElettronica versione=\"FSM10\"/>".utf8), fileName: "v.xml")
        }
        XCTAssertEqual(badVersion?.kind, .notFatturaPA)
    }

    func testContentErrorsNameTheBodyAndTheLine() {
        func readError(_ body: String) -> FatturaPAError? {
            Support.fatturaPAError { () throws(FatturaPAError) in
                _ = try FatturaPA.read(Support.invoice(bodies: [body]), fileName: "edge.xml")
            }
        }
        let cases: [(String, String)] = [
            (Support.body(date: "2026-02-30"), "Data \"2026-02-30\" is not a date"),
            (Support.body(date: "15/01/2026"), "Data \"15/01/2026\" is not a date"),
            (Support.body(total: "12,50"), "ImportoTotaleDocumento \"12,50\" is not an amount"),
            (Support.body(total: "1.123456789"), "at most 8 decimals"),
            (Support.body(total: "1e3"), "is not an amount"),
            (Support.body(number: ""), "has no Numero"),
            (Support.body(number: "123456789012345678901"), "is not 1 to 20 printable ASCII characters"),
            (Support.body(type: "XX01"), "TipoDocumento \"XX01\""),
            (Support.body(total: nil, summary: []), "no ImportoTotaleDocumento and no DatiRiepilogo"),
            (Support.body(payments: Support.payment("TP09", [("MP05", "2026-02-01", "1.00")])), "CondizioniPagamento \"TP09\""),
            (Support.body(payments: Support.payment("TP01", [("BONIFICO", "2026-02-01", "1.00")])), "ModalitaPagamento \"BONIFICO\""),
            (Support.body(payments: Support.payment("TP01", [])), "has no DettaglioPagamento"),
            (Support.body(payments: Support.payment("TP01", [("MP05", "2026-13-01", "1.00")])), "DataScadenzaPagamento \"2026-13-01\""),
        ]
        for (body, fragment) in cases {
            let error = readError(body)
            XCTAssertEqual(error?.kind, .invalidContent, fragment)
            XCTAssertNotNil(error?.line, fragment)
            XCTAssertTrue(error?.description.hasPrefix("edge.xml: body 1") ?? false, error?.description ?? fragment)
            XCTAssertTrue(error?.description.contains(fragment) ?? false, "\(error?.description ?? "no error") lacks \(fragment)")
        }
    }

    func testHeaderErrors() {
        let noSellerVAT = Support.fatturaPAError { () throws(FatturaPAError) in
            _ = try FatturaPA.read(Array("""
                <FatturaElettronica versione="FPR12"><FatturaElettronicaHeader>
                <CedentePrestatore><DatiAnagrafici><CodiceFiscale>RSSMRA80A01F205X</CodiceFiscale></DatiAnagrafici></CedentePrestatore>
                </FatturaElettronicaHeader><FatturaElettronicaBody/></FatturaElettronica>
                """.utf8), fileName: "h.xml")
        }
        XCTAssertEqual(noSellerVAT?.description, "h.xml: CedentePrestatore has no IdFiscaleIVA (the seller's VAT number)")
        let noBody = Support.fatturaPAError { () throws(FatturaPAError) in
            _ = try FatturaPA.read(Array("<FatturaElettronica><FatturaElettronicaHeader/></FatturaElettronica>".utf8), fileName: "h.xml")
        }
        XCTAssertEqual(noBody?.description, "h.xml: FatturaElettronica holds no FatturaElettronicaBody")
    }

    func testLenientValuesRealFilesCarry() throws {
        let body = Support.body(date: " 2026-01-15+01:00 ", number: "  A/7 ", total: "  122.00\n",
                                payments: Support.payment("TP02", [("MP05", "2026-02-15Z", "122.00000000")]))
        let document = try XCTUnwrap(try FatturaPA.read(Support.invoice(bodies: [body]), fileName: "lenient.xml").first)
        XCTAssertEqual(document.date, Day(iso: "2026-01-15"))
        XCTAssertEqual(document.number, "A/7")
        XCTAssertEqual(document.total, amount("122"))
        XCTAssertEqual(document.payments[0].details[0].due, Day(iso: "2026-02-15"))
    }

    func testAmounts() {
        XCTAssertEqual(FatturaPAAmount(parsing: "1220.50")?.money(in: .euro), Money(minorUnits: 122_050))
        XCTAssertEqual(FatturaPAAmount(parsing: "100.00000000")?.money(in: .euro), Money(minorUnits: 10_000))
        XCTAssertEqual(FatturaPAAmount(parsing: "-1.83")?.money(in: .euro), Money(minorUnits: -183))
        XCTAssertEqual(FatturaPAAmount(parsing: "007.5")?.money(in: .euro), Money(minorUnits: 750))
        XCTAssertEqual(FatturaPAAmount(parsing: "12")?.money(in: .euro), Money(minorUnits: 1200))
        XCTAssertNil(FatturaPAAmount(parsing: "10.005")?.money(in: .euro), "more decimals than EUR has: never rounded")
        XCTAssertEqual(FatturaPAAmount(parsing: "10.005")?.description, "10.005")
        XCTAssertEqual(FatturaPAAmount(parsing: "10")?.money(in: Currency.iso4217("JPY")!), Money(minorUnits: 10))
        XCTAssertNil(FatturaPAAmount(parsing: "10.5")?.money(in: Currency.iso4217("JPY")!))
        XCTAssertNil(FatturaPAAmount(parsing: "99999999999999999999.00")?.money(in: .euro))
        for bad in ["", "-", ".5", "1.", "1,5", "+1", "1e3", " 1", "1.000000001", "--1", "1.2.3"] {
            XCTAssertNil(FatturaPAAmount(parsing: bad), bad)
        }
        XCTAssertEqual(FatturaPAAmount(parsing: "0.10")!.adding(FatturaPAAmount(parsing: "0.2")!), FatturaPAAmount(parsing: "0.3"))
        XCTAssertEqual(FatturaPAAmount(parsing: "-1.50")!.adding(FatturaPAAmount(parsing: "-0.33")!)?.description, "-1.83")
        XCTAssertEqual(FatturaPAAmount(parsing: "0.05")?.description, "0.05")
    }

    func testVATNumbers() {
        XCTAssertEqual(FatturaPAVATNumber(parsing: "IT01234567890")?.description, "IT01234567890")
        XCTAssertEqual(FatturaPAVATNumber(parsing: "it 0123 4567 890")?.description, "IT01234567890")
        XCTAssertEqual(FatturaPAVATNumber(parsing: "01234567890")?.description, "IT01234567890")
        XCTAssertEqual(FatturaPAVATNumber(parsing: "DE123456788")?.country, "DE")
        XCTAssertNil(FatturaPAVATNumber(parsing: ""))
        XCTAssertNil(FatturaPAVATNumber(parsing: "IT-01234567890"))
        XCTAssertNil(FatturaPAVATNumber(parsing: "IT"))
    }
}
