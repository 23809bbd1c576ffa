import Foundation
import XCTest

/// `import-fatturapa` end to end: our own samples, idempotency, dry runs and bad files.
final class ImportCommandTests: XCTestCase {
    let samples = CommandHarness.packageRoot.appendingPathComponent("Fixtures/fatturapa").path

    func testImportingAFolderTwiceAppendsOnceAndReportsTheBadFiles() throws {
        let harness = try CommandHarness()
        assertExit(try harness.run(["init"]), 0)
        let dry = try harness.run(["import-fatturapa", samples, "--seller-vat", "IT01234567890", "--dry-run"])
        assertExit(dry, 1)
        XCTAssertEqual(try harness.run(["export"]).standardOutput, "", "a dry run appends nothing")
        let first = try harness.run(["import-fatturapa", samples, "--seller-vat", "IT01234567890", "--now", "2026-12-03T10:00:00.000Z"])
        assertExit(first, 1)
        XCTAssertEqual(first.standardError.split(separator: "\n").count, 1)
        XCTAssertTrue(first.standardError.contains("4 of 9 files were not imported"), first.standardError)
        XCTAssertTrue(first.standardError.contains("not by the company"), first.standardError)
        XCTAssertTrue(first.standardError.contains("DOCTYPE is not allowed"), first.standardError)
        let appended = try XCTUnwrap(first.jsonObject["appended"] as? Int)
        XCTAssertEqual(dry.jsonObject["appended"] as? Int, appended, "the dry run said what the import did")
        XCTAssertGreaterThan(appended, 10)
        let second = try harness.run(["import-fatturapa", samples, "--seller-vat", "IT01234567890", "--now", "2026-12-03T11:00:00.000Z"])
        XCTAssertEqual(second.jsonObject["appended"] as? Int, 0, "the same files again append nothing")
        assertExit(try harness.run(["verify"]), 0)

        // The instalments are deadlines with the amounts and dates of the XML.
        let calendar = try harness.run(["calendar", "--from", "2020-01-01", "--to", "2030-12-31", "--format", "json"])
        let entries = (calendar.jsonObject["periods"] as? [[String: Any]] ?? []).flatMap { $0["deadlines"] as? [[String: Any]] ?? [] }
        XCTAssertEqual(entries.count, 8)
        // Every deadline from a DettaglioPagamento keeps its ModalitaPagamento; the one invoice
        // without DatiPagamento gets one deadline for its total and no method.
        XCTAssertEqual(entries.filter { ($0["description"] as? String)?.hasPrefix("MP") ?? false }.count, 7, "\(entries)")
    }

    func testASellerVATIsRequired() throws {
        let harness = try CommandHarness()
        assertExit(try harness.run(["init"]), 0)
        let result = try harness.run(["import-fatturapa", samples])
        assertExit(result, 2)
        XCTAssertTrue(result.standardError.contains("--seller-vat"))
    }

    func testTheSharedRealInvoicesImportWithTheirOwnSellers() throws {
        guard let shared = CommandHarness.sharedFixtures?.appendingPathComponent("fatturapa") else {
            throw XCTSkip("../shared/fixtures is not beside this checkout")
        }
        let file = shared.appendingPathComponent("IT02780790107_11004.xml").path
        let harness = try CommandHarness()
        assertExit(try harness.run(["init"]), 0)
        let result = try harness.run(["import-fatturapa", file, "--seller-vat", "IT02780790107"])
        assertExit(result, 0)
        let files = try XCTUnwrap(result.jsonObject["files"] as? [[String: Any]])
        XCTAssertEqual(files.first?["status"] as? String, "imported")
        XCTAssertGreaterThanOrEqual(files.first?["deadlines"] as? Int ?? 0, 2)
    }
}
