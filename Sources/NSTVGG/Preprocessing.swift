import NSTTensor

/// How pixels become the network's input, read from the model file's metadata:
///
///   input[c] = (pixel[channel c of channelOrder] · inputScale − mean[c]) / std[c]
///
/// with pixels in 0…1 and `mean`/`std` listed in `channelOrder`. Caffe-converted VGG weights (the
/// default model) use BGR, scale 255, mean (103.939, 116.779, 123.68), std 1; torchvision/timm use
/// RGB, scale 1, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
public struct Preprocessing: Sendable, Equatable, Codable, CustomStringConvertible {
    public enum ChannelOrder: String, Sendable, Codable { case rgb = "RGB", bgr = "BGR" }

    public var channelOrder: ChannelOrder
    public var inputScale: Float
    /// Per input channel, in `channelOrder`.
    public var mean: [Float]
    /// Per input channel, in `channelOrder`.
    public var std: [Float]

    public init(channelOrder: ChannelOrder, inputScale: Float, mean: [Float], std: [Float]) {
        precondition(mean.count == 3 && std.count == 3 && std.allSatisfy { $0 != 0 })
        self.channelOrder = channelOrder
        self.inputScale = inputScale
        self.mean = mean
        self.std = std
    }

    /// Caffe VGG (the default model, and Keras's `preprocess_input` for VGG).
    public static let caffe = Preprocessing(channelOrder: .bgr, inputScale: 255,
                                            mean: [103.939, 116.779, 123.68], std: [1, 1, 1])
    /// torchvision / timm ImageNet normalisation (a file without nst metadata).
    public static let torchvision = Preprocessing(channelOrder: .rgb, inputScale: 1,
                                                  mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])

    /// Reads the keys "channel_order", "input_scale", "mean", "std" (see the weights contract).
    /// A file with none of them is a torchvision/timm file. `file` names the file in errors.
    public init(metadata: [String: String], file: String = "model") throws {
        let keys = ["channel_order", "input_scale", "mean", "std"]
        if keys.allSatisfy({ metadata[$0] == nil }) { self = .torchvision; return }
        func value(_ key: String) throws -> String {
            guard let v = metadata[key] else {
                throw VGGError.badMetadata(key: key, value: "", reason: "missing (the file sets some preprocessing keys but not this one)", file: file)
            }
            return v
        }
        func triple(_ key: String) throws -> [Float] {
            let v = try value(key)
            let parts = v.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 3, parts.allSatisfy({ $0 != nil && $0!.isFinite }) else {
                throw VGGError.badMetadata(key: key, value: v, reason: "expected three comma-separated numbers", file: file)
            }
            return parts.map { $0! }
        }
        let orderText = try value("channel_order")
        guard let order = ChannelOrder(rawValue: orderText.uppercased()) else {
            throw VGGError.badMetadata(key: "channel_order", value: orderText, reason: "expected RGB or BGR", file: file)
        }
        let scaleText = try value("input_scale")
        guard let scale = Float(scaleText), scale.isFinite, scale > 0 else {
            throw VGGError.badMetadata(key: "input_scale", value: scaleText, reason: "expected a positive number such as 255 or 1", file: file)
        }
        let std = try triple("std")
        guard std.allSatisfy({ $0 > 0 }) else {
            throw VGGError.badMetadata(key: "std", value: metadata["std"]!, reason: "every std must be positive", file: file)
        }
        self.init(channelOrder: order, inputScale: scale, mean: try triple("mean"), std: std)
    }

    /// The metadata keys this preprocessing is written as.
    public var metadata: [String: String] {
        func fmt(_ v: [Float]) -> String { v.map { "\($0)" }.joined(separator: ",") }
        return ["channel_order": channelOrder.rawValue, "input_scale": "\(inputScale)", "mean": fmt(mean), "std": fmt(std)]
    }

    /// Index into an RGB pixel of input channel c.
    @inline(__always) func source(_ c: Int) -> Int { channelOrder == .rgb ? c : 2 - c }

    /// Interleaved RGB 0…1 (width·height·3 values) → network input [3,H,W] in channelOrder.
    public func tensor(fromRGB rgb: [Float], width: Int, height: Int) -> Tensor<Float> {
        precondition(rgb.count == width * height * 3, "expected \(width)×\(height)×3 values, got \(rgb.count)")
        let plane = width * height
        var out = Tensor<Float>(shape: [3, height, width])
        for c in 0..<3 {
            let s = source(c), scale = inputScale / std[c], shift = mean[c] / std[c]
            for i in 0..<plane { out.storage[c * plane + i] = rgb[i * 3 + s] * scale - shift }
        }
        return out
    }

    /// Network input [3,H,W] → interleaved RGB, clamped to 0…1 (the inverse of `tensor`).
    public func rgb(from x: Tensor<Float>) -> [Float] {
        precondition(x.shape.count == 3 && x.shape[0] == 3, "expected [3, H, W], got \(x.shape)")
        let plane = x.shape[1] * x.shape[2]
        var out = [Float](repeating: 0, count: plane * 3)
        for c in 0..<3 {
            let s = source(c)
            for i in 0..<plane {
                let v = (x.storage[c * plane + i] * std[c] + mean[c]) / inputScale
                out[i * 3 + s] = v.isNaN ? 0 : min(1, max(0, v))
            }
        }
        return out
    }

    /// ∂input/∂pixel per input channel (inputScale / std): multiplies a gradient with respect to
    /// the network input to give it with respect to the 0…1 pixels of that channel.
    public var pixelGradientScale: [Float] { std.map { inputScale / $0 } }

    public var description: String {
        "\(channelOrder.rawValue), ×\(inputScale), mean \(mean), std \(std)"
    }
}
