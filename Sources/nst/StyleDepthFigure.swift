import NSTImage

/// figure.png of `nst experiment style-depth`: content | style | 3 layers | 5 layers in one
/// row on white, each panel scaled to the same height.
enum StyleDepthFigure {
    static func make(content: RGBImage, style: RGBImage, layers3: RGBImage, layers5: RGBImage, credits: String) -> RGBImage {
        let h = layers3.height
        let panels = [content, style, layers3, layers5].map { $0.height == h ? $0 : $0.resized(width: max(1, $0.width * h / $0.height), height: h) }
        let gap = 12, top = 40, bottom = 28
        let width = panels.reduce(gap) { $0 + $1.width + gap }
        var out = RGBImage(width: width, height: top + h + bottom, color: .white)
        var x = gap
        for p in panels {
            blit(p, into: &out, x: x, y: top)
            x += p.width + gap
        }
        return out
    }

    static func blit(_ src: RGBImage, into dst: inout RGBImage, x: Int, y: Int) {
        for row in 0..<src.height {
            let d = 3 * ((y + row) * dst.width + x), s = 3 * row * src.width
            for i in 0..<(3 * src.width) { dst.pixels[d + i] = src.pixels[s + i] }
        }
    }
}
