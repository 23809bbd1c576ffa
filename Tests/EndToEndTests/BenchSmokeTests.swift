import Foundation
import XCTest

/// The benchmark tool's smoke run: `receivables-bench --quick --json` on a small history must
/// produce every workload and baseline with figures. It checks that the tool works, never a
/// timing (the suite runs the debug build).
final class BenchSmokeTests: XCTestCase {
    /// The built `receivables-bench`, found next to the test bundle as `receivables` is.
    static let executable: URL = {
        if let override = ProcessInfo.processInfo.environment["RECEIVABLES_BENCH_EXECUTABLE"] {
            return URL(fileURLWithPath: override)
        }
        var candidates: [URL] = []
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0])
        candidates.append(testBinary.deletingLastPathComponent().appendingPathComponent("receivables-bench"))
        candidates.append(testBinary.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("receivables-bench"))
        for bundle in Bundle.allBundles {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("receivables-bench"))
        }
        candidates.append(CommandHarness.packageRoot.appendingPathComponent(".build/debug/receivables-bench"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }()

    func testQuickJSONRunHasEveryWorkloadAndBaseline() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable.path) else {
            XCTFail("receivables-bench is not built at \(Self.executable.path); run `swift build --build-tests` first")
            return
        }
        let harness = try CommandHarness()
        let result = try CommandHarness.runExecutable(
            Self.executable, arguments: ["--quick", "--json", "--events", "3000", "--dir", harness.directory.path])
        assertExit(result, 0)
        let report = result.jsonObject

        XCTAssertEqual(report["quick"] as? Bool, true)
        XCTAssertEqual(report["events"] as? Double, 3000)
        let machine = report["machine"] as? [String: Any] ?? [:]
        for key in ["cores", "memoryGiB"] { XCTAssertGreaterThan(machine[key] as? Double ?? 0, 0, "machine.\(key)") }
        for key in ["cpu", "filesystem", "swift", "sqlite", "lmdb"] {
            XCTAssertFalse((machine[key] as? String ?? "").isEmpty, "machine.\(key)")
        }
        let data = report["data"] as? [String: Any] ?? [:]
        XCTAssertGreaterThan((data["mix"] as? [String: Any] ?? [:]).count, 10, "the mix has most event types")
        XCTAssertGreaterThan(data["openDeadlinesToday"] as? Double ?? 0, 0)

        let workloads = report["workloads"] as? [String: Any] ?? [:]
        func figures(_ path: String...) -> [String: Any] {
            var current: Any? = workloads
            for key in path { current = (current as? [String: Any])?[key] }
            return current as? [String: Any] ?? [:]
        }
        func positive(_ object: [String: Any], _ keys: [String], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
            for key in keys {
                XCTAssertGreaterThan(object[key] as? Double ?? 0, 0, "\(what).\(key)", file: file, line: line)
            }
        }
        for side in ["ours", "limit", "sqlite"] {
            positive(figures("singleAppends", side), ["events", "eventsPerSecond", "p50Ms", "p99Ms", "cpuP50Ms", "peakRSSMiB", "writtenKiBPerEvent"], "singleAppends.\(side)")
            positive(figures("batchedIngest", side), ["events", "eventsPerSecond", "peakRSSMiB", "writtenKiBPerEvent"], "batchedIngest.\(side)")
            positive(figures("rebuild", side), ["events", "eventsPerSecond", "peakRSSMiB"], "rebuild.\(side)")
        }
        XCTAssertEqual(figures("batchedIngest", "ours")["events"] as? Double, 3000)
        XCTAssertEqual(figures("rebuild", "ours")["events"] as? Double, 3000)
        XCTAssertEqual(figures("rebuild", "limit")["events"] as? Double, 3000)
        XCTAssertEqual(figures("rebuild", "sqlite")["events"] as? Double, 3000)
        for workload in ["singleAppends", "batchedIngest", "rebuild"] {
            positive(figures(workload, "ratios"), ["eventsPerSecondOursOverLimit", "eventsPerSecondOursOverSQLite"], "\(workload).ratios")
        }
        for query in ["clientHistory", "creditCheck", "calendarMonth", "agingToday", "agingPast", "exposureDailyYear"] {
            for side in ["ours", "sqlite"] {
                positive(figures("queries", query, side), ["p50Ms", "p99Ms", "iterations"], "queries.\(query).\(side)")
            }
            positive(figures("queries", query, "ratios"), ["p50OursOverSQLite", "p99OursOverSQLite"], "queries.\(query).ratios")
            XCTAssertGreaterThan(figures("queries", query)["answersCompared"] as? Double ?? 0, 0, "\(query) answers compared")
            XCTAssertEqual(figures("queries", query)["answersDiffering"] as? Double, 0, "\(query): the two stores answer alike")
        }
        for side in ["ours", "sqlite"] {
            positive(figures("openAndFirstAging", side), ["ms", "processMs", "rows"], "openAndFirstAging.\(side)")
        }
        let targets = report["targets"] as? [[String: Any]] ?? []
        XCTAssertGreaterThan(targets.count, 10)
        for target in targets { XCTAssertNotNil(target["met"] as? Bool, "\(target)") }

        // Nothing is left behind in the directory it was given.
        let left = try FileManager.default.contentsOfDirectory(atPath: harness.directory.path)
        XCTAssertEqual(left, [], "the bench removes its stores")
    }

    func testHelpDescribesTheMixAndTheCommand() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable.path) else {
            XCTFail("receivables-bench is not built at \(Self.executable.path)")
            return
        }
        let result = try CommandHarness.runExecutable(Self.executable, arguments: ["--help"])
        assertExit(result, 0)
        for text in ["swift run -c release receivables-bench", "--quick", "--json", "--events", "instalments", "Ri.Ba.", "postponed", "reminders"] {
            XCTAssertTrue(result.standardOutput.contains(text), "--help mentions \(text)")
        }
    }
}
