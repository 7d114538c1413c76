import Testing
import NSTTensor
import NSTLayers
import NSTVGG
import NSTImage
@testable import NSTStyle

/// Winograd must not make the optimisation drift: 100 L-BFGS iterations of the experiment's
/// objective (content + 3 style layers) through the Winograd fast path end within 0.5 % of the
/// total loss of the same run through im2col (the direct multiply count, itself tested against
/// the plain-loop reference convolution).
@Suite struct ConvAlgorithmAccuracyTests {
    /// A VGG16-shaped network with random weights up to conv3_1, wide enough (≥ 16 channels)
    /// that `.auto` takes Winograd for every layer after conv1_1.
    static func run(_ algorithm: ConvAlgorithm, tile: Int) throws -> StyleTransferResult {
        let net = VGG(architecture: .vgg16, weights: VGGWeights<Float>.random(architecture: .vgg16, channels: [16, 16, 16, 16, 16], seed: 9),
                      pooling: .avg)
        net.workspace.algorithm = algorithm
        net.workspace.winogradTile = tile
        var o = StyleTransferOptions()
        o.contentLayers = ["relu2_2"]
        o.styleLayers = ["relu1_1", "relu2_1", "relu3_1"]
        o.maxEvaluations = 100
        o.styleWeight = 100
        return try transfer(network: StyleNetwork(features: net, preprocessing: .torchvision), content: Tiny.rgb(seed: 1, width: 40, height: 32),
                            styles: [Tiny.rgb(seed: 2, width: 40, height: 32)], options: o)
    }

    @Test func winogradLossWithinHalfAPercentOfIm2col() throws {
        let reference = try Self.run(.im2col, tile: 0)
        #expect(reference.evaluations == 100)
        #expect(reference.best.total < 0.8 * reference.curve[0].total, "the run must actually optimise")
        for tile in [2, 4, 6] {
            let fast = try Self.run(.winograd, tile: tile)
            #expect(fast.evaluations == 100)
            let drift = abs(fast.best.total - reference.best.total) / reference.best.total
            print("F(\(tile)×\(tile),3×3) after 100 L-BFGS evaluations: im2col \(reference.best.total), winograd \(fast.best.total), relative difference \(drift)")
            #expect(drift <= 0.005, "im2col \(reference.best.total) vs winograd F(\(tile)) \(fast.best.total)")
        }
    }
}
