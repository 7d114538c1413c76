import Testing
import Foundation
import NSTImage
import NSTTerminal

/// The graphics protocols' escape sequences, the environment that picks one, and the band
/// where two images differ most.
@Suite struct ImageProtocolTests {
    @Test func theEnvironmentPicksTheProtocol() {
        #expect(TerminalImageProtocol.detect(environment: [:]) == .cells)
        #expect(TerminalImageProtocol.detect(environment: ["TERM": "xterm-256color"]) == .cells)
        #expect(TerminalImageProtocol.detect(environment: ["TERM": "xterm-kitty"]) == .kitty)
        #expect(TerminalImageProtocol.detect(environment: ["TERM": "screen", "KITTY_WINDOW_ID": "3"]) == .kitty)
        #expect(TerminalImageProtocol.detect(environment: ["TERM_PROGRAM": "iTerm.app"]) == .iterm2)
        #expect(TerminalImageProtocol.detect(environment: ["TERM_PROGRAM": "WezTerm"]) == .iterm2)
        #expect(TerminalImageProtocol.detect(environment: ["TERM": "foot"]) == .sixel)
        #expect(TerminalImageProtocol.detect(environment: ["TERM": "mlterm"]) == .sixel)
        // The explicit choice wins; an unknown value is ignored.
        #expect(TerminalImageProtocol.detect(environment: ["TERM": "xterm-kitty", "NST_IMAGE_PROTOCOL": "cells"]) == .cells)
        #expect(TerminalImageProtocol.detect(environment: ["NST_IMAGE_PROTOCOL": "SIXEL"]) == .sixel)
        #expect(TerminalImageProtocol.detect(environment: ["TERM": "xterm-kitty", "NST_IMAGE_PROTOCOL": "bogus"]) == .kitty)
    }

    @Test func kittySendsThePNGInChunksOfAtMost4096() {
        let png = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let s = TerminalGraphics.kitty(png: png)
        let chunks = s.dropLast().components(separatedBy: "\u{1B}\\").filter { !$0.isEmpty }
        #expect(chunks.count == 4)   // 13 336 base64 characters
        #expect(chunks.first!.hasPrefix("\u{1B}_Gf=100,a=T,q=2,m=1;"))
        #expect(chunks.last!.hasPrefix("\u{1B}_Gm=0;"))
        let payloads = chunks.map { String($0[$0.index(after: $0.firstIndex(of: ";")!)...]) }
        #expect(payloads.allSatisfy { $0.count <= 4096 })
        #expect(Data(base64Encoded: payloads.joined()) == Data(png))
    }

    @Test func iterm2SendsThePNGWhole() {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]
        let s = TerminalGraphics.iterm2(png: png, name: "first.png")
        #expect(s.hasPrefix("\u{1B}]1337;File=name=\(Data("first.png".utf8).base64EncodedString());size=7;inline=1;"))
        #expect(s.hasSuffix(":\(Data(png).base64EncodedString())\u{07}\n"))
    }

    /// A small sixel decoder: the colour register of every pixel.
    func decodeSixel(_ s: String) -> (width: Int, height: Int, pixels: [[Int]]) {
        let body = s.components(separatedBy: "q").dropFirst().joined(separator: "q")
        var scanner = Array(body.unicodeScalars)
        if scanner.last == "\n" { scanner.removeLast() }
        var i = 0
        func number() -> Int { var n = 0; while i < scanner.count, let d = Int(String(scanner[i])) { n = n * 10 + d; i += 1 }; return n }
        var width = 0, height = 0
        var pixels: [[Int]] = []
        var colour = 0, x = 0, band = 0
        func set(_ bits: Int, count: Int) {
            for _ in 0..<count {
                for dy in 0..<6 where bits & (1 << dy) != 0 {
                    let y = band * 6 + dy
                    if y < height && x < width { pixels[y][x] = colour }
                }
                x += 1
            }
        }
        while i < scanner.count {
            let c = scanner[i]
            switch c {
            case "\"": i += 1; _ = number(); i += 1; _ = number(); i += 1; width = number(); i += 1; height = number()
                pixels = Array(repeating: Array(repeating: -1, count: width), count: height)
            case "#": i += 1; colour = number()
                if i < scanner.count && scanner[i] == ";" { i += 1; _ = number(); i += 1; _ = number(); i += 1; _ = number(); i += 1; _ = number() }
            case "!": i += 1; let n = number(); set(Int(scanner[i].value) - 63, count: n); i += 1
            case "$": x = 0; i += 1
            case "-": x = 0; band += 1; i += 1
            case "\u{1B}": i = scanner.count
            default: set(Int(c.value) - 63, count: 1); i += 1
            }
        }
        return (width, height, pixels)
    }

    @Test func sixelDrawsEveryPixelInItsCubeColour() {
        let w = 13, h = 9
        var pixels = [Float](repeating: 0, count: w * h * 3)
        for y in 0..<h { for x in 0..<w { pixels[3 * (y * w + x)] = x < 6 ? 1 : 0; pixels[3 * (y * w + x) + 2] = y < 4 ? 1 : 0.4 } }
        let image = RGBImage(width: w, height: h, pixels: pixels)
        let s = TerminalGraphics.sixel(image)
        #expect(s.hasPrefix("\u{1B}P0;1;0q\"1;1;13;9") && s.hasSuffix("\u{1B}\\\n"))
        let decoded = decodeSixel(s)
        #expect(decoded.width == w && decoded.height == h)
        for y in 0..<h { for x in 0..<w {
            let expected = 36 * (x < 6 ? 5 : 0) + (y < 4 ? 5 : 2)
            #expect(decoded.pixels[y][x] == expected, "(\(x), \(y))")
        } }
    }

    @Test func theDifferingBandIsWhereTheImagesDiffer() {
        func image(_ w: Int, _ h: Int, marked rows: Range<Int>) -> RGBImage {
            var p = [Float](repeating: 0.5, count: w * h * 3)
            for y in rows { for x in 0..<w where (x + y) % 2 == 0 { p[3 * (y * w + x)] = 1 } }
            return RGBImage(width: w, height: h, pixels: p)
        }
        let plain = image(30, 30, marked: 0..<0)
        #expect(ImageComparison.differingBand([plain, image(30, 30, marked: 0..<10)]) == (0, 10))
        #expect(ImageComparison.differingBand([plain, image(30, 30, marked: 20..<30)]) == (20, 10))
        #expect(ImageComparison.differingBand([image(30, 30, marked: 12..<18), plain]) == (10, 10))   // the middle third
        #expect(ImageComparison.differingBand([plain]) == (0, 10))
        let text = ImageComparison.cells([(plain, "first"), (image(30, 30, marked: 0..<10), "second")], width: 60, mode: .truecolor)
        #expect(text.contains("Enlarged: the top third of each image, where they differ most.") && text.contains("[second] top third"))
    }
}
