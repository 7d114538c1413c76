import Testing
import NSTTensor
import NSTLayers
import NSTGradCheck
import NSTRandom

/// Σ R ⊙ Y: a scalar whose gradient with respect to Y is R, so a layer's backward(R) must be
/// the gradient of this scalar with respect to the layer's input.
func dot<S: TensorScalar>(_ a: Tensor<S>, _ b: Tensor<S>) -> Double {
    precondition(a.shape == b.shape)
    return zip(a.storage, b.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}

func maxAbsDifference<S: TensorScalar>(_ a: Tensor<S>, _ b: Tensor<S>) -> Double {
    precondition(a.shape == b.shape, "\(a.shape) vs \(b.shape)")
    return zip(a.storage, b.storage).reduce(0.0) { max($0, abs(Double($1.0) - Double($1.1))) }
}

func maxAbs<S: TensorScalar>(_ a: Tensor<S>) -> Double { a.storage.reduce(0.0) { max($0, abs(Double($1))) } }

@Suite("Conv3x3: fast path against the plain-loop reference")
struct ConvOracleTests {
    // (C, O, H, W): odd sizes, 1×1 and one-row/one-column images, more channels than pixels.
    static let shapes: [(Int, Int, Int, Int)] = [(3, 4, 5, 7), (1, 1, 1, 1), (2, 3, 1, 5), (5, 2, 6, 1),
                                                  (2, 2, 2, 2), (4, 6, 3, 3), (7, 5, 9, 4)]

    func compare<S: TensorScalar>(_ type: S.Type, tolerance: Double, maxScalars: Int) {
        var rng = SplitMix64(seed: 11)
        for (c, o, h, w) in Self.shapes {
            let x = Tensor<S>.uniform([c, h, w], using: &rng)
            let conv = Conv3x3<S>(weight: .uniform([o, c, 3, 3], using: &rng), bias: .uniform([o], using: &rng))
            let ws = ConvWorkspace<S>(maxScalars: maxScalars)
            let ref = Conv3x3<S>.referenceForward(x, weight: conv.weight, bias: conv.bias)
            let fast = conv.forward(x, workspace: ws)
            let scale = max(1, maxAbs(ref))
            #expect(maxAbsDifference(fast, ref) <= tolerance * scale, "forward \(c)→\(o) \(h)×\(w)")
            // fused ReLU = ReLU of the reference
            let fused = conv.forward(x, relu: true, workspace: ws)
            #expect(maxAbsDifference(fused, ReLU.forward(ref)) <= tolerance * scale, "fused ReLU \(c)→\(o) \(h)×\(w)")

            let dY = Tensor<S>.uniform([o, h, w], using: &rng)
            let refBack = Conv3x3<S>.referenceBackward(dY, weight: conv.weight)
            let fastBack = conv.backward(dY, workspace: ws)
            #expect(maxAbsDifference(fastBack, refBack) <= tolerance * max(1, maxAbs(refBack)), "backward \(c)→\(o) \(h)×\(w)")
        }
    }

    @Test func floatFastMatchesReference() { compare(Float.self, tolerance: 1e-5, maxScalars: 1 << 20) }
    @Test func doubleFastMatchesReference() { compare(Double.self, tolerance: 1e-12, maxScalars: 1 << 20) }
    /// A workspace too small for one band of two rows: every image is done row by row.
    @Test func bandedIm2colMatchesReference() { compare(Double.self, tolerance: 1e-12, maxScalars: 10) }

    @Test func referenceIsTheDefinitionOnAHandExample() {
        // One channel, 2×2 image, kernel with a single 1 at (ky,kx) = (0,0): Y[y,x] = X[y−1,x−1].
        var w = Tensor<Double>(shape: [1, 1, 3, 3]); w[0, 0, 0, 0] = 1
        let x = Tensor<Double>(shape: [1, 2, 2], storage: [1, 2, 3, 4])
        let y = Conv3x3.referenceForward(x, weight: w, bias: Tensor(shape: [1], storage: [0.5]))
        #expect(y.storage == [0.5, 0.5, 0.5, 1.5])
    }

    @Test func backwardIsTheAdjointOfForward() {
        // ⟨conv(x) − b, dY⟩ = ⟨x, backward(dY)⟩ for the linear part.
        var rng = SplitMix64(seed: 5)
        let conv = Conv3x3(weight: Tensor<Double>.uniform([3, 2, 3, 3], using: &rng), bias: Tensor(shape: [3]))
        let x = Tensor<Double>.uniform([2, 4, 5], using: &rng), dY = Tensor<Double>.uniform([3, 4, 5], using: &rng)
        let ws = ConvWorkspace<Double>()
        let lhs = dot(conv.forward(x, workspace: ws), dY), rhs = dot(x, conv.backward(dY, workspace: ws))
        #expect(abs(lhs - rhs) <= 1e-12 * max(1, abs(lhs)))
    }
}

@Suite("Layer backward passes against central differences (Double)")
struct LayerGradientTests {
    @Test(arguments: [(2, 3, 5, 4), (1, 2, 1, 1), (3, 1, 2, 3)])
    func convBackward(_ shape: (Int, Int, Int, Int)) {
        let (c, o, h, w) = shape
        var rng = SplitMix64(seed: 21)
        let conv = Conv3x3(weight: Tensor<Double>.uniform([o, c, 3, 3], using: &rng), bias: .uniform([o], using: &rng))
        let x = Tensor<Double>.uniform([c, h, w], using: &rng), R = Tensor<Double>.uniform([o, h, w], using: &rng)
        let ws = ConvWorkspace<Double>()
        let dX = conv.backward(R, workspace: ws)
        let res = GradCheck.check(at: x.storage, analytic: dX.storage) { v in
            dot(conv.forward(Tensor(shape: [c, h, w], storage: v), workspace: ws), R)
        }
        #expect(res.maxRelativeError <= 1e-6, "\(res)")
    }

    @Test func fusedConvReLUBackward() {
        var rng = SplitMix64(seed: 22)
        let conv = Conv3x3(weight: Tensor<Double>.uniform([4, 3, 3, 3], using: &rng), bias: .uniform([4], using: &rng))
        let x = Tensor<Double>.uniform([3, 5, 6], using: &rng), R = Tensor<Double>.uniform([4, 5, 6], using: &rng)
        let ws = ConvWorkspace<Double>()
        let y = conv.forward(x, relu: true, workspace: ws)
        let dX = conv.backward(ReLU.backward(R, output: y), workspace: ws)
        let res = GradCheck.check(at: x.storage, analytic: dX.storage) { v in
            dot(conv.forward(Tensor(shape: [3, 5, 6], storage: v), relu: true, workspace: ws), R)
        }
        #expect(res.maxRelativeError <= 1e-6, "\(res)")
    }

    @Test func reluBackward() {
        var rng = SplitMix64(seed: 23)
        let x = Tensor<Double>.uniform([3, 4, 5], using: &rng), R = Tensor<Double>.uniform([3, 4, 5], using: &rng)
        let dX = ReLU.backward(R, output: ReLU.forward(x))
        let res = GradCheck.check(at: x.storage, analytic: dX.storage) { v in
            dot(ReLU.forward(Tensor(shape: [3, 4, 5], storage: v)), R)
        }
        #expect(res.maxRelativeError <= 1e-6, "\(res)")
    }

    /// The fused form dY·[y > 0] + addend equals the separate passes, with either part absent.
    @Test func reluBackwardWithAddend() {
        var rng = SplitMix64(seed: 24)
        let y = ReLU.forward(Tensor<Double>.uniform([2, 3, 5], using: &rng))
        let dY = Tensor<Double>.uniform([2, 3, 5], using: &rng), g = Tensor<Double>.uniform([2, 3, 5], using: &rng)
        var both = ReLU.backward(dY, output: y)
        both.add(g)
        var sum = dY
        sum.add(g)
        let mask = ReLUMask(of: y)
        #expect(mask.positive == y.storage.map { $0 > 0 ? 1 : 0 })
        #expect(ReLU.backward(dY, mask: mask, plus: g) == both)
        #expect(ReLU.backward(dY, mask: mask, plus: nil) == ReLU.backward(dY, output: y))
        #expect(ReLU.backward(dY, mask: nil, plus: g) == sum)
        #expect(ReLU.backward(dY, mask: nil, plus: nil) == dY)
        var inPlace = dY
        ReLU.backwardInPlace(&inPlace, mask: mask)
        #expect(inPlace == ReLU.backward(dY, output: y))
    }

    @Test func reluGradientAtZeroIsZero() {
        let x = Tensor<Double>(shape: [1, 1, 3], storage: [-1, 0, 2])
        let dX = ReLU.backward(Tensor(shape: [1, 1, 3], repeating: 1), output: ReLU.forward(x))
        #expect(dX.storage == [0, 0, 1])
    }

    /// The fast backward (the winners recorded by forward) against finite differences, and to
    /// the bit against the reference backward, which finds the winners again from the input.
    @Test(arguments: [(2, 5, 7), (3, 4, 4), (1, 2, 3), (2, 3, 2), (3, 9, 37)])
    func maxPoolBackward(_ shape: (Int, Int, Int)) {
        let (c, h, w) = shape
        var rng = SplitMix64(seed: 24)
        let x = Tensor<Double>.uniform([c, h, w], using: &rng), R = Tensor<Double>.uniform([c, h / 2, w / 2], using: &rng)
        var winners: [UInt8] = [7]   // wrong count: forward replaces it
        let y = MaxPool2x2.forward(x, winners: &winners)
        #expect(y == MaxPool2x2.forward(x) && winners.count == y.count)
        let dX = MaxPool2x2.backward(R, winners: winners, inputShape: x.shape)
        #expect(dX == MaxPool2x2.backward(R, input: x))
        let res = GradCheck.check(at: x.storage, analytic: dX.storage) { v in
            dot(MaxPool2x2.forward(Tensor(shape: [c, h, w], storage: v)), R)
        }
        #expect(res.maxRelativeError <= 1e-6, "\(res)")
    }

    /// In Float (the specialised, vectorised loops the network runs), on values with many ties
    /// and a few NaNs: the fast forward and backward equal the reference to the bit.
    @Test func maxPoolFloatPathMatchesTheReference() {
        var rng = SplitMix64(seed: 31)
        let (c, h, w) = (3, 11, 70)
        var x = Tensor<Float>(shape: [c, h, w], storage: (0..<(c * h * w)).map { _ in Float(Int(rng.nextUnit() * 4)) })
        for i in stride(from: 5, to: x.count, by: 97) { x.storage[i] = .nan }
        let dY = Tensor<Float>(shape: [c, h / 2, w / 2], storage: (0..<(c * (h / 2) * (w / 2))).map { Float($0 + 1) })
        var winners: [UInt8] = []
        let y = MaxPool2x2.forward(x, winners: &winners)
        for ci in 0..<c { for i in 0..<(h / 2) { for j in 0..<(w / 2) {
            let o = (ci * h + 2 * i) * w + 2 * j
            let window = [x.storage[o], x.storage[o + 1], x.storage[o + w], x.storage[o + w + 1]]
            let k = (ci * (h / 2) + i) * (w / 2) + j
            #expect(window[Int(winners[k])].bitPattern == y.storage[k].bitPattern)
        } } }
        #expect(MaxPool2x2.backward(dY, winners: winners, inputShape: x.shape) == MaxPool2x2.backward(dY, input: x))
        #expect(y.storage.contains { $0.isNaN })
    }

    @Test func maxPoolTiesGoToTheFirstMaximumAndOddEdgesAreDropped() {
        // 3×3 input → 1×1 output; window [[5,5],[5,1]]: three tied maxima, the top-left one wins.
        let x = Tensor<Double>(shape: [1, 3, 3], storage: [5, 5, 9, 5, 1, 9, 9, 9, 9])
        var winners: [UInt8] = []
        #expect(MaxPool2x2.forward(x, winners: &winners).storage == [5] && winners == [0])
        let expected: [Double] = [2, 0, 0, 0, 0, 0, 0, 0, 0]
        #expect(MaxPool2x2.backward(Tensor(shape: [1, 1, 1], storage: [2]), input: x).storage == expected)
        #expect(MaxPool2x2.backward(Tensor(shape: [1, 1, 1], storage: [2]), winners: winners, inputShape: x.shape).storage == expected)
        // [[1,7],[7,7]]: the top-right one of three.
        let y = Tensor<Double>(shape: [1, 2, 2], storage: [1, 7, 7, 7])
        _ = MaxPool2x2.forward(y, winners: &winners)
        #expect(winners == [1])
    }

    /// A window with NaN passes NaN, and its gradient goes to the NaN: the top-left input when
    /// it is NaN, else the last NaN in reading order.
    @Test func maxPoolNaNWins() {
        let x = Tensor<Double>(shape: [2, 2, 2], storage: [.nan, 9, .nan, 1,   3, .nan, 8, .nan])
        var winners: [UInt8] = []
        let y = MaxPool2x2.forward(x, winners: &winners)
        #expect(y.storage.allSatisfy(\.isNaN) && winners == [0, 3])
        let dX = MaxPool2x2.backward(Tensor(shape: [2, 1, 1], storage: [2, 5]), winners: winners, inputShape: x.shape)
        #expect(dX.storage == [2, 0, 0, 0,   0, 0, 0, 5])
        #expect(dX == MaxPool2x2.backward(Tensor(shape: [2, 1, 1], storage: [2, 5]), input: x))
    }

    @Test(arguments: [(2, 5, 7), (3, 4, 4), (1, 3, 2)])
    func avgPoolBackward(_ shape: (Int, Int, Int)) {
        let (c, h, w) = shape
        var rng = SplitMix64(seed: 25)
        let x = Tensor<Double>.uniform([c, h, w], using: &rng), R = Tensor<Double>.uniform([c, h / 2, w / 2], using: &rng)
        let dX = AvgPool2x2.backward(R, inputShape: x.shape)
        let res = GradCheck.check(at: x.storage, analytic: dX.storage) { v in
            dot(AvgPool2x2.forward(Tensor(shape: [c, h, w], storage: v)), R)
        }
        #expect(res.maxRelativeError <= 1e-6, "\(res)")
    }

    @Test func avgPoolValues() {
        let x = Tensor<Double>(shape: [1, 2, 3], storage: [1, 2, 100, 3, 6, 100])
        #expect(AvgPool2x2.forward(x).storage == [3])
    }

    @Test(arguments: [(3, 4, 5), (1, 1, 6), (2, 3, 1)])
    func totalVariationBackward(_ shape: (Int, Int, Int)) {
        let (c, h, w) = shape
        var rng = SplitMix64(seed: 26)
        let x = Tensor<Double>.uniform([c, h, w], using: &rng)
        let dX = TotalVariation.backward(x, dL: 0.7)
        let res = GradCheck.check(at: x.storage, analytic: dX.storage) { v in
            0.7 * TotalVariation.forward(Tensor(shape: [c, h, w], storage: v))
        }
        #expect(res.maxRelativeError <= 1e-6, "\(res)")
    }

    @Test func totalVariationValue() {
        // [[0,1],[3,3]]: horizontal (1−0)², (3−3)²; vertical (3−0)², (3−1)² → 1 + 0 + 9 + 4
        let x = Tensor<Double>(shape: [1, 2, 2], storage: [0, 1, 3, 3])
        #expect(TotalVariation.forward(x) == 14)
    }
}

@Suite("GradCheck.relativeError with an allowed absolute error")
struct RelativeErrorSlackTests {
    @Test func theSlackIsSubtractedFromTheGapOnly() {
        // |1 − 1.5| = 0.5, less 0.25 allowed, over |1| + |1.5| = 2.5.
        #expect(GradCheck.relativeError(1, 1.5, slack: 0.25, floor: 1e-300) == 0.25 / 2.5)
        // A gap within the slack is no error; without slack it is the plain relative error.
        #expect(GradCheck.relativeError(1, 1.5, slack: 0.75, floor: 1e-300) == 0)
        #expect(GradCheck.relativeError(1, 1.5, slack: 0, floor: 1e-300) == GradCheck.relativeError(1, 1.5))
        // The floor bounds the denominator when both values are near zero.
        #expect(GradCheck.relativeError(1e-9, -1e-9, slack: 0, floor: 1e-3) == 2e-9 / 1e-3)
    }
}
