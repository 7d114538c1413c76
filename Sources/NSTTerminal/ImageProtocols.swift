import Foundation
import NSTImage

/// How a terminal can show an image: in one of the graphics protocols, pixel for pixel, or
/// in text cells (`TerminalImageRenderer`), which every terminal can.
public enum TerminalImageProtocol: String, Sendable, CaseIterable {
    /// kitty's graphics protocol (`ESC _G … ESC \`, PNG payload): kitty, and terminals that
    /// announce it the same way.
    case kitty
    /// iTerm2's inline images (`ESC ]1337;File=… BEL`): iTerm2 and WezTerm.
    case iterm2
    /// DEC sixel graphics (`ESC P q … ESC \`): foot, mlterm, xterm -ti vt340, …
    case sixel
    /// Half-block text cells: every terminal.
    case cells

    /// The protocol the terminal announces in its environment. `NST_IMAGE_PROTOCOL` (one of
    /// the raw values) decides when set; else kitty when `TERM=xterm-kitty` or
    /// `KITTY_WINDOW_ID` is set; iTerm2's when `TERM_PROGRAM` is `iTerm.app` or `WezTerm`;
    /// sixel when `TERM` is `foot`, `foot-extra` or `mlterm` (the terminals whose TERM
    /// promises it); cells otherwise. Sixel support is not probed (a DA1 query would need to
    /// read the terminal's reply with a timeout): other sixel terminals set
    /// NST_IMAGE_PROTOCOL=sixel.
    public static func detect(environment: [String: String]) -> TerminalImageProtocol {
        if let asked = environment["NST_IMAGE_PROTOCOL"].flatMap({ TerminalImageProtocol(rawValue: $0.lowercased()) }) { return asked }
        let term = environment["TERM"] ?? ""
        if term == "xterm-kitty" || !(environment["KITTY_WINDOW_ID"] ?? "").isEmpty { return .kitty }
        if ["iTerm.app", "WezTerm"].contains(environment["TERM_PROGRAM"] ?? "") { return .iterm2 }
        if ["foot", "foot-extra", "mlterm"].contains(term) { return .sixel }
        return .cells
    }
}

/// The escape sequences of the graphics protocols. Each returns one string that draws the
/// image at its own size in pixels, from the cursor, and leaves the cursor below it.
public enum TerminalGraphics {
    /// kitty: the PNG file's bytes, base64, in chunks of at most 4096 characters (the
    /// protocol's limit); `f=100` PNG, `a=T` transmit and display, `m=1` more chunks follow.
    public static func kitty(png: [UInt8]) -> String {
        let payload = Data(png).base64EncodedString()
        var out = "", start = payload.startIndex
        var first = true
        repeat {
            let end = payload.index(start, offsetBy: 4096, limitedBy: payload.endIndex) ?? payload.endIndex
            let more = end < payload.endIndex ? 1 : 0
            out += "\u{1B}_G" + (first ? "f=100,a=T,q=2,m=\(more)" : "m=\(more)") + ";" + payload[start..<end] + "\u{1B}\\"
            first = false
            start = end
        } while start < payload.endIndex
        return out + "\n"
    }

    /// iTerm2: the PNG file inline, at its own size (`width`/`height` left to the terminal).
    public static func iterm2(png: [UInt8], name: String) -> String {
        "\u{1B}]1337;File=name=\(Data(name.utf8).base64EncodedString());size=\(png.count);inline=1;preserveAspectRatio=1:"
            + Data(png).base64EncodedString() + "\u{07}\n"
    }

    /// Sixel: the image at its own size, its colours rounded to the 6×6×6 cube (216
    /// registers, enough to see shapes; the PNG path is printed for exact colours). Each band
    /// of six rows lists, per colour used in it, one character per column whose six bits
    /// say which of the six pixels have that colour, with `!n` run lengths.
    public static func sixel(_ image: RGBImage) -> String {
        let w = image.width, h = image.height
        var out = "\u{1B}P0;1;0q\"1;1;\(w);\(h)"
        func level(_ v: Float) -> Int { min(5, max(0, Int((v * 5).rounded()))) }
        var index = [Int](repeating: 0, count: w * h)
        for y in 0..<h { for x in 0..<w { let c = image[x, y]; index[y * w + x] = 36 * level(c.red) + 6 * level(c.green) + level(c.blue) } }
        for i in 0..<216 {
            let (r, g, b) = (i / 36, (i / 6) % 6, i % 6)
            out += "#\(i);2;\(r * 20);\(g * 20);\(b * 20)"
        }
        for top in stride(from: 0, to: h, by: 6) {
            let rows = min(6, h - top)
            var used: [Int] = []
            var seen = [Bool](repeating: false, count: 216)
            for y in top..<(top + rows) { for x in 0..<w where !seen[index[y * w + x]] { seen[index[y * w + x]] = true; used.append(index[y * w + x]) } }
            for (n, colour) in used.enumerated() {
                out += "#\(colour)"
                var run: Character = "?", count = 0
                func flush() {
                    guard count > 0 else { return }
                    out += count > 3 ? "!\(count)\(run)" : String(repeating: run, count: count)
                }
                for x in 0..<w {
                    var bits = 0
                    for dy in 0..<rows where index[(top + dy) * w + x] == colour { bits |= 1 << dy }
                    let ch = Character(Unicode.Scalar(UInt8(63 + bits)))
                    if ch == run { count += 1 } else { flush(); run = ch; count = 1 }
                }
                flush()
                if n < used.count - 1 { out += "$" }
            }
            if top + 6 < h { out += "-" }
        }
        return out + "\u{1B}\\\n"
    }
}

/// Two images that differ, shown so a person can tell them apart: each whole, side by side,
/// then an enlarged view of the band where they differ most.
public enum ImageComparison {
    /// The horizontal band, a third of the height, in which the images differ most in their
    /// large shapes: the images are compared at an eighth of the first one's size, where
    /// fine texture (which both may share in different arrangements) has averaged out, by
    /// the mean absolute difference per channel. Returns (y, height) in the first image's
    /// rows; the top third when there is one image.
    public static func differingBand(_ images: [RGBImage]) -> (y: Int, height: Int) {
        guard let full = images.first, full.height >= 3 else { return (0, images.first?.height ?? 0) }
        let band = max(1, full.height / 3)
        guard images.count >= 2 else { return (0, band) }
        let w = max(1, full.width / 8), h = max(3, full.height / 8)
        let coarse = images.map { $0.resized(width: w, height: h) }
        let y = coarseBand(coarse)
        return (min(full.height - band, Int((Double(y) * Double(full.height) / Double(h)).rounded())), band)
    }

    /// The start row of the third of the height where `images` (all one size) differ most.
    static func coarseBand(_ images: [RGBImage]) -> Int {
        let first = images[0]
        let band = max(1, first.height / 3)
        let others = images.dropFirst()
        var rowDifference = [Double](repeating: 0, count: first.height)
        for y in 0..<first.height {
            var sum = 0.0
            for other in others { for x in 0..<first.width {
                let a = first[x, y], b = other[x, y]
                sum += Double(abs(a.red - b.red) + abs(a.green - b.green) + abs(a.blue - b.blue))
            } }
            rowDifference[y] = sum
        }
        var best = (y: 0, total: -1.0)
        var window = rowDifference[0..<band].reduce(0, +)
        for y in 0...(first.height - band) {
            if y > 0 { window += rowDifference[y + band - 1] - rowDifference[y - 1] }
            if window > best.total + 1e-9 { best = (y, window) }
        }
        return best.y
    }

    /// In text cells: the whole images side by side (at most `maxRows` rows), then the band
    /// where they differ most, each image's band across the whole `width`, one above the
    /// other, labelled with where it is ("top", "middle" or "bottom" third).
    public static func cells(_ items: [(image: RGBImage, label: String)], width: Int, mode: TerminalColorMode, maxRows: Int = 24) -> String {
        let renderer = TerminalImageRenderer(mode: mode)
        var out = renderer.renderSideBySide(items, width: width, maxRows: maxRows)
        guard let first = items.first?.image, first.height >= 3 else { return out }
        let (y, height) = differingBand(items.map(\.image))
        let place = y < first.height / 4 ? "top" : (y + height > first.height * 3 / 4 ? "bottom" : "middle")
        out += "\nEnlarged: the \(place) third of each image, where they differ most.\n"
        for item in items {
            let scale = Double(item.image.height) / Double(first.height)
            let top = min(item.image.height - 1, Int((Double(y) * scale).rounded()))
            let rows = max(1, min(item.image.height - top, Int((Double(height) * scale).rounded())))
            let band = item.image.cropped(x: 0, y: top, width: item.image.width, height: rows)
            out += renderer.render(band, columns: width, maxRows: maxRows).joined(separator: "\n") + "\n"
            out += "[\(item.label)] \(place) third\n"
        }
        return out
    }
}
