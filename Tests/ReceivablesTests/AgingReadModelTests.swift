import EventLog
import Foundation
import XCTest
@testable import Receivables

/// The aging rows kept as the values of the open-deadline index: after every kind of change to a
/// field the table shows, the stored rows are those a replay of the whole log folds, the aging
/// answer from them is the replay's, and a fresh fold writes the same entries (verify).
final class AgingReadModelTests: ReadModelTestCase {
    /// After every effective date of the history: the stored read models answer for it.
    let asOf = Day(iso: "2026-06-30")!

    /// The stored rows after checking them against a replay of the whole log, by deadline.
    @discardableResult
    func checkedRows(_ store: ReceivablesStore, after step: String, file: StaticString = #filePath,
                     line: UInt = #line) throws -> [String: OpenDeadlineSummary] {
        let scope = QueryScope(asOf: asOf)
        let (stored, replayed, storedAnswer, replayedAnswer) = try store.events.read { transaction in
            let state = try StoredState(transaction: transaction, database: try store.state(transaction))
            XCTAssertLessThanOrEqual(state.latestEffective!, asOf, "the stored read models answer for \(asOf)", file: file, line: line)
            let memory = try store.replay(through: try store.events.head(in: transaction).lastSeq, asOf: asOf, client: nil,
                                          stored: state, in: transaction)
            var stored: [OpenDeadlineSummary] = [], replayed: [OpenDeadlineSummary] = []
            try state.forEachOpenDeadline { stored.append($0) }
            memory.forEachOpenDeadline { replayed.append($0) }
            XCTAssertEqual(try state.openDeadlineCount(), stored.count, "the stored count after \(step)", file: file, line: line)
            return (stored, replayed,
                    try ReceivablesStore.aging(from: state, scope: scope, client: nil, buckets: .standard).json(.euro),
                    try ReceivablesStore.aging(from: memory, scope: scope, client: nil, buckets: .standard).json(.euro))
        }
        XCTAssertEqual(stored, replayed, "the stored aging rows after \(step)", file: file, line: line)
        XCTAssertEqual(JSONWriter.compact(storedAnswer), JSONWriter.compact(replayedAnswer), "the aging answer after \(step)", file: file, line: line)
        XCTAssertEqual(JSONWriter.compact(try store.aging(scope).json(.euro)), JSONWriter.compact(storedAnswer), file: file, line: line)
        XCTAssertNil(try store.verifyReadModels(), "a fresh fold after \(step)", file: file, line: line)
        return Dictionary(uniqueKeysWithValues: stored.map { ($0.deadline, $0) })
    }

    func testEveryChangeOfARowFieldReachesTheStoredAgingRows() throws {
        let store = try ReceivablesStore(path: directory.path, create: true)
        try append(store,
                   #"{"type":"ClientRegistered","data":{"client":"A","name":"Alfa S.r.l.","email":"ap@alfa.example"},"effective":"2026-01-01"}"#,
                   #"{"type":"ClientRegistered","data":{"client":"B","name":"Beta & Figli"},"effective":"2026-01-01"}"#,
                   #"{"type":"InvoiceIssued","data":{"invoice":"F1","client":"A","issued":"2026-01-05","amount":"1500.00"}}"#,
                   #"{"type":"DeadlineSet","data":{"deadline":"D1","client":"A","invoice":"F1","due":"2026-01-31","amount":"1000.00"},"effective":"2026-01-05"}"#,
                   #"{"type":"DeadlineSet","data":{"deadline":"D2","client":"A","invoice":"F1","due":"2026-02-28","amount":"500.00"},"effective":"2026-01-05"}"#,
                   #"{"type":"InvoiceIssued","data":{"invoice":"F2","client":"B","issued":"2026-01-10","amount":"700.00"}}"#,
                   #"{"type":"DeadlineSet","data":{"deadline":"D4","client":"B","invoice":"F2","due":"2026-03-10","amount":"700.00"},"effective":"2026-01-10"}"#,
                   #"{"type":"DeadlineSet","data":{"deadline":"D3","client":"B","due":"2026-01-15","amount":"300.00"},"effective":"2026-01-10"}"#)
        var rows = try checkedRows(store, after: "the deadlines were set")
        XCTAssertEqual(Set(rows.keys), ["D1", "D2", "D3", "D4"])
        XCTAssertEqual(rows["D1"], OpenDeadlineSummary(deadline: "D1", due: Day(iso: "2026-01-31")!, client: "A", invoice: "F1",
                                                       amount: Money(minorUnits: 100_000), paid: .zero, pending: .zero, reminderCount: 0))
        XCTAssertNil(rows["D3"]?.invoice)

        // A pending payment, then its clearing.
        try append(store, #"{"type":"PaymentReceived","data":{"payment":"P1","client":"A","amount":"600.00","received":"2026-02-01","method":"riba","allocations":[{"deadline":"D1","amount":"600.00"}]}}"#)
        rows = try checkedRows(store, after: "a pending payment")
        XCTAssertEqual(rows["D1"]?.pending, Money(minorUnits: 60_000))
        XCTAssertEqual(rows["D1"]?.outstanding, Money(minorUnits: 40_000))
        try append(store, #"{"type":"PaymentCleared","data":{"payment":"P1","date":"2026-02-10"}}"#)
        rows = try checkedRows(store, after: "the payment cleared")
        XCTAssertEqual(rows["D1"]?.paid, Money(minorUnits: 60_000))
        XCTAssertEqual(rows["D1"]?.pending, .zero)

        // The rest paid: the deadline leaves the table; the payment bounces: it is back, as it was.
        try append(store, #"{"type":"PaymentReceived","data":{"payment":"P2","client":"A","amount":"400.00","received":"2026-02-12","method":"bank_transfer","allocations":[{"deadline":"D1","amount":"400.00"}]}}"#)
        rows = try checkedRows(store, after: "the deadline was paid")
        XCTAssertNil(rows["D1"])
        try append(store, #"{"type":"PaymentBounced","data":{"payment":"P2","date":"2026-02-14","reason":"Insoluto"}}"#)
        rows = try checkedRows(store, after: "the payment bounced")
        XCTAssertEqual(rows["D1"]?.paid, Money(minorUnits: 60_000))
        XCTAssertEqual(rows["D1"]?.outstanding, Money(minorUnits: 40_000))

        // A reminder sent, an amendment, a postponement.
        try append(store, #"{"type":"ReminderSent","data":{"deadline":"D1","sentAt":"2026-02-20T08:00:00.000Z","to":"ap@alfa.example","template":"default","slot":"2026-02-20","manual":true}}"#)
        rows = try checkedRows(store, after: "a reminder was sent")
        XCTAssertEqual(rows["D1"]?.reminderCount, 1)
        try append(store, #"{"type":"DeadlineAmended","data":{"deadline":"D2","amount":"450.00"},"effective":"2026-02-21"}"#)
        rows = try checkedRows(store, after: "an amendment")
        XCTAssertEqual(rows["D2"]?.amount, Money(minorUnits: 45_000))
        try append(store, #"{"type":"DeadlinePostponed","data":{"deadline":"D2","due":"2026-04-30"},"effective":"2026-02-22"}"#)
        rows = try checkedRows(store, after: "a postponement")
        XCTAssertEqual(rows["D2"]?.due, Day(iso: "2026-04-30")!)
        XCTAssertEqual(rows["D2"]?.amount, Money(minorUnits: 45_000))

        // A payment on account, allocated later to the free deadline; then cancellations.
        try append(store, #"{"type":"PaymentReceived","data":{"payment":"P3","client":"B","amount":"100.00","received":"2026-02-23","method":"cash"}}"#)
        try append(store, #"{"type":"PaymentAllocated","data":{"payment":"P3","allocations":[{"deadline":"D3","amount":"100.00"}]},"effective":"2026-02-24"}"#)
        rows = try checkedRows(store, after: "a later allocation")
        XCTAssertEqual(rows["D3"]?.paid, Money(minorUnits: 10_000))
        try append(store, #"{"type":"InvoiceCancelled","data":{"invoice":"F2","date":"2026-02-25"}}"#)
        rows = try checkedRows(store, after: "the invoice was cancelled")
        XCTAssertNil(rows["D4"])
        try append(store, #"{"type":"DeadlineSet","data":{"deadline":"D5","client":"B","due":"2026-03-31","amount":"50.00"},"effective":"2026-02-26"}"#,
                   #"{"type":"DeadlineCancelled","data":{"deadline":"D5","reason":"Errore"},"effective":"2026-02-27"}"#)
        rows = try checkedRows(store, after: "a deadline was set and cancelled in one batch")
        XCTAssertEqual(Set(rows.keys), ["D1", "D2", "D3"])

        // A rebuild writes the same rows.
        try store.rebuild()
        XCTAssertEqual(try checkedRows(store, after: "a rebuild"), rows)
    }

    /// A store of the earlier layout kept empty open-index values: opening it fills them in from
    /// the deadlines, once, so that it answers and verifies without a rebuild.
    func testOpeningAStoreOfTheEarlierLayoutFillsInTheRows() throws {
        do {
            let store = try ReceivablesStore(path: directory.path, create: true)
            try append(store, Self.twoDeadlinesOnePayment)
            let expected = try checkedRows(store, after: "the history")
            // Back to layout 1: empty values and no layout mark.
            try store.events.environment.write { transaction in
                XCTAssertEqual(try self.emptyValues(under: .openIndex, of: store, in: transaction), 2)
                _ = try transaction.delete(store.receivablesMeta, ReceivablesStore.readModelsLayoutKey)
            }
            XCTAssertThrowsError(try store.aging(QueryScope(asOf: asOf))) { error in
                XCTAssertTrue("\(error)".contains("rebuild"), "\(error)")
            }
            XCTAssertEqual(expected.count, 2)
        }
        let reopened = try ReceivablesStore(path: directory.path)
        let rows = try checkedRows(reopened, after: "opening the store of the earlier layout")
        XCTAssertEqual(rows["D2"]?.paid, Money(minorUnits: 20_000))
        XCTAssertEqual(rows.count, 2)
    }
}
