import Foundation
import NSTTensor
import NSTVGG
import NSTImage

extension VGG: FeatureNetwork {}

/// A VGG model ready for style transfer: weights, the model's preprocessing, provenance.
public struct StyleModel: Sendable {
    public var weights: VGGWeights<Float>
    public var preprocessing: Preprocessing
    public var path: String
    public var sha256: String

    public init(weights: VGGWeights<Float>, preprocessing: Preprocessing, path: String, sha256: String) {
        self.weights = weights
        self.preprocessing = preprocessing
        self.path = path
        self.sha256 = sha256
    }

    public var architecture: VGGArchitecture { weights.architecture }

    /// The model with the convolutions up to the deepest of `layers` only (canonical or Keras
    /// names the architecture resolves; others are ignored): a network that never goes deeper
    /// computes the same without the rest, and the normalisation pass, which runs through every
    /// ReLU the weights have, then stops there too. Each layer's normalisation depends on the
    /// layers before it only, so the kept ones are normalised exactly as in the whole network.
    public func truncated(through layers: [String]) -> StyleModel {
        let needed = layers.compactMap { try? architecture.layer(named: $0).convIndex + 1 }.max() ?? weights.convs.count
        guard needed < weights.convs.count else { return self }
        var out = self
        out.weights = VGGWeights(architecture: architecture, convs: Array(weights.convs.prefix(needed)))
        return out
    }

    /// Canonical names (`conv4_2`, `relu4_2`; Keras `block4_conv2` → `relu4_2`) or the
    /// architecture's error listing the valid names.
    public func resolve(_ names: [String]) throws -> [String] {
        try names.map { try architecture.resolve($0) }
    }

    /// The canonical names of layers given in `activation`'s convention (conv4_2 → relu4_2
    /// under `.relu`: `ActivationKind.blob`); an unknown layer's error names it as given.
    public func resolve(_ names: [String], activation: ActivationKind) throws -> [String] {
        try names.map { name in
            do { return try architecture.resolve(activation.blob(name)) }
            catch VGGError.unknownLayer(_, let architecture, let valid) { throw VGGError.unknownLayer(name, architecture: architecture, valid: valid) }
        }
    }

    public func encode(_ image: RGBImage) -> Tensor<Float> {
        preprocessing.tensor(fromRGB: image.pixels, width: image.width, height: image.height)
    }

    public func decode(_ x: Tensor<Float>) -> [Float] { preprocessing.rgb(from: x) }

    /// The network, optionally normalised (Gatys) with statistics from `images`.
    public func network(pooling: Pooling, normalizeOn images: [RGBImage]? = nil, floor: Double = 0.1) -> VGG<Float> {
        guard let images, !images.isEmpty else {
            return VGG(architecture: architecture, weights: weights, pooling: pooling)
        }
        return VGG(architecture: architecture, weights: normalizedWeights(pooling: pooling, images: images, floor: floor), pooling: pooling)
    }

    /// Post-ReLU mean activation m_l[c] of every conv layer of the original network, averaged
    /// over `images` (each image weighted equally, all positions of an image equally).
    public func activationMeans(pooling: Pooling, images: [RGBImage]) -> [[Double]] {
        let net = VGG(architecture: architecture, weights: weights, pooling: pooling)
        let relus = net.layers.filter { $0.kind == .relu }
        // Channel counts from the weights (a tiny test network has fewer than the architecture).
        let channels = relus.map { weights.convs[$0.convIndex].weight.shape[0] }
        var sums = channels.map { [Double](repeating: 0, count: $0) }
        for image in images {
            let acts = net.forward(encode(image), keep: Set(relus.map(\.name)))
            for (l, layer) in relus.enumerated() {
                let m = VGGNormalization.channelMeans(acts[layer.name]!.storage, channels: channels[l])
                for c in 0..<m.count { sums[l][c] += m[c] / Double(images.count) }
            }
        }
        return sums
    }

    /// The weights rescaled so every filter's mean activation over `images` is 1
    /// (see `VGGNormalization`).
    public func normalizedWeights(pooling: Pooling, images: [RGBImage], floor: Double = 0.1) -> VGGWeights<Float> {
        let scales = VGGNormalization.scales(means: activationMeans(pooling: pooling, images: images), floor: floor)
        var w = weights.convs.map(\.weight.storage)
        var b = weights.convs.map(\.bias.storage)
        VGGNormalization.rescale(weights: &w, biases: &b, outChannels: weights.convs.map { $0.weight.shape[0] }, scales: scales)
        var out = weights
        for i in out.convs.indices {
            out.convs[i].weight.storage = w[i]
            out.convs[i].bias.storage = b[i]
        }
        return out
    }

    /// Everything a run needs, built once: images at their run sizes, the (normalised)
    /// network, the encode/decode of this model. Every run on the result has these network
    /// options (`PreparedStyleTransfer.run` takes only run options).
    public func prepare(network options: StyleNetworkOptions, content: RGBImage, styles: [RGBImage]) -> PreparedStyleTransfer {
        let (c, s) = StyleImages.prepare(content: content, styles: styles, size: options.size, styleScale: options.styleScale)
        return prepare(network: options, resizedContent: c, resizedStyles: s)
    }

    /// The same with images already at their run sizes (`StyleImages.prepare`).
    /// The prepared model's weights are the network's (normalised when the options say so), so
    /// that a caller who lets go of this model keeps one set of weights in memory, not two.
    public func prepare(network options: StyleNetworkOptions, resizedContent c: RGBImage, resizedStyles s: [RGBImage]) -> PreparedStyleTransfer {
        let net = network(pooling: options.pooling, normalizeOn: options.normalizeVGG ? [c] + s : nil, floor: options.normalizeFloor)
        net.workspace.precision = options.precision
        var model = self
        model.weights = VGGWeights(architecture: architecture, convs: net.convs.map { ConvParameters(weight: $0.weight, bias: $0.bias) })
        return PreparedStyleTransfer(model: model, network: net, networkOptions: options, content: c, styles: s)
    }
}

/// A model's network with the run's images at their run sizes.
public struct PreparedStyleTransfer {
    /// The model, with the network's own weights (see `StyleModel.prepare`): its preprocessing
    /// and provenance are the original model's.
    public let model: StyleModel
    public let network: VGG<Float>
    /// The options the network and the images were prepared with.
    public let networkOptions: StyleNetworkOptions
    public let content: RGBImage
    public let styles: [RGBImage]
    /// The images' features computed so far (shared by copies of this value): every run and
    /// scorer takes its targets from here, so each image goes through the network once.
    let features = FeatureStore()

    final class FeatureStore {
        var value: ImageFeatures<Float>? = nil
    }

    /// Computes the features runs at these layers need (see `ImageFeatures`), unless those
    /// computed so far cover them; a new computation covers the earlier layers too. Call it
    /// with every layer the runs will use (as `StyleDepthExperiment` does) for one forward pass
    /// per image in all.
    public func prepareFeatures(contentLayers: [String], styleLayers: [String]) {
        if let f = features.value, f.covers(contentLayers: contentLayers, styleLayers: styleLayers) { return }
        let earlier = features.value
        let m = model
        features.value = ImageFeatures.compute(network: network, content: m.encode(content), styles: styles.map { m.encode($0) },
                                               contentLayers: Array(Set(contentLayers).union(earlier?.contentLayers ?? [])).sorted(),
                                               styleLayers: Array(Set(styleLayers).union(earlier?.styleLayers ?? [])).sorted())
    }

    /// A run with these options on this network (layers must be canonical, see
    /// `StyleModel.resolve`).
    public func run(_ options: StyleRunOptions) -> StyleTransferRun<VGG<Float>> {
        prepareFeatures(contentLayers: options.contentLayers, styleLayers: options.styleLayers)
        let m = model
        return StyleTransferRun(options: StyleTransferOptions(network: networkOptions, run: options), network: network,
                                content: content, styles: styles, encode: { m.encode($0) }, decode: { m.decode($0) },
                                features: features.value)
    }

    /// Loss terms of `image` (at the content's size) against this content and these styles,
    /// at the given layers, with this network: how the experiment scores its outputs.
    public func losses(of image: RGBImage, contentLayers: [String], styleLayers: [String],
                       blendWeights: [Double]? = nil) throws -> LossTerms {
        try scorer(contentLayers: contentLayers, styleLayers: styleLayers, blendWeights: blendWeights)(image)
    }

    /// `losses(of:…)` for many images: the content and style targets are computed once, here,
    /// and each call runs only the image through the network.
    public func scorer(contentLayers: [String], styleLayers: [String],
                       blendWeights: [Double]? = nil) -> (RGBImage) throws -> LossTerms {
        var o = StyleRunOptions()
        o.contentLayers = contentLayers
        o.styleLayers = styleLayers
        o.styleLayerWeights = nil
        o.styleBlendWeights = blendWeights
        let objective = run(o).objective
        let model = self.model
        return { image in try objective.losses(at: model.encode(image)) }
    }
}
