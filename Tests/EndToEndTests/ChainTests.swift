import EventLog
import Foundation
import XCTest

/// The hash chain seen from outside: tampering caught by `verify`, an independent Python check
/// of our hashes, the public sample made by another implementation, concurrent writers.
final class ChainTests: XCTestCase {
    /// A store with `count` client registrations.
    func makeStore(count: Int) throws -> CommandHarness {
        let harness = try CommandHarness()
        assertExit(try harness.run(["init"]), 0)
        let lines = (1...count).map { #"{"type":"ClientRegistered","data":{"client":"C\#($0)","name":"Client \#($0)"},"key":"k\#($0)"}"# }
        assertExit(try harness.run(["append", "-"], input: lines.joined(separator: "\n")), 0)
        assertExit(try harness.run(["verify"]), 0)
        return harness
    }

    func assertVerifyNames(_ harness: CommandHarness, seq: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try harness.run(["verify"])
        XCTAssertEqual(result.exitCode, 1, result.standardError, file: file, line: line)
        XCTAssertEqual(result.jsonObject["seq"] as? Int, seq, result.standardOutput, file: file, line: line)
        XCTAssertTrue(result.standardError.hasPrefix("error: verify failed: seq \(seq)"), result.standardError, file: file, line: line)
    }

    func testOneFlippedByteIsCaughtAtItsSeq() throws {
        let harness = try makeStore(count: 10)
        try StoreSurgery.withDatabase(harness.storePath, "log") { transaction, log in
            var value = try XCTUnwrap(try transaction.get(log, StoreSurgery.seqKey(7)))
            // Flip a byte inside the data JSON at the end of the record: "Client 7" becomes "Client 6".
            value[value.count - 3] ^= 0x01
            try transaction.put(log, StoreSurgery.seqKey(7), value)
        }
        try assertVerifyNames(harness, seq: 7)
    }

    func testADeletedRecordIsCaught() throws {
        let harness = try makeStore(count: 10)
        try StoreSurgery.withDatabase(harness.storePath, "log") { transaction, log in
            XCTAssertTrue(try transaction.delete(log, StoreSurgery.seqKey(4)))
        }
        try assertVerifyNames(harness, seq: 4)
    }

    func testTwoSwappedRecordsAreCaught() throws {
        let harness = try makeStore(count: 10)
        try StoreSurgery.withDatabase(harness.storePath, "log") { transaction, log in
            let five = try XCTUnwrap(try transaction.get(log, StoreSurgery.seqKey(5)))
            let six = try XCTUnwrap(try transaction.get(log, StoreSurgery.seqKey(6)))
            try transaction.put(log, StoreSurgery.seqKey(5), six)
            try transaction.put(log, StoreSurgery.seqKey(6), five)
        }
        try assertVerifyNames(harness, seq: 5)
    }

    func testABrokenKeyIndexIsCaught() throws {
        let harness = try makeStore(count: 5)
        try StoreSurgery.withDatabase(harness.storePath, "keys") { transaction, keys in
            XCTAssertTrue(try transaction.delete(keys, Array("k3".utf8)))
        }
        try assertVerifyNames(harness, seq: 3)
    }

    /// Our hashes recomputed by a few lines of Python with an independent RFC 8785 package.
    func testAnIndependentImplementationAgreesWithOurHashes() throws {
        let harness = try CommandHarness()
        assertExit(try harness.run(["init"]), 0)
        // Text that stresses canonical JSON: non-ASCII, escapes, astral characters, numbers.
        let input = [
            #"{"type":"SettingsChanged","data":{"company":"Officina \"Demo\" S.r.l. — €","timezone":"Europe/Rome","reminder":{"leadDays":5,"everyDays":7,"template":"default"}}}"#,
            #"{"type":"ClientRegistered","data":{"client":"C😀","name":"Caffè Rossi \u2028 דּ","locale":"en"},"meta":{"b":"2\t\u0001","a":"1","€":"x"}}"#,
            #"{"type":"CreditLimitSet","data":{"client":"C😀","limit":"1000","warnAt":75},"key":"lim-1"}"#,
        ].joined(separator: "\n")
        assertExit(try harness.run(["append", "-"], input: input), 0)
        let export = try harness.write(try harness.run(["export"]).standardOutput, to: "export.jsonl")
        let script = CommandHarness.packageRoot.appendingPathComponent("tools/verify-export.py").path
        let python = try CommandHarness.runExecutable(URL(fileURLWithPath: "/usr/bin/env"), arguments: ["python3", script, export])
        XCTAssertEqual(python.exitCode, 0, python.standardOutput + python.standardError)
        XCTAssertTrue(python.standardOutput.hasPrefix("ok 3 "), python.standardOutput)
    }

    /// The public sample's hashes were made by an independent implementation of CONTRACT 3.2:
    /// restore must take it as it is, and our export must give back every envelope.
    func testThePublicSampleRestoresAndExportsTheSameEnvelopes() throws {
        guard let shared = CommandHarness.sharedFixtures else {
            throw XCTSkip("../shared/fixtures is not beside this checkout")
        }
        let sample = shared.appendingPathComponent("sample/export.jsonl")
        let harness = try CommandHarness()
        let restored = try harness.run(["restore", sample.path])
        assertExit(restored, 0)
        XCTAssertEqual(restored.jsonObject["restored"] as? Int, 507)
        assertExit(try harness.run(["verify"]), 0)
        let exported = try harness.run(["export"]).standardOutput.split(separator: "\n")
        let original = try String(contentsOf: sample, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(exported.count, original.count)
        for (ours, theirs) in zip(exported, original) {
            let a = try JSONSerialization.jsonObject(with: Data(ours.utf8)) as? NSDictionary
            let b = try JSONSerialization.jsonObject(with: Data(theirs.utf8)) as? NSDictionary
            XCTAssertEqual(a, b)
        }
    }

    /// Two processes appending at once: every event exactly once, seq gapless, chain intact.
    func testTwoProcessesAppendingAtOnce() throws {
        let harness = try CommandHarness()
        assertExit(try harness.run(["init"]), 0)
        let rounds = 8, perFile = 25
        var files: [[String]] = [[], []]
        for writer in 0..<2 {
            for round in 0..<rounds {
                let lines = (0..<perFile).map { index in
                    #"{"type":"ClientRegistered","data":{"client":"W\#(writer)-\#(round)-\#(index)","name":"n"},"key":"w\#(writer)-\#(round)-\#(index)"}"#
                }
                files[writer].append(try harness.write(lines.joined(separator: "\n"), to: "w\(writer)-\(round).jsonl"))
            }
        }
        let group = DispatchGroup()
        let failures = FailureList()
        for writer in 0..<2 {
            let paths = files[writer]
            let store = harness.storePath
            DispatchQueue.global().async(group: group) {
                for path in paths {
                    let result = try? CommandHarness.runExecutable(CommandHarness.executable, arguments: ["append", path, "--store", store])
                    if result?.exitCode != 0 { failures.add("\(path): \(result?.standardError ?? "did not run")") }
                }
            }
        }
        group.wait()
        XCTAssertEqual(failures.all, [])
        let lines = try harness.run(["export"]).standardOutput.split(separator: "\n")
        XCTAssertEqual(lines.count, 2 * rounds * perFile)
        var keys = Set<String>()
        for (index, line) in lines.enumerated() {
            let envelope = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(envelope["seq"] as? Int, index + 1)
            keys.insert(try XCTUnwrap(envelope["key"] as? String))
        }
        XCTAssertEqual(keys.count, 2 * rounds * perFile)
        assertExit(try harness.run(["verify"]), 0)
    }
}

final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ item: String) { lock.lock(); items.append(item); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
