import Foundation
import XCTest
@testable import Reminders

final class FileTransportTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "reminders-transport-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    private func message(_ id: String = "0123456789abcdef0123456789abcdef@receivables", text: String = "Subject: hi\r\n\r\nbody\r\n")
        -> OutgoingMessage
    {
        OutgoingMessage(messageID: id, from: "a@b.example", recipients: ["c@d.example"], data: Array(text.utf8))
    }

    func testWritesTheMessageBytesIntoANewOwnerOnlyOutbox() throws {
        let outbox = root + "/store/outbox"
        let transport = FileTransport(directory: outbox)
        let sent = message()
        try transport.send(sent)

        let path = outbox + "/" + sent.messageID + ".eml"
        XCTAssertEqual(transport.path(for: sent), path)
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), sent.data)
        let directoryMode = try FileManager.default.attributesOfItem(atPath: outbox)[.posixPermissions] as? Int
        XCTAssertEqual(directoryMode, 0o700)
        let fileMode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(fileMode, 0o600)
        // No temporary file is left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outbox), [sent.messageID + ".eml"])

        // The same message again (a retried run) replaces the file; another one sits beside it.
        let resent = message(text: "Subject: hi again\r\n\r\nbody\r\n")
        try transport.send(resent)
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path))), resent.data)
        let other = message("fedcba9876543210fedcba9876543210@receivables")
        try transport.send(other)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outbox).sorted(),
                       [other.messageID + ".eml", sent.messageID + ".eml"].sorted())
    }

    func testARenderedMessageIsWrittenAsIs() throws {
        let deadline = Fixture.deadline("d1", due: "2026-02-15")
        let client = Fixture.client()
        let rendered = try ReminderMessage.render(
            reminder: Fixture.reminder(deadline: deadline, client: client, slot: "2026-02-15"), deadline: deadline,
            client: client, invoice: Fixture.invoice(), settings: Fixture.settings(), catalog: TemplateCatalog(saved: []),
            storeID: "s", now: Fixture.timestamp("2026-02-15T08:00:00Z"))
        let transport = FileTransport(directory: root)
        try transport.send(rendered.outgoing)
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: transport.path(for: rendered.outgoing)))),
                       rendered.outgoing.data)
    }

    func testAnUnwritableOutboxIsATransportError() throws {
        // A regular file where a directory should be: no one, root included, can write below it.
        let file = root + "/not-a-directory"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        XCTAssertThrowsError(try FileTransport(directory: file).send(message())) { error in
            XCTAssertTrue(error is TransportError, "\(error)")
            XCTAssertTrue("\(error)".contains(file), "\(error)")
        }
        XCTAssertThrowsError(try FileTransport(directory: file + "/outbox").send(message())) { error in
            XCTAssertTrue(error is TransportError, "\(error)")
        }
        XCTAssertThrowsError(try FileTransport(directory: "/proc/reminders-outbox").send(message())) { error in
            XCTAssertTrue(error is TransportError, "\(error)")
        }
    }

    func testAMessageIDThatIsNoFileNameIsRefused() {
        let transport = FileTransport(directory: root)
        for id in ["", "../escape@x", "a/b@x", ".hidden@x", "a\u{0}b"] {
            XCTAssertThrowsError(try transport.send(message(id)), id) { XCTAssertTrue($0 is TransportError) }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), [])
    }
}
