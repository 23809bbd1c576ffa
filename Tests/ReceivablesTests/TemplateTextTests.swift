import Receivables
import XCTest

final class TemplateTextTests: XCTestCase {
    private func parseError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> TemplateTextError? {
        do {
            let template = try TemplateText.parse(text)
            XCTFail("\(text.debugDescription) was accepted as \(template.segments)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Placeholders

    func testPlainTextIsOneSegment() throws {
        XCTAssertEqual(try TemplateText.parse("Gentile cliente, grazie.").segments, [.text("Gentile cliente, grazie.")])
        XCTAssertEqual(try TemplateText.parse("").segments, [])
    }

    func testPlaceholderBetweenText() throws {
        let template = try TemplateText.parse("Dear {{client.name}}, see invoice {{invoice.number}}.")
        XCTAssertEqual(template.segments, [
            .text("Dear "), .placeholder(.clientName), .text(", see invoice "), .placeholder(.invoiceNumber), .text("."),
        ])
        XCTAssertEqual(template.placeholders, [.clientName, .invoiceNumber])
    }

    func testEveryKnownPlaceholderParses() throws {
        let names = [
            "client.name", "invoice.number", "deadline.id", "deadline.due", "deadline.amount",
            "deadline.outstanding", "deadline.daysOverdue", "deadline.daysToDue", "company.name",
            "bank.iban", "payment.link",
        ]
        XCTAssertEqual(TemplateText.Placeholder.allCases.map(\.rawValue), names)
        for placeholder in TemplateText.Placeholder.allCases {
            XCTAssertEqual(try TemplateText.parse("{{\(placeholder.rawValue)}}").segments, [.placeholder(placeholder)])
        }
    }

    func testWhiteSpaceInsideBracesIsIgnored() throws {
        let compact = try TemplateText.parse("Hi {{client.name}}!")
        XCTAssertEqual(try TemplateText.parse("Hi {{ client.name }}!"), compact)
        XCTAssertEqual(try TemplateText.parse("Hi {{\tclient.name\n}}!"), compact)
        XCTAssertEqual(try TemplateText.parse("Hi {{client.name   }}!"), compact)
    }

    func testAdjacentPlaceholdersAndRepeats() throws {
        let template = try TemplateText.parse("{{deadline.id}}{{deadline.due}}{{deadline.id}}")
        XCTAssertEqual(template.segments, [.placeholder(.deadlineId), .placeholder(.deadlineDue), .placeholder(.deadlineId)])
        XCTAssertEqual(template.placeholders, [.deadlineId, .deadlineDue])
    }

    func testSingleBracesArePlainText() throws {
        XCTAssertEqual(try TemplateText.parse("a { b } c").segments, [.text("a { b } c")])
        XCTAssertEqual(try TemplateText.parse("}} and }").segments, [.text("}} and }")])
        XCTAssertEqual(try TemplateText.parse("{ {client.name} }").segments, [.text("{ {client.name} }")])
        XCTAssertEqual(try TemplateText.parse("{x}{{bank.iban}}{").segments,
                       [.text("{x}"), .placeholder(.bankIBAN), .text("{")])
    }

    func testSegmentsAreMergedWhenBuiltByHand() {
        let template = TemplateText(segments: [.text("a"), .text(""), .text("b"), .placeholder(.paymentLink), .text("")])
        XCTAssertEqual(template.segments, [.text("ab"), .placeholder(.paymentLink)])
    }

    // MARK: Errors

    func testUnclosedPlaceholder() {
        XCTAssertEqual(parseError("Hi {{client.name"), .unclosedPlaceholder(offset: 3))
        XCTAssertEqual(parseError("Hi {{client.name}"), .unclosedPlaceholder(offset: 3))
        XCTAssertEqual(parseError("{{"), .unclosedPlaceholder(offset: 0))
        XCTAssertEqual(parseError("{{client.name}} and {{"), .unclosedPlaceholder(offset: 20))
    }

    func testUnclosedOffsetCountsUnicodeScalars() {
        XCTAssertEqual(parseError("\u{E9}{{"), .unclosedPlaceholder(offset: 1))
        XCTAssertEqual(parseError("e\u{301}{{"), .unclosedPlaceholder(offset: 2))
        XCTAssertEqual(parseError("€ {{x"), .unclosedPlaceholder(offset: 2))
    }

    func testUnknownPlaceholder() {
        XCTAssertEqual(parseError("{{client.nome}}"), .unknownPlaceholder("client.nome"))
        XCTAssertEqual(parseError("{{ Client.Name }}"), .unknownPlaceholder("Client.Name"))
        XCTAssertEqual(parseError("{{amount}}"), .unknownPlaceholder("amount"))
        // The first "}}" closes, so a third brace becomes part of the name rather than text.
        XCTAssertEqual(parseError("{{{client.name}}}"), .unknownPlaceholder("{client.name"))
    }

    func testEmptyPlaceholderIsUnknown() {
        XCTAssertEqual(parseError("{{}}"), .unknownPlaceholder(""))
        XCTAssertEqual(parseError("{{   }}"), .unknownPlaceholder(""))
    }

    func testFirstProblemIsReported() {
        XCTAssertEqual(parseError("{{nope}} {{"), .unknownPlaceholder("nope"))
        XCTAssertEqual(parseError("{{client.name}} {{nope"), .unclosedPlaceholder(offset: 16))
    }

    func testErrorDescriptions() {
        let unknown = TemplateTextError.unknownPlaceholder("client.nome").description
        XCTAssertTrue(unknown.contains("{{client.nome}}"), unknown)
        XCTAssertTrue(unknown.contains("did you mean {{client.name}}?"), unknown)
        XCTAssertTrue(unknown.contains("{{payment.link}}"), unknown)

        let empty = TemplateTextError.unknownPlaceholder("").description
        XCTAssertTrue(empty.hasPrefix("empty placeholder {{}}"), empty)

        let unclosed = TemplateTextError.unclosedPlaceholder(offset: 7).description
        XCTAssertTrue(unclosed.contains("character 7"), unclosed)
        XCTAssertTrue(unclosed.contains("\"}}\""), unclosed)

        // A "}}" far away can make a long "name"; the message still stays on one line.
        let runaway = TemplateTextError.unknownPlaceholder("client.name}, see\nthe attached\r\n" + String(repeating: "x", count: 100))
        XCTAssertFalse(runaway.description.contains("\n"))
        XCTAssertFalse(runaway.description.contains("\r"))
        XCTAssertTrue(runaway.description.contains("…"))
    }

    // MARK: Rendering

    func testRenderReplacesEveryPlaceholder() throws {
        let template = try TemplateText.parse(
            "Gentile {{ client.name }}, la scadenza {{deadline.id}} del {{deadline.due}} di {{deadline.amount}} "
                + "è scaduta da {{deadline.daysOverdue}} giorni. Paga qui: {{payment.link}}")
        let values: [TemplateText.Placeholder: String] = [
            .clientName: "Bianchi S.p.A.", .deadlineId: "D-1", .deadlineDue: "15/02/2026",
            .deadlineAmount: "1.220,50 €", .deadlineDaysOverdue: "3", .paymentLink: "https://pay.example.com/D-1",
        ]
        XCTAssertEqual(template.render { values[$0] ?? "?" },
                       "Gentile Bianchi S.p.A., la scadenza D-1 del 15/02/2026 di 1.220,50 € è scaduta da 3 giorni. "
                           + "Paga qui: https://pay.example.com/D-1")
    }

    func testRenderLeavesSingleBracesAndValuesAlone() throws {
        let template = try TemplateText.parse("{ {{company.name}} }")
        // A value that looks like a placeholder is not parsed again.
        XCTAssertEqual(template.render { _ in "{{bank.iban}}" }, "{ {{bank.iban}} }")
    }

    func testRenderOfPlainTextIsTheText() throws {
        let text = "Nessun segnaposto qui.\nSolo testo."
        XCTAssertEqual(try TemplateText.parse(text).render { _ in "x" }, text)
    }
}
