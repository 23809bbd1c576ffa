#if canImport(Glibc)
import Glibc
#endif
import EventLog
import Receivables

// The plumbing the harnesses share: output, a seeded generator, clocks, files, arguments,
// child processes (posix_spawn, output to files so that nothing can stall on a full pipe) and a
// scan of a store's log. No Foundation: children start fast, so kills land where they should.

// MARK: Failures and output

/// A check that did not hold, or a harness step that could not be done. Printed as one line.
struct HarnessFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A usage mistake: exit 2.
struct UsageFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes `text` and a newline to standard output at once (unbuffered: a kill loses nothing
/// that was printed).
func say(_ text: String) { writeAll(1, Array((text + "\n").utf8)) }
func sayError(_ text: String) { writeAll(2, Array((text + "\n").utf8)) }

func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}

func check(_ condition: Bool, _ message: @autoclosure () -> String) throws(HarnessFailure) {
    if !condition { throw HarnessFailure(message()) }
}

// MARK: A seeded generator

/// SplitMix64: small, fast and the same on every platform, so a seed reproduces a run's choices.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &self) < probability }

    /// A mixed value of (seed, n) without a generator's state: the same batch always has the same shape.
    static func mix(_ seed: UInt64, _ n: UInt64) -> UInt64 {
        var generator = SeededGenerator(seed: seed ^ (n &* 0xD1B5_4A32_D192_ED03))
        return generator.next()
    }

    /// Fills `count` bytes quickly (8 at a time).
    mutating func bytes(_ count: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        result.withUnsafeMutableBytes { raw in
            let words = count / 8
            let pointer = raw.baseAddress!
            for index in 0..<words {
                pointer.storeBytes(of: next(), toByteOffset: index * 8, as: UInt64.self)
            }
            var tail = next()
            for index in (words * 8)..<count {
                raw[index] = UInt8(truncatingIfNeeded: tail)
                tail >>= 8
            }
        }
        return result
    }
}

/// A seed from the clock and the process id, for runs that were not given one.
func freshSeed() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    return SeededGenerator.mix(UInt64(time.tv_sec) &* 1_000_000_007 &+ UInt64(time.tv_nsec), UInt64(getpid())) % 1_000_000_000
}

// MARK: Clocks

func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func wallClock() -> Timestamp {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    return Timestamp(millisecondsSinceEpoch: Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000)
}

func sleepMilliseconds(_ milliseconds: Double) {
    guard milliseconds > 0 else { return }
    var request = timespec(tv_sec: Int(milliseconds / 1000),
                           tv_nsec: Int((milliseconds.truncatingRemainder(dividingBy: 1000)) * 1_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}

func formatSeconds(_ seconds: Double) -> String {
    let tenths = Int((seconds * 10).rounded())
    return "\(tenths / 10).\(tenths % 10) s"
}

func formatBytes(_ bytes: Int) -> String {
    if bytes >= 1 << 30 { return "\(hundredths(Double(bytes) / Double(1 << 30))) GiB" }
    if bytes >= 1 << 20 { return "\(hundredths(Double(bytes) / Double(1 << 20))) MiB" }
    if bytes >= 1 << 10 { return "\(hundredths(Double(bytes) / Double(1 << 10))) KiB" }
    return "\(bytes) B"
}

private func hundredths(_ value: Double) -> String {
    let scaled = Int((value * 100).rounded())
    let fraction = scaled % 100
    return "\(scaled / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}

// MARK: Files

func readFile(_ path: String) -> [UInt8]? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 { if errno == EINTR { continue }; return nil }
        if count == 0 { break }
        result.append(contentsOf: buffer[0..<count])
    }
    return result
}

func readText(_ path: String) -> String { String(decoding: readFile(path) ?? [], as: UTF8.self) }

func writeFile(_ path: String, _ text: String) throws(HarnessFailure) {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw HarnessFailure("cannot write \(path): \(String(cString: strerror(errno)))") }
    writeAll(descriptor, Array(text.utf8))
    close(descriptor)
}

func fileSize(_ path: String) -> Int {
    var status = stat()
    return stat(path, &status) == 0 ? Int(status.st_size) : 0
}

func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

/// Makes a new directory under `$TMPDIR` (else /tmp), e.g. `/tmp/robust-crash-Ab12Cd`.
func makeTemporaryDirectory(_ label: String) throws(HarnessFailure) -> String {
    let base = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    var template = Array("\(base)/robust-\(label)-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    guard made != nil else { throw HarnessFailure("cannot make a directory under \(base): \(String(cString: strerror(errno)))") }
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Makes `path` (and its parents) when missing.
func makeDirectory(_ path: String) throws(HarnessFailure) {
    var prefix = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
        prefix += "/" + part
        if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
            throw HarnessFailure("cannot make \(prefix): \(String(cString: strerror(errno)))")
        }
    }
}

/// Free bytes on the file system that holds `path`.
func freeBytes(_ path: String) -> Int {
    var info = statvfs()
    guard statvfs(path, &info) == 0 else { return 0 }
    return Int(info.f_bavail) * Int(info.f_frsize)
}

// MARK: Arguments

/// `--name value` options and `--flag` switches after the subcommand; anything unknown is a
/// usage error.
struct Options {
    private var values: [String: String] = [:]
    private var flags: Set<String> = []
    var rest: [String] = []

    init(_ arguments: [String], valued: [String], switches: [String] = [], passRest: Bool = false) throws(UsageFailure) {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if passRest && argument == "--" {
                rest = Array(arguments[(index + 1)...])
                return
            }
            if valued.contains(argument) {
                guard index + 1 < arguments.count else { throw UsageFailure("\(argument) needs a value") }
                values[argument] = arguments[index + 1]
                index += 2
            } else if switches.contains(argument) {
                flags.insert(argument)
                index += 1
            } else {
                throw UsageFailure("unknown argument \(argument)")
            }
        }
    }

    func value(_ name: String) -> String? { values[name] }
    func has(_ name: String) -> Bool { flags.contains(name) }

    func int(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws(UsageFailure) -> Int {
        guard let text = values[name] else { return fallback }
        guard let number = Int(text), range.contains(number) else {
            throw UsageFailure("\(name): \"\(text)\" is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func double(_ name: String, default fallback: Double, range: ClosedRange<Double>) throws(UsageFailure) -> Double {
        guard let text = values[name] else { return fallback }
        guard let number = Double(text), range.contains(number) else {
            throw UsageFailure("\(name): \"\(text)\" is not a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func seed() throws(UsageFailure) -> UInt64 {
        guard let text = values["--seed"] else { return freshSeed() }
        guard let seed = UInt64(text) else { throw UsageFailure("--seed: \"\(text)\" is not a whole number") }
        return seed
    }
}

// MARK: Executables

/// This program's own path, for starting its hidden child subcommands.
func selfExecutable() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    if count > 0 { return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    return CommandLine.arguments[0]
}

/// The `receivables` command: `--receivables PATH`, else `$RECEIVABLES_EXECUTABLE`, else the
/// one built beside this program.
func locateReceivables(_ options: Options) throws(HarnessFailure) -> String {
    var candidates: [String] = []
    if let path = options.value("--receivables") { candidates.append(path) }
    if let path = getenv("RECEIVABLES_EXECUTABLE").map({ String(cString: $0) }), !path.isEmpty { candidates.append(path) }
    let me = selfExecutable()
    if let slash = me.lastIndex(of: "/") { candidates.append(String(me[..<slash]) + "/receivables") }
    for candidate in candidates where access(candidate, X_OK) == 0 { return candidate }
    throw HarnessFailure("cannot find the receivables executable (tried \(candidates.joined(separator: ", "))); build it or pass --receivables PATH")
}

// MARK: Child processes

enum Termination: Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    var description: String {
        switch self {
        case .exited(let code): return "exit \(code)"
        case .signaled(let signal): return "signal \(signal)\(signal == SIGKILL ? " (SIGKILL)" : "")"
        }
    }

    init(status: Int32) {
        // The W* macros are not imported; decode the status word as glibc lays it out.
        if status & 0x7F == 0 {
            self = .exited((status >> 8) & 0xFF)
        } else {
            self = .signaled(status & 0x7F)
        }
    }
}

/// Every child still running, so that a failing harness leaves none behind.
nonisolated(unsafe) var liveChildren: Set<pid_t> = []

func killLiveChildren() {
    for pid in liveChildren {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
    liveChildren.removeAll()
}

/// A process started with posix_spawn, its standard output and error going to files.
final class ChildProcess {
    let pid: pid_t
    let standardOutputPath: String
    let standardErrorPath: String
    private(set) var termination: Termination?

    private init(pid: pid_t, standardOutputPath: String, standardErrorPath: String) {
        self.pid = pid
        self.standardOutputPath = standardOutputPath
        self.standardErrorPath = standardErrorPath
    }

    static func spawn(_ arguments: [String], standardInput: String? = nil, standardOutput: String,
                      standardError: String) throws(HarnessFailure) -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, standardInput ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Children start with the default dispositions and an empty signal mask.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGXFSZ, SIGINT, SIGTERM] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let code = argv.withUnsafeBufferPointer { pointer in
            posix_spawn(&pid, arguments[0], &actions, &attributes, pointer.baseAddress!, environ)
        }
        guard code == 0 else {
            throw HarnessFailure("cannot start \(arguments[0]): \(String(cString: strerror(code)))")
        }
        liveChildren.insert(pid)
        return ChildProcess(pid: pid, standardOutputPath: standardOutput, standardErrorPath: standardError)
    }

    func signal(_ signal: Int32) { if termination == nil { kill(pid, signal) } }

    /// Waits for the child to end.
    @discardableResult
    func wait() -> Termination {
        if let termination { return termination }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return finished(status)
    }

    /// The child's end if it has ended, without waiting.
    func poll() -> Termination? {
        if let termination { return termination }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        return result == pid ? finished(status) : nil
    }

    /// Waits at most `seconds`; nil when the child is still running then.
    func wait(seconds: Double) -> Termination? {
        let deadline = monotonicSeconds() + seconds
        while true {
            if let done = poll() { return done }
            if monotonicSeconds() >= deadline { return nil }
            sleepMilliseconds(5)
        }
    }

    private func finished(_ status: Int32) -> Termination {
        let result = Termination(status: status)
        termination = result
        liveChildren.remove(pid)
        return result
    }

    var standardOutput: String { readText(standardOutputPath) }
    var standardError: String { readText(standardErrorPath) }
}

/// What a finished command printed and how it ended.
struct CommandOutcome {
    var termination: Termination
    var standardOutput: String
    var standardError: String

    var exitCode: Int32? { if case .exited(let code) = termination { return code }; return nil }

    /// Standard output as one JSON object (the commands print JSON when it is not a terminal).
    var json: JSONObject? { (try? JSONParser.parse(standardOutput.trimmingTrailingNewlines))?.objectValue }

    var summary: String {
        "\(termination); stdout: \(standardOutput.trimmingTrailingNewlines.prefix(600)); stderr: \(standardError.trimmingTrailingNewlines.prefix(600))"
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var text = self
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}

/// Runs a command to its end (killing it after `timeout` seconds), its output captured in
/// files under `scratch`.
func runCommand(_ arguments: [String], scratch: String, standardInput: String? = nil,
                timeout: Double = 120) throws(HarnessFailure) -> CommandOutcome {
    let outputPath = scratch + "/command.out", errorPath = scratch + "/command.err"
    let child = try ChildProcess.spawn(arguments, standardInput: standardInput, standardOutput: outputPath, standardError: errorPath)
    guard let termination = child.wait(seconds: timeout) else {
        child.signal(SIGKILL)
        child.wait()
        throw HarnessFailure("\(arguments.joined(separator: " ")) did not finish in \(Int(timeout)) s")
    }
    return CommandOutcome(termination: termination, standardOutput: child.standardOutput, standardError: child.standardError)
}

// MARK: The `receivables` command

/// The CLI, run the way a script would.
struct ReceivablesCommand {
    let executable: String
    let scratch: String

    func run(_ arguments: [String], store: String, timeout: Double = 300) throws(HarnessFailure) -> CommandOutcome {
        try runCommand([executable] + arguments + ["--store", store, "--format", "json"], scratch: scratch, timeout: timeout)
    }

    /// `receivables verify`: exit 0 and `"ok": true`; answers the number of events it saw.
    @discardableResult
    func verify(_ store: String) throws(HarnessFailure) -> Int {
        let outcome = try run(["verify"], store: store, timeout: 600)
        guard outcome.exitCode == 0, let answer = outcome.json, answer["ok"]?.boolValue == true,
              let events = answer["events"]?.numberValue else {
            throw HarnessFailure("receivables verify failed on \(store): \(outcome.summary)")
        }
        return Int(events)
    }

    /// `receivables append FILE`: exit 0; answers how many events were new.
    func append(_ file: String, store: String) throws(HarnessFailure) -> Int {
        let outcome = try run(["append", file], store: store)
        guard outcome.exitCode == 0, let appended = outcome.json?["appended"]?.numberValue else {
            throw HarnessFailure("receivables append \(file) failed: \(outcome.summary)")
        }
        return Int(appended)
    }

    func export(_ store: String) throws(HarnessFailure) -> String {
        let outcome = try run(["export"], store: store, timeout: 600)
        guard outcome.exitCode == 0 else { throw HarnessFailure("receivables export failed: \(outcome.summary)") }
        return outcome.standardOutput
    }

    func initialise(_ store: String) throws(HarnessFailure) {
        let outcome = try run(["init"], store: store)
        guard outcome.exitCode == 0 else { throw HarnessFailure("receivables init failed: \(outcome.summary)") }
    }
}

// MARK: Opening a store

func openStore(_ path: String, create: Bool = false, initialMapBytes: Int? = nil) throws(HarnessFailure) -> ReceivablesStore {
    var options = Environment.Options()
    if let initialMapBytes { options.initialMapSizeBytes = initialMapBytes }
    do {
        return try ReceivablesStore(path: path, create: create, options: options)
    } catch {
        throw HarnessFailure("the store at \(path) does not open: \(error)")
    }
}

// MARK: Scanning the log

/// The log as one read snapshot sees it: each key's count, each type's count, and whether seqs
/// and stream versions run without gaps.
struct LogScan {
    var head: UInt64 = 0
    var records: UInt64 = 0
    var keyCounts: [String: Int] = [:]
    var keySeqs: [String: UInt64] = [:]
    var keyStreamVersions: [String: UInt64] = [:]
    var typeCounts: [String: Int] = [:]
    var streamCounts: [String: UInt64] = [:]
    var problems: [String] = []

    var doubledKeys: [String] { keyCounts.filter { $0.value > 1 }.map(\.key).sorted() }
}

/// Reads the whole log in one snapshot and checks: seqs 1...head without a gap, each stream's
/// versions 1, 2, 3... in log order.
func scanLog(_ store: ReceivablesStore) throws(HarnessFailure) -> LogScan {
    do {
        return try store.events.read { transaction in
            var scan = LogScan()
            let head = try store.events.head(in: transaction)
            scan.head = head.lastSeq
            var expected: UInt64 = 1
            try store.events.forEachRecord(in: transaction, through: head.lastSeq) { record in
                if record.seq != expected && scan.problems.count < 10 {
                    scan.problems.append("seq \(record.seq) follows seq \(expected - 1): the log has a gap")
                }
                expected = record.seq + 1
                scan.records += 1
                let version = (scan.streamCounts[record.stream] ?? 0) + 1
                if record.streamVersion != version && scan.problems.count < 10 {
                    scan.problems.append("seq \(record.seq) has version \(record.streamVersion) in \(record.stream), expected \(version)")
                }
                scan.streamCounts[record.stream] = version
                scan.typeCounts[record.type, default: 0] += 1
                if let key = record.key {
                    scan.keyCounts[key, default: 0] += 1
                    scan.keySeqs[key] = record.seq
                    scan.keyStreamVersions[key] = record.streamVersion
                }
            }
            if scan.records != head.lastSeq {
                scan.problems.append("the head says \(head.lastSeq) events but the log holds \(scan.records)")
            }
            return scan
        }
    } catch {
        throw HarnessFailure("reading the log failed: \(error)")
    }
}

// MARK: Keyed batches

/// The crash harness's batches: batch b is a client, an invoice, one to three deadlines and a
/// payment allocated to the first deadline, with keys "b<b>-0", "b<b>-1", ... Its shape (how many
/// deadlines, how long the client's name) comes from (seed, b), so the batch can be sent again
/// exactly as it was.
enum Batch {
    static func lines(_ batch: Int, seed: UInt64, longName: Bool = false) -> [String] {
        let shape = SeededGenerator.mix(seed, UInt64(batch))
        let deadlines = 1 + Int(shape % 3)
        // Now and then a name long enough for LMDB's overflow pages (over 2 KB): names are at
        // most 1000 characters, so the padding is "€", three bytes each.
        let long = longName || (shape >> 8) % 5 == 0
        let padding = long ? String(repeating: "€", count: 700 + Int((shape >> 16) % 280))
                           : String(repeating: "x", count: Int((shape >> 16) % 40))
        let name = "Client \(batch) " + padding
        var lines: [String] = []
        func key(_ index: Int) -> String { "b\(batch)-\(index)" }
        lines.append(#"{"type":"ClientRegistered","data":{"client":"C\#(batch)","name":"\#(name)"},"key":"\#(key(0))"}"#)
        lines.append(#"{"type":"InvoiceIssued","data":{"invoice":"F\#(batch)","client":"C\#(batch)","issued":"2026-01-15","amount":"\#(deadlines * 300).00"},"key":"\#(key(1))"}"#)
        for index in 1...deadlines {
            lines.append(#"{"type":"DeadlineSet","data":{"deadline":"D\#(batch)-\#(index)","client":"C\#(batch)","invoice":"F\#(batch)","due":"2026-0\#(index + 2)-01","amount":"300.00"},"key":"\#(key(1 + index))","effective":"2026-01-15"}"#)
        }
        lines.append(#"{"type":"PaymentReceived","data":{"payment":"P\#(batch)","client":"C\#(batch)","amount":"100.00","received":"2026-01-20","method":"bank_transfer","allocations":[{"deadline":"D\#(batch)-1","amount":"100.00"}]},"key":"\#(key(2 + deadlines))"}"#)
        return lines
    }

    static func keys(_ batch: Int, seed: UInt64) -> [String] {
        (0..<lines(batch, seed: seed).count).map { "b\(batch)-\($0)" }
    }

    static func inputs(_ batch: Int, seed: UInt64) throws(HarnessFailure) -> [EventInput] {
        var inputs: [EventInput] = []
        for line in lines(batch, seed: seed) {
            do {
                inputs.append(try Array(line.utf8).withUnsafeBytes { raw throws(EventRejection) in try EventInput.parse(line: raw) })
            } catch {
                throw HarnessFailure("batch \(batch) does not parse: \(error)")
            }
        }
        return inputs
    }

    /// The batch number of a key "b<n>-<i>", or nil for another key.
    static func batch(ofKey key: String) -> Int? {
        guard key.hasPrefix("b"), let dash = key.firstIndex(of: "-") else { return nil }
        return Int(key[key.index(after: key.startIndex)..<dash])
    }
}
