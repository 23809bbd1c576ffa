import Receivables
import XCTest

final class MoneyTests: XCTestCase {
    /// SplitMix64: tiny and fully determined by its seed, so a failing random case can be
    /// replayed by putting the printed seed back.
    private struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            return mixed ^ (mixed >> 31)
        }
    }

    private let euro = Currency.euro
    private let yen = Currency.iso4217("JPY")!
    private let bahrainDinar = Currency.iso4217("BHD")!
    private let chileUnit = Currency.iso4217("CLF")!
    private let swissFranc = Currency.iso4217("CHF")!

    private func parseError(
        _ text: String, _ currency: Currency, allowNegative: Bool = false
    ) -> MoneyParseError? {
        do {
            let money = try Money.parse(text, currency: currency, allowNegative: allowNegative)
            XCTFail("\(text.debugDescription) was accepted as \(money.minorUnits) minor units")
            return nil
        } catch {
            return error
        }
    }

    // MARK: Currency

    func testCurrencyLookup() {
        XCTAssertEqual(Currency.euro.code, "EUR")
        XCTAssertEqual(Currency.euro.minorDigits, 2)
        XCTAssertEqual(Currency.iso4217("EUR"), Currency.euro)
        XCTAssertEqual(Currency.iso4217("JPY")?.minorDigits, 0)
        XCTAssertEqual(Currency.iso4217("BHD")?.minorDigits, 3)
        XCTAssertEqual(Currency.iso4217("KWD")?.minorDigits, 3)
        XCTAssertEqual(Currency.iso4217("CLF")?.minorDigits, 4)
        XCTAssertEqual(Currency.iso4217("UYW")?.minorDigits, 4)
        XCTAssertEqual(Currency.iso4217("CLP")?.minorDigits, 0)
        XCTAssertEqual(Currency.iso4217("USD")?.minorDigits, 2)
        XCTAssertEqual(Currency.iso4217("XCG")?.minorDigits, 2)
        XCTAssertEqual(Currency.iso4217("ZWG")?.minorDigits, 2)
        for unknown in ["eur", "Eur", " EUR", "EUR ", "EU", "EURO", "", "XXX", "XAU", "XDR", "XTS", "ABC", "HRK"] {
            XCTAssertNil(Currency.iso4217(unknown), unknown)
        }
    }

    func testCurrencyListIsWellFormed() {
        let all = Currency.allISO4217
        XCTAssertGreaterThan(all.count, 150)
        XCTAssertEqual(Set(all.map(\.code)).count, all.count)
        for currency in all {
            XCTAssertEqual(currency.code.count, 3)
            XCTAssertTrue(currency.code.allSatisfy { $0.isASCII && $0.isUppercase }, currency.code)
            XCTAssertTrue([0, 2, 3, 4].contains(currency.minorDigits), currency.code)
            XCTAssertEqual(Currency.iso4217(currency.code), currency)
        }
    }

    // MARK: Parsing

    func testParsesAcceptedForms() throws {
        XCTAssertEqual(try Money.parse("1220", currency: euro).minorUnits, 122_000)
        XCTAssertEqual(try Money.parse("1220.5", currency: euro).minorUnits, 122_050)
        XCTAssertEqual(try Money.parse("1220.50", currency: euro).minorUnits, 122_050)
        XCTAssertEqual(try Money.parse("0", currency: euro), .zero)
        XCTAssertEqual(try Money.parse("0.00", currency: euro), .zero)
        XCTAssertEqual(try Money.parse("0.50", currency: euro).minorUnits, 50)
        XCTAssertEqual(try Money.parse("0.05", currency: euro).minorUnits, 5)
        XCTAssertEqual(try Money.parse("10", currency: euro).minorUnits, 1000)
        XCTAssertEqual(try Money.parse("-1", currency: euro, allowNegative: true).minorUnits, -100)
        XCTAssertEqual(try Money.parse("-3.00", currency: euro, allowNegative: true).minorUnits, -300)
        XCTAssertEqual(try Money.parse("-0.00", currency: euro, allowNegative: true), .zero)
        XCTAssertEqual(try Money.parse("5", currency: euro, allowNegative: true).minorUnits, 500)
    }

    func testRejectsMalformedText() {
        let malformed = [
            "", "1e3", "abc", " 12", "12 ", "+1", "+5", ".5", "5.", "1.", "1,5", "1 000", "1_000",
            "007", "00", "00.5", "01", "١٢٣", "１２", "1.2.3", "1..2", "--1", "-", "-.5", "- 1",
            "1-", "0x10", "∞", "NaN", "1.5e2", "12\n", "\u{200B}12", "1.-5", "1'000",
        ]
        for text in malformed {
            XCTAssertEqual(parseError(text, euro), .notADecimal(text), text.debugDescription)
            XCTAssertEqual(
                parseError(text, euro, allowNegative: true), .notADecimal(text), text.debugDescription)
        }
        // Leading zeros are rejected after a minus sign too.
        XCTAssertEqual(parseError("-007", euro, allowNegative: true), .notADecimal("-007"))
    }

    func testRejectsTooManyMinorDigits() {
        XCTAssertEqual(parseError("1220.505", euro), .tooManyMinorDigits("1220.505", allowed: 2))
        XCTAssertEqual(parseError("0.001", euro), .tooManyMinorDigits("0.001", allowed: 2))
        // Trailing zeros still count: only one spelling per number of digits is allowed.
        XCTAssertEqual(parseError("1.500", euro), .tooManyMinorDigits("1.500", allowed: 2))
        XCTAssertEqual(parseError("12.5", yen), .tooManyMinorDigits("12.5", allowed: 0))
        XCTAssertEqual(parseError("12.0", yen), .tooManyMinorDigits("12.0", allowed: 0))
        XCTAssertEqual(parseError("1.2345", bahrainDinar), .tooManyMinorDigits("1.2345", allowed: 3))
        XCTAssertEqual(parseError("1.23456", chileUnit), .tooManyMinorDigits("1.23456", allowed: 4))
    }

    func testRejectsNegativesUnlessAllowed() {
        XCTAssertEqual(parseError("-1", euro), .negativeNotAllowed("-1"))
        XCTAssertEqual(parseError("-0.00", euro), .negativeNotAllowed("-0.00"))
        XCTAssertEqual(parseError("-0", euro), .negativeNotAllowed("-0"))
        XCTAssertEqual(parseError("-1220.50", euro), .negativeNotAllowed("-1220.50"))
        XCTAssertEqual(parseError("-5", yen), .negativeNotAllowed("-5"))
    }

    func testRejectsOverflow() throws {
        XCTAssertEqual(try Money.parse("92233720368547758.07", currency: euro).minorUnits, Int64.max)
        XCTAssertEqual(
            try Money.parse("-92233720368547758.07", currency: euro, allowNegative: true).minorUnits,
            -Int64.max)
        XCTAssertEqual(parseError("92233720368547758.08", euro), .overflow("92233720368547758.08"))
        XCTAssertEqual(parseError("92233720368547758.1", euro), .overflow("92233720368547758.1"))
        XCTAssertEqual(parseError("92233720368547759", euro), .overflow("92233720368547759"))
        // Int64.min is deliberately out of range so every parsed amount can be negated.
        XCTAssertEqual(
            parseError("-92233720368547758.08", euro, allowNegative: true), .overflow("-92233720368547758.08"))
        let huge = String(repeating: "9", count: 400)
        XCTAssertEqual(parseError(huge, euro), .overflow(huge))
        XCTAssertEqual(try Money.parse("9223372036854775807", currency: yen).minorUnits, Int64.max)
        XCTAssertEqual(parseError("9223372036854775808", yen), .overflow("9223372036854775808"))
        XCTAssertEqual(try Money.parse("922337203685477.5807", currency: chileUnit).minorUnits, Int64.max)
    }

    func testCurrenciesWithOtherDigitCounts() throws {
        XCTAssertEqual(try Money.parse("1220", currency: yen).minorUnits, 1220)
        XCTAssertEqual(parseError("1220.", yen), .notADecimal("1220."))
        XCTAssertEqual(try Money.parse("1.5", currency: bahrainDinar).minorUnits, 1500)
        XCTAssertEqual(try Money.parse("1.005", currency: bahrainDinar).minorUnits, 1005)
        XCTAssertEqual(try Money.parse("2", currency: bahrainDinar).minorUnits, 2000)
        XCTAssertEqual(try Money.parse("0.0001", currency: chileUnit).minorUnits, 1)
    }

    func testErrorDescriptionsNameTheTextAndTheAcceptedForm() {
        XCTAssertEqual(
            MoneyParseError.notADecimal("1e3").description,
            "\"1e3\" is not an amount; write it as a decimal string like \"1220.50\"")
        let tooMany = MoneyParseError.tooManyMinorDigits("1220.505", allowed: 2).description
        XCTAssertTrue(tooMany.contains("\"1220.505\""), tooMany)
        XCTAssertTrue(tooMany.contains("at most 2 digits"), tooMany)
        let noMinorUnit = MoneyParseError.tooManyMinorDigits("12.5", allowed: 0).description
        XCTAssertTrue(noMinorUnit.contains("\"1220\""), noMinorUnit)
        XCTAssertTrue(MoneyParseError.negativeNotAllowed("-1").description.contains("\"-1\""))
        XCTAssertTrue(MoneyParseError.overflow("1e99").description.contains("too large"))
        // Control characters are escaped so an error message stays on one line.
        let escaped = MoneyParseError.notADecimal("12\r\nX-Header: 1").description
        XCTAssertFalse(escaped.contains("\n"), escaped)
        XCTAssertTrue(escaped.hasPrefix("\"12\\r\\nX-Header: 1\""), escaped)
    }

    // MARK: Printing

    func testCanonicalForm() {
        XCTAssertEqual(Money(minorUnits: 122_050).canonical(euro), "1220.50")
        XCTAssertEqual(Money(minorUnits: -300).canonical(euro), "-3.00")
        XCTAssertEqual(Money.zero.canonical(euro), "0.00")
        XCTAssertEqual(Money(minorUnits: 5).canonical(euro), "0.05")
        XCTAssertEqual(Money(minorUnits: -5).canonical(euro), "-0.05")
        XCTAssertEqual(Money(minorUnits: 1220).canonical(yen), "1220")
        XCTAssertEqual(Money(minorUnits: -1220).canonical(yen), "-1220")
        XCTAssertEqual(Money.zero.canonical(yen), "0")
        XCTAssertEqual(Money(minorUnits: 1005).canonical(bahrainDinar), "1.005")
        XCTAssertEqual(Money(minorUnits: 1).canonical(chileUnit), "0.0001")
        XCTAssertEqual(Money(minorUnits: Int64.max).canonical(euro), "92233720368547758.07")
        XCTAssertEqual(Money(minorUnits: Int64.min).canonical(euro), "-92233720368547758.08")
        XCTAssertEqual(Money(minorUnits: 122_050).description, "1220.50")
    }

    func testParseAndPrintRoundTripOverRandomValues() throws {
        let seed: UInt64 = 0x5EED_0000_2026_0215
        var generator = SeededGenerator(state: seed)
        let currencies = [euro, yen, bahrainDinar, chileUnit]
        for index in 0..<20_000 {
            let currency = currencies[index % currencies.count]
            // Mix full-range values with small ones, where padding and zero handling live.
            let minorUnits: Int64 =
                index % 2 == 0
                ? Int64.random(in: -Int64.max...Int64.max, using: &generator)
                : Int64.random(in: -100_000...100_000, using: &generator)
            let money = Money(minorUnits: minorUnits)
            let text = money.canonical(currency)
            do {
                let parsed = try Money.parse(text, currency: currency, allowNegative: true)
                XCTAssertEqual(parsed, money, "seed \(seed), index \(index): \(text) in \(currency.code)")
                if minorUnits >= 0 {
                    XCTAssertEqual(try Money.parse(text, currency: currency), money, "seed \(seed): \(text)")
                } else {
                    XCTAssertEqual(
                        parseError(text, currency), .negativeNotAllowed(text), "seed \(seed): \(text)")
                }
            } catch {
                XCTFail("seed \(seed), index \(index): \(text) in \(currency.code) failed: \(error)")
                return
            }
        }
    }

    func testShorterFractionsReadTheSameAsPaddedOnes() throws {
        let seed: UInt64 = 42
        var generator = SeededGenerator(state: seed)
        for _ in 0..<5_000 {
            let whole = Int64.random(in: 0...999_999_999, using: &generator)
            let tenths = Int64.random(in: 0...9, using: &generator)
            let short = "\(whole).\(tenths)"
            let padded = "\(whole).\(tenths)0"
            XCTAssertEqual(
                try Money.parse(short, currency: euro), try Money.parse(padded, currency: euro),
                "seed \(seed): \(short)")
            XCTAssertEqual(try Money.parse(short, currency: euro).canonical(euro), padded, "seed \(seed)")
        }
    }

    // MARK: Display

    func testDisplayItalian() {
        XCTAssertEqual(Money(minorUnits: 123_456).display(euro, locale: .it), "1.234,56 €")
        XCTAssertEqual(Money(minorUnits: 123_456_789).display(euro, locale: .it), "1.234.567,89 €")
        XCTAssertEqual(Money(minorUnits: -123_456).display(euro, locale: .it), "-1.234,56 €")
        XCTAssertEqual(Money.zero.display(euro, locale: .it), "0,00 €")
        XCTAssertEqual(Money(minorUnits: 5).display(euro, locale: .it), "0,05 €")
        XCTAssertEqual(Money(minorUnits: 99_999).display(euro, locale: .it), "999,99 €")
        XCTAssertEqual(Money(minorUnits: 100_000).display(euro, locale: .it), "1.000,00 €")
        XCTAssertEqual(Money(minorUnits: 123_456).display(swissFranc, locale: .it), "1.234,56 CHF")
        XCTAssertEqual(Money(minorUnits: 1_234_567).display(yen, locale: .it), "1.234.567 ¥")
        XCTAssertEqual(Money(minorUnits: 1_234_567).display(bahrainDinar, locale: .it), "1.234,567 BHD")
    }

    func testDisplayEnglish() {
        XCTAssertEqual(Money(minorUnits: 123_456).display(euro, locale: .en), "€1,234.56")
        XCTAssertEqual(Money(minorUnits: 123_456_789).display(euro, locale: .en), "€1,234,567.89")
        XCTAssertEqual(Money(minorUnits: -123_456).display(euro, locale: .en), "-€1,234.56")
        XCTAssertEqual(Money.zero.display(euro, locale: .en), "€0.00")
        XCTAssertEqual(Money(minorUnits: 123_456).display(swissFranc, locale: .en), "CHF 1,234.56")
        XCTAssertEqual(Money(minorUnits: -123_456).display(swissFranc, locale: .en), "-CHF 1,234.56")
        XCTAssertEqual(Money(minorUnits: 123_456).display(.iso4217("USD")!, locale: .en), "$1,234.56")
        XCTAssertEqual(Money(minorUnits: 123_456).display(.iso4217("GBP")!, locale: .en), "£1,234.56")
        XCTAssertEqual(Money(minorUnits: 1_234_567).display(yen, locale: .en), "¥1,234,567")
        XCTAssertEqual(Money(minorUnits: Int64.min).display(euro, locale: .en), "-€92,233,720,368,547,758.08")
    }

    func testDisplayUsesPlainSpace() {
        let text = Money(minorUnits: 100).display(euro, locale: .it)
        XCTAssertFalse(text.unicodeScalars.contains("\u{00A0}"))
        XCTAssertFalse(text.unicodeScalars.contains("\u{202F}"))
        XCTAssertEqual(text, "1,00 €")
    }

    // MARK: Arithmetic

    func testArithmetic() {
        let a = Money(minorUnits: 1050)
        let b = Money(minorUnits: 250)
        XCTAssertEqual(a + b, Money(minorUnits: 1300))
        XCTAssertEqual(a - b, Money(minorUnits: 800))
        XCTAssertEqual(b - a, Money(minorUnits: -800))
        XCTAssertEqual(a.adding(b), Money(minorUnits: 1300))
        XCTAssertEqual(a.subtracting(b), Money(minorUnits: 800))
        XCTAssertLessThan(b, a)
        XCTAssertTrue(Money.zero.isZero)
        XCTAssertFalse(Money.zero.isPositive)
        XCTAssertFalse(Money.zero.isNegative)
        XCTAssertTrue(a.isPositive)
        XCTAssertTrue((b - a).isNegative)
    }

    func testOverflowGivesNil() {
        let largest = Money(minorUnits: Int64.max)
        let smallest = Money(minorUnits: Int64.min)
        let one = Money(minorUnits: 1)
        XCTAssertNil(largest.adding(one))
        XCTAssertNil(smallest.subtracting(one))
        XCTAssertNil(smallest.adding(Money(minorUnits: -1)))
        XCTAssertNil(Money.zero.subtracting(smallest))
        XCTAssertNil(largest.subtracting(Money(minorUnits: -1)))
        XCTAssertEqual(largest.subtracting(one), Money(minorUnits: Int64.max - 1))
        XCTAssertEqual(largest.adding(smallest), Money(minorUnits: -1))
    }
}
