import Foundation
import NSTTensor
import NSTWeights
import NSTRandom

/// One convolution's parameters: weight [O, C, 3, 3] (OIHW), bias [O].
public struct ConvParameters<Scalar: TensorScalar>: Sendable {
    public var weight: Tensor<Scalar>
    public var bias: Tensor<Scalar>
    public init(weight: Tensor<Scalar>, bias: Tensor<Scalar>) { self.weight = weight; self.bias = bias }
}

/// The convolution weights of a VGG `features` stack, in layer order.
///
/// Usually loaded from a safetensors file with torchvision's names (`features.N.weight`,
/// `features.N.bias`; see `load(_:)`). `random` makes He-initialised weights of any channel
/// widths, for tests (tiny widths) and for `nst bench --random-weights`.
public struct VGGWeights<Scalar: TensorScalar>: Sendable {
    public let architecture: VGGArchitecture
    /// One entry per convolution (13 for VGG16, 16 for VGG19), or fewer: a prefix is enough for
    /// a network that never goes deeper.
    public var convs: [ConvParameters<Scalar>]

    public init(architecture: VGGArchitecture, convs: [ConvParameters<Scalar>]) {
        precondition(convs.count <= architecture.convChannels.count, "\(architecture) has \(architecture.convChannels.count) convolutions, got \(convs.count)")
        var inChannels = 3
        for (i, p) in convs.enumerated() {
            precondition(p.weight.shape.count == 4 && p.weight.shape[1] == inChannels && p.weight.shape[2] == 3 && p.weight.shape[3] == 3,
                         "convolution \(i): weight \(p.weight.shape) does not take \(inChannels) channels")
            precondition(p.bias.shape == [p.weight.shape[0]], "convolution \(i): bias \(p.bias.shape) for weight \(p.weight.shape)")
            inChannels = p.weight.shape[0]
        }
        self.architecture = architecture
        self.convs = convs
    }

    /// He-uniform random weights (U(±√(6/fan_in)), bias U(±0.1)) with the architecture's
    /// channel widths, or `channels` (one width per convolution, any prefix length) for a tiny
    /// VGG-shaped network.
    public static func random(architecture: VGGArchitecture, channels: [Int]? = nil, seed: UInt64 = 1) -> VGGWeights {
        let widths = channels ?? architecture.convChannels
        var rng = SplitMix64(seed: seed)
        var convs: [ConvParameters<Scalar>] = []
        var inChannels = 3
        for o in widths {
            let bound = (6.0 / Double(9 * inChannels)).squareRoot()
            convs.append(ConvParameters(weight: .uniform([o, inChannels, 3, 3], in: -bound...bound, using: &rng),
                                        bias: .uniform([o], in: -0.1...0.1, using: &rng)))
            inChannels = o
        }
        return VGGWeights(architecture: architecture, convs: convs)
    }

    /// The same weights in another scalar type (Float → Double for gradient checks).
    public func converted<T: TensorScalar>(to: T.Type = T.self) -> VGGWeights<T> {
        VGGWeights<T>(architecture: architecture,
                      convs: convs.map { ConvParameters(weight: $0.weight.converted(), bias: $0.bias.converted()) })
    }

    /// Number of parameters (VGG16: 14,714,688).
    public var parameterCount: Int { convs.reduce(0) { $0 + $1.weight.count + $1.bias.count } }
}

extension VGGWeights where Scalar == Float {
    /// Builds the weights from named tensors with torchvision's names: `features.N.weight`
    /// [O, C, 3, 3] and `features.N.bias` [O] for every convolution N of `architecture`, where C is
    /// the previous convolution's O (3 for the first). The widths O are read from the file — the
    /// real VGG's are 64…512, a test model may be tiny. Floating dtypes (F32, F16, BF16, F64 —
    /// already converted to Float by the reader) are accepted. `file` names the source in errors.
    public init(architecture: VGGArchitecture, tensors: [String: NamedTensor], file: String) throws {
        var convs: [ConvParameters<Float>] = []
        var inChannels = 3
        for n in architecture.convFeatureIndices {
            func take(_ name: String) throws -> NamedTensor {
                guard let t = tensors[name] else { throw VGGError.missingTensor(name, file: file) }
                guard ["F32", "F16", "BF16", "F64"].contains(t.dtype) else { throw VGGError.badDType(name, dtype: t.dtype, file: file) }
                if let problem = t.nonFiniteProblem { throw WeightFileError(file: file, "tensor \"\(name)\": \(problem)") }
                return t
            }
            let w = try take("features.\(n).weight"), b = try take("features.\(n).bias")
            let outChannels = w.shape.first ?? 0
            guard w.shape.count == 4, outChannels > 0, w.shape[1...] == [inChannels, 3, 3], w.values.count == w.count else {
                throw VGGError.badShape("features.\(n).weight", expected: [max(outChannels, 1), inChannels, 3, 3], got: w.shape, file: file)
            }
            guard b.shape == [outChannels], b.values.count == outChannels else {
                throw VGGError.badShape("features.\(n).bias", expected: [outChannels], got: b.shape, file: file)
            }
            convs.append(ConvParameters(weight: Tensor(shape: w.shape, storage: w.values),
                                        bias: Tensor(shape: b.shape, storage: b.values)))
            inChannels = outChannels
        }
        self.init(architecture: architecture, convs: convs)
    }

    /// Which architecture a file holds: its "architecture" metadata when present, else VGG19 when
    /// `features.34.weight` exists, else VGG16.
    public static func detectArchitecture(_ metadata: ModelMetadata, tensorNames: Set<String>) -> VGGArchitecture {
        if let a = metadata.architecture, let arch = VGGArchitecture(rawValue: a.rawValue) { return arch }
        return tensorNames.contains("features.34.weight") ? .vgg19 : .vgg16
    }

    /// Reads a model file (safetensors, torchvision names, nst metadata — see NSTWeights) into
    /// Float weights and what the file says about itself. Errors name the file and the problem.
    ///
    /// `computeSHA256` (default true) hashes the file's bytes for `VGGModelInfo.sha256`, which
    /// results record to name the model. Pass false when only the weights matter (`nst check`):
    /// hashing a 500 MB file takes longer than the whole check; `sha256` is then empty.
    public static func load(_ url: URL, computeSHA256: Bool = true) throws -> (VGGWeights<Float>, VGGModelInfo) {
        let file = try SafeTensorsFile.read(url)
        let metadata = try ModelMetadata(file.metadata, file: url.path)
        let architecture = detectArchitecture(metadata, tensorNames: Set(file.tensors.keys))
        let weights = try VGGWeights(architecture: architecture, tensors: file.tensors, file: url.path)
        let sha256 = computeSHA256 ? try NSTWeights.SHA256.hex(ofFile: url) : ""
        let info = VGGModelInfo(architecture: architecture, preprocessing: Preprocessing(metadata),
                                sha256: sha256, path: url.path, metadata: file.metadata)
        return (weights, info)
    }
}

/// What a model file is: its architecture, how to preprocess images for it, its SHA-256, path.
public struct VGGModelInfo: Sendable, Codable, Equatable {
    public var architecture: VGGArchitecture
    public var preprocessing: Preprocessing
    /// Lower-case hex SHA-256 of the file's bytes; empty when loaded with `computeSHA256: false`.
    public var sha256: String
    public var path: String
    /// The file's metadata ("source", "license", …).
    public var metadata: [String: String]

    public init(architecture: VGGArchitecture, preprocessing: Preprocessing, sha256: String, path: String, metadata: [String: String]) {
        self.architecture = architecture
        self.preprocessing = preprocessing
        self.sha256 = sha256
        self.path = path
        self.metadata = metadata
    }
}
