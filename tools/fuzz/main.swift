// receivables-fuzz: a seeded mutation fuzzer for the parsers and encoders that read outside
// input (JSON Lines, canonical JSON, money, dates, templates, FatturaPA XML, export lines).
//
//     receivables-fuzz TARGET|all --inputs N --seed S [--seconds T] [--fixtures DIR]
//                      [--artifacts DIR] [--timeout SECONDS] [--slow-ms MS] [--max-len BYTES] [--quiet]
//     receivables-fuzz TARGET --replay FILE...
//     receivables-fuzz --list
//
// Every input must end in a value or a clean typed error, and the properties each target checks
// must hold. A run is determined by its seed: the same seed and count give the same inputs.
// Exit 0: nothing wrong; 1: a check failed (see the artifacts); 2: usage; 70: an input hung;
// a crash ends the process with its signal after saving the input as crash-<target>.bin.
#if canImport(Glibc)
import Glibc
#endif
import EventLog
import Receivables

struct Options {
    var targets: [Target] = []
    var inputs = 100_000
    var inputsGiven = false
    var seed: UInt64 = 1
    var seconds: Double?
    var fixtures: String?
    var artifacts = "fuzz-artifacts"
    var timeoutSeconds = 10.0
    var slowMilliseconds = 100.0
    var quiet = false
    var replay: [String] = []
    /// Caps the targets' own input size limits (a debug build is slow on large inputs).
    var maximumLength: Int?
}

func usage(_ message: String) -> Never {
    printError("error: \(message)")
    printError("usage: receivables-fuzz TARGET|all --inputs N --seed S [--seconds T] [--fixtures DIR] [--artifacts DIR] "
        + "[--timeout SECONDS] [--slow-ms MS] [--max-len BYTES] [--quiet]\n       receivables-fuzz TARGET --replay FILE...\n       receivables-fuzz --list")
    exit(2)
}

func printError(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

func printOut(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.isEmpty { usage("name a target: \(Target.all.map(\.name).joined(separator: ", ")) or all") }
    func value(_ name: String) -> String {
        guard !arguments.isEmpty else { usage("\(name) needs a value") }
        return arguments.removeFirst()
    }
    while !arguments.isEmpty {
        let argument = arguments.removeFirst()
        switch argument {
        case "--list":
            for target in Target.all { printOut("\(target.name)\t\(target.summary)") }
            exit(0)
        case "--help", "-h":
            usage("help")
        case "--inputs":
            guard let count = Int(value(argument).replacingUnderscores()), count >= 0 else { usage("--inputs takes a whole number") }
            options.inputs = count
            options.inputsGiven = true
        case "--seed":
            guard let seed = UInt64(value(argument).replacingUnderscores()) else { usage("--seed takes a whole number") }
            options.seed = seed
        case "--seconds":
            guard let seconds = Double(value(argument)), seconds > 0 else { usage("--seconds takes a positive number") }
            options.seconds = seconds
        case "--fixtures": options.fixtures = value(argument)
        case "--artifacts": options.artifacts = value(argument)
        case "--timeout":
            guard let seconds = Double(value(argument)), seconds > 0 else { usage("--timeout takes a positive number of seconds") }
            options.timeoutSeconds = seconds
        case "--slow-ms":
            guard let milliseconds = Double(value(argument)), milliseconds > 0 else { usage("--slow-ms takes a positive number") }
            options.slowMilliseconds = milliseconds
        case "--quiet": options.quiet = true
        case "--replay":
            while let next = arguments.first, !next.hasPrefix("--") { options.replay.append(arguments.removeFirst()) }
            if options.replay.isEmpty { usage("--replay needs at least one file") }
        case "--max-len":
            guard let length = Int(value(argument).replacingUnderscores()), length > 0 else { usage("--max-len takes a positive number of bytes") }
            options.maximumLength = length
        default:
            if argument.hasPrefix("-") { usage("unknown option \(argument)") }
            if argument == "all" {
                options.targets = Target.all
            } else if let target = Target.named(argument) {
                options.targets.append(target)
            } else {
                usage("unknown target \(argument); the targets are \(Target.all.map(\.name).joined(separator: ", ")), all")
            }
        }
    }
    if options.targets.isEmpty { usage("name a target") }
    if options.seconds != nil && !options.inputsGiven { options.inputs = Int.max }
    return options
}

extension String {
    func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}

// MARK: - Files

func readFile(_ path: String) -> [UInt8]? {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        result.append(contentsOf: chunk[0..<count])
    }
    return result
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else { return }
    defer { close(descriptor) }
    _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
}

func isDirectory(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
}

/// Regular files under `path` (recursively), sorted, without hidden files and notes (*.md).
func files(under path: String) -> [String] {
    guard let directory = opendir(path) else { return [] }
    defer { closedir(directory) }
    var found: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
            pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
        }
        if name.hasPrefix(".") || name.hasSuffix(".md") { continue }
        let full = path + "/" + name
        if isDirectory(full) { found += files(under: full) } else { found.append(full) }
    }
    return found.sorted()
}

func defaultFixtures() -> String? {
    if let path = getenv("RECEIVABLES_FIXTURES").map({ String(cString: $0) }), isDirectory(path) { return path }
    // tools/fuzz/main.swift -> the package root's Fixtures.
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    let fromSource = parts.joined(separator: "/") + "/Fixtures"
    if isDirectory(fromSource) { return fromSource }
    if isDirectory("Fixtures") { return "Fixtures" }
    return nil
}

// MARK: - Running

struct Stats {
    var inputs = 0
    var accepted = 0
    var rejected = 0
    var regressionInputs = 0
    var slowestNanoseconds: UInt64 = 0
    var slowestSize = 0
    var slowestIndex = -1
    var overSlowLimit = 0
    var failures: [String: Int] = [:]
    var knownOpen: [String: Int] = [:]
    var failureExamples: [String: String] = [:]
    var totalNanoseconds: UInt64 = 0
}

/// Checks named in Fixtures/fuzz/known-open.txt ("target check  # why") are bugs found and
/// reported but not fixed yet: they are counted and printed, and do not fail the run.
func knownOpenChecks(_ fixtures: String?) -> Set<String> {
    guard let fixtures, let bytes = readFile(fixtures + "/fuzz/known-open.txt") else { return [] }
    var result = Set<String>()
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
        let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if words.count >= 2 { result.insert("\(words[0]) \(words[1])") }
    }
    return result
}

final class Runner {
    let target: Target
    let options: Options
    let knownOpen: Set<String>
    var stats = Stats()
    var savedFailures: [String: Int] = [:]
    var slowSaved = 0
    /// Kept to be written as slowest-<target>.bin at the end, for --replay.
    var slowestInput: [UInt8] = []

    init(target: Target, options: Options, knownOpen: Set<String>) {
        self.target = target
        self.options = options
        self.knownOpen = knownOpen
        InFlight.setPaths(crash: options.artifacts + "/crash-\(target.name).bin", timeout: options.artifacts + "/timeout-\(target.name).bin")
    }

    /// Runs one input with the clock and the watchdog on; returns the outcome or the failure.
    func timed(_ input: [UInt8]) -> (Result<Outcome, CheckFailure>, UInt64) {
        InFlight.set(input)
        let start = monotonicNanoseconds()
        InFlight.startedAt.store(start, ordering: .releasing)
        let result: Result<Outcome, CheckFailure> = Result { () throws(CheckFailure) in try target.run(input) }
        let elapsed = monotonicNanoseconds() &- start
        InFlight.startedAt.store(0, ordering: .releasing)
        return (result, elapsed)
    }

    func record(_ input: [UInt8], index: Int, label: String) -> Outcome? {
        var (result, elapsed) = timed(input)
        if elapsed > 5_000_000 && elapsed > stats.slowestNanoseconds || Double(elapsed) / 1e6 > options.slowMilliseconds {
            // Measure again: one slow run can be the machine (another process, a page fault),
            // not the input. The least of three runs is what the input costs.
            for _ in 0..<2 { elapsed = min(elapsed, timed(input).1) }
        }
        if Double(elapsed) / 1e6 > options.slowMilliseconds {
            stats.overSlowLimit += 1
            if slowSaved < 5 {
                slowSaved += 1
                writeFile(options.artifacts + "/slow-\(target.name)-\(slowSaved).bin", input)
            }
            printError("\(target.name): \(label) took \(format(Double(elapsed) / 1e6)) ms (\(input.count) bytes)")
        }
        stats.totalNanoseconds &+= elapsed
        if elapsed > stats.slowestNanoseconds {
            stats.slowestNanoseconds = elapsed
            stats.slowestSize = input.count
            stats.slowestIndex = index
            slowestInput = input
        }
        switch result {
        case .success(let outcome):
            if outcome == .accepted { stats.accepted += 1 } else { stats.rejected += 1 }
            return outcome
        case .failure(let failure):
            let name = failure.check
            let isKnown = knownOpen.contains("\(target.name) \(name)")
            if isKnown { stats.knownOpen[name, default: 0] += 1 } else { stats.failures[name, default: 0] += 1 }
            if stats.failureExamples[name] == nil {
                stats.failureExamples[name] = failure.detail
                printError("\(target.name): \(isKnown ? "known open bug" : "CHECK FAILED") \(name) at \(label): \(shown(failure.detail, limit: 400))")
            }
            let saved = savedFailures[name, default: 0]
            if saved < 3 {
                savedFailures[name] = saved + 1
                writeFile(options.artifacts + "/\(isKnown ? "known" : "failure")-\(target.name)-\(name)-\(saved + 1).bin", input)
            }
            return nil
        }
    }

    func run() {
        let fixtureRoot = options.fixtures ?? defaultFixtures()
        var pool = target.seeds
        if let fixtureRoot {
            for relative in target.fixtureFiles {
                let path = fixtureRoot + "/" + relative
                let paths = isDirectory(path) ? files(under: path) : [path]
                for file in paths {
                    guard let bytes = readFile(file) else { continue }
                    if target.splitLines {
                        pool += bytes.split(separator: 0x0A).prefix(400).map(Array.init)
                    } else {
                        pool.append(bytes)
                    }
                }
            }
        }
        // Every regression input first, then the seeds as they are.
        var regressions: [(String, [UInt8])] = []
        if let fixtureRoot {
            for file in files(under: fixtureRoot + "/fuzz/" + target.name) {
                if let bytes = readFile(file) { regressions.append((file, bytes)) }
            }
        }
        let started = monotonicNanoseconds()
        for (file, bytes) in regressions {
            _ = record(bytes, index: -1, label: "regression input \(file)")
            stats.regressionInputs += 1
            pool.append(bytes)
        }
        for (offset, seed) in pool.enumerated() { _ = record(seed, index: -1, label: "seed \(offset)") }

        let maximumLength = min(target.maximumLength, options.maximumLength ?? .max)
        let mutator = Mutator(dictionary: target.dictionary, nesting: target.nesting, maximumLength: maximumLength)
        // Seeds from the user's number and the target's name, so targets differ under one seed.
        var random = SplitMix64(seed: options.seed ^ fnv1a(Array(target.name.utf8)))
        var acceptedRing: [[UInt8]] = []
        var ringNext = 0
        let deadline = options.seconds.map { started + UInt64($0 * 1e9) }
        var lastReport = started
        var index = 0
        while index < options.inputs {
            if index & 255 == 0 {
                let now = monotonicNanoseconds()
                if let deadline, now >= deadline { break }
                if !options.quiet && now - lastReport > 10_000_000_000 {
                    lastReport = now
                    printError("\(target.name): \(index) inputs, \(format(Double(now - started) / 1e9)) s, "
                        + "\(stats.accepted) accepted, slowest \(format(Double(stats.slowestNanoseconds) / 1e6)) ms")
                }
            }
            var input: [UInt8]
            if let generate = target.generate, random.oneIn(8) {
                input = generate(&random)
                if !random.oneIn(4) { input = mutator.mutate(input, pool: pool, using: &random) }
            } else {
                let base = !acceptedRing.isEmpty && random.oneIn(3) ? random.pick(acceptedRing) : random.pick(pool)
                input = mutator.mutate(base, pool: pool, using: &random)
            }
            if let smart = target.smartMutate, random.oneIn(2) { smart(&input, &random) }
            let outcome = record(input, index: index, label: "input \(index)")
            stats.inputs += 1
            if outcome == .accepted && input.count <= 16 << 10 {
                if acceptedRing.count < 512 { acceptedRing.append(input) } else { acceptedRing[ringNext] = input }
                ringNext = (ringNext + 1) % 512
            }
            index += 1
        }
        stats.totalNanoseconds = monotonicNanoseconds() - started
        writeFile(options.artifacts + "/slowest-\(target.name).bin", slowestInput)
    }

    /// The summary line, parseable by a script or a test.
    var summary: String {
        let seconds = Double(stats.totalNanoseconds) / 1e9
        let rate = seconds > 0 ? Double(stats.inputs) / seconds : 0
        var text = "\(target.name): \(stats.inputs) inputs (seed \(options.seed)) + \(stats.regressionInputs) regression inputs "
            + "in \(format(seconds)) s (\(Int(rate))/s); accepted \(stats.accepted), rejected \(stats.rejected); "
            + "slowest \(format(Double(stats.slowestNanoseconds) / 1e6)) ms (\(stats.slowestSize) bytes"
            + (stats.slowestIndex >= 0 ? ", input \(stats.slowestIndex))" : ", a seed or regression input)")
            + "; over \(format(options.slowMilliseconds)) ms: \(stats.overSlowLimit); "
            + "check failures: \(stats.failures.values.reduce(0, +))"
        if !stats.failures.isEmpty {
            text += " [" + stats.failures.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ") + "]"
        }
        if !stats.knownOpen.isEmpty {
            text += "; known open bugs: [" + stats.knownOpen.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ") + "]"
        }
        return text
    }
}

func format(_ value: Double) -> String {
    let scaled = (value * 10).rounded() / 10
    return scaled == scaled.rounded() ? String(Int(scaled)) + ".0" : String(scaled)
}

// MARK: - Main

let options = parseOptions()
if mkdir(options.artifacts, 0o755) != 0 && errno != EEXIST {
    usage("cannot create the artifacts folder \(options.artifacts)")
}
installCrashHandlers()
InFlight.timeoutNanoseconds.store(UInt64(options.timeoutSeconds * 1e9), ordering: .relaxed)
startWatchdog()
let known = knownOpenChecks(options.fixtures ?? defaultFixtures())

if !options.replay.isEmpty {
    var failed = 0
    for target in options.targets {
        let runner = Runner(target: target, options: options, knownOpen: known)
        for path in options.replay {
            guard let bytes = readFile(path) else { usage("cannot read \(path)") }
            let (result, elapsed) = runner.timed(bytes)
            let time = format(Double(elapsed) / 1e6) + " ms"
            switch result {
            case .success(let outcome):
                printOut("\(target.name) \(path): \(outcome == .accepted ? "accepted" : "rejected cleanly") in \(time)")
            case .failure(let failure):
                let isKnown = known.contains("\(target.name) \(failure.check)")
                if !isKnown { failed += 1 }
                printOut("\(target.name) \(path): \(isKnown ? "known open bug" : "CHECK FAILED") \(failure.check) in \(time): \(shown(failure.detail, limit: 600))")
            }
        }
    }
    exit(failed == 0 ? 0 : 1)
}

var failedTargets = 0
var passedTargets = 0
for target in options.targets {
    let runner = Runner(target: target, options: options, knownOpen: known)
    runner.run()
    printOut(runner.summary)
    if runner.stats.failures.isEmpty { passedTargets += 1 } else { failedTargets += 1 }
}
printOut("\(passedTargets) passed, \(failedTargets) failed")
exit(failedTargets == 0 ? 0 : 1)
