/// Byte-level mutations of corpus entries: flips, insertions, deletions, splices of other
/// entries, dictionary tokens, boundary values, deep nesting, long runs and invalid UTF-8.
struct Mutator {
    /// Tokens that mean something to the target's grammar ("\"data\":", "<Numero>", "+01:00").
    var dictionary: [[UInt8]]
    /// An opener and its closer, repeated to build deep nesting ("[" and "]").
    var nesting: [(open: [UInt8], close: [UInt8])]
    /// No input grows beyond this many bytes.
    var maximumLength: Int

    static let interestingBytes: [UInt8] = [
        0x00, 0x01, 0x08, 0x09, 0x0A, 0x0D, 0x1F, 0x20, 0x22, 0x26, 0x27, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F,
        0x30, 0x31, 0x39, 0x3A, 0x3B, 0x3C, 0x3E, 0x3F, 0x40, 0x45, 0x5A, 0x5B, 0x5C, 0x5D, 0x65, 0x74,
        0x7A, 0x7B, 0x7D, 0x7F, 0x80, 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF8, 0xFE, 0xFF,
    ]

    /// Byte sequences that are not UTF-8: overlong forms, surrogates, values past U+10FFFF,
    /// lone continuation bytes, cut-short sequences, bytes that never occur.
    static let invalidUTF8: [[UInt8]] = [
        [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF],
        [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80],
        [0xF5, 0x80, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFE], [0xFF], [0xC3], [0xE2, 0x82],
        [0xF0, 0x9F, 0x98], [0xEF, 0xBB, 0xBF], [0xEF, 0xBF, 0xBE], [0xEF, 0xBF, 0xBF],
    ]

    /// Valid but awkward characters: controls, separators, BOM, noncharacters, private use,
    /// astral and combining characters, bidi overrides.
    static let interestingScalars: [String] = [
        "\u{0}", "\u{1F}", "\u{7F}", "\u{85}", "\u{A0}", "\u{AD}", "\u{2028}", "\u{2029}", "\u{FEFF}",
        "\u{FFFD}", "\u{E000}", "\u{F8FF}", "\u{10000}", "\u{10FFFF}", "\u{D7FF}", "\u{301}", "e\u{301}",
        "\u{E9}", "\u{202E}", "\u{200B}", "😀", "€", "דּ", "\u{1D11E}", "\u{3000}", "\u{0660}", "\u{FF10}",
    ]

    static let boundaryValues: [String] = [
        "0", "-0", "00", "01", "1", "-1", "9", "10", "12", "13", "23", "24", "28", "29", "30", "31", "32",
        "59", "60", "99", "100", "999", "1000", "9999", "10000", "0000", "65535", "65536", "2147483647",
        "2147483648", "4294967295", "4294967296", "9007199254740991", "9007199254740992", "9007199254740993",
        "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616",
        "99999999999999999999999", "1e308", "1e309", "1.7976931348623157e308", "4.9e-324", "5e-324",
        "2.2250738585072014e-308", "1e-400", "1E400", "-1e-7", "1e21", "1e-6", "0.1", "0.30000000000000004",
        "123456789012345678901234567890", "1.0", "1.00000000", "0.005", "1e0", "1E+2", "-9223372036854775808",
    ]

    func mutate(_ input: [UInt8], pool: [[UInt8]], using random: inout SplitMix64) -> [UInt8] {
        var data = input
        let rounds = random.skewed(8)
        for _ in 0..<rounds {
            apply(random.below(20), to: &data, pool: pool, using: &random)
            if data.count > maximumLength { data.removeLast(data.count - maximumLength) }
        }
        return data
    }

    private func position(in data: [UInt8], using random: inout SplitMix64) -> Int {
        random.below(data.count + 1)
    }

    private func apply(_ operation: Int, to data: inout [UInt8], pool: [[UInt8]], using random: inout SplitMix64) {
        switch operation {
        case 0 where !data.isEmpty:  // flip one bit
            let index = random.below(data.count)
            data[index] ^= 1 << UInt8(random.below(8))
        case 1 where !data.isEmpty:  // set a random byte
            data[random.below(data.count)] = random.byte()
        case 2 where !data.isEmpty:  // set an interesting byte
            data[random.below(data.count)] = random.pick(Self.interestingBytes)
        case 3:  // insert random bytes
            let count = random.skewed(8)
            let bytes = (0..<count).map { _ in random.byte() }
            data.insert(contentsOf: bytes, at: position(in: data, using: &random))
        case 4 where !data.isEmpty:  // delete a range
            let start = random.below(data.count)
            let length = min(data.count - start, random.skewed(max(1, data.count / 2)))
            data.removeSubrange(start..<(start + length))
        case 5 where !data.isEmpty:  // duplicate a range elsewhere
            let start = random.below(data.count)
            let length = min(data.count - start, random.skewed(64))
            let chunk = Array(data[start..<(start + length)])
            data.insert(contentsOf: chunk, at: position(in: data, using: &random))
        case 6 where !dictionary.isEmpty:  // insert a dictionary token
            data.insert(contentsOf: random.pick(dictionary), at: position(in: data, using: &random))
        case 7 where !dictionary.isEmpty && !data.isEmpty:  // overwrite a range with a token
            let start = random.below(data.count)
            let length = min(data.count - start, random.skewed(16))
            data.replaceSubrange(start..<(start + length), with: random.pick(dictionary))
        case 8 where !pool.isEmpty:  // splice: this prefix, another entry's suffix
            let other = random.pick(pool)
            let cut = position(in: data, using: &random)
            let otherCut = random.below(other.count + 1)
            data = Array(data[..<cut]) + Array(other[otherCut...])
        case 9 where !pool.isEmpty:  // insert a chunk of another entry
            let other = random.pick(pool)
            guard !other.isEmpty else { return }
            let start = random.below(other.count)
            let length = min(other.count - start, random.skewed(256))
            data.insert(contentsOf: other[start..<(start + length)], at: position(in: data, using: &random))
        case 10:  // a boundary value, over a run of digits when there is one
            let value = Array(random.pick(Self.boundaryValues).utf8)
            if let run = digitRun(in: data, using: &random) {
                data.replaceSubrange(run, with: value)
            } else {
                data.insert(contentsOf: value, at: position(in: data, using: &random))
            }
        case 11 where !nesting.isEmpty:  // deep nesting, closed or not
            let pair = random.pick(nesting)
            let depth = random.oneIn(4) ? random.within(60...300) : random.skewed(100_000)
            var block: [UInt8] = []
            block.reserveCapacity(depth * (pair.open.count + pair.close.count))
            for _ in 0..<depth { block.append(contentsOf: pair.open) }
            if random.oneIn(2) { for _ in 0..<depth { block.append(contentsOf: pair.close) } }
            data.insert(contentsOf: block, at: position(in: data, using: &random))
        case 12:  // a long run of one byte or one token
            let unit: [UInt8] = random.oneIn(2) || dictionary.isEmpty ? [random.pick(Self.interestingBytes)] : random.pick(dictionary)
            let count = random.skewed(max(1, (maximumLength / 2) / max(1, unit.count)))
            var block: [UInt8] = []
            block.reserveCapacity(count * unit.count)
            for _ in 0..<count { block.append(contentsOf: unit) }
            data.insert(contentsOf: block, at: position(in: data, using: &random))
        case 13:  // invalid UTF-8
            data.insert(contentsOf: random.pick(Self.invalidUTF8), at: position(in: data, using: &random))
        case 14:  // an awkward but valid character
            data.insert(contentsOf: Array(random.pick(Self.interestingScalars).utf8), at: position(in: data, using: &random))
        case 15 where !data.isEmpty:  // truncate
            data.removeLast(data.count - random.below(data.count))
        case 16 where data.count > 2:  // swap two chunks
            let length = random.skewed(max(1, data.count / 4))
            guard data.count >= 2 * length else { return }
            let first = random.below(data.count - 2 * length + 1)
            let second = first + length + random.below(data.count - first - 2 * length + 1)
            let a = Array(data[first..<(first + length)])
            let b = Array(data[second..<(second + length)])
            data.replaceSubrange(second..<(second + length), with: a)
            data.replaceSubrange(first..<(first + length), with: b)
        case 17 where !data.isEmpty:  // small arithmetic on a byte
            let index = random.below(data.count)
            let delta = UInt8(random.within(1...35))
            data[index] = random.oneIn(2) ? data[index] &+ delta : data[index] &- delta
        case 18 where !data.isEmpty:  // repeat a chunk many times
            let start = random.below(data.count)
            let length = min(data.count - start, random.skewed(128))
            let chunk = Array(data[start..<(start + length)])
            let times = random.skewed(max(1, min(20_000, maximumLength / max(1, length * 2))))
            var block: [UInt8] = []
            block.reserveCapacity(times * length)
            for _ in 0..<times { block.append(contentsOf: chunk) }
            data.insert(contentsOf: block, at: start)
        case 19 where !data.isEmpty:  // change the case of an ASCII letter, or swap neighbours
            let index = random.below(data.count)
            let byte = data[index]
            if (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) {
                data[index] = byte ^ 0x20
            } else if index + 1 < data.count {
                data.swapAt(index, index + 1)
            }
        default:
            // The chosen operation did not apply (empty input, no dictionary): insert a byte.
            data.insert(random.byte(), at: position(in: data, using: &random))
        }
    }

    /// A maximal run of ASCII digits around a random position, if one is found nearby.
    private func digitRun(in data: [UInt8], using random: inout SplitMix64) -> Range<Int>? {
        guard !data.isEmpty else { return nil }
        var index = random.below(data.count)
        var tries = 0
        while tries < 64, !(0x30...0x39).contains(data[index]) {
            index = (index + 1) % data.count
            tries += 1
        }
        guard (0x30...0x39).contains(data[index]) else { return nil }
        var start = index
        while start > 0, (0x30...0x39).contains(data[start - 1]) { start -= 1 }
        var end = index
        while end < data.count, (0x30...0x39).contains(data[end]) { end += 1 }
        return start..<end
    }
}
