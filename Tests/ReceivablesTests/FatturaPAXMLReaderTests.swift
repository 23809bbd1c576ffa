import Foundation
import XCTest
@testable import Receivables

/// The strict XML reader under the FatturaPA import: what it reads, what it refuses, and that
/// nothing makes it crash or hang.
final class FatturaPAXMLReaderTests: XCTestCase {
    private func parse(_ text: String, limits: XMLReader.Limits = .standard) throws -> XMLReader.Document {
        try XMLReader.parse(Array(text.utf8), limits: limits)
    }

    private func failure(_ bytes: [UInt8], limits: XMLReader.Limits = .standard, file: StaticString = #filePath,
                         line: UInt = #line) -> XMLReader.Failure? {
        do {
            let document = try XMLReader.parse(bytes, limits: limits)
            XCTFail("expected a failure, read <\(document.root.name)>", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    private func failure(_ text: String, limits: XMLReader.Limits = .standard, file: StaticString = #filePath,
                         line: UInt = #line) -> XMLReader.Failure? {
        failure(Array(text.utf8), limits: limits, file: file, line: line)
    }

    func testReadsElementsAttributesTextNamespacesAndLines() throws {
        let document = try parse("""
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <?xml-stylesheet type="text/xsl" href="fattura.xsl"?>
            <!-- a comment before the root -->
            <p:Root xmlns:p="urn:p" xmlns="urn:default" versione='FPR12' p:flag="a&amp;b&#9;c">
              <Child>Caff&#xE8; &lt;&gt;&amp;&apos;&quot; <![CDATA[<raw> & ]]>ok</Child>
              <!-- inside -->
              <?pi some data?>
              <Empty/>
              <Other xmlns="">x</Other>
            </p:Root>
            <!-- after -->
            """)
        let root = document.root
        XCTAssertEqual(document.encoding, .utf8)
        XCTAssertEqual(root.name, "Root")
        XCTAssertEqual(root.prefix, "p")
        XCTAssertEqual(root.namespace, "urn:p")
        XCTAssertEqual(root.line, 4)
        XCTAssertEqual(root.attribute("versione"), "FPR12")
        XCTAssertEqual(root.attributes.first { $0.name == "flag" }?.value, "a&b\tc")
        XCTAssertEqual(root.attributes.first { $0.name == "flag" }?.prefix, "p")
        XCTAssertEqual(root.children.map(\.name), ["Child", "Empty", "Other"])
        let child = try XCTUnwrap(root.child("Child"))
        XCTAssertEqual(child.text, "Caffè <>&'\" <raw> & ok")
        XCTAssertEqual(child.namespace, "urn:default")
        XCTAssertEqual(child.line, 5)
        XCTAssertEqual(root.child("Empty")?.text, "")
        XCTAssertEqual(root.child("Empty")?.line, 8)
        XCTAssertNil(root.child("Other")?.namespace)
        XCTAssertEqual(root.descendant("Other")?.text, "x")
    }

    func testLineEndsAndAttributeWhiteSpaceAreNormalized() throws {
        let document = try XMLReader.parse(Array("<a\r\n b=\"x\ty\r\nz\">one\r\ntwo\rthree<c/>\r\r<d/></a>".utf8))
        XCTAssertEqual(document.root.text, "one\ntwo\nthree\n\n")
        XCTAssertEqual(document.root.attribute("b"), "x y z")
        XCTAssertEqual(document.root.children.map(\.line), [5, 7])
    }

    func testEncodings() throws {
        // No declaration: UTF-8.
        XCTAssertEqual(try XMLReader.parse(Array("<a>è</a>".utf8)).root.text, "è")
        // A UTF-8 BOM is skipped, with or without a declaration.
        XCTAssertEqual(try XMLReader.parse([0xEF, 0xBB, 0xBF] + Array("<a>è</a>".utf8)).root.text, "è")
        XCTAssertEqual(try XMLReader.parse([0xEF, 0xBB, 0xBF] + Array("<?xml version=\"1.0\" encoding=\"utf-8\"?><a/>".utf8)).encoding, .utf8)
        // ISO-8859-1: every byte is the code point.
        let latin1 = try XMLReader.parse(Array("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>Caff".utf8) + [0xE8, 0x80] + Array("</a>".utf8))
        XCTAssertEqual(latin1.encoding, .latin1)
        XCTAssertEqual(latin1.root.text, "Caffè\u{80}")
        // windows-1252: 0x80 is the euro sign, 0x92 a right quote.
        let windows = try XMLReader.parse(Array("<?xml version='1.0' encoding='Windows-1252'?><a>".utf8) + [0x80, 0x20, 0xE8, 0x92] + Array("</a>".utf8))
        XCTAssertEqual(windows.encoding, .windows1252)
        XCTAssertEqual(windows.root.text, "€ è\u{2019}")
        // Bytes windows-1252 leaves undefined, a non-ASCII byte in US-ASCII, unknown encodings,
        // UTF-16 and a BOM that contradicts the declaration are refused with the line.
        let undefined = failure(Array("<?xml version='1.0' encoding='windows-1252'?>\n<a>".utf8) + [0x81] + Array("</a>".utf8))
        XCTAssertEqual(undefined?.kind, .notWellFormed)
        XCTAssertEqual(undefined?.line, 2)
        XCTAssertEqual(failure(Array("<?xml version='1.0' encoding='US-ASCII'?><a>".utf8) + [0xE8] + Array("</a>".utf8))?.kind, .notWellFormed)
        let ebcdic = failure("<?xml version='1.0' encoding='EBCDIC-IT'?><a/>")
        XCTAssertEqual(ebcdic?.kind, .unsupportedEncoding)
        XCTAssertTrue(ebcdic?.message.contains("EBCDIC-IT") ?? false)
        XCTAssertEqual(failure([0xFF, 0xFE, 0x3C, 0x00, 0x61, 0x00, 0x2F, 0x00, 0x3E, 0x00])?.kind, .unsupportedEncoding)
        XCTAssertEqual(failure([0xEF, 0xBB, 0xBF] + Array("<?xml version='1.0' encoding='ISO-8859-1'?><a/>".utf8))?.kind, .unsupportedEncoding)
        // Invalid UTF-8 (a Latin-1 file without its declaration) is named with its line.
        let invalid = failure(Array("<a>\n\nCaff".utf8) + [0xE8] + Array("</a>".utf8))
        XCTAssertEqual(invalid?.kind, .notWellFormed)
        XCTAssertEqual(invalid?.line, 3)
        XCTAssertTrue(invalid?.message.contains("0xE8") ?? false, invalid?.message ?? "")
        // Overlong forms, surrogates and U+FFFE are not characters.
        XCTAssertNotNil(failure(Array("<a>".utf8) + [0xC0, 0xAF] + Array("</a>".utf8)))
        XCTAssertNotNil(failure(Array("<a>".utf8) + [0xED, 0xA0, 0x80] + Array("</a>".utf8)))
        XCTAssertNotNil(failure(Array("<a>".utf8) + [0xEF, 0xBF, 0xBE] + Array("</a>".utf8)))
    }

    func testRefusesDoctypesAndNamedEntities() throws {
        let doctype = failure("<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY x \"y\">]>\n<a>&x;</a>")
        XCTAssertEqual(doctype?.kind, .forbiddenMarkup)
        XCTAssertEqual(doctype?.line, 2)
        XCTAssertTrue(doctype?.message.contains("DOCTYPE") ?? false)
        XCTAssertEqual(failure("<!DOCTYPE a SYSTEM \"http://example.com/a.dtd\"><a/>")?.kind, .forbiddenMarkup)
        XCTAssertEqual(failure("<a><!DOCTYPE a></a>")?.kind, .forbiddenMarkup)
        let entity = failure("<a>\n&nbsp;</a>")
        XCTAssertEqual(entity?.kind, .forbiddenMarkup)
        XCTAssertEqual(entity?.line, 2)
        XCTAssertTrue(entity?.message.contains("&nbsp;") ?? false)
        XCTAssertEqual(failure("<a b=\"&x;\"/>")?.kind, .forbiddenMarkup)
    }

    func testNotWellFormedInputsAreNamedWithTheirLine() {
        let cases: [(String, Int, String)] = [
            ("", 1, "no element"),
            ("   \n  ", 2, "no element"),
            ("hello", 1, "this is not XML: it starts with \"hello\""),
            ("\n\n%PDF", 3, "not XML"),
            ("<?xml version=\"1.0\"?>\nhello", 2, "expected the root element"),
            ("<a>\n<b>\n</a>", 3, "does not close"),
            ("<a>\n<b>", 2, "ends before"),
            ("<a/><b/>", 1, "second root"),
            ("<a/>text", 1, "text after"),
            ("<a b=c/>", 1, "quotes"),
            ("<a b=\"1\" b=\"2\"/>", 1, "twice"),
            ("<a b=\"<\"/>", 1, "not allowed in an attribute"),
            ("<a b=\"1\"c=\"2\"/>", 1, "white space"),
            ("<a>\n<!-- x -- y --></a>", 2, "--"),
            ("<a>x ]]> y</a>", 1, "]]>"),
            ("<a>x & y</a>", 1, "&amp;"),
            ("<a>&#0;</a>", 1, "not a character"),
            ("<a>&#xD800;</a>", 1, "not a character"),
            ("<a>&#x110000;</a>", 1, "beyond"),
            ("<a>&#12a;</a>", 1, "unexpected character"),
            ("<a>\u{1}</a>", 1, "control character"),
            ("<a>\n<?xml version=\"1.0\"?></a>", 2, "very start"),
            (" <?xml version=\"1.0\"?><a/>", 1, "very start"),
            ("<?xml encoding=\"UTF-8\"?><a/>", 1, "version"),
            ("<?xml version=\"2.0\"?><a/>", 1, "version"),
            ("<?xml version=\"1.0\" standalone=\"maybe\"?><a/>", 1, "standalone"),
            ("<p:a/>", 1, "not declared"),
            ("<a xmlns:p=\"urn:p\"><b p:c=\"1\" q:d=\"2\"/></a>", 1, "not declared"),
            ("<a:b:c xmlns:a=\"urn:a\"/>", 1, "qualified name"),
            ("<a xmlns:p=\"\"/>", 1, "namespace declaration"),
            ("<a><![CDATA[open</a>", 1, "CDATA"),
            ("<a><!-- open</a>", 1, "comment"),
            ("<a><?pi open</a>", 1, "processing instruction"),
            ("<a><!ELEMENT a ANY></a>", 1, "markup declarations"),
            ("<a>< b/></a>", 1, "must start a tag"),
            ("<a></ a>", 1, "element name"),
        ]
        for (text, line, fragment) in cases {
            guard let failure = failure(text) else { continue }
            XCTAssertEqual(failure.kind, .notWellFormed, "\(text.debugDescription): \(failure)")
            XCTAssertEqual(failure.line, line, "\(text.debugDescription): \(failure)")
            XCTAssertTrue(failure.message.contains(fragment), "\(text.debugDescription): \(failure.message)")
        }
    }

    func testLimits() throws {
        var limits = XMLReader.Limits.standard
        let deep = String(repeating: "<a>", count: 65) + String(repeating: "</a>", count: 65)
        XCTAssertEqual(failure(deep)?.kind, .limitExceeded)
        let justDeepEnough = String(repeating: "<a>", count: 64) + String(repeating: "</a>", count: 64)
        XCTAssertNoThrow(try parse(justDeepEnough))

        limits.maximumElements = 10
        XCTAssertEqual(failure("<a>" + String(repeating: "<b/>", count: 10) + "</a>", limits: limits)?.kind, .limitExceeded)
        XCTAssertNoThrow(try parse("<a>" + String(repeating: "<b/>", count: 9) + "</a>", limits: limits))

        let attributes = (0...64).map { "a\($0)=\"\($0)\"" }.joined(separator: " ")
        XCTAssertEqual(failure("<a \(attributes)/>")?.kind, .limitExceeded)

        XCTAssertEqual(failure("<" + String(repeating: "n", count: 300) + "/>")?.kind, .limitExceeded)

        limits = .standard
        limits.maximumBytes = 100
        let big = failure("<a>" + String(repeating: "x", count: 100) + "</a>", limits: limits)
        XCTAssertEqual(big?.kind, .limitExceeded)
        XCTAssertEqual(big?.line, 1)

        // The default element bound: 100,000.
        let many = "<a>" + String(repeating: "<b/>", count: 100_000) + "</a>"
        XCTAssertEqual(failure(many)?.kind, .limitExceeded)
    }

    func testBillionLaughsAndExternalEntitiesAreRefusedAtOnce() throws {
        for name in ["billion_laughs.xml", "external_entity.xml"] {
            let bytes = try FatturaPATestSupport.own(name)
            let started = Date()
            let failure = failure(bytes)
            XCTAssertLessThan(Date().timeIntervalSince(started), 0.5, name)
            XCTAssertEqual(failure?.kind, .forbiddenMarkup, name)
            XCTAssertEqual(failure?.line, 2, name)
        }
    }

    /// Deep and wide hostile shapes end quickly in a typed failure, never a crash.
    func testHostileShapesFailFast() {
        let started = Date()
        let deep = String(repeating: "<a>", count: 1_000_000)
        XCTAssertEqual(failure(deep)?.kind, .limitExceeded)
        let unclosedAttribute = "<a b=\"" + String(repeating: "x", count: 1_000_000)
        XCTAssertEqual(failure(unclosedAttribute)?.kind, .notWellFormed)
        let manyReferences = "<a>" + String(repeating: "&#x10FFFF;", count: 100_000) + "</a>"
        XCTAssertNoThrow(try parse(manyReferences))
        let longComment = "<a><!--" + String(repeating: "-x", count: 500_000) + "</a>"
        XCTAssertEqual(failure(longComment)?.kind, .notWellFormed)
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }

    /// Random damage to a real-shaped invoice: every outcome is a tree or a typed failure.
    func testFuzzedInvoicesNeverCrash() throws {
        let seed = try FatturaPATestSupport.own("IT01234567890_two_bodies.xml")
        var generator = SplitMix(state: 0x5EED_F477)
        let tokens: [[UInt8]] = ["<", ">", "&", "&amp;", "&#", "]]>", "<!--", "-->", "<![CDATA[", "<?", "?>", "\"", "'",
                                 "=", "</", "/>", "<!DOCTYPE", "xmlns:p=\"\"", ":", "\u{0}", "\r", "é"].map { Array($0.utf8) }
        var outcomes = (trees: 0, failures: 0)
        let started = Date()
        for _ in 0..<3000 {
            var bytes = seed
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<5, using: &generator) {
                case 0: bytes[position] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...40, using: &generator)))
                case 2: bytes.insert(contentsOf: tokens.randomElement(using: &generator)!, at: position)
                case 3: bytes = Array(bytes[..<position])
                default:
                    let length = min(200, bytes.count - position)
                    bytes.insert(contentsOf: bytes[position..<(position + length)], at: position)
                }
                if bytes.isEmpty { bytes = [0x3C] }
            }
            do {
                _ = try XMLReader.parse(bytes)
                outcomes.trees += 1
            } catch {
                outcomes.failures += 1
                XCTAssertGreaterThanOrEqual(error.line, 1)
                XCTAssertFalse(error.message.isEmpty)
            }
            // The importer on top must answer the same way: documents or a FatturaPAError.
            _ = try? FatturaPA.read(bytes, fileName: "fuzz.xml")
        }
        XCTAssertGreaterThan(outcomes.failures, 0)
        XCTAssertLessThan(Date().timeIntervalSince(started), 30)
    }

    private struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            return mixed ^ (mixed >> 31)
        }
    }
}
