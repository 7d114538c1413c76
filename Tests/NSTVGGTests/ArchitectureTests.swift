import Testing
import Foundation
import NSTTensor
import NSTVGG

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
        #expect(try a.resolve("block4_conv2") == "conv4_2")
        #expect(try a.resolve("block3_pool") == "pool3")
        #expect(try a.resolve(" Block5_Conv4 ") == "conv5_4")
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

    @Test func preprocessingDefaultsAndBadMetadata() throws {
        #expect(try Preprocessing(metadata: [:]) == .torchvision)
        #expect(try Preprocessing(metadata: ["source": "x"]) == .torchvision)
        let good = ["channel_order": "RGB", "input_scale": "1", "mean": "0,0,0", "std": "1,1,1"]
        #expect(try Preprocessing(metadata: good).channelOrder == .rgb)
        for (key, value) in [("channel_order", "GBR"), ("input_scale", "-1"), ("input_scale", "abc"),
                             ("mean", "1,2"), ("mean", "1,2,x"), ("std", "1,0,1"), ("std", "nan,1,1")] {
            var m = good; m[key] = value
            #expect(throws: VGGError.self) { try Preprocessing(metadata: m, file: "f.safetensors") }
        }
        var missing = good; missing["std"] = nil
        do { _ = try Preprocessing(metadata: missing, file: "m.safetensors"); Issue.record("accepted") }
        catch { #expect("\(error)".contains("m.safetensors") && "\(error)".contains("std")) }
    }

    @Test func weightsFromNamedTensors() throws {
        let random = VGGWeights<Float>.random(architecture: .vgg16, channels: [2, 2, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6], seed: 3)
        var tensors: [String: (dtype: String, shape: [Int], values: [Float])] = [:]
        for (n, p) in zip(VGGArchitecture.vgg16.convFeatureIndices, random.convs) {
            tensors["features.\(n).weight"] = ("F32", p.weight.shape, p.weight.storage)
            tensors["features.\(n).bias"] = ("F32", p.bias.shape, p.bias.storage)
        }
        // The real architecture's widths are required: the tiny file is refused with the tensor named.
        do { _ = try VGGWeights<Float>(architecture: .vgg16, tensors: tensors, file: "tiny.safetensors"); Issue.record("accepted") }
        catch { #expect("\(error)".contains("tiny.safetensors") && "\(error)".contains("features.0.weight")) }

        var missing = tensors; missing["features.28.bias"] = nil
        #expect(throws: VGGError.self) { try VGGWeights<Float>(architecture: .vgg16, tensors: missing, file: "f") }
        var wrongType = tensors; wrongType["features.0.weight"]!.dtype = "F16"
        #expect(throws: VGGError.self) { try VGGWeights<Float>(architecture: .vgg16, tensors: wrongType, file: "f") }

        #expect(try VGGWeights<Float>.detectArchitecture(metadata: [:], tensorNames: ["features.34.weight"], file: "f") == .vgg19)
        #expect(try VGGWeights<Float>.detectArchitecture(metadata: ["architecture": "vgg16"], tensorNames: [], file: "f") == .vgg16)
        #expect(throws: VGGError.self) { try VGGWeights<Float>.detectArchitecture(metadata: ["architecture": "resnet"], tensorNames: [], file: "f") }
    }

    @Test func fullSizeWeightsFromNamedTensors() throws {
        let full = VGGWeights<Float>.random(architecture: .vgg16, seed: 4)
        #expect(full.parameterCount == 14_714_688)
        var tensors: [String: (dtype: String, shape: [Int], values: [Float])] = [:]
        for (n, p) in zip(VGGArchitecture.vgg16.convFeatureIndices, full.convs) {
            tensors["features.\(n).weight"] = ("F32", p.weight.shape, p.weight.storage)
            tensors["features.\(n).bias"] = ("F32", p.bias.shape, p.bias.storage)
        }
        let loaded = try VGGWeights<Float>(architecture: .vgg16, tensors: tensors, file: "f")
        #expect(loaded.convs.count == 13 && loaded.convs[12].bias == full.convs[12].bias)
        tensors["features.5.weight"]!.shape = [128, 64, 3, 1]
        do { _ = try VGGWeights<Float>(architecture: .vgg16, tensors: tensors, file: "f"); Issue.record("accepted") }
        catch { #expect("\(error)".contains("features.5.weight") && "\(error)".contains("[128, 64, 3, 3]")) }
    }
}
