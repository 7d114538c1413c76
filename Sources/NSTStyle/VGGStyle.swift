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

    /// Canonical names (`conv4_2`, `relu4_2`; Keras `block4_conv2` → `relu4_2`) or the
    /// architecture's error listing the valid names.
    public func resolve(_ names: [String]) throws -> [String] {
        try names.map { try architecture.resolve($0) }
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
    /// network, the encode/decode of this model. Consumes `options.network`; every run on the
    /// result must have the same network options (see `PreparedStyleTransfer.run`).
    public func prepare(options: StyleTransferOptions, content: RGBImage, styles: [RGBImage]) -> PreparedStyleTransfer {
        let (c, s) = StyleImages.prepare(content: content, styles: styles, size: options.size, styleScale: options.styleScale)
        return prepare(options: options, resizedContent: c, resizedStyles: s)
    }

    /// The same with images already at their run sizes (`StyleImages.prepare`).
    public func prepare(options: StyleTransferOptions, resizedContent c: RGBImage, resizedStyles s: [RGBImage]) -> PreparedStyleTransfer {
        let net = network(pooling: options.pooling, normalizeOn: options.normalizeVGG ? [c] + s : nil, floor: options.normalizeFloor)
        net.workspace.precision = options.precision
        return PreparedStyleTransfer(model: self, network: net, networkOptions: options.network, content: c, styles: s)
    }
}

/// A model's network with the run's images at their run sizes.
public struct PreparedStyleTransfer {
    public let model: StyleModel
    public let network: VGG<Float>
    /// The options the network and the images were prepared with.
    public let networkOptions: StyleNetworkOptions
    public let content: RGBImage
    public let styles: [RGBImage]

    /// A run with these options (layers must be canonical, see `StyleModel.resolve`). Their
    /// network part was consumed by `StyleModel.prepare`: it must equal `networkOptions`
    /// (a programming error otherwise, which stops with the differing options named, rather
    /// than run with options that would be ignored).
    public func run(_ options: StyleTransferOptions) -> StyleTransferRun<VGG<Float>> {
        let differences = options.network.differences(from: networkOptions)
        precondition(differences.isEmpty, "PreparedStyleTransfer.run: network options differ from the prepared network's (\(differences.joined(separator: "; "))): prepare a new network with StyleModel.prepare for them")
        let m = model
        return StyleTransferRun(options: options, network: network, content: content, styles: styles,
                                encode: { m.encode($0) }, decode: { m.decode($0) })
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
        var o = StyleTransferOptions()
        o.network = networkOptions
        o.contentLayers = contentLayers
        o.styleLayers = styleLayers
        o.styleLayerWeights = nil
        o.styleBlendWeights = blendWeights
        let objective = run(o).objective
        let model = self.model
        return { image in try objective.losses(at: model.encode(image)) }
    }
}
