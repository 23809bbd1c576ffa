import Foundation
import XCTest

/// The short versions of the robustness harnesses (tools/robustness, the built
/// `receivables-robustness` executable): crash recovery after SIGKILL, writer and reader
/// processes on one store, map growth from 1 MiB and a full disk, processes growing the map at
/// once. Each run prints its seed; set
/// ROBUSTNESS_SEED to repeat one. The long versions are run by hand:
///
///     receivables-robustness crash --kills 200
///     receivables-robustness concurrency --writers 4 --readers 4 --seconds 60
///     receivables-robustness space --grow-to-mib 1024
///     receivables-robustness map-race --processes 8 --seconds 30
final class RobustnessTests: XCTestCase {
    /// The harness executable: next to `receivables`, as SwiftPM lays out its build folder.
    static let tool: URL = {
        if let override = ProcessInfo.processInfo.environment["ROBUSTNESS_EXECUTABLE"] {
            return URL(fileURLWithPath: override)
        }
        var candidates = [CommandHarness.executable.deletingLastPathComponent().appendingPathComponent("receivables-robustness")]
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0])
        candidates.append(testBinary.deletingLastPathComponent().appendingPathComponent("receivables-robustness"))
        candidates.append(testBinary.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("receivables-robustness"))
        for bundle in Bundle.allBundles {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("receivables-robustness"))
        }
        candidates.append(CommandHarness.packageRoot.appendingPathComponent(".build/debug/receivables-robustness"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }()

    /// ROBUSTNESS_SEED, else a new one per run (printed, and named in every failure).
    static let seed: UInt64 = {
        if let text = ProcessInfo.processInfo.environment["ROBUSTNESS_SEED"], let seed = UInt64(text) { return seed }
        return UInt64.random(in: 1...999_999_999)
    }()

    /// Runs `receivables-robustness ARGUMENTS --seed S --receivables PATH` and asserts exit 0.
    private func runHarness(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let tool = Self.tool
        guard FileManager.default.isExecutableFile(atPath: tool.path) else {
            XCTFail("the harness is not built at \(tool.path): add the receivables-robustness target (path tools/robustness) and build it",
                    file: file, line: line)
            return
        }
        guard FileManager.default.isExecutableFile(atPath: CommandHarness.executable.path) else {
            XCTFail("the receivables command is not built at \(CommandHarness.executable.path)", file: file, line: line)
            return
        }
        let all = arguments + ["--seed", String(Self.seed), "--receivables", CommandHarness.executable.path]
        let started = Date()
        let result = try CommandHarness.runExecutable(tool, arguments: all)
        let seconds = Date().timeIntervalSince(started)
        print("receivables-robustness \(all.joined(separator: " ")) — \(String(format: "%.1f", seconds)) s, exit \(result.exitCode)")
        print(result.standardOutput)
        XCTAssertEqual(result.exitCode, 0, """
            receivables-robustness \(arguments.first ?? "") failed with seed \(Self.seed); repeat it with \
            ROBUSTNESS_SEED=\(Self.seed) or: receivables-robustness \(all.joined(separator: " "))
            stdout: \(result.standardOutput)
            stderr: \(result.standardError)
            """, file: file, line: line)
    }

    /// 20 SIGKILLs at seeded moments of a process appending keyed batches: after each, the store
    /// opens and verifies, reported batches are whole, no batch is partial, the batch in flight
    /// appends exactly once when sent again.
    func testStoreSurvivesTwentyKillsDuringAppends() throws {
        try runHarness(["crash", "--kills", "20"])
    }

    /// 4 writer and 4 reader processes for 5 s: typed version conflicts that succeed on retry,
    /// nothing lost or doubled, readers' read models match their log position; a reader killed
    /// inside its read transaction does not pin the map after the next open.
    func testWritersAndReadersInSeparateProcesses() throws {
        try runHarness(["concurrency", "--writers", "4", "--readers", "4", "--seconds", "5", "--stale-appends", "150"])
    }

    /// Eight processes growing the map at once for 3 s: no transaction fails with
    /// MDB_MAP_RESIZED (a map grown by another process is adopted however often it grows).
    func testMapGrownByOtherProcessesIsAlwaysAdopted() throws {
        try runHarness(["map-race", "--processes", "8", "--seconds", "3"])
    }

    /// A store opened with a 1 MiB map grows past 64 MiB with no append failing.
    func testMapGrowsFromOneMebibyteWithoutAFailedAppend() throws {
        try runHarness(["space", "--part", "a", "--grow-to-mib", "64"])
    }

    /// An append under RLIMIT_FSIZE exits 3 with one error: line, the store stays intact, and
    /// the append goes through once the limit is gone.
    func testFullDiskFailsTheAppendAndLeavesTheStoreIntact() throws {
        try runHarness(["space", "--part", "b"])
    }
}
