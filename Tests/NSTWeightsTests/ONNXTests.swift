import Foundation
import Testing
@testable import NSTWeights

/// A tiny protobuf encoder to craft test messages (good and bad).
struct Proto {
    var bytes: [UInt8] = []

    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        repeat {
            out.append(UInt8(v & 0x7F) | (v >= 0x80 ? 0x80 : 0))
            v >>= 7
        } while v != 0
        return out
    }

    func key(_ field: Int, _ wire: UInt64) -> [UInt8] { Proto.varint(UInt64(field) << 3 | wire) }

    mutating func int(_ field: Int, _ v: UInt64) { bytes += key(field, 0) + Proto.varint(v) }
    mutating func bytes(_ field: Int, _ payload: [UInt8]) { bytes += key(field, 2) + Proto.varint(UInt64(payload.count)) + payload }
    mutating func string(_ field: Int, _ s: String) { bytes(field, Array(s.utf8)) }
    mutating func message(_ field: Int, _ m: Proto) { bytes(field, m.bytes) }
}

/// TensorProto with FLOAT raw_data.
func tensorProto(_ name: String, dims: [Int], values: [Float], packedDims: Bool = false) -> Proto {
    var t = Proto()
    if packedDims {
        t.bytes(1, dims.flatMap { Proto.varint(UInt64($0)) })
    } else {
        for d in dims { t.int(1, UInt64(d)) }
    }
    t.int(2, 1)
    t.string(8, name)
    t.bytes(9, values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } })
    return t
}

func modelProto(_ tensors: [Proto]) -> Data {
    var graph = Proto()
    graph.string(2, "g")
    for t in tensors { graph.message(5, t) }
    var model = Proto()
    model.int(1, 7)
    model.string(2, "test")
    model.message(7, graph)
    return Data(model.bytes)
}

func onnxProblem(_ data: Data) -> String {
    do {
        _ = try ONNXModel.parse(data, file: "bad.onnx")
        Issue.record("parse succeeded but should have failed")
        return ""
    } catch let error as WeightFileError {
        #expect(error.file == "bad.onnx")
        #expect(!error.description.contains("\n"))
        return error.problem
    } catch {
        Issue.record("unexpected error \(error)")
        return ""
    }
}

@Suite struct ONNXReaderTests {
    @Test func readsCraftedModel() throws {
        let data = modelProto([
            tensorProto("w", dims: [2, 1, 1, 1], values: [1.5, -2]),
            tensorProto("packed", dims: [1, 2], values: [3, 4], packedDims: true),
        ])
        let model = try ONNXModel.parse(data, file: "m.onnx")
        #expect(model.irVersion == 7 && model.producerName == "test")
        #expect(model.initializers["w"] == NamedTensor(dtype: "F32", shape: [2, 1, 1, 1], values: [1.5, -2]))
        #expect(model.initializers["packed"] == NamedTensor(dtype: "F32", shape: [1, 2], values: [3, 4]))
    }

    @Test func readsTheFixtureWrittenByTheOnnxPackage() throws {
        // tiny_vgg16.onnx: raw_data and float_data tensors, an INT64 constant, a dense layer.
        let model = try ONNXModel.read(fixture("tiny_vgg16.onnx"), include: { $0.contains("block1_conv") })
        #expect(model.producerName == "make_model_fixtures.py")
        #expect(model.initializers.count == 4)
        let w = try #require(model.initializers["functional_1/block1_conv1_1/convolution/ReadVariableOp:0"])  // float_data
        #expect(w.shape == [2, 3, 3, 3])
        // value at [o, i, y, x] = L + (1000y + 100x + 10i + o)/10000 with L = 0
        #expect(w.values[((1 * 3 + 2) * 3 + 1) * 3 + 2] == Float(0 + (1000.0 * 1 + 100 * 2 + 10 * 2 + 1) / 10000))
        let w2 = try #require(model.initializers["functional_1/block1_conv2_1/convolution/ReadVariableOp:0"])  // raw_data
        #expect(w2.values[0] == 1)
        #expect(model.initializers["functional_1/block1_conv2_1/Squeeze:0"]?.values == [-1, -1.1])
        // An INT64 tensor selected by `include` is refused by name.
        #expect(throws: WeightFileError.self) { try ONNXModel.read(fixture("tiny_vgg16.onnx"), include: { $0.hasPrefix("const") }) }
    }
}

/// Crafted bad protobuf/ONNX input (issue 7): errors with the file and byte offset, never a trap.
@Suite struct ONNXMalformedInputTests {
    @Test func emptyOrNotOnnx() {
        #expect(onnxProblem(Data()).contains("no graph"))
        #expect(onnxProblem(Data("hello, this is text".utf8)).contains("not a valid ONNX file"))
    }

    @Test func lengthPastTheEnd() {
        var m = Proto()
        m.bytes += [0x3A] + Proto.varint(1000) + [1, 2, 3]      // field 7, length 1000, 3 bytes follow
        #expect(onnxProblem(Data(m.bytes)).contains("length 1000 runs past the end"))
        // A length near 2^64 must not wrap around.
        m = Proto()
        m.bytes += [0x3A] + Proto.varint(UInt64.max) + [1]
        #expect(onnxProblem(Data(m.bytes)).contains("runs past the end"))
    }

    @Test func varintOverflowAndTruncation() {
        #expect(onnxProblem(Data([0x08] + Array(repeating: 0xFF, count: 9) + [0x02])).contains("overflows 64 bits"))
        #expect(onnxProblem(Data([0x08] + Array(repeating: 0x80, count: 11) + [0x00])).contains("overflows 64 bits"))
        #expect(onnxProblem(Data([0x08, 0x80, 0x80])).contains("varint runs past the end"))
    }

    @Test func wrongWireTypes() {
        #expect(onnxProblem(Data([0x38, 0x01])).contains("ModelProto.graph has wire type varint, expected length-delimited"))
        var t = Proto()
        t.string(2, "x")                                   // data_type as a string
        #expect(onnxProblem(modelProto([t])).contains("TensorProto.data_type has wire type length-delimited"))
        #expect(onnxProblem(Data([0x0B])).contains("group encoding"))             // field 1, wire 3
        #expect(onnxProblem(Data([0x0E])).contains("invalid wire type 6"))
        #expect(onnxProblem(Data([0x00, 0x00])).contains("invalid field number 0"))
    }

    @Test func deepNestingIsNotFollowed() {
        // 10,000 nested length-delimited fields inside an unknown field: skipped as one blob.
        var inner: [UInt8] = []
        for _ in 0 ..< 10_000 { inner = [0x0A] + Proto.varint(UInt64(inner.count)) + inner }
        var m = Proto()
        m.bytes(99, inner)
        #expect(onnxProblem(Data(m.bytes)).contains("no graph"))
        // The same nesting inside graph → initializer → TensorProto: read as fields, not recursed.
        let graphNested = modelProto([Proto(bytes: inner)])
        _ = try? ONNXModel.parse(graphNested, file: "bad.onnx")
    }

    @Test func tensorSizesThatDoNotMatch() {
        var t = tensorProto("w", dims: [3], values: [1, 2])
        #expect(onnxProblem(modelProto([t])).contains("initializer \"w\": raw_data holds 8 bytes but F32 × [3] needs 12"))
        t = tensorProto("w", dims: [Int.max / 2, 4], values: [1])
        #expect(onnxProblem(modelProto([t])).contains("overflows"))
        t = Proto()
        t.int(1, UInt64(bitPattern: -1))
        t.int(2, 1)
        t.string(8, "neg")
        #expect(onnxProblem(modelProto([t])).contains("negative or huge dimension"))
        t = Proto()
        t.int(1, 2)
        t.int(2, 1)
        t.string(8, "few")
        t.bytes(4, [0, 0, 0x80, 0x3F])                       // one packed float for 2 elements
        #expect(onnxProblem(modelProto([t])).contains("holds 1 values but dims [2] need 2"))
        t = Proto()
        t.bytes(4, [0, 0, 0x80])                             // 3 bytes of packed floats
        #expect(onnxProblem(modelProto([t])).contains("not a multiple of 4"))
    }

    @Test func externalDataAndUnsupportedTypes() {
        var t = tensorProto("ext", dims: [1], values: [1])
        t.int(14, 1)
        #expect(onnxProblem(modelProto([t])).contains("external file"))
        t = Proto()
        t.int(2, 8)                                          // STRING
        t.string(8, "s")
        #expect(onnxProblem(modelProto([t])).contains("element type 8"))
        #expect(onnxProblem(modelProto([tensorProto("d", dims: [1], values: [1]), tensorProto("d", dims: [1], values: [1])])).contains("appears twice"))
    }

    @Test func everyTruncationOfAValidFileFailsCleanly() throws {
        // Cut the fixture at many points: each prefix is either refused with a one-line error or
        // (rarely) parses to a subset; it never traps.
        let data = try Data(contentsOf: fixture("tiny_vgg16.onnx"))
        var refused = 0
        for cut in stride(from: 0, to: data.count, by: 7) {
            do { _ = try ONNXModel.parse(data.prefix(cut), file: "cut.onnx") } catch is WeightFileError { refused += 1 }
        }
        #expect(refused > data.count / 7 / 2)
    }
}
