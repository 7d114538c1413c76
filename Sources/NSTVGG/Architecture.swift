/// The convolutional part (`features`) of VGG (Simonyan & Zisserman, 2015): blocks of 3×3
/// convolutions with ReLU, each block closed by a 2×2 pooling. Layers are named the VGG way,
/// `conv{block}_{i}`, `relu{block}_{i}`, `pool{block}`; Keras names (`block4_conv2`,
/// `block3_pool`) are accepted and mapped to them.
public enum VGGArchitecture: String, CaseIterable, Sendable, Codable {
    case vgg16, vgg19

    /// Output channels of each block's convolutions.
    public var blocks: [[Int]] {
        switch self {
        case .vgg16: return [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]
        case .vgg19: return [[64, 64], [128, 128], [256, 256, 256, 256], [512, 512, 512, 512], [512, 512, 512, 512]]
        }
    }

    /// Output channels of every convolution in order (13 for VGG16, 16 for VGG19).
    public var convChannels: [Int] { blocks.flatMap { $0 } }

    /// Every layer in order: conv1_1, relu1_1, conv1_2, relu1_2, pool1, conv2_1, …, pool5.
    public var layers: [VGGLayer] {
        var out: [VGGLayer] = []
        var feature = 0, conv = 0
        for (b, block) in blocks.enumerated() {
            for (i, channels) in block.enumerated() {
                out.append(VGGLayer(kind: .conv, block: b + 1, index: i + 1, featureIndex: feature, convIndex: conv, channels: channels))
                out.append(VGGLayer(kind: .relu, block: b + 1, index: i + 1, featureIndex: feature + 1, convIndex: conv, channels: channels))
                feature += 2; conv += 1
            }
            out.append(VGGLayer(kind: .pool, block: b + 1, index: 0, featureIndex: feature, convIndex: conv - 1, channels: block.last!))
            feature += 1
        }
        return out
    }

    /// Canonical layer names in order.
    public var layerNames: [String] { layers.map(\.name) }

    /// torchvision `features.N` index of every convolution: VGG16 0,2,5,…,28; VGG19 0,2,5,…,34.
    public var convFeatureIndices: [Int] { layers.filter { $0.kind == .conv }.map(\.featureIndex) }

    /// The canonical name of a layer given as `conv4_2`, `relu4_2`, `pool3` or Keras
    /// `block4_conv2` / `block3_pool` (case and surrounding spaces ignored). Throws an error that
    /// lists the valid names when the layer does not exist in this architecture.
    ///
    /// A Keras convolution carries its ReLU inside (`activation="relu"`), so `block4_conv2`'s
    /// output is the rectified map: it resolves to `relu4_2`, not to the raw `conv4_2`.
    public func resolve(_ name: String) throws -> String {
        let s = name.trimmingCharacters(in: .whitespaces).lowercased()
        var candidate = s
        // Keras: block{b}_conv{i} → relu{b}_{i} (after the built-in ReLU); block{b}_pool → pool{b}
        if s.hasPrefix("block"), let underscore = s.firstIndex(of: "_") {
            let block = s[s.index(s.startIndex, offsetBy: 5)..<underscore]
            let rest = s[s.index(after: underscore)...]
            if rest == "pool" { candidate = "pool\(block)" }
            else if rest.hasPrefix("conv") { candidate = "relu\(block)_\(rest.dropFirst(4))" }
        }
        if let layer = layers.first(where: { $0.name == candidate }) { return layer.name }
        throw VGGError.unknownLayer(name, architecture: self, valid: layerNames)
    }

    /// The smallest image side that reaches layer `name`: each pooling before it halves the
    /// image (rounding down), and a 2×2 pooling needs at least 2 pixels — so block b needs
    /// 2^(b−1) pixels, `pool`b needs 2^b. Check user sizes with it before calling `VGG.forward`.
    public func minimumSide(for name: String) throws -> Int {
        let l = try layer(named: name)
        return 1 << (l.kind == .pool ? l.block : l.block - 1)
    }

    /// The layer with canonical or Keras name `name`.
    public func layer(named name: String) throws -> VGGLayer {
        let canonical = try resolve(name)
        return layers.first { $0.name == canonical }!
    }
}

/// One layer of VGG's `features`.
public struct VGGLayer: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable { case conv, relu, pool }
    public let kind: Kind
    /// 1-based block number.
    public let block: Int
    /// 1-based position in the block (0 for the pooling layer).
    public let index: Int
    /// Position in torchvision's `features` sequence (`features.N`).
    public let featureIndex: Int
    /// Which convolution (0-based) this layer belongs to or, for a pooling layer, follows.
    public let convIndex: Int
    /// Channels of this layer's output.
    public let channels: Int

    /// `conv4_2`, `relu4_2`, `pool3`
    public var name: String {
        switch kind {
        case .conv: return "conv\(block)_\(index)"
        case .relu: return "relu\(block)_\(index)"
        case .pool: return "pool\(block)"
        }
    }

    /// Keras's name: `block4_conv2`, `block3_pool` (ReLU is fused into Keras's conv layers,
    /// so a ReLU's Keras name is its convolution's).
    public var kerasName: String {
        kind == .pool ? "block\(block)_pool" : "block\(block)_conv\(index)"
    }

    public var description: String { name }
}

/// 2×2 pooling between VGG blocks. Gatys et al. replace max pooling by average pooling.
public enum Pooling: String, CaseIterable, Sendable, Codable {
    case max, avg
}

/// Errors of the VGG module; each message says what is wrong and how to fix it.
public enum VGGError: Error, CustomStringConvertible, LocalizedError, Sendable {
    case unknownLayer(String, architecture: VGGArchitecture, valid: [String])
    case unknownArchitecture(String)
    case missingTensor(String, file: String)
    case badShape(String, expected: [Int], got: [Int], file: String)
    case badDType(String, dtype: String, file: String)
    case badMetadata(key: String, value: String, reason: String, file: String)
    case cannotRead(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownLayer(name, arch, valid):
            return "unknown \(arch.rawValue) layer '\(name)'; valid layers: \(valid.joined(separator: ", ")) (Keras names like block4_conv2 are accepted too)"
        case let .unknownArchitecture(name):
            return "unknown architecture '\(name)'; expected one of: \(VGGArchitecture.allCases.map(\.rawValue).joined(separator: ", "))"
        case let .missingTensor(name, file):
            return "\(file): tensor '\(name)' is missing (expected torchvision names features.N.weight / features.N.bias)"
        case let .badShape(name, expected, got, file):
            return "\(file): tensor '\(name)' has shape \(got), expected \(expected)"
        case let .badDType(name, dtype, file):
            return "\(file): tensor '\(name)' has dtype \(dtype), expected F32"
        case let .badMetadata(key, value, reason, file):
            return "\(file): metadata \"\(key)\"=\"\(value)\": \(reason)"
        case let .cannotRead(file, reason):
            return "\(file): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

import Foundation
