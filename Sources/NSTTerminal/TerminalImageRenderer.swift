import NSTImage

/// Draws images in a terminal with the upper-half-block character "▀": each cell shows two
/// pixels, the top one as the foreground colour and the bottom one as the background. Terminal
/// cells are about twice as tall as wide, so each pixel comes out roughly square and an image
/// `w` pixels wide takes `w` columns and ⌈h/2⌉ rows.
public struct TerminalImageRenderer: Sendable {
    public var mode: TerminalColorMode

    public init(mode: TerminalColorMode) {
        self.mode = mode
    }

    static let esc = "\u{1B}["
    static let reset = "\u{1B}[0m"

    /// One string per text row, each ending with a colour reset; the image is drawn at its
    /// own size (one pixel per column).
    public func lines(for image: RGBImage) -> [String] {
        var rows: [String] = []
        rows.reserveCapacity((image.height + 1) / 2)
        for y in stride(from: 0, to: image.height, by: 2) {
            var line = ""
            var lastFG = "", lastBG = ""
            for x in 0..<image.width {
                let fg = code(image[x, y], foreground: true)
                let bg = y + 1 < image.height ? code(image[x, y + 1], foreground: false) : Self.esc + "49m"
                if fg != lastFG { line += fg; lastFG = fg }
                if bg != lastBG { line += bg; lastBG = bg }
                line += "▀"
            }
            rows.append(line + Self.reset)
        }
        return rows
    }

    /// The image scaled down (anti-aliased, never enlarged) to fit `columns` and, if given,
    /// `maxRows` text rows.
    public func render(_ image: RGBImage, columns: Int, maxRows: Int? = nil) -> [String] {
        lines(for: fitted(image, columns: columns, maxRows: maxRows))
    }

    /// Terminals are at most a few thousand cells wide or tall; larger requests are clamped
    /// (so no size arithmetic can overflow and no absurd padding is built).
    static let maxCells = 4096

    func fitted(_ image: RGBImage, columns: Int, maxRows: Int?) -> RGBImage {
        let rows = min(max(1, maxRows ?? Self.maxCells), Self.maxCells)
        return image.resized(fittingWidth: min(max(1, columns), Self.maxCells), height: 2 * rows)
    }

    /// Several images side by side, each with its label underneath, fitted into `width`
    /// columns. When they do not fit at `minColumns` each, they wrap onto further bands.
    /// Returns the whole block, lines separated by "\n", ending with a newline.
    public func renderSideBySide(_ items: [(image: RGBImage, label: String)], width: Int, gap: Int = 2,
                                 minColumns: Int = 16, maxRows: Int? = nil) -> String {
        guard !items.isEmpty else { return "" }
        let width = min(max(1, width), Self.maxCells), gap = min(max(0, gap), Self.maxCells)
        let minColumns = min(max(1, minColumns), Self.maxCells)
        let perBand = max(1, min(items.count, (width + gap) / (minColumns + gap)))
        let columnWidth = max(1, (width - gap * (perBand - 1)) / perBand)
        var out = ""
        for bandStart in stride(from: 0, to: items.count, by: perBand) {
            let band = Array(items[bandStart..<min(items.count, bandStart + perBand)])
            let blocks = band.map { item -> [String] in
                let img = fitted(item.image, columns: columnWidth, maxRows: maxRows)
                return lines(for: img).map { $0 + String(repeating: " ", count: columnWidth - img.width) }
            }
            let height = blocks.map(\.count).max() ?? 0
            let blank = String(repeating: " ", count: columnWidth)
            let spacer = String(repeating: " ", count: gap)
            for row in 0..<height {
                let cells = blocks.map { row < $0.count ? $0[row] : blank }
                out += trimTrailingSpaces(cells.joined(separator: spacer)) + "\n"
            }
            let labels = band.map { Self.fit($0.label, columnWidth) }
            out += trimTrailingSpaces(labels.joined(separator: spacer)) + "\n"
        }
        return out
    }

    /// `s` cut (with "…") or padded with spaces to exactly `width` characters.
    static func fit(_ s: String, _ width: Int) -> String {
        if s.count <= width { return s + String(repeating: " ", count: width - s.count) }
        if width <= 1 { return String(s.prefix(width)) }
        var cut = s.prefix(width - 1)
        while cut.last == " " { cut = cut.dropLast() }
        return fit(cut + "…", width)
    }

    private func trimTrailingSpaces(_ s: String) -> String {
        let bytes = s.utf8
        var end = bytes.endIndex
        while end > bytes.startIndex, bytes[bytes.index(before: end)] == UInt8(ascii: " ") {
            end = bytes.index(before: end)
        }
        return String(s[..<end])
    }

    /// The escape code selecting `c` as foreground or background colour.
    public func code(_ c: RGBColor, foreground: Bool) -> String {
        let r = Self.byte(c.red), g = Self.byte(c.green), b = Self.byte(c.blue)
        switch mode {
        case .truecolor: return Self.esc + (foreground ? "38;2;" : "48;2;") + "\(r);\(g);\(b)m"
        case .ansi256: return Self.esc + (foreground ? "38;5;" : "48;5;") + "\(Self.xterm256(r, g, b))m"
        }
    }

    static func byte(_ v: Float) -> Int {
        guard v > 0 else { return 0 }
        return v >= 1 ? 255 : Int(v * 255 + 0.5)
    }

    /// Levels of the xterm 6×6×6 colour cube (indices 16…231).
    static let cubeLevels = [0, 95, 135, 175, 215, 255]

    /// The xterm-256 palette index nearest to (r, g, b) in 0…255: the closest cube colour
    /// or the closest of the 24 greys (232…255, levels 8, 18, …, 238), whichever is nearer
    /// (squared RGB distance).
    public static func xterm256(_ r: Int, _ g: Int, _ b: Int) -> Int {
        func nearestLevel(_ v: Int) -> Int {
            var best = 0
            for i in 1..<6 where abs(cubeLevels[i] - v) < abs(cubeLevels[best] - v) { best = i }
            return best
        }
        let ri = nearestLevel(r), gi = nearestLevel(g), bi = nearestLevel(b)
        let cr = cubeLevels[ri], cg = cubeLevels[gi], cb = cubeLevels[bi]
        let cubeDistance = (cr - r) * (cr - r) + (cg - g) * (cg - g) + (cb - b) * (cb - b)
        let mean = (r + g + b) / 3
        let k = min(23, max(0, (mean - 8 + 5) / 10))
        let grey = 8 + 10 * k
        let greyDistance = (grey - r) * (grey - r) + (grey - g) * (grey - g) + (grey - b) * (grey - b)
        return greyDistance < cubeDistance ? 232 + k : 16 + 36 * ri + 6 * gi + bi
    }
}
