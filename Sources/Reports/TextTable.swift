/// A plain-text table for a terminal: columns aligned, amounts right-aligned, a marker column
/// for rows that need attention (overdue, over the limit).
public struct TextTable {
    public enum Alignment { case left, right }

    public struct Column {
        public var title: String
        public var alignment: Alignment
        public init(_ title: String, _ alignment: Alignment = .left) {
            self.title = title
            self.alignment = alignment
        }
    }

    public var columns: [Column]
    public private(set) var rows: [[String]] = []
    /// Rows given `marked: true` start with "!"; others with a space.
    public private(set) var marks: [Bool] = []

    public init(_ columns: [Column]) { self.columns = columns }

    public mutating func append(_ cells: [String], marked: Bool = false) {
        precondition(cells.count == columns.count, "a row has one cell per column")
        rows.append(cells.map(Self.oneLine))
        marks.append(marked)
    }

    /// Control characters in cells would move the cursor or break the layout: show them as spaces.
    static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map {
            $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" ? " " : $0
        }))
    }

    public func render() -> String {
        var widths = columns.map { $0.title.count }
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String], mark: String) -> String {
            var parts: [String] = []
            for (index, cell) in cells.enumerated() {
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                parts.append(columns[index].alignment == .right ? padding + cell : cell + padding)
            }
            return (mark + " " + parts.joined(separator: "  ")).trailingSpacesRemoved
        }
        var lines = [line(columns.map(\.title), mark: " ")]
        lines.append("  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for (row, marked) in zip(rows, marks) { lines.append(line(row, mark: marked ? "!" : " ")) }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    var trailingSpacesRemoved: String {
        var text = self
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}
