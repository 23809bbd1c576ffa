import XCTest
@testable import Reports

final class CSVAndTableTests: XCTestCase {
    func testFieldsAreQuotedAsRFC4180Says() {
        XCTAssertEqual(CSVTable.field("plain"), "plain")
        XCTAssertEqual(CSVTable.field("a,b"), "\"a,b\"")
        XCTAssertEqual(CSVTable.field("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(CSVTable.field("two\nlines"), "\"two\nlines\"")
        XCTAssertEqual(CSVTable.field("cr\r\nlf"), "\"cr\r\nlf\"")
    }

    func testFormulaCellsAreNeutralised() {
        XCTAssertEqual(CSVTable.field("=HYPERLINK(\"http://x\",\"y\")"), "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")
        XCTAssertEqual(CSVTable.field("+1"), "'+1")
        XCTAssertEqual(CSVTable.field("-1+2"), "'-1+2")
        XCTAssertEqual(CSVTable.field("@SUM(A1)"), "'@SUM(A1)")
        XCTAssertEqual(CSVTable.field("\tx"), "'\tx")
        // Canonical amounts in numeric columns stay numbers.
        XCTAssertEqual(CSVTable.field("-12.50", isNumeric: true), "-12.50")
    }

    func testTableHasAHeaderARuleAndCRLFFreeRows() {
        var csv = CSVTable(header: ["a", "b"], numericColumns: [1])
        csv.append(["x", "1.00"])
        XCTAssertEqual(csv.render(), "a,b\r\nx,1.00\r\n")
    }

    func testTextTableAlignsAndMarks() {
        var table = TextTable([.init("name"), .init("amount", .right)])
        table.append(["Rossi", "1.00"])
        table.append(["Bianchi & Figli", "1220.50"], marked: true)
        table.append(["bad\u{1B}[2Jname\nx", "3.00"])
        let lines: [String] = table.render().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[0], "  name              amount")
        XCTAssertEqual(lines[2], "  Rossi               1.00")
        XCTAssertEqual(lines[3], "! Bianchi & Figli  1220.50")
        XCTAssertFalse(lines[4].contains("\u{1B}"), "control characters never reach the terminal")
        XCTAssertEqual(lines.count, 6)
    }
}
