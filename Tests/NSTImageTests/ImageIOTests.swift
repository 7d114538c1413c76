import Testing
import Foundation
@testable import NSTImage

@Suite struct PNGReadingTests {
    @Test func rgbPNGIsExact() throws {
        let (img, format) = try ImageIO.readWithFormat(fixture("rgb.png"))
        #expect(format == .png)
        #expect(img.width == 8 && img.height == 6)
        for y in 0..<6 { for x in 0..<8 { #expect(img[x, y] == rgb8(32 * x, 40 * y, 200)) } }
    }

    @Test func grayPNGBecomesEqualRGB() throws {
        let img = try ImageIO.read(fixture("gray.png"))
        #expect(img.width == 8 && img.height == 6)
        for y in 0..<6 { for x in 0..<8 { let v = 30 * x + 5 * y; #expect(img[x, y] == rgb8(v, v, v)) } }
    }

    @Test func palettePNGExpands() throws {
        let img = try ImageIO.read(fixture("palette.png"))
        let expected = [rgb8(255, 0, 0), rgb8(0, 255, 0), rgb8(0, 0, 255), rgb8(255, 255, 255),
                        rgb8(0, 0, 0), rgb8(10, 20, 30), rgb8(255, 0, 0), rgb8(0, 255, 0)]
        #expect(img.width == 4 && img.height == 2)
        for i in 0..<8 { #expect(img[i % 4, i / 4] == expected[i]) }
    }

    /// 16-bit values are taken as sRGB (PNG_IMAGE_FLAG_16BIT_sRGB): 32896/65535 → 128/255,
    /// not the 188/255 a linear interpretation would give. Transparent → white.
    @Test func sixteenBitWithAlphaIsSRGBOnWhite() throws {
        let img = try ImageIO.read(fixture("rgba16.png"))
        #expect(img.width == 4 && img.height == 1)
        #expect(img[0, 0] == rgb8(255, 0, 0))
        #expect(approx(img[1, 0], rgb8(0, 128, 0), tolerance: 1.0 / 255))
        #expect(img[2, 0] == .white)
        #expect(img[3, 0] == .white)
    }

    @Test func transparentPixelsCompositeOnWhite() throws {
        let img = try ImageIO.read(fixture("rgba8.png"))
        #expect(img[0, 0] == rgb8(255, 0, 0))
        #expect(img[1, 0] == .white)
    }

    @Test func wrongExtensionStillReads() throws {
        let (img, format) = try ImageIO.readWithFormat(fixture("png-named.jpg"))
        #expect(format == .png)
        #expect(img == (try ImageIO.read(fixture("rgb.png"))))
        let (jpg, jpgFormat) = try ImageIO.readWithFormat(fixture("jpeg-named.png"))
        #expect(jpgFormat == .jpeg)
        #expect(jpg == (try ImageIO.read(fixture("baseline.jpg"))))
    }
}

@Suite struct JPEGReadingTests {
    /// Quality-95 JPEG of (8x, 8y, 128): every pixel within 12/255 of the source.
    static func checkGradient(_ img: RGBImage) {
        #expect(img.width == 32 && img.height == 24)
        var worst: Float = 0
        for y in 0..<24 {
            for x in 0..<32 {
                let p = img[x, y], e = rgb8(8 * x, 8 * y, 128)
                worst = max(worst, abs(p.red - e.red), abs(p.green - e.green), abs(p.blue - e.blue))
            }
        }
        #expect(worst < 12.0 / 255, "worst channel error \(worst * 255)/255")
    }

    @Test func baseline() throws {
        let (img, format) = try ImageIO.readWithFormat(fixture("baseline.jpg"))
        #expect(format == .jpeg)
        Self.checkGradient(img)
    }

    @Test func progressive() throws { Self.checkGradient(try ImageIO.read(fixture("progressive.jpg"))) }

    @Test func grayscaleJPEGBecomesEqualRGB() throws {
        let img = try ImageIO.read(fixture("gray.jpg"))
        #expect(img.width == 32 && img.height == 24)
        for y in 0..<24 { for x in 0..<32 {
            let p = img[x, y]
            #expect(p.red == p.green && p.green == p.blue)
            // Pillow's L = (299 R + 587 G + 114 B) / 1000
            let l = (299 * 8 * x + 587 * 8 * y + 114 * 128) / 1000
            #expect(abs(p.red - Float(l) / 255) < 12.0 / 255)
        } }
    }

    /// Quadrant centres: white, cyan, 50 % grey (K = 128 → 127/255), red.
    @Test func cmykIsConvertedToRGB() throws {
        let img = try ImageIO.read(fixture("cmyk.jpg"))
        #expect(img.width == 16 && img.height == 16)
        let t: Float = 8.0 / 255
        #expect(approx(img[3, 3], rgb8(255, 255, 255), tolerance: t))
        #expect(approx(img[12, 3], rgb8(0, 255, 255), tolerance: t))
        #expect(approx(img[3, 12], rgb8(127, 127, 127), tolerance: t))
        #expect(approx(img[12, 12], rgb8(255, 0, 0), tolerance: t))
    }

    @Test func adobeMarkerIsFound() throws {
        let cmyk = try Data(contentsOf: fixture("cmyk.jpg"))
        let plain = try Data(contentsOf: fixture("baseline.jpg"))
        #expect(ImageIO.hasAdobeMarker([UInt8](cmyk)))
        #expect(!ImageIO.hasAdobeMarker([UInt8](plain)))
        #expect(!ImageIO.hasAdobeMarker([0xFF, 0xD8, 0xFF, 0xEE, 0xFF]))   // cut short: no crash
    }

    @Test func cmykFormulaBothStorageConventions() {
        // ink C=255 (cyan), K=0: inverted storage keeps 255−ink.
        #expect(ImageIO.cmykToRGB([0, 255, 255, 255], inverted: true) == [0, 1, 1])
        #expect(ImageIO.cmykToRGB([255, 0, 0, 0], inverted: false) == [0, 1, 1])
    }
}

@Suite struct BadImageTests {
    /// Each error is one line, starts with the path, and says what is wrong.
    func expectOneLine(_ e: ImageError?, _ name: String, _ phrase: String) {
        guard let e else { Issue.record("\(name) was read without error"); return }
        let text = e.description
        #expect(!text.contains("\n"), "\(text)")
        #expect(text.hasPrefix(fixture(name).path + ": "), "\(text)")
        #expect(text.contains(phrase), "\(text)")
    }

    @Test func empty() { expectOneLine(readError("empty.png"), "empty.png", "empty (0 bytes)") }
    @Test func text() { expectOneLine(readError("text.jpg"), "text.jpg", "not a PNG or JPEG image (it looks like text)") }
    @Test func gif() { expectOneLine(readError("picture.gif"), "picture.gif", "is a GIF image") }

    @Test func truncatedPNG() {
        let e = readError("truncated.png")
        expectOneLine(e, "truncated.png", "truncated PNG")
    }

    @Test func corruptPNG() { expectOneLine(readError("corrupt.png"), "corrupt.png", "corrupt PNG") }

    @Test func truncatedJPEG() {
        expectOneLine(readError("truncated.jpg"), "truncated.jpg", "truncated JPEG")
    }

    @Test func corruptJPEG() {
        expectOneLine(readError("corrupt.jpg"), "corrupt.jpg", "corrupt JPEG file (no frame header: the file holds no image)")
    }

    @Test func hugePNGRefusedFromHeader() {
        let e = readError("huge.png")
        expectOneLine(e, "huge.png", "image too large: 100000×100000")
        #expect(e?.kind == .tooLarge(width: 100000, height: 100000, limits: ImageLimits()))
        #expect(e?.description.contains("NST_MAX_IMAGE_PIXELS") == true)
    }

    @Test func hugeJPEGRefusedFromHeader() {
        let e = readError("huge.jpg")
        expectOneLine(e, "huge.jpg", "image too large: 65500×65500")
    }

    @Test func zeroSizedImages() {
        // The 0 width in IHDR is caught before libpng (which would say "Invalid IHDR data");
        // TurboJPEG refuses a 0 height itself.
        expectOneLine(readError("zero.png"), "zero.png", "corrupt PNG file: its header declares 0×")
        expectOneLine(readError("zero.jpg"), "zero.jpg", "corrupt JPEG")
    }

    @Test func limitsApplyToOrdinaryImages() {
        let e = readError("baseline.jpg", limits: ImageLimits(maxSide: 16))
        #expect(e?.kind == .tooLarge(width: 32, height: 24, limits: ImageLimits(maxSide: 16)))
        let p = readError("rgb.png", limits: ImageLimits(maxPixels: 47))
        #expect(p?.kind == .tooLarge(width: 8, height: 6, limits: ImageLimits(maxPixels: 47)))
        #expect(readError("rgb.png", limits: ImageLimits(maxPixels: 48)) == nil)
        let f = readError("rgb.png", limits: ImageLimits(maxFileBytes: 10))
        #expect(f?.kind == .fileTooLarge(bytes: 82, limit: 10))
    }

    @Test func missingFileAndDirectory() {
        let missing = readError("no-such-file.png")
        expectOneLine(missing, "no-such-file.png", "cannot open the file (No such file or directory)")
        do {
            _ = try ImageIO.read(fixture(""))
            Issue.record("a directory was read")
        } catch {
            #expect("\(error)".contains("is a directory"))
        }
    }

    @Test func relativePathsStayRelativeInMessages() {
        do {
            _ = try ImageIO.read(URL(fileURLWithPath: "no-such-dir/x.png"))
        } catch {
            #expect("\(error)" == "no-such-dir/x.png: cannot open the file (No such file or directory)")
        }
    }

    @Test func limitsFromEnvironment() {
        let l = ImageLimits.fromEnvironment(["NST_MAX_IMAGE_SIDE": "100", "NST_MAX_IMAGE_PIXELS": "x", "NST_MAX_IMAGE_BYTES": "-5"])
        #expect(l == ImageLimits(maxSide: 100))
        #expect(!l.allows(width: 101, height: 1))
        #expect(!ImageLimits().allows(width: Int.max, height: Int.max))   // no overflow trap
    }

    /// Every prefix of a valid PNG and JPEG fails cleanly, or (when only trailing chunks
    /// such as IEND are missing) decodes to exactly the full image.
    @Test func everyPrefixFailsCleanlyOrIsComplete() throws {
        for name in ["rgb.png", "progressive.jpg", "cmyk.jpg", "palette.png"] {
            let bytes = [UInt8](try Data(contentsOf: fixture(name)))
            let full = try ImageIO.decode(bytes, path: name).image
            var failures = 0
            for n in 0..<bytes.count {
                do {
                    let partial = try ImageIO.decode(Array(bytes.prefix(n)), path: name).image
                    #expect(partial == full, "\(name) cut to \(n) bytes decoded to a different image")
                } catch let e as ImageError {
                    failures += 1
                    #expect(e.description.hasPrefix("\(name): "))
                }
            }
            #expect(failures >= bytes.count - 16, "\(name): only \(failures) of \(bytes.count) prefixes failed")
        }
    }

    @Test func sniffing() {
        #expect(ImageFormat.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) == .readable(.png))
        #expect(ImageFormat.sniff([0xFF, 0xD8, 0xFF, 0xE0]) == .readable(.jpeg))
        #expect(ImageFormat.sniff(Array("RIFF\0\0\0\0WEBPVP8 ".utf8)) == .otherImage("WebP"))
        #expect(ImageFormat.sniff(Array("%PDF-1.7".utf8)) == .notImage("a PDF document"))
        #expect(ImageFormat.sniff([0xFF]) == .notImage(nil))
    }
}

/// The invariants the fuzz targets (Tests/Fuzz/png, Tests/Fuzz/jpeg) check, over every fixture: a file
/// either reads, with 8-bit pixel levels that survive a PNG round trip exactly, or fails
/// with one line naming it.
@Suite struct FixtureInvariantTests {
    @Test func everyFixtureReadsExactlyOrFailsInOneLine() throws {
        let dir = fixture("")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasSuffix(".py") }.sorted()
        #expect(names.count > 25)
        for name in names {
            do {
                let image = try ImageIO.read(fixture(name))
                #expect(image.pixels.allSatisfy { ($0 * 255).rounded() == $0 * 255 && $0 >= 0 && $0 <= 1 }, "\(name)")
                let again = try ImageIO.decode(try ImageIO.encodePNG(image), path: name).image
                #expect(again == image, "\(name): PNG round trip changed pixels")
            } catch let e as ImageError {
                #expect(!e.description.contains("\n") && e.description.hasPrefix(fixture(name).path + ": "))
            }
        }
    }

    /// The fuzz targets' committed corpora (Tests/Fuzz/corpus/png and jpeg), decoded in memory.
    @Test func fuzzCorpusReadsExactlyOrFailsInOneLine() throws {
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<2 { dir = dir.deletingLastPathComponent() }
        let files = try ["png", "jpeg"].flatMap { format in
            let d = dir.appendingPathComponent("Fuzz/corpus/\(format)")
            return try FileManager.default.contentsOfDirectory(atPath: d.path).sorted().map { (d, $0) }
        }
        #expect(files.count >= 12)
        var decoded = 0
        for (dir, name) in files {
            let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
            do {
                let image = try ImageIO.decode(bytes, path: name).image
                decoded += 1
                #expect(try ImageIO.decode(try ImageIO.encodePNG(image), path: name).image == image, "\(name)")
            } catch let e as ImageError {
                #expect(!e.description.contains("\n") && e.description.hasPrefix(name + ": "))
            }
        }
        #expect(decoded > 0)
    }

    /// Found by the fuzzer: a CMYK JPEG whose converted pixels were not on 8-bit levels, so
    /// writing them as PNG changed them.
    @Test func cmykPixelsAreOnEightBitLevels() throws {
        let image = try ImageIO.read(fixture("fuzz-cmyk-rounding.jpg"))
        #expect(image.width == 16 && image.height == 16)
        #expect(try ImageIO.decode(try ImageIO.encodePNG(image), path: "x").image == image)
    }
}

@Suite struct PNGWritingTests {
    @Test func roundTripIsExactFor8BitValues() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let original = try ImageIO.read(fixture("rgb.png"))
        let out = dir.appendingPathComponent("out.png")
        try ImageIO.writePNG(original, to: out)
        #expect(try ImageIO.read(out) == original)
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.png"])
    }

    @Test func valuesAreClampedAndRounded() throws {
        let img = RGBImage(width: 2, height: 1, pixels: [-0.5, .nan, 2, 0.5, 0.2, 1])
        let bytes = ImageIO.toBytes(img)
        #expect(bytes == [0, 0, 255, 128, 51, 255])
        let decoded = try ImageIO.decode(try ImageIO.encodePNG(img), path: "mem").image
        #expect(decoded.pixels.map { UInt8($0 * 255 + 0.5) } == bytes)
    }

    @Test func replacesExistingFileAndReportsBadFolder() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("x.png")
        try Data("old".utf8).write(to: out)
        try ImageIO.writePNG(RGBImage(width: 3, height: 2, color: .white), to: out)
        #expect(try ImageIO.read(out).width == 3)
        let bad = dir.appendingPathComponent("missing-folder/x.png")
        #expect(throws: ImageError.self) { try ImageIO.writePNG(RGBImage(width: 1, height: 1, color: .black), to: bad) }
        do {
            try ImageIO.writePNG(RGBImage(width: 1, height: 1, color: .black), to: bad)
        } catch {
            #expect("\(error)".hasPrefix(bad.path + ": cannot write the PNG (No such file or directory)"))
        }
    }
}
