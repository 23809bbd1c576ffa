import EventLog
import Foundation
import XCTest

/// Payment documents: stored content-addressed, attached in the log, given back byte for byte,
/// bounded in size, typed by their bytes, and checked by verify.
final class DocumentCommandTests: XCTestCase {
    func makeStore() throws -> CommandHarness {
        let harness = try CommandHarness()
        assertExit(try harness.run(["init"]), 0)
        let scenario = CommandHarness.packageRoot.appendingPathComponent("Fixtures/golden/scenario.jsonl").path
        assertExit(try harness.run(["append", scenario, "--now", "2026-03-01T09:00:00.000Z"]), 0)
        return harness
    }

    func writeBytes(_ bytes: [UInt8], _ name: String, in harness: CommandHarness) throws -> String {
        let url = harness.directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    func testRoundTripMediaTypesAndTheHistory() throws {
        let harness = try makeStore()
        var random = SystemRandomNumberGenerator()
        let noise = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &random) }
        let files: [(String, [UInt8], String)] = [
            ("receipt.pdf", Array("%PDF-1.7\n".utf8) + noise, "application/pdf"),
            ("cheque.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + noise, "image/png"),
            ("cheque.jpg", [0xFF, 0xD8, 0xFF, 0xE0] + noise, "image/jpeg"),
            ("scan.tif", [0x49, 0x49, 0x2A, 0x00] + noise, "image/tiff"),
            ("scan-be.tiff", [0x4D, 0x4D, 0x00, 0x2A] + noise, "image/tiff"),
            ("notes.pdf", Array("not really a pdf".utf8), "application/octet-stream"),
        ]
        for (name, bytes, mediaType) in files {
            let path = try writeBytes(bytes, name, in: harness)
            let attached = try harness.run(["attach", "P2", path, "--now", "2026-03-02T09:00:00.000Z"])
            assertExit(attached, 0)
            XCTAssertEqual(attached.jsonObject["mediaType"] as? String, mediaType, name)
            XCTAssertEqual(attached.jsonObject["size"] as? Int, bytes.count)
            let sha = try XCTUnwrap(attached.jsonObject["sha256"] as? String)
            let out = harness.directory.appendingPathComponent("back-\(name)").path
            assertExit(try harness.run(["document", sha, "--out", out]), 0)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), Data(bytes), "\(name) comes back byte for byte")
        }
        let client = try harness.run(["client", "A", "--format", "json", "--as-of", "2026-03-02"])
        let payments = try XCTUnwrap(client.jsonObject["payments"] as? [[String: Any]])
        let documents = try XCTUnwrap(payments.first { $0["payment"] as? String == "P2" }?["documents"] as? [[String: Any]])
        XCTAssertEqual(documents.map { $0["name"] as? String }, files.map(\.0))
        assertExit(try harness.run(["verify"]), 0)
    }

    func testTheSizeLimitAndUnknownPaymentsAreRefusedAndChangeNothing() throws {
        let harness = try makeStore()
        let before = try harness.run(["export"]).standardOutput
        let big = try writeBytes([UInt8](repeating: 7, count: 2048), "big.bin", in: harness)
        let refused = try harness.run(["attach", "P2", big, "--max-size", "1024"])
        assertExit(refused, 1)
        XCTAssertTrue(refused.standardError.hasPrefix("error: the file is 2048 bytes"), refused.standardError)
        let unknown = try harness.run(["attach", "P404", big])
        assertExit(unknown, 1)
        XCTAssertTrue(unknown.standardError.contains("unknownPayment"), unknown.standardError)
        XCTAssertEqual(try harness.run(["export"]).standardOutput, before)
        let missing = try harness.run(["document", String(repeating: "a", count: 64), "--out", "-"])
        assertExit(missing, 1)
        let malformed = try harness.run(["document", "xyz", "--out", "-"])
        assertExit(malformed, 1)
    }

    func testAReplacedBlobIsCaughtByVerify() throws {
        let harness = try makeStore()
        let path = try writeBytes(Array("%PDF-1.4 original".utf8), "r.pdf", in: harness)
        let attached = try harness.run(["attach", "P2", path])
        let sha = try XCTUnwrap(attached.jsonObject["sha256"] as? String)
        try StoreSurgery.withDatabase(harness.storePath, "blobs") { transaction, blobs in
            try transaction.put(blobs, Digest(hex: sha)!.bytes, Array("%PDF-1.4 forged!!".utf8))
        }
        let verified = try harness.run(["verify"])
        assertExit(verified, 1)
        XCTAssertTrue(verified.standardError.contains("document \(sha)"), verified.standardError)
    }
}
