import Testing
import Foundation
@testable import NSTImage

@Suite struct ResizeTests {
    /// 1-pixel black/white checkerboard.
    static func checkerboard(_ w: Int, _ h: Int) -> RGBImage {
        var img = RGBImage(width: w, height: h, color: .black)
        for y in 0..<h { for x in 0..<w where (x + y) % 2 == 0 { img[x, y] = .white } }
        return img
    }

    static func channelRange(_ img: RGBImage) -> (min: Float, max: Float) {
        (img.pixels.min()!, img.pixels.max()!)
    }

    /// A checkerboard is pure Nyquist frequency: downscaled it must become flat grey.
    /// (Point sampling would give pure black or white, or stripes.)
    @Test(arguments: ResampleFilter.allCases)
    func checkerboardBecomesUniformGrey(filter: ResampleFilter) {
        let small = Self.checkerboard(401, 299).resized(width: 37, height: 29, filter: filter)
        let (lo, hi) = Self.channelRange(small)
        #expect(lo > 0.46 && hi < 0.54, "\(filter): range \(lo)…\(hi)")
    }

    /// A sinusoid of period 2.7 px downscaled 10× lies far above the new Nyquist limit:
    /// it must vanish, not fold into a visible low-frequency pattern (moiré).
    @Test func highFrequencyStripesDoNotAlias() {
        var img = RGBImage(width: 1000, height: 40, color: .black)
        for y in 0..<40 { for x in 0..<1000 {
            let v = Float(0.5 + 0.5 * sin(2 * Double.pi * Double(x) / 2.7))
            img[x, y] = RGBColor(v, v, v)
        } }
        let small = img.resized(width: 100, height: 4)
        let (lo, hi) = Self.channelRange(small)
        #expect(hi - lo < 0.03, "residual contrast \(hi - lo)")
        // Point sampling shows what aliasing would look like here: a slow false wave.
        let pointSampled = (0..<100).map { img[$0 * 10 + 5, 0].red }
        #expect(pointSampled.max()! - pointSampled.min()! > 0.5)
    }

    @Test func linearLightAveragesLight() {
        let small = Self.checkerboard(64, 64).resized(width: 8, height: 8, filter: .box, space: .linear)
        // Half the light of white: linear 0.5 → sRGB 0.7354.
        for v in small.pixels { #expect(abs(v - 0.7354) < 0.002) }
    }

    @Test(arguments: ResampleFilter.allCases)
    func constantStaysConstant(filter: ResampleFilter) {
        let c = RGBColor(0.2, 0.6, 0.9)
        for (w, h) in [(7, 5), (50, 3), (1, 1), (200, 130)] {
            let out = RGBImage(width: 40, height: 30, color: c).resized(width: w, height: h, filter: filter)
            for y in 0..<h { for x in 0..<w { #expect(approx(out[x, y], c, tolerance: 1e-5)) } }
        }
    }

    /// Separable tables give the same result as the direct 2-D sum.
    @Test(arguments: [(5, 4), (20, 17), (13, 3)])
    func separableMatchesReference(size: (Int, Int)) {
        var rng: UInt64 = 7
        let src = RGBImage(width: 13, height: 9, pixels: (0..<(13 * 9 * 3)).map { _ in
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Float(rng >> 40) / Float(1 << 24)
        })
        for filter in ResampleFilter.allCases {
            let fast = src.resized(width: size.0, height: size.1, filter: filter)
            let slow = src.resizedReference(width: size.0, height: size.1, filter: filter)
            let worst = zip(fast.pixels, slow.pixels).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-5, "\(filter) → \(size): \(worst)")
        }
    }

    /// Agrees with Pillow's LANCZOS to within rounding (Pillow rounds to 8 bits between passes).
    @Test(arguments: [("resize-pil-lanczos-31x20.png", 31, 20), ("resize-pil-lanczos-150x94.png", 150, 94)])
    func matchesPillowLanczos(file: String, w: Int, h: Int) throws {
        let src = try ImageIO.read(fixture("resize-source.png"))
        let pil = try ImageIO.read(fixture(file))
        let ours = src.resized(width: w, height: h)
        let diffs = zip(ours.pixels, pil.pixels).map { abs($0 - $1) * 255 }
        let mean = diffs.reduce(0, +) / Float(diffs.count)
        #expect(mean < 0.4, "mean |diff| \(mean)/255")
        #expect(diffs.max()! < 1.5, "max |diff| \(diffs.max()!)/255")
    }

    @Test func upscalingInterpolates() {
        var img = RGBImage(width: 2, height: 1, color: .black)
        img[1, 0] = .white
        let big = img.resized(width: 8, height: 1, filter: .triangle)
        let reds = (0..<8).map { big[$0, 0].red }
        #expect(reds == reds.sorted())                 // monotone ramp
        #expect(reds[0] == 0 && reds[7] == 1)
        #expect(abs(reds[3] - 0.375) < 1e-6 && abs(reds[4] - 0.625) < 1e-6)
    }

    @Test func longestSideKeepsAspect() {
        let img = RGBImage(width: 4335, height: 2990, color: .white)
        #expect(RGBImage.size(width: img.width, height: img.height, longestSide: 384) == (384, 265))
        #expect(RGBImage.size(width: 360, height: 480, longestSide: 32) == (24, 32))
        let fitted = RGBImage(width: 100, height: 50, color: .black).resized(fittingWidth: 40, height: 40)
        #expect(fitted.width == 40 && fitted.height == 20)
    }

    @Test func cropping() throws {
        let img = try ImageIO.read(fixture("rgb.png"))
        let c = img.cropped(x: 2, y: 1, width: 3, height: 4)
        #expect(c.width == 3 && c.height == 4)
        #expect(c[0, 0] == img[2, 1] && c[2, 3] == img[4, 4])
        let sq = img.centerCropped(aspectWidth: 1, aspectHeight: 1)
        #expect(sq.width == 6 && sq.height == 6 && sq[0, 0] == img[1, 0])
    }

    /// The experiment's real style image (committed, 1024×706): read and shrunk to 384 px.
    @Test func greatWaveTo384() throws {
        let (wave, format) = try ImageIO.readWithFormat(try #require(exampleImage("great-wave.jpg")))
        #expect(format == .jpeg && wave.width == 1024 && wave.height == 706)
        let small = wave.resized(longestSide: 384)
        #expect(small.width == 384 && small.height == 265)
        // Anti-aliased result is close to a plain area average of the same pixels.
        let area = wave.resized(width: 384, height: 265, filter: .box)
        let mean = zip(small.pixels, area.pixels).map { abs($0 - $1) }.reduce(0, +) / Float(small.pixels.count)
        #expect(mean < 0.03, "mean |lanczos − area| = \(mean)")
    }
}
