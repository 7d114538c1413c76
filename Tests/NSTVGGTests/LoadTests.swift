import Testing
import Foundation
import NSTTensor
import NSTVGG
import NSTWeights

@Suite("VGGWeights.load from safetensors files")
struct LoadTests {
    func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("nst-engine-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
    }

    @Test func roundTripThroughAFileWithCaffeMetadata() throws {
        let weights = VGGWeights<Float>.random(architecture: .vgg16, channels: [4, 4, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8], seed: 5)
        var tensors: [String: NamedTensor] = [:]
        for (n, p) in zip(VGGArchitecture.vgg16.convFeatureIndices, weights.convs) {
            tensors["features.\(n).weight"] = NamedTensor(shape: p.weight.shape, values: p.weight.storage)
            tensors["features.\(n).bias"] = NamedTensor(shape: p.bias.shape, values: p.bias.storage)
        }
        let url = temporaryURL("vgg16.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let metadata = ModelMetadata.caffe(architecture: .vgg16, source: "test", license: "test").dictionary
        try SafeTensorsFile(metadata: metadata, tensors: tensors).write(to: url)

        let (loaded, info) = try VGGWeights.load(url)   // Float is inferred
        #expect(info.architecture == .vgg16)
        #expect(info.preprocessing == .caffe)
        #expect(info.path == url.path)
        #expect(info.sha256 == (try SHA256.hex(ofFile: url)) && info.sha256.count == 64)
        #expect(loaded.convs.count == 13)
        for (a, b) in zip(loaded.convs, weights.convs) { #expect(a.weight == b.weight && a.bias == b.bias) }
    }

    @Test func aFileWithoutVGGTensorsIsRefusedNamingFileAndTensor() throws {
        let url = temporaryURL("other.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try SafeTensorsFile(tensors: ["fc.weight": NamedTensor(shape: [2], values: [1, 2])]).write(to: url)
        do { _ = try VGGWeights<Float>.load(url); Issue.record("accepted") }
        catch {
            #expect("\(error)".contains(url.path) && "\(error)".contains("features.0.weight"))
        }
    }

    @Test func aCorruptFileIsRefusedNamingTheFile() throws {
        let url = temporaryURL("corrupt.safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data([1, 2, 3]).write(to: url)
        do { _ = try VGGWeights<Float>.load(url); Issue.record("accepted") }
        catch { #expect("\(error)".contains(url.path)) }
    }
}
