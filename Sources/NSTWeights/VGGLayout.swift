import Foundation

/// The convolution layers of VGG16/VGG19 (Simonyan & Zisserman 2015, configurations D and E)
/// as weight files name them. NSTWeights needs this to map and check imported files; it
/// knows nothing of running the network (that is NSTVGG).
///
/// torchvision's `features` Sequential numbers every module: conv, relu, … , maxpool. A conv
/// at index N has `features.N.weight` [out, in, 3, 3] (OIHW) and `features.N.bias` [out].
public enum VGGLayout: String, CaseIterable, Sendable {
    case vgg16, vgg19

    /// Output channels per block (5 blocks; a max-pool after each).
    public static let blockWidths = [64, 128, 256, 512, 512]

    /// Convolutions per block.
    public var convsPerBlock: [Int] {
        switch self {
        case .vgg16: return [2, 2, 3, 3, 3]
        case .vgg19: return [2, 2, 4, 4, 4]
        }
    }

    /// One conv layer: its block/position (1-based, as in conv3_2 / block3_conv2), torchvision
    /// index, and ImageNet channel counts.
    public struct Conv: Equatable, Sendable {
        public var block: Int
        public var position: Int
        public var torchIndex: Int
        public var inChannels: Int
        public var outChannels: Int

        public var name: String { "conv\(block)_\(position)" }
        public var kerasName: String { "block\(block)_conv\(position)" }
        public var weightName: String { "features.\(torchIndex).weight" }
        public var biasName: String { "features.\(torchIndex).bias" }
    }

    /// The conv layers in order. VGG16: torchvision indices 0,2,5,7,10,12,14,17,19,21,24,26,28.
    public var convs: [Conv] {
        var result: [Conv] = []
        var index = 0
        var inChannels = 3
        for (b, count) in convsPerBlock.enumerated() {
            for p in 0 ..< count {
                let out = VGGLayout.blockWidths[b]
                result.append(Conv(block: b + 1, position: p + 1, torchIndex: index, inChannels: inChannels, outChannels: out))
                inChannels = out
                index += 2          // conv, relu
            }
            index += 1              // max-pool
        }
        return result
    }

    /// Parameters of the ImageNet network's conv part (VGG16: 14,714,688).
    public var parameterCount: Int {
        convs.reduce(0) { $0 + $1.outChannels * $1.inChannels * 9 + $1.outChannels }
    }

    /// The architecture with this many conv layers (13 → vgg16, 16 → vgg19).
    public static func withConvCount(_ n: Int) -> VGGLayout? {
        allCases.first { $0.convs.count == n }
    }
}

/// The result of checking a set of named tensors against a VGG layout.
public struct VGGCheck: Sendable {
    public var architecture: VGGLayout
    /// Total parameters in the conv weights and biases.
    public var parameterCount: Int
    /// Whether every layer has the ImageNet width (64…512); a file with other widths is
    /// consistent but not the published network (e.g. a test fixture).
    public var standardWidths: Bool
}

extension VGGLayout {
    /// Checks that `tensors` hold exactly the conv layers of a VGG, in torchvision names and
    /// OIHW layout: every `features.N.weight` is [out, in, 3, 3] with `in` equal to the
    /// previous layer's `out` (3 for the first), every bias is [out]. Tensors other than
    /// `features.*` (e.g. a classifier) are allowed and ignored. Every conv value must be
    /// finite. With `architecture` nil it is inferred from the number of conv layers.
    public static func check(_ tensors: [String: NamedTensor], architecture: VGGLayout?, file: String) throws -> VGGCheck {
        func fail(_ p: String) -> WeightFileError { WeightFileError(file: file, p) }
        let convWeights = tensors.keys.filter { $0.hasPrefix("features.") && $0.hasSuffix(".weight") }
        let arch: VGGLayout
        if let architecture {
            arch = architecture
        } else {
            guard let inferred = withConvCount(convWeights.count) else {
                throw fail("found \(convWeights.count) conv layers (features.N.weight); VGG16 has 13 and VGG19 16")
            }
            arch = inferred
        }
        let expectedNames = Set(arch.convs.map(\.weightName))
        if let stray = convWeights.sorted().first(where: { !expectedNames.contains($0) }) {
            throw fail("\"\(stray)\" is not a conv layer of \(arch.rawValue) (its weights are \(arch.convs.map { String($0.torchIndex) }.joined(separator: ",")) in features.N.weight)")
        }
        var inChannels = 3
        var parameters = 0
        var standard = true
        for conv in arch.convs {
            guard let w = tensors[conv.weightName] else {
                throw fail("missing \"\(conv.weightName)\" (\(conv.name)) for \(arch.rawValue)")
            }
            guard let b = tensors[conv.biasName] else {
                throw fail("missing \"\(conv.biasName)\" (\(conv.name) bias) for \(arch.rawValue)")
            }
            guard w.shape.count == 4, w.shape[1] == inChannels, w.shape[2] == 3, w.shape[3] == 3, w.shape[0] > 0 else {
                throw fail("\"\(conv.weightName)\" (\(conv.name)) has shape \(w.shape); expected [out, \(inChannels), 3, 3] (OIHW)")
            }
            guard b.shape == [w.shape[0]] else {
                throw fail("\"\(conv.biasName)\" (\(conv.name) bias) has shape \(b.shape); expected [\(w.shape[0])]")
            }
            for (name, t) in [(conv.weightName, w), (conv.biasName, b)] {
                if let problem = t.nonFiniteProblem { throw fail("\"\(name)\" (\(conv.name)): \(problem)") }
            }
            if w.shape[0] != conv.outChannels { standard = false }
            inChannels = w.shape[0]
            parameters += w.count + b.count
        }
        return VGGCheck(architecture: arch, parameterCount: parameters, standardWidths: standard)
    }
}
