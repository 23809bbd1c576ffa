import EventLog
import Foundation
@testable import Receivables
import XCTest

/// The rules of CONTRACT 4 and 5.2 as tables: each scenario in `Fixtures/scenarios/*.json`
/// appends its `given` lines to a fresh store, then its `when` line, and says what must happen.
///
/// A fixture file is a JSON array of scenarios:
///
///     {"name": "...",                      unique within the file
///      "covers": ["ruleName", ...],        optional: rules the `when` line gets past (the accepted side)
///      "given": [event line, ...],         must all be accepted
///      "when": event line,                 an input object, or a string holding a raw input line
///      "then": {"accepted": true, "allocations"?: [{"deadline","amount"}], "appended"?: 0|1}
///            | {"rule": "ruleName", "field"?: "field name"}}
///
/// Event lines are the contract's input form (`{"type", "data", "key"?, "effective"?, "meta"?}`).
/// `then.allocations` is compared with the `allocations` recorded in the stored event's data
/// (absent counts as []), which is how a payment by invoice shows the engine's decision.
final class ScenarioTableTests: XCTestCase {
    static let now = Timestamp(rfc3339: "2026-06-01T09:00:00.000Z")!

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let scenarioDirectory = packageRoot.appendingPathComponent("Fixtures/scenarios")

    /// The fixture files, each with a test below.
    static let files = [
        "settings-and-templates.json", "clients-and-limits.json", "invoices.json", "deadlines.json",
        "payments-and-allocation.json", "reminders.json", "event-lines.json",
    ]

    // MARK: The rules the tables must cover

    /// The state rules (Domain/Decision.swift).
    static let decisionRules = [
        "currencyAfterMoney", "unknownTemplate", "clientExists", "unknownClient", "invoiceExists",
        "unknownInvoice", "invoiceAlreadyCancelled", "invoiceHasPayments", "dateBeforeIssue",
        "deadlineExists", "invoiceClientMismatch", "invoiceCancelled", "deadlinesExceedInvoice",
        "unknownDeadline", "deadlineNotLive", "amountBelowPaid", "nothingOutstanding", "dueNotLater",
        "deadlineHasPayments", "paymentExists", "allocationClientMismatch", "allocationExceedsOutstanding",
        "allocationsExceedPayment", "unknownPayment", "paymentBounced", "allocationsExceedUnallocated",
        "paymentNotPending", "dateBeforeReceived", "paymentAlreadyBounced", "dateBeforeCleared",
        "documentNotStored", "reminderSlotTaken",
    ]

    /// The shape rules of event data (Domain/EventCoding.swift, `EventShapeRule`).
    static let shapeRules = [
        "unknownField", "missingField", "wrongType", "moneyNotAString", "invalidAmount", "amountNotPositive",
        "invalidId", "invalidDate", "invalidTimestamp", "invalidEmail", "invalidIBAN", "invalidPaymentLink",
        "unknownTimeZone", "unknownCurrency", "unknownLocale", "unknownMethod", "unknownStatus", "unknownKind",
        "warnAtOutOfRange", "invalidReminderPlan", "invalidDigest", "invalidSize", "invalidMediaType",
        "invalidName", "nothingToUpdate", "nothingToAmend", "invalidAllocations", "allocationsExceedPayment",
        "subjectNotOneLine", "unknownPlaceholder", "unclosedPlaceholder", "textTooLong",
    ]

    /// The rules of the input line around the data (EventInput.swift, DomainSession.swift).
    static let lineRules = [
        "malformedJSON", "lineNotAnObject", "unknownMember", "missingType", "wrongType", "unknownEventType",
        "missingData", "keyLength", "keyShape", "invalidDate", "effectiveNotAllowed", "keyReused",
    ]

    /// Rules the tables leave out, and why.
    static let notInTable = [
        "dataTooLarge": "needs a line over 64 KiB; LogCommandTests.testBadInputGetsOneErrorLineAndChangesNothing covers it",
        "amountOverflow": "a process that traps would take the table runner with it; AppendValidationTests.testSumsBeyondSixtyFourBitsAreRefusedNotACrash covers it end to end",
    ]

    /// Rules with no accepted case in the tables, and why.
    static let noAcceptedCase = [
        "documentNotStored": "an event line cannot store a blob; an accepted PaymentDocumentAttached needs `receivables attach`",
    ]

    static var expectedRules: Set<String> { Set(decisionRules + shapeRules + lineRules) }

    // MARK: One test per fixture file

    func testSettingsAndTemplates() throws { try runFile("settings-and-templates.json") }
    func testClientsAndLimits() throws { try runFile("clients-and-limits.json") }
    func testInvoices() throws { try runFile("invoices.json") }
    func testDeadlines() throws { try runFile("deadlines.json") }
    func testPaymentsAndAllocation() throws { try runFile("payments-and-allocation.json") }
    func testReminders() throws { try runFile("reminders.json") }
    func testEventLines() throws { try runFile("event-lines.json") }

    func testEveryFixtureFileHasATest() throws {
        let present = try FileManager.default.contentsOfDirectory(atPath: Self.scenarioDirectory.path)
            .filter { $0.hasSuffix(".json") }
        XCTAssertEqual(Set(present), Set(Self.files), "a scenario file without a test (or a test without its file)")
    }

    /// Every rule is met at least once rejected (as the store answered it) and at least once on
    /// its accepted side (a scenario whose `covers` names it).
    func testTheTablesCoverEveryRule() throws {
        var rejectedSeen: Set<String> = []
        var acceptedSide: Set<String> = []
        for file in Self.files {
            for scenario in try loadScenarios(file) {
                acceptedSide.formUnion(scenario.covers)
                for rule in scenario.covers where !Self.expectedRules.contains(rule) {
                    XCTFail("\(file): \(scenario.name): covers \"\(rule)\", which is not a known rule")
                }
                if case .rejected(let rejection)? = try run(scenario) { rejectedSeen.insert(rejection.rule) }
            }
        }
        for rule in Self.expectedRules.sorted() {
            XCTAssertTrue(rejectedSeen.contains(rule), "no scenario is rejected by rule \(rule)")
            if Self.noAcceptedCase[rule] == nil {
                XCTAssertTrue(acceptedSide.contains(rule), "no accepted scenario covers rule \(rule)")
            }
        }
        for rule in rejectedSeen.subtracting(Self.expectedRules).sorted() {
            XCTFail("a scenario was rejected by rule \(rule), which the expected list does not hold")
        }
    }

    /// The hard-coded lists are the rules the sources can answer: a new rule in the sources
    /// fails here until the tables cover it.
    func testTheExpectedRulesAreTheRulesInTheSources() throws {
        XCTAssertEqual(Set(Self.shapeRules), Set(EventShapeRule.allCases.map(\.rawValue)),
                       "shapeRules differs from EventShapeRule")
        let sources = Self.packageRoot.appendingPathComponent("Sources/Receivables")
        let decision = try String(contentsOf: sources.appendingPathComponent("Domain/Decision.swift"), encoding: .utf8)
        // In Decision.swift a rule is a string literal that is one camelCase word.
        let decisionFound = Self.matches(#""([a-z][a-z0-9]*[A-Z][A-Za-z0-9]*)""#, in: decision)
        XCTAssertEqual(decisionFound, Set(Self.decisionRules), "decisionRules differs from Decision.swift")
        var lineFound: Set<String> = []
        for name in ["EventInput.swift", "DomainSession.swift"] {
            let text = try String(contentsOf: sources.appendingPathComponent(name), encoding: .utf8)
            lineFound.formUnion(Self.matches(#"rule: "([A-Za-z]+)""#, in: text))
        }
        let lineExpected = Set(Self.lineRules).union(Self.notInTable.keys)
        XCTAssertEqual(lineFound, lineExpected, "lineRules differs from EventInput.swift and DomainSession.swift")
        XCTAssertTrue(Set(Self.notInTable.keys).isDisjoint(with: Self.expectedRules))
    }

    // MARK: Running

    struct Scenario {
        var file: String
        var name: String
        var covers: [String]
        var given: [JSONValue]
        var when: JSONValue
        var then: JSONObject

        var label: String { "\(file): \(name)" }
    }

    enum Outcome {
        case accepted(appended: Int, data: JSONObject)
        case rejected(EventRejection)
    }

    func runFile(_ file: String) throws {
        let scenarios = try loadScenarios(file)
        XCTAssertFalse(scenarios.isEmpty, "\(file) holds no scenario")
        var names: Set<String> = []
        for scenario in scenarios {
            XCTAssertTrue(names.insert(scenario.name).inserted, "\(scenario.label): the name is used twice")
            guard let outcome = try run(scenario) else { continue }
            check(outcome, against: scenario)
        }
    }

    func check(_ outcome: Outcome, against scenario: Scenario) {
        let then = scenario.then
        let expectsAcceptance = then["accepted"]?.boolValue == true
        let expectedRule = then["rule"]?.stringValue
        guard expectsAcceptance != (expectedRule != nil) else {
            XCTFail("\(scenario.label): `then` must be {\"accepted\": true} or {\"rule\": ...}")
            return
        }
        switch outcome {
        case .accepted(let appended, let data):
            guard expectsAcceptance else {
                XCTFail("\(scenario.label): accepted, but rule \(expectedRule!) should have refused it")
                return
            }
            if let expected = then["appended"]?.integerValue {
                XCTAssertEqual(Int64(appended), expected, "\(scenario.label): appended")
            }
            if let expected = then["allocations"] {
                XCTAssertEqual(Self.allocationList(data["allocations"] ?? .array([])), Self.allocationList(expected),
                               "\(scenario.label): the allocations recorded in the event")
            }
        case .rejected(let rejection):
            guard let expectedRule else {
                XCTFail("\(scenario.label): refused, but should be accepted: \(rejection)")
                return
            }
            XCTAssertEqual(rejection.rule, expectedRule, "\(scenario.label): the rule (\(rejection))")
            if let field = then["field"]?.stringValue {
                XCTAssertEqual(rejection.field, field, "\(scenario.label): the field (\(rejection))")
            }
        }
    }

    /// Runs one scenario in a fresh store; nil (after failing the test) when its `given` is refused.
    func run(_ scenario: Scenario) throws -> Outcome? {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("receivables-scenario-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try ReceivablesStore(path: directory.path, create: true)

        var given: [EventInput] = []
        for (index, line) in scenario.given.enumerated() {
            switch Self.input(line) {
            case .success(let input): given.append(input)
            case .failure(let rejection):
                XCTFail("\(scenario.label): given[\(index)] is not a valid line: \(rejection)")
                return nil
            }
        }
        if !given.isEmpty {
            do {
                _ = try store.append(given, now: Self.now)
            } catch {
                switch error {
                case .rejected(let index, let rejection):
                    XCTFail("\(scenario.label): given[\(index)] was refused: \(rejection)")
                case .store(let failure):
                    XCTFail("\(scenario.label): the store failed: \(failure)")
                }
                return nil
            }
        }

        let input: EventInput
        switch Self.input(scenario.when) {
        case .success(let parsed): input = parsed
        case .failure(let rejection): return .rejected(rejection)
        }
        let outcome: ReceivablesStore.AppendOutcome
        do {
            outcome = try store.append([input], now: Self.now)
        } catch {
            switch error {
            case .rejected(_, let rejection): return .rejected(rejection)
            case .store(let failure):
                XCTFail("\(scenario.label): the store failed: \(failure)")
                return nil
            }
        }
        let seq = outcome.seqs[0]
        let data = try store.events.read { transaction in
            try store.events.record(seq, in: transaction)?.data()
        }
        guard let data else {
            XCTFail("\(scenario.label): seq \(seq) cannot be read back")
            return nil
        }
        return .accepted(appended: outcome.appended, data: data)
    }

    /// An input object as `EventInput`, or a string as a raw input line.
    static func input(_ line: JSONValue) -> Result<EventInput, EventRejection> {
        switch line {
        case .object(let object):
            do {
                return .success(try EventInput.parse(object: object))
            } catch {
                return .failure(error)
            }
        case .string(let text):
            return Array(text.utf8).withUnsafeBytes { bytes -> Result<EventInput, EventRejection> in
                do throws(EventRejection) {
                    return .success(try EventInput.parse(line: bytes))
                } catch {
                    return .failure(error)
                }
            }
        default:
            return .failure(EventRejection(type: nil, field: nil, reason: "a scenario line must be an object or a string",
                                           rule: "badFixture"))
        }
    }

    /// Allocations as "deadline=amount" texts, for comparing with a readable message.
    static func allocationList(_ value: JSONValue) -> [String] {
        (value.arrayValue ?? [value]).map { element in
            guard let object = element.objectValue, let deadline = object["deadline"]?.stringValue,
                  let amount = object["amount"]?.stringValue, object.count == 2
            else { return "malformed: \(element)" }
            return "\(deadline)=\(amount)"
        }
    }

    // MARK: Loading

    func loadScenarios(_ file: String) throws -> [Scenario] {
        let url = Self.scenarioDirectory.appendingPathComponent(file)
        let bytes = try [UInt8](Data(contentsOf: url))
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            XCTFail("\(file) is not JSON: \(error)")
            return []
        }
        guard let list = root.arrayValue else {
            XCTFail("\(file) must hold a JSON array of scenarios")
            return []
        }
        var scenarios: [Scenario] = []
        for (index, element) in list.enumerated() {
            guard let object = element.objectValue, let name = object["name"]?.stringValue,
                  let given = object["given"]?.arrayValue, let when = object["when"],
                  let then = object["then"]?.objectValue
            else {
                XCTFail("\(file): scenario \(index) needs name, given, when and then")
                continue
            }
            let known: Set<String> = ["name", "covers", "given", "when", "then"]
            for key in object.keys where !known.contains(key) {
                XCTFail("\(file): \(name): unknown member \(key)")
            }
            let covers = (object["covers"]?.arrayValue ?? []).compactMap(\.stringValue)
            scenarios.append(Scenario(file: file, name: name, covers: covers, given: given, when: when, then: then))
        }
        return scenarios
    }

    static func matches(_ pattern: String, in text: String) -> Set<String> {
        let expression = try! NSRegularExpression(pattern: pattern)
        let range = NSRange(text.startIndex..., in: text)
        return Set(expression.matches(in: text, range: range).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        })
    }
}
