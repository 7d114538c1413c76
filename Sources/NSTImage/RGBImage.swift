/// An RGB image in memory: `width × height` pixels, row-major, channels interleaved
/// (`pixels[3·(y·width + x) + c]`, c = 0 red, 1 green, 2 blue), each value in 0…1.
///
/// Values are sRGB-encoded (what the file holds divided by 255), not linear light:
/// that is what VGG was trained on and what PNG/JPEG store. `ImageIO.writePNG` clamps to
/// 0…1, so intermediate images may leave that range.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Interleaved RGB, `3 · width · height` values.
    public var pixels: [Float]

    /// Wraps existing pixels; `pixels.count` must be `3 · width · height`.
    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(width >= 0 && height >= 0, "negative image size \(width)×\(height)")
        precondition(pixels.count == 3 * width * height,
                     "RGBImage \(width)×\(height) needs \(3 * width * height) values, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image filled with one colour.
    public init(width: Int, height: Int, color: RGBColor) {
        precondition(width >= 0 && height >= 0, "negative image size \(width)×\(height)")
        var p = [Float](repeating: 0, count: 3 * width * height)
        for i in stride(from: 0, to: p.count, by: 3) {
            p[i] = color.red; p[i + 1] = color.green; p[i + 2] = color.blue
        }
        self.init(width: width, height: height, pixels: p)
    }

    /// The colour at column `x`, row `y` (0-based, top-left origin).
    public subscript(x: Int, y: Int) -> RGBColor {
        get {
            let i = 3 * (y * width + x)
            return RGBColor(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = 3 * (y * width + x)
            pixels[i] = newValue.red; pixels[i + 1] = newValue.green; pixels[i + 2] = newValue.blue
        }
    }

    /// The rectangle `x ..< x+width`, `y ..< y+height`, which must lie inside the image.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> RGBImage {
        precondition(x >= 0 && y >= 0 && w >= 0 && h >= 0 && x + w <= width && y + h <= height,
                     "crop \(w)×\(h)+\(x)+\(y) is outside the \(width)×\(height) image")
        var out = [Float](repeating: 0, count: 3 * w * h)
        for row in 0..<h {
            let src = 3 * ((y + row) * width + x)
            let dst = 3 * row * w
            for i in 0..<(3 * w) { out[dst + i] = pixels[src + i] }
        }
        return RGBImage(width: w, height: h, pixels: out)
    }

    /// The largest centred crop with the aspect ratio `aspectWidth : aspectHeight`.
    public func centerCropped(aspectWidth: Int, aspectHeight: Int) -> RGBImage {
        precondition(aspectWidth > 0 && aspectHeight > 0, "aspect ratio must be positive")
        var w = width, h = width * aspectHeight / aspectWidth
        if h > height { h = height; w = height * aspectWidth / aspectHeight }
        return cropped(x: (width - w) / 2, y: (height - h) / 2, width: w, height: h)
    }

    /// Values clamped to 0…1 (NaN becomes 0).
    public func clamped() -> RGBImage {
        RGBImage(width: width, height: height, pixels: pixels.map { $0 >= 0 ? min($0, 1) : 0 })
    }
}

/// One sRGB colour, components 0…1.
public struct RGBColor: Sendable, Equatable, Hashable {
    public var red: Float, green: Float, blue: Float
    public init(_ red: Float, _ green: Float, _ blue: Float) {
        self.red = red; self.green = green; self.blue = blue
    }
    /// From 8-bit components (0…255).
    public init(bytes r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.init(Float(r) / 255, Float(g) / 255, Float(b) / 255)
    }
    public static let white = RGBColor(1, 1, 1)
    public static let black = RGBColor(0, 0, 0)
}
