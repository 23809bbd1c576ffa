import EventLog

/// The decision step: given the state and a new event, accept it (answering the event as it
/// will be recorded, e.g. a payment by invoice with the allocations the engine made) or refuse it
/// with the rule it breaks. Rules are checked in a fixed order, so the same input always gets
/// the same answer: existence first, then relations, then amounts.
public enum Decision {
    public static func decide<S: StateStore>(_ event: DomainEvent, in state: S) throws -> DomainEvent {
        let type = event.type.rawValue
        func reject(_ field: String, _ reason: String, _ rule: String) -> EventRejection {
            EventRejection(type: type, field: field, reason: reason, rule: rule)
        }
        func knownClient(_ id: String, field: String = "client") throws -> ClientState {
            guard let client = try state.client(id) else {
                throw reject(field, "no client \"\(id)\" is registered; register it with ClientRegistered first", "unknownClient")
            }
            return client
        }
        func knownInvoice(_ id: String, field: String = "invoice") throws -> InvoiceState {
            guard let invoice = try state.invoice(id) else {
                throw reject(field, "no invoice \"\(id)\" was issued", "unknownInvoice")
            }
            return invoice
        }
        func knownDeadline(_ id: String, field: String = "deadline") throws -> DeadlineState {
            guard let deadline = try state.deadline(id) else {
                throw reject(field, "no deadline \"\(id)\" was set", "unknownDeadline")
            }
            return deadline
        }
        func liveDeadline(_ id: String, field: String = "deadline") throws -> DeadlineState {
            let deadline = try knownDeadline(id, field: field)
            guard deadline.isLive else {
                throw reject(field, "deadline \"\(id)\" was cancelled", "deadlineNotLive")
            }
            return deadline
        }
        func knownPayment(_ id: String) throws -> PaymentState {
            guard let payment = try state.payment(id) else {
                throw reject("payment", "no payment \"\(id)\" was received", "unknownPayment")
            }
            return payment
        }
        func checkPlan(_ plan: ReminderPlan?, field: String = "reminder") throws {
            guard let plan, plan.template != "default" else { return }
            guard try state.hasTemplate(plan.template) else {
                throw reject("\(field).template", "no template \"\(plan.template)\" was saved; use \"default\" or save it first", "unknownTemplate")
            }
        }
        let currency = state.settings.currency
        func shown(_ money: Money) -> String { money.canonical(currency) }
        /// The invoice sum rule: its live deadlines may add up to at most its amount.
        func checkInvoiceSum(_ invoice: InvoiceState, adding amount: Money, removing old: Money = .zero) throws {
            let total = try invoice.liveDeadlineTotal.minus(old).plus(amount)
            guard total <= invoice.amount else {
                throw reject("amount", "the deadlines of invoice \"\(invoice.id)\" would add up to \(shown(total)), more than its amount \(shown(invoice.amount))",
                             "deadlinesExceedInvoice")
            }
        }
        /// Explicit allocations (CONTRACT 5.2): each to a live deadline of the payment's client,
        /// at most its outstanding (counting earlier entries of the same list), in all at most `available`.
        func checkAllocations(_ allocations: [Allocation], client: String, available: Money, availableName: String, rule: String) throws {
            var taken: [String: Money] = [:]
            var total = Money.zero
            for (index, allocation) in allocations.enumerated() {
                let field = "allocations[\(index)].deadline"
                let deadline = try liveDeadline(allocation.deadline, field: field)
                guard deadline.client == client else {
                    throw reject(field, "deadline \"\(deadline.id)\" belongs to client \"\(deadline.client)\", not \"\(client)\"", "allocationClientMismatch")
                }
                let already = taken[deadline.id] ?? .zero
                let outstanding = try deadline.outstanding.minus(already)
                guard allocation.amount <= outstanding else {
                    throw reject("allocations[\(index)].amount",
                                 "\(shown(allocation.amount)) is more than the \(shown(outstanding)) outstanding on deadline \"\(deadline.id)\"",
                                 "allocationExceedsOutstanding")
                }
                taken[deadline.id] = try already.plus(allocation.amount)
                total = try total.plus(allocation.amount)
            }
            guard total <= available else {
                throw reject("allocations", "they add up to \(shown(total)), more than the \(availableName) \(shown(available))", rule)
            }
        }

        switch event {
        case .settingsChanged(let e):
            if let currency = e.currency, currency != state.settings.currency, state.settings.hasMoneyEvents {
                throw reject("currency", "the currency cannot change once amounts are recorded (they are in \(state.settings.currency.code))", "currencyAfterMoney")
            }
            try checkPlan(e.reminder)
            return event

        case .reminderTemplateSaved:
            return event

        case .clientRegistered(let e):
            if try state.client(e.client) != nil {
                throw reject("client", "client \"\(e.client)\" is already registered; use ClientUpdated to change it", "clientExists")
            }
            return event

        case .clientUpdated(let e):
            _ = try knownClient(e.client)
            return event

        case .creditLimitSet(let e):
            _ = try knownClient(e.client)
            return event

        case .invoiceIssued(let e):
            if try state.invoice(e.invoice) != nil {
                throw reject("invoice", "invoice \"\(e.invoice)\" was already issued", "invoiceExists")
            }
            _ = try knownClient(e.client)
            return event

        case .invoiceCancelled(let e):
            let invoice = try knownInvoice(e.invoice)
            guard !invoice.isCancelled else {
                throw reject("invoice", "invoice \"\(e.invoice)\" is already cancelled", "invoiceAlreadyCancelled")
            }
            guard invoice.clearedAllocated.isZero && invoice.pendingAllocated.isZero else {
                throw reject("invoice", "payments are allocated to invoice \"\(e.invoice)\"; bounce or reallocate them first", "invoiceHasPayments")
            }
            guard e.date >= invoice.issued else {
                throw reject("date", "\(e.date) is before the invoice was issued (\(invoice.issued))", "dateBeforeIssue")
            }
            return event

        case .deadlineSet(let e):
            if try state.deadline(e.deadline) != nil {
                throw reject("deadline", "deadline \"\(e.deadline)\" was already set; use DeadlineAmended or DeadlinePostponed", "deadlineExists")
            }
            _ = try knownClient(e.client)
            if let invoiceID = e.invoice {
                let invoice = try knownInvoice(invoiceID)
                guard invoice.client == e.client else {
                    throw reject("invoice", "invoice \"\(invoiceID)\" belongs to client \"\(invoice.client)\", not \"\(e.client)\"", "invoiceClientMismatch")
                }
                guard !invoice.isCancelled else {
                    throw reject("invoice", "invoice \"\(invoiceID)\" was cancelled", "invoiceCancelled")
                }
                try checkInvoiceSum(invoice, adding: e.amount)
            }
            try checkPlan(e.reminder)
            return event

        case .deadlineAmended(let e):
            let deadline = try liveDeadline(e.deadline)
            if let amount = e.amount {
                guard amount >= (try deadline.paid.plus(deadline.pending)) else {
                    throw reject("amount", "\(shown(amount)) is less than the \(shown(deadline.paid + deadline.pending)) already paid or pending", "amountBelowPaid")
                }
                if let invoiceID = deadline.invoice {
                    try checkInvoiceSum(try knownInvoice(invoiceID), adding: amount, removing: deadline.amount)
                }
            }
            try checkPlan(e.reminder)
            return event

        case .deadlinePostponed(let e):
            let deadline = try liveDeadline(e.deadline)
            guard deadline.outstanding.isPositive else {
                throw reject("deadline", "nothing is outstanding on deadline \"\(e.deadline)\"", "nothingOutstanding")
            }
            guard e.due > deadline.due else {
                throw reject("due", "\(e.due) is not later than the current due date \(deadline.due)", "dueNotLater")
            }
            return event

        case .deadlineCancelled(let e):
            let deadline = try liveDeadline(e.deadline)
            guard deadline.paid.isZero && deadline.pending.isZero else {
                throw reject("deadline", "deadline \"\(e.deadline)\" has payments allocated; bounce or reallocate them first", "deadlineHasPayments")
            }
            return event

        case .paymentReceived(var e):
            if try state.payment(e.payment) != nil {
                throw reject("payment", "payment \"\(e.payment)\" was already received", "paymentExists")
            }
            _ = try knownClient(e.client)
            var byInvoice: InvoiceState?
            if let invoiceID = e.invoice {
                let invoice = try knownInvoice(invoiceID)
                guard invoice.client == e.client else {
                    throw reject("invoice", "invoice \"\(invoiceID)\" belongs to client \"\(invoice.client)\", not \"\(e.client)\"", "invoiceClientMismatch")
                }
                guard !invoice.isCancelled else {
                    throw reject("invoice", "invoice \"\(invoiceID)\" was cancelled", "invoiceCancelled")
                }
                byInvoice = invoice
            }
            if let allocations = e.allocations {
                try checkAllocations(allocations, client: e.client, available: e.amount, availableName: "payment's amount",
                                     rule: "allocationsExceedPayment")
            } else if let invoice = byInvoice {
                // The engine's decision is recorded in the event, so every later fold uses it.
                let made = try allocateByInvoice(invoice, amount: e.amount, in: state)
                if !made.isEmpty { e.allocations = made }
            }
            return .paymentReceived(e)

        case .paymentAllocated(let e):
            let payment = try knownPayment(e.payment)
            guard payment.status != .bounced else {
                throw reject("payment", "payment \"\(e.payment)\" bounced; it counts for nothing", "paymentBounced")
            }
            try checkAllocations(e.allocations, client: payment.client, available: payment.unallocated, availableName: "payment's unallocated remainder",
                                 rule: "allocationsExceedUnallocated")
            return event

        case .paymentCleared(let e):
            let payment = try knownPayment(e.payment)
            guard payment.status == .pending else {
                throw reject("payment", "payment \"\(e.payment)\" is \(payment.status.rawValue), not pending", "paymentNotPending")
            }
            guard e.date >= payment.received else {
                throw reject("date", "\(e.date) is before the payment was received (\(payment.received))", "dateBeforeReceived")
            }
            return event

        case .paymentBounced(let e):
            let payment = try knownPayment(e.payment)
            guard payment.status != .bounced else {
                throw reject("payment", "payment \"\(e.payment)\" already bounced", "paymentAlreadyBounced")
            }
            guard e.date >= payment.received else {
                throw reject("date", "\(e.date) is before the payment was received (\(payment.received))", "dateBeforeReceived")
            }
            if let cleared = payment.clearedOn, e.date < cleared {
                throw reject("date", "\(e.date) is before the payment cleared (\(cleared))", "dateBeforeCleared")
            }
            return event

        case .paymentDocumentAttached(let e):
            _ = try knownPayment(e.payment)
            guard try state.hasBlob(sha256: e.sha256, size: e.size) else {
                throw reject("sha256", "no document with this SHA-256 and size \(e.size) is stored; use `receivables attach` to store it", "documentNotStored")
            }
            return event

        case .reminderSent(let e):
            _ = try knownDeadline(e.deadline)
            if e.manual != true, try state.hasReminder(deadline: e.deadline, slot: e.slot) {
                throw reject("slot", "a reminder for slot \(e.slot) of deadline \"\(e.deadline)\" was already sent", "reminderSlotTaken")
            }
            return event
        }
    }

    /// CONTRACT 5.2: a payment by invoice goes to the invoice's live deadlines with something
    /// outstanding, earliest due first, ties by deadline id; the rest stays on account.
    public static func allocateByInvoice<S: StateStore>(_ invoice: InvoiceState, amount: Money, in state: S) throws -> [Allocation] {
        let candidates = try state.deadlines(ofInvoice: invoice)
            .filter { $0.isLive && $0.outstanding.isPositive }
            .sorted { ($0.due, $0.id) < ($1.due, $1.id) }
        var left = amount
        var allocations: [Allocation] = []
        for deadline in candidates where left.isPositive {
            let share = min(left, deadline.outstanding)
            allocations.append(Allocation(deadline: deadline.id, amount: share))
            left = left - share
        }
        return allocations
    }
}
