import Foundation
import Testing
@testable import NSTWeights

/// A fixture file shipped with the tests.
func fixture(_ name: String) -> URL {
    Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")!
}

/// A fresh empty directory under the system temp dir.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("nst-weights-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A hand-made safetensors file: 8-byte length (declared or the real one), header, data.
func craftSafeTensors(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
    let h = Array(header.utf8)
    var out = Data()
    withUnsafeBytes(of: (declaredLength ?? UInt64(h.count)).littleEndian) { out.append(contentsOf: $0) }
    out.append(contentsOf: h)
    out.append(contentsOf: data)
    return out
}

/// The problem a parse fails with (the test fails if it does not fail).
func parseProblem(_ data: Data) -> String {
    do {
        _ = try SafeTensorsFile.parse(data, file: "bad.safetensors")
        Issue.record("parse succeeded but should have failed")
        return ""
    } catch let error as WeightFileError {
        #expect(error.file == "bad.safetensors")
        #expect(!error.description.contains("\n"))
        return error.problem
    } catch {
        Issue.record("unexpected error type \(error)")
        return ""
    }
}

@Suite struct SafeTensorsReaderTests {
    @Test func readsEveryDtypeWrittenByTheReferenceImplementation() throws {
        let file = try SafeTensorsFile.read(fixture("dtypes.safetensors"))
        #expect(file.metadata == ["format": "np", "note": "made by make_safetensors_fixtures.py"])
        let expected: [Float] = [0.5, -1.25, 3.0, 65504.0 / 1024, -0.0078125, 0x1p-14]
        #expect(file.tensors["a.f32"] == NamedTensor(dtype: "F32", shape: [2, 3], values: expected))
        #expect(file.tensors["b.f16"] == NamedTensor(dtype: "F16", shape: [2, 3], values: expected))
        #expect(file.tensors["c.f64"] == NamedTensor(dtype: "F64", shape: [2, 3], values: expected))
        #expect(file.tensors["d.i64"] == NamedTensor(dtype: "I64", shape: [3], values: [1, -2, 3]))
        #expect(file.tensors["e.scalar"] == NamedTensor(dtype: "F32", shape: [], values: [7.5]))
        #expect(file.tensors["f.empty"] == NamedTensor(dtype: "F32", shape: [0, 4], values: []))
        #expect(file.tensors.count == 6)
    }

    @Test func readsBF16AndHalfSpecialValues() throws {
        // BF16 is the top half of a Float: 1.5 = 0x3FC0_0000 → 0x3FC0; -2 = 0xC000.
        // F16: 0x7C00 = +inf, 0x0001 = 2^-24 (smallest subnormal), 0xC000 = -2.
        let data = craftSafeTensors(
            header: #"{"h":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[6,10]}}"#,
            data: [0x00, 0x7C, 0x01, 0x00, 0x00, 0xC0, 0xC0, 0x3F, 0x00, 0xC0])
        let file = try SafeTensorsFile.parse(data, file: "x")
        #expect(file.tensors["h"]!.values == [.infinity, 0x1p-24, -2])
        #expect(file.tensors["b"]!.values == [1.5, -2])
    }

    @Test func writerRoundTripsAndPadsTheHeaderTo8Bytes() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let original = SafeTensorsFile(
            metadata: ["mean": "1,2,3", "quote\"d": "line\nbreak"],
            tensors: ["z": NamedTensor(shape: [2, 2], values: [1, 2, 3, 4]),
                      "a": NamedTensor(shape: [1], values: [-0.5]),
                      "empty": NamedTensor(shape: [0], values: [])])
        let url = dir.appendingPathComponent("m.safetensors")
        try original.write(to: url)
        let back = try SafeTensorsFile.read(url)
        #expect(back == original)
        let bytes = try Data(contentsOf: url)
        let headerLength = Int(bytes.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        #expect((8 + headerLength) % 8 == 0)
        // Names are sorted, so the data of "a" comes first.
        let header = String(decoding: bytes[8 ..< 8 + headerLength], as: UTF8.self)
        #expect(header.contains(#""a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#))
        // No temporary file is left next to it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["m.safetensors"])
    }

    @Test func writerRefusesValuesThatDoNotMatchTheShape() {
        let file = SafeTensorsFile(tensors: ["w": NamedTensor(shape: [2, 2], values: [1])])
        #expect(throws: WeightFileError.self) { try file.serialized() }
    }
}

/// Crafted bad files (issue 7): each refused with one line naming the file and the problem.
@Suite struct SafeTensorsMalformedInputTests {
    let f32x2 = #"{"dtype":"F32","shape":[2],"data_offsets":"#

    @Test func emptyAndShortFiles() {
        #expect(parseProblem(Data()).contains("shorter than the 8-byte header length"))
        #expect(parseProblem(Data([1, 2, 3])).contains("shorter than the 8-byte header length"))
    }

    @Test func headerLengthPastTheEnd() {
        let data = craftSafeTensors(header: "{}", declaredLength: 1000)
        #expect(parseProblem(data).contains("runs past the end of the file"))
    }

    @Test func headerOverTheHundredMegabyteCap() {
        // Declared 100 MB + 1: refused from the 8-byte prefix alone, nothing allocated.
        #expect(parseProblem(craftSafeTensors(header: "{}", declaredLength: 100_000_001)).contains("exceeds the 100 MB limit"))
        #expect(parseProblem(craftSafeTensors(header: "{}", declaredLength: UInt64.max)).contains("exceeds the 100 MB limit"))
    }

    @Test func headerThatIsNotAJSONObject() {
        #expect(parseProblem(craftSafeTensors(header: "[1,2]")).contains("does not start with '{'"))
        #expect(parseProblem(craftSafeTensors(header: "{\"a\":")).contains("header"))
        #expect(parseProblem(craftSafeTensors(header: "{\"a\":{\"dtype\":\"F32\"}}")).contains("missing key \"shape\""))
        #expect(parseProblem(craftSafeTensors(header: "{\"a\":{\"dtype\":true,\"shape\":[],\"data_offsets\":[0,4]}}")).contains("at a.dtype"))
        #expect(parseProblem(craftSafeTensors(header: "{\"__metadata__\":{\"k\":1}}")).contains("__metadata__"))
    }

    @Test func invalidUTF8InTheHeader() {
        var data = craftSafeTensors(header: "{\"\u{E9}\":1}")
        data[10] = 0xFF     // a lone continuation-less byte inside the key
        #expect(parseProblem(data).contains("not valid UTF-8"))
    }

    @Test func deeplyNestedHeaderDoesNotCrash() {
        let depth = 100_000
        let header = "{\"a\":" + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        #expect(parseProblem(craftSafeTensors(header: header)).contains("header"))
    }

    @Test func overlappingOffsets() {
        let data = craftSafeTensors(header: #"{"a":\#(f32x2)[0,8]},"b":\#(f32x2)[4,12]}}"#, data: Array(repeating: 0, count: 12))
        #expect(parseProblem(data).contains("overlaps tensor \"a\""))
    }

    @Test func holeBetweenTensors() {
        let data = craftSafeTensors(header: #"{"a":\#(f32x2)[0,8]},"b":\#(f32x2)[12,20]}}"#, data: Array(repeating: 0, count: 20))
        #expect(parseProblem(data).contains("a hole of 4 bytes"))
    }

    @Test func firstTensorNotAtZero() {
        let data = craftSafeTensors(header: #"{"a":\#(f32x2)[4,12]}}"#, data: Array(repeating: 0, count: 12))
        #expect(parseProblem(data).contains("begins at byte 4"))
    }

    @Test func trailingBytes() {
        let data = craftSafeTensors(header: #"{"a":\#(f32x2)[0,8]}}"#, data: Array(repeating: 0, count: 9))
        #expect(parseProblem(data).contains("1 trailing bytes"))
    }

    @Test func truncatedData() {
        let data = craftSafeTensors(header: #"{"a":\#(f32x2)[0,8]}}"#, data: Array(repeating: 0, count: 5))
        #expect(parseProblem(data).contains("truncated"))
    }

    @Test func sizeDoesNotMatchShape() {
        let data = craftSafeTensors(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        #expect(parseProblem(data).contains("hold 8 bytes but F32 × [3] needs 12"))
    }

    @Test func shapeProductThatOverflows() {
        let big = Int.max / 2
        let data = craftSafeTensors(header: #"{"a":{"dtype":"F32","shape":[\#(big),\#(big)],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        #expect(parseProblem(data).contains("overflows"))
        // Elements fit in an Int but the byte count does not.
        let data2 = craftSafeTensors(header: #"{"a":{"dtype":"F64","shape":[\#(Int.max / 4)],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        #expect(parseProblem(data2).contains("overflows"))
    }

    @Test func negativeAndMalformedOffsetsAndShapes() {
        #expect(parseProblem(craftSafeTensors(header: #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#)).contains("negative dimension"))
        #expect(parseProblem(craftSafeTensors(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#)).contains("end before they begin"))
        #expect(parseProblem(craftSafeTensors(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#)).contains("must be [begin, end]"))
        #expect(parseProblem(craftSafeTensors(header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,1e30]}}"#)).contains("header"))
    }

    @Test func duplicateNamesAreRefused() {
        // JSON decoding keeps one of the two entries; the other's bytes are then left over.
        let data = craftSafeTensors(header: #"{"a":\#(f32x2)[0,8]},"a":\#(f32x2)[8,16]}}"#, data: Array(repeating: 0, count: 16))
        #expect(!parseProblem(data).isEmpty)
    }

    @Test func unknownAndUnreadableDtypes() {
        #expect(parseProblem(craftSafeTensors(header: #"{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}"#, data: [0])).contains("unknown dtype \"Q4\""))
        #expect(parseProblem(craftSafeTensors(header: #"{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#, data: [0])).contains("cannot be read as numbers"))
    }

    @Test func missingFileAndDirectoryNameThePath() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/nst/model.safetensors")
        #expect(throws: WeightFileError(file: missing.path, "no such file")) { try SafeTensorsFile.read(missing) }
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: WeightFileError(file: dir.path, "is a directory, not a file")) { try SafeTensorsFile.read(dir) }
    }

    /// A FIFO with no writer would block a plain open, and /dev/zero never ends: every reader
    /// of weight files refuses both at once, naming what they are.
    @Test func fifosAndDevicesAreRefusedByEveryReader() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("w.onnx")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let fifoProblem = WeightFileError(file: fifo.path, "is a FIFO (named pipe), not a regular file; give a weight file")
        #expect(throws: fifoProblem) { try SafeTensorsFile.read(fifo) }
        #expect(throws: fifoProblem) { try ONNXModel.read(fifo) }
        // Without a known extension the format is read from the first bytes.
        let unnamed = dir.appendingPathComponent("weights")
        #expect(mkfifo(unnamed.path, 0o600) == 0)
        #expect(throws: WeightFileError(file: "weights", "is a FIFO (named pipe), not a regular file; give a weight file")) {
            try ModelImport.detectFormat(unnamed, file: "weights")
        }
        let zero = URL(fileURLWithPath: "/dev/zero")
        #expect(throws: WeightFileError(file: zero.path, "is a character device, not a regular file; give a weight file")) {
            try ZipArchive(zero)
        }
    }
}
