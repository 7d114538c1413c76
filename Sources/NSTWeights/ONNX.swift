import Foundation

/// The initializers (stored weights) of an ONNX model, read with `ProtoReader`.
///
/// The path through onnx.proto3 (field numbers in brackets):
///
///     ModelProto   ir_version [1] varint, producer_name [2] string, graph [7] GraphProto
///     GraphProto   initializer [5] repeated TensorProto   (nodes, inputs … are skipped)
///     TensorProto  dims [1] repeated int64, data_type [2] int32, name [8] string,
///                  raw_data [9] bytes (little-endian), float_data [4] packed float,
///                  double_data [10] packed double, int32_data [5] (FLOAT16/BFLOAT16 bits),
///                  data_location [14] (1 = EXTERNAL: data in another file — refused)
///
/// Supported element types: FLOAT (1), FLOAT16 (10), DOUBLE (11), BFLOAT16 (16); values come
/// out as Float. Other tensors (e.g. INT64 shape constants) are skipped unless `include`
/// selects them, in which case they are an error naming the type.
public struct ONNXModel: Sendable {
    public var irVersion: Int
    public var producerName: String
    public var initializers: [String: NamedTensor]

    /// ONNX TensorProto.DataType codes nst reads.
    enum DataType: Int {
        case float = 1, float16 = 10, double = 11, bfloat16 = 16
        var byteSize: Int { switch self { case .float: 4; case .double: 8; case .float16, .bfloat16: 2 } }
        var dtypeName: String { switch self { case .float: "F32"; case .double: "F64"; case .float16: "F16"; case .bfloat16: "BF16" } }
        var safeTensorsDType: SafeTensorsDType { switch self { case .float: .f32; case .double: .f64; case .float16: .f16; case .bfloat16: .bf16 } }
    }

    /// Reads `url`, decoding only the initializers for which `include(name)` is true.
    public static func read(_ url: URL, include: (String) -> Bool = { _ in true }) throws -> ONNXModel {
        try parse(readFileBytes(url), file: url.path, include: include)
    }

    public static func parse(_ data: Data, file: String, include: (String) -> Bool = { _ in true }) throws -> ONNXModel {
        do {
            return try data.withUnsafeBytes { raw in
                var model = ONNXModel(irVersion: 0, producerName: "", initializers: [:])
                var sawGraph = false
                var reader = ProtoReader(raw, range: 0 ..< raw.count)
                while let (number, wire) = try reader.nextField() {
                    let offset = reader.position
                    switch number {
                    case 1:
                        try reader.expect(wire, .varint, field: "ModelProto.ir_version", at: offset)
                        model.irVersion = Int(truncatingIfNeeded: try reader.varint())
                    case 2:
                        try reader.expect(wire, .lengthDelimited, field: "ModelProto.producer_name", at: offset)
                        model.producerName = try reader.string()
                    case 7:
                        try reader.expect(wire, .lengthDelimited, field: "ModelProto.graph", at: offset)
                        var graph = ProtoReader(raw, range: try reader.lengthDelimited())
                        try readGraph(&graph, into: &model, include: include)
                        sawGraph = true
                    default:
                        try reader.skip(wire)
                    }
                }
                guard sawGraph else { throw ProtoReader.Failure(offset: 0, message: "no graph: not an ONNX model") }
                return model
            }
        } catch let failure as ProtoReader.Failure {
            throw WeightFileError(file: file, "not a valid ONNX file: \(failure.message) (at byte \(failure.offset))")
        } catch let failure as TensorFailure {
            throw WeightFileError(file: file, "initializer \"\(failure.name)\": \(failure.message)")
        }
    }

    struct TensorFailure: Error {
        var name: String
        var message: String
    }

    private static func readGraph(_ graph: inout ProtoReader, into model: inout ONNXModel, include: (String) -> Bool) throws {
        while let (number, wire) = try graph.nextField() {
            if number == 5 {
                try graph.expect(wire, .lengthDelimited, field: "GraphProto.initializer", at: graph.position)
                var tensor = ProtoReader(graph.bytes, range: try graph.lengthDelimited())
                if let (name, value) = try readTensor(&tensor, include: include) {
                    guard model.initializers[name] == nil else {
                        throw TensorFailure(name: name, message: "appears twice among the initializers")
                    }
                    model.initializers[name] = value
                }
            } else {
                try graph.skip(wire)
            }
        }
    }

    /// One TensorProto; nil if `include` rejects its name.
    private static func readTensor(_ r: inout ProtoReader, include: (String) -> Bool) throws -> (String, NamedTensor)? {
        var dims: [UInt64] = []
        var dataType: UInt64 = 0
        var name = ""
        var raw: Range<Int>? = nil
        var floatData: [Float] = []
        var doubleData: [Double] = []
        var int32Data: [UInt64] = []
        var external = false
        while let (number, wire) = try r.nextField() {
            let offset = r.position
            switch number {
            case 1: try r.repeatedVarint(wire, into: &dims, field: "TensorProto.dims", at: offset)
            case 2:
                try r.expect(wire, .varint, field: "TensorProto.data_type", at: offset)
                dataType = try r.varint()
            case 8:
                try r.expect(wire, .lengthDelimited, field: "TensorProto.name", at: offset)
                name = try r.string()
            case 9:
                try r.expect(wire, .lengthDelimited, field: "TensorProto.raw_data", at: offset)
                raw = try r.lengthDelimited()
            case 4:
                try r.repeatedFixed(wire, single: .fixed32, width: 4, into: &floatData, field: "TensorProto.float_data", at: offset) {
                    Float(bitPattern: try $0.fixed32())
                }
            case 10:
                try r.repeatedFixed(wire, single: .fixed64, width: 8, into: &doubleData, field: "TensorProto.double_data", at: offset) {
                    Double(bitPattern: try $0.fixed64())
                }
            case 5: try r.repeatedVarint(wire, into: &int32Data, field: "TensorProto.int32_data", at: offset)
            case 14:
                try r.expect(wire, .varint, field: "TensorProto.data_location", at: offset)
                external = try r.varint() == 1
            default: try r.skip(wire)
            }
        }
        guard include(name) else { return nil }
        guard !external else { throw TensorFailure(name: name, message: "its data is stored in an external file, which nst does not read (save the model with the weights inside)") }
        guard let type = DataType(rawValue: Int(truncatingIfNeeded: dataType)), dataType < 64 else {
            throw TensorFailure(name: name, message: "element type \(dataType) is not a float type nst reads (FLOAT, FLOAT16, DOUBLE, BFLOAT16)")
        }
        var shape: [Int] = []
        var count = 1
        for d in dims {
            guard d <= UInt64(Int.max) else { throw TensorFailure(name: name, message: "negative or huge dimension in dims \(dims.map { Int64(bitPattern: $0) })") }
            let (p, overflow) = count.multipliedReportingOverflow(by: Int(d))
            guard !overflow else { throw TensorFailure(name: name, message: "dims \(dims) have more elements than can be addressed (the product overflows)") }
            shape.append(Int(d))
            count = p
        }
        let values: [Float]
        if let raw {
            let (bytes, overflow) = count.multipliedReportingOverflow(by: type.byteSize)
            guard !overflow, raw.count == bytes else {
                throw TensorFailure(name: name, message: "raw_data holds \(raw.count) bytes but \(type.dtypeName) × \(shape) needs \(overflow ? "more than can be addressed" : String(bytes))")
            }
            values = convertToFloat(UnsafeRawBufferPointer(rebasing: r.bytes[raw]), dtype: type.safeTensorsDType, count: count)!
        } else {
            switch type {
            case .float: values = floatData
            case .double: values = doubleData.map { Float($0) }
            case .float16: values = int32Data.map { halfToFloat(UInt16(truncatingIfNeeded: $0)) }
            case .bfloat16: values = int32Data.map { Float(bitPattern: UInt32(truncatingIfNeeded: $0) << 16) }
            }
            guard values.count == count else {
                throw TensorFailure(name: name, message: "holds \(values.count) values but dims \(shape) need \(count)")
            }
        }
        return (name, NamedTensor(dtype: type.dtypeName, shape: shape, values: values))
    }
}
