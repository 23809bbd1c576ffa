import CLMDB
#if canImport(Glibc)
import Glibc
#endif

/// Every return code of the LMDB C library, as one typed error.
///
/// The cases are kept apart from the wording: `description` says what happened and what to do,
/// so callers can switch on the code without parsing text.
public struct LMDBError: Error, RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The corresponding C error is `MDB_KEYEXIST`: key/data pair already exists.
    public static let keyExists = LMDBError(rawValue: MDB_KEYEXIST)
    /// The corresponding C error is `MDB_NOTFOUND`: key/data pair not found (EOF).
    public static let notFound = LMDBError(rawValue: MDB_NOTFOUND)
    /// The corresponding C error is `MDB_PAGE_NOTFOUND`: requested page not found; usually corruption.
    public static let pageNotFound = LMDBError(rawValue: MDB_PAGE_NOTFOUND)
    /// The corresponding C error is `MDB_CORRUPTED`: located page was wrong type.
    public static let corrupted = LMDBError(rawValue: MDB_CORRUPTED)
    /// The corresponding C error is `MDB_PANIC`: update of meta page failed or environment had fatal error.
    public static let panic = LMDBError(rawValue: MDB_PANIC)
    /// The corresponding C error is `MDB_VERSION_MISMATCH`: environment version mismatch.
    public static let versionMismatch = LMDBError(rawValue: MDB_VERSION_MISMATCH)
    /// The corresponding C error is `MDB_INVALID`: file is not a valid LMDB file.
    public static let invalid = LMDBError(rawValue: MDB_INVALID)
    /// The corresponding C error is `MDB_MAP_FULL`: environment mapsize reached.
    public static let mapFull = LMDBError(rawValue: MDB_MAP_FULL)
    /// The corresponding C error is `MDB_DBS_FULL`: environment maxdbs reached.
    public static let databasesFull = LMDBError(rawValue: MDB_DBS_FULL)
    /// The corresponding C error is `MDB_READERS_FULL`: environment maxreaders reached.
    public static let readersFull = LMDBError(rawValue: MDB_READERS_FULL)
    /// The corresponding C error is `MDB_TLS_FULL`: too many TLS keys in use.
    public static let threadLocalStorageFull = LMDBError(rawValue: MDB_TLS_FULL)
    /// The corresponding C error is `MDB_TXN_FULL`: transaction has too many dirty pages.
    public static let transactionFull = LMDBError(rawValue: MDB_TXN_FULL)
    /// The corresponding C error is `MDB_CURSOR_FULL`: cursor stack too deep (internal error).
    public static let cursorFull = LMDBError(rawValue: MDB_CURSOR_FULL)
    /// The corresponding C error is `MDB_PAGE_FULL`: page has not enough space (internal error).
    public static let pageFull = LMDBError(rawValue: MDB_PAGE_FULL)
    /// The corresponding C error is `MDB_MAP_RESIZED`: database contents grew beyond environment mapsize.
    public static let mapResized = LMDBError(rawValue: MDB_MAP_RESIZED)
    /// The corresponding C error is `MDB_INCOMPATIBLE`: operation and database incompatible.
    public static let incompatible = LMDBError(rawValue: MDB_INCOMPATIBLE)
    /// The corresponding C error is `MDB_BAD_RSLOT`: invalid reuse of reader locktable slot.
    public static let badReaderSlot = LMDBError(rawValue: MDB_BAD_RSLOT)
    /// The corresponding C error is `MDB_BAD_TXN`: transaction must abort, has a child, or is invalid.
    public static let badTransaction = LMDBError(rawValue: MDB_BAD_TXN)
    /// The corresponding C error is `MDB_BAD_VALSIZE`: unsupported size of key/DB name/data, or wrong DUPFIXED size.
    public static let badValueSize = LMDBError(rawValue: MDB_BAD_VALSIZE)
    /// The corresponding C error is `MDB_BAD_DBI`: the specified DBI was changed unexpectedly.
    public static let badDatabaseHandle = LMDBError(rawValue: MDB_BAD_DBI)
    /// The corresponding C error is `ENOSPC`: no space left on the device.
    public static let noSpace = LMDBError(rawValue: ENOSPC)
    /// The corresponding C error is `EFBIG`: the file would exceed the allowed size.
    public static let fileTooLarge = LMDBError(rawValue: EFBIG)
    /// The corresponding C error is `EACCES`: permission denied.
    public static let permissionDenied = LMDBError(rawValue: EACCES)
    /// The corresponding C error is `ENOENT`: no such file or directory.
    public static let noSuchFile = LMDBError(rawValue: ENOENT)
    /// The corresponding C error is `EIO`: a low-level I/O error.
    public static let inputOutput = LMDBError(rawValue: EIO)

    /// True when the disk (or a file size limit), not the store, is what ran out.
    public var isOutOfSpace: Bool { self == .noSpace || self == .fileTooLarge }

    public var description: String {
        let text = String(cString: mdb_strerror(rawValue))
        switch self {
        case .noSpace, .fileTooLarge:
            return "the disk is full (\(text)); free some space and try again: nothing was written"
        case .inputOutput:
            return "a write to the disk failed (\(text)): the disk may be full, over a size limit, or failing; nothing was written"
        case .permissionDenied:
            return "permission denied (\(text)); the store belongs to another user or is read-only"
        case .corrupted, .pageNotFound, .panic, .invalid:
            return "the store's file is damaged (\(text)); restore it from an export"
        case .readersFull:
            return "too many processes are reading the store at once (\(text)); try again"
        default:
            return "\(text) (LMDB code \(rawValue))"
        }
    }

    /// Turns a C return code into success or a thrown error.
    @inline(__always)
    static func check(_ code: Int32) throws(LMDBError) {
        if code != 0 { throw LMDBError(rawValue: code) }
    }
}
