import Testing
import Foundation
@testable import NSTImage

@Suite struct OrientationTests {
    /// exif-N.jpg store blocks.png turned the way a camera with orientation N would; read,
    /// they must come out upright: every 8×8 block centre the colour of blocks.png's.
    @Test(arguments: [3, 5, 6, 8])
    func jpegIsTurnedUpright(tag: Int) throws {
        let bytes = [UInt8](try Data(contentsOf: fixture("exif-\(tag).jpg")))
        #expect(ExifOrientation.of(jpeg: bytes).rawValue == tag)
        let upright = try ImageIO.read(fixture("exif-\(tag).jpg"))
        let blocks = try ImageIO.read(fixture("blocks.png"))
        #expect(upright.width == 24 && upright.height == 16)
        for by in 0..<2 { for bx in 0..<3 {
            let (x, y) = (8 * bx + 4, 8 * by + 4)
            #expect(approx(upright[x, y], blocks[x, y], tolerance: 20.0 / 255), "tag \(tag), block (\(bx), \(by))")
        } }
    }

    @Test func noExifMeansUp() throws {
        let bytes = [UInt8](try Data(contentsOf: fixture("baseline.jpg")))
        #expect(ExifOrientation.of(jpeg: bytes) == .up)
    }

    /// Hand-made TIFF blocks in both byte orders, and damaged ones (which mean "up").
    @Test func tiffParsing() {
        let little: [UInt8] = [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]
        let big: [UInt8] = [0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0]
        #expect(ExifOrientation.fromTIFF(little) == .rotatedClockwise)
        #expect(ExifOrientation.fromTIFF(big) == .rotatedCounterClockwise)
        for n in 0..<20 { #expect(ExifOrientation.fromTIFF(Array(little.prefix(n))) == nil) }   // cut before the value
        var badValue = little; badValue[18] = 9
        #expect(ExifOrientation.fromTIFF(badValue) == nil)
        var farIFD = little; farIFD[7] = 0x7F          // IFD offset far past the end
        #expect(ExifOrientation.fromTIFF(farIFD) == nil)
    }

    /// Each orientation and its inverse give the original back; the 90° ones swap sides.
    @Test func orientationsAreExactPermutations() throws {
        let img = try ImageIO.read(fixture("rgb.png"))   // 8×6, every pixel distinct
        let inverse: [ExifOrientation: ExifOrientation] = [
            .mirrored: .mirrored, .rotated180: .rotated180, .flipped: .flipped, .transposed: .transposed,
            .rotatedClockwise: .rotatedCounterClockwise, .rotatedCounterClockwise: .rotatedClockwise,
            .transversed: .transversed,
        ]
        for (o, back) in inverse {
            let turned = img.oriented(o)
            #expect(turned.width == (o.swapsSides ? 6 : 8))
            #expect(turned != img)
            #expect(turned.oriented(back) == img, "\(o)")
        }
        // Rotated clockwise: the top-left pixel comes from the source's bottom-left.
        #expect(img.oriented(.rotatedClockwise)[0, 0] == img[0, 5])
        #expect(img.oriented(.rotatedCounterClockwise)[0, 0] == img[7, 0])
    }
}
