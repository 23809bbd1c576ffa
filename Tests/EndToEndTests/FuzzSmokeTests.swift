import Foundation
import XCTest

/// A short run of the seeded mutation fuzzer (tools/fuzz, the `receivables-fuzz` executable) on
/// every target, with every regression input under Fixtures/fuzz/<target>/ replayed first. The
/// long runs are made by hand (see tools/fuzz/main.swift); this keeps the targets, their checks
/// and the regression inputs working. The seed is printed; set RECEIVABLES_FUZZ_SEED to run
/// another, RECEIVABLES_FUZZ_INPUTS for another count.
final class FuzzSmokeTests: XCTestCase {
    static let targets = ["json-lines", "canonical-json", "money", "dates", "templates", "fatturapa", "export-reader"]

    static var seed: String { ProcessInfo.processInfo.environment["RECEIVABLES_FUZZ_SEED"] ?? "20260301" }
    static var inputs: String { ProcessInfo.processInfo.environment["RECEIVABLES_FUZZ_INPUTS"] ?? "20000" }

    static var fuzzer: URL {
        if let override = ProcessInfo.processInfo.environment["RECEIVABLES_FUZZ_EXECUTABLE"] {
            return URL(fileURLWithPath: override)
        }
        return CommandHarness.executable.deletingLastPathComponent().appendingPathComponent("receivables-fuzz")
    }

    static let fixtures = CommandHarness.packageRoot.appendingPathComponent("Fixtures")

    func runFuzzer(_ arguments: [String]) throws -> CommandResult {
        guard FileManager.default.isExecutableFile(atPath: Self.fuzzer.path) else {
            XCTFail("\(Self.fuzzer.path) is not built; `swift build` builds it (target receivables-fuzz in tools/fuzz)")
            return CommandResult(exitCode: -1, standardOutput: "", standardError: "")
        }
        let artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("receivables-fuzz-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: artifacts) }
        // The suite runs a debug build: inputs are capped at 32 KiB and only inputs over a second
        // are reported as slow (the long release runs measure the 100 ms bound).
        return try CommandHarness.runExecutable(Self.fuzzer, arguments: [
            "--fixtures", Self.fixtures.path, "--artifacts", artifacts.path, "--timeout", "30",
            "--max-len", "32768", "--slow-ms", "1000",
        ] + arguments)
    }

    func regressionFiles(_ target: String) -> [String] {
        let folder = Self.fixtures.appendingPathComponent("fuzz/\(target)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { !$0.hasPrefix(".") && !$0.hasSuffix(".md") }.sorted().map { folder.appendingPathComponent($0).path }
    }

    func smoke(_ target: String, file: StaticString = #filePath, line: UInt = #line) throws {
        print("receivables-fuzz \(target) --inputs \(Self.inputs) --seed \(Self.seed)")
        let result = try runFuzzer([target, "--inputs", Self.inputs, "--seed", Self.seed, "--quiet"])
        let summary = result.standardOutput.split(separator: "\n").first { $0.hasPrefix("\(target):") }.map(String.init) ?? ""
        print(summary)
        XCTAssertEqual(result.exitCode, 0, "seed \(Self.seed): \(result.standardOutput)\n\(result.standardError)", file: file, line: line)
        XCTAssertTrue(summary.contains(": \(Self.inputs) inputs (seed \(Self.seed))"), result.standardOutput, file: file, line: line)
        XCTAssertTrue(summary.contains("+ \(regressionFiles(target).count) regression inputs"),
                      "every file in Fixtures/fuzz/\(target) is replayed: \(summary)", file: file, line: line)
        XCTAssertTrue(summary.contains("check failures: 0"), summary, file: file, line: line)
    }

    func testJSONLines() throws { try smoke("json-lines") }
    func testCanonicalJSON() throws { try smoke("canonical-json") }
    func testMoney() throws { try smoke("money") }
    func testDates() throws { try smoke("dates") }
    func testTemplates() throws { try smoke("templates") }
    func testFatturaPA() throws { try smoke("fatturapa") }
    func testExportReader() throws { try smoke("export-reader") }

    /// Each regression input alone: it ends in a value, a clean error or a known open bug
    /// (Fixtures/fuzz/known-open.txt), never a crash, a hang or a new check failure.
    func testEveryRegressionInputReplays() throws {
        var replayed = 0
        for target in Self.targets {
            let files = regressionFiles(target)
            guard !files.isEmpty else { continue }
            let result = try runFuzzer([target, "--replay"] + files)
            XCTAssertEqual(result.exitCode, 0, "\(target): \(result.standardOutput)\n\(result.standardError)")
            let lines = result.standardOutput.split(separator: "\n")
            XCTAssertEqual(lines.count, files.count, result.standardOutput)
            for line in lines {
                XCTAssertTrue(line.contains(": accepted in ") || line.contains(": rejected cleanly in ") || line.contains(": known open bug "),
                              String(line))
            }
            replayed += files.count
        }
        print("replayed \(replayed) regression inputs")
        XCTAssertGreaterThan(replayed, 0)
    }

    func testTheToolListsItsTargets() throws {
        let result = try runFuzzer(["--list"])
        assertExit(result, 0)
        XCTAssertEqual(result.standardOutput.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }, Self.targets)
    }
}
