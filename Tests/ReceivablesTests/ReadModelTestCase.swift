import EventLog
import Foundation
import XCTest
@testable import Receivables

/// A store in a fresh temporary folder per test, and events appended to it from their JSON
/// lines, all recorded at one moment: what the read-model tests share.
class ReadModelTestCase: XCTestCase {
    var directory: URL!
    let now = Timestamp(rfc3339: "2026-03-01T09:00:00.000Z")!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(Self.self)-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// A client with two deadlines and a payment on the second: a store for the upgrade tests.
    static let twoDeadlinesOnePayment = [
        #"{"type":"ClientRegistered","data":{"client":"A","name":"Alfa S.r.l."},"effective":"2026-01-01"}"#,
        #"{"type":"DeadlineSet","data":{"deadline":"D1","client":"A","due":"2026-01-31","amount":"1000.00"},"effective":"2026-01-05"}"#,
        #"{"type":"DeadlineSet","data":{"deadline":"D2","client":"A","due":"2026-02-28","amount":"500.00"},"effective":"2026-01-05"}"#,
        #"{"type":"PaymentReceived","data":{"payment":"P1","client":"A","amount":"200.00","received":"2026-02-01","method":"cash","allocations":[{"deadline":"D2","amount":"200.00"}]}}"#,
    ]

    func append(_ store: ReceivablesStore, _ lines: String...) throws { try append(store, lines) }

    func append(_ store: ReceivablesStore, _ lines: [String]) throws {
        let inputs = try lines.map { line in try Array(line.utf8).withUnsafeBytes { try EventInput.parse(line: $0) } }
        _ = try store.append(inputs, now: now)
    }

    /// Empties the value of every entry under `prefix` in the live state, as an earlier layout
    /// kept them, in `transaction`; answers how many there were.
    func emptyValues(under prefix: StoredState.Prefix, of store: ReceivablesStore, in transaction: Transaction) throws -> Int {
        let state = try store.state(transaction)
        var keys: [[UInt8]] = []
        let cursor = try transaction.cursor(state)
        var entry = try cursor.seek(atOrAfter: [prefix.rawValue])
        while let current = entry, current.key.first == prefix.rawValue {
            keys.append(Array(current.key))
            entry = try cursor.next()
        }
        for key in keys { try transaction.put(state, key, []) }
        return keys.count
    }
}
