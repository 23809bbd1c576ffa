import EventLog
import Foundation
import XCTest
@testable import Receivables

/// The Swift library as an embedding application uses it: typed appends with keys and expected
/// versions, queries, and following the log.
final class LibraryTests: XCTestCase {
    var directory: URL!
    let now = Timestamp(rfc3339: "2026-03-01T09:00:00.000Z")!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("library-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testTypedAppendKeysVersionsQueriesAndFollowing() async throws {
        let store = try ReceivablesStore(path: directory.path, create: true)
        let issued = Day(iso: "2026-02-01")!
        let outcome = try store.append(events: [
            NewEvent(.clientRegistered(ClientRegistered(client: "C1", name: "Caffè Rossi")), key: "crm-1", expectedStreamVersion: 0),
            NewEvent(.creditLimitSet(CreditLimitSet(client: "C1", limit: Money(minorUnits: 100_000))), expectedStreamVersion: 1),
            NewEvent(.invoiceIssued(InvoiceIssued(invoice: "F1", client: "C1", issued: issued, amount: Money(minorUnits: 90_000)))),
        ], now: now)
        XCTAssertEqual(outcome.seqs, [1, 2, 3])
        XCTAssertEqual(outcome.alerts.map(\.to), [.ok, .warning])

        // A stale expected version is refused naming the stream and both versions.
        XCTAssertThrowsError(try store.append(events: [
            NewEvent(.clientUpdated(ClientUpdated(client: "C1", name: "Rossi")), expectedStreamVersion: 1),
        ], now: now)) { error in
            guard case .store(.versionConflict(let stream, let expected, let actual))? = error as? ReceivablesStore.AppendError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(stream, "client:C1")
            XCTAssertEqual(expected, 1)
            XCTAssertEqual(actual, 2)
        }
        // The same keyed event again is answered with its seq, not appended.
        let retry = try store.append(events: [NewEvent(.clientRegistered(ClientRegistered(client: "C1", name: "Caffè Rossi")), key: "crm-1")], now: now)
        XCTAssertEqual(retry.appended, 0)
        XCTAssertEqual(retry.seqs, [1])

        let report = try store.client("C1", scope: QueryScope(asOf: Day(iso: "2026-03-01")!))
        XCTAssertEqual(report.exposure, Money(minorUnits: 90_000))
        XCTAssertEqual(report.creditStatus, .warning)

        let follower = Task {
            var seen: [String] = []
            for try await logged in try store.events(from: 1, following: true) {
                seen.append(logged.event.type.rawValue)
                if seen.count == 4 { break }
            }
            return seen
        }
        try await Task.sleep(nanoseconds: 100_000_000)
        _ = try store.append(events: [NewEvent(.paymentReceived(PaymentReceived(payment: "P1", client: "C1", amount: Money(minorUnits: 10_000),
                                                                                received: issued, method: .bankTransfer, invoice: "F1")))],
                             now: now)
        let seen = try await follower.value
        XCTAssertEqual(seen, ["ClientRegistered", "CreditLimitSet", "InvoiceIssued", "PaymentReceived"])
    }
}
