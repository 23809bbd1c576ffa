/// SplitMix64 (Steele, Lea and Flood, 2014): tiny, fast and fully determined by its seed, so a
/// run is reproduced exactly by its seed and its input count.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound (bound > 0), without modulo bias worth caring about here.
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next() % UInt64(bound))
    }

    /// A number in the closed range.
    mutating func within(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// True once in `n` times.
    mutating func oneIn(_ n: Int) -> Bool {
        below(n) == 0
    }

    mutating func byte() -> UInt8 {
        UInt8(truncatingIfNeeded: next())
    }

    mutating func pick<T>(_ items: [T]) -> T {
        items[below(items.count)]
    }

    /// Small numbers far more often than large ones: 1, 2, 4, ... up to `limit`.
    mutating func skewed(_ limit: Int) -> Int {
        guard limit > 1 else { return 1 }
        let bits = below(Int.bitWidth - (limit - 1).leadingZeroBitCount + 1)
        let cap = min(limit, 1 << bits)
        return 1 + below(cap)
    }
}
