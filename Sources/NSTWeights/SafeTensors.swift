import Foundation
import NSTFileIO

/// A tensor read from a weight file: its dtype as stored (e.g. "F32", "F16"), its shape, and its
/// values converted to Float in row-major order (`values.count == shape.reduce(1, *)`).
public struct NamedTensor: Equatable, Sendable {
    public var dtype: String
    public var shape: [Int]
    public var values: [Float]

    public init(dtype: String = "F32", shape: [Int], values: [Float]) {
        self.dtype = dtype
        self.shape = shape
        self.values = values
    }

    /// Number of elements (product of the shape; 1 for a scalar).
    public var count: Int { shape.reduce(1, *) }

    /// Why these values cannot be network weights ("element 3 is nan"), or nil when every
    /// value is finite. The file readers keep NaN and ±inf (they are valid safetensors
    /// values); `VGGLayout.check` and `VGGWeights` refuse them, so a corrupt or overflowed
    /// model is named as such instead of the engine blaming a flag later.
    public var nonFiniteProblem: String? {
        guard let i = values.firstIndex(where: { !$0.isFinite }) else { return nil }
        return "element \(i) is \(values[i]) (weights must be finite numbers: the file is corrupt, or its values overflow Float)"
    }
}

/// The element types of the safetensors format, with their size in bytes.
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL", u8 = "U8", i8 = "I8", f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32", f64 = "F64", i64 = "I64", u64 = "U64"

    public var byteSize: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3: return 1
        case .i16, .u16, .f16, .bf16: return 2
        case .i32, .u32, .f32: return 4
        case .f64, .i64, .u64: return 8
        }
    }
}

/// A safetensors file (https://github.com/huggingface/safetensors, format section):
///
///     [8 bytes: N, little-endian u64][N bytes: JSON header][data section]
///
/// The header maps each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}`
/// (offsets relative to the start of the data section) plus an optional `"__metadata__"`
/// map of strings to strings. `read` validates the file the way the reference reader does —
/// header at most 100 MB and inside the file, a UTF-8 JSON object, tensors that tile the
/// data section exactly (sorted by offset, each starting where the previous one ends, no
/// overlap, no hole, no trailing bytes), byte counts equal to dtype size × shape product
/// (products that overflow are refused) — and refuses anything else with a
/// `WeightFileError` that names the file and the tensor.
///
/// Values are converted to Float: F32 as is, F16/BF16/F64 and integer types converted.
/// `read` reads the file in ranges (header first), so the only copy made is the Float
/// arrays themselves.
public struct SafeTensorsFile: Equatable, Sendable {
    public var metadata: [String: String]
    public var tensors: [String: NamedTensor]

    public init(metadata: [String: String] = [:], tensors: [String: NamedTensor] = [:]) {
        self.metadata = metadata
        self.tensors = tensors
    }

    /// The reference reader's cap on the JSON header (100 MB): a header length beyond it is
    /// refused before anything is allocated.
    public static let maxHeaderBytes = 100_000_000

    /// Reads the file in ranges: the 8-byte length and the header first (checked before
    /// anything else is read), then each tensor's bytes straight into its Float array (F32)
    /// or through a buffer of that tensor's size (other dtypes). The whole file is never in
    /// memory at once, so a file whose header is wrong costs only its header, and a valid one
    /// costs its Float values.
    public static func read(_ url: URL) throws -> SafeTensorsFile {
        let file = url.path
        func fail(_ problem: String) -> WeightFileError { WeightFileError(file: file, problem) }
        let handle = try openWeightFile(file)
        let size = handle.size
        func readRange(_ offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
            var done = 0
            while done < buffer.count {
                let n = handle.read(at: offset + done, into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
                if n < 0 { throw fail("cannot be read (\(String(cString: strerror(errno))))") }
                if n == 0 { throw fail("ends at byte \(offset + done) while reading: the file is truncated or changed while being read") }
                done += n
            }
        }
        var lengthBytes = [UInt8](repeating: 0, count: min(8, size))
        try lengthBytes.withUnsafeMutableBytes { try readRange(0, into: $0) }
        let headerLength = try checkedHeaderLength(lengthBytes, fileSize: size, file: file)
        var headerBytes = [UInt8](repeating: 0, count: headerLength)
        try headerBytes.withUnsafeMutableBytes { try readRange(8, into: $0) }
        let (metadata, layout) = try headerBytes.withUnsafeBytes {
            try decodeHeader($0, dataLength: size - 8 - headerLength, file: file)
        }
        let dataStart = 8 + headerLength
        var tensors: [String: NamedTensor] = [:]
        tensors.reserveCapacity(layout.count)
        for item in layout {
            var values: [Float]
            #if _endian(little)
            let direct = item.dtype == .f32
            #else
            let direct = false
            #endif
            if direct {
                values = [Float](repeating: 0, count: item.count)
                try values.withUnsafeMutableBytes { try readRange(dataStart + item.begin, into: $0) }
            } else {
                var raw = [UInt8](repeating: 0, count: item.end - item.begin)
                try raw.withUnsafeMutableBytes { try readRange(dataStart + item.begin, into: $0) }
                guard let converted = raw.withUnsafeBytes({ convertToFloat($0, dtype: item.dtype, count: item.count) }) else {
                    throw fail(unreadableDType(item))
                }
                values = converted
            }
            tensors[item.name] = NamedTensor(dtype: item.dtype.rawValue, shape: item.shape, values: values)
        }
        return SafeTensorsFile(metadata: metadata, tensors: tensors)
    }

    /// The header length from the first 8 bytes, checked against the 100 MB cap and the
    /// file's size.
    static func checkedHeaderLength(_ first: some Collection<UInt8>, fileSize: Int, file: String) throws -> Int {
        func fail(_ problem: String) -> WeightFileError { WeightFileError(file: file, problem) }
        guard first.count >= 8 else {
            throw fail("not a safetensors file: \(fileSize) bytes, shorter than the 8-byte header length")
        }
        let declared = first.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard declared <= UInt64(maxHeaderBytes) else {
            throw fail("header length \(declared) bytes exceeds the 100 MB limit (not a safetensors file, or corrupt)")
        }
        let headerLength = Int(declared)
        guard headerLength <= fileSize - 8 else {
            throw fail("header length \(headerLength) bytes runs past the end of the file (\(fileSize) bytes): the file is truncated or not safetensors")
        }
        return headerLength
    }

    /// The header's metadata and the validated placement of every tensor.
    static func decodeHeader(_ headerBytes: UnsafeRawBufferPointer, dataLength: Int, file: String) throws -> ([String: String], [Placement]) {
        func fail(_ problem: String) -> WeightFileError { WeightFileError(file: file, problem) }
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw fail("header does not start with '{': not a safetensors file")
        }
        guard String(validating: headerBytes, as: UTF8.self) != nil else {
            throw fail("header is not valid UTF-8")
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(headerBytes))
        } catch let error as DecodingError {
            throw fail("header: \(describe(error))")
        } catch let error as HeaderProblem {
            throw fail("header: \(error.message)")
        } catch {
            throw fail("header is not valid JSON (\(error.localizedDescription))")
        }
        return (header.metadata ?? [:], try validate(header.entries, dataLength: dataLength, file: file))
    }

    static func unreadableDType(_ item: Placement) -> String {
        "tensor \"\(item.name)\": dtype \(item.dtype.rawValue) cannot be read as numbers (nst reads F32, F16, BF16, F64 and integer types)"
    }

    /// Parses the bytes of a safetensors file; `file` is only used in error messages.
    public static func parse(_ data: Data, file: String) throws -> SafeTensorsFile {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> SafeTensorsFile in
            let headerLength = try checkedHeaderLength(raw.prefix(8), fileSize: raw.count, file: file)
            let dataStart = 8 + headerLength
            let (metadata, layout) = try decodeHeader(UnsafeRawBufferPointer(rebasing: raw[8 ..< dataStart]),
                                                      dataLength: raw.count - dataStart, file: file)
            var tensors: [String: NamedTensor] = [:]
            tensors.reserveCapacity(layout.count)
            for item in layout {
                let bytes = UnsafeRawBufferPointer(rebasing: raw[dataStart + item.begin ..< dataStart + item.end])
                guard let values = convertToFloat(bytes, dtype: item.dtype, count: item.count) else {
                    throw WeightFileError(file: file, unreadableDType(item))
                }
                tensors[item.name] = NamedTensor(dtype: item.dtype.rawValue, shape: item.shape, values: values)
            }
            return SafeTensorsFile(metadata: metadata, tensors: tensors)
        }
    }

    /// One tensor's place in the data section after validation.
    struct Placement {
        var name: String
        var dtype: SafeTensorsDType
        var shape: [Int]
        var count: Int
        var begin: Int
        var end: Int
    }

    /// The spec's checks on the header entries against a data section of `dataLength` bytes.
    static func validate(_ entries: [(String, HeaderEntry)], dataLength: Int, file: String) throws -> [Placement] {
        func fail(_ problem: String) -> WeightFileError { WeightFileError(file: file, problem) }
        var placements: [Placement] = []
        var seen = Set<String>()
        for (name, entry) in entries {
            guard seen.insert(name).inserted else { throw fail("tensor \"\(name)\" appears twice in the header") }
            guard let dtype = SafeTensorsDType(rawValue: entry.dtype) else {
                throw fail("tensor \"\(name)\": unknown dtype \"\(entry.dtype)\" (known: \(SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard entry.dataOffsets.count == 2 else {
                throw fail("tensor \"\(name)\": data_offsets must be [begin, end], got \(entry.dataOffsets.count) numbers")
            }
            let (begin, end) = (entry.dataOffsets[0], entry.dataOffsets[1])
            guard begin >= 0, end >= 0 else { throw fail("tensor \"\(name)\": negative data_offsets \(entry.dataOffsets)") }
            guard end >= begin else { throw fail("tensor \"\(name)\": data_offsets \(entry.dataOffsets) end before they begin") }
            guard end <= dataLength else {
                throw fail("tensor \"\(name)\": data_offsets [\(begin), \(end == Int.max ? "≥ 2⁶³" : String(end))] point past the end of the data section (\(dataLength) bytes): the file is truncated or corrupt")
            }
            var count = 1
            for d in entry.shape {
                guard d >= 0 else { throw fail("tensor \"\(name)\": negative dimension in shape \(entry.shape)") }
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow else { throw fail("tensor \"\(name)\": shape \(entry.shape) has more elements than can be addressed (the product overflows)") }
                count = product
            }
            let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow else { throw fail("tensor \"\(name)\": shape \(entry.shape) × \(dtype.byteSize) bytes overflows") }
            guard end - begin == byteCount else {
                throw fail("tensor \"\(name)\": data_offsets [\(begin), \(end)] hold \(end - begin) bytes but \(dtype.rawValue) × \(entry.shape) needs \(byteCount)")
            }
            placements.append(Placement(name: name, dtype: dtype, shape: entry.shape, count: count, begin: begin, end: end))
        }
        placements.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var expected = 0
        var previous: String? = nil
        for p in placements {
            if p.begin < expected {
                throw fail("tensor \"\(p.name)\" (bytes \(p.begin)..<\(p.end)) overlaps tensor \"\(previous ?? "")\" (which ends at \(expected))")
            }
            if p.begin > expected {
                throw fail("tensor \"\(p.name)\" begins at byte \(p.begin) but the previous tensor ends at \(expected): a hole of \(p.begin - expected) bytes in the data section")
            }
            expected = p.end
            previous = p.name
        }
        if expected > dataLength {
            throw fail("tensor \"\(previous ?? "")\" ends at byte \(expected) of the data section, past its end (\(dataLength) bytes): the file is truncated")
        }
        if expected < dataLength {
            throw fail("\(dataLength - expected) trailing bytes after the last tensor (tensors cover \(expected) of \(dataLength) data bytes)")
        }
        return placements
    }

    /// Writes the file atomically (temporary file + rename). Tensors are stored as F32 in
    /// name order (byte-wise, like the reference writer) and the JSON header is padded with
    /// spaces so the data section starts on an 8-byte boundary, as common writers do; the
    /// `dtype` field of each `NamedTensor` is not used (every value is a Float).
    public func write(to url: URL) throws {
        try AtomicFile.write(serialized(file: url.path), to: url)
    }

    /// The bytes `write(to:)` writes.
    public func serialized(file: String = "<memory>") throws -> Data {
        let names = tensors.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var json = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                .map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let t = tensors[name]!
            guard t.shape.allSatisfy({ $0 >= 0 }), t.values.count == t.count else {
                throw WeightFileError(file: file, "cannot write tensor \"\(name)\": \(t.values.count) values for shape \(t.shape)")
            }
            let end = offset + 4 * t.values.count
            parts.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        json += parts.joined(separator: ",") + "}"
        var header = Array(json.utf8)
        while (8 + header.count) % 8 != 0 { header.append(UInt8(ascii: " ")) }

        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for name in names {
            let values = tensors[name]!.values
            #if _endian(little)
            values.withUnsafeBytes { out.append(contentsOf: $0) }
            #else
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
            #endif
        }
        return out
    }
}

// MARK: - Header decoding

/// One entry of the JSON header.
struct HeaderEntry: Decodable {
    var dtype: String
    var shape: [Int]
    /// Offsets beyond Int.max (up to 2⁶⁴−1, which JSON allows) are kept as Int.max: they
    /// lie past the end of any data section, and `validate` says so.
    var dataOffsets: [Int]

    enum CodingKeys: String, CodingKey { case dtype, shape, dataOffsets = "data_offsets" }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dtype = try c.decode(String.self, forKey: .dtype)
        shape = try c.decode([Int].self, forKey: .shape)
        if let unsigned = try? c.decode([UInt64].self, forKey: .dataOffsets) {
            dataOffsets = unsigned.map { Int(clamping: $0) }
        } else {
            dataOffsets = try c.decode([Int].self, forKey: .dataOffsets)   // negative ones: refused by validate
        }
    }
}

struct HeaderProblem: Error { var message: String }

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// The header object: tensor entries in file order, and the optional metadata map.
private struct Header: Decodable {
    var metadata: [String: String]?
    var entries: [(String, HeaderEntry)] = []

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys {
            if key.stringValue == "__metadata__" {
                guard metadata == nil else { throw HeaderProblem(message: "\"__metadata__\" appears twice") }
                metadata = try container.decode([String: String].self, forKey: key)
            } else {
                entries.append((key.stringValue, try container.decode(HeaderEntry.self, forKey: key)))
            }
        }
    }
}

/// A DecodingError as one line: where in the header, and what was expected.
private func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        let p = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        return p.isEmpty ? "" : "at \(p): "
    }
    switch error {
    case .typeMismatch(let type, let c):
        return "\(path(c))expected \(type == [String: String].self ? "a map of strings" : "\(type)") (\(c.debugDescription))"
    case .valueNotFound(let type, let c): return "\(path(c))missing value of type \(type)"
    case .keyNotFound(let key, let c): return "\(path(c))missing key \"\(key.stringValue)\""
    case .dataCorrupted(let c): return "\(path(c))\(c.debugDescription) \(c.underlyingError.map { "(\($0.localizedDescription))" } ?? "")"
    @unknown default: return "\(error)"
    }
}

/// A JSON string literal (quotes, backslashes and control characters escaped), by the one
/// JSON configuration.
func jsonString(_ s: String) -> String {
    (try? JSONFormat.string(s, .oneLine)) ?? "\"\""
}

// MARK: - Element conversion

/// Converts `count` little-endian elements of `dtype` to Float; nil for the 8-bit float types.
func convertToFloat(_ bytes: UnsafeRawBufferPointer, dtype: SafeTensorsDType, count: Int) -> [Float]? {
    func map<T: FixedWidthInteger>(_: T.Type, _ f: (T) -> Float) -> [Float] {
        (0 ..< count).map { f(T(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self))) }
    }
    switch dtype {
    case .f32:
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
        #if !_endian(little)
        for i in values.indices { values[i] = Float(bitPattern: UInt32(littleEndian: values[i].bitPattern)) }
        #endif
        return values
    case .f64: return map(UInt64.self) { Float(Double(bitPattern: $0)) }
    case .f16: return map(UInt16.self, halfToFloat)
    case .bf16: return map(UInt16.self) { Float(bitPattern: UInt32($0) << 16) }
    case .bool, .u8: return map(UInt8.self) { Float($0) }
    case .i8: return map(Int8.self) { Float($0) }
    case .i16: return map(Int16.self) { Float($0) }
    case .u16: return map(UInt16.self) { Float($0) }
    case .i32: return map(Int32.self) { Float($0) }
    case .u32: return map(UInt32.self) { Float($0) }
    case .i64: return map(Int64.self) { Float($0) }
    case .u64: return map(UInt64.self) { Float($0) }
    case .f8e5m2, .f8e4m3: return nil
    }
}

/// IEEE 754 binary16 → Float: sign, 5-bit exponent (bias 15), 10-bit mantissa; subnormals
/// are m·2⁻²⁴, exponent 31 is infinity or NaN.
func halfToFloat(_ h: UInt16) -> Float {
    let sign: Float = (h & 0x8000) != 0 ? -1 : 1
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = Float(h & 0x3FF)
    switch exponent {
    case 0: return sign * mantissa * 0x1p-24
    case 31: return mantissa == 0 ? sign * .infinity : .nan
    default: return sign * (1 + mantissa / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
    }
}
