#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Monotonic nanoseconds.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// What the crash handler and the watchdog need, kept where a signal handler can reach it
/// without allocating: the input being run, copied into a fixed buffer before each run, and the
/// paths to write it to.
enum InFlight {
    static let capacity = 8 << 20
    nonisolated(unsafe) static let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    nonisolated(unsafe) static var length = 0
    /// "<artifacts>/crash-<target>.bin", as a C string made once per target.
    nonisolated(unsafe) static var crashPath: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) static var timeoutPath: UnsafeMutablePointer<CChar>?
    /// When the current input started (0: none running), for the watchdog.
    static let startedAt = Atomic<UInt64>(0)
    static let timeoutNanoseconds = Atomic<UInt64>(10_000_000_000)

    static func set(_ input: [UInt8]) {
        let count = min(input.count, capacity)
        input.withUnsafeBufferPointer { source in
            if count > 0 { buffer.update(from: source.baseAddress!, count: count) }
        }
        length = count
    }

    static func setPaths(crash: String, timeout: String) {
        if let old = crashPath { free(old) }
        if let old = timeoutPath { free(old) }
        crashPath = strdup(crash)
        timeoutPath = strdup(timeout)
    }

    /// Writes the in-flight input to `path` with plain system calls (safe in a signal handler).
    static func dump(to path: UnsafeMutablePointer<CChar>?) {
        guard let path else { return }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { return }
        var offset = 0
        while offset < length {
            let written = write(descriptor, buffer + offset, length - offset)
            if written <= 0 { break }
            offset += written
        }
        close(descriptor)
    }
}

/// Writes a static message to standard error from a signal handler.
private func rawError(_ text: StaticString) {
    text.withUTF8Buffer { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}

/// On a trap (Swift's runtime checks end in SIGILL or SIGTRAP), a bad access or an abort, the
/// input that caused it is written next to the other artifacts before the process dies with the
/// same signal, so the crash is never lost and can be replayed with `--replay`.
func installCrashHandlers() {
    // An alternate stack, so that even a stack overflow reaches the handler.
    let size = 1 << 16
    var stack = stack_t()
    stack.ss_sp = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    stack.ss_size = size
    stack.ss_flags = 0
    sigaltstack(&stack, nil)
    for signalNumber in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE] {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signalNumber in
            rawError("\nreceivables-fuzz: the target crashed; the input is saved as the crash artifact\n")
            InFlight.dump(to: InFlight.crashPath)
            signal(signalNumber, SIG_DFL)
            raise(signalNumber)
        }
        action.sa_flags = Int32(SA_ONSTACK) | Int32(bitPattern: UInt32(SA_RESETHAND))
        sigemptyset(&action.sa_mask)
        sigaction(signalNumber, &action, nil)
    }
}

/// A thread that ends the process when one input runs longer than the timeout: a hang is
/// reported with its input saved, instead of a run that never finishes.
func startWatchdog() {
    var thread = pthread_t()
    pthread_create(&thread, nil, { _ in
        while true {
            usleep(50_000)
            let started = InFlight.startedAt.load(ordering: .acquiring)
            guard started != 0 else { continue }
            let limit = InFlight.timeoutNanoseconds.load(ordering: .relaxed)
            if monotonicNanoseconds() &- started > limit {
                rawError("\nreceivables-fuzz: an input ran past the time limit (a hang); the input is saved as the timeout artifact\n")
                InFlight.dump(to: InFlight.timeoutPath)
                _exit(70)
            }
        }
    }, nil)
    pthread_detach(thread)
}
