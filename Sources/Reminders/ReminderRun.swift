import EventLog
import Receivables

/// One line of a reminder run's answer (CONTRACT 7).
public struct ReminderOutcome: Sendable, Equatable {
    public enum Status: String, Sendable { case sent, failed, planned }
    public var deadline: String
    public var client: String
    public var to: String?
    public var slot: Day
    public var kind: ReminderKind
    public var template: String
    public var subject: String?
    public var status: Status
    public var error: String?
    /// True for a message committed by an earlier run that never got its ReminderSent: sent
    /// again with the same Message-ID.
    public var resent = false
}

public struct ReminderRunReport: Sendable, Equatable {
    public var now: Timestamp
    public var reminders: [ReminderOutcome]
    public var anyFailed: Bool { reminders.contains { $0.status == .failed } }

    public func json() -> JSONValue {
        ["now": .string(now.description),
         "reminders": .array(reminders.map { item in
             var object: JSONObject = ["deadline": .string(item.deadline), "client": .string(item.client)]
             if let to = item.to { object["to"] = .string(to) }
             object["slot"] = .string(item.slot.description)
             object["kind"] = .string(item.kind.rawValue)
             object["template"] = .string(item.template)
             if let subject = item.subject { object["subject"] = .string(subject) }
             object["status"] = .string(item.status.rawValue)
             if let error = item.error { object["error"] = .string(error) }
             if item.resent { object["resent"] = true }
             return .object(object)
         })]
    }
}

/// Sends the reminders due now, without losing or doubling any.
///
/// Before a message goes out, its intent (the rendered message and its Message-ID) is committed
/// to the store's outbox. After the transport accepts it, ReminderSent is appended and the intent
/// dropped, in one transaction. A run that finds an intent without its ReminderSent (the process
/// died in between) sends it again with the same Message-ID and records it: a crash costs at most
/// one duplicate that the recipient's mail system can recognise, never a lost reminder. A message
/// the transport refuses is reported with the server's answer, its intent dropped, nothing
/// appended, and the next run tries again.
public enum ReminderRun {
    public static func run(store: ReceivablesStore, now: Timestamp, transport: any ReminderTransport,
                           dryRun: Bool = false, manualDeadline: String? = nil,
                           afterAccepted: (() -> Void)? = nil) throws -> ReminderRunReport {
        let inputs = try store.reminderInputs()
        let today = Day.of(now, in: inputs.settings.timeZone)
        let catalog = TemplateCatalog(saved: inputs.templates)
        var outcomes: [ReminderOutcome] = []
        var inFlight = Set<String>()

        if !dryRun {
            for entry in try store.outboxEntries() {
                inFlight.insert(entry.messageID)
                if try store.hasKey("reminder:\(entry.messageID)") {
                    try store.removeFromOutbox(entry.messageID, now: now)
                    continue
                }
                var outcome = ReminderOutcome(deadline: entry.deadline, client: "", to: entry.to, slot: entry.slot,
                                              kind: ReminderKind(rawValue: entry.kind) ?? .due, template: entry.template,
                                              subject: entry.subject, status: .sent, resent: true)
                if let parties = try store.deadlineWithParties(entry.deadline) { outcome.client = parties.deadline.client }
                let sendFailure = send(OutgoingMessage(messageID: entry.messageID, from: entry.from, recipients: [entry.to], data: entry.data),
                                       through: transport)
                if let sendFailure {
                    // Still committed: the next run tries again with the same Message-ID.
                    outcome.status = .failed
                    outcome.error = sendFailure.description
                } else {
                    try record(entry, store: store, now: now, outcome: &outcome)
                }
                outcomes.append(outcome)
            }
        }

        var due: [DueReminder]
        if let manualDeadline {
            guard let parties = try store.deadlineWithParties(manualDeadline) else {
                throw ReminderRunError.unknownDeadline(manualDeadline)
            }
            guard parties.deadline.isLive, parties.deadline.outstanding.isPositive else {
                throw ReminderRunError.nothingToRemind(manualDeadline, parties.deadline.status(asOf: today).rawValue)
            }
            due = [ReminderSchedule.manual(today: today, deadline: parties.deadline, client: parties.client, settings: inputs.settings)]
        } else {
            due = ReminderSchedule.due(today: today, deadlines: inputs.openDeadlines, clients: inputs.clients, settings: inputs.settings,
                                       alreadySent: { deadline, slot in (try? store.reminderWasSent(deadline: deadline, slot: slot)) ?? false })
        }

        let deadlines = Dictionary(uniqueKeysWithValues: inputs.openDeadlines.map { ($0.id, $0) })
        for reminder in due {
            var outcome = ReminderOutcome(deadline: reminder.deadline, client: reminder.client, to: reminder.to, slot: reminder.slot,
                                          kind: reminder.kind, template: reminder.template, status: dryRun ? .planned : .sent)
            var found = deadlines[reminder.deadline]
            if found == nil { found = try store.deadlineWithParties(reminder.deadline)?.deadline }
            guard let deadline = found, let client = inputs.clients[reminder.client] else { continue }
            let invoice = deadline.invoice.flatMap { inputs.invoices[$0] }
            if reminder.to == nil {
                outcome.status = .failed
                outcome.error = "client \(client.id) has no e-mail address; add one with ClientUpdated"
                outcomes.append(outcome)
                continue
            }
            let message: ReminderMessage
            do {
                message = try ReminderMessage.render(reminder: reminder, deadline: deadline, client: client, invoice: invoice,
                                                     settings: inputs.settings, catalog: catalog, storeID: inputs.storeID, now: now)
            } catch {
                outcome.status = .failed
                outcome.error = error.description
                outcomes.append(outcome)
                continue
            }
            outcome.subject = message.subject
            if dryRun || inFlight.contains(message.messageID) {
                if !dryRun { continue }
                outcomes.append(outcome)
                continue
            }
            let entry = OutboxEntry(messageID: message.messageID, deadline: reminder.deadline, slot: reminder.slot, manual: reminder.manual,
                                    to: reminder.to!, template: message.content.template, kind: reminder.kind.rawValue,
                                    subject: message.subject, from: message.outgoing.from, data: message.outgoing.data)
            outcome.template = message.content.template
            try store.addToOutbox(entry, now: now)
            if let sendFailure = send(message.outgoing, through: transport) {
                try store.removeFromOutbox(entry.messageID, now: now)
                outcome.status = .failed
                outcome.error = sendFailure.description
                outcomes.append(outcome)
                continue
            }
            // The moment a crash would cost a resend: accepted, not yet recorded.
            afterAccepted?()
            try record(entry, store: store, now: now, outcome: &outcome)
            outcomes.append(outcome)
        }
        return ReminderRunReport(now: now, reminders: outcomes)
    }

    /// Hands a message to the transport; nil when it was accepted.
    private static func send(_ message: OutgoingMessage, through transport: any ReminderTransport) -> TransportError? {
        do {
            try transport.send(message)
            return nil
        } catch {
            return error
        }
    }

    private static func record(_ entry: OutboxEntry, store: ReceivablesStore, now: Timestamp, outcome: inout ReminderOutcome) throws {
        do {
            _ = try store.recordSent(entry, sentAt: now, now: now)
        } catch {
            switch error {
            case .rejected(_, let rejection):
                // The message went out, but the log would not take its record (the deadline
                // changed meanwhile); the intent stays and the next run settles it.
                outcome.status = .failed
                outcome.error = "sent, but not recorded: \(rejection)"
            case .store(let storeError):
                throw storeError
            }
        }
    }
}

public enum ReminderRunError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownDeadline(String)
    case nothingToRemind(String, String)

    public var description: String {
        switch self {
        case .unknownDeadline(let id): return "no deadline \"\(id)\" was set"
        case .nothingToRemind(let id, let status): return "deadline \"\(id)\" is \(status): there is nothing to remind"
        }
    }
}
