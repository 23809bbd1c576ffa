import EventLog
import Receivables
import XCTest

final class EventCodingTests: XCTestCase {
    private let euro = Currency.euro
    private let yen = Currency.iso4217("JPY")!

    private let digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

    private func day(_ text: String) -> Day { Day(iso: text)! }
    private func euros(_ text: String) -> Money { try! Money.parse(text, currency: .euro) }

    private func decode(_ type: EventType, _ data: JSONObject, currency: Currency = .euro,
                        file: StaticString = #filePath, line: UInt = #line) -> DomainEvent? {
        do {
            return try DomainEvent.decode(type: type, data: data, currency: currency)
        } catch {
            XCTFail("\(type.rawValue) was rejected: \(error)", file: file, line: line)
            return nil
        }
    }

    private func rejection(_ type: EventType, _ data: JSONObject, currency: Currency = .euro,
                           file: StaticString = #filePath, line: UInt = #line) -> EventRejection? {
        do {
            let event = try DomainEvent.decode(type: type, data: data, currency: currency)
            XCTFail("\(type.rawValue) was accepted as \(event)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    private func with(_ base: JSONObject, _ name: String, _ value: JSONValue) -> JSONObject {
        var data = base
        data[name] = value
        return data
    }

    private func without(_ base: JSONObject, _ name: String) -> JSONObject {
        var data = base
        data[name] = nil
        return data
    }

    // MARK: Valid events of every type

    private struct Sample {
        var type: EventType
        var data: JSONObject
        var event: DomainEvent
        /// What `encode` writes, when it differs from the input (canonical amounts, IBANs).
        var canonical: JSONObject?
    }

    private var samples: [Sample] {
        let plan: JSONValue = ["leadDays": 7, "everyDays": 7, "template": "default", "maxCount": 3]
        let planValue = ReminderPlan(leadDays: 7, everyDays: 7, template: "default", maxCount: 3)
        return [
            Sample(
                type: .settingsChanged,
                data: ["company": "Rossi Forniture S.r.l.", "iban": "it60 x054 2811 1010 0000 0123 456", "bic": "BPMOIT22XXX",
                       "paymentLink": "https://pay.example.com/?ref={deadline}&amount={amount}",
                       "sender": "crediti@rossi.example", "timezone": "Europe/Rome", "currency": "EUR", "reminder": plan],
                event: .settingsChanged(SettingsChanged(
                    company: "Rossi Forniture S.r.l.", iban: "IT60X0542811101000000123456", bic: "BPMOIT22XXX",
                    paymentLink: "https://pay.example.com/?ref={deadline}&amount={amount}",
                    sender: "crediti@rossi.example", timezone: TimeZoneRule(identifier: "Europe/Rome"),
                    currency: .euro, reminder: planValue)),
                canonical: ["company": "Rossi Forniture S.r.l.", "iban": "IT60X0542811101000000123456", "bic": "BPMOIT22XXX",
                            "paymentLink": "https://pay.example.com/?ref={deadline}&amount={amount}",
                            "sender": "crediti@rossi.example", "timezone": "Europe/Rome", "currency": "EUR",
                            "reminder": plan]),
            Sample(type: .settingsChanged, data: ["timezone": "UTC"],
                   event: .settingsChanged(SettingsChanged(timezone: TimeZoneRule(identifier: "UTC")))),
            Sample(
                type: .reminderTemplateSaved,
                data: ["template": "gentle", "locale": "en", "subject": "Invoice {{ invoice.number }} is due on {{deadline.due}}",
                       "body": "Dear {{client.name}},\n{{deadline.outstanding}} is still open.\n{ {{payment.link}} }\n{{company.name}}",
                       "kind": "before_due"],
                event: .reminderTemplateSaved(ReminderTemplateSaved(
                    template: "gentle", locale: .en, subject: "Invoice {{ invoice.number }} is due on {{deadline.due}}",
                    body: "Dear {{client.name}},\n{{deadline.outstanding}} is still open.\n{ {{payment.link}} }\n{{company.name}}",
                    kind: .beforeDue))),
            Sample(type: .reminderTemplateSaved,
                   data: ["template": "default", "locale": "it", "subject": "Promemoria", "body": ""],
                   event: .reminderTemplateSaved(ReminderTemplateSaved(template: "default", locale: .it,
                                                                       subject: "Promemoria", body: ""))),
            Sample(
                type: .clientRegistered,
                data: ["client": "C-001", "name": "Bianchi S.p.A.", "email": "amministrazione@bianchi.example",
                       "locale": "it", "vat": "IT01234567890"],
                event: .clientRegistered(ClientRegistered(
                    client: "C-001", name: "Bianchi S.p.A.", email: "amministrazione@bianchi.example", locale: .it,
                    vat: "IT01234567890"))),
            Sample(type: .clientRegistered, data: ["client": "C-002", "name": "Müller & Söhne"],
                   event: .clientRegistered(ClientRegistered(client: "C-002", name: "Müller & Söhne"))),
            Sample(type: .clientUpdated, data: ["client": "C-001", "email": "pagamenti@bianchi.example"],
                   event: .clientUpdated(ClientUpdated(client: "C-001", email: "pagamenti@bianchi.example"))),
            Sample(type: .clientUpdated,
                   data: ["client": "C-001", "name": "Bianchi S.r.l.", "email": "a@bianchi.example", "locale": "en", "vat": "IT1"],
                   event: .clientUpdated(ClientUpdated(client: "C-001", name: "Bianchi S.r.l.", email: "a@bianchi.example",
                                                       locale: .en, vat: "IT1"))),
            Sample(type: .creditLimitSet, data: ["client": "C-001", "limit": "5000", "warnAt": 90],
                   event: .creditLimitSet(CreditLimitSet(client: "C-001", limit: euros("5000"), warnAt: 90)),
                   canonical: ["client": "C-001", "limit": "5000.00", "warnAt": 90]),
            Sample(type: .creditLimitSet, data: ["client": "C-001", "limit": "0.00"],
                   event: .creditLimitSet(CreditLimitSet(client: "C-001", limit: .zero))),
            Sample(
                type: .invoiceIssued,
                data: ["invoice": "INV-2026-0001", "client": "C-001", "issued": "2026-01-15", "amount": "1220.5",
                       "number": "1/2026", "description": "Consulenza gennaio"],
                event: .invoiceIssued(InvoiceIssued(
                    invoice: "INV-2026-0001", client: "C-001", issued: day("2026-01-15"), amount: euros("1220.50"),
                    number: "1/2026", description: "Consulenza gennaio")),
                canonical: ["invoice": "INV-2026-0001", "client": "C-001", "issued": "2026-01-15", "amount": "1220.50",
                            "number": "1/2026", "description": "Consulenza gennaio"]),
            Sample(type: .invoiceCancelled, data: ["invoice": "INV-2026-0001", "date": "2026-01-20", "reason": "duplicate"],
                   event: .invoiceCancelled(InvoiceCancelled(invoice: "INV-2026-0001", date: day("2026-01-20"),
                                                             reason: "duplicate"))),
            Sample(
                type: .deadlineSet,
                data: ["deadline": "D-0001-1", "client": "C-001", "due": "2026-02-15", "amount": "610.25",
                       "invoice": "INV-2026-0001", "description": "first half",
                       "reminder": ["leadDays": 3, "everyDays": 0, "template": "gentle"]],
                event: .deadlineSet(DeadlineSet(
                    deadline: "D-0001-1", client: "C-001", due: day("2026-02-15"), amount: euros("610.25"),
                    invoice: "INV-2026-0001", description: "first half",
                    reminder: ReminderPlan(leadDays: 3, everyDays: 0, template: "gentle")))),
            Sample(type: .deadlineSet, data: ["deadline": "FREE-1", "client": "C-001", "due": "2026-03-31", "amount": "99.99"],
                   event: .deadlineSet(DeadlineSet(deadline: "FREE-1", client: "C-001", due: day("2026-03-31"),
                                                   amount: euros("99.99")))),
            Sample(type: .deadlineAmended, data: ["deadline": "D-0001-1", "amount": "600.00"],
                   event: .deadlineAmended(DeadlineAmended(deadline: "D-0001-1", amount: euros("600")))),
            Sample(type: .deadlineAmended,
                   data: ["deadline": "D-0001-1", "description": "agreed by phone", "reminder": plan],
                   event: .deadlineAmended(DeadlineAmended(deadline: "D-0001-1", description: "agreed by phone",
                                                           reminder: planValue))),
            Sample(type: .deadlinePostponed, data: ["deadline": "D-0001-1", "due": "2026-03-15", "reason": "asked by client"],
                   event: .deadlinePostponed(DeadlinePostponed(deadline: "D-0001-1", due: day("2026-03-15"),
                                                               reason: "asked by client"))),
            Sample(type: .deadlineCancelled, data: ["deadline": "D-0001-2"],
                   event: .deadlineCancelled(DeadlineCancelled(deadline: "D-0001-2"))),
            Sample(
                type: .paymentReceived,
                data: ["payment": "P-1", "client": "C-001", "amount": "1000.00", "received": "2026-02-10",
                       "method": "bank_transfer", "status": "cleared", "reference": "CRO 0123456789",
                       "invoice": "INV-2026-0001",
                       "allocations": [["deadline": "D-0001-1", "amount": "610.25"],
                                       ["deadline": "D-0001-2", "amount": "389.75"]]],
                event: .paymentReceived(PaymentReceived(
                    payment: "P-1", client: "C-001", amount: euros("1000"), received: day("2026-02-10"),
                    method: .bankTransfer, status: .cleared, reference: "CRO 0123456789", invoice: "INV-2026-0001",
                    allocations: [Allocation(deadline: "D-0001-1", amount: euros("610.25")),
                                  Allocation(deadline: "D-0001-2", amount: euros("389.75"))]))),
            Sample(type: .paymentReceived,
                   data: ["payment": "P-2", "client": "C-001", "amount": "250", "received": "2026-02-11", "method": "sepa_dd"],
                   event: .paymentReceived(PaymentReceived(payment: "P-2", client: "C-001", amount: euros("250"),
                                                           received: day("2026-02-11"), method: .sepaDirectDebit)),
                   canonical: ["payment": "P-2", "client": "C-001", "amount": "250.00", "received": "2026-02-11",
                               "method": "sepa_dd"]),
            Sample(type: .paymentAllocated,
                   data: ["payment": "P-2", "allocations": [["deadline": "FREE-1", "amount": "99.99"]]],
                   event: .paymentAllocated(PaymentAllocated(payment: "P-2", allocations: [
                       Allocation(deadline: "FREE-1", amount: euros("99.99")),
                   ]))),
            Sample(type: .paymentCleared, data: ["payment": "P-3", "date": "2026-02-20"],
                   event: .paymentCleared(PaymentCleared(payment: "P-3", date: day("2026-02-20")))),
            Sample(type: .paymentBounced, data: ["payment": "P-3", "date": "2026-02-25", "reason": "insoluto"],
                   event: .paymentBounced(PaymentBounced(payment: "P-3", date: day("2026-02-25"), reason: "insoluto"))),
            Sample(
                type: .paymentDocumentAttached,
                data: ["payment": "P-1", "sha256": .string(digest), "name": "ricevuta bonifico.pdf",
                       "mediaType": "application/pdf", "size": 48213],
                event: .paymentDocumentAttached(PaymentDocumentAttached(
                    payment: "P-1", sha256: digest, name: "ricevuta bonifico.pdf", mediaType: "application/pdf",
                    size: 48213))),
            Sample(
                type: .reminderSent,
                data: ["deadline": "D-0001-1", "sentAt": "2026-02-12T10:00:00+01:00", "to": "amministrazione@bianchi.example",
                       "template": "default", "slot": "2026-02-12", "channel": "smtp",
                       "messageId": "<D-0001-1.2026-02-12@store.example>", "manual": true],
                event: .reminderSent(ReminderSent(
                    deadline: "D-0001-1", sentAt: Timestamp(rfc3339: "2026-02-12T09:00:00.000Z")!,
                    to: "amministrazione@bianchi.example", template: "default", slot: day("2026-02-12"),
                    channel: "smtp", messageId: "<D-0001-1.2026-02-12@store.example>", manual: true)),
                canonical: ["deadline": "D-0001-1", "sentAt": "2026-02-12T09:00:00.000Z",
                            "to": "amministrazione@bianchi.example", "template": "default", "slot": "2026-02-12",
                            "channel": "smtp", "messageId": "<D-0001-1.2026-02-12@store.example>", "manual": true]),
            Sample(type: .reminderSent,
                   data: ["deadline": "D-9", "sentAt": "2026-02-12T09:00:00.000Z", "to": "x@y.example",
                          "template": "default", "slot": "2026-02-09"],
                   event: .reminderSent(ReminderSent(deadline: "D-9", sentAt: Timestamp(rfc3339: "2026-02-12T09:00:00Z")!,
                                                     to: "x@y.example", template: "default", slot: day("2026-02-09")))),
        ]
    }

    func testEveryTypeDecodesAndRoundTrips() {
        for sample in samples {
            guard let event = decode(sample.type, sample.data) else { continue }
            XCTAssertEqual(event, sample.event, sample.type.rawValue)
            XCTAssertEqual(event.type, sample.type)

            let encoded = event.encode(currency: euro)
            XCTAssertEqual(encoded, sample.canonical ?? sample.data, sample.type.rawValue)
            XCTAssertEqual(encoded.keys, sample.type.dataFields.filter { encoded[$0] != nil },
                           "\(sample.type.rawValue) writes its fields in the contract's order")
            XCTAssertEqual(decode(sample.type, encoded), event, "\(sample.type.rawValue) round trip")
        }
    }

    func testSamplesCoverEveryType() {
        XCTAssertEqual(Set(samples.map(\.type)), Set(EventType.allCases))
        XCTAssertEqual(EventType.allCases.count, 17)
    }

    func testEncodingLeavesOutAbsentFieldsInsteadOfWritingNull() {
        let event = DomainEvent.deadlineSet(DeadlineSet(deadline: "D-1", client: "C-1", due: day("2026-02-15"),
                                                        amount: euros("10")))
        let encoded = event.encode(currency: euro)
        XCTAssertEqual(encoded.keys, ["deadline", "client", "due", "amount"])
        XCTAssertFalse(encoded.members.contains { $0.value == .null })
    }

    func testEncodingWritesCanonicalMoneyInTheStoreCurrency() {
        let bahrainDinar = Currency.iso4217("BHD")!
        let event = DomainEvent.paymentAllocated(PaymentAllocated(payment: "P-1", allocations: [
            Allocation(deadline: "D-1", amount: Money(minorUnits: 1_220_500)),
        ]))
        XCTAssertEqual(event.encode(currency: bahrainDinar)["allocations"],
                       [["deadline": "D-1", "amount": "1220.500"]])
        XCTAssertEqual(event.encode(currency: euro)["allocations"], [["deadline": "D-1", "amount": "12205.00"]])
    }

    func testReminderPlanWithoutMaxCountIsWrittenWithoutIt() {
        let event = DomainEvent.settingsChanged(SettingsChanged(reminder: ReminderPlan(leadDays: 0, everyDays: 0, template: "t")))
        XCTAssertEqual(event.encode(currency: euro)["reminder"], ["leadDays": 0, "everyDays": 0, "template": "t"])
        XCTAssertEqual(event.encode(currency: euro)["reminder"]?.objectValue?.keys, ["leadDays", "everyDays", "template"])
    }

    func testDefaultsAreLeftToTheFold() {
        XCTAssertEqual(PaymentMethod.cheque.defaultStatus, .pending)
        XCTAssertEqual(PaymentMethod.riba.defaultStatus, .pending)
        XCTAssertEqual(PaymentMethod.cash.defaultStatus, .cleared)
        let received = PaymentReceived(payment: "P", client: "C", amount: euros("1"), received: day("2026-01-01"),
                                       method: .riba)
        XCTAssertEqual(received.initialStatus, .pending)
        XCTAssertEqual(ClientLocale.default, .it)
        XCTAssertEqual(ClientLocale.en.displayLocale, .en)
        XCTAssertEqual(CreditLimitSet.defaultWarnAt, 80)
    }

    // MARK: Currency

    func testYenHasNoMinorDigits() {
        let data: JSONObject = ["invoice": "I-1", "client": "C-1", "issued": "2026-01-15", "amount": "10.5"]
        let rejected = rejection(.invoiceIssued, data, currency: yen)
        XCTAssertEqual(rejected?.rule, "invalidAmount")
        XCTAssertEqual(rejected?.field, "amount")
        XCTAssertTrue(rejected?.reason.contains("no minor unit") ?? false, rejected?.reason ?? "")

        let whole = with(data, "amount", "1220")
        let event = decode(.invoiceIssued, whole, currency: yen)
        XCTAssertEqual(event?.encode(currency: yen)["amount"], "1220")

        // The example in a message is one the store's currency accepts.
        let number = rejection(.invoiceIssued, with(data, "amount", .number(10)), currency: yen)
        XCTAssertEqual(number?.reason, "must be a decimal string like \"1220\", not a number")
    }

    func testMoreMinorDigitsThanTheCurrencyHas() {
        let data: JSONObject = ["deadline": "D-1", "client": "C-1", "due": "2026-02-15", "amount": "1220.505"]
        XCTAssertEqual(rejection(.deadlineSet, data)?.rule, "invalidAmount")
        XCTAssertNotNil(decode(.deadlineSet, data, currency: Currency.iso4217("BHD")!))
    }

    // MARK: Rejections

    private struct Refusal {
        var type: EventType
        var data: JSONObject
        var field: String?
        var rule: String
        var line: UInt
    }

    private let invoice: JSONObject = ["invoice": "INV-1", "client": "C-1", "issued": "2026-01-15", "amount": "1220.50"]
    private let deadline: JSONObject = ["deadline": "D-1", "client": "C-1", "due": "2026-02-15", "amount": "610.25"]
    private let client: JSONObject = ["client": "C-1", "name": "Bianchi S.p.A."]
    private let payment: JSONObject = ["payment": "P-1", "client": "C-1", "amount": "100.00", "received": "2026-02-10",
                                       "method": "cash"]
    private let template: JSONObject = ["template": "t", "locale": "it", "subject": "Promemoria", "body": "Gentile cliente"]
    private var document: JSONObject {
        ["payment": "P-1", "sha256": .string(digest), "name": "r.pdf", "mediaType": "application/pdf", "size": 10]
    }
    private let reminder: JSONObject = ["deadline": "D-1", "sentAt": "2026-02-12T09:00:00.000Z", "to": "x@y.example",
                                        "template": "default", "slot": "2026-02-12"]
    private let plan: JSONObject = ["leadDays": 7, "everyDays": 7, "template": "default"]

    private var refusals: [Refusal] {
        let long = String(repeating: "x", count: 1001)
        return [
            // Unknown fields come first, even before a missing required one.
            Refusal(type: .invoiceIssued, data: with(invoice, "amout", "1"), field: "amout", rule: "unknownField", line: #line),
            Refusal(type: .invoiceIssued, data: ["colour": "red", "invoice": "I-1"], field: "colour", rule: "unknownField", line: #line),
            Refusal(type: .settingsChanged, data: ["locale": "it"], field: "locale", rule: "unknownField", line: #line),
            Refusal(type: .paymentCleared, data: ["payment": "P-1", "date": "2026-01-01", "data": .null], field: "data",
                    rule: "unknownField", line: #line),

            // Missing and wrongly typed fields.
            Refusal(type: .invoiceIssued, data: without(invoice, "amount"), field: "amount", rule: "missingField", line: #line),
            Refusal(type: .invoiceIssued, data: [:], field: "invoice", rule: "missingField", line: #line),
            Refusal(type: .paymentAllocated, data: ["payment": "P-1"], field: "allocations", rule: "missingField", line: #line),
            Refusal(type: .invoiceIssued, data: with(invoice, "invoice", 42), field: "invoice", rule: "wrongType", line: #line),
            Refusal(type: .invoiceIssued, data: with(invoice, "issued", 20260115), field: "issued", rule: "wrongType", line: #line),
            Refusal(type: .invoiceIssued, data: with(invoice, "amount", true), field: "amount", rule: "wrongType", line: #line),
            Refusal(type: .invoiceIssued, data: with(invoice, "description", ["a"]), field: "description", rule: "wrongType",
                    line: #line),
            Refusal(type: .invoiceIssued, data: with(invoice, "number", .null), field: "number", rule: "wrongType", line: #line),
            Refusal(type: .reminderSent, data: with(reminder, "manual", "yes"), field: "manual", rule: "wrongType", line: #line),
            Refusal(type: .deadlineSet, data: with(deadline, "reminder", "weekly"), field: "reminder", rule: "wrongType",
                    line: #line),
            Refusal(type: .paymentAllocated, data: ["payment": "P-1", "allocations": ["deadline": "D-1", "amount": "1"]],
                    field: "allocations", rule: "wrongType", line: #line),

            // Money.
            Refusal(type: .invoiceIssued, data: with(invoice, "amount", .number(1220.5)), field: "amount", rule: "moneyNotAString",
                    line: #line),
            Refusal(type: .creditLimitSet, data: ["client": "C-1", "limit": 5000], field: "limit", rule: "moneyNotAString",
                    line: #line),
            Refusal(type: .invoiceIssued, data: with(invoice, "amount", "1e3"), field: "amount", rule: "invalidAmount", line: #line),
            Refusal(type: .invoiceIssued, data: with(invoice, "amount", "1.220,50"), field: "amount", rule: "invalidAmount",
                    line: #line),
            Refusal(type: .invoiceIssued, data: with(invoice, "amount", "1220.505"), field: "amount", rule: "invalidAmount",
                    line: #line),
            Refusal(type: .invoiceIssued, data: with(invoice, "amount", "-5"), field: "amount", rule: "invalidAmount", line: #line),
            Refusal(type: .invoiceIssued, data: with(invoice, "amount", "-0.00"), field: "amount", rule: "invalidAmount",
                    line: #line),
            Refusal(type: .invoiceIssued, data: with(invoice, "amount", "99999999999999999999"), field: "amount",
                    rule: "invalidAmount", line: #line),
            Refusal(type: .creditLimitSet, data: ["client": "C-1", "limit": "-1"], field: "limit", rule: "invalidAmount",
                    line: #line),
            Refusal(type: .invoiceIssued, data: with(invoice, "amount", "0"), field: "amount", rule: "amountNotPositive",
                    line: #line),
            Refusal(type: .deadlineSet, data: with(deadline, "amount", "0.00"), field: "amount", rule: "amountNotPositive",
                    line: #line),
            Refusal(type: .deadlineAmended, data: ["deadline": "D-1", "amount": "0"], field: "amount", rule: "amountNotPositive",
                    line: #line),
            Refusal(type: .paymentReceived, data: with(payment, "amount", "0.0"), field: "amount", rule: "amountNotPositive",
                    line: #line),
            Refusal(type: .paymentAllocated, data: ["payment": "P-1", "allocations": [["deadline": "D-1", "amount": "0"]]],
                    field: "allocations[0].amount", rule: "amountNotPositive", line: #line),

            // Ids.
            Refusal(type: .invoiceIssued, data: with(invoice, "client", "C\u{7}1"), field: "client", rule: "invalidId", line: #line),
            Refusal(type: .invoiceIssued, data: with(invoice, "client", "C-1\n"), field: "client", rule: "invalidId", line: #line),
            Refusal(type: .invoiceIssued, data: with(invoice, "client", "C\u{85}1"), field: "client", rule: "invalidId",
                    line: #line),
            Refusal(type: .invoiceIssued, data: with(invoice, "invoice", .string(String(repeating: "9", count: 65))),
                    field: "invoice", rule: "invalidId", line: #line),
            Refusal(type: .invoiceIssued, data: with(invoice, "invoice", ""), field: "invoice", rule: "invalidId", line: #line),
            Refusal(type: .invoiceIssued, data: with(invoice, "invoice", " INV-1"), field: "invoice", rule: "invalidId",
                    line: #line),
            Refusal(type: .deadlineSet, data: with(deadline, "invoice", "INV-1 "), field: "invoice", rule: "invalidId", line: #line),
            Refusal(type: .reminderTemplateSaved, data: with(template, "template", ""), field: "template", rule: "invalidId",
                    line: #line),
            Refusal(type: .paymentAllocated, data: ["payment": "P-1", "allocations": [["deadline": "D\t1", "amount": "1"]]],
                    field: "allocations[0].deadline", rule: "invalidId", line: #line),

            // Dates and timestamps.
            Refusal(type: .invoiceIssued, data: with(invoice, "issued", "2026-02-30"), field: "issued", rule: "invalidDate",
                    line: #line),
            Refusal(type: .invoiceIssued, data: with(invoice, "issued", "2026-2-3"), field: "issued", rule: "invalidDate",
                    line: #line),
            Refusal(type: .deadlinePostponed, data: ["deadline": "D-1", "due": "15/02/2026"], field: "due", rule: "invalidDate",
                    line: #line),
            Refusal(type: .reminderSent, data: with(reminder, "slot", "2026-02-12T00:00:00Z"), field: "slot", rule: "invalidDate",
                    line: #line),
            Refusal(type: .reminderSent, data: with(reminder, "sentAt", "2026-02-12 09:00:00Z"), field: "sentAt",
                    rule: "invalidTimestamp", line: #line),
            Refusal(type: .reminderSent, data: with(reminder, "sentAt", "2026-02-12T09:00:00"), field: "sentAt",
                    rule: "invalidTimestamp", line: #line),

            // Settings.
            Refusal(type: .clientRegistered, data: with(client, "email", "not-an-address"), field: "email", rule: "invalidEmail",
                    line: #line),
            Refusal(type: .settingsChanged, data: ["sender": "a@b"], field: "sender", rule: "invalidEmail", line: #line),
            Refusal(type: .reminderSent, data: with(reminder, "to", "x@y.example\r\nBcc: z@w.example"), field: "to",
                    rule: "invalidEmail", line: #line),
            Refusal(type: .settingsChanged, data: ["iban": "IT60X0542811101000000123457"], field: "iban", rule: "invalidIBAN",
                    line: #line),
            Refusal(type: .settingsChanged, data: ["paymentLink": "http://pay.example.com"], field: "paymentLink",
                    rule: "invalidPaymentLink", line: #line),
            Refusal(type: .settingsChanged, data: ["paymentLink": "https://pay.example.com/{invoice}"], field: "paymentLink",
                    rule: "invalidPaymentLink", line: #line),
            Refusal(type: .settingsChanged, data: ["timezone": "CET"], field: "timezone", rule: "unknownTimeZone", line: #line),
            Refusal(type: .settingsChanged, data: ["timezone": "Europe/Atlantis"], field: "timezone", rule: "unknownTimeZone",
                    line: #line),
            Refusal(type: .settingsChanged, data: ["currency": "eur"], field: "currency", rule: "unknownCurrency", line: #line),
            Refusal(type: .settingsChanged, data: ["currency": "XAU"], field: "currency", rule: "unknownCurrency", line: #line),

            // Choices.
            Refusal(type: .clientRegistered, data: with(client, "locale", "fr"), field: "locale", rule: "unknownLocale", line: #line),
            Refusal(type: .clientUpdated, data: ["client": "C-1", "locale": "IT"], field: "locale", rule: "unknownLocale",
                    line: #line),
            Refusal(type: .reminderTemplateSaved, data: with(template, "locale", "de"), field: "locale", rule: "unknownLocale",
                    line: #line),
            Refusal(type: .paymentReceived, data: with(payment, "method", "wire"), field: "method", rule: "unknownMethod",
                    line: #line),
            Refusal(type: .paymentReceived, data: with(payment, "method", "Cash"), field: "method", rule: "unknownMethod",
                    line: #line),
            Refusal(type: .paymentReceived, data: with(payment, "status", "bounced"), field: "status", rule: "unknownStatus",
                    line: #line),
            Refusal(type: .reminderTemplateSaved, data: with(template, "kind", "late"), field: "kind", rule: "unknownKind",
                    line: #line),

            // Credit limits.
            Refusal(type: .creditLimitSet, data: ["client": "C-1", "limit": "100", "warnAt": 0], field: "warnAt",
                    rule: "warnAtOutOfRange", line: #line),
            Refusal(type: .creditLimitSet, data: ["client": "C-1", "limit": "100", "warnAt": 101], field: "warnAt",
                    rule: "warnAtOutOfRange", line: #line),
            Refusal(type: .creditLimitSet, data: ["client": "C-1", "limit": "100", "warnAt": .number(80.5)], field: "warnAt",
                    rule: "wrongType", line: #line),
            Refusal(type: .creditLimitSet, data: ["client": "C-1", "limit": "100", "warnAt": "80"], field: "warnAt",
                    rule: "wrongType", line: #line),

            // Reminder plans.
            Refusal(type: .deadlineSet, data: with(deadline, "reminder", .object(with(plan, "leadDays", -1))),
                    field: "reminder.leadDays", rule: "invalidReminderPlan", line: #line),
            Refusal(type: .deadlineSet, data: with(deadline, "reminder", .object(with(plan, "leadDays", 3651))),
                    field: "reminder.leadDays", rule: "invalidReminderPlan", line: #line),
            Refusal(type: .deadlineSet, data: with(deadline, "reminder", .object(with(plan, "everyDays", .number(1.5)))),
                    field: "reminder.everyDays", rule: "invalidReminderPlan", line: #line),
            Refusal(type: .deadlineSet, data: with(deadline, "reminder", .object(with(plan, "everyDays", "7"))),
                    field: "reminder.everyDays", rule: "invalidReminderPlan", line: #line),
            Refusal(type: .deadlineAmended, data: ["deadline": "D-1", "reminder": .object(without(plan, "template"))],
                    field: "reminder.template", rule: "invalidReminderPlan", line: #line),
            Refusal(type: .settingsChanged, data: ["reminder": .object(with(plan, "template", "a\u{0}b"))],
                    field: "reminder.template", rule: "invalidReminderPlan", line: #line),
            Refusal(type: .settingsChanged, data: ["reminder": .object(with(plan, "maxCount", 0))],
                    field: "reminder.maxCount", rule: "invalidReminderPlan", line: #line),
            Refusal(type: .settingsChanged, data: ["reminder": .object(with(plan, "startDays", 1))],
                    field: "reminder.startDays", rule: "invalidReminderPlan", line: #line),

            // Documents.
            Refusal(type: .paymentDocumentAttached, data: with(document, "sha256", .string(digest.uppercased())), field: "sha256",
                    rule: "invalidDigest", line: #line),
            Refusal(type: .paymentDocumentAttached, data: with(document, "sha256", .string(String(digest.dropLast()))),
                    field: "sha256", rule: "invalidDigest", line: #line),
            Refusal(type: .paymentDocumentAttached, data: with(document, "size", -1), field: "size", rule: "invalidSize",
                    line: #line),
            Refusal(type: .paymentDocumentAttached, data: with(document, "size", .number(1.5)), field: "size", rule: "wrongType",
                    line: #line),
            Refusal(type: .paymentDocumentAttached, data: with(document, "mediaType", "pdf"), field: "mediaType",
                    rule: "invalidMediaType", line: #line),
            Refusal(type: .paymentDocumentAttached, data: with(document, "mediaType", "application/pdf; charset=binary"),
                    field: "mediaType", rule: "invalidMediaType", line: #line),
            Refusal(type: .paymentDocumentAttached, data: with(document, "mediaType", "/pdf"), field: "mediaType",
                    rule: "invalidMediaType", line: #line),
            Refusal(type: .paymentDocumentAttached, data: with(document, "name", "../r.pdf"), field: "name", rule: "invalidName",
                    line: #line),
            Refusal(type: .paymentDocumentAttached, data: with(document, "name", ""), field: "name", rule: "invalidName",
                    line: #line),
            Refusal(type: .paymentDocumentAttached, data: with(document, "name", ".."), field: "name", rule: "invalidName",
                    line: #line),
            Refusal(type: .paymentDocumentAttached, data: with(document, "name", "r\u{0}.pdf"), field: "name", rule: "invalidName",
                    line: #line),
            Refusal(type: .paymentDocumentAttached, data: with(document, "name", .string(String(repeating: "n", count: 256))),
                    field: "name", rule: "invalidName", line: #line),

            // Clients.
            Refusal(type: .clientRegistered, data: with(client, "name", ""), field: "name", rule: "invalidName", line: #line),
            Refusal(type: .clientRegistered, data: with(client, "name", "   "), field: "name", rule: "invalidName", line: #line),
            Refusal(type: .clientUpdated, data: ["client": "C-1", "name": "Bianchi\nS.p.A."], field: "name", rule: "invalidName",
                    line: #line),
            Refusal(type: .clientUpdated, data: ["client": "C-1"], field: nil, rule: "nothingToUpdate", line: #line),
            Refusal(type: .deadlineAmended, data: ["deadline": "D-1"], field: nil, rule: "nothingToAmend", line: #line),

            // Allocations.
            Refusal(type: .paymentAllocated, data: ["payment": "P-1", "allocations": []], field: "allocations",
                    rule: "invalidAllocations", line: #line),
            Refusal(type: .paymentReceived, data: with(payment, "allocations", []), field: "allocations",
                    rule: "invalidAllocations", line: #line),
            Refusal(type: .paymentAllocated, data: ["payment": "P-1", "allocations": ["D-1"]], field: "allocations[0]",
                    rule: "invalidAllocations", line: #line),
            Refusal(type: .paymentAllocated,
                    data: ["payment": "P-1", "allocations": [["deadline": "D-1", "amount": "1"],
                                                             ["deadline": "D-2", "amount": "1"],
                                                             ["deadline": "D-3", "amount": "1", "note": "x"]]],
                    field: "allocations[2].note", rule: "invalidAllocations", line: #line),
            Refusal(type: .paymentAllocated,
                    data: ["payment": "P-1", "allocations": [["deadline": "D-1", "amount": "1"], ["deadline": "D-2"]]],
                    field: "allocations[1].amount", rule: "invalidAllocations", line: #line),
            Refusal(type: .paymentAllocated, data: ["payment": "P-1", "allocations": [["amount": "1"]]],
                    field: "allocations[0].deadline", rule: "invalidAllocations", line: #line),
            Refusal(type: .paymentAllocated, data: ["payment": "P-1", "allocations": [["deadline": "D-1", "amount": 1]]],
                    field: "allocations[0].amount", rule: "moneyNotAString", line: #line),
            Refusal(type: .paymentReceived,
                    data: with(payment, "allocations", [["deadline": "D-1", "amount": "60"], ["deadline": "D-2", "amount": "40.01"]]),
                    field: "allocations", rule: "allocationsExceedPayment", line: #line),

            // Templates.
            Refusal(type: .reminderTemplateSaved, data: with(template, "subject", "Promemoria\r\nBcc: x@y.example"),
                    field: "subject", rule: "subjectNotOneLine", line: #line),
            Refusal(type: .reminderTemplateSaved, data: with(template, "subject", "Promemoria\n"), field: "subject",
                    rule: "subjectNotOneLine", line: #line),
            Refusal(type: .reminderTemplateSaved, data: with(template, "subject", "Fattura {{invoice.numero}}"), field: "subject",
                    rule: "unknownPlaceholder", line: #line),
            Refusal(type: .reminderTemplateSaved, data: with(template, "body", "Gentile {{ }}"), field: "body",
                    rule: "unknownPlaceholder", line: #line),
            Refusal(type: .reminderTemplateSaved, data: with(template, "body", "Gentile {{client.name"), field: "body",
                    rule: "unclosedPlaceholder", line: #line),

            // Free text.
            Refusal(type: .invoiceIssued, data: with(invoice, "description", .string(long)), field: "description",
                    rule: "textTooLong", line: #line),
            Refusal(type: .deadlineCancelled, data: ["deadline": "D-1", "reason": .string(long)], field: "reason",
                    rule: "textTooLong", line: #line),
            Refusal(type: .settingsChanged, data: ["company": .string(long)], field: "company", rule: "textTooLong", line: #line),
            Refusal(type: .clientRegistered, data: with(client, "name", .string(long)), field: "name", rule: "textTooLong",
                    line: #line),
            Refusal(type: .reminderSent, data: with(reminder, "messageId", .string(long)), field: "messageId", rule: "textTooLong",
                    line: #line),
        ]
    }

    func testRejectionTable() {
        for refusal in refusals {
            guard let rejected = rejection(refusal.type, refusal.data, line: refusal.line) else { continue }
            XCTAssertEqual(rejected.rule, refusal.rule, rejected.description, line: refusal.line)
            XCTAssertEqual(rejected.field, refusal.field, rejected.description, line: refusal.line)
            XCTAssertEqual(rejected.type, refusal.type.rawValue, line: refusal.line)
            XCTAssertFalse(rejected.reason.isEmpty, line: refusal.line)
            XCTAssertFalse(rejected.description.contains("\n") || rejected.description.contains("\r"),
                           "messages stay on one line: \(rejected.description.debugDescription)", line: refusal.line)
        }
    }

    func testRejectionTableCoversEveryRule() {
        let rules: Set = [
            "unknownField", "missingField", "wrongType", "moneyNotAString", "invalidAmount", "amountNotPositive",
            "invalidId", "invalidDate", "invalidTimestamp", "invalidEmail", "invalidIBAN", "invalidPaymentLink",
            "unknownTimeZone", "unknownCurrency", "unknownLocale", "unknownMethod", "unknownStatus", "unknownKind",
            "warnAtOutOfRange", "invalidReminderPlan", "invalidDigest", "invalidSize", "invalidMediaType", "invalidName",
            "nothingToUpdate", "nothingToAmend", "invalidAllocations", "allocationsExceedPayment", "subjectNotOneLine",
            "unknownPlaceholder", "unclosedPlaceholder", "textTooLong",
        ]
        XCTAssertEqual(Set(refusals.map(\.rule)), rules)
    }

    // MARK: Order and wording

    func testFieldsAreCheckedInTheContractsOrderNotTheInputs() {
        // amount comes before client in the JSON, but client is checked first.
        let data = JSONObject([("amount", .number(5)), ("client", .number(1)), ("invoice", "I-1"), ("issued", "2026-01-15")])
        XCTAssertEqual(rejection(.invoiceIssued, data)?.field, "client")
        // Repeating the same input gives the same answer.
        XCTAssertEqual(rejection(.invoiceIssued, data), rejection(.invoiceIssued, data))
    }

    func testTheFirstUnknownFieldIsNamed() {
        let data = JSONObject([("zeta", 1), ("alpha", 2), ("invoice", "I-1")])
        XCTAssertEqual(rejection(.invoiceCancelled, data)?.field, "zeta")
    }

    func testReasonsSayWhatWouldBeRight() {
        let number = rejection(.invoiceIssued, with(invoice, "amount", .number(1220.5)))
        XCTAssertEqual(number?.reason, "must be a decimal string like \"1220.50\", not a number")

        let wrongType = rejection(.invoiceIssued, with(invoice, "invoice", 42))
        XCTAssertEqual(wrongType?.reason, "must be a string, not number")

        let unknown = rejection(.invoiceIssued, with(invoice, "amout", "1"))?.reason ?? ""
        XCTAssertTrue(unknown.contains("did you mean \"amount\"?"), unknown)
        XCTAssertTrue(unknown.contains("invoice, client, issued, amount, number, description"), unknown)

        let negative = rejection(.invoiceIssued, with(invoice, "amount", "-5"))?.reason ?? ""
        XCTAssertTrue(negative.contains("more than zero"), negative)
        let negativeLimit = rejection(.creditLimitSet, ["client": "C-1", "limit": "-1"])?.reason ?? ""
        XCTAssertTrue(negativeLimit.contains("zero or more"), negativeLimit)

        let zero = rejection(.invoiceIssued, with(invoice, "amount", "0.00"))?.reason ?? ""
        XCTAssertTrue(zero.contains("more than zero"), zero)

        let date = rejection(.invoiceIssued, with(invoice, "issued", "2026-02-30"))?.reason ?? ""
        XCTAssertTrue(date.contains("\"2026-02-30\"") && date.contains("YYYY-MM-DD"), date)

        let method = rejection(.paymentReceived, with(payment, "method", "bank-transfer"))?.reason ?? ""
        XCTAssertTrue(method.contains("did you mean \"bank_transfer\"?"), method)
        XCTAssertTrue(method.contains("bank_transfer, card, cash, cheque, riba, sepa_dd, other"), method)

        // Two letters are too few to guess a misspelling from.
        let locale = rejection(.clientRegistered, with(client, "locale", "fr"))?.reason ?? ""
        XCTAssertEqual(locale, "\"fr\" is not a supported locale; use one of it, en")

        let longId = rejection(.invoiceIssued, with(invoice, "invoice", .string(String(repeating: "9", count: 65))))?.reason ?? ""
        XCTAssertTrue(longId.contains("65 characters"), longId)

        let placeholder = rejection(.reminderTemplateSaved, with(template, "subject", "{{client.nam}}"))?.reason ?? ""
        XCTAssertTrue(placeholder.contains("did you mean {{client.name}}?"), placeholder)

        let control = rejection(.invoiceIssued, with(invoice, "client", "C\u{7}1"))?.reason ?? ""
        XCTAssertTrue(control.contains("\"C\\u{7}1\""), control)

        let empty = rejection(.clientUpdated, ["client": "C-1"])
        XCTAssertEqual(empty?.description,
                       "ClientUpdated: nothing to update; give at least one of name, email, locale, vat (rule: nothingToUpdate)")
    }

    // MARK: Boundaries that are accepted

    func testBoundaryValuesAreAccepted() {
        XCTAssertNotNil(decode(.invoiceIssued, with(invoice, "invoice", .string(String(repeating: "9", count: 64)))))
        XCTAssertNotNil(decode(.invoiceIssued, with(invoice, "invoice", "fattura n° 1 — 2026")))
        XCTAssertNotNil(decode(.invoiceIssued, with(invoice, "amount", "0.01")))
        XCTAssertNotNil(decode(.invoiceIssued, with(invoice, "description", .string(String(repeating: "x", count: 1000)))))
        XCTAssertNotNil(decode(.invoiceIssued, with(invoice, "issued", "2024-02-29")))
        XCTAssertNotNil(decode(.creditLimitSet, ["client": "C-1", "limit": "0", "warnAt": 1]))
        XCTAssertNotNil(decode(.creditLimitSet, ["client": "C-1", "limit": "0", "warnAt": 100]))
        XCTAssertNotNil(decode(.paymentDocumentAttached, with(document, "size", 0)))
        XCTAssertNotNil(decode(.paymentDocumentAttached, with(document, "name", .string(String(repeating: "n", count: 255)))))
        XCTAssertNotNil(decode(.paymentDocumentAttached, with(document, "mediaType", "application/vnd.oasis.opendocument.text")))
        XCTAssertNotNil(decode(.deadlineSet, with(deadline, "reminder", .object(with(plan, "leadDays", 3650)))))
        XCTAssertNotNil(decode(.settingsChanged, ["reminder": .object(with(plan, "maxCount", 1))]))
        XCTAssertNotNil(decode(.reminderSent, with(reminder, "manual", false)))
        // Allocations may use the whole payment, and name a deadline twice (they are merged later).
        XCTAssertNotNil(decode(.paymentReceived, with(payment, "allocations", [["deadline": "D-1", "amount": "60"],
                                                                               ["deadline": "D-1", "amount": "40"]])))
        // A subject may hold single braces and placeholders; a body may span lines.
        XCTAssertNotNil(decode(.reminderTemplateSaved, with(template, "subject", "{x} {{ deadline.id }}")))
        XCTAssertNotNil(decode(.reminderTemplateSaved, with(template, "body", "Riga 1\r\nRiga 2\n")))
    }
}
