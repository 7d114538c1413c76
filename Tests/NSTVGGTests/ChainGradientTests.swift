import Testing
import NSTTensor
import NSTLayers
import NSTVGG
import NSTGradCheck
import NSTRandom

/// The whole chain the style transfer differentiates: image → VGG-shaped network with random
/// weights (tiny widths) → content loss + style losses + total variation, in Double, checked
/// against central differences at every pixel.
@Suite("Image → VGG → content + style + TV: backward against central differences (Double)")
struct ChainGradientTests {
    static let widths = [3, 4, 4, 5, 5, 4, 6, 5, 4, 3, 4, 3]   // VGG16 up to conv5_2, tiny

    /// The objective on `net`'s fast path (`forward`/`backward`) or on its reference path
    /// (`referenceForward`/`referenceBackward`).
    struct Chain<S: TensorScalar> {
        let net: VGG<S>
        let content: Tensor<S>            // target for relu4_2, [N, M]
        let styleTargets: [String: Tensor<S>]   // Gram targets, [N, N]
        var reference = false
        let contentLayer = "relu4_2"
        let contentWeight: S = 1, styleWeight: S = 1e3, tvWeight: S = 0.05

        var keep: Set<String> { Set(styleTargets.keys).union([contentLayer]) }

        static func features(_ a: Tensor<S>) -> Tensor<S> { a.reshaped([a.shape[0], a.shape[1] * a.shape[2]]) }

        /// The kept activations, and what the path's backward needs from this forward.
        func forward(_ x: Tensor<S>) -> (kept: [String: Tensor<S>], inputs: [Tensor<S>]) {
            reference ? net.referenceForward(x, keep: keep) : (net.forward(x, keep: keep), [])
        }

        func loss(_ x: Tensor<S>) -> S {
            let acts = forward(x).kept
            var total = contentWeight * ContentLoss.forward(Chain.features(acts[contentLayer]!), content)
            for (name, A) in styleTargets { total += styleWeight * StyleLoss.forward(Chain.features(acts[name]!), A) }
            return total + tvWeight * TotalVariation.forward(x)
        }

        func gradient(_ x: Tensor<S>) -> Tensor<S> {
            let (acts, inputs) = forward(x)
            var d: [String: Tensor<S>] = [:]
            let f = acts[contentLayer]!
            d[contentLayer] = ContentLoss.backward(Chain.features(f), content, dL: contentWeight).reshaped(f.shape)
            for (name, A) in styleTargets {
                let a = acts[name]!
                let g = StyleLoss.backward(Chain.features(a), A, dE: styleWeight).reshaped(a.shape)
                d[name] = d[name].map { prev in Tensor(shape: g.shape, storage: zip(prev.storage, g.storage).map { $0 + $1 }) } ?? g
            }
            var dx = reference ? net.referenceBackward(d, inputs: inputs) : net.backward(d)
            let tv = TotalVariation.backward(x, dL: tvWeight)
            for i in 0..<dx.count { dx.storage[i] += tv.storage[i] }
            return dx
        }
    }

    static func makeChain<S: TensorScalar>(_: S.Type, pooling: Pooling, styleLayers: [String], h: Int, w: Int, seed: UInt64,
                                           widths: [Int] = ChainGradientTests.widths, reference: Bool = false,
                                           workspace: ConvWorkspace<S> = ConvWorkspace()) -> (Chain<S>, Tensor<S>) {
        let weights = VGGWeights<S>.random(architecture: .vgg16, channels: widths, seed: seed)
        let net = VGG(architecture: .vgg16, weights: weights, pooling: pooling, workspace: workspace)
        var rng = SplitMix64(seed: seed + 100)
        // Targets come from other images through the same network, as in style transfer.
        let contentImage = Tensor<S>.uniform([3, h, w], using: &rng)
        let styleImage = Tensor<S>.uniform([3, h, w], using: &rng)
        let c = net.forward(contentImage, keep: ["relu4_2"])["relu4_2"]!
        let s = net.forward(styleImage, keep: Set(styleLayers))
        var targets: [String: Tensor<S>] = [:]
        for name in styleLayers { targets[name] = Gram.forward(Chain.features(s[name]!)) }
        let x = Tensor<S>.uniform([3, h, w], using: &rng)
        return (Chain(net: net, content: Chain.features(c), styleTargets: targets, reference: reference), x)
    }

    /// On the fast path (`forward`/`backward`) and on the reference path
    /// (`referenceForward`/`referenceBackward`, the oracle of the fast one in ReferencePathTests).
    @Test(arguments: [Pooling.max, .avg], [false, true])
    func wholeChain(_ pooling: Pooling, reference: Bool) {
        // 16×12 → 8×6 → 4×3 → 2×1 after pool3: relu4_2 is 2×1.
        let (chain, x) = Self.makeChain(Double.self, pooling: pooling, styleLayers: ["relu1_1", "relu2_1", "relu3_1", "conv4_1"], h: 12, w: 16, seed: 7,
                                        reference: reference)
        let analytic = chain.gradient(x)
        // ε = 1e-4: the loss is O(30) while some pixels' gradients are O(1e-4), so at ε = 1e-6 the
        // round-off of f (≈1e-16·30/ε) alone is a 1e-5 relative error there; the O(ε²) truncation
        // error at 1e-4 is far below 1e-6, and ReLU/max-pool kinks are still not crossed.
        let res = GradCheck.check(at: x.storage, analytic: analytic.storage, epsilon: 1e-4) { v in
            chain.loss(Tensor(shape: x.shape, storage: v))
        }
        #expect(res.checkedEntries == 3 * 12 * 16)
        #expect(res.maxRelativeError <= 1e-6, "\(pooling), reference \(reference): \(res)")
    }

    @Test func deepChainToConv5OnOddSizes() {
        // 17×19 floors to 8×9, 4×4, 2×2, 1×1: relu5_1 / conv5_2 on a single pixel.
        let weights = VGGWeights<Double>.random(architecture: .vgg16, channels: Self.widths, seed: 9)
        let net = VGG(architecture: .vgg16, weights: weights, pooling: .max)
        var rng = SplitMix64(seed: 10)
        let x = Tensor<Double>.uniform([3, 17, 19], using: &rng)
        let r1 = Tensor<Double>.uniform([3, 17, 19], using: &rng), r5 = Tensor<Double>.uniform([3, 1, 1], using: &rng)
        let rp = Tensor<Double>.uniform([6, 2, 2], using: &rng)
        let keep: Set<String> = ["relu1_1", "pool3", "conv5_2"]
        func loss(_ v: Tensor<Double>) -> Double {
            let a = net.forward(v, keep: keep)
            return zip(a["relu1_1"]!.storage, r1.storage).reduce(0) { $0 + $1.0 * $1.1 }
                + zip(a["pool3"]!.storage, rp.storage).reduce(0) { $0 + $1.0 * $1.1 }
                + zip(a["conv5_2"]!.storage, r5.storage).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let acts = net.forward(x, keep: keep)
        #expect(Set(acts.keys) == keep)
        #expect(acts["conv5_2"]!.shape == [3, 1, 1] && acts["pool3"]!.shape == [6, 2, 2])
        // Keras names address layers too (block3_pool is pool3).
        let dx = net.backward(["relu1_1": r1, "block3_pool": rp, "conv5_2": r5])
        let res = GradCheck.check(at: x.storage, analytic: dx.storage) { v in loss(Tensor(shape: x.shape, storage: v)) }
        #expect(res.maxRelativeError <= 1e-6, "\(res)")
    }

    @Test func minimumSideReachesTheLayer() throws {
        let weights = VGGWeights<Double>.random(architecture: .vgg16, channels: Self.widths + [2], seed: 4)
        let net = VGG(architecture: .vgg16, weights: weights, pooling: .max)
        for name in ["conv1_1", "pool1", "relu3_2", "pool4", "conv5_3"] {
            let side = try VGGArchitecture.vgg16.minimumSide(for: name)
            let out = net.forward(Tensor(shape: [3, side, side + 1]), keep: [name])[name]!
            #expect(out.shape[1] >= 1 && out.shape[2] >= 1, "\(name) at \(side) px")
        }
        #expect(try VGGArchitecture.vgg16.minimumSide(for: "conv5_2") == 16)
        #expect(try VGGArchitecture.vgg19.minimumSide(for: "pool5") == 32)
    }

    @Test func forwardStopsAtTheDeepestKeptLayerAndFusedMatchesUnfused() {
        let weights = VGGWeights<Double>.random(architecture: .vgg16, channels: Self.widths, seed: 2)
        let net = VGG(architecture: .vgg16, weights: weights, pooling: .avg)
        var rng = SplitMix64(seed: 3)
        let x = Tensor<Double>.uniform([3, 8, 8], using: &rng)
        let both = net.forward(x, keep: ["conv2_1", "relu2_1"])
        #expect(Set(both.keys) == ["conv2_1", "relu2_1"])
        #expect(both["relu2_1"]! == ReLU.forward(both["conv2_1"]!))
        let fused = net.forward(x, keep: ["relu2_1"])["relu2_1"]!
        #expect(fused == both["relu2_1"]!)
        // Nothing deeper than the deepest kept layer is needed: weights for two convolutions suffice.
        let shallow = VGG(architecture: .vgg16, weights: VGGWeights<Double>(architecture: .vgg16, convs: Array(weights.convs.prefix(2))), pooling: .avg)
        #expect(shallow.forward(x, keep: ["relu1_2"])["relu1_2"]! == net.forward(x, keep: ["relu1_2"])["relu1_2"]!)
        // No upstream gradient → zero image gradient of the right shape.
        #expect(net.backward([:]) == Tensor(shape: [3, 8, 8]))
    }

    /// A kept pre-activation whose ReLU output feeds only the next convolution (conv1_1,
    /// conv2_1) is not rectified into a tensor of its own; that convolution rectifies as it
    /// reads. Keeping the ReLU outputs too forces the stored path: the same activations and the
    /// same image gradient, to the bit, for both poolings, on im2col and on Winograd.
    @Test(arguments: [Pooling.avg, .max], [ConvAlgorithm.im2col, .winograd])
    func unstoredReLUOutputsMatchStoredOnes(pooling: Pooling, algorithm: ConvAlgorithm) {
        let weights = VGGWeights<Double>.random(architecture: .vgg16, channels: Self.widths, seed: 5)
        let workspace = ConvWorkspace<Double>()
        workspace.algorithm = algorithm
        let net = VGG(architecture: .vgg16, weights: weights, pooling: pooling, workspace: workspace)
        var rng = SplitMix64(seed: 6)
        let x = Tensor<Double>.uniform([3, 13, 10], in: -1...1, using: &rng)
        let kept: Set<String> = ["conv1_1", "conv2_1", "conv2_2"]
        let unstored = net.forward(x, keep: kept)
        let gradients = kept.reduce(into: [String: Tensor<Double>]()) { d, name in
            d[name] = Tensor<Double>.uniform(unstored[name]!.shape, using: &rng)
        }
        let dUnstored = net.backward(gradients)
        let stored = net.forward(x, keep: kept.union(["relu1_1", "relu2_1"]))
        #expect(stored["relu1_1"]! == ReLU.forward(stored["conv1_1"]!))
        for name in kept { #expect(stored[name]! == unstored[name]!, "\(name)") }
        #expect(net.backward(gradients) == dUnstored)
    }
}
