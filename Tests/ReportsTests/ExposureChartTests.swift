import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Receivables
@testable import Reports

final class ExposureChartTests: XCTestCase {
    private var svg: String {
        ReportSamples.rossiExposure.svg(currency: .euro, locale: .it, warnAtPercent: 80, title: "Exposure of Caffè Rossi")
    }

    func testIsWellFormedSVGWithTheStepLinesAndAxes() throws {
        let document = try XMLDocumentSummary(svg)
        XCTAssertEqual(document.root?.name, "svg")
        XCTAssertEqual(document.root?.attributes["xmlns"], "http://www.w3.org/2000/svg")
        XCTAssertEqual(document.root?.attributes["version"], "1.1")
        XCTAssertEqual(document.root?.attributes["viewBox"], "0 0 800 380")
        XCTAssertEqual(document.root?.attributes["width"], "800")
        XCTAssertEqual(document.root?.attributes["height"], "380")
        XCTAssertTrue(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "))

        let exposure = try XCTUnwrap(document.elements.first { $0.name == "path" && $0.attributes["class"] == "exposure" })
        let path = try XCTUnwrap(exposure.attributes["d"])
        XCTAssertTrue(path.hasPrefix("M"))
        // A step line: only horizontal and vertical moves after the start, one H per point.
        let commands = path.filter { $0.isLetter }
        XCTAssertEqual(commands, "M" + "H" + String(repeating: "VH", count: ReportSamples.rossiExposure.points.count - 1))

        // The limit exists from the third point on: one run of steps, not drawn where there is none.
        let limit = try XCTUnwrap(document.elements.first { $0.name == "path" && $0.attributes["class"] == "limit" })
        XCTAssertEqual(limit.attributes["d"]?.filter { $0.isLetter }, "MH" + String(repeating: "VH", count: 3))
        let warn = try XCTUnwrap(document.elements.first { $0.name == "path" && $0.attributes["class"] == "warn" })
        XCTAssertEqual(warn.attributes["stroke-dasharray"], "6 4")
        XCTAssertEqual(document.elements.filter { $0.name == "rect" && $0.parentClass == "over-limit" }.count, 2,
                       "January and February are above the limit")

        let texts = document.texts
        XCTAssertTrue(texts.contains("Exposure of Caffè Rossi"))
        XCTAssertTrue(texts.contains("0 €"), "\(texts)")
        XCTAssertTrue(texts.contains("10.000 €"), "\(texts)")
        XCTAssertTrue(texts.contains("16/02/2026"), "the last point is always labelled: \(texts)")
        XCTAssertTrue(texts.contains("31/12/2025"), "\(texts)")
        XCTAssertTrue(texts.contains("Amount (EUR)"))
        XCTAssertTrue(texts.contains("Date (exposure at the end of each month)"))
        XCTAssertTrue(texts.contains("Credit limit"))
        XCTAssertTrue(texts.contains("Warning at 80%"))
        XCTAssertTrue(texts.contains("Above the limit"))
        XCTAssertEqual(document.elements.first { $0.name == "title" }.map { _ in document.titleText }, "Exposure of Caffè Rossi")
    }

    func testTicksAreNiceAndCoverEveryValue() {
        XCTAssertEqual(ExposureChart.niceTicks(low: 0, high: 1_234_560, unit: 100), [0, 500_000, 1_000_000, 1_500_000])
        XCTAssertEqual(ExposureChart.niceTicks(low: 0, high: 0, unit: 100), [0, 2_000, 4_000, 6_000, 8_000, 10_000])
        XCTAssertEqual(ExposureChart.niceTicks(low: -25_000, high: 90_000, unit: 100), [-50_000, 0, 50_000, 100_000])
        XCTAssertEqual(ExposureChart.niceTicks(low: 0, high: 37, unit: 100), [0, 10, 20, 30, 40])
        let huge = ExposureChart.niceTicks(low: Int64.min, high: Int64.max, unit: 100)
        XCTAssertLessThanOrEqual(huge.count, 12)
        XCTAssertLessThanOrEqual(huge.first ?? 1, -ExposureChart.plotLimit)
        XCTAssertGreaterThanOrEqual(huge.last ?? 0, ExposureChart.plotLimit)
    }

    func testEnglishLabelsAndFractionalTicks() throws {
        let report = ExposureReport(client: nil, from: ReportSamples.day("2026-02-01"), to: ReportSamples.day("2026-02-03"), step: .day,
                                    points: [ExposurePoint(date: ReportSamples.day("2026-02-01"), exposure: ReportSamples.eur("0.10"), limit: nil),
                                             ExposurePoint(date: ReportSamples.day("2026-02-02"), exposure: ReportSamples.eur("0.35"), limit: nil),
                                             ExposurePoint(date: ReportSamples.day("2026-02-03"), exposure: Money(minorUnits: -20), limit: nil)])
        let document = try XMLDocumentSummary(report.svg(currency: .euro, locale: .en, warnAtPercent: 80))
        XCTAssertTrue(document.texts.contains("Exposure of all clients"))
        XCTAssertTrue(document.texts.contains("€0.20"), "\(document.texts)")
        XCTAssertTrue(document.texts.contains("€0.00"), "fractional ticks keep their minor digits: \(document.texts)")
        XCTAssertTrue(document.texts.contains("-€0.20"), "\(document.texts)")
        XCTAssertTrue(document.texts.contains("2026-02-03"))
        XCTAssertFalse(document.texts.contains("Credit limit"), "no limit, no limit line in the legend")
        XCTAssertNil(document.elements.first { $0.attributes["class"] == "limit" || $0.attributes["class"] == "warn" })
        XCTAssertNotNil(document.elements.first { $0.attributes["class"] == "zero" }, "a zero line when the exposure goes negative")
    }

    func testHostileTextIsEscaped() throws {
        let hostile = "<script>alert(1)</script> \"q\" 'a' ]]> & \u{200F}<![CDATA[x]]>\u{1B}"
        var report = ReportSamples.rossiExposure
        report.client = hostile
        let text = report.svg(currency: .euro, locale: .it, warnAtPercent: 80)
        XCTAssertFalse(text.contains("<script"))
        XCTAssertFalse(text.contains("]]>"))
        XCTAssertFalse(text.contains("<![CDATA["))
        XCTAssertFalse(text.contains("\u{200F}"))
        XCTAssertFalse(text.contains("\u{1B}"))
        let document = try XMLDocumentSummary(text)
        XCTAssertFalse(document.elements.contains { $0.name == "script" || $0.name == "foreignObject" })
        XCTAssertTrue(document.texts.contains("Exposure of <script>alert(1)</script> \"q\" 'a' ]]> & \u{200F}<![CDATA[x]]>"),
                      "the text reads back as written, control characters dropped: \(document.texts)")
        let titled = ReportSamples.rossiExposure.svg(currency: .euro, locale: .it, warnAtPercent: nil, title: hostile)
        XCTAssertNoThrow(try XMLDocumentSummary(titled))
    }

    func testNoScriptsNoExternalReferencesAndDeterministic() throws {
        XCTAssertEqual(svg, ReportSamples.rossiExposure.svg(currency: .euro, locale: .it, warnAtPercent: 80, title: "Exposure of Caffè Rossi"))
        for forbidden in ["<script", "href", "xlink", "<image", "<foreignObject", "url(", "@import", "on" + "load", "<style"] {
            XCTAssertFalse(svg.contains(forbidden), forbidden)
        }
        // The only URI is the namespace name.
        XCTAssertEqual(svg.components(separatedBy: "http").count, 2)
    }

    func testNoPointsStillGivesADocument() throws {
        let empty = ExposureReport(client: "c", from: ReportSamples.day("2026-02-01"), to: ReportSamples.day("2026-02-01"), step: .day, points: [])
        let document = try XMLDocumentSummary(empty.svg(currency: .euro, locale: .it, warnAtPercent: nil))
        XCTAssertTrue(document.texts.contains("No exposure figures in this range"))
    }
}

/// What an XML document holds, as Foundation's XMLParser reads it: the elements in document
/// order with their attributes, and the text of every `<text>` element.
final class XMLDocumentSummary: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        var parentClass: String?
    }

    private(set) var elements: [Element] = []
    private(set) var texts: [String] = []
    private(set) var titleText = ""
    private var stack: [Element] = []
    private var currentText: String?
    private var inTitle = false
    private var failure: Error?

    var root: Element? { elements.first }

    init(_ text: String) throws {
        super.init()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = self
        parser.shouldProcessNamespaces = false
        guard parser.parse() else {
            throw failure ?? parser.parserError ?? NSError(domain: "XMLDocumentSummary", code: 1)
        }
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        let element = Element(name: elementName, attributes: attributes, parentClass: stack.last?.attributes["class"])
        elements.append(element)
        stack.append(element)
        if elementName == "text" { currentText = "" }
        if elementName == "title" { inTitle = true }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if currentText != nil { currentText! += string }
        if inTitle { titleText += string }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        stack.removeLast()
        if elementName == "text", let text = currentText {
            texts.append(text)
            currentText = nil
        }
        if elementName == "title" { inTitle = false }
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
        failure = parseError
    }
}
