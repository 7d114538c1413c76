import Foundation

/// Small PNGs for end-to-end runs (transfer, experiment, quiz question 12), written by a minimal
/// encoder (stored deflate blocks) so no binary fixture is committed, and a structural PNG check
/// (signature, IHDR first, IEND last, every chunk's CRC).
enum TinyPNG {
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(UInt32(data.count)) + body + be32(crc32(body))
    }

    /// 8-bit RGB PNG of width×height from `pixel(x, y) → (r, g, b)`.
    static func make(width: Int, height: Int, _ pixel: (Int, Int) -> (UInt8, UInt8, UInt8)) -> Data {
        var raw: [UInt8] = []
        for y in 0..<height {
            raw.append(0)
            for x in 0..<width { let p = pixel(x, y); raw += [p.0, p.1, p.2] }
        }
        var z: [UInt8] = [0x78, 0x01]
        var i = 0
        repeat {
            let n = min(65535, raw.count - i)
            z.append(i + n == raw.count ? 1 : 0)
            z += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            z += raw[i..<(i + n)]
            i += n
        } while i < raw.count
        var a: UInt32 = 1, b: UInt32 = 0
        for v in raw { a = (a + UInt32(v)) % 65521; b = (b + a) % 65521 }
        z += be32(b << 16 | a)
        let ihdr = be32(UInt32(width)) + be32(UInt32(height)) + [8, 2, 0, 0, 0]
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", z) + chunk("IEND", []))
    }

    /// (width, height) when `data` is a structurally valid PNG, else nil.
    static func validSize(_ data: Data) -> (Int, Int)? {
        let b = [UInt8](data)
        guard b.count > 8, Array(b[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { return nil }
        var i = 8
        var types: [String] = []
        var size: (Int, Int)? = nil
        while i + 12 <= b.count {
            let n = Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard i + 12 + n <= b.count else { return nil }
            let body = Array(b[(i + 4)..<(i + 8 + n)])
            let crc = UInt32(b[i + 8 + n]) << 24 | UInt32(b[i + 9 + n]) << 16 | UInt32(b[i + 10 + n]) << 8 | UInt32(b[i + 11 + n])
            guard crc32(body) == crc else { return nil }
            let type = String(decoding: body[0..<4], as: UTF8.self)
            if type == "IHDR" {
                size = (Int(body[4]) << 24 | Int(body[5]) << 16 | Int(body[6]) << 8 | Int(body[7]),
                        Int(body[8]) << 24 | Int(body[9]) << 16 | Int(body[10]) << 8 | Int(body[11]))
            }
            types.append(type)
            i += 12 + n
        }
        guard i == b.count, types.first == "IHDR", types.last == "IEND", types.contains("IDAT") else { return nil }
        return size
    }
}
