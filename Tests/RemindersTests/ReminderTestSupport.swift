import EventLog
import Receivables
import XCTest
@testable import Reminders

/// Shared builders for the reminder tests.
enum Fixture {
    static func day(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Day {
        guard let day = Day(iso: text) else {
            XCTFail("bad day \(text)", file: file, line: line)
            return Day(daysSinceEpoch: 0)
        }
        return day
    }

    static func money(_ text: String) -> Money {
        do { return try Money.parse(text, currency: .euro) } catch {
            XCTFail("bad amount \(text): \(error)")
            return .zero
        }
    }

    static func timestamp(_ text: String) -> Timestamp {
        guard let instant = Timestamp(rfc3339: text) else {
            XCTFail("bad timestamp \(text)")
            return Timestamp(millisecondsSinceEpoch: 0)
        }
        return instant
    }

    static func deadline(_ id: String, client: String = "c1", invoice: String? = "inv1", due: String,
                         amount: String = "1220.50", plan: ReminderPlan? = nil) -> DeadlineState {
        var deadline = DeadlineState(id: id, client: client, invoice: invoice, due: day(due), amount: money(amount))
        deadline.reminder = plan
        return deadline
    }

    static func client(_ id: String = "c1", name: String = "Rossi S.r.l.", email: String? = "amministrazione@rossi.example",
                       locale: ClientLocale = .it) -> ClientState {
        var client = ClientState(id: id, name: name)
        client.email = email
        client.locale = locale
        return client
    }

    static func settings(plan: ReminderPlan? = nil) -> SettingsState {
        var settings = SettingsState()
        settings.company = "Bianchi & Figli S.p.A."
        settings.iban = "IT60X0542811101000000123456"
        settings.paymentLink = "https://pay.example.com/p?d={deadline}&a={amount}"
        settings.sender = "crediti@bianchi.example"
        settings.reminder = plan
        return settings
    }

    static func invoice(_ id: String = "inv1", client: String = "c1", number: String? = "2026/1",
                        amount: String = "1220.50") -> InvoiceState {
        var invoice = InvoiceState(id: id, client: client, issued: day("2026-01-15"), amount: money(amount))
        invoice.number = number
        return invoice
    }

    static func plan(lead: Int, every: Int, max: Int? = nil, template: String = "default") -> ReminderPlan {
        ReminderPlan(leadDays: lead, everyDays: every, template: template, maxCount: max)
    }

    static func reminder(deadline: DeadlineState, client: ClientState, slot: String, template: String = "default",
                         manual: Bool = false) -> DueReminder {
        let slotDay = day(slot)
        return DueReminder(deadline: deadline.id, client: client.id, to: client.email, slot: slotDay,
                           kind: ReminderSchedule.kind(slot: slotDay, due: deadline.due), template: template,
                           manual: manual)
    }
}
