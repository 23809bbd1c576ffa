#if canImport(Glibc)
import Glibc
#endif
import EventLog
import Receivables

extension CommandContext {
    func importFatturaPA() throws(CommandFailure) {
        let sellerVAT = arguments.value("--seller-vat") ?? getenv("RECEIVABLES_SELLER_VAT").map { String(cString: $0) } ?? ""
        guard !sellerVAT.isEmpty else {
            throw CommandFailure(exitCode: .usage, message: "--seller-vat is required (or RECEIVABLES_SELLER_VAT): the company's VAT number, e.g. IT01234567890")
        }
        var files: [String] = []
        for path in arguments.positionals {
            var status = stat()
            guard stat(path, &status) == 0 else {
                throw CommandFailure(exitCode: .storage, message: "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if (status.st_mode & S_IFMT) == S_IFDIR {
                files += FileSystem.directoryEntries(path).filter { $0.lowercased().hasSuffix(".xml") }.sorted().map { path + "/" + $0 }
            } else {
                files.append(path)
            }
        }
        let store = try openStore()
        let dryRun = arguments.has("--dry-run")
        var clients = try query { try store.clientIDs() }
        let currency = try query { try store.currency() }
        var reports: [JSONValue] = []
        var appendedTotal = 0
        var failures: [String] = []
        var acceptedSoFar: [EventInput] = []
        for file in files {
            let name = String(file.split(separator: "/").last ?? Substring(file))
            var item: JSONObject = ["file": .string(file)]
            do {
                let bytes = try Terminal.readAll(file)
                let documents = try FatturaPA.read(bytes, fileName: name)
                let plan = try FatturaPA.plan(for: documents, sellerVAT: sellerVAT, existingClients: clients, currency: currency)
                let invoices = plan.events.filter { $0.type == "InvoiceIssued" }.count
                let deadlines = plan.events.filter { $0.type == "DeadlineSet" }.count
                // A dry run checks each file on top of the files before it, as the real import would.
                let outcome = try store.append(dryRun ? acceptedSoFar + plan.events : plan.events, now: now, strictClock: clockIsPinned,
                                               dryRun: dryRun)
                let appended = dryRun ? outcome.appended - acceptedSoFar.count : outcome.appended
                if dryRun { acceptedSoFar += plan.events }
                for event in plan.events where event.type == "ClientRegistered" {
                    if let id = event.data["client"]?.stringValue { clients.insert(id) }
                }
                appendedTotal += appended
                item["status"] = .string(plan.events.isEmpty ? "skipped" : "imported")
                item["invoices"] = .number(Double(invoices))
                item["deadlines"] = .number(Double(deadlines))
                item["appended"] = .number(Double(appended))
                if !plan.skipped.isEmpty { item["skipped"] = .array(plan.skipped.map { .string($0.description) }) }
            } catch let failure as CommandFailure {
                item["status"] = "failed"
                item["reason"] = .string(failure.message)
                failures.append(failure.message)
            } catch let error as FatturaPAError {
                item["status"] = "failed"
                item["reason"] = .string(error.description)
                failures.append(error.description)
            } catch let error as ReceivablesStore.AppendError {
                if case .store(let storeError) = error { throw storeFailure(storeError) }
                item["status"] = "failed"
                item["reason"] = .string("\(name): \(error.description)")
                failures.append("\(name): \(error.description)")
            } catch {
                throw CommandFailure(exitCode: .storage, message: "\(error)")
            }
            reports.append(.object(item))
        }
        var answer: JSONObject = ["files": .array(reports), "appended": .number(Double(appendedTotal))]
        if dryRun { answer["dryRun"] = true }
        try printJSON(.object(answer))
        if !failures.isEmpty {
            throw CommandFailure(exitCode: .rejected, message: "\(failures.count) of \(files.count) files were not imported: " + failures.joined(separator: "; "))
        }
    }
}
