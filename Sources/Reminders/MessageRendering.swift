import EventLog
import Receivables

/// Why a reminder could not be written as an e-mail. Each case says what to fix.
public enum ReminderMessageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A header value (a name, an address, the subject, an id) holds a CR or LF, which would
    /// end the header and start another: the message is refused, never written.
    case headerInjection(field: String)
    /// An address that is not a plain local@domain address, so it cannot stand in `field`.
    case invalidAddress(field: String, address: String)
    /// The client has no e-mail address.
    case noRecipient(client: String)
    /// The settings have no `sender` address to send from.
    case noSender
    /// A template's subject or body does not parse (a saved one is checked when it is saved,
    /// so this means a state that did not come from the event rules).
    case invalidTemplate(template: String, part: String, error: TemplateTextError)

    public var description: String {
        switch self {
        case .headerInjection(let field):
            return "the \(field) header would hold a line break (CR or LF); remove it from the value it comes from"
        case .invalidAddress(let field, let address):
            return "\(Self.quoted(address)) cannot stand in the \(field) header; give a plain address like name@example.com"
        case .noRecipient(let client):
            return "client \(Self.quoted(client)) has no e-mail address; set one with ClientUpdated"
        case .noSender:
            return "no sender address; set \"sender\" with SettingsChanged"
        case .invalidTemplate(let template, let part, let error):
            return "template \(Self.quoted(template)), \(part): \(error)"
        }
    }

    private static func quoted(_ text: String) -> String { TextEscaping.quoted(text) }
}

/// A reminder's words, before they become an e-mail: the subject and the plain-text and HTML
/// bodies in the client's locale, and the template they come from.
public struct ReminderContent: Sendable, Equatable {
    /// One line (checked), not encoded.
    public var subject: String
    /// The plain-text body, "\n" line ends.
    public var text: String
    /// A complete HTML document, every value and template text escaped, "\n" line ends.
    public var html: String
    /// The id of the template actually used: the plan's, or "default" when it fell back.
    public var template: String
    public var locale: ClientLocale

    public init(subject: String, text: String, html: String, template: String, locale: ClientLocale) {
        self.subject = subject
        self.text = text
        self.html = html
        self.template = template
        self.locale = locale
    }
}

/// A reminder written as an RFC 5322 e-mail, ready for a transport.
///
/// Decisions where CONTRACT 6 is silent:
/// - `deadline.daysOverdue` and `deadline.daysToDue` are counted from the reminder's slot,
///   which is "today" for the run that sends it (and is today for a manual reminder): so a
///   message resent after a crash says the same as the first attempt. They follow the aging
///   table: daysOverdue = slot - due when the slot is after the due date, else 0; daysToDue =
///   due - slot, negative when past.
/// - `invoice.number` is the invoice's number, else its id, else (a free deadline) the
///   deadline's id. `company.name`, `bank.iban` and `payment.link` are empty when the settings
///   do not have them, and a body line holding a placeholder with an empty value is left out
///   (so "IBAN: " never appears with nothing after it). The subject keeps all its text.
/// - `payment.link` is the settings' paymentLink with `{deadline}` replaced by the
///   percent-encoded deadline id and `{amount}` by the outstanding amount in canonical form
///   ("1220.50"); in the HTML part it is a link.
/// - The IBAN is shown in its stored compact form, which pastes into any banking app.
/// - The Message-ID is `<H@receivables>` with H the first 32 hex digits (128 bits) of the
///   SHA-256 of store id, deadline id and slot joined by NUL, so that the header line stays
///   within 78 characters.
/// - From is the settings' sender with the company as display name; To the client's name and
///   address. Addresses must pass `Identifiers.isEmailAddress`; non-ASCII addresses are
///   written as UTF-8 (RFC 6532), display names and subjects as RFC 2047 encoded words when
///   not plain ASCII. Header lines are folded to at most 78 characters.
/// - `Auto-Submitted: auto-generated` (RFC 3834) keeps vacation responders from answering.
public struct ReminderMessage: Sendable, Equatable {
    public var content: ReminderContent
    public var outgoing: OutgoingMessage

    public var messageID: String { outgoing.messageID }
    public var subject: String { content.subject }

    public init(content: ReminderContent, outgoing: OutgoingMessage) {
        self.content = content
        self.outgoing = outgoing
    }

    // MARK: Rendering

    /// The whole e-mail for a reminder. `now` is the Date header; `storeID` makes the
    /// Message-ID unique to the store.
    public static func render(
        reminder: DueReminder, deadline: DeadlineState, client: ClientState, invoice: InvoiceState?,
        settings: SettingsState, catalog: TemplateCatalog, storeID: String, now: Timestamp
    ) throws(ReminderMessageError) -> ReminderMessage {
        // Headers are checked in the order they are written, before any text is rendered.
        guard let sender = settings.sender, !sender.isEmpty else { throw .noSender }
        guard let to = reminder.to ?? client.email, !to.isEmpty else { throw .noRecipient(client: client.id) }
        let company = settings.company ?? ""
        try checkHeaderValue(company, field: "From")
        try checkAddress(sender, field: "From")
        try checkHeaderValue(client.name, field: "To")
        try checkAddress(to, field: "To")
        try checkHeaderValue(deadline.id, field: "X-Receivables-Deadline")

        let content = try self.content(
            reminder: reminder, deadline: deadline, client: client, invoice: invoice, settings: settings,
            catalog: catalog)

        // A manual reminder on a day that is also a scheduled slot must not take the scheduled
        // one's Message-ID (and so its ReminderSent): it is marked apart.
        let idHex = messageIDHash(storeID: storeID, deadline: deadline.id + (reminder.manual ? "\u{0}manual" : ""), slot: reminder.slot)
        let messageID = idHex + "@receivables"
        let boundary = "=_receivables_" + String(Digest.sha256(Array(("boundary\u{0}" + idHex).utf8)).hex.prefix(24))

        var headers: [String] = []
        headers.append("Date: " + rfc5322Date(now))
        headers.append(MailHeader.address(name: "From", displayName: company, address: sender))
        headers.append(MailHeader.address(name: "To", displayName: client.name, address: to))
        headers.append(MailHeader.unstructured(name: "Subject", value: content.subject))
        headers.append("Message-ID: <\(messageID)>")
        headers.append("MIME-Version: 1.0")
        headers.append("Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"")
        headers.append(MailHeader.unstructured(name: "X-Receivables-Deadline", value: deadline.id))
        headers.append("X-Receivables-Slot: \(reminder.slot)")
        headers.append("Auto-Submitted: auto-generated")

        var message = headers.joined(separator: "\r\n") + "\r\n\r\n"
        message += "This is a multi-part message in MIME format.\r\n\r\n"
        for (type, text) in [("text/plain", content.text), ("text/html", content.html)] {
            message += "--\(boundary)\r\n"
            message += "Content-Type: \(type); charset=UTF-8\r\n"
            message += "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            message += QuotedPrintable.encode(text) + "\r\n"
        }
        message += "--\(boundary)--\r\n"

        let outgoing = OutgoingMessage(messageID: messageID, from: sender, recipients: [to], data: Array(message.utf8))
        return ReminderMessage(content: content, outgoing: outgoing)
    }

    /// The subject and bodies alone, without addresses: what a dry run shows.
    public static func content(
        reminder: DueReminder, deadline: DeadlineState, client: ClientState, invoice: InvoiceState?,
        settings: SettingsState, catalog: TemplateCatalog
    ) throws(ReminderMessageError) -> ReminderContent {
        let chosen = catalog.template(id: reminder.template, locale: client.locale, kind: reminder.kind)
        let subjectText: TemplateText
        let bodyText: TemplateText
        do {
            subjectText = try TemplateText.parse(chosen.subject)
        } catch {
            throw .invalidTemplate(template: chosen.template, part: "subject", error: error)
        }
        do {
            bodyText = try TemplateText.parse(chosen.body)
        } catch {
            throw .invalidTemplate(template: chosen.template, part: "body", error: error)
        }
        let values = placeholderValues(
            reminder: reminder, deadline: deadline, client: client, invoice: invoice, settings: settings)

        let subject = subjectText.render { values[$0] ?? "" }
        try checkHeaderValue(subject, field: "Subject")

        let lines = bodyLines(bodyText, values: values)
        let text = lines.map { line in
            line.map { piece in piece.text }.joined()
        }.joined(separator: "\n")
        let html = htmlDocument(lines: lines, subject: subject, locale: client.locale)
        return ReminderContent(subject: subject, text: text, html: html, template: chosen.template, locale: client.locale)
    }

    /// Every placeholder's value for a reminder, in the client's locale (see the type's notes).
    public static func placeholderValues(
        reminder: DueReminder, deadline: DeadlineState, client: ClientState, invoice: InvoiceState?,
        settings: SettingsState
    ) -> [TemplateText.Placeholder: String] {
        let locale = client.locale.displayLocale
        let currency = settings.currency
        let today = reminder.slot
        var values: [TemplateText.Placeholder: String] = [:]
        for placeholder in TemplateText.Placeholder.allCases {
            let value: String
            switch placeholder {
            case .clientName: value = client.name
            case .invoiceNumber: value = invoice?.number ?? invoice?.id ?? deadline.invoice ?? deadline.id
            case .deadlineId: value = deadline.id
            case .deadlineDue: value = deadline.due.formatted(locale)
            case .deadlineAmount: value = deadline.amount.display(currency, locale: locale)
            case .deadlineOutstanding: value = deadline.outstanding.display(currency, locale: locale)
            case .deadlineDaysOverdue: value = String(max(0, deadline.due.days(to: today)))
            case .deadlineDaysToDue: value = String(today.days(to: deadline.due))
            case .companyName: value = settings.company ?? ""
            case .bankIBAN: value = settings.iban ?? ""
            case .paymentLink:
                value = paymentLink(settings.paymentLink, deadline: deadline.id, amount: deadline.outstanding,
                                    currency: currency)
            }
            values[placeholder] = value
        }
        return values
    }

    /// The settings' payment link for a deadline: `{deadline}` becomes the percent-encoded
    /// deadline id, `{amount}` the amount in canonical form. Empty when there is no link.
    public static func paymentLink(_ link: String?, deadline: String, amount: Money, currency: Currency) -> String {
        guard let link, !link.isEmpty else { return "" }
        return link.replacing("{deadline}", with: percentEncoded(deadline))
            .replacing("{amount}", with: amount.canonical(currency))
    }

    /// The Message-ID (without angle brackets) of the reminder for (store, deadline, slot):
    /// the same inputs always give the same id, so a message resent after a crash is
    /// recognisable.
    public static func messageID(storeID: String, deadline: String, slot: Day) -> String {
        messageIDHash(storeID: storeID, deadline: deadline, slot: slot) + "@receivables"
    }

    private static func messageIDHash(storeID: String, deadline: String, slot: Day) -> String {
        let joined = storeID + "\u{0}" + deadline + "\u{0}" + slot.description
        return String(Digest.sha256(Array(joined.utf8)).hex.prefix(32))
    }

    // MARK: Checks

    private static func checkHeaderValue(_ value: String, field: String) throws(ReminderMessageError) {
        if value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) { throw .headerInjection(field: field) }
    }

    private static func checkAddress(_ address: String, field: String) throws(ReminderMessageError) {
        try checkHeaderValue(address, field: field)
        guard Identifiers.isEmailAddress(address) else { throw .invalidAddress(field: field, address: address) }
    }

    // MARK: Bodies

    /// A piece of a body line: template text, or a placeholder's value.
    private enum Piece {
        case text(String)
        case value(TemplateText.Placeholder, String)

        var text: String {
            switch self {
            case .text(let text), .value(_, let text): return text
            }
        }
    }

    /// The body cut into lines (CR LF, CR and LF all end a line), with the lines that hold a
    /// placeholder whose value is empty left out. A value is kept on its line: a line break
    /// inside one becomes a space.
    private static func bodyLines(_ body: TemplateText, values: [TemplateText.Placeholder: String]) -> [[Piece]] {
        var lines: [[Piece]] = [[]]
        for segment in body.segments {
            switch segment {
            case .text(let text):
                let parts = normalizedLineEnds(text).split(separator: "\n", omittingEmptySubsequences: false)
                for (index, part) in parts.enumerated() {
                    if index > 0 { lines.append([]) }
                    if !part.isEmpty { lines[lines.count - 1].append(.text(String(part))) }
                }
            case .placeholder(let placeholder):
                let value = String(String.UnicodeScalarView(
                    (values[placeholder] ?? "").unicodeScalars.map { $0 == "\r" || $0 == "\n" ? " " : $0 }))
                lines[lines.count - 1].append(.value(placeholder, value))
            }
        }
        return lines.filter { line in
            !line.contains { piece in
                if case .value(_, let value) = piece { return value.isEmpty }
                return false
            }
        }
    }

    private static func htmlDocument(lines: [[Piece]], subject: String, locale: ClientLocale) -> String {
        var paragraphs: [[String]] = []
        var current: [String] = []
        for line in lines {
            if line.allSatisfy({ $0.text.allSatisfy(\.isWhitespace) }) {
                if !current.isEmpty { paragraphs.append(current) }
                current = []
                continue
            }
            current.append(line.map { piece -> String in
                switch piece {
                case .text(let text): return htmlEscaped(text)
                case .value(.paymentLink, let link):
                    return "<a href=\"\(htmlEscaped(link))\">\(htmlEscaped(link))</a>"
                case .value(_, let value): return htmlEscaped(value)
                }
            }.joined())
        }
        if !current.isEmpty { paragraphs.append(current) }

        var html = [
            "<!DOCTYPE html>",
            "<html lang=\"\(locale.rawValue)\">",
            "<head>",
            "<meta charset=\"UTF-8\">",
            "<title>\(htmlEscaped(subject))</title>",
            "</head>",
            "<body>",
        ]
        for paragraph in paragraphs {
            html.append("<p>" + paragraph.joined(separator: "<br>\n") + "</p>")
        }
        html.append("</body>")
        html.append("</html>")
        return html.joined(separator: "\n") + "\n"
    }

    /// & < > " ' as entities: safe in element content and in quoted attribute values.
    /// Values and template text in the HTML part: escaped the same way as every page we write.
    static func htmlEscaped(_ text: String) -> String { TextEscaping.markup(text) }

    private static func normalizedLineEnds(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" && previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = scalar == "\r"
            result.append(scalar == "\r" ? "\n" : scalar)
        }
        return String(result)
    }

    /// RFC 3986: the unreserved characters stay, every other UTF-8 byte becomes %XX.
    static func percentEncoded(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                bytes.append(byte)
            default:
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: Date

    /// RFC 5322 date-time in UTC: "Thu, 03 Dec 2026 08:00:00 +0000".
    public static func rfc5322Date(_ instant: Timestamp) -> String {
        let parts = instant.utcParts
        var days = instant.millisecondsSinceEpoch / 86_400_000
        if instant.millisecondsSinceEpoch % 86_400_000 < 0 { days -= 1 }
        // 1970-01-01 was a Thursday.
        let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        let weekday = weekdays[Int(((days % 7) + 7) % 7)]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let digits = String(parts.year.magnitude)
        let year = (parts.year < 0 ? "-" : "") + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        return "\(weekday), \(two(parts.day)) \(months[parts.month - 1]) \(year) "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) +0000"
    }
}

// MARK: Header encoding

/// Header fields written as RFC 5322 and RFC 2047 want them: plain ASCII where it can be,
/// encoded words where it cannot, folded so that no line is longer than 78 characters.
enum MailHeader {
    static let lineLimit = 78

    /// An unstructured field (Subject, X- fields): the text as is when it is printable ASCII and
    /// can be folded at its spaces, else RFC 2047 encoded words.
    static func unstructured(name: String, value: String) -> String {
        if isPlainASCII(value) {
            let tokens = value.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            if tokens.allSatisfy({ 1 + $0.utf8.count <= lineLimit }) {
                return fold(name: name, tokens: tokens)
            }
        }
        return fold(name: name, tokens: encodedWords(value))
    }

    /// An address field: `"Display Name" <address>`, or the bare address without a name.
    static func address(name: String, displayName: String, address: String) -> String {
        guard !displayName.isEmpty else { return fold(name: name, tokens: [address]) }
        var tokens: [String]
        if isPlainASCII(displayName) {
            var quoted = "\""
            for character in displayName {
                if character == "\"" || character == "\\" { quoted.append("\\") }
                quoted.append(character)
            }
            quoted.append("\"")
            // Folding white space is allowed inside a quoted string (RFC 5322 3.2.4).
            tokens = quoted.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            if !tokens.allSatisfy({ 1 + $0.utf8.count <= lineLimit }) { tokens = encodedWords(displayName) }
        } else {
            tokens = encodedWords(displayName)
        }
        return fold(name: name, tokens: tokens + ["<\(address)>"])
    }

    /// Printable ASCII only (no tab, no control characters), and no "=?" that a reader could
    /// take for the start of an encoded word.
    static func isPlainASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { (0x20...0x7E).contains($0) } && !text.contains("=?")
    }

    /// "Name:" then the tokens, one space before each; a line that would pass the limit is
    /// folded (CRLF before the space) ahead of the next non-empty token, so unfolding gives the
    /// text back exactly and no line is white space alone.
    static func fold(name: String, tokens: [String]) -> String {
        var result = name + ":"
        var lineLength = result.utf8.count
        for token in tokens {
            let length = 1 + token.utf8.count
            if lineLength + length > lineLimit && !token.isEmpty {
                result += "\r\n"
                lineLength = 0
            }
            result += " " + token
            lineLength += length
        }
        return result
    }

    /// "=?UTF-8?B?...?=" words of at most 42 bytes of text each (68 characters, under the
    /// 75 of RFC 2047), never splitting a character's bytes between two words.
    static func encodedWords(_ text: String) -> [String] {
        let maximumBytes = 42
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > maximumBytes {
                words.append("=?UTF-8?B?" + base64(chunk) + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?" + base64(chunk) + "?=") }
        return words
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let first = bytes[index]
            let second = index + 1 < bytes.count ? bytes[index + 1] : 0
            let third = index + 2 < bytes.count ? bytes[index + 2] : 0
            output.append(alphabet[Int(first >> 2)])
            output.append(alphabet[Int((first & 0x03) << 4 | second >> 4)])
            output.append(index + 1 < bytes.count ? alphabet[Int((second & 0x0F) << 2 | third >> 6)] : UInt8(ascii: "="))
            output.append(index + 2 < bytes.count ? alphabet[Int(third & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}

// MARK: Quoted-printable

/// RFC 2045 quoted-printable, for UTF-8 text.
public enum QuotedPrintable {
    /// Encodes text whose lines end in LF, CR LF or CR: every line break becomes a hard CRLF,
    /// encoded lines are at most 76 characters (a soft break "=" ends a line cut short),
    /// "=", bytes outside printable ASCII, and a space or tab at the end of a line become =XX.
    /// A "." that starts a line and the "F" of a line starting "From " are encoded too, so
    /// neither SMTP dot-stuffing nor an mbox reader can change the text.
    public static func encode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        var lines: [[UInt8]] = [[]]
        var previousWasCR = false
        for byte in text.utf8 {
            if byte == 0x0A && previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = byte == 0x0D
            if byte == 0x0A || byte == 0x0D {
                lines.append([])
            } else {
                lines[lines.count - 1].append(byte)
            }
        }
        for (lineIndex, line) in lines.enumerated() {
            if lineIndex > 0 { output += [0x0D, 0x0A] }
            let startsWithFrom = line.starts(with: Array("From ".utf8))
            var lineLength = 0
            for (index, byte) in line.enumerated() {
                let isLast = index == line.count - 1
                func escaped() -> [UInt8] { [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]] }
                var token: [UInt8]
                switch byte {
                case 0x20, 0x09:
                    token = isLast ? escaped() : [byte]
                case 0x21...0x7E where byte != UInt8(ascii: "="):
                    token = [byte]
                default:
                    token = escaped()
                }
                if index == 0 && startsWithFrom { token = escaped() }
                // The last token of a line may use the 76th column; any other must leave room
                // for the "=" of a soft break.
                let limit = isLast ? 76 : 75
                if lineLength + token.count > limit {
                    output += [UInt8(ascii: "="), 0x0D, 0x0A]
                    lineLength = 0
                }
                if lineLength == 0 && token == [UInt8(ascii: ".")] { token = escaped() }
                output += token
                lineLength += token.count
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
