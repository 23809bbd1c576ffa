import Receivables

/// A rendered e-mail, ready for a transport: the envelope (sender and recipients) and the whole
/// RFC 5322 message as bytes.
public struct OutgoingMessage: Sendable, Equatable {
    /// The Message-ID without angle brackets, derived from (store id, deadline, slot).
    public var messageID: String
    /// The envelope sender (MAIL FROM).
    public var from: String
    /// The envelope recipients (RCPT TO).
    public var recipients: [String]
    /// The complete message: headers, a blank line, the body; CRLF line ends.
    public var data: [UInt8]

    public init(messageID: String, from: String, recipients: [String], data: [UInt8]) {
        self.messageID = messageID
        self.from = from
        self.recipients = recipients
        self.data = data
    }
}

/// Why a transport did not accept a message.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    /// The server's own answer, when there was one (e.g. "550 5.1.1 No such user").
    public var serverReply: String?

    public init(reason: String, serverReply: String? = nil) {
        self.reason = reason
        self.serverReply = serverReply
    }

    public var description: String {
        if let serverReply, !serverReply.isEmpty { return "\(reason): \(serverReply)" }
        return reason
    }
}

/// Where reminders go. A transport that returns has accepted the message; one that throws has
/// not, and the reminder will be tried again on the next run.
public protocol ReminderTransport: Sendable {
    func send(_ message: OutgoingMessage) throws(TransportError)
}
