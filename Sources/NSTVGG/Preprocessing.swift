import NSTTensor
import NSTWeights

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

    /// The preprocessing a model file's metadata describes (parsed by NSTWeights.ModelMetadata:
    /// keys "channel_order", "input_scale", "mean", "std"; missing keys take torchvision's values).
    public init(_ metadata: ModelMetadata) {
        self.init(channelOrder: metadata.channelOrder == .bgr ? .bgr : .rgb, inputScale: metadata.inputScale,
                  mean: metadata.mean, std: metadata.std)
    }

    /// Parses metadata strings; malformed values throw an error naming `file` and the key.
    public init(metadata: [String: String], file: String = "model") throws {
        self.init(try ModelMetadata(metadata, file: file))
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

    /// The chain rule through `tensor(fromRGB:)`: ∂L/∂input [3,H,W] (what `VGG.backward` returns)
    /// → ∂L/∂pixel, interleaved RGB like the pixels: dpixel[i, rgb(c)] = dinput[c, i] · scale / std[c].
    public func rgbGradient(from dInput: Tensor<Float>) -> [Float] {
        precondition(dInput.shape.count == 3 && dInput.shape[0] == 3, "expected [3, H, W], got \(dInput.shape)")
        let plane = dInput.shape[1] * dInput.shape[2]
        var out = [Float](repeating: 0, count: plane * 3)
        for c in 0..<3 {
            let s = source(c), k = inputScale / std[c]
            for i in 0..<plane { out[i * 3 + s] = dInput.storage[c * plane + i] * k }
        }
        return out
    }

    public var description: String {
        "\(channelOrder.rawValue), ×\(inputScale), mean \(mean), std \(std)"
    }
}
