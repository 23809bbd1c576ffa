#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The default transport: each message becomes `<directory>/<messageID>.eml`, an RFC 5322
/// file any mail client opens (the store's outbox folder).
///
/// A file appears whole or not at all: the message is written to a hidden temporary file in
/// the same directory, flushed to disk, and renamed over the final name; the directory is then
/// flushed too, so an accepted message survives a crash. The same message sent again (a run
/// retried after a crash) replaces its file, since its Message-ID is the same. The directory
/// is created owner-only (0700), with any missing parents, and the files are 0600: reminders
/// name clients and amounts.
public struct FileTransport: ReminderTransport {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The file a message is written to.
    public func path(for message: OutgoingMessage) -> String {
        directory + "/" + message.messageID + ".eml"
    }

    public func send(_ message: OutgoingMessage) throws(TransportError) {
        let id = message.messageID
        guard !id.isEmpty, !id.hasPrefix("."),
            !id.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 < 0x20 || $0 == 0x7F })
        else {
            throw TransportError(reason: "message id \"\(id)\" cannot be a file name")
        }
        try createDirectory(directory)

        let finalPath = path(for: message)
        let temporaryPath = directory + "/." + id + "." + String(UInt64.random(in: 0...UInt64.max), radix: 16) + ".tmp"
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("cannot create \(temporaryPath)") }
        var written = 0
        let writeError: TransportError? = message.data.withUnsafeBytes { buffer -> TransportError? in
            while written < buffer.count {
                let count = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    return failure("cannot write \(temporaryPath)")
                }
                written += count
            }
            return nil
        }
        if let writeError {
            close(descriptor)
            unlink(temporaryPath)
            throw writeError
        }
        if fsync(descriptor) != 0 {
            let error = failure("cannot flush \(temporaryPath)")
            close(descriptor)
            unlink(temporaryPath)
            throw error
        }
        if close(descriptor) != 0 {
            let error = failure("cannot close \(temporaryPath)")
            unlink(temporaryPath)
            throw error
        }
        if rename(temporaryPath, finalPath) != 0 {
            let error = failure("cannot rename \(temporaryPath) to \(finalPath)")
            unlink(temporaryPath)
            throw error
        }
        try syncDirectory(directory)
    }

    /// mkdir -p with mode 0700 for each directory it creates.
    private func createDirectory(_ path: String) throws(TransportError) {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw TransportError(reason: "the outbox \(path) exists but is not a directory")
            }
            return
        }
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        var current = path.hasPrefix("/") ? "" : "."
        for component in components {
            current += "/" + component
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw failure("cannot create the outbox directory \(current)")
            }
        }
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw failure("cannot create the outbox directory \(path)")
        }
    }

    private func syncDirectory(_ path: String) throws(TransportError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("cannot open \(path) to flush it") }
        defer { close(descriptor) }
        if fsync(descriptor) != 0 && errno != EINVAL {
            throw failure("cannot flush the directory \(path)")
        }
    }

    private func failure(_ what: String) -> TransportError {
        let code = errno
        let reason = String(cString: strerror(code))
        return TransportError(reason: "\(what): \(reason)")
    }
}
