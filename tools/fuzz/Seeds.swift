import EventLog
import Receivables

/// The built-in seed corpora and dictionaries, so that the tool works without any file; the
/// fixtures (golden scenario, FatturaPA samples, the old store's export) and the regression
/// inputs under Fixtures/fuzz/<target>/ are added when they are found.
enum Seeds {
    static func bytes(_ texts: [String]) -> [[UInt8]] { texts.map { Array($0.utf8) } }

    // MARK: JSON

    static let jsonTexts: [String] = [
        "null", "true", "false", "0", "-0", "1", "-1", "0.5", "1e21", "1e-7", "123456789012345680000",
        "1.7976931348623157e308", "5e-324", "4.9e-324", "2.2250738585072014e-308", "0.1", "0.30000000000000004",
        "9007199254740993", "-9007199254740993", "1E400", "1e-400", "100000000000000000000", "1e+20", "333333333.3333332",
        "\"\"", "\"a\"", #""\u0000\u001f\u007f\u0080""#, #""\ud83d\ude00""#, #""\uD800""#, #""\uDC00\uD800""#,
        #""\"\\\/\b\f\n\r\t""#, "\"\u{2028}\u{2029}\"", "\"e\u{301}\"", "\"\u{E9}\"", "[]", "{}", "[[]]", "[{}]",
        #"{"a":1,"b":[1,2,{"c":null}]}"#, #"{"b":1,"a":2,"":3,"\u00e9":4,"e\u0301":5}"#,
        #"{"\ue000":1,"\ud800\udc00":2,"\u0080":3,"a":4,"A":5,"aa":6}"#,
        #"{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000001,1e-7,1e21,1e20]}"#,
        #"{"string":"€$\u000f\nA'B\"\\\\\"/","literals":[null,true,false]}"#,
        " \t\r\n[ 1 , 2 ] \n", #"{"a":{"a":{"a":{"a":{"a":{"a":[[[[[[[1]]]]]]]}}}}}}"#,
        #"{"a":1,"a":2}"#, "[1,]", "{\"a\" 1}", "01", "1.", ".5", "-", "+1", "NaN", "Infinity", "\u{FEFF}[]",
        "[\"\u{7F}\"]", "[1e5,-1e-5,1.5E+10]",
    ]

    static let jsonDictionary: [String] = [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\u0000", "\\ud800", "\\udc00", "\\ud83d\\ude00", "\\uffff",
        "\\uFEFF", "\\n", "\\\"", "\\/", "\\x", "null", "true", "false", "-", "0", "-0", "1e", "e+", "E-", ".", "1.0",
        "\"\":", "\"a\":", "{}", "[]", " ", "\t", "\r\n", "\u{FEFF}", "\"type\":", "\"data\":", "\"key\":",
        "\"effective\":", "\"meta\":", "\"seq\":", "\"recordedAt\":", "\"prev\":", "\"hash\":",
    ]

    // MARK: Event lines

    static let eventLines: [String] = [
        #"{"type":"InvoiceIssued","data":{"invoice":"F1","client":"C1","issued":"2026-01-15","amount":"1220.00"},"key":"erp-4711","meta":{"actor":"anna"}}"#,
        #"{"type":"ClientRegistered","data":{"client":"C1","name":"Caffè Rossi S.r.l.","email":"ap@rossi.example","locale":"it"},"key":"reg-C1"}"#,
        #"{"type":"CreditLimitSet","data":{"client":"C1","limit":"5000.00","warnAt":75},"meta":{"actor":"anna"}}"#,
        #"{"type":"DeadlineSet","data":{"deadline":"D1","client":"C1","invoice":"F1","due":"2026-02-15","amount":"610.00","reminder":{"leadDays":5,"everyDays":7,"template":"default","maxCount":3}},"effective":"2026-01-15"}"#,
        #"{"type":"PaymentReceived","data":{"payment":"P1","client":"C1","amount":"99.00","received":"2026-02-01","method":"cheque","allocations":[{"deadline":"D1","amount":"99.00"}]}}"#,
        #"{"type":"SettingsChanged","data":{"company":"Officina Prova S.r.l.","iban":"IT60X0542811101000000123456","sender":"a@prova.example","paymentLink":"https://pay.example/{deadline}?amount={amount}","timezone":"Europe/Rome","currency":"EUR","reminder":{"leadDays":5,"everyDays":7,"template":"default"}},"effective":"2026-01-01"}"#,
        #"{"type":"ReminderTemplateSaved","data":{"template":"T1","locale":"en","subject":"Invoice {{invoice.number}}","body":"Dear {{client.name}},\n{{deadline.amount}} due {{ deadline.due }}.","kind":"overdue"}}"#,
        #"{"type":"DeadlinePostponed","data":{"deadline":"D2","due":"2026-02-05","reason":"Richiesta del cliente"},"effective":"2026-01-03"}"#,
        #"{"type":"PaymentCleared","data":{"payment":"P1","date":"2026-02-10"}}"#,
        #"{"type":"PaymentBounced","data":{"payment":"P1","date":"2026-02-11","reason":"insoluto"}}"#,
        #"{"type":"InvoiceCancelled","data":{"invoice":"F1","date":"2026-02-01","reason":"errore"}}"#,
        #"{"type":"ClientUpdated","data":{"client":"C1","name":"Nuovo Nome","locale":"en"}}"#,
        #"{"type":"PaymentDocumentAttached","data":{"payment":"P1","sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","name":"a.pdf","mediaType":"application/pdf","size":5}}"#,
        #"{"type":"ReminderSent","data":{"deadline":"D1","sentAt":"2026-02-10","to":"ap@rossi.example","template":"default","slot":"2026-02-10","channel":"file","messageId":"abc@receivables"}}"#,
        #"{"type":"InvoiceIsued","data":{}}"#, #"{"type":"ClientRegistered","data":[]}"#, "[1,2]",
        #"{"type":"ClientRegistered","data":{"client":"C8","name":"E"},"color":"red"}"#,
        #"{"type":"ClientRegistered","data":{"client":"C8","name":"E"},"meta":{"n":1}}"#,
        #"{"type":"InvoiceIssued","data":{"invoice":"F9","client":"C1","issued":"2026-01-10","amount":"1.00"},"effective":"2026-01-11"}"#,
    ]

    static let eventDictionary: [String] = [
        "\"ClientRegistered\"", "\"InvoiceIssued\"", "\"DeadlineSet\"", "\"PaymentReceived\"", "\"SettingsChanged\"",
        "\"amount\":", "\"client\":", "\"invoice\":", "\"deadline\":", "\"issued\":", "\"due\":", "\"name\":",
        "\"2026-02-29\"", "\"2024-02-29\"", "\"0000-01-01\"", "\"9999-12-31\"", "\"1220.005\"", "\"-1\"", "\"1e3\"",
        "\"9223372036854775807\"", "\"92233720368547758.07\"", "\"\"", "\" C1\"", "\"a\\nb\"", "\"\\u0000\"",
        "\"allocations\":[", "{\"deadline\":\"D1\",\"amount\":\"1.00\"}", "\"reminder\":{", "\"leadDays\":",
        "\"everyDays\":", "\"maxCount\":", "3650", "3651", "\"warnAt\":", "101", "-1", "0.5",
    ]

    // MARK: Money and dates

    static let moneyTexts: [String] = [
        "0", "0.00", "1220", "1220.5", "1220.50", "1220.505", "-1", "-0.00", "-3.00", "007", "1e3", "abc", "", " 12",
        "12 ", "+1", ".5", "1.", "1,5", "92233720368547758.07", "92233720368547758.08", "9223372036854775807",
        "-9223372036854775808", "-92233720368547758.08", "922337203685477.5807", "0.0001", "1.2345", "1٠",
        "１２", "-", "--1", "1.2.3", "00.5", "0.", "-0", "99999999999999999999999999",
    ]

    static let moneyDictionary: [String] = ["-", ".", "0", "00", "9", "1", "e", ",", " ", "+", "٠", "１"]

    static let dateTexts: [String] = [
        "2026-01-15", "2026-02-29", "2024-02-29", "1900-02-29", "2000-02-29", "0000-01-01", "0001-01-01", "9999-12-31",
        "2026-13-01", "2026-00-10", "2026-1-5", "2026-01-15T00:00", "２０２６-01-15", "2026-01-15T09:00:00.000Z",
        "2026-01-15T09:00:00Z", "2026-01-15t09:00:00z", "2026-01-15T09:00:00.123456789+01:00",
        "2026-01-15T09:00:00.1234567890Z", "2026-01-15T23:59:60Z", "2026-01-15T24:00:00Z", "2026-01-15T09:00:00-23:59",
        "0000-01-01T00:00:00+00:01", "9999-12-31T23:59:59.999-00:01", "0000-01-01T00:00:00.000Z",
        "9999-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z", "1970-01-01T00:00:00Z", "2026-03-29T01:59:59.999Z",
        "2026-01-15T09:00:00+24:00", "2026-01-15T09:00:00+01:60", "2026-01-15 09:00:00Z", "2026-01-15T09:00:00.Z",
    ]

    static let dateDictionary: [String] = [
        "-", ":", "T", "t", "Z", "z", "+", ".", "00", "01", "12", "13", "23", "24", "28", "29", "30", "31", "59", "60",
        "99", "0000", "9999", "+00:00", "-00:00", "+23:59", "-23:59", ".000", ".999999999", "2026-", "T00:00:00",
    ]

    // MARK: Templates

    static let templateTexts: [String] = [
        "Promemoria: fattura {{invoice.number}} in scadenza il {{deadline.due}}",
        "Spett.le {{client.name}},\nVi ricordiamo che il {{deadline.due}} scade il pagamento della fattura n. {{invoice.number}}, per un importo di {{deadline.amount}}.\nImporto ancora da saldare: {{deadline.outstanding}}.\nIBAN {{bank.iban}}\n{{payment.link}}\nDistinti saluti,\n{{company.name}}",
        "Overdue: {{ deadline.daysOverdue }} days; due in {{deadline.daysToDue}}; id {{deadline.id}}",
        "Prices {like this} and } braces { stay text", "{{}}", "{{ }}", "{{client.nam}}", "{{client.name", "}}{{",
        "{{{client.name}}}", "{{client.name}}{{client.name}}", "a{{\u{301}client.name}}", "{{client.name\n}}",
        "\u{FEFF}{{company.name}}", "", "{", "}}", "{{x}} {{y}}",
    ]

    static let templateDictionary: [String] = [
        "{{", "}}", "{", "}", " ", "\n", "\r\n", "{{client.name}}", "{{invoice.number}}", "{{deadline.id}}",
        "{{deadline.due}}", "{{deadline.amount}}", "{{deadline.outstanding}}", "{{deadline.daysOverdue}}",
        "{{deadline.daysToDue}}", "{{company.name}}", "{{bank.iban}}", "{{payment.link}}", "client.", "deadline.",
        "\u{2003}", "\u{A0}", "\u{301}",
    ]

    // MARK: FatturaPA

    /// A minimal document the import takes, for when Fixtures/fatturapa is not there.
    static let fatturaPA = """
    <?xml version="1.0" encoding="UTF-8"?>
    <p:FatturaElettronica versione="FPR12" xmlns:p="http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2">
      <FatturaElettronicaHeader>
        <CedentePrestatore><DatiAnagrafici><IdFiscaleIVA><IdPaese>IT</IdPaese><IdCodice>01234567890</IdCodice></IdFiscaleIVA>
          <Anagrafica><Denominazione>Esempio S.r.l.</Denominazione></Anagrafica></DatiAnagrafici></CedentePrestatore>
        <CessionarioCommittente><DatiAnagrafici><IdFiscaleIVA><IdPaese>IT</IdPaese><IdCodice>09876543210</IdCodice></IdFiscaleIVA>
          <CodiceFiscale>RSSMRA80A01H501U</CodiceFiscale><Anagrafica><Nome>Mario</Nome><Cognome>Rossi</Cognome></Anagrafica></DatiAnagrafici></CessionarioCommittente>
      </FatturaElettronicaHeader>
      <FatturaElettronicaBody>
        <DatiGenerali><DatiGeneraliDocumento><TipoDocumento>TD01</TipoDocumento><Divisa>EUR</Divisa><Data>2026-01-15</Data>
          <Numero>FT 12</Numero><Causale>Fornitura &amp; posa &#233; &#x20AC;</Causale></DatiGeneraliDocumento></DatiGenerali>
        <DatiBeniServizi><DatiRiepilogo><ImponibileImporto>1000.00</ImponibileImporto><Imposta>220.00</Imposta></DatiRiepilogo></DatiBeniServizi>
        <DatiPagamento><CondizioniPagamento>TP02</CondizioniPagamento><DettaglioPagamento><ModalitaPagamento>MP05</ModalitaPagamento>
          <DataRiferimentoTerminiPagamento>2026-01-31</DataRiferimentoTerminiPagamento><GiorniTerminiPagamento>30</GiorniTerminiPagamento>
          <ImportoPagamento>1220.00</ImportoPagamento></DettaglioPagamento></DatiPagamento>
      </FatturaElettronicaBody>
      <!-- a comment --><?pi data?><![CDATA[ ]]>
    </p:FatturaElettronica>
    """

    static let xmlDictionary: [String] = [
        "<", ">", "</", "/>", "<!--", "-->", "<?", "?>", "<![CDATA[", "]]>", "<!DOCTYPE x>", "<!ENTITY", "&", ";",
        "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#0;", "&#65;", "&#x10FFFF;", "&#x110000;", "&#xD800;",
        "&#99999999999;", "&lol;", "=", "\"", "'", "xmlns:p=\"u\"", "xmlns:q=\"\"", "xmlns=\"\"", "p:", ":", "q:",
        "encoding=\"windows-1252\"", "encoding=\"ISO-8859-1\"", "encoding=\"US-ASCII\"", "encoding=\"UTF-16\"",
        "standalone=\"yes\"", "<?xml version=\"1.0\"?>", "<FatturaElettronicaBody>", "</FatturaElettronicaBody>",
        "<DatiPagamento>", "</DatiPagamento>", "<DettaglioPagamento>", "</DettaglioPagamento>",
        "<ImportoPagamento>", "</ImportoPagamento>", "<GiorniTerminiPagamento>999</GiorniTerminiPagamento>",
        "<DataScadenzaPagamento>", "<Numero>", "<Data>", "TD04", "TD16", "TD01", "TP01", "MP99", "EUR", "JPY",
        "IT01234567890", "IT09999999999",
    ]

    /// Values to put inside an element, for the structure-aware mutation.
    static let xmlValues: [String] = [
        "", " ", "0", "0.00", "-1.83", "1220.00", "1220.005", "100.00000000", "100.000000001", "92233720368547758.07",
        "9223372036854775807", "99999999999999999999", "1e3", "2026-01-15", "2026-01-15Z", "2026-01-15+02:00",
        "9999-12-31", "0001-01-01", "2026-02-30", "2026-01-15T00:00:00", "999", "1000", "-1", "TD01", "TD04", "TD16",
        "TD", "TP01", "TP02", "TP03", "TP04", "MP01", "MP23", "MP99", "MPxx", "EUR", "eur", "JPY", "IT", "it",
        "01234567890", "IT01234567890", String(repeating: "9", count: 29), "RSSMRA80A01H501U", "FT 12", "A/B",
        String(repeating: "N", count: 21), "Line\nbreak", "&amp;", "&#10;", "&#xD;", "<x/>", "\u{FEFF}",
    ]

    // MARK: Export envelopes

    /// Valid export lines made here, with their hashes computed, so that mutations start from
    /// envelopes that pass.
    static func exportLines() -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var prev = Digest.zero
        let samples: [(String, String, String?, String?)] = [
            ("SettingsChanged", #"{"company":"Officina","currency":"EUR","timezone":"Europe/Rome"}"#, nil, nil),
            ("ClientRegistered", #"{"client":"C😀","name":"Caffè \"Rossi\" \u2028","locale":"en"}"#, "reg-1", #"{"a":"1","b":"2\t\u0001","€":"x"}"#),
            ("InvoiceIssued", #"{"amount":"1220.00","client":"C1","invoice":"F1","issued":"2026-01-10"}"#, "erp-F1", nil),
            ("CreditLimitSet", #"{"client":"C1","limit":"1000","warnAt":75}"#, nil, #"{"actor":"anna"}"#),
        ]
        for (offset, sample) in samples.enumerated() {
            let seq = UInt64(offset + 1)
            let data = try? JSONParser.parse(sample.1)
            let meta = sample.3.flatMap { try? JSONParser.parse($0) }
            var record = Record(seq: seq, stream: "", streamVersion: 0, type: sample.0, schemaVersion: 1,
                                recordedAt: Timestamp(millisecondsSinceEpoch: 1_768_467_600_000 + Int64(offset)),
                                effective: "2026-01-15", key: sample.2, metaCanonical: meta.map(CanonicalJSON.bytes),
                                dataCanonical: CanonicalJSON.bytes(data ?? .object(JSONObject())), prev: prev, hash: .zero)
            record.hash = record.computedHash()
            prev = record.hash
            lines.append(record.exportLine())
        }
        return lines
    }
}
