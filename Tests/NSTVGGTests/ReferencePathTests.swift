import Testing
import NSTTensor
import NSTLayers
import NSTVGG
import NSTRandom

/// `VGG.referenceForward`/`referenceBackward` (the plain layer loop) are the oracle of the fused
/// `forward`/`backward`. The reference itself is proven by central differences in Double:
/// `ChainGradientTests.wholeChain` runs on both paths.
@Suite("VGG reference path: the oracle of the fused path")
struct ReferencePathTests {
    /// Wide enough (≥ 16 channels) that Winograd is used where the algorithm allows it.
    static let widths = [8, 16, 16, 16, 16, 16, 16, 16, 16, 16]   // VGG16 up to conv4_3
    static let styleLayers = ["relu1_1", "relu2_1", "relu3_1", "conv4_1"]   // conv4_1: a pre-activation

    /// Largest |a − b| over the largest |b|: the error relative to the tensor's scale.
    static func scaledError(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Float {
        precondition(a.shape == b.shape, "\(a.shape) vs \(b.shape)")
        let scale = b.storage.map(abs).max() ?? 0
        let diff = zip(a.storage, b.storage).map { abs($0 - $1) }.max() ?? 0
        return scale == 0 ? diff : diff / scale
    }

    /// The fused path's activations at every kept layer, and the input gradient of the
    /// style + content + TV objective, against the reference, in Float.
    @Test(arguments: [Pooling.max, .avg], [ConvAlgorithm.im2col, .winograd])
    func fusedMatchesReference(pooling: Pooling, algorithm: ConvAlgorithm) {
        let workspace = ConvWorkspace<Float>()
        workspace.algorithm = algorithm
        let (fast, x) = ChainGradientTests.makeChain(Float.self, pooling: pooling, styleLayers: Self.styleLayers, h: 20, w: 24, seed: 11,
                                                     widths: Self.widths, workspace: workspace)
        var reference = fast
        reference.reference = true
        let fastActs = fast.forward(x).kept, referenceActs = reference.forward(x).kept
        #expect(Set(fastActs.keys) == fast.keep && Set(referenceActs.keys) == fast.keep)
        for name in fast.keep {
            let e = Self.scaledError(fastActs[name]!, referenceActs[name]!)
            #expect(e <= 1e-5, "\(name) (\(pooling), \(algorithm)): error \(e)")
        }
        let e = Self.scaledError(fast.gradient(x), reference.gradient(x))
        #expect(e <= 1e-4, "∂L/∂x (\(pooling), \(algorithm)): error \(e)")
    }

    /// Every layer kept (conv, relu and pool outputs each stored): the fused path against the
    /// reference layer by layer, and a gradient injected at every one of them.
    @Test(arguments: [Pooling.max, .avg])
    func everyLayerMatchesReference(pooling: Pooling) {
        let weights = VGGWeights<Float>.random(architecture: .vgg16, channels: Self.widths, seed: 12)
        let net = VGG(architecture: .vgg16, weights: weights, pooling: pooling)
        var rng = SplitMix64(seed: 13)
        let x = Tensor<Float>.uniform([3, 17, 22], using: &rng)   // odd sizes: pooling drops a row or column
        let every = Set(net.layers.map(\.name))
        let fastActs = net.forward(x, keep: every)
        let (referenceActs, inputs) = net.referenceForward(x, keep: every)
        #expect(inputs.count == net.layers.count)
        var dKept: [String: Tensor<Float>] = [:]
        for layer in net.layers {
            #expect(Self.scaledError(fastActs[layer.name]!, referenceActs[layer.name]!) <= 1e-5, "\(layer.name)")
            dKept[layer.name] = Tensor<Float>.uniform(referenceActs[layer.name]!.shape, using: &rng)
        }
        let e = Self.scaledError(net.backward(dKept), net.referenceBackward(dKept, inputs: inputs))
        #expect(e <= 1e-5, "∂L/∂x: error \(e)")
    }

    /// A gradient given under a Keras name, and no gradient at all.
    @Test func referenceBackwardNamesAndEmptyGradients() {
        let net = VGG(architecture: .vgg16, weights: VGGWeights<Double>.random(architecture: .vgg16, channels: [3, 4, 4], seed: 3), pooling: .max)
        var rng = SplitMix64(seed: 4)
        let x = Tensor<Double>.uniform([3, 6, 8], using: &rng)
        let (kept, inputs) = net.referenceForward(x, keep: ["block1_conv2", "conv2_1"])
        #expect(Set(kept.keys) == ["relu1_2", "conv2_1"])
        let g = Tensor<Double>.uniform(kept["relu1_2"]!.shape, using: &rng)
        #expect(net.referenceBackward(["block1_conv2": g], inputs: inputs) == net.referenceBackward(["relu1_2": g], inputs: inputs))
        #expect(net.referenceBackward([:], inputs: inputs) == Tensor(shape: [3, 6, 8]))
    }
}
