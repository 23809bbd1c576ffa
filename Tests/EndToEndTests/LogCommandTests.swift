import EventLog
import Foundation
import XCTest

/// The log's commands end to end: init, append, export, restore, verify, and bad input.
final class LogCommandTests: XCTestCase {
    static let now = "2026-01-15T09:00:00.000Z"

    static let threeEvents = """
    {"type":"ClientRegistered","data":{"client":"C1","name":"Caffè Rossi S.r.l.","email":"ap@rossi.example"},"key":"reg-C1"}
    {"type":"CreditLimitSet","data":{"client":"C1","limit":"5000.00"},"meta":{"actor":"anna"}}
    {"type":"InvoiceIssued","data":{"invoice":"F1","client":"C1","issued":"2026-01-10","amount":"1220.00","number":"2026/1"},"key":"erp-F1"}

    """

    func makeStore() throws -> CommandHarness {
        let harness = try CommandHarness()
        assertExit(try harness.run(["init"]), 0)
        return harness
    }

    func exportLines(_ harness: CommandHarness) throws -> [[String: Any]] {
        let result = try harness.run(["export"])
        assertExit(result, 0)
        return result.standardOutput.split(separator: "\n").map {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:]
        }
    }

    func testAppendThenExportGivesChainedEnvelopes() throws {
        let harness = try makeStore()
        let appended = try harness.run(["append", "-", "--now", Self.now], input: Self.threeEvents)
        assertExit(appended, 0)
        XCTAssertEqual(appended.jsonObject["appended"] as? Int, 3)
        XCTAssertEqual(appended.jsonObject["first"] as? Int, 1)
        XCTAssertEqual(appended.jsonObject["last"] as? Int, 3)
        let lines = try exportLines(harness)
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(lines.map { $0["seq"] as? Int }, [1, 2, 3])
        XCTAssertEqual(lines[0]["prev"] as? String, String(repeating: "0", count: 64))
        XCTAssertEqual(lines[1]["prev"] as? String, lines[0]["hash"] as? String)
        XCTAssertEqual(lines[2]["prev"] as? String, lines[1]["hash"] as? String)
        XCTAssertEqual(lines[0]["recordedAt"] as? String, Self.now)
        XCTAssertEqual(lines[0]["key"] as? String, "reg-C1")
        XCTAssertNil(lines[1]["key"], "absent optional members are omitted, never null")
        XCTAssertEqual((lines[1]["meta"] as? [String: String])?["actor"], "anna")
        // InvoiceIssued's business date is its issue date; the others take the recording day.
        XCTAssertEqual(lines[2]["effective"] as? String, "2026-01-10")
        XCTAssertEqual(lines[0]["effective"] as? String, "2026-01-15")
        assertExit(try harness.run(["verify"]), 0)
    }

    func testWhatWasAppendedIsThereAfterTheProcessEnds() throws {
        let harness = try makeStore()
        assertExit(try harness.run(["append", "-"], input: Self.threeEvents), 0)
        // A second process opens the same store and sees all of it.
        XCTAssertEqual(try exportLines(harness).count, 3)
        let verified = try harness.run(["verify"])
        assertExit(verified, 0)
        XCTAssertEqual(verified.jsonObject["events"] as? Int, 3)
    }

    func testRepeatedKeyedBatchAppendsOnceAndAnswersTheFirstSeqs() throws {
        let harness = try makeStore()
        let first = try harness.run(["append", "-"], input: Self.threeEvents)
        assertExit(first, 0)
        let second = try harness.run(["append", "-"], input: Self.threeEvents.split(separator: "\n")[2] + "\n")
        assertExit(second, 0)
        XCTAssertEqual(second.jsonObject["appended"] as? Int, 0)
        XCTAssertEqual(second.jsonObject["first"] as? Int, 3)
        XCTAssertEqual(second.jsonObject["last"] as? Int, 3)
        XCTAssertEqual(try exportLines(harness).count, 3)
    }

    func testADifferentEventUnderAUsedKeyIsRefused() throws {
        let harness = try makeStore()
        assertExit(try harness.run(["append", "-"], input: Self.threeEvents), 0)
        let clash = #"{"type":"ClientRegistered","data":{"client":"C2","name":"Other"},"key":"reg-C1"}"#
        let result = try harness.run(["append", "-"], input: clash)
        assertExit(result, 1)
        XCTAssertTrue(result.standardError.hasPrefix("error: line 1:"), result.standardError)
        XCTAssertTrue(result.standardError.contains("keyReused"), result.standardError)
        XCTAssertEqual(try exportLines(harness).count, 3)
    }

    /// Every kind of bad input: one `error:` line, the contract's exit code, the log unchanged.
    func testBadInputGetsOneErrorLineAndChangesNothing() throws {
        let harness = try makeStore()
        assertExit(try harness.run(["append", "-"], input: Self.threeEvents), 0)
        let before = try harness.run(["export"]).standardOutput
        let good = #"{"type":"ClientRegistered","data":{"client":"C9","name":"Nine"}}"#
        let bigName = String(repeating: "x", count: 70 * 1024)
        let cases: [(name: String, input: String, line: Int, expected: String)] = [
            ("malformed JSON", good + "\n{\"type\": \"ClientRegistered\", \n", 2, "not valid JSON"),
            ("not an object", good + "\n[1,2]\n", 2, "must be a JSON object"),
            ("unknown member", good + "\n" + #"{"type":"ClientRegistered","data":{"client":"C8","name":"E"},"color":"red"}"#, 2, "unknown member"),
            ("data over 64 KiB", #"{"type":"ClientRegistered","data":{"client":"C8","name":"\#(bigName)"}}"#, 1, "at most 65536"),
            ("key over 128 bytes", #"{"type":"ClientRegistered","data":{"client":"C8","name":"E"},"key":"\#(String(repeating: "k", count: 129))"}"#, 1, "1 to 128 bytes"),
            ("unknown type", good + "\n\n" + #"{"type":"InvoiceIsued","data":{}}"#, 3, "did you mean \"InvoiceIssued\""),
            ("data not an object", #"{"type":"ClientRegistered","data":[]}"#, 1, "must be an object"),
            ("effective on a dated type", #"{"type":"InvoiceIssued","data":{"invoice":"F9","client":"C1","issued":"2026-01-10","amount":"1.00"},"effective":"2026-01-11"}"#, 1, "effectiveNotAllowed"),
            ("meta with a number", #"{"type":"ClientRegistered","data":{"client":"C8","name":"E"},"meta":{"n":1}}"#, 1, "meta.n"),
        ]
        for bad in cases {
            let result = try harness.run(["append", "-"], input: bad.input)
            XCTAssertEqual(result.exitCode, 1, "\(bad.name): \(result.standardError)")
            let lines = result.standardError.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(bad.name): one line: \(result.standardError)")
            XCTAssertTrue(result.standardError.hasPrefix("error: line \(bad.line): "), "\(bad.name): \(result.standardError)")
            XCTAssertTrue(result.standardError.contains(bad.expected), "\(bad.name): \(result.standardError)")
            XCTAssertEqual(try harness.run(["export"]).standardOutput, before, "\(bad.name) changed the log")
        }
    }

    func testMissingFileAndStorePathThatIsAFileAreStorageErrors() throws {
        let harness = try makeStore()
        let missing = try harness.run(["append", harness.directory.appendingPathComponent("nope.jsonl").path])
        assertExit(missing, 3)
        XCTAssertTrue(missing.standardError.hasPrefix("error: cannot read"), missing.standardError)
        let file = try harness.write("not a store", to: "plain-file")
        let notAStore = try harness.run(["export", "--store", file])
        assertExit(notAStore, 3)
        XCTAssertTrue(notAStore.standardError.contains("is a file"), notAStore.standardError)
        let noStore = try harness.run(["export", "--store", harness.directory.appendingPathComponent("absent").path])
        assertExit(noStore, 3)
        XCTAssertTrue(noStore.standardError.contains("receivables init"), noStore.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.directory.appendingPathComponent("absent").path),
                       "reading must not create a store")
    }

    func testAStoreOfANewerFormatIsRefused() throws {
        let harness = try makeStore()
        assertExit(try harness.run(["append", "-"], input: Self.threeEvents), 0)
        try StoreSurgery.withDatabase(harness.storePath, "meta") { transaction, meta in
            try transaction.put(meta, Array("format".utf8), [99, 0, 0, 0])
        }
        let result = try harness.run(["export"])
        assertExit(result, 3)
        XCTAssertTrue(result.standardError.contains("newer"), result.standardError)
        XCTAssertEqual(result.standardError.split(separator: "\n").count, 1)
    }

    func testStoreFilesAreOwnerOnly() throws {
        let harness = try makeStore()
        let attributes = try FileManager.default.attributesOfItem(atPath: harness.storePath)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o700)
        let data = try FileManager.default.attributesOfItem(atPath: harness.storePath + "/data.mdb")
        XCTAssertEqual(((data[.posixPermissions] as? NSNumber)?.intValue ?? 0o777) & 0o077, 0)
    }

    func testInitTwiceIsRefusedAndKeepsTheStore() throws {
        let harness = try makeStore()
        assertExit(try harness.run(["append", "-"], input: Self.threeEvents), 0)
        let again = try harness.run(["init"])
        assertExit(again, 1)
        XCTAssertEqual(try exportLines(harness).count, 3)
    }

    func testPinnedClockMayNotGoBack() throws {
        let harness = try makeStore()
        assertExit(try harness.run(["append", "-", "--now", "2026-02-01T00:00:00.000Z"], input: Self.threeEvents), 0)
        let back = try harness.run(["append", "-", "--now", "2026-01-31T23:59:59.999Z"],
                                   input: #"{"type":"ClientRegistered","data":{"client":"C2","name":"Two"}}"#)
        assertExit(back, 1)
        XCTAssertTrue(back.standardError.contains("never goes back"), back.standardError)
    }

    func testDryRunAppendsNothing() throws {
        let harness = try makeStore()
        let result = try harness.run(["append", "-", "--dry-run"], input: Self.threeEvents)
        assertExit(result, 0)
        XCTAssertEqual(result.jsonObject["appended"] as? Int, 3)
        XCTAssertEqual(try harness.run(["export"]).standardOutput, "")
    }

    func testExportRange() throws {
        let harness = try makeStore()
        assertExit(try harness.run(["append", "-"], input: Self.threeEvents), 0)
        let result = try harness.run(["export", "--from", "2", "--to", "2"])
        assertExit(result, 0)
        XCTAssertEqual(result.standardOutput.split(separator: "\n").count, 1)
        XCTAssertTrue(result.standardOutput.hasPrefix(#"{"seq":2,"#))
    }

    func testRestoreRoundTripsAndRefusesABrokenChain() throws {
        let harness = try makeStore()
        assertExit(try harness.run(["append", "-"], input: Self.threeEvents), 0)
        let export = try harness.run(["export"]).standardOutput
        let exportPath = try harness.write(export, to: "export.jsonl")
        let copy = harness.directory.appendingPathComponent("copy").path
        let restored = try harness.run(["restore", exportPath, "--store", copy])
        assertExit(restored, 0)
        XCTAssertEqual(try harness.run(["export", "--store", copy]).standardOutput, export)

        // One changed amount breaks the hash of seq 3; the error names it and no store is left.
        let forged = export.replacingOccurrences(of: "\"1220.00\"", with: "\"122.00\"")
        let forgedPath = try harness.write(forged, to: "forged.jsonl")
        let target = harness.directory.appendingPathComponent("forged-store").path
        let refused = try harness.run(["restore", forgedPath, "--store", target])
        assertExit(refused, 1)
        XCTAssertTrue(refused.standardError.contains("seq 3"), refused.standardError)
        XCTAssertFalse(FileManager.default.fileExists(atPath: target))

        // A missing line breaks the chain at the seq after it.
        var lines = export.split(separator: "\n")
        lines.remove(at: 1)
        let gappedPath = try harness.write(lines.joined(separator: "\n") + "\n", to: "gapped.jsonl")
        let gapped = try harness.run(["restore", gappedPath, "--store", target])
        assertExit(gapped, 1)
        XCTAssertTrue(gapped.standardError.contains("seq 3"), gapped.standardError)

        // Restoring over a store that has events is refused.
        let over = try harness.run(["restore", exportPath])
        assertExit(over, 1)
        XCTAssertEqual(try exportLines(harness).count, 3)
    }

    func testUsageErrorsAndHelp() throws {
        let harness = try CommandHarness()
        let misspelt = try harness.run(["expotr"], useStore: false)
        assertExit(misspelt, 2)
        XCTAssertTrue(misspelt.standardError.contains("did you mean 'export'"), misspelt.standardError)
        let unknownOption = try harness.run(["export", "--frm", "1"])
        assertExit(unknownOption, 2)
        XCTAssertTrue(unknownOption.standardError.contains("did you mean '--from'"), unknownOption.standardError)
        let missingArgument = try harness.run(["append"])
        assertExit(missingArgument, 2)
        let badNow = try harness.run(["export", "--now", "yesterday"])
        assertExit(badNow, 2)
        for command in ["init", "append", "export", "restore", "verify"] {
            let help = try harness.run([command, "--help"], useStore: false)
            assertExit(help, 0)
            XCTAssertTrue(help.standardOutput.hasPrefix("usage: receivables \(command)"), help.standardOutput)
        }
        let overview = try harness.run(["--help"], useStore: false)
        assertExit(overview, 0)
        XCTAssertTrue(overview.standardOutput.contains("commands:"))
    }

    func testStoreFromEnvironmentVariable() throws {
        let harness = try CommandHarness()
        let path = harness.directory.appendingPathComponent("env-store").path
        assertExit(try harness.run(["init"], environment: ["RECEIVABLES_STORE": path], useStore: false), 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "/data.mdb"))
    }
}

/// Opens a store's LMDB environment with a second, separate handle to change it behind the
/// program's back, as an attacker or a failing disk would.
enum StoreSurgery {
    static func withDatabase(_ path: String, _ name: String, _ body: (Transaction, Database) throws -> Void) throws {
        let environment = try Environment(path: path)
        let database = try environment.openDatabases([name])[0]
        try environment.write { transaction in try body(transaction, database) }
    }

    static func seqKey(_ seq: UInt64) -> [UInt8] { withUnsafeBytes(of: seq.bigEndian) { Array($0) } }
}

final class DemoCommandTests: XCTestCase {
    func testDemoBuildsAStoreThatVerifies() throws {
        let harness = try CommandHarness()
        let result = try harness.run(["demo", "--now", "2026-12-03T10:00:00.000Z", "--months", "6", "--clients", "12"])
        assertExit(result, 0)
        XCTAssertGreaterThan(result.jsonObject["appended"] as? Int ?? 0, 100)
        assertExit(try harness.run(["verify"]), 0)
        // The same seed gives the same history, to the hash.
        let again = try harness.run(["demo", "--now", "2026-12-03T10:00:00.000Z", "--months", "6", "--clients", "12",
                                     "--store", harness.directory.appendingPathComponent("again").path])
        XCTAssertEqual(again.jsonObject["head"] as? String, result.jsonObject["head"] as? String)
        let refused = try harness.run(["demo"])
        assertExit(refused, 1)
    }

    /// The hint the demo ends with can be pasted as it is: a command started by a relative path
    /// (as tools/demo starts it) is named by its absolute path.
    func testDemoHintNamesTheCommandAsStarted() throws {
        let harness = try CommandHarness()
        let bin = harness.directory.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: bin.appendingPathComponent("receivables"),
                                                   withDestinationURL: CommandHarness.executable)
        let store = harness.directory.appendingPathComponent("demo-store").path
        let result = try CommandHarness.runExecutable(
            URL(fileURLWithPath: "/bin/sh"),
            arguments: ["-c", "bin/receivables demo --format table --now 2026-12-03T10:00:00.000Z --months 3 --clients 8 --store \"$1\"", "sh", store],
            workingDirectory: harness.directory)
        assertExit(result, 0)
        let command = harness.directory.resolvingSymlinksInPath().appendingPathComponent("bin/receivables").path
        XCTAssertTrue(result.standardOutput.contains("Try: \(command) client C02 --store \(store)"), result.standardOutput)
    }
}
