import EventLog

/// A rebuild or verify stopped because another one, in this or another process, started after it
/// and took the spare copy of the read models it was filling. The live read models are as they
/// were, or as the other one leaves them.
public struct SpareTakenOver: Error, Sendable, CustomStringConvertible {
    public var description: String {
        "another rebuild or verify of this store started while this one ran and took over its work; this one stopped "
            + "without changing the live read models: run it again once the other has finished"
    }
}

/// The read models a store keeps, by the names `rebuild --only` takes.
public enum ReadModel: String, Sendable, CaseIterable {
    case calendar, aging, client, exposure

    /// The key prefixes in the state database that hold this model.
    var prefixes: [StoredState.Prefix] {
        switch self {
        case .calendar: return [.dueIndex]
        case .aging: return [.openIndex]
        case .client: return [.clientEntity, .clientEvent, .alert]
        case .exposure: return [.exposurePoint, .exposureTotal]
        }
    }

    /// The model a key of the state database belongs to, for naming a disagreement.
    static func describe(_ key: [UInt8]) -> String {
        guard let first = key.first, let prefix = StoredState.Prefix(rawValue: first) else { return "an unknown entry" }
        let rest = String(decoding: key.dropFirst().map { $0 == 0 ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
            .trimmingCharacters(in: [" "])
        let model = ReadModel.allCases.first { $0.prefixes.contains(prefix) }
        let printable = rest.unicodeScalars.allSatisfy { $0.value >= 32 } ? rest : "(binary key)"
        switch prefix {
        case .client: return "client \(printable)"
        case .invoice: return "invoice \(printable)"
        case .deadline: return "deadline \(printable)"
        case .payment: return "payment \(printable)"
        case .settings: return "the settings"
        default: return "read model \(model?.rawValue ?? "state") entry \(printable)"
        }
    }
}

private extension String {
    func trimmingCharacters(in set: Set<Character>) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}

extension ReceivablesStore {
    /// Recomputes the state and read models from the log into the spare copy, in batches of
    /// short transactions, then — in one transaction that first takes in whatever was appended
    /// meanwhile — makes it live (or, with `only`, replaces just that model's entries). The answer
    /// to every query is the same as before when the stored models were right.
    public func rebuild(only model: ReadModel? = nil, progress: ((ProgressReport) -> Void)? = nil) throws {
        try rebuild(only: model, batchEvents: Self.foldBatchEvents, progress: progress)
    }

    /// Events a rebuild or verify folds per write transaction: each holds its changed pages in
    /// memory until it commits.
    static let foldBatchEvents: UInt64 = 20_000
    /// Events a fold takes in between giving back the log and state pages it has read.
    static let foldEventsBetweenReleases: UInt64 = 2_000

    func rebuild(only model: ReadModel? = nil, batchEvents: UInt64, progress: ((ProgressReport) -> Void)? = nil) throws {
        // A whole rebuild makes the replay checkpoints again from the log, every interval.
        let interval = checkpointInterval
        let spare = try foldIntoSpare(
            batchEvents: batchEvents,
            progress: progress,
            clearing: model == nil ? [checkpoints] : [],
            nextStop: { done in
                guard model == nil else { return nil }
                let next = (done / interval + 1).multipliedReportingOverflow(by: interval)
                return next.overflow ? nil : next.partialValue
            },
            atStop: { transaction, spare, seq in
                let folded = try StoredState(transaction: transaction, database: spare)
                try Checkpoints.write(seq: seq, latestEffective: folded.latestEffective, from: spare, to: checkpoints, in: transaction,
                                      releasingPagesEvery: events.environment.releaseMappedPages)
            }
        ) { transaction, spare, active in
            if let model {
                for prefix in model.prefixes {
                    try Self.deleteEntries(in: transaction, active, prefix: [prefix.rawValue])
                    try Self.copyEntries(in: transaction, from: spare, to: active, prefix: [prefix.rawValue])
                }
            } else {
                // The fold becomes live; the copy it replaces is now the spare, which
                // foldIntoSpare clears.
                let index = spare == stateCopies[0] ? 0 : 1
                try transaction.put(receivablesMeta, Self.activeKey, [UInt8(index)])
            }
        }
        _ = spare
    }

    /// Compares the live state and read models with a fresh fold of the whole log and answers
    /// the first disagreement (nil when they agree). The fresh fold is built in the spare copy
    /// and cleared afterwards.
    public func verifyReadModels(progress: ((ProgressReport) -> Void)? = nil) throws -> VerifyProblem? {
        try verifyReadModels(batchEvents: Self.foldBatchEvents, progress: progress)
    }

    func verifyReadModels(batchEvents: UInt64, progress: ((ProgressReport) -> Void)? = nil) throws -> VerifyProblem? {
        var problem: VerifyProblem?
        // Each replay checkpoint is compared with the fresh fold when it reaches its seq.
        let copies = try events.read { transaction in try Checkpoints.headers(in: transaction, checkpoints) }
        var checkpointProblem: VerifyProblem?
        _ = try foldIntoSpare(
            batchEvents: batchEvents,
            progress: progress,
            nextStop: { done in copies.first { $0.seq > done }?.seq },
            atStop: { transaction, spare, seq in
                guard checkpointProblem == nil, let copy = copies.first(where: { $0.seq == seq }) else { return }
                let folded = try StoredState(transaction: transaction, database: spare)
                if folded.latestEffective != copy.latestEffective {
                    checkpointProblem = VerifyProblem(seq: seq, reason: "the replay checkpoint at seq \(seq) records a latest effective date the log does not give")
                } else if let difference = try Checkpoints.difference(at: seq, in: transaction, checkpoints, state: spare) {
                    checkpointProblem = VerifyProblem(seq: seq, reason: difference)
                }
            }
        ) { transaction, spare, active in
            let fresh = try transaction.cursor(spare)
            let live = try transaction.cursor(active)
            var a = try live.first(), b = try fresh.first()
            while a != nil || b != nil {
                let liveKey = a.map { [UInt8]($0.key) }, freshKey = b.map { [UInt8]($0.key) }
                if liveKey == freshKey {
                    if let a, let b, !a.value.elementsEqual(b.value) {
                        problem = VerifyProblem(seq: nil, reason: "\(ReadModel.describe(liveKey!)) differs from a fresh fold of the log")
                        break
                    }
                    a = try live.next(); b = try fresh.next()
                } else if freshKey == nil || (liveKey != nil && liveKey!.lexicographicallyPrecedes(freshKey!)) {
                    problem = VerifyProblem(seq: nil, reason: "\(ReadModel.describe(liveKey!)) is stored but a fresh fold of the log has no such entry")
                    break
                } else {
                    problem = VerifyProblem(seq: nil, reason: "\(ReadModel.describe(freshKey!)) is missing from the stored read models")
                    break
                }
            }
        }
        return problem ?? checkpointProblem
    }

    /// Folds the whole log into the spare copy, then runs `finish` in the transaction that has
    /// taken in the last records, with the spare and the live database. The fold pauses after
    /// each seq `nextStop` names (given the seq folded so far) and runs `atStop` there with the
    /// spare holding exactly the fold through that seq. Afterwards the copy that is then the
    /// spare (`finish` may have made the fold live) is cleared.
    private func foldIntoSpare(batchEvents batchSize: UInt64,
                               progress: ((ProgressReport) -> Void)?,
                               clearing extra: [Database] = [],
                               nextStop: (UInt64) -> UInt64? = { _ in nil },
                               atStop: (Transaction, _ spare: Database, _ seq: UInt64) throws -> Void = { _, _, _ in },
                               finish: (Transaction, _ spare: Database, _ active: Database) throws -> Void) throws -> Database {
        // Another process may start a rebuild or verify of this store meanwhile: each fold takes
        // the spare by a number of its own, and one whose number is no longer there stops
        // instead of writing into a copy that the other has cleared, or already made live.
        let (spare, owner): (Database, UInt64) = try events.write(now: Timestamp(millisecondsSinceEpoch: 0)) { writer in
            let spare = stateCopies[1 - (try activeCopy(writer.transaction))]
            let owner = try spareOwner(writer.transaction) &+ 1
            try writer.transaction.put(receivablesMeta, Self.spareOwnerKey, owner.bigEndianBytes)
            try writer.transaction.clear(spare)
            for database in extra { try writer.transaction.clear(database) }
            return (spare, owner)
        }
        var done: UInt64 = 0
        // The entities decoded in one batch. Not kept from one batch to the next: by the end of
        // a large log they are the whole state decoded (some 144 MiB for 1,000,000 events, most
        // of a rebuild's peak resident set), and looking up again the few thousand a batch needs
        // costs a few per cent of the rebuild's time.
        var stored = StoredEntities()
        func fold(_ writer: LogWriter, through last: UInt64) throws {
            while done < last {
                let stop = nextStop(done)
                let end = min(last, stop ?? last)
                var session = try DomainSession(store: self, writer: writer, database: spare, stored: stored)
                var folded: UInt64 = 0
                try events.forEachRecord(in: writer.transaction, from: done + 1, through: end) {
                    try session.refold($0)
                    // The fold reads the read models it updates (exposure points, indexes) from
                    // all over the map, and the kernel maps neighbouring pages with each read:
                    // given back as it goes, they do not pile up in the resident set.
                    folded += 1
                    if folded % Self.foldEventsBetweenReleases == 0 { events.environment.releaseMappedPages() }
                }
                try session.finish()
                done = end
                // The log read so far is not needed again: a rebuild streams it, and keeps only
                // the pages it is working on in its resident memory.
                events.environment.releaseMappedPages()
                if end == stop {
                    try atStop(writer.transaction, spare, end)
                    events.environment.releaseMappedPages()
                }
            }
        }
        /// A write transaction of the fold, with entities decoded afresh. When the map fills, the
        /// transaction is abandoned and its body runs again once the map has grown: the fold
        /// then starts again where the transaction began.
        func batch<Result>(_ body: (LogWriter) throws -> Result) throws -> Result {
            let start = done
            var attempts = 0
            return try events.write(now: Timestamp(millisecondsSinceEpoch: 0)) { writer in
                guard try spareOwner(writer.transaction) == owner else { throw SpareTakenOver() }
                attempts += 1
                if attempts > 1 { done = start }
                stored = StoredEntities()
                return try body(writer)
            }
        }
        while true {
            let total = try events.head().lastSeq
            if total - done <= batchSize { break }
            try batch { writer in try fold(writer, through: done + batchSize) }
            progress?(ProgressReport(done: done, total: total))
        }
        try batch { writer in
            let head = try events.head(in: writer.transaction)
            try fold(writer, through: head.lastSeq)
            try finish(writer.transaction, spare, try state(writer.transaction))
            progress?(ProgressReport(done: head.lastSeq, total: head.lastSeq))
        }
        // Clearing a copy walks its tree (LMDB frees it page by page), so it runs in a
        // transaction of its own, once the decoded entities are gone and the fold's mapped pages
        // given back, rather than on top of the last batch's. A rebuild or verify that has taken
        // the spare meanwhile clears it itself.
        stored = StoredEntities()
        events.environment.releaseMappedPages()
        try events.write(now: Timestamp(millisecondsSinceEpoch: 0)) { writer in
            guard try spareOwner(writer.transaction) == owner else { return }
            try writer.transaction.clear(stateCopies[1 - (try activeCopy(writer.transaction))])
        }
        events.environment.releaseMappedPages()
        return spare
    }

    /// The number of the last rebuild or verify that took the spare copy (0: none yet).
    private func spareOwner(_ transaction: Transaction) throws -> UInt64 {
        try Self.spareOwnerKey.withUnsafeBytes { key in
            guard let value = try transaction.get(receivablesMeta, key) else { return 0 }
            return UInt64(bigEndianBytes: value) ?? 0
        }
    }

    static func deleteEntries(in transaction: Transaction, _ database: Database, prefix: [UInt8]) throws {
        let cursor = try transaction.cursor(database)
        var entry = try cursor.seek(atOrAfter: prefix)
        while let current = entry, current.key.starts(with: prefix) {
            try cursor.deleteCurrent()
            entry = try cursor.seek(atOrAfter: prefix)
        }
    }

    static func copyEntries(in transaction: Transaction, from source: Database, to target: Database, prefix: [UInt8]) throws {
        let cursor = try transaction.cursor(source)
        var entry = try cursor.seek(atOrAfter: prefix)
        while let current = entry, current.key.starts(with: prefix) {
            try transaction.put(target, current.key, current.value)
            entry = try cursor.next()
        }
    }
}
