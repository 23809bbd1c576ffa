import Receivables
import XCTest
@testable import Reminders

final class ScheduleTests: XCTestCase {
    private func days(_ texts: [String]) -> [Day] { texts.map { Fixture.day($0) } }

    // MARK: Slots

    func testSlotsTable() {
        let due = Fixture.day("2026-02-15")
        let table: [(plan: ReminderPlan, expected: [String], line: UInt)] = [
            // Lead days, then every N days, at most maxCount.
            (Fixture.plan(lead: 5, every: 7, max: 3), ["2026-02-10", "2026-02-17", "2026-02-24"], #line),
            // everyDays 0: once, whatever maxCount says.
            (Fixture.plan(lead: 0, every: 0), ["2026-02-15"], #line),
            (Fixture.plan(lead: 10, every: 0, max: 5), ["2026-02-05"], #line),
            // maxCount 1: the first slot only.
            (Fixture.plan(lead: 3, every: 7, max: 1), ["2026-02-12"], #line),
            // Lead 0: the first reminder on the due date itself.
            (Fixture.plan(lead: 0, every: 10, max: 4), ["2026-02-15", "2026-02-25", "2026-03-07", "2026-03-17"], #line),
            // Across a year end and a leap day.
            (Fixture.plan(lead: 60, every: 15, max: 2), ["2025-12-17", "2026-01-01"], #line),
        ]
        for row in table {
            XCTAssertEqual(ReminderSchedule.slots(due: due, plan: row.plan), days(row.expected), line: row.line)
        }
        XCTAssertEqual(ReminderSchedule.slots(due: Fixture.day("2028-03-01"), plan: Fixture.plan(lead: 1, every: 1, max: 2)),
                       days(["2028-02-29", "2028-03-01"]))
    }

    func testOpenEndedPlanIsListedUpToTenYearsPastTheDueDate() {
        let due = Fixture.day("2026-02-15")
        let slots = ReminderSchedule.slots(due: due, plan: Fixture.plan(lead: 3, every: 10))
        XCTAssertEqual(slots.first, Fixture.day("2026-02-12"))
        XCTAssertEqual(slots.count, (3650 + 3) / 10 + 1)
        XCTAssertLessThanOrEqual(slots.last!, due.adding(days: ReminderSchedule.openEndedListingDays))
        XCTAssertGreaterThan(slots.last!.adding(days: 10), due.adding(days: ReminderSchedule.openEndedListingDays))
        for (earlier, later) in zip(slots, slots.dropFirst()) { XCTAssertEqual(earlier.days(to: later), 10) }
        // A huge maxCount is cut by the same horizon rather than building a huge list.
        XCTAssertEqual(ReminderSchedule.slots(due: due, plan: Fixture.plan(lead: 3, every: 10, max: 1_000_000_000)), slots)
    }

    func testSlotToSendIsTheLatestSlotOnOrBeforeToday() {
        let due = Fixture.day("2026-02-15")
        let table: [(plan: ReminderPlan, today: String, expected: String?, line: UInt)] = [
            (Fixture.plan(lead: 5, every: 7, max: 3), "2026-02-09", nil, #line),
            (Fixture.plan(lead: 5, every: 7, max: 3), "2026-02-10", "2026-02-10", #line),
            (Fixture.plan(lead: 5, every: 7, max: 3), "2026-02-16", "2026-02-10", #line),
            (Fixture.plan(lead: 5, every: 7, max: 3), "2026-02-17", "2026-02-17", #line),
            (Fixture.plan(lead: 5, every: 7, max: 3), "2026-02-23", "2026-02-17", #line),
            (Fixture.plan(lead: 5, every: 7, max: 3), "2026-02-24", "2026-02-24", #line),
            // After the last of maxCount slots, that last slot stays the one (already sent).
            (Fixture.plan(lead: 5, every: 7, max: 3), "2026-06-30", "2026-02-24", #line),
            // Once.
            (Fixture.plan(lead: 2, every: 0), "2026-02-12", nil, #line),
            (Fixture.plan(lead: 2, every: 0), "2026-02-13", "2026-02-13", #line),
            (Fixture.plan(lead: 2, every: 0), "2027-01-01", "2026-02-13", #line),
            // Open ended: every 30 days from the due date.
            (Fixture.plan(lead: 0, every: 30), "2026-06-01", "2026-05-16", #line),
            (Fixture.plan(lead: 0, every: 30), "2026-06-15", "2026-06-15", #line),
        ]
        for row in table {
            XCTAssertEqual(ReminderSchedule.slotToSend(today: Fixture.day(row.today), due: due, plan: row.plan),
                           row.expected.map { Fixture.day($0) }, line: row.line)
        }
    }

    func testSlotToSendAgreesWithTheListOfSlots() {
        let due = Fixture.day("2026-02-15")
        let plans = [Fixture.plan(lead: 5, every: 7, max: 3), Fixture.plan(lead: 0, every: 0), Fixture.plan(lead: 14, every: 3),
                     Fixture.plan(lead: 1, every: 1, max: 10), Fixture.plan(lead: 30, every: 0, max: 2)]
        for plan in plans {
            let slots = ReminderSchedule.slots(due: due, plan: plan)
            for offset in -40...120 {
                let today = due.adding(days: offset)
                XCTAssertEqual(ReminderSchedule.slotToSend(today: today, due: due, plan: plan),
                               slots.last(where: { $0 <= today }), "\(plan) on \(today)")
            }
        }
    }

    func testKind() {
        let due = Fixture.day("2026-02-15")
        XCTAssertEqual(ReminderSchedule.kind(slot: Fixture.day("2026-02-14"), due: due), .beforeDue)
        XCTAssertEqual(ReminderSchedule.kind(slot: Fixture.day("2026-02-15"), due: due), .due)
        XCTAssertEqual(ReminderSchedule.kind(slot: Fixture.day("2026-02-16"), due: due), .overdue)
    }

    // MARK: Which deadlines get a reminder

    private func due(today: String, _ deadlines: [DeadlineState], clients: [ClientState] = [Fixture.client()],
                     settings: SettingsState = Fixture.settings(),
                     sent: Set<String> = []) -> [DueReminder] {
        ReminderSchedule.due(
            today: Fixture.day(today), deadlines: deadlines,
            clients: Dictionary(uniqueKeysWithValues: clients.map { ($0.id, $0) }), settings: settings,
            alreadySent: { sent.contains("\($0)|\($1)") })
    }

    func testAnOpenDeadlineGetsTheSlotOfToday() {
        let deadline = Fixture.deadline("d1", due: "2026-02-15", plan: Fixture.plan(lead: 5, every: 7, max: 3))
        XCTAssertEqual(due(today: "2026-02-18", [deadline]), [
            DueReminder(deadline: "d1", client: "c1", to: "amministrazione@rossi.example", slot: Fixture.day("2026-02-17"),
                        kind: .overdue, template: "default", manual: false),
        ])
        XCTAssertEqual(due(today: "2026-02-09", [deadline]), [])
    }

    func testASlotAlreadySentIsNotSentAgain() {
        let deadline = Fixture.deadline("d1", due: "2026-02-15", plan: Fixture.plan(lead: 5, every: 7, max: 3))
        XCTAssertEqual(due(today: "2026-02-18", [deadline], sent: ["d1|2026-02-17"]), [])
        // An earlier slot sent does not stand for the current one.
        XCTAssertEqual(due(today: "2026-02-18", [deadline], sent: ["d1|2026-02-10"]).map(\.slot), [Fixture.day("2026-02-17")])
    }

    func testPaidPendingAndCancelledDeadlinesGetNothing() {
        let plan = Fixture.plan(lead: 5, every: 7)
        var paid = Fixture.deadline("paid", due: "2026-02-15", plan: plan)
        paid.paid = paid.amount
        var pending = Fixture.deadline("pending", due: "2026-02-15", plan: plan)
        pending.pending = pending.amount
        var cancelled = Fixture.deadline("cancelled", due: "2026-02-15", plan: plan)
        cancelled.isCancelled = true
        var partlyPaid = Fixture.deadline("partly", due: "2026-02-15", plan: plan)
        partlyPaid.paid = Fixture.money("1000")
        partlyPaid.pending = Fixture.money("200")
        XCTAssertEqual(due(today: "2026-02-20", [paid, pending, cancelled, partlyPaid]).map(\.deadline), ["partly"])
    }

    func testTheDeadlinesPlanComesBeforeTheDefaultPlanAndNeitherMeansNothing() {
        let own = Fixture.deadline("own", due: "2026-02-15", plan: Fixture.plan(lead: 0, every: 0, template: "mine"))
        let none = Fixture.deadline("none", due: "2026-02-15")
        // No default plan: only the deadline with its own plan.
        XCTAssertEqual(due(today: "2026-02-20", [own, none], settings: Fixture.settings()).map(\.deadline), ["own"])
        // With a default plan, the deadline without one uses it.
        let withDefault = due(today: "2026-02-20", [own, none],
                              settings: Fixture.settings(plan: Fixture.plan(lead: 10, every: 0, template: "house")))
        XCTAssertEqual(withDefault.map(\.deadline), ["none", "own"])
        XCTAssertEqual(withDefault.map(\.template), ["house", "mine"])
        XCTAssertEqual(withDefault.map(\.slot), days(["2026-02-05", "2026-02-15"]))
        XCTAssertEqual(withDefault.map(\.kind), [.beforeDue, .due])
        // No plan anywhere: nothing at all.
        XCTAssertEqual(due(today: "2026-03-20", [none]), [])
    }

    func testSortedByClientThenDeadline() {
        let plan = Fixture.plan(lead: 0, every: 0)
        let deadlines = [
            Fixture.deadline("d2", client: "b", due: "2026-02-01", plan: plan),
            Fixture.deadline("d1", client: "b", due: "2026-02-01", plan: plan),
            Fixture.deadline("d9", client: "a", due: "2026-02-01", plan: plan),
        ]
        let clients = [Fixture.client("a"), Fixture.client("b")]
        XCTAssertEqual(due(today: "2026-02-01", deadlines, clients: clients).map { "\($0.client)/\($0.deadline)" },
                       ["a/d9", "b/d1", "b/d2"])
    }

    func testAClientWithoutAnAddressIsListedWithoutOne() {
        let plan = Fixture.plan(lead: 0, every: 0)
        let deadlines = [Fixture.deadline("d1", client: "noMail", due: "2026-02-01", plan: plan),
                         Fixture.deadline("d2", client: "unknown", due: "2026-02-01", plan: plan)]
        let reminders = due(today: "2026-02-01", deadlines, clients: [Fixture.client("noMail", email: nil)])
        XCTAssertEqual(reminders.map(\.deadline), ["d1", "d2"])
        XCTAssertEqual(reminders.map(\.to), [nil, nil])
    }

    func testSchedulerOffForTenDaysSendsOneReminderPerDeadlineNotTen() {
        // Daily reminders from the due date; the last run was on 2026-02-15.
        let plan = Fixture.plan(lead: 0, every: 1)
        let deadlines = [Fixture.deadline("d1", due: "2026-02-15", plan: plan),
                         Fixture.deadline("d2", due: "2026-02-14", plan: plan)]
        let sent: Set<String> = ["d1|2026-02-15", "d2|2026-02-14", "d2|2026-02-15"]
        let reminders = due(today: "2026-02-25", deadlines, sent: sent)
        XCTAssertEqual(reminders.map(\.deadline), ["d1", "d2"])
        XCTAssertEqual(reminders.map(\.slot), days(["2026-02-25", "2026-02-25"]))
        XCTAssertEqual(reminders.map(\.kind), [.overdue, .overdue])
        // Once that is recorded, the same day gives nothing more.
        XCTAssertEqual(due(today: "2026-02-25", deadlines, sent: sent.union(["d1|2026-02-25", "d2|2026-02-25"])), [])
    }

    func testManualReminderHasTodayAsItsSlot() {
        let deadline = Fixture.deadline("d1", due: "2026-02-15", plan: Fixture.plan(lead: 0, every: 0, template: "mine"))
        let reminder = ReminderSchedule.manual(today: Fixture.day("2026-02-03"), deadline: deadline,
                                               client: Fixture.client(), settings: Fixture.settings())
        XCTAssertEqual(reminder, DueReminder(deadline: "d1", client: "c1", to: "amministrazione@rossi.example",
                                             slot: Fixture.day("2026-02-03"), kind: .beforeDue, template: "mine", manual: true))
        let withoutPlan = ReminderSchedule.manual(today: Fixture.day("2026-02-20"), deadline: Fixture.deadline("d2", due: "2026-02-15"),
                                                  client: nil, settings: Fixture.settings())
        XCTAssertEqual(withoutPlan.template, "default")
        XCTAssertEqual(withoutPlan.kind, .overdue)
        XCTAssertNil(withoutPlan.to)
    }

    // MARK: Through the fold: postponement and bounce

    private func folded(_ events: [DomainEvent]) throws -> MemoryState {
        var state = MemoryState()
        for event in events { try Fold.apply(event, to: &state) }
        return state
    }

    private func due(today: String, in state: MemoryState) -> [DueReminder] {
        ReminderSchedule.due(today: Fixture.day(today), deadlines: Array(state.deadlinesByID.values), clients: state.clients,
                             settings: state.settings,
                             alreadySent: { state.hasReminder(deadline: $0, slot: $1) })
    }

    private var opening: [DomainEvent] {
        [
            .clientRegistered(ClientRegistered(client: "c1", name: "Rossi S.r.l.", email: "a@rossi.example")),
            .invoiceIssued(InvoiceIssued(invoice: "inv1", client: "c1", issued: Fixture.day("2026-01-15"),
                                         amount: Fixture.money("1220.50"), number: "2026/1")),
            .deadlineSet(DeadlineSet(deadline: "d1", client: "c1", due: Fixture.day("2026-02-15"), amount: Fixture.money("1220.50"),
                                     invoice: "inv1", reminder: Fixture.plan(lead: 5, every: 7, max: 4))),
        ]
    }

    func testPostponementMovesTheSlots() throws {
        var events = opening
        events.append(.reminderSent(ReminderSent(deadline: "d1", sentAt: Fixture.timestamp("2026-02-10T08:00:00Z"),
                                                 to: "a@rossi.example", template: "default", slot: Fixture.day("2026-02-10"))))
        XCTAssertEqual(due(today: "2026-02-17", in: try folded(events)).map(\.slot), days(["2026-02-17"]))

        events.append(.deadlinePostponed(DeadlinePostponed(deadline: "d1", due: Fixture.day("2026-03-15"))))
        let state = try folded(events)
        // The slots now run from the new due date: 03-10, 03-17, 03-24, 03-31.
        XCTAssertEqual(ReminderSchedule.slots(due: state.deadlinesByID["d1"]!.due, plan: state.deadlinesByID["d1"]!.reminder!),
                       days(["2026-03-10", "2026-03-17", "2026-03-24", "2026-03-31"]))
        XCTAssertEqual(due(today: "2026-02-17", in: state), [])
        XCTAssertEqual(due(today: "2026-03-09", in: state), [])
        let reminders = due(today: "2026-03-12", in: state)
        XCTAssertEqual(reminders.map(\.slot), days(["2026-03-10"]))
        XCTAssertEqual(reminders.map(\.kind), [.beforeDue])
    }

    func testAPendingChequeStopsRemindersAndItsBounceReopensTheDeadline() throws {
        var events = opening
        events.append(.paymentReceived(PaymentReceived(
            payment: "p1", client: "c1", amount: Fixture.money("1220.50"), received: Fixture.day("2026-02-12"), method: .cheque,
            allocations: [Allocation(deadline: "d1", amount: Fixture.money("1220.50"))])))
        let pending = try folded(events)
        XCTAssertEqual(pending.deadlinesByID["d1"]?.status(asOf: Fixture.day("2026-02-20")), .pending)
        XCTAssertEqual(due(today: "2026-02-20", in: pending), [])

        events.append(.paymentBounced(PaymentBounced(payment: "p1", date: Fixture.day("2026-02-19"))))
        let bounced = try folded(events)
        let reminders = due(today: "2026-02-20", in: bounced)
        XCTAssertEqual(reminders.map(\.deadline), ["d1"])
        XCTAssertEqual(reminders.map(\.slot), days(["2026-02-17"]))
        XCTAssertEqual(reminders.map(\.kind), [.overdue])

        // A cleared payment ends the reminders for good.
        var cleared = opening
        cleared.append(.paymentReceived(PaymentReceived(
            payment: "p2", client: "c1", amount: Fixture.money("1220.50"), received: Fixture.day("2026-02-12"),
            method: .bankTransfer, invoice: "inv1", allocations: [Allocation(deadline: "d1", amount: Fixture.money("1220.50"))])))
        XCTAssertEqual(due(today: "2026-02-20", in: try folded(cleared)), [])
    }
}
