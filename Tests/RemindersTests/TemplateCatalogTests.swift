import Receivables
import XCTest
@testable import Reminders

final class TemplateCatalogTests: XCTestCase {
    private func saved(_ template: String, _ locale: ClientLocale, _ kind: ReminderKind?, _ subject: String) -> TemplateState {
        TemplateState(template: template, locale: locale, kind: kind, subject: subject, body: "body of \(subject)")
    }

    func testLookupOrder() {
        let catalog = TemplateCatalog(saved: [
            saved("gentle", .it, .overdue, "gentle it overdue"),
            saved("gentle", .it, nil, "gentle it any"),
            saved("gentle", .en, .due, "gentle en due"),
        ])
        // 1. (template, locale, kind)
        let exact = catalog.template(id: "gentle", locale: .it, kind: .overdue)
        XCTAssertEqual(exact.subject, "gentle it overdue")
        XCTAssertEqual(exact.body, "body of gentle it overdue")
        XCTAssertEqual(exact.template, "gentle")
        // 2. (template, locale, any kind)
        XCTAssertEqual(catalog.template(id: "gentle", locale: .it, kind: .beforeDue).subject, "gentle it any")
        XCTAssertEqual(catalog.template(id: "gentle", locale: .it, kind: .due).subject, "gentle it any")
        XCTAssertEqual(catalog.template(id: "gentle", locale: .en, kind: .due).subject, "gentle en due")
        // 3. the built-in "default" for (locale, kind): nothing of "gentle" for en before_due.
        let fallback = catalog.template(id: "gentle", locale: .en, kind: .beforeDue)
        XCTAssertEqual(fallback.subject, BuiltInTemplates.text(locale: .en, kind: .beforeDue).subject)
        XCTAssertEqual(fallback.body, BuiltInTemplates.text(locale: .en, kind: .beforeDue).body)
        XCTAssertEqual(fallback.template, "default")
        // A template nobody saved falls back the same way.
        XCTAssertEqual(catalog.template(id: "missing", locale: .it, kind: .due).subject,
                       BuiltInTemplates.text(locale: .it, kind: .due).subject)
    }

    func testASavedDefaultReplacesTheBuiltInOneWhereItIsSaved() {
        let catalog = TemplateCatalog(saved: [
            saved("default", .it, .overdue, "our it overdue"),
            saved("default", .en, nil, "our en any"),
        ])
        XCTAssertEqual(catalog.template(id: "default", locale: .it, kind: .overdue).subject, "our it overdue")
        XCTAssertEqual(catalog.template(id: "default", locale: .it, kind: .overdue).template, "default")
        // Italian before_due was not saved: still the built-in.
        XCTAssertEqual(catalog.template(id: "default", locale: .it, kind: .beforeDue).subject,
                       BuiltInTemplates.text(locale: .it, kind: .beforeDue).subject)
        for kind in ReminderKind.allCases {
            XCTAssertEqual(catalog.template(id: "default", locale: .en, kind: kind).subject, "our en any")
        }
        // Step 3 of another template's lookup uses the saved default too.
        XCTAssertEqual(catalog.template(id: "gentle", locale: .it, kind: .overdue).subject, "our it overdue")
        XCTAssertEqual(catalog.template(id: "gentle", locale: .en, kind: .due).subject, "our en any")
    }

    func testALaterSaveReplacesAnEarlierOne() {
        let catalog = TemplateCatalog(saved: [saved("gentle", .it, nil, "first"), saved("gentle", .it, nil, "second")])
        XCTAssertEqual(catalog.template(id: "gentle", locale: .it, kind: .due).subject, "second")
    }

    func testBuiltInsParseAndSubjectsAreOneLine() throws {
        for locale in ClientLocale.allCases {
            for kind in ReminderKind.allCases {
                let text = BuiltInTemplates.text(locale: locale, kind: kind)
                XCTAssertNoThrow(try TemplateText.parse(text.subject))
                XCTAssertNoThrow(try TemplateText.parse(text.body))
                XCTAssertFalse(text.subject.contains("\n"))
            }
        }
    }

    func testBuiltInsCarryEveryFigureAfterRendering() throws {
        let catalog = TemplateCatalog(saved: [])
        let expectations: [ClientLocale: [String]] = [
            .it: ["1.220,50 €", "15/02/2026", "2026/1", "IT60X0542811101000000123456",
                  "https://pay.example.com/p?d=d1&a=1220.50", "Rossi S.r.l.", "Bianchi & Figli S.p.A."],
            .en: ["€1,220.50", "2026-02-15", "2026/1", "IT60X0542811101000000123456",
                  "https://pay.example.com/p?d=d1&a=1220.50", "Rossi S.r.l.", "Bianchi & Figli S.p.A."],
        ]
        let deadline = Fixture.deadline("d1", due: "2026-02-15")
        for locale in ClientLocale.allCases {
            let client = Fixture.client(locale: locale)
            for slot in ["2026-02-10", "2026-02-15", "2026-02-25"] {
                let reminder = Fixture.reminder(deadline: deadline, client: client, slot: slot)
                let content = try ReminderMessage.content(
                    reminder: reminder, deadline: deadline, client: client, invoice: Fixture.invoice(),
                    settings: Fixture.settings(), catalog: catalog)
                for figure in expectations[locale]! {
                    XCTAssertTrue(content.text.contains(figure), "\(locale) \(reminder.kind) text lacks \(figure):\n\(content.text)")
                    let escaped = ReminderMessage.htmlEscaped(figure)
                    XCTAssertTrue(content.html.contains(escaped), "\(locale) \(reminder.kind) HTML lacks \(escaped)")
                }
                XCTAssertTrue(content.subject.contains("2026/1"))
                XCTAssertFalse(content.text.contains("{{"), content.text)
                XCTAssertEqual(content.template, "default")
                XCTAssertEqual(content.locale, locale)
            }
        }
    }

    func testBuiltInOverdueCountsTheDaysFromTheSlot() throws {
        let deadline = Fixture.deadline("d1", due: "2026-02-15")
        let client = Fixture.client()
        let content = try ReminderMessage.content(
            reminder: Fixture.reminder(deadline: deadline, client: client, slot: "2026-02-25"), deadline: deadline,
            client: client, invoice: Fixture.invoice(), settings: Fixture.settings(), catalog: TemplateCatalog(saved: []))
        XCTAssertTrue(content.text.contains("giorni di ritardo: 10"), content.text)
        XCTAssertTrue(content.subject.hasPrefix("Sollecito di pagamento"), content.subject)
    }

    func testLinesWithoutAValueAreLeftOut() throws {
        var settings = Fixture.settings()
        settings.iban = nil
        settings.paymentLink = nil
        settings.company = nil
        let deadline = Fixture.deadline("d1", due: "2026-02-15")
        for locale in ClientLocale.allCases {
            let client = Fixture.client(locale: locale)
            let content = try ReminderMessage.content(
                reminder: Fixture.reminder(deadline: deadline, client: client, slot: "2026-02-15"), deadline: deadline,
                client: client, invoice: Fixture.invoice(), settings: settings, catalog: TemplateCatalog(saved: []))
            XCTAssertFalse(content.text.contains("IBAN"), content.text)
            XCTAssertFalse(content.text.contains("online"), content.text)
            XCTAssertFalse(content.html.contains("<a "), content.html)
            XCTAssertTrue(content.text.contains("2026/1"))
        }
    }
}
