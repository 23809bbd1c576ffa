import EventLog
import Foundation
import XCTest
@testable import Receivables

/// Where the FatturaPA samples are, and small helpers shared by the FatturaPA tests.
enum FatturaPATestSupport {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The project's own samples, written from the schema.
    static let ownSamples = packageRoot.appendingPathComponent("Fixtures/fatturapa")

    /// The shared real-world invoices (read here, never copied into the project):
    /// $FATTURAPA_FIXTURES, else ../shared/fixtures/fatturapa next to the package, else
    /// /work/shared/fixtures/fatturapa; nil when none exists.
    static var sharedSamples: URL? {
        var candidates: [URL] = []
        if let configured = ProcessInfo.processInfo.environment["FATTURAPA_FIXTURES"], !configured.isEmpty {
            candidates.append(URL(fileURLWithPath: configured))
        }
        candidates.append(packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/fatturapa"))
        candidates.append(URL(fileURLWithPath: "/work/shared/fixtures/fatturapa"))
        return candidates.first { url in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
    }

    static func sharedDirectory() throws -> URL {
        guard let directory = sharedSamples else {
            throw XCTSkip("the shared FatturaPA fixtures are absent (looked in $FATTURAPA_FIXTURES, "
                + "../shared/fixtures/fatturapa and /work/shared/fixtures/fatturapa)")
        }
        return directory
    }

    static func sharedFileNames() throws -> [String] {
        let directory = try sharedDirectory()
        return try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".xml") }.sorted()
    }

    static func shared(_ name: String) throws -> [UInt8] {
        let url = try sharedDirectory().appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("the shared FatturaPA fixture \(name) is absent")
        }
        return Array(try Data(contentsOf: url))
    }

    static func own(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: ownSamples.appendingPathComponent(name)))
    }

    /// The FatturaPA error `body` throws, or a test failure.
    static func fatturaPAError(_ body: () throws(FatturaPAError) -> Void, file: StaticString = #filePath,
                               line: UInt = #line) -> FatturaPAError? {
        do {
            try body()
            XCTFail("expected a FatturaPAError", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    /// The seller VAT number a file's documents were issued under.
    static func sellerVAT(of documents: [FatturaPADocument]) -> String {
        documents.first?.seller.description ?? ""
    }

    /// A minimal FatturaPA file around the given bodies, for edge cases that need no file.
    static func invoice(seller: String = "01234567890", buyerVAT: String = "09876543210",
                        bodies: [String]) -> [UInt8] {
        Array("""
            <?xml version="1.0" encoding="UTF-8"?>
            <p:FatturaElettronica versione="FPR12" xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2">
              <FatturaElettronicaHeader>
                <CedentePrestatore><DatiAnagrafici>
                  <IdFiscaleIVA><IdPaese>IT</IdPaese><IdCodice>\(seller)</IdCodice></IdFiscaleIVA>
                  <Anagrafica><Denominazione>Esempio Ricevibili S.r.l.</Denominazione></Anagrafica>
                </DatiAnagrafici></CedentePrestatore>
                <CessionarioCommittente><DatiAnagrafici>
                  <IdFiscaleIVA><IdPaese>IT</IdPaese><IdCodice>\(buyerVAT)</IdCodice></IdFiscaleIVA>
                  <Anagrafica><Denominazione>Rossi Forniture S.r.l.</Denominazione></Anagrafica>
                </DatiAnagrafici></CessionarioCommittente>
              </FatturaElettronicaHeader>
            \(bodies.joined(separator: "\n"))
            </p:FatturaElettronica>
            """.utf8)
    }

    /// One FatturaElettronicaBody.
    static func body(type: String = "TD01", currency: String = "EUR", date: String = "2026-01-15", number: String = "1",
                     total: String? = "122.00", causale: [String] = [], summary: [(String, String)] = [("100.00", "22.00")],
                     payments: String = "") -> String {
        let totalLine = total.map { "<ImportoTotaleDocumento>\($0)</ImportoTotaleDocumento>" } ?? ""
        let causaleLines = causale.map { "<Causale>\($0)</Causale>" }.joined()
        let summaryRows = summary.map {
            "<DatiRiepilogo><AliquotaIVA>22.00</AliquotaIVA><ImponibileImporto>\($0.0)</ImponibileImporto>"
                + "<Imposta>\($0.1)</Imposta></DatiRiepilogo>"
        }.joined()
        return """
              <FatturaElettronicaBody>
                <DatiGenerali><DatiGeneraliDocumento>
                  <TipoDocumento>\(type)</TipoDocumento><Divisa>\(currency)</Divisa><Data>\(date)</Data>
                  <Numero>\(number)</Numero>\(totalLine)\(causaleLines)
                </DatiGeneraliDocumento></DatiGenerali>
                <DatiBeniServizi>\(summaryRows)</DatiBeniServizi>
                \(payments)
              </FatturaElettronicaBody>
            """
    }

    /// One DatiPagamento block with details (method, due, amount).
    static func payment(_ condition: String = "TP01", _ details: [(method: String, due: String?, amount: String?)]) -> String {
        let rows = details.map { detail in
            "<DettaglioPagamento><ModalitaPagamento>\(detail.method)</ModalitaPagamento>"
                + (detail.due.map { "<DataScadenzaPagamento>\($0)</DataScadenzaPagamento>" } ?? "")
                + (detail.amount.map { "<ImportoPagamento>\($0)</ImportoPagamento>" } ?? "")
                + "</DettaglioPagamento>"
        }.joined()
        return "<DatiPagamento><CondizioniPagamento>\(condition)</CondizioniPagamento>\(rows)</DatiPagamento>"
    }
}

extension EventInput {
    /// A string member of the data, for short assertions.
    func fatturaPAString(_ field: String) -> String? {
        data[field]?.stringValue
    }
}
