/// Reading FatturaPA (Italian electronic invoice, schema 1.2.x: FPA12 and FPR12) files.
///
/// `read` takes a file's bytes and its name (for messages) and gives one `FatturaPADocument`
/// per `FatturaElettronicaBody`: the header (seller and buyer) is shared by the bodies of a
/// file. The module does no I/O: the command line reads the files.
///
/// What is read, per document:
/// - seller: `CedentePrestatore/DatiAnagrafici/IdFiscaleIVA` (IdPaese + IdCodice), required;
/// - buyer: `CessionarioCommittente/DatiAnagrafici`: `IdFiscaleIVA` and/or `CodiceFiscale`
///   (at least one), and `Anagrafica/Denominazione` or `Nome` + `Cognome`;
/// - `DatiGeneraliDocumento`: TipoDocumento, Divisa, Data, Numero (all required),
///   ImportoTotaleDocumento and the Causale lines;
/// - the total: ImportoTotaleDocumento when present; when absent it is computed as the sum of
///   ImponibileImporto + Imposta over the `DatiBeniServizi/DatiRiepilogo` rows
///   (`totalIsComputed` is then true). The document-level Arrotondamento is not added: the
///   schema defines it only for a stated total;
/// - `DatiPagamento` blocks in order, each with CondizioniPagamento (TP01 instalments, TP02
///   full payment, TP03 advance) and its `DettaglioPagamento` rows: ModalitaPagamento
///   (MP01...MP23), DataRiferimentoTerminiPagamento, GiorniTerminiPagamento,
///   DataScadenzaPagamento, ImportoPagamento.
///
/// Leniency, as real files need it: values are trimmed of surrounding white space
/// ("  56.50", "2019-02-15 "), dates may carry an XML Schema zone suffix ("2015-06-03+02:00",
/// "2014-12-18Z"; the calendar date is kept), the namespace URI of the root is not checked
/// (real files carry typos in it) and unknown elements are ignored. Everything else that
/// the import relies on is checked, with a message naming the file, the body and the line.
public enum FatturaPA {
    /// Files larger than this are refused before they are parsed.
    public static let maximumFileSize = 10 * 1024 * 1024

    /// The documents of one FatturaPA file, in body order.
    public static func read(_ bytes: [UInt8], fileName: String) throws(FatturaPAError) -> [FatturaPADocument] {
        var limits = XMLReader.Limits.standard
        limits.maximumBytes = maximumFileSize
        let root: XMLReader.Element
        do {
            root = try XMLReader.parse(bytes, limits: limits).root
        } catch {
            throw FatturaPAError(xml: error, fileName: fileName)
        }
        return try DocumentReader(fileName: fileName).documents(in: root)
    }
}

// MARK: - The documents

/// A VAT number as FatturaPA writes it: an ISO 3166 country code and the national code.
public struct FatturaPAVATNumber: Sendable, Hashable, CustomStringConvertible {
    /// Upper case, two letters: "IT".
    public var country: String
    /// Upper case: "01234567890".
    public var code: String

    public init(country: String, code: String) {
        self.country = country.uppercased()
        self.code = code.uppercased()
    }

    /// Reads "IT01234567890", "it 012 345 67890" or a bare "01234567890" (digits only: an
    /// Italian partita IVA): spaces are dropped, letters upper-cased; nil unless it is a
    /// two-letter country and 1 to 28 letters and digits, or digits alone.
    public init?(parsing text: String) {
        let compact = text.unicodeScalars.filter { !$0.properties.isWhitespace }
        let characters = String(String.UnicodeScalarView(compact)).uppercased()
        let bytes = Array(characters.utf8)
        guard !bytes.isEmpty, bytes.allSatisfy({ FatturaPAVATNumber.isUpperAlphanumeric($0) }) else { return nil }
        let country: String
        let code: String
        if bytes.count > 2, FatturaPAVATNumber.isLetter(bytes[0]), FatturaPAVATNumber.isLetter(bytes[1]) {
            country = String(decoding: bytes[0..<2], as: UTF8.self)
            code = String(decoding: bytes[2...], as: UTF8.self)
        } else if bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            country = "IT"
            code = characters
        } else {
            return nil
        }
        guard (1...28).contains(code.utf8.count) else { return nil }
        self.init(country: country, code: code)
    }

    /// "IT01234567890".
    public var description: String { country + code }

    fileprivate static func isLetter(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")
    }

    fileprivate static func isUpperAlphanumeric(_ byte: UInt8) -> Bool {
        isLetter(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}

/// The customer of a document (CessionarioCommittente).
public struct FatturaPABuyer: Sendable, Equatable {
    public var vat: FatturaPAVATNumber?
    /// CodiceFiscale, upper case.
    public var fiscalCode: String?
    /// Denominazione, or "Nome Cognome"; runs of white space collapsed.
    public var name: String

    public init(vat: FatturaPAVATNumber?, fiscalCode: String?, name: String) {
        self.vat = vat
        self.fiscalCode = fiscalCode
        self.name = name
    }
}

/// An exact decimal amount as FatturaPA writes it ("1220.50", "-1.83", "100.00000000"):
/// `units` / 10^`scale`, with trailing zeros after the point dropped, so equal amounts are
/// equal values. Amounts are turned into `Money` only once the store's currency is known.
public struct FatturaPAAmount: Sendable, Hashable, CustomStringConvertible {
    public let units: Int64
    /// Digits after the point, 0...8.
    public let scale: Int

    public static let zero = FatturaPAAmount(units: 0, scale: 0)

    public init(units: Int64, scale: Int) {
        var units = units
        var scale = scale
        while scale > 0, units % 10 == 0 {
            units /= 10
            scale -= 1
        }
        self.units = units
        self.scale = scale
    }

    /// Reads "[-]digits[.digits]" with at most 8 significant digits after the point (the
    /// schema's widest amount type); trailing zeros beyond them are accepted. Nil for
    /// anything else, including magnitudes that do not fit in 64 bits.
    public init?(parsing text: String) {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            bytes = bytes.dropFirst()
        }
        guard bytes.count <= 64 else { return nil }
        let integerDigits = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard !integerDigits.isEmpty else { return nil }
        var fractionDigits = bytes[bytes.endIndex...]
        let rest = bytes[integerDigits.endIndex...]
        if let point = rest.first {
            guard point == UInt8(ascii: ".") else { return nil }
            fractionDigits = rest.dropFirst()
            guard !fractionDigits.isEmpty,
                fractionDigits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            else { return nil }
        }
        while fractionDigits.last == UInt8(ascii: "0") { fractionDigits = fractionDigits.dropLast() }
        guard fractionDigits.count <= 8 else { return nil }
        var units: Int64 = 0
        for byte in integerDigits + fractionDigits {
            let (shifted, overflow1) = units.multipliedReportingOverflow(by: 10)
            let (added, overflow2) = shifted.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            units = added
        }
        self.init(units: negative ? -units : units, scale: fractionDigits.count)
    }

    public var isNegative: Bool { units < 0 }
    public var isZero: Bool { units == 0 }

    /// The sum, or nil on overflow.
    public func adding(_ other: FatturaPAAmount) -> FatturaPAAmount? {
        let scale = max(self.scale, other.scale)
        guard let left = self.units(atScale: scale), let right = other.units(atScale: scale) else { return nil }
        let (sum, overflow) = left.addingReportingOverflow(right)
        return overflow ? nil : FatturaPAAmount(units: sum, scale: scale)
    }

    /// The exact amount in the currency's minor units; nil when it has more significant
    /// decimals than the currency has (no silent rounding) or does not fit.
    public func money(in currency: Currency) -> Money? {
        guard scale <= currency.minorDigits, let minor = units(atScale: currency.minorDigits) else { return nil }
        return Money(minorUnits: minor)
    }

    private func units(atScale target: Int) -> Int64? {
        var value = units
        for _ in scale..<max(scale, target) {
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            value = shifted
        }
        return value
    }

    /// Plain decimal with at least two digits after the point: "30.50", "-1.83", "0.125".
    public var description: String {
        let shown = max(scale, 2)
        let magnitude = String(units.magnitude)
        let digits = String(repeating: "0", count: max(0, shown + 1 - magnitude.count)) + magnitude
            + String(repeating: "0", count: shown - scale)
        let integerPart = digits.dropLast(shown)
        let fractionPart = digits.suffix(shown)
        return (units < 0 ? "-" : "") + integerPart + "." + fractionPart
    }
}

/// One `DettaglioPagamento` row.
public struct FatturaPAPaymentDetail: Sendable, Equatable {
    /// ModalitaPagamento: "MP05".
    public var method: String
    /// DataScadenzaPagamento.
    public var due: Day?
    /// ImportoPagamento (required by the schema; nil only when a file leaves it out).
    public var amount: FatturaPAAmount?
    /// GiorniTerminiPagamento: days from `termsStart` (or the document date) to the due date.
    public var termDays: Int?
    /// DataRiferimentoTerminiPagamento.
    public var termsStart: Day?
    public var line: Int

    public init(method: String, due: Day?, amount: FatturaPAAmount?, termDays: Int?, termsStart: Day?, line: Int) {
        self.method = method
        self.due = due
        self.amount = amount
        self.termDays = termDays
        self.termsStart = termsStart
        self.line = line
    }

    /// The Italian name of the method, from the schema's table: "bonifico" for MP05.
    public var methodName: String? { FatturaPAPaymentDetail.methodNames[method] }

    /// ModalitaPagamento codes of schema 1.2.2 and their names.
    public static let methodNames: [String: String] = [
        "MP01": "contanti",
        "MP02": "assegno",
        "MP03": "assegno circolare",
        "MP04": "contanti presso Tesoreria",
        "MP05": "bonifico",
        "MP06": "vaglia cambiario",
        "MP07": "bollettino bancario",
        "MP08": "carta di pagamento",
        "MP09": "RID",
        "MP10": "RID utenze",
        "MP11": "RID veloce",
        "MP12": "RIBA",
        "MP13": "MAV",
        "MP14": "quietanza erario",
        "MP15": "giroconto su conti di contabilità speciale",
        "MP16": "domiciliazione bancaria",
        "MP17": "domiciliazione postale",
        "MP18": "bollettino di c/c postale",
        "MP19": "SEPA Direct Debit",
        "MP20": "SEPA Direct Debit CORE",
        "MP21": "SEPA Direct Debit B2B",
        "MP22": "trattenuta su somme già riscosse",
        "MP23": "PagoPA",
    ]
}

/// One `DatiPagamento` block.
public struct FatturaPAPaymentTerms: Sendable, Equatable {
    /// CondizioniPagamento: "TP01" (instalments), "TP02" (full), "TP03" (advance).
    public var condition: String
    public var details: [FatturaPAPaymentDetail]
    public var line: Int

    public init(condition: String, details: [FatturaPAPaymentDetail], line: Int) {
        self.condition = condition
        self.details = details
        self.line = line
    }
}

/// One invoice (or other document) of a FatturaPA file: one `FatturaElettronicaBody`.
public struct FatturaPADocument: Sendable, Equatable {
    public var fileName: String
    /// 1 for the first FatturaElettronicaBody of the file.
    public var bodyIndex: Int
    /// The line of its FatturaElettronicaBody.
    public var line: Int
    /// The root's `versione`: "FPA12" or "FPR12".
    public var formatVersion: String?
    public var seller: FatturaPAVATNumber
    public var sellerName: String?
    public var buyer: FatturaPABuyer
    /// TipoDocumento: "TD01" invoice, "TD04" credit note, ...
    public var documentType: String
    /// Divisa: "EUR".
    public var currencyCode: String
    /// Numero, trimmed: 1 to 20 printable ASCII characters.
    public var number: String
    /// Data.
    public var date: Day
    /// ImportoTotaleDocumento, or the DatiRiepilogo sum when that is absent.
    public var total: FatturaPAAmount
    /// True when `total` was computed from DatiRiepilogo (ImportoTotaleDocumento absent).
    public var totalIsComputed: Bool
    /// The Causale lines, trimmed, empty ones left out.
    public var causale: [String]
    public var payments: [FatturaPAPaymentTerms]

    public init(fileName: String, bodyIndex: Int, line: Int, formatVersion: String?, seller: FatturaPAVATNumber,
                sellerName: String?, buyer: FatturaPABuyer, documentType: String, currencyCode: String,
                number: String, date: Day, total: FatturaPAAmount, totalIsComputed: Bool, causale: [String],
                payments: [FatturaPAPaymentTerms]) {
        self.fileName = fileName
        self.bodyIndex = bodyIndex
        self.line = line
        self.formatVersion = formatVersion
        self.seller = seller
        self.sellerName = sellerName
        self.buyer = buyer
        self.documentType = documentType
        self.currencyCode = currencyCode
        self.number = number
        self.date = date
        self.total = total
        self.totalIsComputed = totalIsComputed
        self.causale = causale
        self.payments = payments
    }

    /// "invoice 123 (body 2, line 84)", for messages.
    var label: String {
        "document \(number) (body \(bodyIndex), line \(line))"
    }
}

// MARK: - Errors

/// Why a FatturaPA file, or one of its documents, cannot be imported. The description
/// starts with the file name: "IT01234567890_FPR99.xml: not well formed at line 12: ...".
public struct FatturaPAError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// The bytes are not well-formed XML.
        case notWellFormed
        /// A DOCTYPE or an entity other than the predefined five: refused on principle.
        case forbiddenMarkup
        /// Bigger, deeper or with more elements than the reader's bounds.
        case limitExceeded
        /// An encoding other than UTF-8, US-ASCII, ISO-8859-1 or windows-1252.
        case unsupportedEncoding
        /// Well-formed XML, but not a FatturaElettronica 1.2 document.
        case notFatturaPA
        /// A FatturaPA document missing or misusing something the import needs.
        case invalidContent
        /// The company's VAT number, as given to the import, is not a VAT number.
        case invalidSellerVAT
        /// A document issued by someone other than the company.
        case otherSeller
        /// A document in another currency than the store's.
        case currencyMismatch
        /// An amount with more decimals than the store's currency, or out of range.
        case inexactAmount
        /// The payment details add up to more than the document total.
        case paymentsExceedTotal
        /// Two different documents that map to the same invoice id.
        case duplicateInvoice
    }

    public var fileName: String
    public var kind: Kind
    public var reason: String
    /// The line in the file the problem is on, when there is one.
    public var line: Int?

    public init(fileName: String, kind: Kind, reason: String, line: Int? = nil) {
        self.fileName = fileName
        self.kind = kind
        self.reason = reason
        self.line = line
    }

    init(xml failure: XMLReader.Failure, fileName: String) {
        let kind: Kind
        switch failure.kind {
        case .notWellFormed: kind = .notWellFormed
        case .forbiddenMarkup: kind = .forbiddenMarkup
        case .limitExceeded: kind = .limitExceeded
        case .unsupportedEncoding: kind = .unsupportedEncoding
        }
        self.init(fileName: fileName, kind: kind, reason: failure.message, line: failure.line)
    }

    /// One safe line: the reason quotes text from the file, which may hold anything.
    public var description: String { TextEscaping.oneLine(wording) }

    private var wording: String {
        let file = fileName.isEmpty ? "" : fileName + ": "
        let at = line.map { " at line \($0)" } ?? ""
        switch kind {
        case .notWellFormed: return "\(file)not well formed\(at): \(reason)"
        case .forbiddenMarkup, .limitExceeded: return "\(file)refused\(at): \(reason)"
        case .unsupportedEncoding: return "\(file)unsupported encoding\(at): \(reason)"
        case .notFatturaPA: return "\(file)not a FatturaPA invoice (\(reason))"
        default: return file + reason
        }
    }
}

// MARK: - From the element tree to documents

private struct DocumentReader {
    let fileName: String

    func invalid(_ reason: String, line: Int?) -> FatturaPAError {
        FatturaPAError(fileName: fileName, kind: .invalidContent, reason: reason, line: line)
    }

    func documents(in root: XMLReader.Element) throws(FatturaPAError) -> [FatturaPADocument] {
        guard root.name == "FatturaElettronica" else {
            var reason = "root element is \(root.name)"
            if root.name == "FatturaElettronicaSemplificata" {
                reason += "; simplified invoices (FSM10) are not imported"
            }
            throw FatturaPAError(fileName: fileName, kind: .notFatturaPA, reason: reason, line: root.line)
        }
        let version = root.attribute("versione")?.trimmedXML
        if let version, version != "FPA12", version != "FPR12" {
            throw FatturaPAError(fileName: fileName, kind: .notFatturaPA,
                                 reason: "versione is \(version); FatturaPA 1.2 files are FPA12 or FPR12", line: root.line)
        }
        let headers = root.children(named: "FatturaElettronicaHeader")
        guard headers.count == 1, let header = headers.first else {
            throw invalid("FatturaElettronica must hold exactly one FatturaElettronicaHeader, not \(headers.count)", line: root.line)
        }
        let bodies = root.children(named: "FatturaElettronicaBody")
        guard !bodies.isEmpty else {
            throw invalid("FatturaElettronica holds no FatturaElettronicaBody", line: root.line)
        }

        guard let sellerData = header.descendant("CedentePrestatore", "DatiAnagrafici") else {
            throw invalid("FatturaElettronicaHeader has no CedentePrestatore/DatiAnagrafici", line: header.line)
        }
        guard let sellerVATElement = sellerData.child("IdFiscaleIVA") else {
            throw invalid("CedentePrestatore has no IdFiscaleIVA (the seller's VAT number)", line: sellerData.line)
        }
        let seller = try vatNumber(sellerVATElement, of: "CedentePrestatore")
        let sellerName = sellerData.child("Anagrafica").flatMap(personName)

        guard let buyerData = header.descendant("CessionarioCommittente", "DatiAnagrafici") else {
            throw invalid("FatturaElettronicaHeader has no CessionarioCommittente/DatiAnagrafici", line: header.line)
        }
        var buyerVAT: FatturaPAVATNumber?
        if let element = buyerData.child("IdFiscaleIVA") {
            buyerVAT = try vatNumber(element, of: "CessionarioCommittente")
        }
        var fiscalCode: String?
        if let element = buyerData.child("CodiceFiscale") {
            let code = element.text.trimmedXML.uppercased()
            guard (11...16).contains(code.utf8.count), code.utf8.allSatisfy(FatturaPAVATNumber.isUpperAlphanumeric) else {
                throw invalid("CessionarioCommittente CodiceFiscale \"\(code)\" is not a fiscal code (11 to 16 letters and digits)",
                              line: element.line)
            }
            fiscalCode = code
        }
        guard buyerVAT != nil || fiscalCode != nil else {
            throw invalid("CessionarioCommittente has neither IdFiscaleIVA nor CodiceFiscale", line: buyerData.line)
        }
        guard let buyerName = buyerData.child("Anagrafica").flatMap(personName) else {
            throw invalid("CessionarioCommittente has no Anagrafica with Denominazione or Nome and Cognome", line: buyerData.line)
        }
        let buyer = FatturaPABuyer(vat: buyerVAT, fiscalCode: fiscalCode, name: buyerName)

        var documents: [FatturaPADocument] = []
        for (offset, body) in bodies.enumerated() {
            documents.append(try document(body, index: offset + 1, version: version, seller: seller,
                                          sellerName: sellerName, buyer: buyer))
        }
        return documents
    }

    private func vatNumber(_ element: XMLReader.Element, of party: String) throws(FatturaPAError) -> FatturaPAVATNumber {
        let country = element.child("IdPaese")?.text.trimmedXML.uppercased() ?? ""
        let code = element.child("IdCodice")?.text.trimmedXML.uppercased() ?? ""
        guard country.utf8.count == 2, country.utf8.allSatisfy(FatturaPAVATNumber.isLetter) else {
            throw invalid("\(party) IdFiscaleIVA/IdPaese \"\(country)\" is not a two-letter country code", line: element.line)
        }
        guard (1...28).contains(code.utf8.count), code.utf8.allSatisfy(FatturaPAVATNumber.isUpperAlphanumeric) else {
            throw invalid("\(party) IdFiscaleIVA/IdCodice \"\(code)\" is not a VAT code (1 to 28 letters and digits)",
                          line: element.line)
        }
        return FatturaPAVATNumber(country: country, code: code)
    }

    /// Denominazione, else "Nome Cognome".
    private func personName(_ anagrafica: XMLReader.Element) -> String? {
        if let name = anagrafica.child("Denominazione")?.text.collapsedXMLWhiteSpace, !name.isEmpty {
            return name
        }
        let parts = [anagrafica.child("Nome"), anagrafica.child("Cognome")].compactMap { $0?.text.collapsedXMLWhiteSpace }
            .filter { !$0.isEmpty }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    private func document(_ body: XMLReader.Element, index: Int, version: String?, seller: FatturaPAVATNumber,
                          sellerName: String?, buyer: FatturaPABuyer) throws(FatturaPAError) -> FatturaPADocument {
        let bodyLabel = "body \(index)"
        guard let general = body.descendant("DatiGenerali", "DatiGeneraliDocumento") else {
            throw invalid("\(bodyLabel) (line \(body.line)) has no DatiGenerali/DatiGeneraliDocumento", line: body.line)
        }
        func required(_ name: String) throws(FatturaPAError) -> XMLReader.Element {
            guard let element = general.child(name), !element.text.trimmedXML.isEmpty else {
                throw invalid("\(bodyLabel): DatiGeneraliDocumento (line \(general.line)) has no \(name)", line: general.line)
            }
            return element
        }
        let numberElement = try required("Numero")
        let number = numberElement.text.trimmedXML
        guard number.utf8.count <= 20, number.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw invalid("\(bodyLabel): Numero \"\(number)\" is not 1 to 20 printable ASCII characters, as the schema requires",
                          line: numberElement.line)
        }
        let label = "\(bodyLabel), document \(number)"

        let typeElement = try required("TipoDocumento")
        let documentType = typeElement.text.trimmedXML
        guard documentType.utf8.count == 4, documentType.hasPrefix("TD") else {
            throw invalid("\(label): TipoDocumento \"\(documentType)\" is not a document type like TD01", line: typeElement.line)
        }
        let currencyElement = try required("Divisa")
        let currencyCode = currencyElement.text.trimmedXML
        guard currencyCode.utf8.count == 3, currencyCode.utf8.allSatisfy(FatturaPAVATNumber.isLetter) else {
            throw invalid("\(label): Divisa \"\(currencyCode)\" is not a currency code like EUR", line: currencyElement.line)
        }
        let date = try day(try required("Data"), label: label)

        var statedTotal: FatturaPAAmount?
        if let element = general.child("ImportoTotaleDocumento"), !element.text.trimmedXML.isEmpty {
            statedTotal = try amount(element, label: label)
        }
        var total: FatturaPAAmount
        let totalIsComputed: Bool
        if let statedTotal {
            total = statedTotal
            totalIsComputed = false
        } else {
            let rows = body.child("DatiBeniServizi")?.children(named: "DatiRiepilogo") ?? []
            guard !rows.isEmpty else {
                throw invalid("\(label): no ImportoTotaleDocumento and no DatiRiepilogo to compute the total from", line: general.line)
            }
            total = .zero
            for row in rows {
                for name in ["ImponibileImporto", "Imposta"] {
                    guard let element = row.child(name) else {
                        throw invalid("\(label): DatiRiepilogo (line \(row.line)) has no \(name)", line: row.line)
                    }
                    guard let sum = total.adding(try amount(element, label: label)) else {
                        throw invalid("\(label): the DatiRiepilogo amounts add up beyond the range of amounts", line: row.line)
                    }
                    total = sum
                }
            }
            totalIsComputed = true
        }

        let causale = general.children(named: "Causale").map(\.text.trimmedXML).filter { !$0.isEmpty }

        var payments: [FatturaPAPaymentTerms] = []
        for block in body.children(named: "DatiPagamento") {
            guard let conditionElement = block.child("CondizioniPagamento") else {
                throw invalid("\(label): DatiPagamento (line \(block.line)) has no CondizioniPagamento", line: block.line)
            }
            let condition = conditionElement.text.trimmedXML
            guard ["TP01", "TP02", "TP03"].contains(condition) else {
                throw invalid("\(label): CondizioniPagamento \"\(condition)\" is not TP01, TP02 or TP03", line: conditionElement.line)
            }
            var details: [FatturaPAPaymentDetail] = []
            for row in block.children(named: "DettaglioPagamento") {
                details.append(try detail(row, label: label))
            }
            guard !details.isEmpty else {
                throw invalid("\(label): DatiPagamento (line \(block.line)) has no DettaglioPagamento", line: block.line)
            }
            payments.append(FatturaPAPaymentTerms(condition: condition, details: details, line: block.line))
        }

        return FatturaPADocument(
            fileName: fileName, bodyIndex: index, line: body.line, formatVersion: version, seller: seller,
            sellerName: sellerName, buyer: buyer, documentType: documentType, currencyCode: currencyCode,
            number: number, date: date, total: total, totalIsComputed: totalIsComputed, causale: causale,
            payments: payments)
    }

    private func detail(_ row: XMLReader.Element, label: String) throws(FatturaPAError) -> FatturaPAPaymentDetail {
        guard let methodElement = row.child("ModalitaPagamento") else {
            throw invalid("\(label): DettaglioPagamento (line \(row.line)) has no ModalitaPagamento", line: row.line)
        }
        let method = methodElement.text.trimmedXML
        let methodBytes = Array(method.utf8)
        // Codes beyond MP23 are accepted (a later schema may add some) when they look like one.
        guard methodBytes.count == 4, method.hasPrefix("MP"),
            methodBytes[2...].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else {
            throw invalid("\(label): ModalitaPagamento \"\(method)\" is not a payment method code like MP05", line: methodElement.line)
        }
        var due: Day?
        if let element = row.child("DataScadenzaPagamento"), !element.text.trimmedXML.isEmpty {
            due = try day(element, label: label)
        }
        var paymentAmount: FatturaPAAmount?
        if let element = row.child("ImportoPagamento"), !element.text.trimmedXML.isEmpty {
            paymentAmount = try amount(element, label: label)
        }
        var termDays: Int?
        if let element = row.child("GiorniTerminiPagamento"), !element.text.trimmedXML.isEmpty {
            let text = element.text.trimmedXML
            guard text.utf8.count <= 3, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                let value = Int(text)
            else {
                throw invalid("\(label): GiorniTerminiPagamento \"\(text)\" is not a number of days from 0 to 999", line: element.line)
            }
            termDays = value
        }
        var termsStart: Day?
        if let element = row.child("DataRiferimentoTerminiPagamento"), !element.text.trimmedXML.isEmpty {
            termsStart = try day(element, label: label)
        }
        return FatturaPAPaymentDetail(method: method, due: due, amount: paymentAmount, termDays: termDays,
                                      termsStart: termsStart, line: row.line)
    }

    /// An xs:date: "YYYY-MM-DD", optionally followed by "Z" or a "+hh:mm"/"-hh:mm" zone,
    /// which is dropped: the calendar date is what the document means.
    private func day(_ element: XMLReader.Element, label: String) throws(FatturaPAError) -> Day {
        let text = element.text.trimmedXML
        let bytes = Array(text.utf8)
        var datePart = text
        if bytes.count > 10 {
            let zone = bytes[10...]
            let isZone: Bool
            if zone.count == 1 {
                isZone = zone.first == UInt8(ascii: "Z")
            } else if zone.count == 6 {
                let z = Array(zone)
                let digit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
                isZone = (z[0] == UInt8(ascii: "+") || z[0] == UInt8(ascii: "-")) && digit(z[1]) && digit(z[2])
                    && z[3] == UInt8(ascii: ":") && digit(z[4]) && digit(z[5])
            } else {
                isZone = false
            }
            if isZone { datePart = String(decoding: bytes[..<10], as: UTF8.self) }
        }
        guard let day = Day(iso: datePart) else {
            throw invalid("\(label): \(element.name) \"\(text)\" is not a date written YYYY-MM-DD", line: element.line)
        }
        return day
    }

    private func amount(_ element: XMLReader.Element, label: String) throws(FatturaPAError) -> FatturaPAAmount {
        let text = element.text.trimmedXML
        guard let amount = FatturaPAAmount(parsing: text) else {
            throw invalid("\(label): \(element.name) \"\(text)\" is not an amount written like 1220.50 "
                + "(a point, at most 8 decimals)", line: element.line)
        }
        return amount
    }
}

extension String {
    /// Without the XML white space (space, tab, LF, CR) at either end.
    var trimmedXML: String {
        let bytes = Array(utf8)
        var start = 0
        var end = bytes.count
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        if start == 0 && end == bytes.count { return self }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// Trimmed, with every run of XML white space (space, tab, LF, CR) turned into one space.
    var collapsedXMLWhiteSpace: String {
        var output: [UInt8] = []
        var pendingSpace = false
        for byte in utf8 {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                pendingSpace = !output.isEmpty
                continue
            }
            if pendingSpace { output.append(0x20) }
            pendingSpace = false
            output.append(byte)
        }
        return String(decoding: output, as: UTF8.self)
    }
}
