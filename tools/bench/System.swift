#if canImport(Glibc)
import Glibc
#endif
import EventLog

/// Clocks, memory, processes and files: the little the bench needs from the system, without
/// Foundation (so a child's peak RSS is the engine's, not a framework's).
enum System {
    /// Monotonic seconds.
    static func seconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// This thread's CPU time in seconds (excludes time the scheduler gave to other processes).
    static func threadCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// This process's peak resident set (getrusage ru_maxrss), in MiB.
    static func peakRSSMiB() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// Fields of /proc/self/status in MiB (VmHWM, VmRSS, RssAnon, RssFile).
    static func memoryStatus() -> [String: Double] {
        var result: [String: Double] = [:]
        for line in (readText("/proc/self/status") ?? "").split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "\t" })
            guard parts.count >= 2, ["VmHWM", "VmRSS", "RssAnon", "RssFile"].contains(String(parts[0])),
                  let kib = Double(parts[1]) else { continue }
            result[String(parts[0])] = kib / 1024
        }
        return result
    }

    /// Bytes this process handed to write calls (wchar) and how many calls (syscw). The kernel's
    /// own write_bytes is not used: it counts every page-cache folio a write dirties as a whole,
    /// up to 2 MiB for a 4 KiB write, which is not what reaches the disk.
    static func ioStatus() -> [String: Double] {
        var result: [String: Double] = [:]
        for line in (readText("/proc/self/io") ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let bytes = Double(parts[1]) else { continue }
            switch parts[0] {
            case "wchar:": result["writtenMiB"] = bytes / 1_048_576
            case "syscw:": result["writeCalls"] = bytes
            default: break
            }
        }
        return result
    }

    /// Bytes the block device holding `path` has written since boot (sectors written, field 7
    /// of its stat file, in 512-byte units); nil where `path` is on no block device (tmpfs,
    /// overlay). The device's counter, not this process's: the bench runs alone, so the
    /// difference over a workload is what its writes cost the disk, file-system journal included.
    static func deviceWrittenBytes(under path: String) -> Double? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let device = UInt64(info.st_dev)
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~UInt64(0xfff))
        let minor = (device & 0xff) | ((device >> 12) & ~UInt64(0xff))
        guard let text = readText("/sys/dev/block/\(major):\(minor)/stat") else { return nil }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count > 6, let sectors = Double(fields[6]) else { return nil }
        return sectors * 512
    }

    static func readText(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func writeText(_ path: String, _ text: String) throws {
        guard let file = fopen(path, "w") else { throw BenchError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { fclose(file) }
        let bytes = Array(text.utf8)
        if !bytes.isEmpty && fwrite(bytes, 1, bytes.count, file) != bytes.count { throw BenchError("cannot write \(path)") }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Makes `path` and any missing parents.
    static func makeDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/").dropLast() {
            prefix += "/" + part
            mkdir(prefix, 0o755)
        }
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw BenchError("cannot create \(path): \(String(cString: strerror(errno)))") }
    }

    /// Removes a file or a directory tree.
    static func remove(_ path: String) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            if let directory = opendir(path) {
                while let entry = readdir(directory) {
                    let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                        pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                    }
                    if name == "." || name == ".." { continue }
                    remove(path + "/" + name)
                }
                closedir(directory)
            }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Bytes used by the files under `path`.
    static func diskUsage(_ path: String) -> Int64 {
        var status = stat()
        guard lstat(path, &status) == 0 else { return 0 }
        guard (status.st_mode & S_IFMT) == S_IFDIR else { return Int64(status.st_blocks) * 512 }
        var total: Int64 = 0
        if let directory = opendir(path) {
            while let entry = readdir(directory) {
                let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                    pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name == "." || name == ".." { continue }
                total += diskUsage(path + "/" + name)
            }
            closedir(directory)
        }
        return total
    }

    /// This executable's path.
    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs `arguments` (the first is the program) and waits; answers the exit status and the
    /// wall time in seconds.
    static func run(_ arguments: [String]) throws -> (status: Int32, seconds: Double) {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let started = seconds()
        let code = posix_spawn(&pid, arguments[0], nil, nil, argv, environ)
        guard code == 0 else { throw BenchError("cannot run \(arguments[0]): \(String(cString: strerror(code)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let elapsed = seconds() - started
        let exited = (status & 0x7f) == 0
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), elapsed)
    }

    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What machine the figures come from.
enum Machine {
    static func describe(directory: String) -> JSONObject {
        var object = JSONObject()
        object["cores"] = .number(Double(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let meminfo = System.readText("/proc/meminfo") ?? ""
        if let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
           let kib = Double(line.split(separator: " ").dropFirst().first ?? "") {
            object["memoryGiB"] = .number((kib / 1024 / 1024 * 10).rounded() / 10)
        }
        let cpuinfo = System.readText("/proc/cpuinfo") ?? ""
        if let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let colon = line.firstIndex(of: ":") {
            object["cpu"] = .string(line[line.index(after: colon)...].trimmingSpaces())
        }
        var name = utsname()
        uname(&name)
        object["kernel"] = .string(withUnsafePointer(to: name.release) { $0.withMemoryRebound(to: CChar.self, capacity: 65) { String(cString: $0) } })
        let (device, filesystem, mountPoint) = mountOf(directory)
        object["directory"] = .string(directory)
        object["filesystem"] = .string(filesystem)
        object["device"] = .string(device)
        object["mountPoint"] = .string(mountPoint)
        var stats = statvfs()
        if statvfs(directory, &stats) == 0 {
            object["diskFreeGiB"] = .number((Double(stats.f_bavail) * Double(stats.f_frsize) / 1_073_741_824 * 10).rounded() / 10)
        }
        object["swift"] = .string(swiftVersion)
        object["sqlite"] = .string(SQLite.version)
        object["lmdb"] = .string(RawLMDB.version)
        return object
    }

    /// The mount holding `path`: the longest mount point that is a prefix of it.
    static func mountOf(_ path: String) -> (device: String, filesystem: String, mountPoint: String) {
        var real = [CChar](repeating: 0, count: 4096)
        let resolved = realpath(path, &real) != nil
            ? String(decoding: real.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : path
        var best = ("?", "?", "")
        for line in (System.readText("/proc/mounts") ?? "").split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { continue }
            let point = String(fields[1])
            let matches = resolved == point || resolved.hasPrefix(point == "/" ? "/" : point + "/")
            if matches && point.count >= best.2.count { best = (String(fields[0]), String(fields[2]), point) }
        }
        return best
    }

    static var swiftVersion: String {
        #if compiler(>=6.5)
        return "6.5 or later"
        #elseif compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3.1)
        return "6.3.1"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #else
        return "6.1 or earlier"
        #endif
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }
}

/// Percentiles of durations, in milliseconds.
struct Samples {
    var values: [Double] = []
    mutating func add(_ seconds: Double) { values.append(seconds * 1000) }
    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
    var p50: Double { percentile(50) }
    var p99: Double { percentile(99) }
    var total: Double { values.reduce(0, +) }
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
