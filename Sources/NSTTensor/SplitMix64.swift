/// A small seeded random number generator (SplitMix64), so every test, gradient check and
/// `--seed` run draws the same numbers on every machine.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform Double in [0, 1).
    public mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

extension Tensor {
    /// A tensor of `shape` with values drawn uniformly from `range`.
    public static func uniform(_ shape: [Int], in range: ClosedRange<Double> = -1...1,
                               using rng: inout SplitMix64) -> Tensor {
        let n = shape.reduce(1, *)
        let width = range.upperBound - range.lowerBound
        return Tensor(shape: shape, storage: (0..<n).map { _ in Scalar(range.lowerBound + width * rng.nextUnit()) })
    }
}
