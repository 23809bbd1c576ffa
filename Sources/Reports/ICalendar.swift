import EventLog
import Receivables

// The calendar as an RFC 5545 iCalendar file that Thunderbird, Google Calendar or Outlook can
// import or subscribe to: one all-day event per deadline.
//
// Decisions:
// - UID = "<deadline id, percent-encoded>@<store id, percent-encoded>.receivables". The store id
//   survives export and restore, so re-importing or refreshing a subscription updates the events
//   instead of duplicating them.
// - The calendar lists live deadlines only (the calendar query leaves out cancelled ones), so no
//   event is ever CANCELLED. STATUS is CONFIRMED for open, overdue and paid deadlines, and
//   TENTATIVE for pending ones: their money has arrived but may still bounce ("salvo buon fine"),
//   and a bounce would make the deadline open again. CATEGORIES holds the status keyword of the
//   contract (open, overdue, pending, paid), which calendars can colour or filter by.
// - Events are TRANSP:TRANSPARENT: a deadline does not make anyone busy.
// - SUMMARY is "client – amount", followed by the status in brackets unless the deadline is
//   simply open; amounts and dates follow `locale` ("1.234,56 €" and "15/02/2026" for it), the
//   labels are English like the rest of the command line.
// - DTSTAMP is `generatedAt` in UTC; nothing else depends on a clock.
// - Text is escaped as RFC 5545 3.3.11 says (backslash, semicolon, comma, line breaks as \n);
//   tabs become spaces and other control characters are removed. Lines are folded at 75 octets,
//   never inside a UTF-8 sequence, with one space at the start of each continuation line, and
//   every line ends in CRLF.
// - A range without deadlines gives a calendar without events, which calendar programs accept
//   as an empty subscription.

extension CalendarReport {
    /// The deadlines as an iCalendar (RFC 5545) document, CRLF line ends, folded at 75 octets.
    ///
    /// - Parameters:
    ///   - storeID: the store's stable id (`ReceivablesStore.storeID()`), part of every UID.
    ///   - generatedAt: written as DTSTAMP; the only instant in the output.
    ///   - currency: the store's currency.
    ///   - locale: how amounts and dates are written in SUMMARY and DESCRIPTION.
    ///   - calendarName: X-WR-CALNAME, the name calendar programs show; "Receivables deadlines" by default.
    public func iCalendar(storeID: String, generatedAt: Timestamp, currency: Currency,
                          locale: Money.DisplayLocale = .it, calendarName: String? = nil) -> String {
        var lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Receivables//Receivables deadline calendar//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:" + ICalendarText.escape(calendarName ?? "Receivables deadlines"),
            "X-WR-CALDESC:" + ICalendarText.escape("Deadlines due \(from.formatted(locale)) to \(to.formatted(locale))"),
            "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
            "X-PUBLISHED-TTL:PT1H",
        ]
        let stamp = ICalendarText.utcStamp(generatedAt)
        for period in periods {
            for entry in period.deadlines {
                lines += entry.iCalendarEvent(storeID: storeID, stamp: stamp, currency: currency, locale: locale)
            }
        }
        lines.append("END:VCALENDAR")
        return lines.map(ICalendarText.fold).joined()
    }
}

extension CalendarEntry {
    /// The UID of this deadline's event in a store's calendar.
    public static func iCalendarUID(deadline: String, storeID: String) -> String {
        ICalendarText.percentEncoded(deadline) + "@" + ICalendarText.percentEncoded(storeID.isEmpty ? "store" : storeID) + ".receivables"
    }

    func iCalendarEvent(storeID: String, stamp: String, currency: Currency, locale: Money.DisplayLocale) -> [String] {
        var summary = clientName + " \u{2013} " + amount.display(currency, locale: locale)
        if status != .open { summary += " (\(status.rawValue))" }

        var details = ["Deadline: \(deadline)"]
        if let invoice { details.append("Invoice: \(invoice)") }
        if let description { details.append("Description: \(description)") }
        details.append("Client: \(clientName) (\(client))")
        details.append("Amount: \(amount.display(currency, locale: locale))")
        details.append("Outstanding: \(outstanding.display(currency, locale: locale))")
        details.append("Status: \(status.rawValue)")
        if reminders.isEmpty {
            details.append("Reminders sent: none")
        } else {
            let slots = reminders.map { $0.slot.formatted(locale) + ($0.manual ? " (manual)" : "") }
            details.append("Reminders sent: \(reminders.count) (\(slots.joined(separator: ", ")))")
        }
        if let postponedFrom { details.append("Postponed from: \(postponedFrom.formatted(locale))") }

        var lines = [
            "BEGIN:VEVENT",
            "UID:" + Self.iCalendarUID(deadline: deadline, storeID: storeID),
            "DTSTAMP:" + stamp,
            "DTSTART;VALUE=DATE:" + ICalendarText.date(due),
        ]
        // The day after 9999-12-31 has no iCalendar form; an all-day event without DTEND lasts one day.
        if due < Day(year: 9999, month: 12, day: 31)! {
            lines.append("DTEND;VALUE=DATE:" + ICalendarText.date(due.adding(days: 1)))
        }
        lines += [
            "SUMMARY:" + ICalendarText.escape(summary),
            "DESCRIPTION:" + ICalendarText.escape(details.joined(separator: "\n")),
            "STATUS:" + (status == .pending ? "TENTATIVE" : "CONFIRMED"),
            "CATEGORIES:" + ICalendarText.escape(status.rawValue),
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
        return lines
    }
}

/// The text rules of RFC 5545, kept apart so that tests can check them one by one.
enum ICalendarText {
    /// The longest a content line may be, in octets, line break excluded (RFC 5545 3.1).
    static let lineLimit = 75

    /// A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, every line break
    /// (CRLF, CR, LF, U+2028, U+2029) as "\n", tabs as spaces, other control characters removed.
    static func escape(_ text: String) -> String {
        var result = ""
        var afterCarriageReturn = false
        for scalar in text.unicodeScalars {
            defer { afterCarriageReturn = scalar == "\r" }
            switch scalar {
            case "\\": result += "\\\\"
            case ";": result += "\\;"
            case ",": result += "\\,"
            case "\r", "\u{2028}", "\u{2029}": result += "\\n"
            case "\n": if !afterCarriageReturn { result += "\\n" }
            case "\t": result += " "
            default:
                if scalar.properties.generalCategory == .control { continue }
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// One content line, folded at 75 octets and ended with CRLF. A fold never falls inside a
    /// UTF-8 sequence; each continuation line starts with a single space, which counts towards
    /// its 75 octets.
    static func fold(_ line: String) -> String {
        var result = ""
        var octets = 0
        for scalar in line.unicodeScalars {
            let width = UTF8.width(scalar)
            if octets + width > lineLimit {
                result += "\r\n "
                octets = 1
            }
            result.unicodeScalars.append(scalar)
            octets += width
        }
        return result + "\r\n"
    }

    /// Every byte outside A-Z a-z 0-9 - . _ ~ as %XX (upper-case hex), so a UID holds no
    /// character that TEXT would have to escape and no "@" but the one that separates its parts.
    static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }

    /// A DATE value: "20260215".
    static func date(_ day: Day) -> String {
        pad(day.year, 4) + pad(day.month, 2) + pad(day.day, 2)
    }

    /// A UTC DATE-TIME value: "20260215T090000Z" (iCalendar has no fractions of a second).
    static func utcStamp(_ instant: Timestamp) -> String {
        let parts = instant.utcParts
        return pad(parts.year, 4) + pad(parts.month, 2) + pad(parts.day, 2) + "T" + pad(parts.hour, 2) + pad(parts.minute, 2)
            + pad(parts.second, 2) + "Z"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value.magnitude)
        return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
