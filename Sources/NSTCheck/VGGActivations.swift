import Foundation
import NSTTensor
import NSTLayers
import NSTVGG

/// Real VGG activations for the check's bindings: F, P and the style features S (A = S·Sᵀ)
/// are one layer's feature matrices [N, M] of three small images.
///
/// The images are seeded synthetic pictures (smooth colour fields and stripes, so the check
/// needs no image files): a "content" picture, a "style" picture, and a "generated" picture
/// that mixes the two with noise, as an image part-way through style transfer is. Draw d uses
/// images of (4 + d)·f × (5 + d)·f pixels, f the layer's downsampling, so the layer has
/// M = (4 + d)(5 + d) positions and M changes between draws. The three feature matrices are
/// scaled by one common factor so the largest content activation is 1 (the finite
/// differences' step is chosen for values of about 1); scaling changes no formula.
public final class VGGActivations: ActivationSource, @unchecked Sendable {
    let network: VGG<Float>
    let preprocessing: Preprocessing
    /// Canonical layer name, e.g. relu2_1.
    public let layer: String
    let factor: Int
    public let description: String
    /// VGG is not thread-safe; draws are made one at a time.
    let lock = NSLock()

    /// From weights in memory (tests use `VGGWeights.random`); `modelName` goes in the description.
    public init(weights: VGGWeights<Float>, preprocessing: Preprocessing, layer name: String, modelName: String) throws {
        let architecture = weights.architecture
        let layer = try architecture.layer(named: name)
        guard layer.convIndex < weights.convs.count else {
            throw CheckSetupError("layer \(layer.name) is deeper than the \(weights.convs.count) convolutions of \(modelName)")
        }
        // Only the convolutions up to the layer are needed.
        let prefix = VGGWeights(architecture: architecture, convs: Array(weights.convs.prefix(layer.convIndex + 1)))
        network = VGG(architecture: architecture, weights: prefix, pooling: .avg)
        self.preprocessing = preprocessing
        self.layer = layer.name
        factor = 1 << (layer.kind == .pool ? layer.block : layer.block - 1)
        description = "\(architecture.rawValue.uppercased()) \(layer.name) activations (\(modelName)) of seeded synthetic images, scaled so the largest content activation is 1"
    }

    /// From a model file (see NSTWeights / `nst model fetch`).
    public convenience init(modelURL: URL, layer: String) throws {
        let (weights, info) = try VGGWeights.load(modelURL)
        try self.init(weights: weights, preprocessing: info.preprocessing, layer: layer,
                      modelName: "\(modelURL.lastPathComponent), sha256 \(info.sha256.prefix(12))…")
    }

    /// A seeded synthetic picture: a few smooth colour waves; `stripes` adds the sharp,
    /// high-frequency bands of a woodblock print's waves.
    static func picture(width: Int, height: Int, seed: UInt64, stripes: Bool) -> [Float] {
        var rng = SplitMix64(seed: seed)
        struct Wave { var fx, fy, phase, amplitude: Double; var channel: Int }
        let waves = (0..<9).map { k in
            Wave(fx: (stripes ? 0.9 : 0.25) * (rng.nextUnit() - 0.5), fy: (stripes ? 0.9 : 0.25) * (rng.nextUnit() - 0.5),
                 phase: 6.283 * rng.nextUnit(), amplitude: 0.15 + 0.2 * rng.nextUnit(), channel: k % 3)
        }
        var rgb = [Float](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                for w in waves {
                    var v = sin(w.fx * Double(x) + w.fy * Double(y) + w.phase)
                    if stripes { v = v > 0.3 ? 1 : -0.4 }
                    rgb[(y * width + x) * 3 + w.channel] += Float(w.amplitude * v)
                }
            }
        }
        return rgb.map { min(1, max(0, 0.5 + $0)) }
    }

    public func features(seed: UInt64, index: Int) throws -> (generated: Tensor<Double>, content: Tensor<Double>, style: Tensor<Double>) {
        let width = (4 + index) * factor, height = (5 + index) * factor
        let base = seed &* 0x2545_F491_4F6C_DD1D &+ UInt64(index) &* 7919
        let content = Self.picture(width: width, height: height, seed: base &+ 1, stripes: false)
        let style = Self.picture(width: width, height: height, seed: base &+ 2, stripes: true)
        var rng = SplitMix64(seed: base &+ 3)
        let generated = zip(content, style).map { c, s in min(1, max(0, 0.6 * c + 0.4 * s + Float(0.1 * (rng.nextUnit() - 0.5)))) }
        lock.lock()
        defer { lock.unlock() }
        func matrix(_ rgb: [Float]) -> Tensor<Float> {
            let x = preprocessing.tensor(fromRGB: rgb, width: width, height: height)
            let a = network.forward(x, keep: [layer])[layer]!
            return a.reshaped([a.shape[0], a.shape[1] * a.shape[2]])
        }
        let F = matrix(generated), P = matrix(content), S = matrix(style)
        let scale = Double(P.storage.map(abs).max() ?? 0)
        let s = scale > 0 ? 1 / scale : 1
        func double(_ t: Tensor<Float>) -> Tensor<Double> {
            Tensor<Double>(shape: t.shape, storage: t.storage.map { Double($0) * s })
        }
        return (double(F), double(P), double(S))
    }
}

/// A check could not be set up as asked (a layer the model does not have, say).
public struct CheckSetupError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
