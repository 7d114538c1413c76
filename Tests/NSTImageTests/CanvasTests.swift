import Testing
import Foundation
@testable import NSTImage

@Suite struct BitmapFontTests {
    @Test func everyPrintableASCIIHasAGlyph() {
        for code in 32...126 {
            let c = Character(UnicodeScalar(UInt8(code)))
            #expect(BitmapFont.hasGlyph(c), "no glyph for \(c)")
        }
        #expect(!BitmapFont.hasGlyph("€"))
    }

    /// Letters and digits must be told apart (catches a glyph pasted twice): 0/O, 1/l/I, 5/S …
    @Test func lettersAndDigitsAreDistinct() {
        let chars = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var seen: [[UInt8]: Character] = [:]
        for c in chars {
            let g = BitmapFont.glyph(c)
            #expect(seen[g] == nil, "\(c) looks exactly like \(seen[g].map(String.init) ?? "")")
            seen[g] = c
            #expect(g.contains { $0 != 0 }, "\(c) is blank")
        }
    }

    @Test func textSize() {
        #expect(BitmapFont.size(of: "ab", scale: 2) == (22, 16))
        #expect(BitmapFont.size(of: "a\nbcd") == (17, 18))
        #expect(BitmapFont.size(of: "") == (0, 8))
    }
}

@Suite struct CanvasTests {
    static func inked(_ img: RGBImage) -> [(Int, Int)] {
        var out: [(Int, Int)] = []
        for y in 0..<img.height { for x in 0..<img.width where img[x, y] == .black { out.append((x, y)) } }
        return out
    }

    @Test func dashAtScaleThree() {
        var c = Canvas(width: 20, height: 30)
        c.drawText("-", x: 1, y: 1, scale: 3)
        let ink = Self.inked(c.image)
        #expect(ink.count == 5 * 3 * 3)
        #expect(ink.allSatisfy { (1...15).contains($0.0) && (10...12).contains($0.1) })
    }

    @Test func unknownCharacterIsABox() {
        var c = Canvas(width: 8, height: 10)
        c.drawText("€", x: 0, y: 0)
        #expect(Self.inked(c.image).count == 5 + 5 + 2 * 5)
    }

    @Test func drawingIsClipped() {
        var c = Canvas(width: 4, height: 4)
        var red = RGBImage(width: 3, height: 3, color: RGBColor(1, 0, 0))
        red[2, 2] = .black
        c.draw(red, x: -2, y: -2)      // only red's bottom-right pixel lands, at (0, 0)
        #expect(c.image[0, 0] == .black && c.image[1, 0] == .white && c.image[0, 1] == .white)
        c.draw(red, x: 3, y: 3)
        #expect(c.image[3, 3] == RGBColor(1, 0, 0))
        c.drawText("WWWW", x: 2, y: -3, scale: 2)   // no trap off the edges
        c.fill(x: -10, y: -10, width: 100, height: 1, color: .black)
    }

    @Test func sideBySideLayout() {
        let red = RGBImage(width: 10, height: 8, color: RGBColor(1, 0, 0))
        let blue = RGBImage(width: 12, height: 6, color: RGBColor(0, 0, 1))
        let fig = Canvas.sideBySide([(red, "A"), (blue, "B")], margin: 2, spacing: 3, labelScale: 1)
        // width: 2 margins + 10 + 3 + 12; height: 2 margins + 8 image rows + 4 gap + 8 label rows.
        #expect(fig.width == 29 && fig.height == 24)
        #expect(fig[2, 2] == RGBColor(1, 0, 0) && fig[11, 9] == RGBColor(1, 0, 0))
        #expect(fig[15, 2] == RGBColor(0, 0, 1) && fig[26, 7] == RGBColor(0, 0, 1))
        #expect(fig[15, 8] == .white)   // blue is shorter: background below it
        let ink = Self.inked(fig)
        #expect(ink.contains { $0.0 < 13 && $0.1 >= 14 })    // "A" under red
        #expect(ink.contains { $0.0 >= 15 && $0.1 >= 14 })   // "B" under blue
        #expect(ink.allSatisfy { $0.1 >= 14 && $0.1 < 22 })
    }

    @Test func wideLabelWidensItsColumnAndTitleIsDrawn() {
        let img = RGBImage(width: 4, height: 4, color: RGBColor(0, 1, 0))
        let fig = Canvas.sideBySide([(img, "wide label")], title: "T", margin: 0, labelScale: 1)
        #expect(fig.width == BitmapFont.size(of: "wide label").width)
        #expect(Self.inked(fig).contains { $0.1 < 8 })   // the title's ink in the top rows
    }
}
