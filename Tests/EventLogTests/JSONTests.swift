import Foundation
import XCTest

import EventLog

// MARK: - Test support

/// SplitMix64: small, fast and fully determined by its seed, so any failure can be
/// replayed from the seed printed with it.
private struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// Seeds for the randomized tests: a fixed one so every run covers known ground,
/// plus a fresh one (or JSON_TEST_SEED to replay a failure).
private func testSeeds() -> [UInt64] {
    if let text = ProcessInfo.processInfo.environment["JSON_TEST_SEED"], let seed = UInt64(text) {
        return [seed]
    }
    return [0x5EED_0000_0000_0001, UInt64.random(in: 1...UInt64.max)]
}

/// Random JSON values that reach the awkward corners: every escape class, the
/// characters whose UTF-16 and code point orders disagree, canonically equivalent
/// names, and numbers across the whole Double range.
private enum RandomJSON {
    static func value(depth: Int, using generator: inout SeededGenerator) -> JSONValue {
        let kinds = depth <= 0 ? 4 : 6
        switch Int.random(in: 0..<kinds, using: &generator) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .number(number(using: &generator))
        case 3: return .string(string(using: &generator))
        case 4:
            let count = Int.random(in: 0..<5, using: &generator)
            return .array((0..<count).map { _ in value(depth: depth - 1, using: &generator) })
        default:
            // Sometimes large enough that JSONObject switches to its hash index.
            let count = Bool.random(using: &generator)
                ? Int.random(in: 0..<5, using: &generator) : Int.random(in: 10..<24, using: &generator)
            var object = JSONObject()
            for _ in 0..<count {
                object[string(using: &generator)] = value(depth: depth - 1, using: &generator)
            }
            return .object(object)
        }
    }

    static func number(using generator: inout SeededGenerator) -> Double {
        switch Int.random(in: 0..<7, using: &generator) {
        case 0:
            while true {
                let candidate = Double(bitPattern: generator.next())
                if candidate.isFinite { return candidate }
            }
        case 1:
            return Double(Int.random(in: -1_000_000...1_000_000, using: &generator))
        case 2:
            return Double(Int64.random(in: Int64.min...Int64.max, using: &generator))
        case 3:
            let cents = Double(Int.random(in: -1_000_000_000...1_000_000_000, using: &generator))
            let scales: [Double] = [1, 10, 100, 1000, 1e6, 1e9]
            return cents / scales[Int.random(in: 0..<scales.count, using: &generator)]
        case 4:
            let specials: [Double] = [
                0, -0.0, 1e21, 1e-7, 1e-6, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .greatestFiniteMagnitude, 9_007_199_254_740_992,
                1e23, 0.1, 0.2, 0.3, 1e20, decimal("123456789012345680000"), decimal("999999999999999900000"), 2.2250738585072014e-308,
            ]
            return specials[Int.random(in: 0..<specials.count, using: &generator)]
        case 5:
            let exponent = Double(Int.random(in: -30...30, using: &generator))
            return Double.random(in: -1..<1, using: &generator) * pow(10, exponent)
        default:
            return Double.random(in: -1e25...1e25, using: &generator)
        }
    }

    static func string(using generator: inout SeededGenerator) -> String {
        var scalars = String.UnicodeScalarView()
        let length = Int.random(in: 0..<12, using: &generator)
        for _ in 0..<length {
            let code: UInt32
            switch Int.random(in: 0..<10, using: &generator) {
            case 0, 1, 2: code = UInt32.random(in: 0x20...0x7E, using: &generator)
            case 3: code = UInt32.random(in: 0x00...0x1F, using: &generator)
            case 4: code = [0x22, 0x5C, 0x2F, 0x7F, 0x2028, 0x2029, 0x0301, 0xFEFF][Int.random(in: 0..<8, using: &generator)]
            case 5: code = UInt32.random(in: 0x80...0xFF, using: &generator)
            case 6: code = UInt32.random(in: 0x100...0xD7FF, using: &generator)
            case 7: code = UInt32.random(in: 0xE000...0xFFFF, using: &generator)
            default: code = UInt32.random(in: 0x10000...0x10FFFF, using: &generator)
            }
            if let scalar = Unicode.Scalar(code) { scalars.append(scalar) }
        }
        return String(scalars)
    }
}

/// A Double from decimal text, for values whose literals the compiler warns about.
private func decimal(_ text: String) -> Double {
    Double(text) ?? .nan
}

private func double(bits: UInt64) -> Double {
    Double(bitPattern: bits)
}

private func parse(_ text: String, limits: JSONParser.Limits = .init()) throws(JSONParseError) -> JSONValue {
    try JSONParser.parse(text, limits: limits)
}

/// The error a parse must raise, or a test failure naming the input.
private func parseError(_ bytes: [UInt8], limits: JSONParser.Limits = .init(), file: StaticString = #filePath, line: UInt = #line) -> JSONParseError? {
    do {
        let value = try JSONParser.parse(bytes, limits: limits)
        XCTFail("accepted \(String(decoding: bytes, as: UTF8.self).debugDescription) as \(value)", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

// MARK: - RFC 8785

final class CanonicalJSONTests: XCTestCase {
    /// RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical text.
    func testAppendixBNumbers() throws {
        let table: [(UInt64, String)] = [
            (0x0000_0000_0000_0000, "0"),
            (0x8000_0000_0000_0000, "0"),
            (0x0000_0000_0000_0001, "5e-324"),
            (0x8000_0000_0000_0001, "-5e-324"),
            (0x7FEF_FFFF_FFFF_FFFF, "1.7976931348623157e+308"),
            (0xFFEF_FFFF_FFFF_FFFF, "-1.7976931348623157e+308"),
            (0x4340_0000_0000_0000, "9007199254740992"),
            (0xC340_0000_0000_0000, "-9007199254740992"),
            (0x4430_0000_0000_0000, "295147905179352830000"),
            (0x44B5_2D02_C7E1_4AF5, "9.999999999999997e+22"),
            (0x44B5_2D02_C7E1_4AF6, "1e+23"),
            (0x44B5_2D02_C7E1_4AF7, "1.0000000000000001e+23"),
            (0x444B_1AE4_D6E2_EF4E, "999999999999999700000"),
            (0x444B_1AE4_D6E2_EF4F, "999999999999999900000"),
            (0x444B_1AE4_D6E2_EF50, "1e+21"),
            (0x3EB0_C6F7_A0B5_ED8C, "9.999999999999997e-7"),
            (0x3EB0_C6F7_A0B5_ED8D, "0.000001"),
            (0x41B3_DE43_5555_5553, "333333333.3333332"),
            (0x41B3_DE43_5555_5554, "333333333.33333325"),
            (0x41B3_DE43_5555_5555, "333333333.3333333"),
            (0x41B3_DE43_5555_5556, "333333333.3333334"),
            (0x41B3_DE43_5555_5557, "333333333.33333343"),
            (0xBECB_F647_612F_3696, "-0.0000033333333333333333"),
            (0x4314_3FF3_C1CB_0959, "1424953923781206.2"),
        ]
        // The table's NaN and Infinity rows are left out: they are outside JSON,
        // the parser never produces them and formatNumber treats them as a bug.
        for (bits, expected) in table {
            let value = double(bits: bits)
            XCTAssertEqual(CanonicalJSON.formatNumber(value), expected, "bits 0x\(String(bits, radix: 16))")
            XCTAssertEqual(CanonicalJSON.string(.number(value)), expected)
            // The text must read back as the same Double.
            XCTAssertEqual(try parse(expected), .number(value), expected)
        }
    }

    func testNumberLayoutBoundaries() {
        let cases: [(Double, String)] = [
            (1, "1"), (-1, "-1"), (100, "100"), (1.5, "1.5"), (-1.5, "-1.5"), (0.1, "0.1"),
            (1e-7, "1e-7"), (0.000001, "0.000001"), (0.0000012345, "0.0000012345"), (1.2345e-7, "1.2345e-7"),
            (1e20, "100000000000000000000"), (1e21, "1e+21"), (1.5e21, "1.5e+21"),
            (1.2345678901234568e20, "123456789012345680000"), (1e16, "10000000000000000"),
            (decimal("12345678901234567"), "12345678901234568"), (1e300, "1e+300"), (1.5e-300, "1.5e-300"),
            (-0.0, "0"), (123.456, "123.456"), (1e-6, "0.000001"), (4.5, "4.5"), (2e-3, "0.002"),
            (1e30, "1e+30"), (1e-27, "1e-27"), (9_007_199_254_740_991, "9007199254740991"),
            (decimal("-9007199254740993"), "-9007199254740992"), (18_014_398_509_481_984, "18014398509481984"),
        ]
        for (value, expected) in cases {
            XCTAssertEqual(CanonicalJSON.formatNumber(value), expected, "\(value)")
        }
    }

    /// RFC 8785 section 3.2.3: names sort by UTF-16 code units.
    func testSection323SortingExample() throws {
        let input = #"""
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """#
        let value = try parse(input)
        let expectedOrder = [
            "Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis", "Euro Sign",
            "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh",
        ]
        let canonical = try parse(CanonicalJSON.string(value))
        XCTAssertEqual(canonical.objectValue?.members.map { $0.value.stringValue ?? "" }, expectedOrder)
        XCTAssertEqual(
            CanonicalJSON.string(value),
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\","
                + "\"\u{F6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20AC}\":\"Euro Sign\","
                + "\"\u{1F600}\":\"Emoji: Grinning Face\",\"\u{FB33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        )
    }

    /// RFC 8785 section 3.2.2's input and the canonical output section 3.2.3 gives for it.
    func testSection322Example() throws {
        let input = #"""
            {
              "numbers": [333333333.33333329, 1E30, 4.50,
                          2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """#
        let expected = #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"#
            + #""string":"€$\u000f\nA'B\"\\\\\"/"}"#
        let value = try parse(input)
        XCTAssertEqual(CanonicalJSON.string(value), expected)
        XCTAssertEqual(CanonicalJSON.bytes(value), Array(expected.utf8))
        var appended: [UInt8] = [0x41]
        CanonicalJSON.write(value, into: &appended)
        XCTAssertEqual(appended, [0x41] + Array(expected.utf8))
    }

    func testStringEscaping() {
        var output: [UInt8] = []
        JSONWriter.writeString("a\"b\\c/d\u{8}\u{C}\n\r\t\u{0}\u{1F}\u{7F}\u{2028}\u{2029}é😀", into: &output)
        XCTAssertEqual(
            String(decoding: output, as: UTF8.self),
            "\"a\\\"b\\\\c/d\\b\\f\\n\\r\\t\\u0000\\u001f\u{7F}\u{2028}\u{2029}é😀\""
        )
        XCTAssertEqual(CanonicalJSON.string(.string("")), "\"\"")
        XCTAssertEqual(CanonicalJSON.string(.string("\u{1B}")), "\"\\u001b\"")
    }

    func testLiteralsAndNesting() {
        let value: JSONValue = ["b": [true, false, nil], "a": ["y": 1, "x": "s"], "": []]
        XCTAssertEqual(CanonicalJSON.string(value), #"{"":[],"a":{"x":"s","y":1},"b":[true,false,null]}"#)
        XCTAssertEqual(CanonicalJSON.string(.object(JSONObject())), "{}")
    }

    /// Supplementary characters (surrogate pairs) sort before U+E000–U+FFFF in UTF-16
    /// although their code points are larger.
    func testUTF16OrderAgainstSwiftUTF16Views() {
        for seed in testSeeds() {
            var generator = SeededGenerator(seed: seed)
            for _ in 0..<300 {
                var object = JSONObject()
                for _ in 0..<Int.random(in: 2..<8, using: &generator) {
                    object[RandomJSON.string(using: &generator)] = .null
                }
                let expected = object.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
                let canonical = try? JSONParser.parse(CanonicalJSON.bytes(.object(object)))
                let scalars = { (keys: [String]) in keys.map { Array($0.unicodeScalars) } }
                XCTAssertEqual(canonical?.objectValue.map { scalars($0.keys) }, scalars(expected), "seed \(seed)")
            }
        }
        XCTAssertEqual(CanonicalJSON.string(["\u{FFFF}": 1, "\u{10000}": 2, "\u{E000}": 3, "\u{D7FF}": 4]),
                       "{\"\u{D7FF}\":4,\"\u{10000}\":2,\"\u{E000}\":3,\"\u{FFFF}\":1}")
    }

    func testCanonicalFormIgnoresMemberOrder() {
        for seed in testSeeds() {
            var generator = SeededGenerator(seed: seed)
            for _ in 0..<200 {
                guard case .object(let object) = RandomJSON.value(depth: 3, using: &generator) else { continue }
                let shuffled = JSONObject(object.members.shuffled(using: &generator).map { ($0.key, $0.value) })
                XCTAssertEqual(CanonicalJSON.bytes(.object(object)), CanonicalJSON.bytes(.object(shuffled)), "seed \(seed)")
                XCTAssertEqual(JSONValue.object(object), .object(shuffled), "seed \(seed)")
                XCTAssertEqual(JSONValue.object(object).hashValue, JSONValue.object(shuffled).hashValue, "seed \(seed)")
            }
        }
    }

    /// Compares with the Python `rfc8785` package, an independent implementation.
    func testAgreesWithPythonRFC8785() throws {
        let probe = runPython(["-c", "import rfc8785"], input: Data())
        guard let probe, probe.status == 0 else {
            throw XCTSkip("python3 or its rfc8785 module is missing, so the comparison with Python's rfc8785 is skipped")
        }
        let script = """
            import sys, json, rfc8785
            for line in sys.stdin.buffer.read().split(b"\\n"):
                if line:
                    value = json.loads(line, parse_int=float)
                    sys.stdout.write(rfc8785.dumps(value).hex() + "\\n")
            """
        for seed in testSeeds() {
            var generator = SeededGenerator(seed: seed)
            let values = (0..<200).map { _ in RandomJSON.value(depth: 4, using: &generator) }
            // Python reads our member-order-keeping compact form and canonicalizes it itself.
            let input = values.map { JSONWriter.compact($0) }.joined(separator: "\n") + "\n"
            guard let result = runPython(["-c", script], input: Data(input.utf8)), result.status == 0 else {
                XCTFail("python3 failed for seed \(seed)")
                continue
            }
            let lines = String(decoding: result.output, as: UTF8.self).split(separator: "\n")
            XCTAssertEqual(lines.count, values.count, "seed \(seed)")
            for (value, line) in zip(values, lines) {
                let ours = CanonicalJSON.bytes(value).map { String(format: "%02x", $0) }.joined()
                XCTAssertEqual(ours, String(line), "seed \(seed): \(JSONWriter.compact(value))")
            }
        }
    }

    private func runPython(_ arguments: [String], input: Data) -> (status: Int32, output: Data)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let standardInput = Pipe()
        let standardOutput = Pipe()
        process.standardInput = standardInput
        process.standardOutput = standardOutput
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        // Python reads all of its input before writing, so writing first cannot deadlock.
        standardInput.fileHandleForWriting.write(input)
        try? standardInput.fileHandleForWriting.close()
        let output = standardOutput.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}

// MARK: - Parser

final class JSONParserTests: XCTestCase {
    func testAcceptsScalars() throws {
        XCTAssertEqual(try parse("null"), .null)
        XCTAssertEqual(try parse("true"), .bool(true))
        XCTAssertEqual(try parse(" \t\r\nfalse \n"), .bool(false))
        XCTAssertEqual(try parse("0"), .number(0))
        XCTAssertEqual(try parse("-0").numberValue?.sign, .minus)
        XCTAssertEqual(try parse("123"), .number(123))
        XCTAssertEqual(try parse("-123.5e2"), .number(-12350))
        XCTAssertEqual(try parse("1E+2"), .number(100))
        XCTAssertEqual(try parse("1e-2"), .number(0.01))
        XCTAssertEqual(try parse("0.1"), .number(0.1))
        XCTAssertEqual(try parse("12345678901234567890"), .number(decimal("12345678901234567890")))
        XCTAssertEqual(try parse("-9007199254740993"), .number(-9007199254740992))
        XCTAssertEqual(try parse("1e-400"), .number(0), "underflow rounds to zero, it does not overflow")
        XCTAssertEqual(try parse("1.7976931348623157e308"), .number(.greatestFiniteMagnitude))
        XCTAssertEqual(try parse("\"\""), .string(""))
        XCTAssertEqual(try parse(#""plain ascii""#), .string("plain ascii"))
    }

    func testStringEscapesAndUnicode() throws {
        XCTAssertEqual(try parse(#""\"\\\/\b\f\n\r\t""#), .string("\"\\/\u{8}\u{C}\n\r\t"))
        XCTAssertEqual(try parse(#""\u0000\u001F\u00e9\u20AC""#), .string("\u{0}\u{1F}é€"))
        XCTAssertEqual(try parse(#""\ud83d\ude00 and \uD83D\uDE00""#), .string("😀 and 😀"))
        XCTAssertEqual(try parse("\"é€😀\u{7F}\u{2028}\""), .string("é€😀\u{7F}\u{2028}"))
        XCTAssertEqual(try parse(#""mixed é \n 😀 tail""#), .string("mixed é \n 😀 tail"))
        // Lengths around the eight-byte scanning step, with the interesting byte at
        // every position.
        for length in 0..<20 {
            for position in 0..<max(length, 1) {
                var characters = Array(repeating: Character("a"), count: length)
                if length > 0 { characters[position] = "é" }
                let text = String(characters)
                XCTAssertEqual(try parse("\"\(text)\""), .string(text))
                if length > 0 {
                    var bytes = Array("\"\(String(repeating: "a", count: length))\"".utf8)
                    bytes[position + 1] = 0x0A
                    XCTAssertEqual(parseError(bytes)?.offset, position + 1)
                }
            }
        }
    }

    func testNamesAreComparedExactly() throws {
        // Canonically equivalent but different scalars: distinct names, as RFC 8785
        // does no Unicode normalization.
        let value = try parse("{\"\u{E9}\":1,\"e\u{301}\":2}")
        XCTAssertEqual(value.objectValue?.count, 2)
        XCTAssertNotEqual(JSONValue.string("\u{E9}"), .string("e\u{301}"))
    }

    func testAcceptsContainers() throws {
        let value = try parse(#" { "b" : [ 1 , { } , [ ] ] , "a" : { "c" : null } } "#)
        XCTAssertEqual(value, ["b": [1, [:], []], "a": ["c": nil]])
        XCTAssertEqual(value.objectValue?.keys, ["b", "a"], "input order is kept")
        XCTAssertEqual(try parse("[]"), .array([]))
        XCTAssertEqual(try parse("{}"), .object(JSONObject()))
    }

    func testParsesFromAllInputForms() throws {
        let text = #"{"a":[1,"x"]}"#
        let bytes = Array(text.utf8)
        let fromString = try JSONParser.parse(text)
        let fromArray = try JSONParser.parse(bytes)
        let fromBuffer = try bytes.withUnsafeBytes { buffer throws(JSONParseError) in try JSONParser.parse(buffer) }
        XCTAssertEqual(fromString, fromArray)
        XCTAssertEqual(fromString, fromBuffer)
        XCTAssertEqual(fromString, ["a": [1, "x"]])
    }

    /// Each rejection with a fragment of its reason and, where it matters, its offset.
    func testRejections() {
        let cases: [(String, [UInt8], String, Int?)] = [
            ("empty", [], "unexpected end of input", 0),
            ("white space only", Array("  \n".utf8), "unexpected end of input", 3),
            ("byte order mark", [0xEF, 0xBB, 0xBF] + Array("{}".utf8), "byte order mark", 0),
            ("leading zero", Array("01".utf8), "leading zeros", 0),
            ("negative leading zero", Array("[-012]".utf8), "leading zeros", 1),
            ("double zero", Array("00".utf8), "leading zeros", 0),
            ("trailing comma in array", Array("[1,]".utf8), "trailing comma", 2),
            ("trailing comma in object", Array(#"{"a":1 , }"#.utf8), "trailing comma", 7),
            ("line comment", Array("// c\n1".utf8), "unexpected character '/'", 0),
            ("block comment", Array("[1 /* c */]".utf8), "unexpected character '/'", 3),
            ("single quoted string", Array("'a'".utf8), "unexpected character '''", 0),
            ("single quoted name", Array("{'a':1}".utf8), "unexpected character '''", 1),
            ("NaN", Array("NaN".utf8), "unexpected character 'N'", 0),
            ("Infinity", Array("Infinity".utf8), "unexpected character 'I'", 0),
            ("negative Infinity", Array("-Infinity".utf8), "invalid number", 0),
            ("raw tab in string", Array("\"a\tb\"".utf8), "control character U+0009", 2),
            ("raw newline in string", Array("\"a\nb\"".utf8), "control character U+000A", 2),
            ("raw NUL in string", [0x22, 0x00, 0x22], "control character U+0000", 1),
            ("raw unit separator", [0x22, 0x61, 0x1F, 0x22], "control character U+001F", 2),
            ("lone high surrogate", Array(#""\ud800""#.utf8), "unpaired surrogate", 1),
            ("lone low surrogate", Array(#""x\udc00""#.utf8), "unpaired surrogate", 2),
            ("high surrogate then letter", Array(#""\ud800\u0041""#.utf8), "unpaired surrogate", 1),
            ("high surrogate then text", Array(#""\ud800abcdef""#.utf8), "unpaired surrogate", 1),
            ("two high surrogates", Array(#""\ud83d\ud83d""#.utf8), "unpaired surrogate", 1),
            ("swapped surrogates", Array(#""\ude00\ud83d""#.utf8), "unpaired surrogate", 1),
            ("high surrogate at end", Array(#""\ud83d""#.utf8), "unpaired surrogate", 1),
            ("trailing garbage", Array("1 2".utf8), "unexpected character '2' after the value", 2),
            ("second value", Array("{}{}".utf8), "after the value", 2),
            ("extra bracket", Array("[]]".utf8), "after the value", 2),
            ("overflowing exponent", Array("1e400".utf8), "number out of range", 0),
            ("overflowing negative", Array("[-1.5e309]".utf8), "number out of range", 1),
            ("overflowing integer", Array(("1" + String(repeating: "0", count: 400)).utf8), "number out of range", 0),
            ("duplicate member", Array(#"{"a":1,"a":2}"#.utf8), "duplicate member \"a\"", 7),
            ("duplicate through escape", Array(#"{"a":1,"\u0061":2}"#.utf8), "duplicate member \"a\"", 7),
            ("nested duplicate", Array(#"[{"x":{"k":1,"k":[]}}]"#.utf8), "duplicate member \"k\"", 13),
            ("invalid UTF-8", [0x22, 0xC3, 0x28, 0x22], "invalid UTF-8", 1),
            ("overlong UTF-8", [0x22, 0xC0, 0xAF, 0x22], "invalid UTF-8", 1),
            ("overlong three bytes", [0x22, 0xE0, 0x80, 0xAF, 0x22], "invalid UTF-8", 1),
            ("encoded surrogate", [0x22, 0xED, 0xA0, 0x80, 0x22], "invalid UTF-8", 1),
            ("beyond U+10FFFF", [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], "invalid UTF-8", 1),
            ("lead byte F5", [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], "invalid UTF-8", 1),
            ("lone continuation", [0x22, 0x80, 0x22], "invalid UTF-8", 1),
            ("bad third byte", [0x22, 0xE2, 0x82, 0x41, 0x22], "invalid UTF-8", 1),
            ("truncated sequence", [0x22, 0xE2, 0x82], "UTF-8", 1),
            ("non-ASCII outside strings", [0xC3, 0xA9], "unexpected byte 0xC3", 0),
            ("no-break space as white space", [0x5B, 0xC2, 0xA0, 0x5D], "unexpected byte 0xC2", 1),
            ("form feed as white space", [0x0C, 0x31], "unexpected byte 0x0C", 0),
            ("bad literal", Array("tru".utf8), "invalid literal", 0),
            ("capitalized literal", Array("True".utf8), "unexpected character 'T'", 0),
            ("literal prefix", Array("nulll".utf8), "after the value", 4),
            ("lone minus", Array("-".utf8), "invalid number", 0),
            ("plus sign", Array("+1".utf8), "unexpected character '+'", 0),
            ("missing fraction", Array("1.".utf8), "after '.'", 0),
            ("missing integer part", Array(".5".utf8), "unexpected character '.'", 0),
            ("missing exponent", Array("1e".utf8), "exponent", 0),
            ("signed empty exponent", Array("1e+".utf8), "exponent", 0),
            ("hex number", Array("0x10".utf8), "unexpected character 'x'", 1),
            ("bad hex in escape", Array(#""\u12G4""#.utf8), "invalid \\u escape", 1),
            ("short escape", Array(#""\u12""#.utf8), "escape", 1),
            ("unknown escape", Array(#""\x""#.utf8), "invalid escape 'x'", 1),
            ("escaped single quote", Array(#""\'""#.utf8), "invalid escape '''", 1),
            ("unterminated string", Array(#"["abc"#.utf8), "unterminated string", 1),
            ("unterminated after escape", Array(#""abc\"#.utf8), "unterminated string", 0),
            ("unterminated array", Array("[1".utf8), "unexpected end of input", 2),
            ("unterminated object", Array(#"{"a""#.utf8), "unexpected end of input", 4),
            ("missing colon", Array(#"{"a" 1}"#.utf8), "expected ':'", 5),
            ("number as name", Array("{1:2}".utf8), "expected a member name", 1),
            ("missing comma", Array("[1 2]".utf8), "expected ',' or ']'", 3),
            ("missing member comma", Array(#"{"a":1 "b":2}"#.utf8), "expected ',' or '}'", 7),
            ("mismatched close", Array("[1}".utf8), "expected ',' or ']'", 2),
            ("leading comma", Array("[,1]".utf8), "unexpected character ','", 1),
            ("empty member", Array(#"{"a":}"#.utf8), "unexpected character '}'", 5),
        ]
        for (name, bytes, reason, offset) in cases {
            guard let error = parseError(bytes) else {
                XCTFail("\(name): accepted")
                continue
            }
            XCTAssertTrue(error.reason.contains(reason), "\(name): got \"\(error.reason)\", wanted \"\(reason)\"")
            if let offset {
                XCTAssertEqual(error.offset, offset, "\(name): \(error)")
            }
        }
    }

    func testDuplicateInLargeObject() {
        // Past the threshold where JSONObject keeps a hash index.
        let members = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        XCTAssertEqual(try parse("{\(members)}").objectValue?.count, 40)
        let error = parseError(Array("{\(members),\"k17\":0}".utf8))
        XCTAssertEqual(error?.reason, "duplicate member \"k17\"")
        XCTAssertEqual(error?.offset, members.utf8.count + 2)
    }

    func testDepthLimit() throws {
        let deepest = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        XCTAssertNoThrow(try parse(deepest))
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let error = parseError(Array(tooDeep.utf8))
        XCTAssertEqual(error?.reason, "nesting deeper than 64")
        XCTAssertEqual(error?.offset, 64)
        let objects = String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65)
        XCTAssertEqual(parseError(Array(objects.utf8))?.reason, "nesting deeper than 64")

        var limits = JSONParser.Limits()
        limits.maximumDepth = 3
        XCTAssertNoThrow(try parse("[[{\"a\":1}]]", limits: limits))
        XCTAssertEqual(parseError(Array("[[[[1]]]]".utf8), limits: limits)?.reason, "nesting deeper than 3")

        // A huge limit is held to the ceiling, so a hostile input cannot build a value
        // too deep to compare, write or free on a small thread stack.
        limits.maximumDepth = 200_000
        let veryDeep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertEqual(parseError(Array(veryDeep.utf8), limits: limits)?.reason, "nesting deeper than 256")
        let pastCeiling = String(repeating: "[", count: 256) + "{\"a\":1}" + String(repeating: "]", count: 256)
        XCTAssertEqual(parseError(Array(pastCeiling.utf8), limits: limits)?.offset, 256)
    }

    /// A value at the depth ceiling must be safe to use on a thread with a small
    /// stack (512 KiB, as secondary threads commonly get).
    func testValueAtDepthCeilingIsSafeOnSmallStack() {
        let limits = {
            var limits = JSONParser.Limits()
            limits.maximumDepth = 256
            return limits
        }()
        let text = String(repeating: "[", count: 255) + "{\"a\":1}" + String(repeating: "]", count: 255)
        let finished = expectation(description: "deep value handled")
        let thread = Thread {
            do {
                var value: JSONValue? = try JSONParser.parse(text, limits: limits)
                let canonical = value.map(CanonicalJSON.bytes) ?? []
                let again = try JSONParser.parse(canonical, limits: limits)
                XCTAssertEqual(value, again)
                XCTAssertEqual(value?.hashValue, again.hashValue)
                XCTAssertEqual(try JSONParser.parse(JSONWriter.pretty(again, indent: 0), limits: limits), again)
                value = nil
            } catch {
                XCTFail("\(error)")
            }
            finished.fulfill()
        }
        thread.stackSize = 512 << 10
        thread.start()
        wait(for: [finished], timeout: 60)
    }

    func testSizeLimit() throws {
        var limits = JSONParser.Limits()
        limits.maximumBytes = 8
        XCTAssertNoThrow(try parse("[1,2,3]", limits: limits))
        let error = parseError(Array("[1,2,3,4]".utf8), limits: limits)
        XCTAssertEqual(error?.reason, "input larger than 8 bytes")
        XCTAssertEqual(error?.offset, 8)
    }

    func testErrorDescription() {
        let error = parseError(Array(#"{"a": x}"#.utf8))
        XCTAssertEqual(error?.description, "at byte 6: unexpected character 'x'")
        XCTAssertEqual(error, JSONParseError(offset: 6, reason: "unexpected character 'x'"))
    }

    func testLongNumbersAreParsedExactly() throws {
        let manyDigits = "0." + String(repeating: "3", count: 5000)
        XCTAssertEqual(try parse(manyDigits), .number(1.0 / 3.0))
        let longInteger = String(repeating: "9", count: 300)
        XCTAssertEqual(try parse(longInteger), .number(1e300))
        XCTAssertEqual(try parse("[\(longInteger)]"), .array([.number(1e300)]))
    }

    /// Mutated documents must either parse or fail with a JSONParseError; never trap
    /// or hang. Whatever parses must survive a canonical round trip.
    func testMutatedInputsNeverCrash() {
        let alphabet = Array(#"{}[]:,"\ u0123456789abcdefABCDEF-+.eEtrunlsfx"#.utf8) + [0x00, 0x0A, 0x1F, 0x7F, 0x80, 0xBF, 0xC3, 0xED, 0xF0, 0xFF]
        for seed in testSeeds() {
            var generator = SeededGenerator(seed: seed)
            for _ in 0..<1500 {
                var bytes = CanonicalJSON.bytes(RandomJSON.value(depth: 3, using: &generator))
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let position = Int.random(in: 0...bytes.count, using: &generator)
                    let replacement = alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
                    switch Int.random(in: 0..<4, using: &generator) {
                    case 0: bytes.insert(replacement, at: position)
                    case 1 where position < bytes.count: bytes[position] = replacement
                    case 2 where position < bytes.count: bytes.remove(at: position)
                    default: bytes = Array(bytes.prefix(position))
                    }
                }
                if let value = try? JSONParser.parse(bytes) {
                    XCTAssertEqual(try? JSONParser.parse(CanonicalJSON.bytes(value)), value, "seed \(seed)")
                }
            }
        }
    }
}

// MARK: - Round trips

final class JSONRoundTripTests: XCTestCase {
    func testRandomValuesRoundTrip() {
        for seed in testSeeds() {
            var generator = SeededGenerator(seed: seed)
            for iteration in 0..<500 {
                let value = RandomJSON.value(depth: 4, using: &generator)
                let canonical = CanonicalJSON.bytes(value)
                let context = "seed \(seed), iteration \(iteration): \(JSONWriter.compact(value))"
                do {
                    let reparsed = try JSONParser.parse(canonical)
                    XCTAssertEqual(reparsed, value, context)
                    XCTAssertEqual(CanonicalJSON.bytes(reparsed), canonical, "canonical form is a fixed point; \(context)")
                    XCTAssertEqual(try JSONParser.parse(JSONWriter.compact(value)), value, context)
                    XCTAssertEqual(try JSONParser.parse(JSONWriter.pretty(value)), value, context)
                    XCTAssertEqual(try JSONParser.parse(JSONWriter.pretty(value, indent: 0)), value, context)
                } catch {
                    XCTFail("\(error); \(context)")
                }
            }
        }
    }

    func testRandomNumbersRoundTrip() {
        for seed in testSeeds() {
            var generator = SeededGenerator(seed: seed)
            for _ in 0..<20_000 {
                let value = RandomJSON.number(using: &generator)
                let text = CanonicalJSON.formatNumber(value)
                XCTAssertEqual(try? parse(text).numberValue, value, "seed \(seed): \(text)")
            }
        }
    }
}

// MARK: - Writers and the value model

final class JSONWriterTests: XCTestCase {
    let sample: JSONValue = ["z": 1, "a": ["x", true, nil, .number(1.5)], "m": [:], "e": []]

    func testCompactKeepsOrder() {
        XCTAssertEqual(JSONWriter.compact(sample), #"{"z":1,"a":["x",true,null,1.5],"m":{},"e":[]}"#)
        XCTAssertEqual(JSONWriter.compact("a\nb"), #""a\nb""#)
        XCTAssertEqual(JSONWriter.compact(.number(1e21)), "1e+21")
    }

    func testPretty() {
        let expected = """
            {
              "z": 1,
              "a": [
                "x",
                true,
                null,
                1.5
              ],
              "m": {},
              "e": []
            }
            """
        XCTAssertEqual(JSONWriter.pretty(sample), expected)
        XCTAssertEqual(JSONWriter.pretty(["k": ["n": 1]], indent: 4), "{\n    \"k\": {\n        \"n\": 1\n    }\n}")
        XCTAssertEqual(JSONWriter.pretty(.null), "null")
        XCTAssertEqual(JSONWriter.pretty([]), "[]")
    }
}

final class JSONValueTests: XCTestCase {
    func testObjectSubscriptKeepsOrder() {
        var object = JSONObject()
        object["b"] = 1
        object["a"] = 2
        object["c"] = 3
        XCTAssertEqual(object.keys, ["b", "a", "c"])
        object["a"] = "replaced"
        XCTAssertEqual(object.keys, ["b", "a", "c"], "replacing keeps the position")
        XCTAssertEqual(object["a"], "replaced")
        object["b"] = nil
        XCTAssertEqual(object.keys, ["a", "c"])
        XCTAssertNil(object["b"])
        object["missing"] = nil
        XCTAssertEqual(object.count, 2)
        XCTAssertEqual(object.members.map(\.key), ["a", "c"])
        XCTAssertEqual(Array(object).map(\.value), ["replaced", 3])
    }

    func testLargeObjectIndexStaysConsistent() {
        var object = JSONObject()
        for number in 0..<50 { object["k\(number)"] = .number(Double(number)) }
        for number in stride(from: 0, to: 50, by: 3) { object["k\(number)"] = nil }
        object["k1"] = "one"
        object["new"] = true
        for number in 0..<50 {
            let expected: JSONValue? = number % 3 == 0 ? nil : (number == 1 ? "one" : .number(Double(number)))
            XCTAssertEqual(object["k\(number)"], expected, "k\(number)")
        }
        XCTAssertEqual(object.keys.last, "new")
        XCTAssertEqual(object.count, 50 - 17 + 1)
        // Shrinking below the index threshold and growing again.
        for key in object.keys.dropFirst(3) { object[key] = nil }
        XCTAssertEqual(object.count, 3)
        for number in 100..<120 { object["k\(number)"] = 0 }
        XCTAssertEqual(object.count, 23)
        XCTAssertEqual(object["k2"], 2)
        XCTAssertEqual(object["k119"], 0)
    }

    func testObjectInitializers() {
        let object = JSONObject([("a", 1), ("b", 2), ("a", 3)])
        XCTAssertEqual(object.keys, ["a", "b"], "a repeated name replaces in place")
        XCTAssertEqual(object["a"], 3)
        let literal: JSONObject = ["x": 1, "y": [true]]
        XCTAssertEqual(literal.keys, ["x", "y"])
        XCTAssertEqual(JSONObject().count, 0)
    }

    func testEquality() {
        let first: JSONValue = ["a": 1, "b": [1, 2]]
        let second: JSONValue = ["b": [1, 2], "a": 1]
        XCTAssertEqual(first, second, "member order is ignored")
        XCTAssertEqual(first.hashValue, second.hashValue)
        XCTAssertNotEqual(JSONValue.array([1, 2]), .array([2, 1]), "element order matters")
        XCTAssertNotEqual(first, ["a": 1])
        XCTAssertNotEqual(first, ["a": 1, "c": [1, 2]])
        XCTAssertNotEqual(JSONValue.number(1), .string("1"))
        XCTAssertNotEqual(JSONValue.null, .bool(false))
        XCTAssertEqual(JSONValue.number(0), .number(-0.0))
        XCTAssertEqual(Set<JSONValue>([first, second, "x", "x"]).count, 2)
    }

    func testLiteralsAndAccessors() {
        let value: JSONValue = ["s": "text", "n": 42, "b": true, "z": nil, "a": [1], "o": ["k": "v"]]
        guard let object = value.objectValue else { return XCTFail("not an object") }
        XCTAssertEqual(object["s"]?.stringValue, "text")
        XCTAssertEqual(object["n"]?.numberValue, 42)
        XCTAssertEqual(object["n"]?.integerValue, 42)
        XCTAssertEqual(object["b"]?.boolValue, true)
        XCTAssertEqual(object["z"], JSONValue.null)
        XCTAssertEqual(object["a"]?.arrayValue, [1])
        XCTAssertEqual(object["o"]?.objectValue?["k"], "v")
        XCTAssertNil(object["s"]?.numberValue)
        XCTAssertNil(object["n"]?.stringValue)
        XCTAssertNil(object["b"]?.objectValue)
        XCTAssertNil(object["z"]?.boolValue)
        XCTAssertNil(object["o"]?.arrayValue)
        XCTAssertEqual(
            ["z", "b", "n", "s", "a", "o"].compactMap { object[$0]?.typeName },
            ["null", "boolean", "number", "string", "array", "object"]
        )
    }

    func testIntegerValue() {
        XCTAssertEqual(JSONValue.number(9_007_199_254_740_992).integerValue, 9_007_199_254_740_992)
        XCTAssertEqual(JSONValue.number(-9_007_199_254_740_992).integerValue, -9_007_199_254_740_992)
        XCTAssertNil(JSONValue.number(18_014_398_509_481_984).integerValue)
        XCTAssertNil(JSONValue.number(1.5).integerValue)
        XCTAssertNil(JSONValue.number(1e300).integerValue)
        XCTAssertEqual(JSONValue.number(-0.0).integerValue, 0)
        XCTAssertEqual(JSONValue.number(-7).integerValue, -7)
        XCTAssertNil(JSONValue.string("7").integerValue)
    }
}
