import Foundation
import NSTTensor
import NSTLayers
import NSTVGG
import NSTWeights
import NSTRandom

/// Real VGG activations for the check's bindings: F, P and the style features S (A = S·Sᵀ)
/// are one layer's feature matrices [N, M] of three small images.
///
/// The images are seeded synthetic pictures (smooth colour fields and stripes, so the check
/// needs no image files): a "content" picture, a "style" picture, and a "generated" picture
/// that mixes the two with noise, as an image part-way through style transfer is.
/// Odd-numbered draws (the 2nd, 4th, …) come from a second layer with a different number of
/// channels (`partner`), so N changes between draws and a formula that hard-codes N fails;
/// draw d uses crops of (a + d mod 3) × (a + 1 + d mod 3) positions (a = 4 on blocks 1–3, 2 deeper), so
/// M changes too. The three feature matrices are scaled by one common factor so the largest
/// content activation is 3/2 (not 1, so P.*P − P is not ≤ 0 everywhere); scaling changes no
/// formula.
public final class VGGActivations: ActivationSource, @unchecked Sendable {
    let network: VGG<Float>
    let preprocessing: Preprocessing
    /// Canonical layer name, e.g. relu2_1.
    public let layer: String
    /// The layer of odd-numbered draws (different channels), or nil when the network has none.
    public let partner: String?
    let factors: [String: Int]
    public let description: String
    /// VGG is not thread-safe; draws are made one at a time.
    let lock = NSLock()

    /// From weights in memory (tests use `VGGWeights.random`); `modelName` goes in the description.
    public init(weights: VGGWeights<Float>, preprocessing: Preprocessing, layer name: String, modelName: String) throws {
        let architecture = weights.architecture
        let layer: VGGLayer
        do { layer = try architecture.layer(named: name) } catch {
            throw CheckSetupError("--layer \(name) is not a layer of \(architecture.rawValue.uppercased()) (\(modelName)): \(error)")
        }
        guard layer.convIndex < weights.convs.count else {
            throw CheckSetupError("layer \(layer.name) is deeper than the \(weights.convs.count) convolutions of \(modelName)")
        }
        func channels(_ l: VGGLayer) -> Int { weights.convs[l.convIndex].weight.shape[0] }
        // The first ReLU of the nearest block (shallower first) whose channel count differs.
        let firsts = architecture.layers.filter { $0.kind == .relu && $0.index == 1 && $0.convIndex < weights.convs.count }
        let partner = firsts.sorted { (abs($0.block - layer.block), $0.block) < (abs($1.block - layer.block), $1.block) }
            .first { channels($0) != channels(layer) }
        let deepest = max(layer.convIndex, partner?.convIndex ?? 0)
        let prefix = VGGWeights(architecture: architecture, convs: Array(weights.convs.prefix(deepest + 1)))
        network = VGG(architecture: architecture, weights: prefix, pooling: .avg)
        // im2col (BLAS): a check runs a few small images once, too few to repay the Winograd
        // path's transform of every layer's weights.
        network.workspace.algorithm = .im2col
        self.preprocessing = preprocessing
        self.layer = layer.name
        self.partner = partner?.name
        func factor(_ l: VGGLayer) -> Int { 1 << (l.kind == .pool ? l.block : l.block - 1) }
        var factors = [layer.name: factor(layer)]
        if let partner { factors[partner.name] = factor(partner) }
        self.factors = factors
        let layers = partner.map { "\(layer.name) (odd draws) and \($0.name) (even draws)" } ?? layer.name
        description = "\(architecture.rawValue.uppercased()) \(layers) activations (\(modelName)) of seeded synthetic images, scaled so the largest content activation is 1.5"
    }

    /// From a model file (see NSTWeights / `nst model fetch`), loaded without the SHA-256 of the
    /// file, which takes longer than the whole check.
    public convenience init(modelURL url: URL, layer: String) throws {
        let (weights, info) = try VGGWeights<Float>.load(url, computeSHA256: false)
        try self.init(weights: weights, preprocessing: info.preprocessing, layer: layer, modelName: url.lastPathComponent)
    }

    /// The installed default model's weights (to make sources for many layers from one load),
    /// or nil when no model is installed.
    public static func installedWeights() throws -> (weights: VGGWeights<Float>, preprocessing: Preprocessing)? {
        guard let url = ModelStore.defaultModel() else { return nil }
        let (weights, info) = try VGGWeights<Float>.load(url, computeSHA256: false)
        return (weights, info.preprocessing)
    }

    /// The installed default model's activations at `layer`, or nil when no model is installed
    /// (`ModelStore.missingModelHint` says how to install one). Throws when the model is unusable.
    public static func installed(layer: String) throws -> VGGActivations? {
        guard let url = ModelStore.defaultModel() else { return nil }
        return try VGGActivations(modelURL: url, layer: layer)
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

    public func layer(forDraw index: Int) -> String {
        index % 2 == 1 ? (partner ?? layer) : layer
    }

    public func features(seed: UInt64, index: Int) throws -> DrawFeatures {
        let layer = layer(forDraw: index)
        let factor = factors[layer]!
        // Shallow layers: crops of (4 + d) × (5 + d) positions of a map at least 16×16; deep
        // layers (whose images cost the most): the whole map, (2 + d) × (3 + d) positions.
        let a = factor <= 4 ? 4 : 2
        let cropW = a + index % 3, cropH = a + 1 + index % 3
        let mapW = factor <= 4 ? max(16, cropW + 4) : cropW, mapH = factor <= 4 ? max(16, cropH + 4) : cropH
        let width = mapW * factor, height = mapH * factor
        let base = seed &* 0x2545_F491_4F6C_DD1D &+ UInt64(index) &* 7919
        let content = Self.picture(width: width, height: height, seed: base &+ 1, stripes: false)
        let style = Self.picture(width: width, height: height, seed: base &+ 2, stripes: true)
        var rng = SplitMix64(seed: base &+ 3)
        let generated = zip(content, style).map { c, s in min(1, max(0, 0.6 * c + 0.4 * s + Float(0.1 * (rng.nextUnit() - 0.5)))) }
        let margin = factor <= 4 ? 2 : 0
        func place(_ span: Int) -> Int { margin + (span <= 2 * margin ? 0 : Int(rng.next() % UInt64(span - 2 * margin + 1))) }
        let x0 = place(mapW - cropW), y0 = place(mapH - cropH)
        let sx = place(mapW - cropW), sy = place(mapH - cropH)
        lock.lock()
        defer { lock.unlock() }
        /// The layer's activations [C, H, W] of an image, cropped to [C, cropH·cropW].
        func crop(_ rgb: [Float], x: Int, y: Int) -> Tensor<Float> {
            let input = preprocessing.tensor(fromRGB: rgb, width: width, height: height)
            let a = network.forward(input, keep: [layer])[layer]!
            let (c, h, w) = (a.shape[0], a.shape[1], a.shape[2])
            precondition(h == mapH && w == mapW, "\(layer) map is \(h)×\(w), expected \(mapH)×\(mapW)")
            var out = Tensor<Float>(shape: [c, cropH * cropW])
            for k in 0..<c { for i in 0..<cropH { for j in 0..<cropW {
                out.storage[(k * cropH + i) * cropW + j] = a.storage[(k * h + y + i) * w + x + j]
            } } }
            return out
        }
        let F = crop(generated, x: x0, y: y0), P = crop(content, x: x0, y: y0), S = crop(style, x: sx, y: sy)
        // Divided, not multiplied by 1/scale: v·(1/v) can round to 1 − 2⁻⁵³, v/v is exactly 1
        // (and 1·1.5 exactly 1.5).
        let scale = Double(P.storage.map(abs).max() ?? 0)
        let s = scale > 0 ? scale : 1
        func double(_ t: Tensor<Float>) -> Tensor<Double> {
            Tensor<Double>(shape: t.shape, storage: t.storage.map { Double($0) / s * 1.5 })
        }
        return DrawFeatures(layer: layer, generated: double(F), content: double(P), style: double(S))
    }
}

/// A check could not be set up as asked (a layer the model does not have, say).
public struct CheckSetupError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
