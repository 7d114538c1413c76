import Testing
import Foundation
import NSTTensor
import NSTLayers
import NSTVGG
import NSTImage
import NSTGradCheck
@testable import NSTStyle
@testable import NSTStyleJobs
import NSTRandom

/// A tiny VGG16-shaped network (random weights) up to conv3_1 and images of 12×16.
enum Tiny {
    static let widths = [4, 4, 5, 5, 6]
    static func net<S: TensorScalar>(_: S.Type, pooling: Pooling = .max, seed: UInt64 = 3) -> VGG<S> {
        VGG(architecture: .vgg16, weights: VGGWeights<S>.random(architecture: .vgg16, channels: widths, seed: seed), pooling: pooling)
    }
    static func image<S: TensorScalar>(_: S.Type, seed: UInt64, h: Int = 12, w: Int = 16) -> Tensor<S> {
        var rng = SplitMix64(seed: seed)
        return Tensor<S>.uniform([3, h, w], using: &rng)
    }
    static func rgb(seed: UInt64, width: Int = 16, height: Int = 12) -> RGBImage {
        var rng = SplitMix64(seed: seed)
        return RGBImage(width: width, height: height, pixels: (0..<(3 * width * height)).map { _ in Float(rng.nextUnit()) })
    }

    static func objective<S: TensorScalar>(_: S.Type, normalizeGradients: Bool = false, tv: Double = 0.05) -> (StyleObjective<VGG<S>>, Tensor<S>) {
        let net = net(S.self, pooling: .avg)
        let content = image(S.self, seed: 1), style1 = image(S.self, seed: 2), style2 = image(S.self, seed: 4, h: 10, w: 14)
        let styleLayers = ["relu1_1", "conv2_1", "relu3_1"]
        let features = ImageFeatures(network: net, content: content, styles: [style1, style2], contentLayers: ["relu2_2"], styleLayers: styleLayers)
        let obj = StyleObjective(
            network: net,
            contentTargets: features.content,
            styleTargets: features.styleTargets(blendWeights: [3, 1], layers: styleLayers),
            styleLayerWeights: ["relu1_1": 1, "conv2_1": 0.5, "relu3_1": 2],
            contentWeight: 0.7, styleWeight: 30, tvWeight: tv, normalizeGradients: normalizeGradients)
        return (obj, image(S.self, seed: 5))
    }
}

@Suite struct ObjectiveTests {
    @Test func gradientMatchesFiniteDifferencesInDouble() throws {
        let (obj, x) = Tiny.objective(Double.self)
        let dx = try obj.lossAndGradient(at: x, evaluation: 1).gradient
        // ε = 1e-4: f ≈ 40, so the round-off of a central difference is ≈ 1e-16·40/ε ≈ 4e-11;
        // entries whose gradient is below 1e-5 (a few of 576, max |g| ≈ 0.7) are compared
        // only for being that small (absoluteFloor), the others to 1e-6 relative error.
        #expect(dx.storage.filter { abs($0) > 1e-5 }.count > 9 * x.count / 10)
        let res = GradCheck.check(at: x.storage, analytic: dx.storage, epsilon: 1e-4, absoluteFloor: 1e-5) { v in
            (try? obj.losses(at: Tensor(shape: x.shape, storage: v)).total) ?? .nan
        }
        #expect(res.checkedEntries == x.count)
        #expect(res.maxRelativeError < 1e-6, "\(res); f = \(String(describing: try? obj.losses(at: x).total)); max |g| \(dx.storage.map(abs).max()!)")
    }

    @Test func totalIsTheWeightedSumOfTheTerms() throws {
        let (obj, x) = Tiny.objective(Double.self)
        let t = try obj.losses(at: x)
        let expected = 0.7 * t.content["relu2_2"]! + 30 * (t.style["relu1_1"]! + 0.5 * t.style["conv2_1"]! + 2 * t.style["relu3_1"]!) + 0.05 * t.tv
        #expect(abs(t.total - expected) <= 1e-12 * abs(expected))
        #expect(t.tv == TotalVariation.forward(x))
    }

    @Test func contentLossIsZeroAtTheContentImage() throws {
        let (obj, _) = Tiny.objective(Double.self, tv: 0)
        let t = try obj.losses(at: Tiny.image(Double.self, seed: 1))
        #expect(t.content["relu2_2"]! == 0)
    }

    @Test func styleTargetsBlendAndRescaleByPositions() {
        let net = Tiny.net(Double.self)
        let a = Tiny.image(Double.self, seed: 2), b = Tiny.image(Double.self, seed: 9, h: 6, w: 8)
        let layers = ["relu1_1"]
        // The content a (12×16) sets M; b has a quarter of its positions.
        let features = ImageFeatures(network: net, content: a, styles: [a, b], contentLayers: [], styleLayers: layers)
        #expect(features.positions == ["relu1_1": 12 * 16])
        let only = features.styleTargets(blendWeights: [1, 0], layers: layers)
        let gramA = Gram.forward(StyleObjective<VGG<Double>>.featureMatrix(net.forward(a, keep: ["relu1_1"])["relu1_1"]!))
        #expect(only["relu1_1"]! == gramA)   // same size as the generated image: exactly F Fᵀ
        // The 6×8 image has a quarter of the positions: its Gram is scaled by 4.
        let onlyB = features.styleTargets(blendWeights: [0, 2], layers: layers)
        let gramB = Gram.forward(StyleObjective<VGG<Double>>.featureMatrix(net.forward(b, keep: ["relu1_1"])["relu1_1"]!))
        for i in 0..<gramB.count { #expect(abs(onlyB["relu1_1"]!.storage[i] - 4 * gramB.storage[i]) <= 1e-12 * abs(gramB.storage[i]) + 1e-15) }
        let mixed = features.styleTargets(blendWeights: [3, 1], layers: layers)
        for i in 0..<gramA.count {
            let want = 0.75 * gramA.storage[i] + 0.25 * 4 * gramB.storage[i]
            #expect(abs(mixed["relu1_1"]!.storage[i] - want) <= 1e-12 * abs(want) + 1e-15)
        }
    }

    @Test func normalizeGradientsGivesEachLayerUnitL1TimesItsWeight() throws {
        // A network that records the gradients it receives.
        final class Recorder: FeatureNetwork {
            var received: [String: Tensor<Double>] = [:]
            func forward(_ x: Tensor<Double>, keep: Set<String>) -> [String: Tensor<Double>] {
                var out: [String: Tensor<Double>] = [:]
                for (k, name) in keep.sorted().enumerated() {
                    out[name] = Tensor(shape: x.shape, storage: x.storage.map { $0 * Double(k + 1) })
                }
                return out
            }
            func backward(_ d: [String: Tensor<Double>]) -> Tensor<Double> { received = d; return d.values.first! }
        }
        let net = Recorder()
        let x = Tiny.image(Double.self, seed: 1, h: 3, w: 4)
        let obj = StyleObjective(network: net,
                                 contentTargets: ImageFeatures(network: net, content: Tiny.image(Double.self, seed: 2, h: 3, w: 4), styles: [],
                                                               contentLayers: ["a"], styleLayers: []).content,
                                 styleTargets: ["b": Tensor(shape: [3, 3], repeating: 0.1)],
                                 styleLayerWeights: ["b": 2], contentWeight: 5, styleWeight: 3, tvWeight: 0,
                                 normalizeGradients: true)
        _ = try obj.lossAndGradient(at: x, evaluation: 1)
        let l1 = net.received.mapValues { $0.storage.reduce(0) { $0 + abs($1) } }
        #expect(abs(l1["a"]! - 5) < 1e-6)      // α
        #expect(abs(l1["b"]! - 6) < 1e-6)      // β·w_l
    }
}

@Suite struct NonFiniteGuardTests {
    @Test func overflowingImageStopsWithTheTermAndTheEvaluation() throws {
        let (obj, x) = Tiny.objective(Float.self, tv: 0)
        var huge = x
        for i in 0..<huge.count { huge.storage[i] *= 1e30 }
        do {
            _ = try obj.lossAndGradient(at: huge, evaluation: 17)
            Issue.record("no error for a non-finite loss")
        } catch let e as NonFiniteLossError {
            #expect(e.evaluation == 17)
            #expect(e.term.contains("loss at"), "\(e.term)")
            #expect(e.description.contains("evaluation 17") && e.description.contains("Try"))
        }
    }

    @Test func nanInputIsCaught() throws {
        let (obj, x) = Tiny.objective(Float.self)
        var bad = x
        bad.storage[5] = .nan
        #expect(throws: NonFiniteLossError.self) { _ = try obj.lossAndGradient(at: bad, evaluation: 1) }
        #expect(throws: NonFiniteLossError.self) { _ = try obj.losses(at: bad) }
    }

    @Test func runStopsAndReportsInsteadOfReturningAnImage() throws {
        // β = 1e39 is finite in Double (the losses) but not in Float (the gradient).
        var o = StyleTransferOptions()
        o.styleWeight = 1e39
        o.maxEvaluations = 5
        o.contentLayers = ["relu2_2"]
        o.styleLayers = ["relu1_1", "relu3_1"]
        do {
            _ = try TinyRun.run(o)
            Issue.record("no error")
        } catch let e as NonFiniteLossError {
            #expect(e.term.contains("gradient") && e.evaluation == 1, "\(e)")
        }
    }
}

/// `transfer` on the tiny network (torchvision's preprocessing), content Tiny.rgb(seed: 1).
enum TinyRun {
    static var network: StyleNetwork<VGG<Float>> { StyleNetwork(features: Tiny.net(Float.self), preprocessing: .torchvision) }
    static let content = Tiny.rgb(seed: 1)

    static func run(_ o: StyleTransferOptions, styles: [RGBImage] = [Tiny.rgb(seed: 2)], network: StyleNetwork<VGG<Float>> = TinyRun.network,
                    progress: @escaping (StyleProgress) -> Void = { _ in }, shouldStop: @escaping () -> Bool = { false },
                    saveEvery: Int = 0, intermediate: @escaping (Int, RGBImage) -> Void = { _, _ in }) throws -> StyleTransferResult {
        var callbacks = TransferCallbacks()
        callbacks.progress = progress
        callbacks.shouldStop = shouldStop
        callbacks.saveEvery = saveEvery
        callbacks.intermediate = intermediate
        return try transfer(network: network, content: content, styles: styles, options: o, callbacks: callbacks)
    }

    /// The objective `run` minimises.
    static func objective(_ o: StyleTransferOptions, styles: [RGBImage] = [Tiny.rgb(seed: 2)]) -> StyleObjective<VGG<Float>> {
        let n = network
        return StyleObjective(network: n.features, features: n.features(content: content, styles: styles, contentLayers: o.contentLayers,
                                                                         styleLayers: o.styleLayers), options: o)
    }

    static var options: StyleTransferOptions {
        var o = StyleTransferOptions()
        o.contentLayers = ["relu2_2"]
        o.styleLayers = ["relu1_1", "relu2_1", "relu3_1"]
        o.maxEvaluations = 30
        o.styleWeight = 100
        return o
    }
}

@Suite struct TransferTests {
    @Test(arguments: [OptimizerKind.lbfgs, .adam])
    func lossDecreases(_ kind: OptimizerKind) throws {
        var o = TinyRun.options
        o.optimizer = kind
        o.learningRate = kind == .adam ? 0.05 : nil
        var seen: [Int] = []
        let r = try TinyRun.run(o, progress: { seen.append($0.evaluation) })
        #expect(r.evaluations == 30 && seen == Array(1...30))
        #expect(r.best.total < 0.5 * r.curve[0].total, "\(r.curve[0].total) → \(r.best.total)")
        #expect(r.stopReason == .budget)
    }

    @Test func lbfgsWithLineSearchNeverRaisesTheAcceptedLoss() throws {
        // The iterates the optimiser accepted (not a running minimum the test builds itself)
        // fall strictly, and the last of them is the image the transfer returns.
        let r = try TinyRun.run(TinyRun.options)
        let iterates = zip(r.curve, r.accepted).filter { $0.1 }.map { $0.0.total }
        #expect(iterates.count > 5, "\(r.accepted)")
        #expect(zip(iterates, iterates.dropFirst()).allSatisfy { $0 > $1 }, "\(iterates)")
        #expect(iterates.last == r.best.total)
    }

    @Test func theWrittenImageHasTheLossTheRunReports() throws {
        // The image is kept inside the valid pixel box, so writing it (clamping to 0…1)
        // does not change it: its loss is the one the optimiser reached.
        var o = TinyRun.options
        o.styleWeight = 1e4
        let r = try TinyRun.run(o)
        let again = try TinyRun.objective(o).losses(at: Preprocessing.torchvision.tensor(fromRGB: r.image.pixels, width: 16, height: 12))
        #expect(abs(again.total - r.best.total) <= 1e-3 * r.best.total, "\(again.total) vs \(r.best.total)")
    }

    @Test func stopFlagReturnsTheBestImageSoFar() throws {
        var calls = 0
        let r = try TinyRun.run(TinyRun.options, shouldStop: { calls += 1; return calls > 7 })
        #expect(r.stopReason == .interrupted)
        #expect(r.evaluations == 7)
        #expect(r.image.width == 16 && r.image.height == 12)
        #expect(r.best.total == r.curve.map(\.total).min())
    }

    @Test func intermediatesEveryN() throws {
        var saved: [Int] = []
        _ = try TinyRun.run(TinyRun.options, saveEvery: 10, intermediate: { n, img in saved.append(n); #expect(img.width == 16) })
        #expect(saved == [10, 20, 30])
    }

    @Test func initModes() throws {
        var o = TinyRun.options
        o.initMode = .content
        func x0(_ o: StyleTransferOptions, styles: [RGBImage] = [Tiny.rgb(seed: 2)]) -> Tensor<Float> {
            initialImage(network: TinyRun.network, content: TinyRun.content, styles: styles, options: o)
        }
        #expect(x0(o) == Preprocessing.torchvision.tensor(fromRGB: Tiny.rgb(seed: 1).pixels, width: 16, height: 12))
        o.initMode = .noise
        o.seed = 1
        let n1 = x0(o)
        #expect(n1 == x0(o))      // same seed, same noise
        o.seed = 2
        #expect(n1 != x0(o))
        o.initMode = .style
        let style = Tiny.rgb(seed: 8, width: 32, height: 24)
        let x = x0(o, styles: [style])
        #expect(x.shape == [3, 12, 16])
    }

    @Test func originalColorsKeepTheContentChrominance() throws {
        var o = TinyRun.options
        o.originalColors = true
        let r = try TinyRun.run(o)
        let c = ColorTransfer.yiq(fromRGB: TinyRun.content.pixels), g = ColorTransfer.yiq(fromRGB: r.image.pixels)
        var maxDiff: Float = 0
        for p in stride(from: 0, to: c.count, by: 3) where g[p] > 0.05 && g[p] < 0.95 {
            maxDiff = max(maxDiff, abs(c[p + 1] - g[p + 1]), abs(c[p + 2] - g[p + 2]))
        }
        #expect(maxDiff < 0.02)
    }
}

@Suite struct NormalizationTests {
    @Test func everyFilterHasMeanActivationOneAndTheNetworkIsOnlyRescaled() {
        let weights = VGGWeights<Float>.random(architecture: .vgg16, channels: Tiny.widths, seed: 11)
        let model = StyleModel(weights: weights, preprocessing: .torchvision, path: "", sha256: "")
        let images = [Tiny.rgb(seed: 1), Tiny.rgb(seed: 2, width: 20, height: 16)]
        let means = model.activationMeans(pooling: .avg, images: images)
        let normalized = StyleModel(weights: model.normalizedWeights(pooling: .avg, images: images, floor: 0),
                                    preprocessing: .torchvision, path: "", sha256: "")
        let after = normalized.activationMeans(pooling: .avg, images: images)
        for (l, layer) in after.enumerated() {
            for (c, m) in layer.enumerated() where means[l][c] > 0 { #expect(abs(m - 1) < 1e-3, "layer \(l) channel \(c): \(m)") }
        }
        // Activations of the normalised network = original / mean, channel by channel.
        let a = model.network(pooling: .avg).forward(model.encode(images[0]), keep: ["relu3_1"])["relu3_1"]!
        let b = normalized.network(pooling: .avg).forward(model.encode(images[0]), keep: ["relu3_1"])["relu3_1"]!
        let m = a.count / a.shape[0]
        for c in 0..<a.shape[0] where means[4][c] > 0 {
            for i in 0..<m {
                let want = a.storage[c * m + i] / Float(means[4][c])
                #expect(abs(b.storage[c * m + i] - want) <= 1e-3 * max(1, abs(want)))
            }
        }
    }

    @Test func floorCapsTheAmplificationOfRarelyFiringFilters() {
        let s = VGGNormalization.scales(means: [[2, 0.01, 1, 0]], floor: 0.1)
        // typical = (2 + 0.01 + 1) / 3 ≈ 1.0033; 0.01 is raised to 0.10033; 0 (dead) keeps 1.
        #expect(s[0][0] == 0.5 && s[0][2] == 1 && s[0][3] == 1)
        #expect(abs(s[0][1] - 1 / (0.1 * 3.01 / 3)) < 1e-9)
        #expect(VGGNormalization.scales(means: [[2, 0.01]], floor: 0)[0] == [0.5, 100])
    }

    @Test func rescaleOfAPrefixUndoesTheScaleAtTheNextLayer() {
        // Two 1×1-kernel "layers" written out by hand: 1→2→1 channels (kernel size 1 for clarity).
        var w: [[Float]] = [[1, 2, 3, 4, 5, 6], [1, 1]]    // layer 0: [2, 3, 1, 1]; layer 1: [1, 2, 1, 1]
        var b: [[Float]] = [[1, 1], [0]]
        VGGNormalization.rescale(weights: &w, biases: &b, outChannels: [2, 1], scales: [[0.5, 0.25]])
        #expect(w[0] == [0.5, 1, 1.5, 1, 1.25, 1.5] && b[0] == [0.5, 0.25])
        #expect(w[1] == [2, 4] && b[1] == [0])
    }
}

@Suite struct SidecarTests {
    @Test func sidecarSitsBesideTheImage() {
        #expect(TransferSidecar.url(forImage: URL(fileURLWithPath: "/a/b/out.png")).path == "/a/b/out.json")
    }

    static func metrics() -> StyleDepthMetrics {
        func points(_ totals: [Double], _ e: [Double]) -> [StyleDepthMetrics.Point] {
            totals.indices.map { .init(evaluation: 2 * $0 + 1, total: totals[$0], styleLoss: ["conv1_1": e[$0]]) }
        }
        var m = StyleDepthMetrics(runs: [:], contentImage: .init(styleLoss: ["conv1_1": 40, "conv4_1": 8]), contentLayer: "conv5_2",
                                  evaluationLayers: ["conv1_1", "conv4_1"], normalizeVGG: true, size: 32, width: 32, height: 24,
                                  options: StyleTransferOptions(), totalSeconds: 1,
                                  model: .init(path: "m", sha256: "ab", architecture: "vgg16"),
                                  command: "nst experiment style-depth --size 32 <x>")
        m.runs["3"] = .init(styleLoss: ["conv1_1": 2, "conv4_1": 4], contentLoss: 1, styleLayersUsed: ["conv1_1"], evaluations: 5,
                            seconds: 1, curve: points([3, 2, 1.5], [30, 5, 2]))
        m.runs["5"] = .init(styleLoss: ["conv1_1": 1, "conv4_1": 1], contentLoss: 1, styleLayersUsed: ["conv1_1", "conv4_1"], evaluations: 5,
                            seconds: 1, curve: points([3, 1], [30, 1]))
        return m
    }

    /// metrics.json says which nst wrote it (`nst --version`'s major.minor.patch).
    @Test func metricsRecordTheToolVersion() throws {
        let json = try JSONSerialization.jsonObject(with: JSONOutput.encode(Self.metrics())) as! [String: Any]
        let version = try #require(json["tool_version"] as? String)
        #expect(version.split(separator: ".").count == 3 && version.split(separator: ".").allSatisfy { Int($0) != nil }, "\(version)")
    }

    @Test func metricsReadHowFarEachImageMoved() {
        let m = Self.metrics()
        #expect(m.fell("3", at: "conv1_1") == 20 && m.fell("5", at: "conv1_1") == 40)
        #expect(m.ratio(at: "conv1_1") == 0.5 && m.ratio(at: "conv4_1") == 0.25)
        #expect(m.fell("3", at: "conv9_9").isNaN)
        #expect(m.table.contains("20×") && m.table.contains("0.250"))
    }

    @Test func theReadingFollowsTheNumbers() {
        var m = Self.metrics()
        // Both moved ≥ 5× at the shallow layers and the 5-layer image is far ahead at the deep one.
        #expect(m.reading.contains("only the 5-layer image also matched"))
        // The deep layer no longer separates them.
        m.runs["5"]!.styleLoss["conv4_1"] = 4.4
        #expect(m.reading.contains("does not match the deep layers better"))
        // Barely restyled.
        m.contentImage.styleLoss["conv1_1"] = 4
        #expect(m.reading.hasPrefix("Neither image moved far"))
    }

    @Test func reportIsSelfContained() {
        let m = Self.metrics()
        let curves = StyleDepthReport.curves(m)
        let html = StyleDepthReport.html(metrics: m, figurePNG: [1, 2, 3], curvesSVG: curves)
        #expect(html.contains("data:image/png;base64,AQID"))
        #expect(html.contains("<svg") && html.contains("<polyline"))
        #expect(html.contains("--size 32 &lt;x&gt;"))
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http"))
        #expect(html.contains(SVGChart.escape(m.reading)))
    }

    @Test func curvesHaveAPanelPerLayerWithLabelledAxes() {
        let svg = StyleDepthReport.curves(Self.metrics())
        #expect(svg.components(separatedBy: "<g transform=").count - 1 == 3)   // objective + 2 layers
        #expect(svg.contains("E_l at conv1_1") && svg.contains("E_l at conv4_1 (3-layer run: not optimised)"))
        #expect(svg.components(separatedBy: ">evaluation</text>").count - 1 == 3)
        #expect(svg.contains(">1e0</text>") && svg.contains(">1e1</text>"))
        // Every accepted point is drawn: 3 + 2 on the objective, the photo's line dashed.
        #expect(svg.contains("stroke-dasharray"))
    }
}

@Suite struct StyleNetworkTests {
    /// The network a model builds for a run has the options' pooling and precision and the
    /// convolution settings it is given, whatever the process's environment holds.
    @Test func theNetworkTakesTheOptionsAndTheConvolutionSettings() {
        let model = StyleModel(weights: VGGWeights<Float>.random(architecture: .vgg16, channels: Tiny.widths, seed: 11),
                               preprocessing: .torchvision, path: "", sha256: "")
        var o = TinyRun.options
        o.pooling = .avg; o.normalizeVGG = false; o.precision = .fp32
        let n = model.styleNetwork(options: o, content: Tiny.rgb(seed: 1, width: 20, height: 15), styles: [Tiny.rgb(seed: 2, width: 20, height: 15)],
                                   convolution: ConvConfiguration(algorithm: .im2col, precision: .bf16, winogradTile: 2))
        #expect(n.features.pooling == .avg)
        #expect(n.features.workspace.configuration == ConvConfiguration(algorithm: .im2col, precision: .fp32, winogradTile: 2))
        #expect(n.preprocessing == .torchvision)
    }

    /// The options read and write as one flat JSON object.
    @Test func theOptionsEncodeFlatAndRoundTrip() throws {
        var o = StyleTransferOptions()
        o.size = 256; o.pooling = .avg; o.styleWeight = 3e4; o.contentLayers = ["relu5_2"]; o.maxEvaluations = 7
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(o)) as! [String: Any]
        #expect(json["size"] as? Int == 256 && json["pooling"] as? String == "avg" && json["styleWeight"] as? Double == 3e4)
        #expect(json["maxEvaluations"] as? Int == 7 && json["iterations"] == nil)
        #expect(try JSONDecoder().decode(StyleTransferOptions.self, from: JSONEncoder().encode(o)) == o)
    }
}
