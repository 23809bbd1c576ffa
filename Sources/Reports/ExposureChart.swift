import Receivables

// The exposure series as a standalone SVG 1.1 chart: a step line of the exposure, a step line
// of the credit limit in force, a dashed step line at warnAt% of that limit, and red shading
// where the exposure is above the limit.
//
// Decisions:
// - Each point is the exposure as of the end of its date, so the chart draws it over the period
//   that ends there: from the day after the previous point (or `from`, for the first) to the end
//   of its own date. A step chart, never interpolated: exposure jumps, it does not slide.
// - The y axis always includes zero; its ticks are "nice" (1, 2 or 5 times a power of ten, in
//   minor units) and written in `locale`, without minor digits when every tick is whole.
// - The x axis labels the point dates (thinned to what fits, the last one always shown).
// - Points without a limit break the limit line: no limit is not a limit of zero.
// - Deterministic: coordinates are printed with one decimal, no clock, no randomness, no ids
//   (so several charts can sit inline in one HTML page), no scripts, no external references.

extension ExposureReport {
    /// A standalone SVG 1.1 document of the exposure against the credit limit.
    ///
    /// - Parameters:
    ///   - currency: the store's currency.
    ///   - locale: how the amounts on the y axis and the dates on the x axis are written.
    ///   - warnAtPercent: draws the warning line at this percent of the limit in force; nil: none.
    ///   - title: the heading; by default "Exposure of <client>" (or "of all clients").
    public func svg(currency: Currency, locale: Money.DisplayLocale, warnAtPercent: Int?, title: String? = nil) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + svgElement(currency: currency, locale: locale, warnAtPercent: warnAtPercent, title: title) + "\n"
    }

    /// The `<svg>` element alone, for inline use in an HTML page.
    func svgElement(currency: Currency, locale: Money.DisplayLocale, warnAtPercent: Int?, title: String?) -> String {
        var chart = ExposureChart(report: self, currency: currency, locale: locale, warnAtPercent: warnAtPercent)
        chart.title = title ?? "Exposure of \(client ?? "all clients")"
        return chart.render()
    }
}

struct ExposureChart {
    let report: ExposureReport
    let currency: Currency
    let locale: Money.DisplayLocale
    let warnAtPercent: Int?
    var title = ""

    static let width = 800.0
    static let height = 380.0
    static let fontFamily = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

    static let exposureColour = "#2563eb"
    static let limitColour = "#1f2937"
    static let warnColour = "#d97706"
    static let exceededColour = "#dc2626"
    static let gridColour = "#e5e7eb"
    static let axisColour = "#6b7280"
    static let textColour = "#374151"

    /// Amounts beyond this many minor units are drawn at it: a chart cannot show them anyway,
    /// and it keeps the tick arithmetic far from overflow.
    static let plotLimit: Int64 = 100_000_000_000_000_000

    init(report: ExposureReport, currency: Currency, locale: Money.DisplayLocale, warnAtPercent: Int?) {
        self.report = report
        self.currency = currency
        self.locale = locale
        self.warnAtPercent = warnAtPercent.map { max(0, min($0, 1000)) }
    }

    /// One step of the chart: a point drawn over its period, in days since the epoch.
    struct Segment {
        var start: Double
        var end: Double
        var date: Day
        var exposure: Int64
        var limit: Int64?
        var warn: Double?
    }

    func render() -> String {
        let w = Self.width, h = Self.height
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(Int(w))\" height=\"\(Int(h))\" "
            + "viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" font-family=\"\(Markup.escape(Self.fontFamily))\" font-size=\"12\">\n"
        out += "<title>\(Markup.escape(title))</title>\n"
        out += "<desc>\(Markup.escape(description))</desc>\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(Int(w))\" height=\"\(Int(h))\" fill=\"#ffffff\"/>\n"
        // A very long name is cut on the chart (the <title> above keeps it whole).
        let heading = title.count > 90 ? String(title.prefix(89)) + "\u{2026}" : title
        out += "<text class=\"chart-title\" x=\"16\" y=\"26\" font-size=\"16\" font-weight=\"600\" fill=\"#111827\">\(Markup.escape(heading))</text>\n"
        let subtitle = "\(report.from.formatted(locale)) \u{2013} \(report.to.formatted(locale)), by \(report.step.rawValue)"
        out += "<text class=\"chart-subtitle\" x=\"16\" y=\"46\" fill=\"\(Self.axisColour)\">\(Markup.escape(subtitle))</text>\n"

        let segments = self.segments
        guard let first = segments.first, let last = segments.last else {
            out += "<text x=\"\(Markup.fixed(w / 2))\" y=\"\(Markup.fixed(h / 2))\" text-anchor=\"middle\" fill=\"\(Self.axisColour)\">"
                + "No exposure figures in this range</text>\n</svg>"
            return out
        }

        // The y scale, from nice ticks around every value drawn (zero included).
        var low: Int64 = 0, high: Int64 = 0
        for segment in segments {
            low = min(low, segment.exposure, segment.limit ?? 0)
            high = max(high, segment.exposure, segment.limit ?? 0)
        }
        let ticks = Self.niceTicks(low: low, high: high, unit: unit)
        let allWhole = ticks.allSatisfy { Money(minorUnits: $0).isWhole(currency) }
        let tickLabels = ticks.map { value -> String in
            let money = Money(minorUnits: value)
            return allWhole ? money.wholeDisplay(currency, locale: locale) : money.display(currency, locale: locale)
        }
        let longestLabel = tickLabels.map { $0.count }.max() ?? 0
        let left = max(64.0, Double(longestLabel) * 7.0 + 24.0)
        let right = w - 48.0
        let top = 92.0
        let bottom = h - 58.0
        let yLow = Double(ticks.first!), yHigh = Double(ticks.last!)
        func y(_ value: Double) -> Double { bottom - (value - yLow) / (yHigh - yLow) * (bottom - top) }
        func y(_ value: Int64) -> Double { y(Double(value)) }
        let xLow = first.start, xHigh = last.end
        func x(_ day: Double) -> Double { left + (day - xLow) / max(xHigh - xLow, 1) * (right - left) }
        let f = { (value: Double) in Markup.fixed(value) }

        out += legend(segments)

        // Grid and y axis.
        out += "<g class=\"y-axis\" fill=\"\(Self.textColour)\">\n"
        for (tick, label) in zip(ticks, tickLabels) {
            let ty = y(tick)
            out += "<line x1=\"\(f(left))\" y1=\"\(f(ty))\" x2=\"\(f(right))\" y2=\"\(f(ty))\" stroke=\"\(Self.gridColour)\" stroke-width=\"1\"/>\n"
            out += "<text x=\"\(f(left - 8))\" y=\"\(f(ty + 4))\" text-anchor=\"end\">\(Markup.escape(label))</text>\n"
        }
        out += "<text class=\"axis-title\" x=\"14\" y=\"\(f((top + bottom) / 2))\" transform=\"rotate(-90 14 \(f((top + bottom) / 2)))\" "
            + "text-anchor=\"middle\" fill=\"\(Self.axisColour)\">Amount (\(Markup.escape(currency.code)))</text>\n"
        out += "</g>\n"

        // Shading where the exposure is above the limit in force.
        var shading = ""
        for segment in segments {
            guard let limit = segment.limit, segment.exposure > limit else { continue }
            let x1 = x(segment.start), x2 = x(segment.end)
            shading += "<rect x=\"\(f(x1))\" y=\"\(f(y(segment.exposure)))\" width=\"\(f(x2 - x1))\" "
                + "height=\"\(f(y(limit) - y(segment.exposure)))\"/>\n"
        }
        if !shading.isEmpty {
            out += "<g class=\"over-limit\" fill=\"\(Self.exceededColour)\" fill-opacity=\"0.18\">\n" + shading + "</g>\n"
        }

        // The area under the exposure, then the lines: limit, warning, exposure on top.
        let zero = y(Int64(0))
        var area = "M\(f(x(first.start))) \(f(zero))"
        for segment in segments {
            area += " V\(f(y(segment.exposure))) H\(f(x(segment.end)))"
        }
        area += " V\(f(zero)) Z"
        out += "<path class=\"exposure-area\" d=\"\(area)\" fill=\"\(Self.exposureColour)\" fill-opacity=\"0.08\" stroke=\"none\"/>\n"
        if low < 0 {
            out += "<line class=\"zero\" x1=\"\(f(left))\" y1=\"\(f(zero))\" x2=\"\(f(right))\" y2=\"\(f(zero))\" stroke=\"\(Self.axisColour)\" stroke-width=\"1\"/>\n"
        }
        if let limitPath = stepPath(segments.map { $0.limit.map(Double.init) }, segments, x: x, y: y) {
            out += "<path class=\"limit\" d=\"\(limitPath)\" fill=\"none\" stroke=\"\(Self.limitColour)\" stroke-width=\"1.5\"/>\n"
        }
        if let warnPath = stepPath(segments.map(\.warn), segments, x: x, y: y) {
            out += "<path class=\"warn\" d=\"\(warnPath)\" fill=\"none\" stroke=\"\(Self.warnColour)\" stroke-width=\"1.5\" "
                + "stroke-dasharray=\"6 4\"/>\n"
        }
        let exposurePath = stepPath(segments.map { Double($0.exposure) }, segments, x: x, y: y) ?? ""
        out += "<path class=\"exposure\" d=\"\(exposurePath)\" fill=\"none\" stroke=\"\(Self.exposureColour)\" stroke-width=\"2.5\" "
            + "stroke-linejoin=\"round\"/>\n"

        // The x axis: a base line, ticks and dates.
        out += "<g class=\"x-axis\" fill=\"\(Self.textColour)\">\n"
        out += "<line x1=\"\(f(left))\" y1=\"\(f(bottom))\" x2=\"\(f(right))\" y2=\"\(f(bottom))\" stroke=\"\(Self.axisColour)\" stroke-width=\"1\"/>\n"
        // Every few points, counted back from the last (always labelled), and never two labels
        // closer than a date is wide.
        let room = max(2, Int((right - left) / 92))
        let every = (segments.count + room - 1) / room
        var labelled: [(x: Double, date: Day)] = []
        for (index, segment) in segments.enumerated().reversed() where (segments.count - 1 - index) % every == 0 {
            let tx = x(segment.end)
            if let previous = labelled.last, previous.x - tx < 84 { continue }
            labelled.append((tx, segment.date))
        }
        for (tx, date) in labelled.reversed() {
            out += "<line x1=\"\(f(tx))\" y1=\"\(f(bottom))\" x2=\"\(f(tx))\" y2=\"\(f(bottom + 5))\" stroke=\"\(Self.axisColour)\" stroke-width=\"1\"/>\n"
            out += "<text x=\"\(f(tx))\" y=\"\(f(bottom + 20))\" text-anchor=\"middle\">\(Markup.escape(date.formatted(locale)))</text>\n"
        }
        out += "<text class=\"axis-title\" x=\"\(f((left + right) / 2))\" y=\"\(f(h - 10))\" text-anchor=\"middle\" fill=\"\(Self.axisColour)\">"
            + "Date (exposure at the end of each \(report.step.rawValue))</text>\n"
        out += "</g>\n"
        out += "</svg>"
        return out
    }

    /// The points as steps over their periods.
    var segments: [Segment] {
        var segments: [Segment] = []
        var start = report.points.first.map { min(report.from, $0.date) } ?? report.from
        for point in report.points {
            let exposure = Self.clamped(point.exposure.minorUnits)
            let limit = point.limit.map { Self.clamped($0.minorUnits) }
            let warn: Double? = limit.flatMap { limit in warnAtPercent.map { Double(limit) * Double($0) / 100 } }
            let end = max(point.date.adding(days: 1), start.adding(days: 1))
            segments.append(Segment(start: Double(start.daysSinceEpoch), end: Double(end.daysSinceEpoch), date: point.date,
                                    exposure: exposure, limit: limit, warn: warn))
            start = end
        }
        return segments
    }

    /// A step line through the values; a nil value breaks it. Nil when there is nothing to draw.
    func stepPath(_ values: [Double?], _ segments: [Segment], x: (Double) -> Double, y: (Double) -> Double) -> String? {
        var path = ""
        var drawing = false
        for (value, segment) in zip(values, segments) {
            guard let value else {
                drawing = false
                continue
            }
            let f = { (number: Double) in Markup.fixed(number) }
            if drawing {
                path += " V\(f(y(value))) H\(f(x(segment.end)))"
            } else {
                path += (path.isEmpty ? "" : " ") + "M\(f(x(segment.start))) \(f(y(value))) H\(f(x(segment.end)))"
                drawing = true
            }
        }
        return path.isEmpty ? nil : path
    }

    func legend(_ segments: [Segment]) -> String {
        let hasLimit = segments.contains { $0.limit != nil }
        let hasWarn = segments.contains { $0.warn != nil }
        let exceeded = segments.contains { segment in segment.limit.map { segment.exposure > $0 } ?? false }
        var items: [(label: String, swatch: String)] = [
            ("Exposure", "<line x1=\"0\" y1=\"0\" x2=\"22\" y2=\"0\" stroke=\"\(Self.exposureColour)\" stroke-width=\"2.5\"/>")
        ]
        if hasLimit {
            items.append(("Credit limit", "<line x1=\"0\" y1=\"0\" x2=\"22\" y2=\"0\" stroke=\"\(Self.limitColour)\" stroke-width=\"1.5\"/>"))
        }
        if hasWarn, let percent = warnAtPercent {
            items.append(("Warning at \(percent)%", "<line x1=\"0\" y1=\"0\" x2=\"22\" y2=\"0\" stroke=\"\(Self.warnColour)\" "
                          + "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>"))
        }
        if exceeded {
            items.append(("Above the limit", "<rect x=\"0\" y=\"-6\" width=\"22\" height=\"12\" fill=\"\(Self.exceededColour)\" fill-opacity=\"0.18\"/>"))
        }
        var out = "<g class=\"legend\" fill=\"\(Self.textColour)\">\n"
        var position = 16.0
        for item in items {
            out += "<g transform=\"translate(\(Markup.fixed(position)) 70)\">\(item.swatch)"
                + "<text x=\"28\" y=\"4\">\(Markup.escape(item.label))</text></g>\n"
            position += 28 + Double(item.label.count) * 6.5 + 24
        }
        return out + "</g>\n"
    }

    /// A sentence for screen readers and for the page source.
    var description: String {
        guard let last = report.points.last else { return "No exposure figures from \(report.from.formatted(locale)) to \(report.to.formatted(locale))." }
        var text = "Exposure \(last.exposure.display(currency, locale: locale)) on \(last.date.formatted(locale))"
        if let limit = last.limit { text += ", credit limit \(limit.display(currency, locale: locale))" }
        let over = report.points.filter { point in point.limit.map { point.exposure > $0 } ?? false }.count
        if over > 0 { text += "; above the limit at \(over) of \(report.points.count) points" }
        return text + "."
    }

    /// One major unit in minor units (100 for EUR).
    var unit: Int64 {
        var unit: Int64 = 1
        for _ in 0..<currency.minorDigits { unit *= 10 }
        return unit
    }

    static func clamped(_ value: Int64) -> Int64 { max(-plotLimit, min(plotLimit, value)) }

    /// Tick values from at most `low` to at least `high`, 1, 2 or 5 times a power of ten apart,
    /// about five intervals. An empty range gets 0 to 100 major units.
    static func niceTicks(low: Int64, high: Int64, unit: Int64) -> [Int64] {
        let low = clamped(low)
        var high = clamped(high)
        if high <= low { high = low + 100 * unit }
        let rough = (high - low + 4) / 5
        var power: Int64 = 1
        while power <= rough / 10 { power *= 10 }
        var step = power * 10
        for multiple: Int64 in [1, 2, 5] where multiple * power >= rough {
            step = multiple * power
            break
        }
        let first = floorDivision(low, step) * step
        let last = -floorDivision(-high, step) * step
        return Array(Swift.stride(from: first, through: last, by: Int64.Stride(step)))
    }

    static func floorDivision(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
