import NSTTensor

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
    /// Builds the weights from named F32 tensors with torchvision's names: `features.N.weight`
    /// [O, C, 3, 3] and `features.N.bias` [O] for every convolution N of `architecture`.
    /// `file` names the source in errors.
    public init(architecture: VGGArchitecture, tensors: [String: (dtype: String, shape: [Int], values: [Float])],
                file: String) throws {
        var convs: [ConvParameters<Float>] = []
        var inChannels = 3
        for (n, o) in zip(architecture.convFeatureIndices, architecture.convChannels) {
            func take(_ name: String, _ shape: [Int]) throws -> Tensor<Float> {
                guard let t = tensors[name] else { throw VGGError.missingTensor(name, file: file) }
                guard t.dtype == "F32" else { throw VGGError.badDType(name, dtype: t.dtype, file: file) }
                guard t.shape == shape else { throw VGGError.badShape(name, expected: shape, got: t.shape, file: file) }
                guard t.values.count == shape.reduce(1, *) else {
                    throw VGGError.badShape(name, expected: shape, got: [t.values.count], file: file)
                }
                return Tensor(shape: shape, storage: t.values)
            }
            convs.append(ConvParameters(weight: try take("features.\(n).weight", [o, inChannels, 3, 3]),
                                        bias: try take("features.\(n).bias", [o])))
            inChannels = o
        }
        self.init(architecture: architecture, convs: convs)
    }

    /// Which architecture named tensors describe: "architecture" metadata when present, else
    /// VGG19 when `features.34.weight` exists, else VGG16.
    public static func detectArchitecture(metadata: [String: String], tensorNames: Set<String>, file: String) throws -> VGGArchitecture {
        if let a = metadata["architecture"] {
            guard let arch = VGGArchitecture(rawValue: a.lowercased()) else {
                throw VGGError.badMetadata(key: "architecture", value: a, reason: "expected vgg16 or vgg19", file: file)
            }
            return arch
        }
        return tensorNames.contains("features.34.weight") ? .vgg19 : .vgg16
    }
}

/// What a model file is: its architecture, how to preprocess images for it, its SHA-256, path.
public struct VGGModelInfo: Sendable, Codable, Equatable {
    public var architecture: VGGArchitecture
    public var preprocessing: Preprocessing
    /// Lower-case hex SHA-256 of the file's bytes.
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
