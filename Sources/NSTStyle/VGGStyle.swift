import Foundation
import NSTTensor
import NSTVGG
import NSTImage
import NSTLayers

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

    public func encode(_ image: RGBImage) -> Tensor<Float> {
        preprocessing.tensor(fromRGB: image.pixels, width: image.width, height: image.height)
    }

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

    /// The network for style transfer on these images (at their run sizes:
    /// `StyleImages.prepare`): `options.pooling`, normalised on the images when
    /// `options.normalizeVGG`, its convolutions computed as `convolution` says with the
    /// options' precision (the one recorded with the run).
    public func styleNetwork(options: StyleTransferOptions, content: RGBImage, styles: [RGBImage],
                             convolution: ConvConfiguration = ConvConfiguration()) -> StyleNetwork<VGG<Float>> {
        let net = network(pooling: options.pooling, normalizeOn: options.normalizeVGG ? [content] + styles : nil, floor: options.normalizeFloor)
        net.workspace.configuration = convolution
        net.workspace.precision = options.precision
        return StyleNetwork(features: net, preprocessing: preprocessing)
    }
}

/// Resizing rules shared by `nst transfer` and the experiment: the content to longest side
/// `size`; each style image to longest side round(styleScale · size).
public enum StyleImages {
    public static func prepare(content: RGBImage, styles: [RGBImage], size: Int, styleScale: Double) -> (content: RGBImage, styles: [RGBImage]) {
        let c = max(content.width, content.height) == size ? content : content.resized(longestSide: size)
        let styleSide = max(Int((Double(size) * styleScale).rounded()), 16)
        let s = styles.map { max($0.width, $0.height) == styleSide ? $0 : $0.resized(longestSide: styleSide) }
        return (c, s)
    }
}
