/// A drawing surface for figures: paste images, fill rectangles, write labels with
/// `BitmapFont`. Everything is clipped to the canvas, so nothing drawn can go out of bounds.
///
///     var canvas = Canvas(width: 800, height: 300, background: .white)
///     canvas.draw(turtle, x: 16, y: 16)
///     canvas.drawText("3 style layers", x: 16, y: 280, scale: 2)
///     try ImageIO.writePNG(canvas.image, to: url)
public struct Canvas: Sendable {
    public private(set) var image: RGBImage

    public init(width: Int, height: Int, background: RGBColor = .white) {
        image = RGBImage(width: width, height: height, color: background)
    }

    public var width: Int { image.width }
    public var height: Int { image.height }

    /// Fills the rectangle (clipped) with `color`.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, color: RGBColor) {
        let x0 = max(0, x), y0 = max(0, y)
        let x1 = min(image.width, x + w), y1 = min(image.height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 { for xx in x0..<x1 { image[xx, yy] = color } }
    }

    /// Pastes `source` with its top-left corner at (x, y), clipped.
    public mutating func draw(_ source: RGBImage, x: Int, y: Int) {
        let x0 = max(0, x), y0 = max(0, y)
        let x1 = min(image.width, x + source.width), y1 = min(image.height, y + source.height)
        guard x0 < x1, y0 < y1 else { return }
        let count = 3 * (x1 - x0)
        for yy in y0..<y1 {
            let src = 3 * ((yy - y) * source.width + (x0 - x))
            let dst = 3 * (yy * image.width + x0)
            for i in 0..<count { image.pixels[dst + i] = source.pixels[src + i] }
        }
    }

    /// Writes `text` (lines split at "\n") with its top-left at (x, y); each font pixel
    /// becomes a `scale × scale` square.
    public mutating func drawText(_ text: String, x: Int, y: Int, scale: Int = 1, color: RGBColor = .black) {
        precondition(scale >= 1, "text scale must be at least 1")
        var lineY = y
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var glyphX = x
            for c in line {
                let rows = BitmapFont.glyph(c)
                for (r, bits) in rows.enumerated() {
                    for col in 0..<BitmapFont.glyphWidth where bits & (1 << (BitmapFont.glyphWidth - 1 - col)) != 0 {
                        fill(x: glyphX + col * scale, y: lineY + r * scale, width: scale, height: scale, color: color)
                    }
                }
                glyphX += BitmapFont.advance * scale
            }
            lineY += BitmapFont.lineHeight * scale
        }
    }

    /// Each line of `text` centred on `centreX`.
    public mutating func drawCentredLines(_ text: String, centreX: Int, y: Int, scale: Int = 1, color: RGBColor = .black) {
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let w = BitmapFont.size(of: String(line), scale: scale).width
            drawText(String(line), x: centreX - w / 2, y: y + i * BitmapFont.lineHeight * scale, scale: scale, color: color)
        }
    }

    /// Images in a row, each with its label centred underneath, on a `background` canvas:
    /// an optional `title` across the top. Columns are as wide as the wider of image and label;
    /// images are top-aligned. Labels may hold "\n" for several lines.
    public static func sideBySide(_ items: [(image: RGBImage, label: String)], title: String? = nil,
                                  margin: Int = 16, spacing: Int = 16, labelScale: Int = 2,
                                  background: RGBColor = .white, textColor: RGBColor = .black) -> RGBImage {
        let gap = labelScale * 4   // between image and label, and title and images
        let columns = items.map { item -> (width: Int, label: (width: Int, height: Int)) in
            let label = BitmapFont.size(of: item.label, scale: labelScale)
            return (max(item.image.width, label.width), label)
        }
        let titleSize = title.map { BitmapFont.size(of: $0, scale: labelScale) } ?? (width: 0, height: 0)
        let titleBlock = title == nil ? 0 : titleSize.height + 2 * gap
        let imagesHeight = items.map(\.image.height).max() ?? 0
        let labelsHeight = columns.map(\.label.height).max() ?? 0
        let rowWidth = columns.map(\.width).reduce(0, +) + spacing * max(0, items.count - 1)
        let width = 2 * margin + max(rowWidth, titleSize.width)
        let height = 2 * margin + titleBlock + imagesHeight + (labelsHeight > 0 ? gap + labelsHeight : 0)
        var canvas = Canvas(width: width, height: height, background: background)
        if let title {
            canvas.drawCentredLines(title, centreX: width / 2, y: margin, scale: labelScale, color: textColor)
        }
        var x = margin + (width - 2 * margin - rowWidth) / 2
        let top = margin + titleBlock
        for (item, column) in zip(items, columns) {
            canvas.draw(item.image, x: x + (column.width - item.image.width) / 2, y: top)
            canvas.drawCentredLines(item.label, centreX: x + column.width / 2, y: top + imagesHeight + gap,
                                    scale: labelScale, color: textColor)
            x += column.width + spacing
        }
        return canvas.image
    }
}
