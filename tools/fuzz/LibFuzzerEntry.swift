// An optional libFuzzer entry point: coverage-guided fuzzing of the parsers that need nothing but
// the standard library (JSON and RFC 8785, timestamps, money, the XML reader). In the package
// build LIBFUZZER is not defined and this file is empty; the seeded mutation fuzzer in main.swift
// is the one the suite runs. To build and run it (swiftc's -sanitize=fuzzer works with the
// toolchain in /opt/swift on Linux):
//
//     swiftc -O -parse-as-library -sanitize=fuzzer -D LIBFUZZER -module-name LibFuzzReceivables \
//         tools/fuzz/LibFuzzerEntry.swift Sources/EventLog/JSON/*.swift Sources/EventLog/Timestamp.swift \
//         Sources/Receivables/Values/Money.swift Sources/Receivables/Values/Currency.swift \
//         Sources/Receivables/Values/TextEscaping.swift Sources/Receivables/Import/XMLReader.swift \
//         -o /tmp/libfuzz-receivables
//     mkdir -p /tmp/libfuzz-corpus
//     /tmp/libfuzz-receivables -max_total_time=300 -timeout=2 -max_len=65536 /tmp/libfuzz-corpus \
//         Fixtures/fuzz/canonical-json Fixtures/fuzz/dates Fixtures/fuzz/money Fixtures/fatturapa
//
// A failed property traps, which libFuzzer reports as a crash with the input saved.
#if LIBFUZZER
@_cdecl("LLVMFuzzerTestOneInput")
public func libFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    libFuzzJSON(bytes)
    let text = String(decoding: bytes.prefix(4096), as: UTF8.self)
    libFuzzTimestamp(text)
    libFuzzMoney(text)
    libFuzzXML(bytes)
    return 0
}

private func libFuzzJSON(_ bytes: [UInt8]) {
    guard let value = try? JSONParser.parse(bytes) else { return }
    let canonical = CanonicalJSON.bytes(value)
    guard let again = try? JSONParser.parse(canonical) else { fatalError("canonical form does not parse") }
    precondition(again == value, "parse(canonical(x)) != x")
    precondition(CanonicalJSON.bytes(again) == canonical, "canonical form is not idempotent")
    precondition((try? JSONParser.parse(JSONWriter.compact(value))) == value, "compact form does not round-trip")
}

private func libFuzzTimestamp(_ text: String) {
    guard let timestamp = Timestamp(rfc3339: text) else { return }
    // Instants outside years 0...9999 are a known open bug (Fixtures/fuzz/known-open.txt).
    guard (0...9999).contains(timestamp.utcParts.year) else { return }
    precondition(Timestamp(rfc3339: timestamp.description) == timestamp, "timestamp description does not read back")
}

private func libFuzzMoney(_ text: String) {
    for currency in [Currency.euro, Currency.iso4217("JPY")!, Currency.iso4217("BHD")!] {
        guard let money = try? Money.parse(text, currency: currency, allowNegative: true) else { continue }
        precondition((try? Money.parse(money.canonical(currency), currency: currency, allowNegative: true)) == money,
                     "canonical amount does not read back")
    }
}

private func libFuzzXML(_ bytes: [UInt8]) {
    var limits = XMLReader.Limits.standard
    limits.maximumBytes = 1 << 20
    _ = try? XMLReader.parse(bytes, limits: limits)
}
#endif
