#if canImport(Glibc)
import Glibc
#endif
import EventLog
import Receivables

/// Exit codes of CONTRACT 7.
enum ExitCode: Int32 {
    case done = 0
    /// Rejected input, a failed check or verification.
    case rejected = 1
    case usage = 2
    /// Storage or I/O failure.
    case storage = 3
}

/// A failure on its way to one `error:` line and an exit code.
struct CommandFailure: Error {
    var exitCode: ExitCode
    var message: String
}

/// Standard output and error, written with plain POSIX calls so that large outputs stream.
enum Terminal {
    static var standardOutputIsTerminal: Bool { isatty(1) == 1 }
    static var standardErrorIsTerminal: Bool { isatty(2) == 1 }

    static func write(_ bytes: [UInt8], to descriptor: Int32 = 1) throws(CommandFailure) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                // The reader went away (`receivables export | head`): it has what it wanted.
                if errno == EPIPE { exit(0) }
                throw CommandFailure(exitCode: .storage, message: "cannot write output: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    static func print(_ text: String) throws(CommandFailure) {
        try write(Array((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// One `error:` line: whatever the message quotes from the input is kept to that one line.
    static func printError(_ text: String) {
        let body = text.hasSuffix("\n") ? String(text.dropLast()) : text
        try? write(Array((TextEscaping.oneLine(body, limit: 4000) + "\n").utf8), to: 2)
    }

    /// Reads a whole file, or standard input for "-".
    static func readAll(_ path: String) throws(CommandFailure) -> [UInt8] {
        let descriptor: Int32 = path == "-" ? 0 : open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw CommandFailure(exitCode: .storage, message: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { if descriptor != 0 { close(descriptor) } }
        var status = stat()
        if fstat(descriptor, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
            throw CommandFailure(exitCode: .storage, message: "cannot read \(path): it is a directory")
        }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw CommandFailure(exitCode: .storage, message: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
        }
        return result
    }

    /// The wall clock, read only here at the edge of the program.
    static func wallClock() -> Timestamp {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Timestamp(millisecondsSinceEpoch: Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000)
    }

    static func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// A progress bar on standard error, drawn only when standard error is a terminal: percent,
/// events per second and time left. On a pipe it prints nothing.
final class ProgressBar {
    private let label: String
    private let enabled: Bool
    private let started = Terminal.monotonicSeconds()
    private var lastDrawn = 0.0

    init(label: String) {
        self.label = label
        self.enabled = Terminal.standardErrorIsTerminal
    }

    func update(_ progress: ProgressReport) {
        guard enabled, progress.total > 0 else { return }
        let now = Terminal.monotonicSeconds()
        guard now - lastDrawn >= 0.1 || progress.done == progress.total else { return }
        lastDrawn = now
        let fraction = min(1, Double(progress.done) / Double(progress.total))
        let elapsed = max(now - started, 0.001)
        let rate = Double(progress.done) / elapsed
        let remaining = rate > 0 ? Double(progress.total - min(progress.done, progress.total)) / rate : 0
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let line = "\r\(label) [\(bar)] \(Int(fraction * 100))%  \(Int(rate)) events/s  \(Int(remaining.rounded()))s left "
        Terminal.printError(line, newline: false)
    }

    func finish() {
        guard enabled else { return }
        Terminal.printError("", newline: true)
    }
}

extension Terminal {
    static func printError(_ text: String, newline: Bool) {
        try? write(Array((newline ? text + "\n" : text).utf8), to: 2)
    }
}
