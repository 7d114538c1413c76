import Testing
import Foundation
import NSTTensor
import NSTVGG
@testable import NSTStyle

@Suite struct PhaseTimerTests {
    /// A run timed phase by phase computes exactly what an untimed one does, and the timer holds
    /// one entry per evaluation whose phases are all measured and add up to at most the run.
    @Test func timingARunChangesNothingAndCoversEveryEvaluation() throws {
        var o = TinyRun.options
        o.iterations = 6
        let plain = try TinyRun.make(o).run()
        let timedRun = TinyRun.make(o)
        let timer = PhaseTimer()
        timedRun.objective.phaseTimer = timer
        let start = Date()
        let timed = try timedRun.run()
        let wall = Date().timeIntervalSince(start)
        #expect(timed.curve == plain.curve && timed.image == plain.image)
        #expect(timer.evaluations.count == timed.evaluations)
        for e in timer.evaluations {
            for phase in [EvaluationPhase.vggForward, .vggBackward, .gram, .losses, .bookkeeping] { #expect(e[phase] > 0, "\(phase)") }
            #expect(e[.optimizer] >= 0)
        }
        #expect(timer.evaluations.reduce(0) { $0 + $1.total } <= wall)
    }

    /// Without a timer nothing is recorded (the default).
    @Test func untimedObjectiveHasNoTimer() {
        #expect(TinyRun.make(TinyRun.options).objective.phaseTimer == nil)
    }

    /// One forward pass of the content gives the same targets and positions as the two it replaces.
    @Test func contentTargetsAndPositionsFromOnePassEqualTheSeparatePasses() {
        let net = Tiny.net(Float.self)
        let content = Tiny.image(Float.self, seed: 1)
        let styleLayers = ["relu1_1", "relu2_1", "relu3_1"]
        let both = StyleObjective<VGG<Float>>.contentTargetsAndPositions(network: net, content: content, contentLayers: ["relu2_2"],
                                                                          positionLayers: styleLayers)
        #expect(both.targets == StyleObjective<VGG<Float>>.contentTargets(network: net, content: content, layers: ["relu2_2"]))
        #expect(both.positions == ["relu1_1": 16 * 12, "relu2_1": 8 * 6, "relu3_1": 4 * 3])
    }
}

@Suite struct TruncatedModelTests {
    static let model = StyleModel(weights: VGGWeights<Float>.random(architecture: .vgg16, channels: Tiny.widths, seed: 11),
                                  preprocessing: .torchvision, path: "", sha256: "")

    /// A model cut after the deepest layer a run uses prepares a normalised network that scores
    /// images exactly as the whole model's does: each layer's normalisation depends only on the
    /// layers before it.
    @Test func truncatedModelScoresExactlyAsTheWholeOne() throws {
        var o = TinyRun.options
        o.size = 40
        let layers = ["relu2_1", "relu1_1", "relu2_2"]
        let cut = Self.model.truncated(through: layers)
        #expect(cut.weights.convs.count == 4 && Self.model.weights.convs.count == Tiny.widths.count)
        let content = Tiny.rgb(seed: 1, width: 40, height: 30), style = Tiny.rgb(seed: 2, width: 40, height: 30)
        let whole = Self.model.prepare(network: o.network, content: content, styles: [style])
        let part = cut.prepare(network: o.network, content: content, styles: [style])
        let image = Tiny.rgb(seed: 3, width: 40, height: 30)
        let a = try whole.losses(of: image, contentLayers: ["relu2_2"], styleLayers: ["relu1_1", "relu2_1"])
        let b = try part.losses(of: image, contentLayers: ["relu2_2"], styleLayers: ["relu1_1", "relu2_1"])
        #expect(a == b)
        // Keras names resolve; a layer at or past the last convolution keeps every one.
        #expect(Self.model.truncated(through: ["block1_conv2"]).weights.convs.count == 2)
        #expect(Self.model.truncated(through: ["relu3_1"]).weights.convs.count == Tiny.widths.count)
    }

    /// The prepared model carries the network's own (normalised) weights, not a second set.
    @Test func preparedModelHoldsTheNetworksWeights() {
        var o = TinyRun.options
        o.size = 40
        let p = Self.model.prepare(network: o.network, content: Tiny.rgb(seed: 1, width: 40, height: 30), styles: [Tiny.rgb(seed: 2, width: 40, height: 30)])
        #expect(p.model.weights.convs.map(\.weight) == p.network.convs.map(\.weight))
        #expect(p.model.weights.convs.map(\.weight) != Self.model.weights.convs.map(\.weight))   // normalised
    }
}

@Suite struct ImageFeaturesTests {
    static func prepared() -> PreparedStyleTransfer {
        var o = TinyRun.options
        o.size = 40
        return TruncatedModelTests.model.prepare(network: o.network, content: Tiny.rgb(seed: 1, width: 40, height: 30),
                                                 styles: [Tiny.rgb(seed: 2, width: 40, height: 30), Tiny.rgb(seed: 4, width: 36, height: 30)])
    }

    /// Runs whose targets come from features computed once for every layer get exactly the
    /// targets a run computes from its own forward passes at its own layers.
    @Test func runsOnSharedFeaturesHaveTheTargetsOfRunsOnTheirOwn() {
        let p = Self.prepared()
        p.prepareFeatures(contentLayers: ["relu2_2"], styleLayers: ["relu1_1", "relu2_1", "relu3_1"])
        var o = TinyRun.options
        o.size = 40
        o.styleBlendWeights = [3, 1]
        for layers in [["relu1_1"], ["relu3_1", "relu1_1"], ["relu1_1", "relu2_1", "relu3_1"]] {
            o.styleLayers = layers
            let shared = p.run(o.run).objective
            let own = StyleTransferRun(options: o, network: p.network, content: p.content, styles: p.styles,
                                       encode: { p.model.encode($0) }, decode: { p.model.decode($0) }).objective
            #expect(shared.styleTargets == own.styleTargets, "\(layers)")
            #expect(shared.contentTargets == own.contentTargets, "\(layers)")
        }
    }

    /// A run at layers the features do not cover computes them again for the old and the new
    /// layers together; one they cover computes nothing.
    @Test func featuresGrowToCoverEveryRunsLayers() {
        let p = Self.prepared()
        var o = TinyRun.options
        o.size = 40
        o.styleLayers = ["relu1_1"]
        _ = p.run(o.run)
        #expect(p.features.value?.styleLayers == ["relu1_1"])
        o.styleLayers = ["relu2_1"]
        _ = p.run(o.run)
        let after = p.features.value
        #expect(after?.styleLayers == ["relu1_1", "relu2_1"] && after?.contentLayers == ["relu2_2"])
        o.styleLayers = ["relu1_1", "relu2_1"]
        _ = p.run(o.run)
        #expect(p.features.value?.styles.map { $0.mapValues(\.gram) } == after?.styles.map { $0.mapValues(\.gram) })
    }
}
