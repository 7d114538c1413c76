import Testing
import Foundation
import NSTTensor
import NSTLayers
import NSTVGG
import NSTImage
@testable import NSTStyle

@Suite struct TruncatedModelTests {
    static let model = StyleModel(weights: VGGWeights<Float>.random(architecture: .vgg16, channels: Tiny.widths, seed: 11),
                                  preprocessing: .torchvision, path: "", sha256: "")

    static func losses(_ model: StyleModel, of image: RGBImage, content: RGBImage, style: RGBImage) throws -> LossTerms {
        var o = TinyRun.options
        o.size = 40
        o.contentLayers = ["relu2_2"]
        o.styleLayers = ["relu1_1", "relu2_1"]
        let network = model.styleNetwork(options: o, content: content, styles: [style])
        let features = network.features(content: content, styles: [style], contentLayers: o.contentLayers, styleLayers: o.styleLayers)
        return try StyleObjective(network: network.features, features: features, options: o).losses(at: network.encode(image))
    }

    /// A model cut after the deepest layer a run uses builds a normalised network that scores
    /// images exactly as the whole model's does: each layer's normalisation depends only on the
    /// layers before it.
    @Test func truncatedModelScoresExactlyAsTheWholeOne() throws {
        let layers = ["relu2_1", "relu1_1", "relu2_2"]
        let cut = Self.model.truncated(through: layers)
        #expect(cut.weights.convs.count == 4 && Self.model.weights.convs.count == Tiny.widths.count)
        let content = Tiny.rgb(seed: 1, width: 40, height: 30), style = Tiny.rgb(seed: 2, width: 40, height: 30)
        let image = Tiny.rgb(seed: 3, width: 40, height: 30)
        let a = try Self.losses(Self.model, of: image, content: content, style: style)
        let b = try Self.losses(cut, of: image, content: content, style: style)
        #expect(a == b)
        #expect(a.style["relu1_1"]! > 0 && a.content["relu2_2"]! > 0)
        // Keras names resolve; a layer at or past the last convolution keeps every one.
        #expect(Self.model.truncated(through: ["block1_conv2"]).weights.convs.count == 2)
        #expect(Self.model.truncated(through: ["relu3_1"]).weights.convs.count == Tiny.widths.count)
    }
}

@Suite struct ImageFeaturesTests {
    static var network: StyleNetwork<VGG<Float>> { StyleNetwork(features: Tiny.net(Float.self), preprocessing: .torchvision) }
    static let content = Tiny.rgb(seed: 1, width: 40, height: 30)
    static let styles = [Tiny.rgb(seed: 2, width: 40, height: 30), Tiny.rgb(seed: 4, width: 36, height: 30)]

    /// Objectives whose targets come from features computed once for every layer get exactly
    /// the targets of features computed at their own layers only (the experiment shares one
    /// computation between both runs and the scoring).
    @Test func sharedFeaturesGiveTheTargetsOfFeaturesOfTheirOwn() {
        let n = Self.network
        let shared = n.features(content: Self.content, styles: Self.styles, contentLayers: ["relu2_2"], styleLayers: ["relu1_1", "relu2_1", "relu3_1"])
        var o = TinyRun.options
        o.styleBlendWeights = [3, 1]
        for layers in [["relu1_1"], ["relu3_1", "relu1_1"], ["relu1_1", "relu2_1", "relu3_1"]] {
            o.styleLayers = layers
            #expect(shared.covers(contentLayers: o.contentLayers, styleLayers: layers))
            let own = n.features(content: Self.content, styles: Self.styles, contentLayers: o.contentLayers, styleLayers: layers)
            let a = StyleObjective(network: n.features, features: shared, options: o)
            let b = StyleObjective(network: n.features, features: own, options: o)
            #expect(a.styleTargets == b.styleTargets, "\(layers)")
            #expect(a.contentTargets == b.contentTargets, "\(layers)")
            #expect(Set(a.styleTargets.keys) == Set(layers))
        }
        #expect(!shared.covers(contentLayers: ["relu3_1"], styleLayers: ["relu1_1"]))
    }

    /// A transfer given features that cover its layers computes the same image as one that
    /// computes its own; features that do not cover them are ignored.
    @Test func transferTakesItsTargetsFromCoveringFeatures() throws {
        var o = TinyRun.options
        o.maxEvaluations = 5
        let n = Self.network
        let all = n.features(content: Self.content, styles: Self.styles, contentLayers: ["relu2_2"], styleLayers: ["relu1_1", "relu2_1", "relu3_1"])
        let shallow = n.features(content: Self.content, styles: Self.styles, contentLayers: ["relu2_2"], styleLayers: ["relu1_1"])
        let own = try transfer(network: n, content: Self.content, styles: Self.styles, options: o)
        let fromAll = try transfer(network: n, content: Self.content, styles: Self.styles, options: o, features: all)
        let fromShallow = try transfer(network: n, content: Self.content, styles: Self.styles, options: o, features: shallow)
        #expect(own.curve == fromAll.curve && own.image == fromAll.image)
        #expect(own.curve == fromShallow.curve)
    }
}
