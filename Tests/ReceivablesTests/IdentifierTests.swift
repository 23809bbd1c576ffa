@testable import Receivables
import XCTest

final class IdentifierTests: XCTestCase {
    // MARK: IBAN

    func testValidIBANs() {
        let valid = [
            "IT60X0542811101000000123456",
            "DE89370400440532013000",
            "GB82WEST12345698765432",
            "FR1420041010050500013M02606",
            "NL91ABNA0417164300",
            "BE68539007547034",
            "CH9300762011623852957",
            "NO9386011117947",
            "AT611904300234573201",
            "ES9121000418450200051332",
        ]
        for iban in valid {
            XCTAssertEqual(Identifiers.normalizedIBAN(iban), iban)
        }
    }

    func testSpacesAndLetterCaseAreNormalized() {
        XCTAssertEqual(Identifiers.normalizedIBAN("IT60 X054 2811 1010 0000 0123 456"), "IT60X0542811101000000123456")
        XCTAssertEqual(Identifiers.normalizedIBAN("GB82 WEST 1234 5698 7654 32"), "GB82WEST12345698765432")
        XCTAssertEqual(Identifiers.normalizedIBAN("  DE89 3704 0044 0532 0130 00  "), "DE89370400440532013000")
        XCTAssertEqual(Identifiers.normalizedIBAN("gb82west12345698765432"), "GB82WEST12345698765432")
        XCTAssertEqual(Identifiers.normalizedIBAN("it60x0542811101000000123456"), "IT60X0542811101000000123456")
    }

    func testWrongCheckDigitsAreRejected() {
        XCTAssertNil(Identifiers.normalizedIBAN("IT61X0542811101000000123456"))
        XCTAssertNil(Identifiers.normalizedIBAN("DE88370400440532013000"))
        XCTAssertNil(Identifiers.normalizedIBAN("GB82WEST12345698765433"))
        // A swapped pair of digits in the account number is the classic typo mod-97 catches.
        XCTAssertNil(Identifiers.normalizedIBAN("DE89370400440532031000"))
        // 99 is congruent to 02, so only the 02...98 rule rejects it.
        XCTAssertEqual(Identifiers.normalizedIBAN("DE02370400440532000016"), "DE02370400440532000016")
        XCTAssertNil(Identifiers.normalizedIBAN("DE99370400440532000016"))
    }

    func testWrongLengthForTheCountryIsRejected() {
        XCTAssertNil(Identifiers.normalizedIBAN("IT60X054281110100000012345"))
        XCTAssertNil(Identifiers.normalizedIBAN("DE893704004405320130000"))
        XCTAssertNil(Identifiers.normalizedIBAN("DE8937040044053201300"))
        // A valid German number written with the Italian country code fails on length first.
        XCTAssertNil(Identifiers.normalizedIBAN("IT89370400440532013000"))
    }

    func testUnknownCountryIsRejected() {
        // The check digits of this one are right (mod 97 gives 1), but the US has no IBANs.
        XCTAssertNil(Identifiers.normalizedIBAN("US88370400440532013000"))
        XCTAssertNil(Identifiers.normalizedIBAN("XX89370400440532013000"))
    }

    func testMalformedIBANsAreRejected() {
        for text in [
            "", "    ", "IT", "IT60", "1T60X0542811101000000123456", "ITX0X0542811101000000123456",
            "IT60-X054-2811-1010-0000-0123-456", "IT60X0542811101000000123456\n", "IT60\tX0542811101000000123456",
            "IT60X054281110100000012345６", "IT60X05428111010000001234É6",
        ] {
            XCTAssertNil(Identifiers.normalizedIBAN(text), text.debugDescription)
        }
    }

    func testRegistryCoversAllCountries() {
        XCTAssertEqual(Identifiers.ibanCountryCount, 89)
    }

    // MARK: E-mail

    func testValidEmailAddresses() {
        for text in [
            "anna@example.com",
            "anna.rossi+fatture@mail.example.it",
            "a@b.co",
            "UPPER@EXAMPLE.COM",
            "o'brien@example.ie",
            "jürgen@müller.de",
            "x_y-z@sub-domain.example.org",
            String(repeating: "a", count: 64) + "@example.com",
        ] {
            XCTAssertTrue(Identifiers.isEmailAddress(text), text)
        }
    }

    func testInvalidEmailAddresses() {
        let domain = String(repeating: "b", count: 63) + "." + String(repeating: "c", count: 63) + "."
            + String(repeating: "d", count: 63) + ".com"
        let longest = String(repeating: "a", count: 58) + "@" + domain
        XCTAssertEqual(longest.utf8.count, 254)
        XCTAssertTrue(Identifiers.isEmailAddress(longest))
        let tooLong = "a" + longest
        for text in [
            "", "anna", "anna@", "@example.com", "anna@example", "anna@@example.com", "anna@ex@ample.com",
            "an na@example.com", "anna@example.com ", " anna@example.com", "anna@example.com\r\nBcc: x@y.com",
            "anna@example.com\n", "anna\u{0}@example.com", "anna\u{85}@example.com", "anna@example..com",
            "anna@.example.com", "anna@example.com.", ".anna@example.com", "anna.@example.com",
            "anna..rossi@example.com", "anna@-example.com", "anna@example-.com", "anna@example.c",
            "anna@example.123", "<anna@example.com>", "Anna Rossi <anna@example.com>", "anna@example.com,bob@example.com",
            "anna;bob@example.com", "\"anna\"@example.com", "anna@[192.168.0.1]", "anna@exa_mple.com",
            String(repeating: "a", count: 65) + "@example.com", tooLong,
        ] {
            XCTAssertFalse(Identifiers.isEmailAddress(text), text.debugDescription)
        }
    }

    // MARK: HTTPS URL

    func testValidHTTPSURLs() {
        for text in [
            "https://pay.example.com",
            "https://pay.example.com/",
            "https://pay.example.com/invoice?deadline={deadline}&amount={amount}",
            "https://pay.example.com/{amount}/{deadline}",
            "https://example.com:8443/pay",
            "HTTPS://Example.COM/Pay",
            "https://[::1]:8443/pay",
            "https://[2001:db8::1]/",
            "https://example.com/a%20b?q=1#fragment",
            "https://localhost/pay",
            "https://pagamenti.esempio.it/fattura?numero=12&nome=Caffè",
            "https://example.com?x=1",
        ] {
            XCTAssertTrue(Identifiers.isHTTPSURL(text), text)
        }
    }

    func testInvalidHTTPSURLs() {
        for text in [
            "", "http://example.com", "ftp://example.com", "https://", "https:///path", "https//example.com",
            "example.com", "https://exa mple.com", "https://example.com/a b", "https://example.com/\n",
            "https://example.com/\r\nX: 1", " https://example.com", "https://example.com ",
            "https://user:password@example.com/", "https://user@example.com/", "https://example.com:0/",
            "https://example.com:65536/", "https://example.com:/", "https://example.com:80a/",
            "https://example.com:123456/", "https://example.com/{dedline}", "https://example.com/{amount",
            "https://example.com/amount}", "https://example.com/{}", "https://{amount}.example.com/",
            "https://example.com/%zz", "https://example.com/%2", "https://example.com/<x>",
            "https://example.com/\"x\"", "https://example.com/a\\b", "https://example.com/a|b",
            "https://-bad.example.com/", "https://example..com/", "https://.example.com/",
            "https://[::1/", "https://[zz::1]/", "https://[::1]x/", "https://exa_mple.com/",
            "https://example.com/\u{7F}", "https://example.com/\u{85}",
        ] {
            XCTAssertFalse(Identifiers.isHTTPSURL(text), text.debugDescription)
        }
    }

    // MARK: Ids

    func testValidIds() {
        for text in [
            "a", "INV-2026-001", "Fattura n° 12", "cliente rossi", "ünïcödé", "🙂",
            String(repeating: "x", count: 64), String(repeating: "e\u{301}", count: 32),
        ] {
            XCTAssertTrue(Identifiers.isValidId(text), text.debugDescription)
        }
    }

    func testInvalidIds() {
        for text in [
            "", " a", "a ", "\ta", "a\t", "a\nb", "a\rb", "a\u{0}b", "a\u{7F}b", "a\u{80}b", "a\u{85}b",
            "a\u{9F}b", "a\u{A0}", "\u{3000}a", "a\u{2028}",
            String(repeating: "x", count: 65),
            // 33 characters but 66 scalars: the limit counts scalars.
            String(repeating: "e\u{301}", count: 33),
        ] {
            XCTAssertFalse(Identifiers.isValidId(text), text.debugDescription)
        }
        XCTAssertEqual(String(repeating: "e\u{301}", count: 33).count, 33)
    }

    /// The byte-wise check of ASCII addresses answers as the check by characters does, on
    /// addresses built from the pieces that matter (dots, hyphens, at signs, digits, forbidden
    /// and control characters) in random arrangements.
    func testASCIIAddressesAreJudgedAsByCharacters() {
        let seed: UInt64 = 0xE3A1_1ADD_2E55
        var random = SplitMix64(seed: seed)
        let localPieces = ["a", "Zb", "0", "7", "-", ".", "_", "+", "%", "x.y", "!", "#", "~", "'", "{", "}", "/", "="]
        let labels = ["com", "it", "x-y", "123", "c0", "Q", "-x", "x-", "", "a_b"]
        let strays = [" ", "\t", "\r\n", "\u{7F}", "\u{01}", "(", ")", "<", ">", "[", "]", "\\", ",", ";", ":", "\"", "@", ".", "..", "-"]
        func pick(_ list: [String]) -> String { list[Int.random(in: 0..<list.count, using: &random)] }
        var accepted = 0
        for _ in 0..<50_000 {
            var local = ""
            for _ in 0..<Int.random(in: 0...3, using: &random) { local += pick(localPieces) }
            var domain: [String] = []
            for _ in 0..<Int.random(in: 1...3, using: &random) { domain.append(pick(labels)) }
            var text = local + "@" + domain.joined(separator: ".")
            if Int.random(in: 0..<4, using: &random) == 0 {
                var characters = Array(text)
                characters.insert(contentsOf: pick(strays), at: Int.random(in: 0...characters.count, using: &random))
                text = String(characters)
            }
            let bytewise = Identifiers.isASCIIEmailAddress(text)
            XCTAssertNotNil(bytewise, "seed \(seed): \(text.debugDescription) is ASCII")
            XCTAssertEqual(bytewise, Identifiers.isEmailAddressOfAnyScript(text), "seed \(seed): \(text.debugDescription)")
            if bytewise == true { accepted += 1 }
        }
        XCTAssertGreaterThan(accepted, 1_000, "seed \(seed): too few valid addresses to compare the two checks on")
        XCTAssertNil(Identifiers.isASCIIEmailAddress("mario@caffè.it"))
        XCTAssertTrue(Identifiers.isEmailAddress("mario@caffè.it"))
    }
}
