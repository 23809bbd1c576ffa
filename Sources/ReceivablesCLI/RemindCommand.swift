import EventLog
import Foundation
import Receivables
import Reminders
import Reports

extension CommandContext {
    func remind() throws(CommandFailure) {
        let transportName = arguments.value("--transport") ?? (arguments.value("--smtp") != nil ? "smtp" : "file")
        let store = try openStore()
        let transport: any ReminderTransport
        switch transportName {
        case "file":
            if arguments.value("--smtp") != nil {
                throw CommandFailure(exitCode: .usage, message: "--smtp goes with --transport smtp")
            }
            transport = FileTransport(directory: storePath + "/outbox")
        case "smtp":
            guard let url = arguments.value("--smtp") else {
                throw CommandFailure(exitCode: .usage, message: "--transport smtp needs --smtp URL (smtp://host:port or smtps://host:port)")
            }
            do {
                transport = try SMTPTransport(url: url, environment: ProcessInfo.processInfo.environment)
            } catch {
                throw CommandFailure(exitCode: .usage, message: "--smtp: \(error.description)")
            }
        default:
            throw CommandFailure(exitCode: .usage, message: "--transport: \"\(transportName)\" is not one of file, smtp")
        }
        let report: ReminderRunReport
        do {
            // Fault injection for the crash tests: die the hard way once a message is accepted.
            let crash = ProcessInfo.processInfo.environment["RECEIVABLES_TEST_CRASH_AFTER_SEND"] == "1"
            report = try ReminderRun.run(store: store, now: now, transport: transport, dryRun: arguments.has("--dry-run"),
                                         manualDeadline: arguments.value("--deadline"),
                                         afterAccepted: crash ? { kill(getpid(), SIGKILL) } : nil)
        } catch let error as ReminderRunError {
            throw CommandFailure(exitCode: .rejected, message: error.description)
        } catch let error as EventStoreError {
            throw storeFailure(error)
        } catch {
            throw CommandFailure(exitCode: .storage, message: "\(error)")
        }
        if format == .table {
            var table = TextTable([.init("deadline"), .init("client"), .init("to"), .init("slot"), .init("kind"), .init("status"), .init("subject / error")])
            for item in report.reminders {
                table.append([item.deadline, item.client, item.to ?? "", item.slot.description, item.kind.rawValue,
                              item.status.rawValue + (item.resent ? " (resent)" : ""), item.error ?? item.subject ?? ""],
                             marked: item.status == .failed)
            }
            try Terminal.write(Array(("Reminders at \(report.now)\n\n" + (report.reminders.isEmpty ? "nothing is due\n" : table.render())).utf8))
        } else {
            try printJSON(report.json())
        }
        if report.anyFailed {
            let failed = report.reminders.filter { $0.status == .failed }
            throw CommandFailure(exitCode: .rejected, message: "\(failed.count) reminder\(failed.count == 1 ? "" : "s") failed: "
                                 + failed.map { "\($0.deadline): \($0.error ?? "")" }.joined(separator: "; "))
        }
    }
}
