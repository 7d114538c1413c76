import Foundation
import NSTFileIO
import _CPNG
import _CTurboJPEG
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading PNG/JPEG files into `RGBImage` and writing PNG.
///
/// Reading: the format is told by the file's first bytes, not its extension. PNG goes
/// through libpng's simplified API and JPEG through TurboJPEG: both report failure by a
/// return value and a message, so no setjmp/longjmp ever crosses Swift frames (keep it so:
/// never call the classic png_read_* / jpeg_* APIs from here).
/// - PNG: grayscale, palette, 16-bit and tRNS/alpha images all become 8-bit RGB. 16-bit
///   data without gAMA/sRGB chunks is taken as sRGB-encoded (`PNG_IMAGE_FLAG_16BIT_sRGB`),
///   which is what nearly every 16-bit PNG holds. Alpha is composited onto white (libpng
///   does this in linear light); transparent areas come out white.
/// - JPEG: baseline, progressive, grayscale and CMYK/YCCK (converted to RGB with the
///   naive formula R = (1−C)(1−K), honouring Adobe's inverted storage) all read, then
///   turned upright by their EXIF orientation. Any warning from libjpeg (e.g. "Premature
///   end of JPEG file") counts as failure.
/// Limits are checked against the header's dimensions before pixel memory is allocated.
public enum ImageIO {
    /// Reads a PNG or JPEG file. Errors are `ImageError`, one line naming the file as the
    /// caller gave it (`url.relativePath`: a relative path stays relative).
    public static func read(_ url: URL, limits: ImageLimits = .default) throws -> RGBImage {
        try readWithFormat(url, limits: limits).image
    }

    /// Like `read`, also saying which format the file was.
    public static func readWithFormat(_ url: URL, limits: ImageLimits = .default) throws -> (image: RGBImage, format: ImageFormat) {
        let bytes = try readFile(url.path, shownAs: url.relativePath, limits: limits)
        return try decode(bytes, path: url.relativePath, limits: limits)
    }

    /// Decodes PNG or JPEG bytes already in memory; `path` is only used in error messages.
    public static func decode(_ bytes: [UInt8], path: String, limits: ImageLimits = .default) throws -> (image: RGBImage, format: ImageFormat) {
        switch try readableFormat(bytes, path: path) {
        case .png: return (try decodePNG(bytes, path: path, limits: limits), .png)
        case .jpeg: return (try decodeJPEG(bytes, path: path, limits: limits), .jpeg)
        }
    }

    /// The format the first bytes announce, or the error saying why they are not one nst reads.
    static func readableFormat(_ firstBytes: [UInt8], path: String) throws -> ImageFormat {
        if firstBytes.isEmpty { throw ImageError(path: path, kind: .empty) }
        switch ImageFormat.sniff(firstBytes) {
        case .readable(let format): return format
        case .otherImage(let name): throw ImageError(path: path, kind: .unsupportedFormat(name))
        case .notImage(let guess): throw ImageError(path: path, kind: .notAnImage(detected: guess))
        }
    }

    /// Writes `image` as an 8-bit RGB PNG (values clamped to 0…1, rounded to nearest).
    /// Atomic: the PNG is written to a temporary file in the same folder, flushed, and
    /// renamed over `url`, so a crash or Ctrl-C never leaves a half-written file.
    public static func writePNG(_ image: RGBImage, to url: URL) throws {
        let path = url.relativePath
        guard image.width > 0, image.height > 0 else {
            throw ImageError(path: path, kind: .writeFailed("the image is empty (\(image.width)×\(image.height))"))
        }
        let bytes = try encodePNG(image, path: path)
        try writeAtomically(bytes, to: url.path, shownAs: path)
    }

    /// The PNG file's bytes for `image` (8-bit RGB, sRGB).
    public static func encodePNG(_ image: RGBImage, path: String = "<memory>") throws -> [UInt8] {
        let rgb = toBytes(image)
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = UInt32(PNG_FORMAT_RGB)
        var size = 0
        // First call measures, second call writes.
        let measured = rgb.withUnsafeBytes { png_image_write_to_memory(&png, nil, &size, 0, $0.baseAddress, 0, nil) }
        guard measured != 0, size > 0 else {
            defer { png_image_free(&png) }
            throw ImageError(path: path, kind: .writeFailed(message(of: &png)))
        }
        var out = [UInt8](repeating: 0, count: size)
        let written = out.withUnsafeMutableBytes { dst in
            rgb.withUnsafeBytes { png_image_write_to_memory(&png, dst.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
        }
        guard written != 0 else {
            defer { png_image_free(&png) }
            throw ImageError(path: path, kind: .writeFailed(message(of: &png)))
        }
        return Array(out.prefix(size))
    }

    /// Float 0…1 → UInt8, clamped, rounded to nearest; NaN → 0.
    static func toBytes(_ image: RGBImage) -> [UInt8] {
        image.pixels.map { v -> UInt8 in
            guard v > 0 else { return 0 }
            return v >= 1 ? 255 : UInt8(v * 255 + 0.5)
        }
    }

    /// 0…255 → 0…1 lookup.
    static let byteToFloat: [Float] = (0...255).map { Float($0) / 255 }

    // MARK: - Files

    static func systemError(_ e: Int32 = errno) -> String { String(cString: strerror(e)) }

    /// The whole file, read only after its first bytes say it is a PNG or JPEG. Refused
    /// without reading: directories, FIFOs, devices and sockets (opened non-blocking, so a
    /// FIFO without a writer cannot hang us), and files over `limits.maxFileBytes`.
    static func readFile(_ filePath: String, shownAs path: String, limits: ImageLimits) throws -> [UInt8] {
        let file: RegularFile
        switch RegularFile.open(filePath) {
        case .success(let f): file = f
        case .failure(.notRegular(.folder)): throw ImageError(path: path, kind: .isDirectory)
        case .failure(.notRegular(let kind)): throw ImageError(path: path, kind: .notRegularFile(kind.description))
        case .failure(.cannotOpen(let e)): throw ImageError(path: path, kind: .cannotOpen(systemError(e)))
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        // The first 16 bytes alone decide the format (ImageFormat.sniff), so they come first.
        var want = 16
        while true {
            let n = chunk.withUnsafeMutableBytes { file.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<min(want, $0.count)])) }
            if n < 0 { throw ImageError(path: path, kind: .cannotOpen(systemError())) }
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if want == 16 && (bytes.count >= 16 || n == 0) {
                _ = try readableFormat(bytes, path: path)
                let declared = file.size
                if declared > limits.maxFileBytes {
                    throw ImageError(path: path, kind: .fileTooLarge(bytes: declared, limit: limits.maxFileBytes))
                }
                bytes.reserveCapacity(max(declared, bytes.count))
                want = chunk.count
            }
            if n == 0 { break }
            if bytes.count > limits.maxFileBytes {   // the file grew while we read it
                throw ImageError(path: path, kind: .fileTooLarge(bytes: bytes.count, limit: limits.maxFileBytes))
            }
        }
        return bytes
    }

    /// Writes through a one-file `OutputTransaction` (a fresh temp file beside `path`,
    /// fsynced, renamed over it: readers see the old file or the new one).
    static func writeAtomically(_ bytes: [UInt8], to filePath: String, shownAs path: String) throws {
        do {
            try OutputTransaction.write(bytes, to: filePath)
        } catch {
            throw ImageError(path: path, kind: .writeFailed(error.why))
        }
    }

    // MARK: - PNG (libpng simplified API)

    static func message(of png: inout png_image) -> String {
        withUnsafeBytes(of: &png.message) { raw in
            let s = String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            return s.isEmpty ? "libpng gave no reason" : s
        }
    }

    /// libpng's messages for data that stops early.
    static func pngMessageMeansTruncated(_ m: String) -> Bool {
        let l = m.lowercased()
        return ["out of data", "not enough", "unexpected end", "end of", "truncated", "too short", "read beyond"]
            .contains { l.contains($0) }
    }

    static func decodePNG(_ bytes: [UInt8], path: String, limits: ImageLimits) throws -> RGBImage {
        // libpng keeps a pointer to the encoded bytes from begin_read until finish_read, so
        // both run inside one withUnsafeBytes scope.
        try bytes.withUnsafeBytes { encoded in
            try decodePNG(encoded, path: path, limits: limits)
        }
    }

    private static func decodePNG(_ encoded: UnsafeRawBufferPointer, path: String, limits: ImageLimits) throws -> RGBImage {
        func failure(_ png: inout png_image) -> ImageError {
            let m = message(of: &png)
            return ImageError(path: path, kind: pngMessageMeansTruncated(m) ? .truncated(format: .png, detail: m)
                                                                            : .corrupt(format: .png, detail: m))
        }
        // libpng refuses a zero width or height as "Invalid IHDR data"; say what it is instead.
        if encoded.count >= 24, encoded[12] == 0x49, encoded[13] == 0x48, encoded[14] == 0x44, encoded[15] == 0x52 {   // IHDR
            let w = encoded[16..<20].reduce(0) { $0 << 8 | Int($1) }, h = encoded[20..<24].reduce(0) { $0 << 8 | Int($1) }
            if w == 0 || h == 0 { throw ImageError(path: path, kind: .zeroSize(format: .png, width: w, height: h)) }
        }
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_memory(&png, encoded.baseAddress, encoded.count) != 0 else {
            throw failure(&png)   // libpng frees the image itself on failure
        }
        let w = Int(png.width), h = Int(png.height)
        guard w > 0, h > 0 else {
            png_image_free(&png)
            throw ImageError(path: path, kind: .zeroSize(format: .png, width: w, height: h))
        }
        guard limits.allows(width: w, height: h) else {
            png_image_free(&png)
            throw ImageError(path: path, kind: .tooLarge(width: w, height: h, limits: limits))
        }
        // Only settable after begin_read (which initialises `flags`).
        png.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
        png.format = UInt32(PNG_FORMAT_RGB)
        var rgb = [UInt8](repeating: 0, count: 3 * w * h)
        var white = png_color(red: 255, green: 255, blue: 255)
        let finished = rgb.withUnsafeMutableBytes {
            png_image_finish_read(&png, &white, $0.baseAddress, Int32(3 * w), nil)
        }
        guard finished != 0 else {
            let e = failure(&png)
            png_image_free(&png)   // safe after libpng's own clean-up: it checks `opaque`
            throw e
        }
        png_image_free(&png)
        let lut = byteToFloat
        return RGBImage(width: w, height: h, pixels: rgb.map { lut[Int($0)] })
    }

    // MARK: - JPEG (TurboJPEG)

    static func turboMessage(_ handle: tjhandle?) -> String {
        guard let cString = tjGetErrorStr2(handle) else { return "TurboJPEG gave no reason" }
        let s = String(cString: cString)
        return s.isEmpty ? "TurboJPEG gave no reason" : s
    }

    static func jpegMessageMeansTruncated(_ m: String) -> Bool {
        let l = m.lowercased()
        return l.contains("premature end") || l.contains("end of file") || l.contains("insufficient data")
    }

    static func decodeJPEG(_ bytes: [UInt8], path: String, limits: ImageLimits) throws -> RGBImage {
        guard let handle = tjInitDecompress() else {
            throw ImageError(path: path, kind: .corrupt(format: .jpeg, detail: "TurboJPEG could not start: \(turboMessage(nil))"))
        }
        defer { tjDestroy(handle) }
        func failure() -> ImageError {
            let m = turboMessage(handle)
            return ImageError(path: path, kind: jpegMessageMeansTruncated(m) ? .truncated(format: .jpeg, detail: m)
                                                                             : .corrupt(format: .jpeg, detail: m))
        }
        var w: Int32 = 0, h: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let header = bytes.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt($0.count), &w, &h, &subsampling, &colorspace)
        }
        guard header == 0 else { throw failure() }
        if w == 0 && h == 0 {
            // TurboJPEG 2.1 accepts a tables-only stream (no frame header) and reports 0×0.
            throw ImageError(path: path, kind: .corrupt(format: .jpeg, detail: "no frame header: the file holds no image"))
        }
        guard w > 0, h > 0 else { throw ImageError(path: path, kind: .zeroSize(format: .jpeg, width: Int(w), height: Int(h))) }
        let width = Int(w), height = Int(h)
        guard limits.allows(width: width, height: height) else {
            throw ImageError(path: path, kind: .tooLarge(width: width, height: height, limits: limits))
        }
        let isCMYK = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let channels = isCMYK ? 4 : 3
        let format = isCMYK ? TJPF_CMYK : TJPF_RGB
        // STOPONWARNING: a truncated or damaged stream fails instead of being padded with grey.
        // LIMITSCANS: refuse progressive files with absurd scan counts (a known denial of service).
        let flags = TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS
        var decoded = [UInt8](repeating: 0, count: channels * width * height)
        let status = decoded.withUnsafeMutableBufferPointer { dst in
            bytes.withUnsafeBufferPointer { src in
                tjDecompress2(handle, src.baseAddress, UInt(src.count), dst.baseAddress, w, 0, h,
                              Int32(format.rawValue), flags)
            }
        }
        guard status == 0 else { throw failure() }
        let lut = byteToFloat
        let image = isCMYK ? RGBImage(width: width, height: height, pixels: cmykToRGB(decoded, inverted: hasAdobeMarker(bytes)))
                           : RGBImage(width: width, height: height, pixels: decoded.map { lut[Int($0)] })
        return image.oriented(ExifOrientation.of(jpeg: bytes))
    }

    /// CMYK bytes (4 per pixel) → RGB 0…1 by R = (1−C)(1−K), G = (1−M)(1−K), B = (1−Y)(1−K),
    /// rounded to 8-bit levels like every other decoded pixel (so a PNG written from the
    /// result reads back identical). No colour management: ICC profiles are ignored, so
    /// colours are approximate. `inverted`: the file stores 255−ink (Adobe/Photoshop
    /// convention, and what libjpeg writes with its Adobe marker), so 1−C is simply the
    /// stored value / 255.
    static func cmykToRGB(_ cmyk: [UInt8], inverted: Bool) -> [Float] {
        let n = cmyk.count / 4
        let lut = byteToFloat
        var rgb = [Float](repeating: 0, count: 3 * n)
        for i in 0..<n {
            // Each as 255·(1 − ink).
            var c = Int(cmyk[4 * i]), m = Int(cmyk[4 * i + 1]), y = Int(cmyk[4 * i + 2]), k = Int(cmyk[4 * i + 3])
            if !inverted { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k }
            rgb[3 * i] = lut[(c * k + 127) / 255]
            rgb[3 * i + 1] = lut[(m * k + 127) / 255]
            rgb[3 * i + 2] = lut[(y * k + 127) / 255]
        }
        return rgb
    }

    /// True when the JPEG has an Adobe APP14 segment before its first scan.
    static func hasAdobeMarker(_ b: [UInt8]) -> Bool {
        var i = 2
        while i + 4 <= b.count {
            guard b[i] == 0xFF else { return false }
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }               // fill byte
            if marker == 0xDA || marker == 0xD9 { return false } // start of scan / end of image
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            if marker == 0xEE, length >= 7, i + 9 <= b.count,
               Array(b[(i + 4)..<(i + 9)]) == Array("Adobe".utf8) {
                return true
            }
            i += 2 + length
        }
        return false
    }
}

