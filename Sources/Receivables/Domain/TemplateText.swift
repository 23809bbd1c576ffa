/// A reminder template's subject or body (CONTRACT 6): plain text with `{{placeholder}}`s that
/// are filled in per deadline when a reminder is written.
///
/// Templates are parsed when they are saved, not when a reminder goes out, so that a misspelt
/// placeholder is refused at the keyboard instead of turning up, unreplaced, in a customer's
/// inbox weeks later.
public struct TemplateText: Sendable, Equatable {
    public enum Segment: Sendable, Equatable {
        case text(String)
        case placeholder(Placeholder)
    }

    /// The values a reminder can show; the raw value is the name written between the braces.
    public enum Placeholder: String, CaseIterable, Sendable {
        case clientName = "client.name"
        case invoiceNumber = "invoice.number"
        case deadlineId = "deadline.id"
        case deadlineDue = "deadline.due"
        case deadlineAmount = "deadline.amount"
        case deadlineOutstanding = "deadline.outstanding"
        case deadlineDaysOverdue = "deadline.daysOverdue"
        case deadlineDaysToDue = "deadline.daysToDue"
        case companyName = "company.name"
        case bankIBAN = "bank.iban"
        case paymentLink = "payment.link"
    }

    /// Text and placeholders in order; neighbouring text is merged and empty text left out,
    /// so two spellings of the same template ("{{a}}" and "{{ a }}") have equal segments.
    public let segments: [Segment]

    public init(segments: [Segment]) {
        var merged: [Segment] = []
        for segment in segments {
            switch (merged.last, segment) {
            case (_, .text(let text)) where text.isEmpty:
                continue
            case (.text(let before)?, .text(let text)):
                merged[merged.count - 1] = .text(before + text)
            default:
                merged.append(segment)
            }
        }
        self.segments = merged
    }

    /// Reads a template. `{{` opens a placeholder and the next `}}` closes it; white space
    /// around the name is ignored. A single `{` or `}` is ordinary text, since prices and
    /// code samples in a body may hold braces, while `{{` is always meant as a placeholder.
    public static func parse(_ text: String) throws(TemplateTextError) -> TemplateText {
        // Unicode scalars rather than Characters: a combining mark after "{" must not hide the
        // brace, and offsets in error messages must not depend on the grapheme rules.
        let scalars = Array(text.unicodeScalars)
        var segments: [Segment] = []
        var pendingText = String.UnicodeScalarView()
        var position = 0
        while position < scalars.count {
            guard isPair("{", at: position, in: scalars) else {
                pendingText.append(scalars[position])
                position += 1
                continue
            }
            let nameStart = position + 2
            var closing = nameStart
            while closing < scalars.count, !isPair("}", at: closing, in: scalars) { closing += 1 }
            guard closing < scalars.count else { throw .unclosedPlaceholder(offset: position) }

            let written = String(String.UnicodeScalarView(scalars[nameStart..<closing]))
            let name = written.trimmingWhiteSpace()
            guard let placeholder = Placeholder(rawValue: name) else { throw .unknownPlaceholder(name) }
            segments.append(.text(String(pendingText)))
            pendingText = String.UnicodeScalarView()
            segments.append(.placeholder(placeholder))
            position = closing + 2
        }
        segments.append(.text(String(pendingText)))
        return TemplateText(segments: segments)
    }

    /// The text with every placeholder replaced by its value.
    public func render(_ values: (Placeholder) -> String) -> String {
        var result = ""
        for segment in segments {
            switch segment {
            case .text(let text): result += text
            case .placeholder(let placeholder): result += values(placeholder)
            }
        }
        return result
    }

    /// The placeholders the text uses, each once, in order of first use.
    public var placeholders: [Placeholder] {
        var seen: [Placeholder] = []
        for case .placeholder(let placeholder) in segments where !seen.contains(placeholder) {
            seen.append(placeholder)
        }
        return seen
    }

    private static func isPair(_ brace: Unicode.Scalar, at position: Int, in scalars: [Unicode.Scalar]) -> Bool {
        position + 1 < scalars.count && scalars[position] == brace && scalars[position + 1] == brace
    }
}

/// Why a template text was refused.
public enum TemplateTextError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name between the braces, white space trimmed; "" for `{{}}`.
    case unknownPlaceholder(String)
    /// A `{{` with no `}}` after it; the offset of the `{{` in Unicode scalars from 0.
    case unclosedPlaceholder(offset: Int)

    public var description: String {
        let known = TemplateText.Placeholder.allCases.map { "{{\($0.rawValue)}}" }.joined(separator: " ")
        switch self {
        case .unknownPlaceholder(let name) where name.isEmpty:
            return "empty placeholder {{}}; write one of \(known)"
        case .unknownPlaceholder(let name):
            var text = "unknown placeholder {{\(Self.oneLine(name))}}"
            if let suggestion = Suggestion.closest(
                to: name, among: TemplateText.Placeholder.allCases.map(\.rawValue))
            {
                text += " (did you mean {{\(suggestion)}}?)"
            }
            return text + "; the known placeholders are \(known)"
        case .unclosedPlaceholder(let offset):
            return "the \"{{\" at character \(offset) is not closed; end the placeholder with \"}}\""
        }
    }
}

extension TemplateTextError {
    /// A misplaced "}}" can make the "name" run over several lines of a body; the message
    /// shows its start on one line, with line breaks and other control characters escaped.
    fileprivate static func oneLine(_ name: String) -> String {
        let limit = 40
        var result = ""
        for (index, scalar) in name.unicodeScalars.enumerated() {
            if index == limit { return result + "…" }
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.properties.generalCategory == .control {
                    result += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }
}

extension String {
    /// Trimmed by hand because the domain module avoids Foundation outside time zones.
    fileprivate func trimmingWhiteSpace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
