import Testing
import Foundation
import NSTTensor
import NSTVGG
import NSTWeights
import NSTRandom

@Suite("VGG architecture, layer names, preprocessing, weights from named tensors")
struct ArchitectureTests {
    @Test func layerListsAndTorchvisionIndices() {
        #expect(VGGArchitecture.vgg16.convFeatureIndices == [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28])
        #expect(VGGArchitecture.vgg19.convFeatureIndices == [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34])
        #expect(VGGArchitecture.vgg16.layers.count == 31)   // torchvision features has 31 modules
        #expect(VGGArchitecture.vgg19.layers.count == 37)
        #expect(Array(VGGArchitecture.vgg16.layerNames.prefix(6)) == ["conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1", "conv2_1"])
        #expect(VGGArchitecture.vgg16.layerNames.last == "pool5")
        #expect(VGGArchitecture.vgg16.layers.map(\.featureIndex) == Array(0..<31))
    }

    @Test func resolvesCanonicalAndKerasNames() throws {
        let a = VGGArchitecture.vgg19
        #expect(try a.resolve("conv4_2") == "conv4_2")
        #expect(try a.resolve("relu4_2") == "relu4_2")
        #expect(try a.resolve("pool3") == "pool3")
        #expect(try a.resolve("block4_conv2") == "relu4_2")   // Keras convs include their ReLU
        #expect(try a.resolve("block3_pool") == "pool3")
        #expect(try a.resolve(" Block5_Conv4 ") == "relu5_4")
    }

    @Test func unknownLayerErrorListsValidNames() {
        do {
            _ = try VGGArchitecture.vgg16.resolve("conv5_4")   // only VGG19 has it
            Issue.record("conv5_4 accepted for vgg16")
        } catch {
            let message = "\(error)"
            #expect(message.contains("conv5_4") && message.contains("vgg16") && message.contains("conv5_3") && message.contains("block4_conv2"))
        }
        for bad in ["", "conv", "conv0_1", "block_conv1", "relu6_1", "pool", "block1_conv"] {
            #expect(throws: VGGError.self) { try VGGArchitecture.vgg16.resolve(bad) }
        }
    }

    @Test func directConvolutionCount() throws {
        // Issue 6: VGG16 through conv5_2 at 384×288 is 32.8 G multiply-adds forward.
        let macs = try VGGArchitecture.vgg16.convMultiplyAdds(through: "conv5_2", width: 384, height: 288)
        #expect(abs(Double(macs) / 1e9 - 32.8) < 0.1)
    }

    @Test func preprocessingRoundTripAndChannelOrder() throws {
        let p = try Preprocessing(metadata: ["channel_order": "BGR", "input_scale": "255",
                                             "mean": "103.939,116.779,123.68", "std": "1,1,1"])
        #expect(p == .caffe)
        let rgb: [Float] = [1, 0.5, 0, 0.25, 0.75, 1]   // two pixels
        let x = p.tensor(fromRGB: rgb, width: 2, height: 1)
        // channel 0 is blue: pixel 0 blue = 0 → 0·255 − 103.939
        #expect(abs(x[0, 0, 0] - (-103.939)) < 1e-4)
        #expect(abs(x[2, 0, 0] - (255 - 123.68)) < 1e-3)
        let back = p.rgb(from: x)
        for (a, b) in zip(rgb, back) { #expect(abs(a - b) < 1e-5) }
        // Clamping
        var bright = x; bright.storage = bright.storage.map { $0 + 1000 }
        #expect(p.rgb(from: bright).allSatisfy { $0 == 1 })
    }

    @Test(arguments: [Preprocessing.caffe, .torchvision])
    func rgbGradientIsTheAdjointOfPreprocessing(_ p: Preprocessing) {
        // tensor(fromRGB:) is affine, so ⟨dInput, T(a) − T(b)⟩ = ⟨rgbGradient(dInput), a − b⟩.
        var rng = SplitMix64(seed: 8)
        let (w, h) = (3, 2)
        let a = (0..<(w * h * 3)).map { _ in Float(rng.nextUnit()) }, b = (0..<(w * h * 3)).map { _ in Float(rng.nextUnit()) }
        let d = Tensor<Float>.uniform([3, h, w], using: &rng)
        let ta = p.tensor(fromRGB: a, width: w, height: h), tb = p.tensor(fromRGB: b, width: w, height: h)
        let lhs = zip(d.storage, zip(ta.storage, tb.storage)).reduce(0.0) { $0 + Double($1.0) * Double($1.1.0 - $1.1.1) }
        let g = p.rgbGradient(from: d)
        let rhs = zip(g, zip(a, b)).reduce(0.0) { $0 + Double($1.0) * Double($1.1.0 - $1.1.1) }
        #expect(abs(lhs - rhs) <= 1e-4 * max(1, abs(lhs)), "\(lhs) vs \(rhs)")
    }

    @Test func preprocessingDefaultsAndBadMetadata() throws {
        #expect(try Preprocessing(metadata: [:]) == .torchvision)
        #expect(try Preprocessing(metadata: ["source": "x"]) == .torchvision)
        let good = ["channel_order": "RGB", "input_scale": "1", "mean": "0,0,0", "std": "1,1,1"]
        #expect(try Preprocessing(metadata: good).channelOrder == .rgb)
        for (key, value) in [("channel_order", "GBR"), ("input_scale", "-1"), ("input_scale", "abc"),
                             ("mean", "1,2"), ("mean", "1,2,x"), ("std", "1,0,1"), ("std", "nan,1,1")] {
            var m = good; m[key] = value
            do { _ = try Preprocessing(metadata: m, file: "f.safetensors"); Issue.record("accepted \(key)=\(value)") }
            catch { #expect("\(error)".contains("f.safetensors") && "\(error)".contains(key)) }
        }
    }

    @Test func weightsFromNamedTensors() throws {
        let random = VGGWeights<Float>.random(architecture: .vgg16, channels: [2, 2, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6], seed: 3)
        var tensors: [String: NamedTensor] = [:]
        for (n, p) in zip(VGGArchitecture.vgg16.convFeatureIndices, random.convs) {
            tensors["features.\(n).weight"] = NamedTensor(shape: p.weight.shape, values: p.weight.storage)
            tensors["features.\(n).bias"] = NamedTensor(shape: p.bias.shape, values: p.bias.storage)
        }
        // Widths come from the file: a tiny VGG-shaped model loads.
        let tiny = try VGGWeights<Float>(architecture: .vgg16, tensors: tensors, file: "tiny.safetensors")
        #expect(tiny.convs.map { $0.weight.shape[0] } == [2, 2, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6])
        #expect(tiny.convs[7].weight == random.convs[7].weight)
        // A width that does not chain is refused, naming the file, the tensor and the shape expected.
        var broken = tensors
        broken["features.5.weight"] = NamedTensor(shape: [3, 3, 3, 3], values: Array(repeating: 0, count: 81))
        do { _ = try VGGWeights<Float>(architecture: .vgg16, tensors: broken, file: "tiny.safetensors"); Issue.record("accepted") }
        catch { #expect("\(error)".contains("tiny.safetensors") && "\(error)".contains("features.5.weight") && "\(error)".contains("[3, 2, 3, 3]")) }
        var badBias = tensors; badBias["features.0.bias"] = NamedTensor(shape: [3], values: [0, 0, 0])
        #expect(throws: VGGError.self) { try VGGWeights<Float>(architecture: .vgg16, tensors: badBias, file: "f") }

        var missing = tensors; missing["features.28.bias"] = nil
        #expect(throws: VGGError.self) { try VGGWeights<Float>(architecture: .vgg16, tensors: missing, file: "f") }
        var wrongType = tensors; wrongType["features.0.weight"]!.dtype = "I32"
        #expect(throws: VGGError.self) { try VGGWeights<Float>(architecture: .vgg16, tensors: wrongType, file: "f") }

        #expect(VGGWeights<Float>.detectArchitecture(try ModelMetadata([:], file: "f"), tensorNames: ["features.34.weight"]) == .vgg19)
        #expect(VGGWeights<Float>.detectArchitecture(try ModelMetadata(["architecture": "vgg19"], file: "f"), tensorNames: []) == .vgg19)
        #expect(VGGWeights<Float>.detectArchitecture(try ModelMetadata([:], file: "f"), tensorNames: []) == .vgg16)
    }

    @Test func fullSizeParameterCount() {
        // VGG16's 13 convolutions hold 14,714,688 parameters (issue 2).
        let widths = VGGArchitecture.vgg16.convChannels
        let count = zip([3] + widths.dropLast(), widths).reduce(0) { $0 + 9 * $1.0 * $1.1 + $1.1 }
        #expect(count == 14_714_688)
    }
}
