import Receivables

/// When reminders go out (CONTRACT 6). Pure: today is always an argument, never the clock.
///
/// A plan {leadDays L, everyDays F, maxCount M} gives a deadline the slots
/// `due - L + k·F` for k = 0, 1, ... (only k = 0 when F = 0; at most M slots when M is set),
/// always from the deadline's *current* due date, so a postponement moves every slot that has
/// not been sent yet.
public enum ReminderSchedule {
    /// How far past the due date `slots` lists a repeating plan: ten years, the longest lead or
    /// interval a plan may have. An open-ended plan (F > 0, no maxCount) itself has no end;
    /// only the list is cut, so that it stays finite. `slotToSend` is computed directly and
    /// is not bounded by this horizon.
    public static let openEndedListingDays = 3650

    /// The plan's slots for a deadline due on `due`, in order, listed up to
    /// `due + openEndedListingDays` (which only an open-ended plan, or a huge maxCount, reaches). A plan with maxCount 0 or less (which the event rules
    /// never let through) has no slots; a negative everyDays counts as 0 (once).
    public static func slots(due: Day, plan: ReminderPlan) -> [Day] {
        if let maxCount = plan.maxCount, maxCount <= 0 { return [] }
        let first = due.adding(days: -plan.leadDays)
        guard plan.everyDays > 0 else { return [first] }
        // maxCount (when set) and the listing horizon both end the list, whichever comes first:
        // the horizon also keeps a huge maxCount from building a huge array.
        let horizon = due.adding(days: openEndedListingDays)
        let count = plan.maxCount ?? Int.max
        var result: [Day] = []
        var slot = first
        while result.count < count && slot <= horizon {
            result.append(slot)
            slot = slot.adding(days: plan.everyDays)
        }
        return result
    }

    /// The latest slot on or before `today`, or nil when the first slot is still ahead (or the
    /// plan has none). Earlier slots that were missed are skipped: after a scheduler that was
    /// off for days, one reminder goes out per deadline, not one per missed slot.
    public static func slotToSend(today: Day, due: Day, plan: ReminderPlan) -> Day? {
        if let maxCount = plan.maxCount, maxCount <= 0 { return nil }
        let first = due.adding(days: -plan.leadDays)
        guard first <= today else { return nil }
        guard plan.everyDays > 0 else { return first }
        var index = first.days(to: today) / plan.everyDays
        if let maxCount = plan.maxCount { index = min(index, maxCount - 1) }
        return first.adding(days: index * plan.everyDays)
    }

    /// "before_due" for a slot before the due date, "due" on it, "overdue" after it.
    public static func kind(slot: Day, due: Day) -> ReminderKind {
        if slot < due { return .beforeDue }
        if slot == due { return .due }
        return .overdue
    }

    /// The plan that applies to a deadline: its own, else the store's default, else none.
    public static func plan(for deadline: DeadlineState, settings: SettingsState) -> ReminderPlan? {
        deadline.reminder ?? settings.reminder
    }

    /// Whether a deadline can get reminders at all: not cancelled and something outstanding.
    /// Paid deadlines and pending ones (the rest covered by a cheque or RiBa not yet credited)
    /// get none; a bounce reopens the deadline and with it its reminders.
    public static func isRemindable(_ deadline: DeadlineState) -> Bool {
        !deadline.isCancelled && deadline.outstanding.isPositive
    }

    /// The reminders to send `today`: for each remindable deadline with a plan (its own or
    /// the settings' default), the slot to send today, unless `alreadySent(deadline, slot)`
    /// says a ReminderSent records it. Sorted by client id, then deadline id.
    ///
    /// `to` is the client's e-mail address; it is nil when the client has none (or is not in
    /// `clients`), and the caller reports and skips such a reminder rather than losing it
    /// silently here.
    public static func due(
        today: Day,
        deadlines: [DeadlineState],
        clients: [String: ClientState],
        settings: SettingsState,
        alreadySent: (String, Day) -> Bool
    ) -> [DueReminder] {
        var result: [DueReminder] = []
        for deadline in deadlines where isRemindable(deadline) {
            guard let plan = plan(for: deadline, settings: settings),
                let slot = slotToSend(today: today, due: deadline.due, plan: plan),
                !alreadySent(deadline.id, slot)
            else { continue }
            result.append(
                DueReminder(
                    deadline: deadline.id, client: deadline.client, to: address(of: clients[deadline.client]),
                    slot: slot, kind: kind(slot: slot, due: deadline.due), template: plan.template, manual: false))
        }
        result.sort { ($0.client, $0.deadline) < ($1.client, $1.deadline) }
        return result
    }

    /// A manual reminder (`remind --deadline D`): slot = today, `manual: true`, the template of
    /// the deadline's plan, else of the default plan, else the built-in "default". Whether the
    /// deadline may be reminded (not cancelled, something outstanding) is the caller's check.
    public static func manual(
        today: Day, deadline: DeadlineState, client: ClientState?, settings: SettingsState
    ) -> DueReminder {
        DueReminder(
            deadline: deadline.id, client: deadline.client, to: address(of: client), slot: today,
            kind: kind(slot: today, due: deadline.due),
            template: plan(for: deadline, settings: settings)?.template ?? TemplateCatalog.defaultTemplateID,
            manual: true)
    }

    private static func address(of client: ClientState?) -> String? {
        guard let email = client?.email, !email.isEmpty else { return nil }
        return email
    }
}

/// One reminder to send: which deadline, to whom, for which slot, of which kind and template.
public struct DueReminder: Sendable, Equatable {
    public var deadline: String
    public var client: String
    /// The client's e-mail address; nil when the client has none.
    public var to: String?
    /// The plan's date this reminder stands for; today for a manual one.
    public var slot: Day
    public var kind: ReminderKind
    /// The plan's template id (the catalog may fall back to the built-in "default").
    public var template: String
    public var manual: Bool

    public init(deadline: String, client: String, to: String?, slot: Day, kind: ReminderKind, template: String,
                manual: Bool) {
        self.deadline = deadline
        self.client = client
        self.to = to
        self.slot = slot
        self.kind = kind
        self.template = template
        self.manual = manual
    }
}
