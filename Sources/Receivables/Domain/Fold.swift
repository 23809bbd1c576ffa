import EventLog

/// Folding an event into the state (CONTRACT 5). The fold never fails: an event about an entity
/// that is not in the state is passed over, and an allocation to a deadline that is not in the
/// state counts as unallocated. The rules (`Decision`) run before it on the append path; an
/// as-of replay folds a subset of the log without them.
public enum Fold {
    /// The client an event is about, found through its invoice, deadline or payment when the
    /// event does not name it.
    public static func client<S: StateStore>(of event: DomainEvent, in state: S) throws -> String? {
        switch event {
        case .settingsChanged, .reminderTemplateSaved: return nil
        case .clientRegistered(let e): return e.client
        case .clientUpdated(let e): return e.client
        case .creditLimitSet(let e): return e.client
        case .invoiceIssued(let e): return e.client
        case .invoiceCancelled(let e): return try state.invoice(e.invoice)?.client
        case .deadlineSet(let e): return e.client
        case .deadlineAmended(let e): return try state.deadline(e.deadline)?.client
        case .deadlinePostponed(let e): return try state.deadline(e.deadline)?.client
        case .deadlineCancelled(let e): return try state.deadline(e.deadline)?.client
        case .paymentReceived(let e): return e.client
        case .paymentAllocated(let e): return try state.payment(e.payment)?.client
        case .paymentCleared(let e): return try state.payment(e.payment)?.client
        case .paymentBounced(let e): return try state.payment(e.payment)?.client
        case .paymentDocumentAttached(let e): return try state.payment(e.payment)?.client
        case .reminderSent(let e): return try state.deadline(e.deadline)?.client
        }
    }

    /// Applies `event` to `state`.
    public static func apply<S: StateStore>(_ event: DomainEvent, to state: inout S) throws {
        switch event {
        case .settingsChanged(let e):
            if let value = e.company { state.settings.company = value }
            if let value = e.iban { state.settings.iban = value }
            if let value = e.bic { state.settings.bic = value }
            if let value = e.paymentLink { state.settings.paymentLink = value }
            if let value = e.sender { state.settings.sender = value }
            if let value = e.timezone { state.settings.timeZone = value }
            if let value = e.currency { state.settings.currency = value }
            if let value = e.reminder { state.settings.reminder = value }

        case .reminderTemplateSaved(let e):
            try state.put(TemplateState(template: e.template, locale: e.locale, kind: e.kind, subject: e.subject, body: e.body))

        case .clientRegistered(let e):
            guard try state.client(e.client) == nil else { return }
            var client = ClientState(id: e.client, name: e.name)
            client.email = e.email
            client.locale = e.locale ?? .default
            client.vat = e.vat
            try state.put(client)

        case .clientUpdated(let e):
            guard var client = try state.client(e.client) else { return }
            if let value = e.name { client.name = value }
            if let value = e.email { client.email = value }
            if let value = e.locale { client.locale = value }
            if let value = e.vat { client.vat = value }
            try state.put(client)

        case .creditLimitSet(let e):
            state.settings.hasMoneyEvents = true
            guard var client = try state.client(e.client) else { return }
            client.limit = e.limit
            client.warnAt = e.warnAt ?? 80
            try state.put(client)

        case .invoiceIssued(let e):
            state.settings.hasMoneyEvents = true
            guard var client = try state.client(e.client), try state.invoice(e.invoice) == nil else { return }
            var invoice = InvoiceState(id: e.invoice, client: e.client, issued: e.issued, amount: e.amount)
            invoice.number = e.number
            invoice.description = e.description
            client.exposure = try client.exposure.plus(invoice.exposureContribution)
            try state.put(invoice)
            try state.put(client)

        case .invoiceCancelled(let e):
            guard var invoice = try state.invoice(e.invoice), !invoice.isCancelled else { return }
            let before = invoice.exposureContribution
            invoice.cancelledOn = e.date
            invoice.liveDeadlineTotal = .zero
            for id in invoice.deadlines {
                guard var deadline = try state.deadline(id), deadline.isLive else { continue }
                deadline.isCancelled = true
                try state.put(deadline)
            }
            try state.put(invoice)
            try adjustClient(invoice.client, exposure: try invoice.exposureContribution.minus(before), in: &state)

        case .deadlineSet(let e):
            state.settings.hasMoneyEvents = true
            guard try state.client(e.client) != nil, try state.deadline(e.deadline) == nil else { return }
            var deadline = DeadlineState(id: e.deadline, client: e.client, invoice: e.invoice, due: e.due, amount: e.amount)
            deadline.description = e.description
            deadline.reminder = e.reminder
            if let invoiceID = e.invoice {
                // A deadline whose invoice is not in the state is passed over with it.
                guard var invoice = try state.invoice(invoiceID) else { return }
                invoice.deadlines.append(e.deadline)
                if invoice.isCancelled {
                    deadline.isCancelled = true
                } else {
                    invoice.liveDeadlineTotal = try invoice.liveDeadlineTotal.plus(e.amount)
                }
                try state.put(invoice)
            }
            try state.put(deadline)
            try adjustClient(e.client, exposure: deadline.exposureContribution, in: &state)

        case .deadlineAmended(let e):
            if e.amount != nil { state.settings.hasMoneyEvents = true }
            guard var deadline = try state.deadline(e.deadline), deadline.isLive else { return }
            let before = deadline.exposureContribution
            if let amount = e.amount {
                if let invoiceID = deadline.invoice, var invoice = try state.invoice(invoiceID) {
                    invoice.liveDeadlineTotal = try invoice.liveDeadlineTotal.minus(deadline.amount).plus(amount)
                    try state.put(invoice)
                }
                deadline.amount = amount
            }
            if let value = e.description { deadline.description = value }
            if let value = e.reminder { deadline.reminder = value }
            try state.put(deadline)
            try adjustClient(deadline.client, exposure: try deadline.exposureContribution.minus(before), in: &state)

        case .deadlinePostponed(let e):
            guard var deadline = try state.deadline(e.deadline) else { return }
            deadline.due = e.due
            try state.put(deadline)

        case .deadlineCancelled(let e):
            guard var deadline = try state.deadline(e.deadline), deadline.isLive else { return }
            let before = deadline.exposureContribution
            deadline.isCancelled = true
            if let invoiceID = deadline.invoice, var invoice = try state.invoice(invoiceID) {
                invoice.liveDeadlineTotal = try invoice.liveDeadlineTotal.minus(deadline.amount)
                try state.put(invoice)
            }
            try state.put(deadline)
            try adjustClient(deadline.client, exposure: try deadline.exposureContribution.minus(before), in: &state)

        case .paymentReceived(let e):
            state.settings.hasMoneyEvents = true
            guard try state.client(e.client) != nil, try state.payment(e.payment) == nil else { return }
            var payment = PaymentState(id: e.payment, client: e.client, amount: e.amount, received: e.received, method: e.method,
                                       status: (e.status ?? e.method.defaultStatus) == .pending ? .pending : .cleared)
            payment.reference = e.reference
            try state.put(payment)
            try adjustClient(e.client, exposure: payment.exposureContribution, pending: payment.pendingContribution,
                             onAccount: payment.unallocated, in: &state)
            try allocate(e.allocations ?? [], of: e.payment, in: &state)

        case .paymentAllocated(let e):
            state.settings.hasMoneyEvents = true
            try allocate(e.allocations, of: e.payment, in: &state)

        case .paymentCleared(let e):
            guard var payment = try state.payment(e.payment), payment.status == .pending else { return }
            let before = payment
            payment.status = .cleared
            payment.clearedOn = e.date
            for allocation in payment.allocations {
                try moveAllocation(allocation, in: &state) { deadline in
                    deadline.pending = try deadline.pending.minus(allocation.amount)
                    deadline.paid = try deadline.paid.plus(allocation.amount)
                }
            }
            try state.put(payment)
            try adjustClient(payment.client, exposure: try payment.exposureContribution.minus(before.exposureContribution),
                             pending: try payment.pendingContribution.minus(before.pendingContribution), in: &state)

        case .paymentBounced(let e):
            guard var payment = try state.payment(e.payment), payment.status != .bounced else { return }
            let before = payment
            for allocation in payment.allocations {
                try moveAllocation(allocation, in: &state) { deadline in
                    if before.status == .cleared {
                        deadline.paid = try deadline.paid.minus(allocation.amount)
                    } else {
                        deadline.pending = try deadline.pending.minus(allocation.amount)
                    }
                }
            }
            payment.allocations = []
            payment.status = .bounced
            try state.put(payment)
            try adjustClient(payment.client, exposure: try payment.exposureContribution.minus(before.exposureContribution),
                             pending: try payment.pendingContribution.minus(before.pendingContribution),
                             onAccount: try payment.unallocated.minus(before.unallocated), in: &state)

        case .paymentDocumentAttached(let e):
            guard var payment = try state.payment(e.payment) else { return }
            payment.documents.append(DocumentReference(sha256: e.sha256, name: e.name, mediaType: e.mediaType, size: e.size))
            try state.put(payment)

        case .reminderSent(let e):
            guard var deadline = try state.deadline(e.deadline) else { return }
            deadline.reminders.append(SentReminder(sentAt: e.sentAt, slot: e.slot, manual: e.manual ?? false))
            try state.put(deadline)
            try state.recordReminder(deadline: e.deadline, slot: e.slot)
        }
    }

    /// Applies allocations of a payment: each to a deadline in the state moves money from the
    /// payment's remainder to the deadline (paid or pending with the payment).
    static func allocate<S: StateStore>(_ allocations: [Allocation], of paymentID: String, in state: inout S) throws {
        guard !allocations.isEmpty, var payment = try state.payment(paymentID), payment.status != .bounced else { return }
        let before = payment
        for allocation in allocations {
            guard try state.deadline(allocation.deadline) != nil else { continue }
            payment.merge(allocation)
            try moveAllocation(allocation, in: &state) { deadline in
                if payment.status == .cleared {
                    deadline.paid = try deadline.paid.plus(allocation.amount)
                } else {
                    deadline.pending = try deadline.pending.plus(allocation.amount)
                }
            }
        }
        try state.put(payment)
        try adjustClient(payment.client, exposure: try payment.exposureContribution.minus(before.exposureContribution),
                         onAccount: try payment.unallocated.minus(before.unallocated), in: &state)
    }

    /// Changes a deadline's paid or pending through `change`, carrying the change to its invoice's
    /// allocated totals and to its client's exposure.
    static func moveAllocation<S: StateStore>(_ allocation: Allocation, in state: inout S,
                                              _ change: (inout DeadlineState) throws -> Void) throws {
        guard var deadline = try state.deadline(allocation.deadline) else { return }
        let before = deadline
        try change(&deadline)
        try state.put(deadline)
        var exposureChange = try deadline.exposureContribution.minus(before.exposureContribution)
        if let invoiceID = deadline.invoice, var invoice = try state.invoice(invoiceID) {
            let invoiceBefore = invoice.exposureContribution
            invoice.clearedAllocated = try invoice.clearedAllocated.plus(try deadline.paid.minus(before.paid))
            invoice.pendingAllocated = try invoice.pendingAllocated.plus(try deadline.pending.minus(before.pending))
            try state.put(invoice)
            exposureChange = try exposureChange.plus(try invoice.exposureContribution.minus(invoiceBefore))
        }
        try adjustClient(deadline.client, exposure: exposureChange, in: &state)
    }

    static func adjustClient<S: StateStore>(_ id: String, exposure: Money = .zero, pending: Money = .zero,
                                            onAccount: Money = .zero, in state: inout S) throws {
        guard !(exposure.isZero && pending.isZero && onAccount.isZero), var client = try state.client(id) else { return }
        client.exposure = try client.exposure.plus(exposure)
        client.pendingPayments = try client.pendingPayments.plus(pending)
        client.onAccount = try client.onAccount.plus(onAccount)
        try state.put(client)
    }
}
