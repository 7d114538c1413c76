import NSTRandom

extension Tensor {
    /// A tensor of `shape` with values drawn uniformly from `range`.
    public static func uniform(_ shape: [Int], in range: ClosedRange<Double> = -1...1,
                               using rng: inout SplitMix64) -> Tensor {
        let n = shape.reduce(1, *)
        let width = range.upperBound - range.lowerBound
        return Tensor(shape: shape, storage: (0..<n).map { _ in Scalar(range.lowerBound + width * rng.nextUnit()) })
    }
}
