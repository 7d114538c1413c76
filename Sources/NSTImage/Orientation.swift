/// EXIF orientation: how a camera says its JPEG must be turned to be seen upright.
///
/// Phones store pixels as the sensor read them and record the turn in the EXIF tag 0x0112;
/// browsers and image viewers apply it, so nst does too (otherwise a portrait photo would
/// be styled lying on its side).
public enum ExifOrientation: Int, Sendable, CaseIterable {
    case up = 1, mirrored = 2, rotated180 = 3, flipped = 4
    case transposed = 5, rotatedClockwise = 6, transversed = 7, rotatedCounterClockwise = 8

    /// Width and height swap for the four orientations that turn by 90°.
    var swapsSides: Bool { rawValue >= 5 }

    /// The source pixel shown at (x, y) of the upright image, for a source `w × h`.
    func source(x: Int, y: Int, w: Int, h: Int) -> (x: Int, y: Int) {
        switch self {
        case .up: return (x, y)
        case .mirrored: return (w - 1 - x, y)
        case .rotated180: return (w - 1 - x, h - 1 - y)
        case .flipped: return (x, h - 1 - y)
        case .transposed: return (y, x)
        case .rotatedClockwise: return (y, h - 1 - x)
        case .transversed: return (w - 1 - y, h - 1 - x)
        case .rotatedCounterClockwise: return (w - 1 - y, x)
        }
    }

    /// The orientation recorded in a JPEG's EXIF (APP1) segment, or `.up` when there is
    /// none or it cannot be read. Every read is bounds-checked: a damaged EXIF block only
    /// means "no orientation".
    public static func of(jpeg b: [UInt8]) -> ExifOrientation {
        var i = 2
        while i + 4 <= b.count {
            guard b[i] == 0xFF else { return .up }
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }
            if marker == 0xDA || marker == 0xD9 { return .up }
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            let end = min(b.count, i + 2 + length)
            if marker == 0xE1, i + 10 <= end, Array(b[(i + 4)..<(i + 10)]) == Array("Exif\0\0".utf8) {
                return fromTIFF(Array(b[(i + 10)..<end])) ?? .up
            }
            i += 2 + length
        }
        return .up
    }

    /// Tag 0x0112 of IFD0 in a TIFF structure (EXIF's container).
    static func fromTIFF(_ t: [UInt8]) -> ExifOrientation? {
        guard t.count >= 8 else { return nil }
        let little: Bool
        switch (t[0], t[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= t.count else { return nil }
            return little ? Int(t[o]) | Int(t[o + 1]) << 8 : Int(t[o]) << 8 | Int(t[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let a = u16(o), let b = u16(o + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for k in 0..<count {
            let entry = ifd + 2 + 12 * k
            guard let tag = u16(entry) else { return nil }
            if tag == 0x0112 {
                guard u16(entry + 2) == 3, let value = u16(entry + 8) else { return nil }   // SHORT
                return ExifOrientation(rawValue: value)
            }
        }
        return nil
    }
}

extension RGBImage {
    /// The image turned upright according to `orientation`.
    public func oriented(_ orientation: ExifOrientation) -> RGBImage {
        if orientation == .up { return self }
        let w = orientation.swapsSides ? height : width
        let h = orientation.swapsSides ? width : height
        var out = [Float](repeating: 0, count: 3 * w * h)
        for y in 0..<h {
            for x in 0..<w {
                let s = orientation.source(x: x, y: y, w: width, h: height)
                let src = 3 * (s.y * width + s.x), dst = 3 * (y * w + x)
                out[dst] = pixels[src]; out[dst + 1] = pixels[src + 1]; out[dst + 2] = pixels[src + 2]
            }
        }
        return RGBImage(width: w, height: h, pixels: out)
    }
}
