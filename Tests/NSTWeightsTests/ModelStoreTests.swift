import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import NSTWeights

@Suite struct SHA256Tests {
    func hex(_ s: String) -> String { SHA256.hex(Data(s.utf8)) }

    @Test func knownVectors() {
        // FIPS 180-4 examples: one block, two blocks, and the empty message.
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func streamingInOddPiecesEqualsOneShot() {
        // 1000 bytes fed as 1, 7, 63, 64, 65, … byte pieces: crosses every block boundary case.
        let bytes = Data((0 ..< 1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        var hasher = SHA256()
        var offset = 0
        var piece = 1
        while offset < bytes.count {
            let end = min(bytes.count, offset + piece)
            hasher.update(bytes.subdata(in: offset ..< end))
            offset = end
            piece = piece * 3 + 4
        }
        let streamed = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        #expect(streamed == SHA256.hex(bytes))
        // Value from Python's hashlib.sha256 of the same 1000 bytes.
        #expect(streamed == "5097e7d587352f5097062ae679f37bda5802d9f875aba14c8cb4d1a188ada179")
    }
}

/// These tests never change the process environment: every test target runs in one process,
/// and others (NSTVGGTests) read the real model cache concurrently.
@Suite struct ModelStoreTests {
    @Test func cacheDirectoryFollowsXDG() {
        #expect(ModelStore.cacheDirectory(environment: ["XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"]).path == "/x/cache/nst/models")
        // The XDG spec says: ignore a relative or empty XDG_CACHE_HOME.
        #expect(ModelStore.cacheDirectory(environment: ["XDG_CACHE_HOME": "relative/path", "HOME": "/home/u"]).path == "/home/u/.cache/nst/models")
        #expect(ModelStore.cacheDirectory(environment: ["XDG_CACHE_HOME": "", "HOME": "/home/u"]).path == "/home/u/.cache/nst/models")
        #expect(ModelStore.cacheDirectory(environment: ["HOME": "/home/u"]).path == "/home/u/.cache/nst/models")
    }

    @Test func defaultModelPrefersVGG16ThenAnyInstalled() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = ModelStore.cacheDirectory(environment: ["XDG_CACHE_HOME": root.path])
        #expect(ModelStore.defaultModel(in: dir) == nil)
        #expect(ModelStore.installedModels(in: dir).isEmpty)
        #expect(throws: WeightFileError(file: dir.path, ModelStore.missingModelHint)) { try ModelStore.resolve(nil, in: dir) }
        let tiny = SafeTensorsFile(tensors: ["x": NamedTensor(shape: [1], values: [1])])
        try tiny.write(to: ModelStore.url(forName: "mine", in: dir))
        #expect(ModelStore.defaultModel(in: dir)?.lastPathComponent == "mine.safetensors")
        try tiny.write(to: ModelStore.url(forName: "vgg16", in: dir))
        #expect(ModelStore.defaultModel(in: dir)?.lastPathComponent == "vgg16.safetensors")
        #expect(ModelStore.installedModels(in: dir).map(\.lastPathComponent) == ["mine.safetensors", "vgg16.safetensors"])
        #expect(try ModelStore.resolve("mine", in: dir).lastPathComponent == "mine.safetensors")
        #expect(try ModelStore.resolve(nil, in: dir).lastPathComponent == "vgg16.safetensors")
        #expect(throws: WeightFileError.self) { try ModelStore.resolve("nothere", in: dir) }
    }

    /// An installed model others can write, or another user's, is refused by name and passed
    /// over as the default, with an error that says why and what to do; one given as a path
    /// is the user's own choice and is used.
    @Test func refusesAnInstalledModelOthersControl() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = ModelStore.cacheDirectory(environment: ["XDG_CACHE_HOME": root.path])
        let tiny = SafeTensorsFile(tensors: ["x": NamedTensor(shape: [1], values: [1])])
        let planted = ModelStore.url(forName: "vgg16", in: dir)
        try tiny.write(to: planted)
        #expect(chmod(planted.path, 0o666) == 0)
        #expect(ModelStore.defaultModel(in: dir) == nil)
        do { _ = try ModelStore.resolve("vgg16", in: dir); Issue.record("a writable-by-others model was used") }
        catch { #expect("\(error)".contains("others can write it") && "\(error)".contains("chmod go-w"), "\(error)") }
        #expect(throws: WeightFileError.self) { try ModelStore.resolve(nil, in: dir) }
        #expect(try ModelStore.resolve(planted.path, in: dir) == planted)
        // A trusted second model becomes the default in its place.
        try tiny.write(to: ModelStore.url(forName: "mine", in: dir))
        #expect(ModelStore.defaultModel(in: dir)?.lastPathComponent == "mine.safetensors")
        #expect(chmod(planted.path, 0o644) == 0)
        #expect(ModelStore.defaultModel(in: dir)?.lastPathComponent == "vgg16.safetensors")
        // Another user's file (only root can make one here).
        if geteuid() == 0 {
            #expect(chown(planted.path, 65534, 65534) == 0)
            #expect(throws: WeightFileError.self) { try ModelStore.resolve("vgg16", in: dir) }
            #expect(ModelStore.defaultModel(in: dir)?.lastPathComponent == "mine.safetensors")
        }
    }

    @Test func hintNamesTheCommand() {
        #expect(ModelStore.missingModelHint.contains("`nst model fetch`"))
    }
}

@Suite struct ModelMetadataTests {
    @Test func caffeRoundTripsThroughTheDictionary() throws {
        let m = ModelMetadata.caffe(architecture: .vgg16, source: "s", license: "l")
        let d = m.dictionary
        #expect(d["nst.format"] == "1")
        #expect(d["channel_order"] == "BGR")
        #expect(d["input_scale"] == "255")
        #expect(d["mean"] == "103.939,116.779,123.68")
        #expect(d["std"] == "1,1,1")
        #expect(d["architecture"] == "vgg16")
        #expect(try ModelMetadata(d, file: "f") == m)
    }

    @Test func emptyMetadataMeansTorchvisionConvention() throws {
        let m = try ModelMetadata([:], file: "f")
        #expect(m.channelOrder == .rgb && m.inputScale == 1)
        #expect(m.mean == [0.485, 0.456, 0.406] && m.std == [0.229, 0.224, 0.225])
    }

    @Test func malformedMetadataNamesTheKey() {
        #expect(throws: WeightFileError(file: "f", "metadata: \"mean\" must be three numbers separated by commas, got \"1,2\"")) {
            try ModelMetadata(["mean": "1,2"], file: "f")
        }
        #expect(throws: WeightFileError.self) { try ModelMetadata(["channel_order": "GRB"], file: "f") }
        #expect(throws: WeightFileError.self) { try ModelMetadata(["std": "1,0,1"], file: "f") }
        #expect(throws: WeightFileError.self) { try ModelMetadata(["architecture": "resnet"], file: "f") }
    }
}

@Suite struct VGGLayoutTests {
    @Test func torchvisionIndicesAndParameterCounts() {
        #expect(VGGLayout.vgg16.convs.map(\.torchIndex) == [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28])
        #expect(VGGLayout.vgg19.convs.map(\.torchIndex) == [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34])
        #expect(VGGLayout.vgg16.parameterCount == 14_714_688)
        #expect(VGGLayout.vgg19.parameterCount == 20_024_384)
        #expect(VGGLayout.vgg19.convs[15].name == "conv5_4")
        #expect(VGGLayout.vgg16.convs[9].kerasName == "block4_conv3")
    }

    @Test func checksATorchvisionFile() throws {
        let file = try SafeTensorsFile.read(fixture("tiny_vgg16.safetensors"))
        let check = try VGGLayout.check(file.tensors, architecture: nil, file: "tiny")
        #expect(check.architecture == .vgg16)
        #expect(check.standardWidths == false)
        #expect(check.parameterCount == (2 * 3 * 9 + 2) + 12 * (2 * 2 * 9 + 2))
        #expect(throws: WeightFileError.self) { try VGGLayout.check(file.tensors, architecture: .vgg19, file: "tiny") }
        var broken = file.tensors
        broken["features.5.weight"] = NamedTensor(shape: [2, 3, 3, 3], values: Array(repeating: 0, count: 54))
        #expect(throws: WeightFileError(file: "tiny", "\"features.5.weight\" (conv2_1) has shape [2, 3, 3, 3]; expected [out, 2, 3, 3] (OIHW)")) {
            try VGGLayout.check(broken, architecture: nil, file: "tiny")
        }
        broken = file.tensors
        broken["features.28.bias"] = nil
        #expect(throws: WeightFileError.self) { try VGGLayout.check(broken, architecture: nil, file: "tiny") }
    }
}
