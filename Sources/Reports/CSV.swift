/// RFC 4180 CSV: a header row, CRLF line ends, fields quoted when they hold a comma, a quote or a
/// line break. A cell that begins with = + - @ (or a tab or carriage return) is prefixed with an
/// apostrophe so that a spreadsheet shows it as text instead of running it as a formula. Amounts
/// are written by the caller in canonical form; a negative amount is a number, not a formula,
/// and is left as it is.
public struct CSVTable {
    public var header: [String]
    public private(set) var rows: [[String]] = []
    /// The columns whose cells are canonical amounts or numbers, written without neutralising.
    public var numericColumns: Set<Int>

    public init(header: [String], numericColumns: Set<Int> = []) {
        self.header = header
        self.numericColumns = numericColumns
    }

    public mutating func append(_ cells: [String]) {
        precondition(cells.count == header.count, "a row has one cell per column")
        rows.append(cells)
    }

    public func render() -> String {
        var output = Self.line(header, numeric: [])
        for row in rows { output += Self.line(row, numeric: numericColumns) }
        return output
    }

    static func line(_ cells: [String], numeric: Set<Int>) -> String {
        cells.enumerated().map { index, cell in field(cell, isNumeric: numeric.contains(index)) }.joined(separator: ",") + "\r\n"
    }

    /// One field, neutralised and quoted as needed.
    public static func field(_ value: String, isNumeric: Bool = false) -> String {
        var text = value
        if !isNumeric, let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) {
            text = "'" + text
        }
        let needsQuotes = text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
        guard needsQuotes else { return text }
        return "\"" + text.replacingQuotes() + "\""
    }
}

extension String {
    func replacingQuotes() -> String {
        var result = ""
        for character in self {
            if character == "\"" { result += "\"\"" } else { result.append(character) }
        }
        return result
    }
}
