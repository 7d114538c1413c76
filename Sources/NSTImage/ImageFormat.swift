/// The formats nst reads, told apart by their first bytes (never by the file's extension).
public enum ImageFormat: String, Sendable, Equatable {
    case png, jpeg

    public var name: String { self == .png ? "PNG" : "JPEG" }

    /// What the first bytes of a file say it is.
    public enum Sniffed: Equatable, Sendable {
        case readable(ImageFormat)
        /// A known image format nst does not decode, e.g. "GIF".
        case otherImage(String)
        /// Not an image; a guess at what it is, if any ("text", "a gzip archive", …).
        case notImage(String?)
    }

    /// Classifies a file by its magic bytes (the first 12 are enough).
    public static func sniff(_ bytes: some Collection<UInt8>) -> Sniffed {
        let b = Array(bytes.prefix(16))
        func starts(_ magic: [UInt8]) -> Bool { b.count >= magic.count && Array(b[0..<magic.count]) == magic }
        func ascii(_ s: String, at offset: Int = 0) -> Bool {
            let m = Array(s.utf8)
            return b.count >= offset + m.count && Array(b[offset..<(offset + m.count)]) == m
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .readable(.png) }
        if starts([0xFF, 0xD8, 0xFF]) { return .readable(.jpeg) }
        if ascii("GIF87a") || ascii("GIF89a") { return .otherImage("GIF") }
        if ascii("RIFF") && ascii("WEBP", at: 8) { return .otherImage("WebP") }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .otherImage("TIFF") }
        if ascii("BM") && b.count >= 14 { return .otherImage("BMP") }
        if ascii("ftypavif", at: 4) || ascii("ftypavis", at: 4) { return .otherImage("AVIF") }
        if ascii("ftypheic", at: 4) || ascii("ftypheix", at: 4) || ascii("ftypmif1", at: 4) { return .otherImage("HEIF") }
        if starts([0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]) { return .otherImage("JPEG 2000") }
        if starts([0xFF, 0x0A]) { return .otherImage("JPEG XL") }
        if ascii("8BPS") { return .otherImage("Photoshop (PSD)") }
        if b.count >= 2, b[0] == UInt8(ascii: "P"), (UInt8(ascii: "1")...UInt8(ascii: "7")).contains(b[1]) {
            return .otherImage("Netpbm (PNM)")
        }
        if starts([0x1F, 0x8B]) { return .notImage("a gzip archive") }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return .notImage("a zip archive") }
        if ascii("%PDF") { return .notImage("a PDF document") }
        if ascii("<svg") || ascii("<?xml") { return .notImage("XML/SVG text; rasterise SVG to PNG first") }
        if b.count >= 8 && b[0...7].allSatisfy({ $0 == 0 }) { return .notImage("zero bytes") }
        if !b.isEmpty && b.allSatisfy({ ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return .notImage("text")
        }
        return .notImage(nil)
    }
}
