#if canImport(Glibc)
import Glibc
#endif

/// The few file-system steps a store's life needs beyond LMDB: checking a path, moving a
/// freshly built store into place, removing a half-built one.
public enum FileSystem {
    public static var processID: Int32 { getpid() }

    /// Succeeds when `path` is missing, an empty directory, or a store holding no events.
    public static func requireEmptyOrMissingStorePath(_ path: String) throws(RestorePathError) {
        var status = stat()
        guard stat(path, &status) == 0 else { return }
        guard (status.st_mode & S_IFMT) == S_IFDIR else {
            throw RestorePathError(reason: "\(path) is a file, not a store directory")
        }
        let entries = directoryEntries(path)
        if entries.isEmpty { return }
        if Set(entries).isSubset(of: ["data.mdb", "lock.mdb"]),
           let store = try? EventStore(path: path), (try? store.head().lastSeq) == 0 {
            return
        }
        throw RestorePathError(reason: "\(path) already holds a store with events; restore into a new path")
    }

    /// Puts the directory `source` where `destination` is, replacing an empty one there.
    public static func replace(_ destination: String, with source: String) throws(RestorePathError) {
        var status = stat()
        if stat(destination, &status) == 0 { removeTree(destination) }
        guard rename(source, destination) == 0 else {
            throw RestorePathError(reason: "cannot move the restored store into \(destination): \(String(cString: strerror(errno)))")
        }
    }

    /// The names in a directory, without "." and "..".
    public static func directoryEntries(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes a directory tree (a half-built store); missing paths are fine.
    public static func removeTree(_ path: String) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        if (status.st_mode & S_IFMT) == S_IFDIR {
            for name in directoryEntries(path) { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}

public struct RestorePathError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
