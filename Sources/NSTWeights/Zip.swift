import _CZlib
import Foundation

/// Reads single members out of a zip archive (a Python wheel is one), following the layout in
/// PKWARE's APPNOTE.TXT:
///
///     [local header 30 B + name + extra][data] …  [central directory: 46 B + name + extra + comment per entry]
///     [end of central directory (EOCD) 22 B + comment]
///
/// The EOCD is found by scanning back from the end (its comment is at most 65535 bytes); the
/// central directory gives each member's method, sizes, CRC-32 and local header offset.
/// Methods: 0 (stored) and 8 (deflate, inflated with zlib). Zip64, encrypted and split archives
/// are refused. Every offset and size is checked against the file before use, and the
/// extracted bytes must match the recorded size and CRC-32.
public struct ZipArchive {
    public struct Entry: Sendable {
        public var name: String
        public var method: UInt16
        public var flags: UInt16
        public var crc32: UInt32
        public var compressedSize: Int
        public var uncompressedSize: Int
        public var localHeaderOffset: Int
    }

    public let file: String
    public let data: Data
    public private(set) var entries: [Entry] = []

    /// Largest member extracted (1 GiB): the model is 65 MB; this stops a zip bomb.
    public static let maxMemberBytes = 1 << 30

    /// Largest ratio of a member's size to its compressed size, above `ratioFloorBytes`.
    /// Weights are nearly incompressible (about 1.1 : 1); deflate reaches at most about
    /// 1032 : 1, which only a bomb or a file of zeros comes near.
    public static let maxCompressionRatio = 100
    public static let ratioFloorBytes = 16 << 20

    public init(_ url: URL) throws {
        try self.init(data: readFileBytes(url), file: url.path)
    }

    public init(data: Data, file: String) throws {
        self.file = file
        self.data = data
        func fail(_ p: String) -> WeightFileError { WeightFileError(file: file, "not a valid zip archive: \(p)") }
        let count = data.count
        guard count >= 22 else { throw fail("\(count) bytes is too short") }
        var eocd = -1
        var i = count - 22
        while i >= max(0, count - 22 - 65535) {
            if u32(i) == 0x0605_4B50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw fail("no end-of-central-directory record") }
        let disk = u16(eocd + 4), cdDisk = u16(eocd + 6)
        let entryCount = Int(u16(eocd + 10))
        let cdSize = Int(u32(eocd + 12)), cdOffset = Int(u32(eocd + 16))
        guard disk == 0, cdDisk == 0 else { throw fail("split (multi-disk) archives are not supported") }
        guard entryCount != 0xFFFF, cdSize != 0xFFFF_FFFF, cdOffset != 0xFFFF_FFFF else { throw fail("zip64 archives are not supported") }
        guard cdOffset <= eocd, cdSize <= eocd - cdOffset else { throw fail("central directory (offset \(cdOffset), \(cdSize) bytes) lies outside the file") }

        var p = cdOffset
        let cdEnd = cdOffset + cdSize
        for n in 0 ..< entryCount {
            guard cdEnd - p >= 46, u32(p) == 0x0201_4B50 else { throw fail("central directory entry \(n) is missing or corrupt") }
            let nameLength = Int(u16(p + 28)), extraLength = Int(u16(p + 30)), commentLength = Int(u16(p + 32))
            guard 46 + nameLength + extraLength + commentLength <= cdEnd - p else { throw fail("central directory entry \(n) runs past the directory") }
            let name = String(decoding: data[data.startIndex + p + 46 ..< data.startIndex + p + 46 + nameLength], as: UTF8.self)
            let entry = Entry(name: name, method: u16(p + 10), flags: u16(p + 8), crc32: u32(p + 16),
                              compressedSize: Int(u32(p + 20)), uncompressedSize: Int(u32(p + 24)),
                              localHeaderOffset: Int(u32(p + 42)))
            if entry.compressedSize == 0xFFFF_FFFF || entry.uncompressedSize == 0xFFFF_FFFF || entry.localHeaderOffset == 0xFFFF_FFFF {
                throw fail("member \"\(name)\" uses zip64, which is not supported")
            }
            entries.append(entry)
            p += 46 + nameLength + extraLength + commentLength
        }
    }

    private func u16(_ offset: Int) -> UInt16 {
        data.withUnsafeBytes { UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }
    }

    private func u32(_ offset: Int) -> UInt32 {
        data.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    }

    /// The uncompressed bytes of member `name`, verified against its size and CRC-32.
    /// Refused before inflating: a declared size above `maxMemberBytes`, or above
    /// `maxCompressionRatio` × the compressed size (past `ratioFloorBytes`). With
    /// `expectingPrefix`, the first bytes are inflated and compared before any memory is
    /// set aside for the rest.
    public func extract(_ name: String, expectingPrefix prefix: [UInt8] = []) throws -> Data {
        func fail(_ p: String) -> WeightFileError { WeightFileError(file: file, "member \"\(name)\": \(p)") }
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw WeightFileError(file: file, "has no member \"\(name)\" (\(entries.count) members)")
        }
        guard entry.flags & 1 == 0 else { throw fail("is encrypted") }
        guard entry.uncompressedSize <= ZipArchive.maxMemberBytes else { throw fail("\(entry.uncompressedSize) bytes is more than the \(ZipArchive.maxMemberBytes)-byte limit") }
        guard entry.uncompressedSize <= max(ZipArchive.ratioFloorBytes, entry.compressedSize.multipliedReportingOverflow(by: ZipArchive.maxCompressionRatio).partialValue) else {
            throw fail("declares \(entry.uncompressedSize) bytes from \(entry.compressedSize) compressed, more than \(ZipArchive.maxCompressionRatio) : 1 (a zip bomb, or not a weight file)")
        }
        let local = entry.localHeaderOffset
        guard local <= data.count - 30, u32(local) == 0x0403_4B50 else { throw fail("local header at offset \(local) is missing or corrupt") }
        let start = local + 30 + Int(u16(local + 26)) + Int(u16(local + 28))
        guard start <= data.count, entry.compressedSize <= data.count - start else { throw fail("data runs past the end of the archive (truncated download?)") }
        let compressed = data[data.startIndex + start ..< data.startIndex + start + entry.compressedSize]

        let output: Data
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.uncompressedSize else { throw fail("stored member sizes disagree") }
            guard compressed.starts(with: prefix) else { throw fail("does not begin as expected (not the kind of file it should be)") }
            output = Data(compressed)
        case 8:
            if !prefix.isEmpty {
                let head = try inflateRaw(compressed, expectedSize: min(prefix.count, entry.uncompressedSize), fail: fail, prefixOnly: true)
                guard head.elementsEqual(prefix) else { throw fail("does not begin as expected (not the kind of file it should be)") }
            }
            output = try inflateRaw(compressed, expectedSize: entry.uncompressedSize, fail: fail)
        default:
            throw fail("compression method \(entry.method) is not supported (only stored and deflate)")
        }
        let crc = output.withUnsafeBytes { raw -> UInt32 in
            UInt32(_CZlib.crc32(0, raw.bindMemory(to: Bytef.self).baseAddress, uInt(raw.count)))
        }
        guard crc == entry.crc32 else { throw fail(String(format: "CRC-32 is %08x but the archive records %08x (corrupt)", crc, entry.crc32)) }
        return output
    }

    /// Raw deflate (no zlib header: window bits −15) into exactly `expectedSize` bytes. The
    /// buffer has one spare byte so a stream longer than recorded is caught, not truncated.
    /// `prefixOnly`: just the first `expectedSize` bytes of a longer stream.
    private func inflateRaw(_ input: Data, expectedSize: Int, fail: (String) -> WeightFileError, prefixOnly: Bool = false) throws -> Data {
        var output = Data(count: prefixOnly ? expectedSize : expectedSize + 1)
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw fail("zlib cannot start inflating") }
        defer { inflateEnd(&stream) }
        let status: Int32 = input.withUnsafeBytes { inRaw in
            output.withUnsafeMutableBytes { outRaw in
                // (zlib accepts a null input pointer when avail_in is 0.)
                stream.next_in = UnsafeMutablePointer(mutating: inRaw.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(inRaw.count)
                stream.next_out = outRaw.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(outRaw.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        if prefixOnly {
            guard Int(stream.total_out) == expectedSize else { throw fail("compressed data ends early or is corrupt") }
            return output
        }
        guard Int(stream.total_out) <= expectedSize else { throw fail("inflates to more than the \(expectedSize) bytes the archive records") }
        guard status == Z_STREAM_END else { throw fail(status == Z_BUF_ERROR ? "compressed data ends early (truncated)" : "compressed data is corrupt (zlib error \(status))") }
        guard Int(stream.total_out) == expectedSize else { throw fail("inflated to \(stream.total_out) bytes but the archive records \(expectedSize)") }
        output.count = expectedSize
        return output
    }
}
