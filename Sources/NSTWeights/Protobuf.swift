import Foundation

/// A reader of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/),
/// just enough to pull tensors out of an ONNX file without a protobuf library.
///
/// A message is a sequence of fields; each starts with a varint key `field_number << 3 | wire_type`:
///
///     0 varint   (int32/int64/bool/enum: 7 bits per byte, low first, high bit = "more")
///     1 fixed64  (8 bytes little-endian: double, fixed64)
///     2 length-delimited (varint length, then that many bytes: strings, bytes, sub-messages, packed repeated)
///     5 fixed32  (4 bytes little-endian: float, fixed32)
///     3, 4 groups (deprecated; ONNX never uses them — refused), 6, 7 invalid.
///
/// Every read is bounds-checked against the end of the enclosing message: a length past the
/// end, a varint longer than 10 bytes or overflowing 64 bits, field number 0 and unknown wire
/// types are errors carrying the byte offset. Sub-messages are read by making a new reader over
/// their byte range, so nesting depth is whatever the caller decodes (ONNX: 3 levels), never
/// driven by the input.
struct ProtoReader {
    enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5

        var name: String {
            switch self {
            case .varint: return "varint"
            case .fixed64: return "64-bit"
            case .lengthDelimited: return "length-delimited"
            case .startGroup, .endGroup: return "group"
            case .fixed32: return "32-bit"
            }
        }
    }

    struct Failure: Error {
        var offset: Int
        var message: String
    }

    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int
    let end: Int

    /// A reader over `bytes[range]`.
    init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>) {
        self.bytes = bytes
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    var isAtEnd: Bool { position >= end }

    /// The next field's number and wire type, or nil at the end of the message.
    mutating func nextField() throws -> (number: Int, wireType: WireType)? {
        if isAtEnd { return nil }
        let start = position
        let key = try varint()
        let number = key >> 3
        guard number >= 1, number <= (1 << 29) - 1 else {
            throw Failure(offset: start, message: "invalid field number \(number)")
        }
        guard let wire = WireType(rawValue: UInt8(key & 7)) else {
            throw Failure(offset: start, message: "invalid wire type \(key & 7) for field \(number)")
        }
        if wire == .startGroup || wire == .endGroup {
            throw Failure(offset: start, message: "field \(number) uses the deprecated group encoding, which ONNX files never contain")
        }
        return (Int(number), wire)
    }

    /// A base-128 varint of at most 10 bytes whose value fits 64 bits.
    mutating func varint() throws -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw Failure(offset: start, message: "varint runs past the end of its message") }
            let byte = bytes[position]
            position += 1
            if shift == 63, byte > 1 { throw Failure(offset: start, message: "varint overflows 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw Failure(offset: start, message: "varint longer than 10 bytes") }
        }
    }

    mutating func fixed32() throws -> UInt32 {
        guard end - position >= 4 else { throw Failure(offset: position, message: "32-bit value runs past the end of its message") }
        defer { position += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }

    mutating func fixed64() throws -> UInt64 {
        guard end - position >= 8 else { throw Failure(offset: position, message: "64-bit value runs past the end of its message") }
        defer { position += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }

    /// The byte range of a length-delimited field's payload (the reader moves past it).
    mutating func lengthDelimited() throws -> Range<Int> {
        let start = position
        let length = try varint()
        guard length <= UInt64(end - position) else {
            throw Failure(offset: start, message: "length \(length) runs past the end of its message (\(end - position) bytes left)")
        }
        let range = position ..< position + Int(length)
        position = range.upperBound
        return range
    }

    mutating func string() throws -> String {
        let range = try lengthDelimited()
        guard let s = String(validating: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self) else {
            throw Failure(offset: range.lowerBound, message: "string is not valid UTF-8")
        }
        return s
    }

    /// Skips a field's payload of the given wire type.
    mutating func skip(_ wire: WireType) throws {
        switch wire {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .fixed32: _ = try fixed32()
        case .lengthDelimited: _ = try lengthDelimited()
        case .startGroup, .endGroup: throw Failure(offset: position, message: "group encoding is not supported")
        }
    }

    /// Fails unless a field has the wire type its schema says.
    func expect(_ wire: WireType, _ expected: WireType, field: String, at offset: Int) throws {
        guard wire == expected else {
            throw Failure(offset: offset, message: "field \(field) has wire type \(wire.name), expected \(expected.name)")
        }
    }

    /// A repeated fixed-width field (float_data, double_data): packed (one length-delimited run
    /// of `width`-byte values) or one value per field occurrence, of wire type `single`.
    /// Appends what `read` reads of each value to `values`.
    mutating func repeatedFixed<T>(_ wire: WireType, single: WireType, width: Int, into values: inout [T], field: String, at offset: Int,
                                   _ read: (inout ProtoReader) throws -> T) throws {
        switch wire {
        case single: values.append(try read(&self))
        case .lengthDelimited:
            let range = try lengthDelimited()
            guard range.count % width == 0 else {
                throw Failure(offset: offset, message: "packed \(field) of \(range.count) bytes is not a multiple of \(width)")
            }
            var inner = ProtoReader(bytes, range: range)
            values.reserveCapacity(values.count + range.count / width)
            while !inner.isAtEnd { values.append(try read(&inner)) }
        default: try expect(wire, .lengthDelimited, field: field, at: offset)
        }
    }

    /// A repeated varint field (int64 dims, int32 data): packed (one length-delimited run) or
    /// one value per field occurrence. Appends to `values`.
    mutating func repeatedVarint(_ wire: WireType, into values: inout [UInt64], field: String, at offset: Int) throws {
        switch wire {
        case .varint: values.append(try varint())
        case .lengthDelimited:
            var inner = ProtoReader(bytes, range: try lengthDelimited())
            while !inner.isAtEnd { values.append(try inner.varint()) }
        default: throw Failure(offset: offset, message: "field \(field) has wire type \(wire.name), expected varint or packed")
        }
    }
}
