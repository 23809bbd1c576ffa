import XCTest
@testable import Reminders

final class TransportErrorTests: XCTestCase {
    func testTheServersAnswerIsPartOfTheMessage() {
        XCTAssertEqual(TransportError(reason: "recipient refused", serverReply: "550 5.1.1 No such user").description,
                       "recipient refused: 550 5.1.1 No such user")
        XCTAssertEqual(TransportError(reason: "cannot connect").description, "cannot connect")
    }
}
