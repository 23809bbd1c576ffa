import Receivables

// Tables for a terminal and CSV for a spreadsheet, drawn from the query answers. Amounts are in
// canonical form ("1220.50") in both, so they sort and sum the same everywhere.

extension AgingReport {
    public func table(_ currency: Currency) -> String {
        var table = TextTable([.init("due"), .init("deadline"), .init("client"), .init("invoice"), .init("days", .right),
                               .init("bucket"), .init("amount", .right), .init("paid", .right), .init("pending", .right),
                               .init("outstanding", .right), .init("reminders", .right)])
        for row in rows {
            table.append([row.due.description, row.deadline, row.client, row.invoice ?? "", String(row.daysToDue), row.bucket,
                          row.amount.canonical(currency), row.paid.canonical(currency), row.pending.canonical(currency),
                          row.outstanding.canonical(currency), String(row.reminders)], marked: row.daysOverdue > 0)
        }
        return "Aging as of \(scope.asOf)\(scope.knownAt.map { ", as known at \($0)" } ?? "") (! overdue)\n\n"
            + table.render() + "\n" + summaryTable(currency)
    }

    /// Bucket totals per client and for all clients; clients with anything past due are marked.
    public func summaryTable(_ currency: Currency) -> String {
        var summary = TextTable([.init("client"), .init("name")] + buckets.map { .init($0, .right) } + [.init("total", .right)])
        for client in clients {
            let overdue = client.totals.total - (client.totals.amounts["current"] ?? .zero)
            summary.append([client.client, client.name] + buckets.map { (client.totals.amounts[$0] ?? .zero).canonical(currency) }
                           + [client.totals.total.canonical(currency)], marked: overdue.isPositive)
        }
        summary.append(["", "all clients"] + buckets.map { (totals.amounts[$0] ?? .zero).canonical(currency) } + [totals.total.canonical(currency)])
        return summary.render()
    }

    public func csv(_ currency: Currency) -> String {
        var csv = CSVTable(header: ["deadline", "client", "invoice", "due", "daysToDue", "daysOverdue", "bucket", "amount", "paid",
                                    "pending", "outstanding", "reminders"], numericColumns: [4, 5, 7, 8, 9, 10, 11])
        for row in rows {
            csv.append([row.deadline, row.client, row.invoice ?? "", row.due.description, String(row.daysToDue), String(row.daysOverdue),
                        row.bucket, row.amount.canonical(currency), row.paid.canonical(currency), row.pending.canonical(currency),
                        row.outstanding.canonical(currency), String(row.reminders)])
        }
        return csv.render()
    }
}

extension CalendarReport {
    public func table(_ currency: Currency) -> String {
        var output = "Deadlines due \(from) to \(to), by \(view.rawValue) (! overdue)\n"
        if periods.isEmpty { output += "\nno deadlines in this range\n" }
        for period in periods {
            output += "\n\(period.period) (\(period.from) to \(period.to)): outstanding \(period.total.canonical(currency))\n"
            var table = TextTable([.init("due"), .init("deadline"), .init("client"), .init("invoice"), .init("amount", .right),
                                   .init("outstanding", .right), .init("status"), .init("reminders", .right), .init("postponed from")])
            for entry in period.deadlines {
                table.append([entry.due.description, entry.deadline, entry.clientName, entry.invoice ?? "", entry.amount.canonical(currency),
                              entry.outstanding.canonical(currency), entry.status.rawValue, String(entry.reminders.count),
                              entry.postponedFrom?.description ?? ""], marked: entry.status == .overdue)
            }
            output += table.render()
        }
        return output
    }

    public func csv(_ currency: Currency) -> String {
        var csv = CSVTable(header: ["period", "deadline", "due", "client", "clientName", "invoice", "description", "amount",
                                    "outstanding", "status", "reminders", "postponedFrom"], numericColumns: [7, 8, 10])
        for period in periods {
            for entry in period.deadlines {
                csv.append([period.period, entry.deadline, entry.due.description, entry.client, entry.clientName, entry.invoice ?? "",
                            entry.description ?? "", entry.amount.canonical(currency), entry.outstanding.canonical(currency),
                            entry.status.rawValue, String(entry.reminders.count), entry.postponedFrom?.description ?? ""])
            }
        }
        return csv.render()
    }
}

extension ClientReport {
    public func table(_ currency: Currency) -> String {
        var lines = ["\(client.name) (\(client.id))\(client.email.map { " <\($0)>" } ?? "")", ""]
        lines.append("exposure         \(exposure.canonical(currency))")
        if let limit = client.limit {
            lines.append("credit limit     \(limit.canonical(currency)) (warn at \(client.warnAt)%)")
            lines.append("available        \((available ?? .zero).canonical(currency))")
        }
        lines.append("pending payments \(pendingPayments.canonical(currency))")
        lines.append("on account       \(onAccount.canonical(currency))")
        lines.append("credit status    \(creditStatus.rawValue)\(creditStatus == .exceeded ? "  !" : "")")
        var deadlineTable = TextTable([.init("due"), .init("deadline"), .init("invoice"), .init("amount", .right), .init("outstanding", .right),
                                       .init("status"), .init("reminders", .right), .init("postponed from")])
        for entry in deadlines {
            deadlineTable.append([entry.due.description, entry.deadline, entry.invoice ?? "", entry.amount.canonical(currency),
                                  entry.outstanding.canonical(currency), entry.status.rawValue, String(entry.reminders.count),
                                  entry.postponedFrom?.description ?? ""], marked: entry.status == .overdue)
        }
        var paymentTable = TextTable([.init("received"), .init("payment"), .init("method"), .init("status"), .init("amount", .right),
                                      .init("unallocated", .right), .init("allocations"), .init("documents", .right)])
        for payment in payments {
            paymentTable.append([payment.received.description, payment.payment, payment.method.rawValue, payment.status.rawValue,
                                 payment.amount.canonical(currency), payment.unallocated.canonical(currency),
                                 payment.allocations.map { "\($0.deadline) \($0.amount.canonical(currency))" }.joined(separator: ", "),
                                 String(payment.documents.count)], marked: payment.status == .bounced)
        }
        var output = lines.joined(separator: "\n") + "\n\nDeadlines\n" + deadlineTable.render() + "\nPayments\n" + paymentTable.render()
        if !alerts.isEmpty {
            var alertTable = TextTable([.init("date"), .init("seq", .right), .init("from"), .init("to")])
            for alert in alerts {
                alertTable.append([alert.date.description, String(alert.seq), alert.from.rawValue, alert.to.rawValue], marked: alert.to == .exceeded)
            }
            output += "\nCredit alerts\n" + alertTable.render()
        }
        return output
    }
}

extension CreditCheckReport {
    public func table(_ currency: Currency) -> String {
        var lines = ["client           \(client)",
                     "exposure         \(exposure.canonical(currency))",
                     "requested        \(requested.canonical(currency))",
                     "after            \(after.canonical(currency))"]
        if let limit { lines.append("credit limit     \(limit.canonical(currency))") }
        if let available { lines.append("available        \(available.canonical(currency))") }
        lines.append("pending payments \(pendingPayments.canonical(currency))")
        lines.append("on account       \(onAccount.canonical(currency))")
        lines.append("credit status    \(creditStatus.rawValue)")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension ExposureReport {
    public func table(_ currency: Currency) -> String {
        var table = TextTable([.init("date"), .init("exposure", .right), .init("limit", .right)])
        for point in points {
            table.append([point.date.description, point.exposure.canonical(currency), point.limit?.canonical(currency) ?? ""],
                         marked: point.limit.map { point.exposure > $0 } ?? false)
        }
        return "Exposure of \(client ?? "all clients"), \(from) to \(to) by \(step.rawValue) (! over the limit)\n\n" + table.render()
    }

    public func csv(_ currency: Currency) -> String {
        var csv = CSVTable(header: ["date", "exposure", "limit"], numericColumns: [1, 2])
        for point in points {
            csv.append([point.date.description, point.exposure.canonical(currency), point.limit?.canonical(currency) ?? ""])
        }
        return csv.render()
    }
}
