#if canImport(Glibc)
import Glibc
#endif
import EventLog
import Receivables

extension CommandContext {
    func attach() throws(CommandFailure) {
        let payment = arguments.positionals[0], path = arguments.positionals[1]
        let limit = try integerOption("--max-size", default: ReceivablesStore.defaultDocumentLimitBytes, range: 1...Int(Int32.max))
        var status = stat()
        if stat(path, &status) == 0, Int(status.st_size) > limit {
            // Refuse before reading a huge file into memory.
            throw CommandFailure(exitCode: .rejected, message: DocumentError.tooLarge(size: Int(status.st_size), limit: limit).description)
        }
        let bytes = try Terminal.readAll(path)
        let name = path == "-" ? "document" : String(path.split(separator: "/").last ?? "document")
        let store = try openStore()
        do {
            let result = try store.attachDocument(payment: payment, name: name, bytes: bytes, now: now, limitBytes: limit)
            try printJSON(["payment": .string(payment), "sha256": .string(result.sha256), "name": .string(name),
                           "mediaType": .string(result.mediaType), "size": .number(Double(bytes.count)),
                           "seq": .number(Double(result.outcome.seqs.first ?? 0))])
        } catch let error as DocumentError {
            throw CommandFailure(exitCode: .rejected, message: error.description)
        } catch let error as ReceivablesStore.AppendError {
            switch error {
            case .rejected(_, let rejection): throw CommandFailure(exitCode: .rejected, message: rejection.description)
            case .store(let storeError): throw storeFailure(storeError)
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure(exitCode: .storage, message: "\(error)")
        }
    }

    func document() throws(CommandFailure) {
        guard let out = arguments.value("--out") else {
            throw CommandFailure(exitCode: .usage, message: "--out is required: the file to write the document to (- for standard output)")
        }
        let store = try openStore()
        let bytes: [UInt8]
        do {
            bytes = try store.document(sha256: arguments.positionals[0])
        } catch let error as DocumentError {
            throw CommandFailure(exitCode: .rejected, message: error.description)
        } catch {
            throw CommandFailure(exitCode: .storage, message: "\(error)")
        }
        if out == "-" { return try Terminal.write(bytes) }
        try Terminal.writeFile(out, bytes)
    }
}

extension Terminal {
    /// Writes a file whole: to a temporary name beside it, synced, then renamed into place.
    static func writeFile(_ path: String, _ bytes: [UInt8]) throws(CommandFailure) {
        let temporary = path + ".partial-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else {
            throw CommandFailure(exitCode: .storage, message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        do {
            try write(bytes, to: descriptor)
        } catch {
            close(descriptor)
            unlink(temporary)
            throw CommandFailure(exitCode: .storage, message: "cannot write \(path): \(error.message)")
        }
        fsync(descriptor)
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CommandFailure(exitCode: .storage, message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
