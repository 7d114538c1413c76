import Testing
import Foundation
import NSTTensor
import NSTLayers
import NSTVGG
import NSTWeights
@testable import NSTStyle
import NSTRandom

/// The experiment's objective through the real VGG16 (installed by `nst model fetch`): the fast
/// path (`auto`: Winograd for every layer but conv1_1) must give the loss and the gradient that
/// im2col gives (the direct multiply count, itself tested against the plain-loop reference), at
/// the same point, with the same targets. Images in Caffe's pixel range (±128).
@Suite struct RealModelAccuracyTests {
    static let model = ModelStore.defaultModel()

    @Test(.enabled(if: model != nil, "skipped: no model installed — run `nst model fetch` to run it"))
    func fastPathLossAndGradientMatchIm2col() throws {
        let (weights, info) = try VGGWeights<Float>.load(Self.model!)
        let net = VGG(architecture: info.architecture, weights: weights, pooling: .avg)
        var rng = SplitMix64(seed: 17)
        let (h, w) = (36, 48)
        let content = Tensor<Float>.uniform([3, h, w], in: -110...120, using: &rng)
        let style = Tensor<Float>.uniform([3, h, w], in: -110...120, using: &rng)
        let x = Tensor<Float>.uniform([3, h, w], in: -110...120, using: &rng)
        let styleLayers = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
        net.workspace.algorithm = .im2col
        let features = ImageFeatures(network: net, content: content, styles: [style], contentLayers: ["relu4_2"], styleLayers: styleLayers)
        let objective = StyleObjective(
            network: net,
            contentTargets: features.content,
            styleTargets: features.styleTargets(blendWeights: [1], layers: styleLayers),
            styleLayerWeights: Dictionary(uniqueKeysWithValues: styleLayers.map { ($0, 0.2) }),
            contentWeight: 1, styleWeight: 1e3, tvWeight: 0)
        let referenceEvaluation = try objective.lossAndGradient(at: x, evaluation: 1)
        let (reference, referenceGradient) = (referenceEvaluation.terms, referenceEvaluation.gradient)
        net.workspace.algorithm = .auto
        let fastEvaluation = try objective.lossAndGradient(at: x, evaluation: 1)
        let (fast, fastGradient) = (fastEvaluation.terms, fastEvaluation.gradient)

        let lossDifference = abs(fast.total - reference.total) / reference.total
        var squaredDifference = 0.0, squaredNorm = 0.0
        for (a, b) in zip(fastGradient.storage, referenceGradient.storage) {
            squaredDifference += Double(a - b) * Double(a - b)
            squaredNorm += Double(b) * Double(b)
        }
        let gradientDifference = (squaredDifference / squaredNorm).squareRoot()
        print("real VGG16, \(w)×\(h): loss im2col \(reference.total), auto \(fast.total) (relative \(lossDifference)); gradient relative L2 difference \(gradientDifference)")
        #expect(squaredNorm > 0)
        #expect(lossDifference <= 1e-5, "loss: im2col \(reference.total), auto \(fast.total)")
        #expect(gradientDifference <= 1e-4, "gradient relative L2 difference \(gradientDifference)")
    }
}
