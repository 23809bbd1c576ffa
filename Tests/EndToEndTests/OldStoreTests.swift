import EventLog
import Foundation
import XCTest

/// Stores written by earlier versions (Fixtures/stores/): the current program opens them, finds
/// them sound and answers exactly as the version that wrote them; a store of a newer format is
/// refused and left alone; a store copied without its lock file opens.
final class OldStoreTests: XCTestCase {
    static let v1 = CommandHarness.packageRoot.appendingPathComponent("Fixtures/stores/v1")

    struct Query: Decodable {
        var name: String
        var arguments: [String]
    }

    /// The v1 store copied into a fresh harness as its store: only data.mdb, no lock file, the
    /// folder and file owner-only as `init` makes them.
    func copyOfV1() throws -> CommandHarness {
        let harness = try CommandHarness()
        let store = URL(fileURLWithPath: harness.storePath)
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        let data = store.appendingPathComponent("data.mdb")
        try FileManager.default.copyItem(at: Self.v1.appendingPathComponent("data.mdb"), to: data)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: data.path)
        return harness
    }

    func queries() throws -> [Query] {
        try JSONDecoder().decode([Query].self, from: Data(contentsOf: Self.v1.appendingPathComponent("queries.json")))
    }

    func testTheV1StoreVerifiesAndAnswersExactlyAsRecorded() throws {
        let harness = try copyOfV1()
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.storePath + "/lock.mdb"), "copied without its lock file")
        let all = try queries()
        XCTAssertGreaterThanOrEqual(all.count, 8)
        XCTAssertEqual(all.first?.arguments, ["verify"], "verify runs first, on the store as it was written")
        for query in all {
            let result = try harness.run(query.arguments + ["--format", "json"])
            assertExit(result, 0)
            let expected = try String(contentsOf: Self.v1.appendingPathComponent("expected/\(query.name).json"), encoding: .utf8)
            XCTAssertEqual(result.standardOutput, expected, "\(query.name): \(query.arguments.joined(separator: " "))")
            XCTAssertEqual(result.standardError, "", "\(query.name)")
        }
        // The log reads back byte for byte, with every hash as it was written.
        let export = try harness.run(["export"])
        assertExit(export, 0)
        let recorded = try String(contentsOf: Self.v1.appendingPathComponent("export.jsonl"), encoding: .utf8)
        XCTAssertEqual(export.standardOutput, recorded)
        XCTAssertEqual(recorded.split(separator: "\n").count, 26)
        // The stored document comes back as it went in.
        let pdf = try Data(contentsOf: Self.v1.appendingPathComponent("tiny.pdf"))
        let sha = "8454d4e1a910490c81bdd693a41788acc411f6f897e8186957138d1e23fdf00b"
        let out = harness.directory.appendingPathComponent("copy.pdf").path
        assertExit(try harness.run(["document", sha, "--out", out]), 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), pdf)
        // And the lock file the program made for itself is owner-only too.
        let lock = try FileManager.default.attributesOfItem(atPath: harness.storePath + "/lock.mdb")
        XCTAssertEqual(((lock[.posixPermissions] as? NSNumber)?.intValue ?? 0o777) & 0o077, 0)
    }

    /// The old store's export restores into a new store that answers the same.
    func testTheV1ExportRestoresToTheSameAnswers() throws {
        let harness = try CommandHarness()
        let restored = try harness.run(["restore", Self.v1.appendingPathComponent("export.jsonl").path])
        assertExit(restored, 0)
        XCTAssertEqual(restored.jsonObject["restored"] as? Int, 26)
        for query in try queries() where query.name != "remind-dry-run" {
            let result = try harness.run(query.arguments + ["--format", "json"])
            assertExit(result, 0)
            let expected = try String(contentsOf: Self.v1.appendingPathComponent("expected/\(query.name).json"), encoding: .utf8)
            XCTAssertEqual(result.standardOutput, expected, "\(query.name) after restore")
        }
    }

    /// A store whose format is newer than the program's is refused, by every command, with one
    /// clear error line and exit 3, and is not changed by the attempt.
    func testAStoreOfAnUnknownNewerFormatIsRefusedAndLeftAlone() throws {
        let harness = try copyOfV1()
        try StoreSurgery.withDatabase(harness.storePath, "meta") { transaction, meta in
            var value = [UInt8]()
            withUnsafeBytes(of: UInt32(99).littleEndian) { value.append(contentsOf: $0) }
            try transaction.put(meta, Array("format".utf8), value)
        }
        let data = harness.storePath + "/data.mdb"
        let before = try Data(contentsOf: URL(fileURLWithPath: data))
        let commands: [[String]] = [
            ["verify"], ["export"], ["aging", "--as-of", "2026-02-28"], ["client", "A"], ["rebuild"],
            ["append", "-"], ["remind", "--dry-run"],
        ]
        for command in commands {
            let input = command == ["append", "-"] ? #"{"type":"ClientRegistered","data":{"client":"Z","name":"Z"}}"# : nil
            let result = try harness.run(command + ["--format", "json"], input: input)
            XCTAssertEqual(result.exitCode, 3, "\(command): \(result.standardError)")
            XCTAssertEqual(result.standardOutput, "", "\(command) printed an answer from a store it cannot read")
            let lines = result.standardError.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(command): \(result.standardError)")
            XCTAssertTrue(result.standardError.hasPrefix("error: "), result.standardError)
            XCTAssertTrue(result.standardError.contains("format 99") && result.standardError.contains("newer"), result.standardError)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: data)), before, "a refused store is not written to")
        // `init` does not take it over either.
        let initAgain = try harness.run(["init"])
        assertExit(initAgain, 3)
        XCTAssertTrue(initAgain.standardError.contains("newer"), initAgain.standardError)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: data)), before)
    }

    /// The lock file is LMDB's shared reader table, not data: a store without one (a backup, a
    /// copy) opens, and so does one whose lock file was deleted after use.
    func testAStoreWhoseLockFileIsMissingStillOpens() throws {
        let harness = try copyOfV1()
        assertExit(try harness.run(["verify"]), 0)
        let lock = harness.storePath + "/lock.mdb"
        XCTAssertTrue(FileManager.default.fileExists(atPath: lock))
        try FileManager.default.removeItem(atPath: lock)
        let aging = try harness.run(["aging", "--as-of", "2026-02-28", "--format", "json"])
        assertExit(aging, 0)
        let expected = try String(contentsOf: Self.v1.appendingPathComponent("expected/aging-2026-02-28.json"), encoding: .utf8)
        XCTAssertEqual(aging.standardOutput, expected)
        // And it takes new events after that.
        try FileManager.default.removeItem(atPath: lock)
        let appended = try harness.run(["append", "-", "--now", "2026-03-02T09:00:00.000Z"],
                                       input: #"{"type":"ClientRegistered","data":{"client":"N","name":"New"}}"#)
        assertExit(appended, 0)
        XCTAssertEqual(appended.jsonObject["first"] as? Int, 27)
        assertExit(try harness.run(["verify"]), 0)
    }
}
