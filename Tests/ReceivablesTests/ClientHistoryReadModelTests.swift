import EventLog
import Foundation
import XCTest
@testable import Receivables

/// The copies of deadlines and payments kept as the values of the client index: the client's
/// history reads them in one scan, so they must be the entities exactly, after every change, in a
/// batch that changes an entity twice, after a rebuild, and after opening a store of the layout
/// that kept the index entries empty.
final class ClientHistoryReadModelTests: ReadModelTestCase {
    let scope = QueryScope(asOf: Day(iso: "2026-06-30")!)

    /// Every client-index entry and the entity it copies, as (index value, entity value).
    func indexCopies(_ store: ReceivablesStore) throws -> [String: ([UInt8], [UInt8]?)] {
        try store.events.read { transaction in
            let state = try store.state(transaction)
            var copies: [String: ([UInt8], [UInt8]?)] = [:]
            let cursor = try transaction.cursor(state)
            let prefix = StoredState.Prefix.clientEntity.rawValue
            var entry = try cursor.seek(atOrAfter: [prefix])
            while let current = entry, current.key.first == prefix {
                let parts = current.key.dropFirst().split(separator: 0, omittingEmptySubsequences: false)
                let kind = String(decoding: parts[2], as: UTF8.self), id = String(decoding: parts[3], as: UTF8.self)
                let entity = try transaction.get(state, StoredState.key(kind == "d" ? .deadline : .payment, id))
                copies[kind + " " + id] = (Array(current.value), entity.map { Array($0) })
                entry = try cursor.next()
            }
            return copies
        }
    }

    func assertCopiesMatch(_ store: ReceivablesStore, count: Int, after step: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let copies = try indexCopies(store)
        XCTAssertEqual(copies.count, count, "index entries \(step)", file: file, line: line)
        for (name, (copy, entity)) in copies.sorted(by: { $0.key < $1.key }) {
            XCTAssertFalse(copy.isEmpty, "\(name) has a copy \(step)", file: file, line: line)
            XCTAssertEqual(copy, entity, "\(name)'s copy is its entity \(step)", file: file, line: line)
        }
        XCTAssertNil(try store.verifyReadModels(), "a fresh fold writes the same entries \(step)", file: file, line: line)
    }

    func history(_ store: ReceivablesStore) throws -> String {
        JSONWriter.compact(try store.client("A", scope: scope).json(.euro))
    }

    func testTheClientIndexKeepsCopiesOfDeadlinesAndPayments() throws {
        let store = try ReceivablesStore(path: directory.path, create: true)
        try append(store,
                   #"{"type":"ClientRegistered","data":{"client":"A","name":"Alfa S.r.l."},"effective":"2026-01-01"}"#,
                   #"{"type":"ClientRegistered","data":{"client":"B","name":"Beta S.p.A."},"effective":"2026-01-01"}"#,
                   #"{"type":"InvoiceIssued","data":{"invoice":"F1","client":"A","number":"1","issued":"2026-01-05","amount":"1500.00"}}"#,
                   #"{"type":"DeadlineSet","data":{"deadline":"D1","client":"A","invoice":"F1","due":"2026-01-31","amount":"1000.00"},"effective":"2026-01-05"}"#,
                   #"{"type":"DeadlineSet","data":{"deadline":"D2","client":"A","invoice":"F1","due":"2026-02-28","amount":"500.00"},"effective":"2026-01-05"}"#,
                   #"{"type":"DeadlineSet","data":{"deadline":"D3","client":"B","due":"2026-02-15","amount":"300.00"},"effective":"2026-01-06"}"#)
        try assertCopiesMatch(store, count: 3, after: "the deadlines were set")
        let before = try history(store)

        // A payment and its allocation in one batch change the deadline twice and the payment twice.
        try append(store,
                   #"{"type":"PaymentReceived","data":{"payment":"P1","client":"A","amount":"400.00","received":"2026-02-01","method":"cheque","status":"pending"}}"#,
                   #"{"type":"PaymentAllocated","data":{"payment":"P1","allocations":[{"deadline":"D1","amount":"400.00"}]},"effective":"2026-02-01"}"#)
        try assertCopiesMatch(store, count: 4, after: "a pending payment was allocated")
        XCTAssertNotEqual(try history(store), before)
        try append(store,
                   #"{"type":"PaymentBounced","data":{"payment":"P1","date":"2026-02-10"}}"#,
                   #"{"type":"DeadlinePostponed","data":{"deadline":"D2","due":"2026-03-31"},"effective":"2026-02-11"}"#,
                   #"{"type":"ReminderSent","data":{"deadline":"D2","sentAt":"2026-02-12T08:00:00.000Z","to":"ap@alfa.example","template":"default","slot":"2026-02-12","manual":true}}"#,
                   #"{"type":"DeadlineCancelled","data":{"deadline":"D3","reason":"Errore"},"effective":"2026-02-13"}"#)
        try assertCopiesMatch(store, count: 4, after: "a bounce, a postponement, a reminder and a cancellation")
        let report = try store.client("A", scope: scope)
        XCTAssertEqual(report.deadlines.map(\.deadline), ["D1", "D2"])
        XCTAssertEqual(report.deadlines.map(\.due), [Day(iso: "2026-01-31")!, Day(iso: "2026-03-31")!])
        XCTAssertEqual(report.deadlines[1].reminders.count, 1)
        XCTAssertEqual(report.payments.map(\.payment), ["P1"])
        XCTAssertEqual(report.payments[0].status, .bounced)
        XCTAssertEqual(report.deadlines[0].outstanding, Money(minorUnits: 100_000), "the bounce reopened D1")

        // The copies the history reads are the entities a replay of the whole log folds.
        let stored = try history(store)
        try store.events.read { transaction in
            let state = try StoredState(transaction: transaction, database: try store.state(transaction))
            let memory = try store.replay(through: try store.events.head(in: transaction).lastSeq, asOf: scope.asOf, client: nil,
                                          stored: state, in: transaction)
            for client in ["A", "B"] {
                XCTAssertEqual(try state.deadlines(ofClient: client), memory.deadlines(ofClient: client), "deadlines of \(client)")
                XCTAssertEqual(try state.payments(ofClient: client), memory.payments(ofClient: client), "payments of \(client)")
            }
        }

        try store.rebuild()
        try assertCopiesMatch(store, count: 4, after: "a rebuild")
        XCTAssertEqual(try history(store), stored)
    }

    /// A store of the earlier layout kept empty client-index values: the history refuses to
    /// guess, and opening the store fills them in from the entities, once.
    func testOpeningAStoreOfTheEarlierLayoutFillsInTheCopies() throws {
        let expected: String
        do {
            let store = try ReceivablesStore(path: directory.path, create: true)
            try append(store, Self.twoDeadlinesOnePayment)
            expected = try history(store)
            // Back to layout 2: empty values, the layout mark at 2.
            try store.events.environment.write { transaction in
                XCTAssertEqual(try self.emptyValues(under: .clientEntity, of: store, in: transaction), 3)
                var writer = ByteWriter()
                writer.integer(UInt32(2))
                try transaction.put(store.receivablesMeta, ReceivablesStore.readModelsLayoutKey, writer.bytes)
            }
            XCTAssertThrowsError(try store.client("A", scope: scope)) { error in
                XCTAssertTrue("\(error)".contains("rebuild"), "\(error)")
            }
        }
        let reopened = try ReceivablesStore(path: directory.path)
        try assertCopiesMatch(reopened, count: 3, after: "opening the store of the earlier layout")
        XCTAssertEqual(try history(reopened), expected)
    }
}
