import EventLog

/// FatturaPA documents as events: ClientRegistered, InvoiceIssued and DeadlineSet inputs,
/// ready for `append`.
///
/// The decisions, in the order a document meets them:
/// 1. Self-invoices and reverse-charge integrations (TD16...TD23, TD27, TD28) are skipped
///    with a message: in them the company is the buyer, or invoices itself, so they are no
///    claim on a customer. They are judged before the seller, since their CedentePrestatore
///    is the foreign or original supplier.
/// 2. The seller must be the company: `CedentePrestatore/IdFiscaleIVA` equals `sellerVAT`,
///    country and code compared case-insensitively, spaces ignored, "IT" assumed when
///    `sellerVAT` has no country ("01234567890"). Otherwise the import fails, naming the file.
/// 3. Credit notes (TD04, TD08) are skipped with a message: a credit note lowers what a
///    customer owes, it is no deadline of its own. (Record it by amending or cancelling the
///    invoice's deadlines, or as a payment, as the case may be.)
/// 4. Divisa must be the store's currency; nothing is converted.
/// 5. Amounts become `Money` exactly: decimals beyond the currency's digits must be zeros
///    ("100.00000000" is 100.00 EUR; "10.005" is an error, never rounded).
/// 6. A document whose total is zero or negative (a correction written as a negative
///    invoice) is skipped with a message: only a positive amount is a receivable.
/// 7. The buyer becomes a client unless its id is in `existingClients` or was registered
///    earlier in the same import: id = the buyer's VAT number ("IT01234567890") or, without
///    one, its CodiceFiscale; name = Denominazione or "Nome Cognome"; vat = the VAT number.
/// 8. The document becomes InvoiceIssued: invoice id "<seller VAT>/<year of Data>/<Numero>",
///    e.g. "IT01234567890/2026/FT 12" (numbering restarts each year, so seller, year and number
///    together are unique and stable); number = Numero; issued = Data; amount = the total
///    (ImportoTotaleDocumento, else the DatiRiepilogo sum); description = the Causale lines
///    joined by a space (white space collapsed, cut at 1000 characters).
/// 9. Each DettaglioPagamento, numbered n = 1, 2, ... across the document's DatiPagamento
///    blocks in file order, becomes DeadlineSet "<invoice id>-<n>" for ImportoPagamento, due
///    on DataScadenzaPagamento; without that date (e.g. TP02 with terms only), on
///    DataRiferimentoTerminiPagamento (else Data) plus GiorniTerminiPagamento (else 0 days).
///    Its description is the method code and its Italian name, "MP05 bonifico". A detail of
///    0.00 sets no deadline; a negative one is an error. A lone detail without
///    ImportoPagamento is for the whole total. A document without DatiPagamento gets one
///    deadline "<invoice id>-1" for the total, due on Data.
///    The deadlines may add up to less than the total (withholding tax, ritenuta, is paid by
///    the customer to the State) but never to more: that is an error naming the file.
///    DeadlineSet carries `effective` = Data, so as-of views see the invoice and its
///    deadlines from the same day.
/// 10. Keys, from content only, so importing a file again appends nothing:
///    "fatturapa:<invoice id>", "fatturapa:<invoice id>:deadline:<n>",
///    "fatturapa:client:<client id>". Every event has meta {"source": "fatturapa"}.
///    Two documents with the same invoice id in one import are one invoice when their
///    events are identical (the second is skipped with a message) and an error otherwise.
extension FatturaPA {
    /// What an import would append, and the documents it leaves out with the reason.
    public struct ImportPlan: Sendable {
        public var events: [EventInput]
        public var skipped: [SkippedDocument]
    }

    /// A document that is read but not imported, and why.
    public struct SkippedDocument: Sendable, Equatable, CustomStringConvertible {
        public var fileName: String
        public var bodyIndex: Int
        public var number: String
        public var documentType: String
        public var reason: String

        /// "IT01234567890_FPR06.xml: document 123 (TD04, body 1) skipped: a credit note ...".
        public var description: String {
            "\(fileName): document \(number) (\(documentType), body \(bodyIndex)) skipped: \(reason)"
        }
    }

    /// The events for these documents, in order: for each document its ClientRegistered
    /// (when new), InvoiceIssued and DeadlineSet events. See `plan` for what is skipped.
    public static func events(for documents: [FatturaPADocument], sellerVAT: String, existingClients: Set<String>,
                              currency: Currency) throws(FatturaPAError) -> [EventInput] {
        try plan(for: documents, sellerVAT: sellerVAT, existingClients: existingClients, currency: currency).events
    }

    /// The events and the skipped documents, with the rules in this extension's comment.
    public static func plan(for documents: [FatturaPADocument], sellerVAT: String, existingClients: Set<String>,
                            currency: Currency) throws(FatturaPAError) -> ImportPlan {
        guard let company = FatturaPAVATNumber(parsing: sellerVAT) else {
            throw FatturaPAError(fileName: "", kind: .invalidSellerVAT,
                                 reason: "the company's VAT number \"\(sellerVAT)\" is not a VAT number like IT01234567890")
        }
        var builder = ImportBuilder(company: company, registered: existingClients, currency: currency)
        for document in documents {
            try builder.add(document)
        }
        return ImportPlan(events: builder.events, skipped: builder.skipped)
    }

    /// "IT01234567890/2026/FT 12": the seller, the year of the document date and its number.
    public static func invoiceId(for document: FatturaPADocument) -> String {
        "\(document.seller)/\(document.date.description.prefix(4))/\(document.number)"
    }

    /// The buyer's VAT number ("IT01234567890"), else its fiscal code.
    public static func clientId(for buyer: FatturaPABuyer) -> String {
        buyer.vat?.description ?? buyer.fiscalCode ?? ""
    }

    /// The prefix of every idempotency key the import writes.
    public static let keyPrefix = "fatturapa:"

    /// Types whose CedentePrestatore is not the company's customer relation: self-invoices
    /// and reverse-charge integrations. Skipped before the seller is checked.
    static let selfInvoiceTypes: [String: String] = [
        "TD16": "a reverse-charge integration (TD16) is a self-invoice, not a claim on a customer",
        "TD17": "a self-invoice for services bought abroad (TD17) is not a claim on a customer",
        "TD18": "an integration for intra-EU purchases of goods (TD18) is not a claim on a customer",
        "TD19": "an integration for goods bought under art. 17 c.2 (TD19) is not a claim on a customer",
        "TD20": "a self-invoice for regularisation (TD20) is not a claim on a customer",
        "TD21": "a self-invoice for exceeding the plafond (TD21) is not a claim on a customer",
        "TD22": "an extraction of goods from a VAT warehouse (TD22) is not a claim on a customer",
        "TD23": "an extraction of goods from a VAT warehouse (TD23) is not a claim on a customer",
        "TD27": "a self-invoice for own use or free transfers (TD27) is not a claim on a customer",
        "TD28": "a purchase from San Marino (TD28) is not a claim on a customer",
    ]

    /// Credit notes: skipped after the seller check.
    static let creditNoteTypes: [String: String] = [
        "TD04": "a credit note (nota di credito, TD04) lowers what a customer owes; it is not a receivable deadline",
        "TD08": "a simplified credit note (TD08) lowers what a customer owes; it is not a receivable deadline",
    ]
}

/// One import's running state.
private struct ImportBuilder {
    let company: FatturaPAVATNumber
    var registered: Set<String>
    let currency: Currency
    var events: [EventInput] = []
    var skipped: [FatturaPA.SkippedDocument] = []
    /// Invoice id -> where it was first seen and the keys and fingerprints of its events.
    var seen: [String: (fileName: String, bodyIndex: Int, signature: [String])] = [:]

    static let meta: JSONObject = ["source": "fatturapa"]

    init(company: FatturaPAVATNumber, registered: Set<String>, currency: Currency) {
        self.company = company
        self.registered = registered
        self.currency = currency
    }

    private func skip(_ document: FatturaPADocument, _ reason: String) -> FatturaPA.SkippedDocument {
        FatturaPA.SkippedDocument(fileName: document.fileName, bodyIndex: document.bodyIndex, number: document.number,
                                  documentType: document.documentType, reason: reason)
    }

    private func money(_ amount: FatturaPAAmount, _ what: String, _ document: FatturaPADocument, line: Int) throws(FatturaPAError) -> Money {
        guard let money = amount.money(in: currency) else {
            let reason = amount.scale > currency.minorDigits
                ? "has more decimals than \(currency.code) allows (\(currency.minorDigits)); the import does not round"
                : "is out of the range of amounts"
            throw FatturaPAError(fileName: document.fileName, kind: .inexactAmount,
                                 reason: "\(document.label): \(what) \(amount) \(reason)", line: line)
        }
        return money
    }

    private struct PlannedDeadline {
        var index: Int
        var due: Day
        var amount: Money
        var description: String?
    }

    mutating func add(_ document: FatturaPADocument) throws(FatturaPAError) {
        if let reason = FatturaPA.selfInvoiceTypes[document.documentType] {
            skipped.append(skip(document, reason))
            return
        }
        guard document.seller == company else {
            throw FatturaPAError(fileName: document.fileName, kind: .otherSeller,
                                 reason: "issued by \(document.seller), not by the company (\(company))", line: document.line)
        }
        if let reason = FatturaPA.creditNoteTypes[document.documentType] {
            skipped.append(skip(document, reason))
            return
        }
        guard document.currencyCode == currency.code else {
            throw FatturaPAError(fileName: document.fileName, kind: .currencyMismatch,
                                 reason: "\(document.label) is in \(document.currencyCode); the store keeps \(currency.code) "
                                    + "and the import does not convert", line: document.line)
        }
        let total = try money(document.total, document.totalIsComputed ? "the total (computed from DatiRiepilogo)" : "ImportoTotaleDocumento",
                              document, line: document.line)
        guard total.isPositive else {
            skipped.append(skip(document, "its total is \(total.canonical(currency)); only a positive total is a receivable"))
            return
        }

        let invoiceId = FatturaPA.invoiceId(for: document)
        let clientId = FatturaPA.clientId(for: document.buyer)
        for (what, id) in [("invoice id", invoiceId), ("client id", clientId)] where !Identifiers.isValidId(id) {
            throw FatturaPAError(fileName: document.fileName, kind: .invalidContent,
                                 reason: "\(document.label): the \(what) \"\(id)\" is not a valid id", line: document.line)
        }

        // The deadlines.
        var deadlines: [PlannedDeadline] = []
        let detailCount = document.payments.reduce(0) { $0 + $1.details.count }
        var index = 0
        for terms in document.payments {
            for detail in terms.details {
                index += 1
                let amount: Money
                if let given = detail.amount {
                    amount = try money(given, "ImportoPagamento", document, line: detail.line)
                } else if detailCount == 1 {
                    amount = total
                } else {
                    throw FatturaPAError(fileName: document.fileName, kind: .invalidContent,
                                         reason: "\(document.label): DettaglioPagamento \(index) (line \(detail.line)) has no "
                                            + "ImportoPagamento", line: detail.line)
                }
                if amount.isNegative {
                    throw FatturaPAError(fileName: document.fileName, kind: .invalidContent,
                                         reason: "\(document.label): ImportoPagamento \(amount.canonical(currency)) "
                                            + "(line \(detail.line)) is negative", line: detail.line)
                }
                if amount.isZero { continue }
                let due = detail.due ?? (detail.termsStart ?? document.date).adding(days: detail.termDays ?? 0)
                guard due.year <= 9999 else {
                    throw FatturaPAError(fileName: document.fileName, kind: .invalidContent,
                                         reason: "\(document.label): DettaglioPagamento \(index) (line \(detail.line)): its payment terms "
                                            + "fall after 9999-12-31", line: detail.line)
                }
                let description = detail.methodName.map { "\(detail.method) \($0)" } ?? detail.method
                deadlines.append(PlannedDeadline(index: index, due: due, amount: amount, description: description))
            }
        }
        if document.payments.isEmpty {
            deadlines.append(PlannedDeadline(index: 1, due: document.date, amount: total, description: nil))
        }
        var sum = Money.zero
        for deadline in deadlines {
            guard let next = sum.adding(deadline.amount) else {
                throw FatturaPAError(fileName: document.fileName, kind: .inexactAmount,
                                     reason: "\(document.label): the payment amounts add up beyond the range of amounts",
                                     line: document.line)
            }
            sum = next
        }
        if sum > total {
            let totalSource = document.totalIsComputed
                ? " (computed from DatiRiepilogo, as ImportoTotaleDocumento is absent)" : " (ImportoTotaleDocumento)"
            throw FatturaPAError(fileName: document.fileName, kind: .paymentsExceedTotal,
                                 reason: "\(document.label): the payment details (DettaglioPagamento) add up to "
                                    + "\(sum.canonical(currency)), more than the document total \(total.canonical(currency))"
                                    + totalSource, line: document.line)
        }

        // The events.
        var invoiceData = JSONObject()
        invoiceData["invoice"] = .string(invoiceId)
        invoiceData["client"] = .string(clientId)
        invoiceData["issued"] = .string(document.date.description)
        invoiceData["amount"] = .string(total.canonical(currency))
        invoiceData["number"] = .string(document.number)
        let causale = cleanText(document.causale.joined(separator: " "))
        if !causale.isEmpty { invoiceData["description"] = .string(causale) }
        var documentEvents = [EventInput(type: EventType.invoiceIssued.rawValue, data: invoiceData,
                                         key: FatturaPA.keyPrefix + invoiceId, meta: Self.meta)]
        for deadline in deadlines {
            let deadlineId = "\(invoiceId)-\(deadline.index)"
            var data = JSONObject()
            data["deadline"] = .string(deadlineId)
            data["client"] = .string(clientId)
            data["due"] = .string(deadline.due.description)
            data["amount"] = .string(deadline.amount.canonical(currency))
            data["invoice"] = .string(invoiceId)
            if let description = deadline.description { data["description"] = .string(description) }
            documentEvents.append(EventInput(type: EventType.deadlineSet.rawValue, data: data,
                                             key: "\(FatturaPA.keyPrefix)\(invoiceId):deadline:\(deadline.index)",
                                             effective: document.date, meta: Self.meta))
        }

        // The same invoice twice in one import: once when identical, else an error.
        let signature = documentEvents.map { ($0.key ?? "") + " " + $0.fingerprint.description }
        if let earlier = seen[invoiceId] {
            guard earlier.signature == signature else {
                throw FatturaPAError(fileName: document.fileName, kind: .duplicateInvoice,
                                     reason: "\(document.label): invoice \(invoiceId) is also in \(earlier.fileName) "
                                        + "(body \(earlier.bodyIndex)) with different content; a seller numbers each year's "
                                        + "invoices once", line: document.line)
            }
            skipped.append(skip(document, "the same invoice as in \(earlier.fileName) (body \(earlier.bodyIndex)); imported once"))
            return
        }
        seen[invoiceId] = (document.fileName, document.bodyIndex, signature)

        if !registered.contains(clientId) {
            registered.insert(clientId)
            var data = JSONObject()
            data["client"] = .string(clientId)
            var name = cleanText(document.buyer.name)
            if name.isEmpty { name = clientId }
            data["name"] = .string(name)
            if let vat = document.buyer.vat { data["vat"] = .string(vat.description) }
            events.append(EventInput(type: EventType.clientRegistered.rawValue, data: data,
                                     key: "\(FatturaPA.keyPrefix)client:\(clientId)", meta: Self.meta))
        }
        events.append(contentsOf: documentEvents)
    }

    /// One line of at most `EventDataLimits.maximumTextLength` characters: white space runs
    /// collapsed, control characters dropped, an ellipsis where it had to be cut.
    private func cleanText(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !scalars.isEmpty
                continue
            }
            if scalar.properties.generalCategory == .control { continue }
            if pendingSpace { scalars.append(" ") }
            pendingSpace = false
            scalars.append(scalar)
        }
        let limit = EventDataLimits.maximumTextLength
        if scalars.count > limit {
            var cut = String.UnicodeScalarView(scalars.prefix(limit - 1))
            cut.append("\u{2026}")
            return String(cut)
        }
        return String(scalars)
    }
}
