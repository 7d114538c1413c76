/// Luminance-only transfer for `--original-colors` (Gatys, Bethge, Hertzmann & Shechtman,
/// "Preserving color in neural artistic style transfer", 2016, section 2.2):
/// convert both images to YIQ, keep the stylised image's luminance Y and the content's
/// chrominance I, Q, convert back to RGB.
///
///     ⎡Y⎤   ⎡0.299  0.587  0.114⎤ ⎡R⎤
///     ⎢I⎥ = ⎢0.596 −0.274 −0.322⎥ ⎢G⎥        (NTSC YIQ; RGB in 0…1)
///     ⎣Q⎦   ⎣0.211 −0.523  0.312⎦ ⎣B⎦
///
/// The inverse is computed from the same matrix, so a round trip is exact up to rounding.
public enum ColorTransfer {
    static let toYIQ: [[Double]] = [[0.299, 0.587, 0.114],
                                    [0.596, -0.274, -0.322],
                                    [0.211, -0.523, 0.312]]
    static let fromYIQ: [[Double]] = invert3x3(toYIQ)

    static func invert3x3(_ m: [[Double]]) -> [[Double]] {
        let (a, b, c) = (m[0][0], m[0][1], m[0][2])
        let (d, e, f) = (m[1][0], m[1][1], m[1][2])
        let (g, h, i) = (m[2][0], m[2][1], m[2][2])
        let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
        return [[(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
                [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
                [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det]]
    }

    /// Interleaved RGB (0…1) → interleaved YIQ.
    public static func yiq(fromRGB rgb: [Float]) -> [Float] { apply(toYIQ, rgb) }
    /// Interleaved YIQ → interleaved RGB (not clamped).
    public static func rgb(fromYIQ yiq: [Float]) -> [Float] { apply(fromYIQ, yiq) }

    static func apply(_ m: [[Double]], _ v: [Float]) -> [Float] {
        precondition(v.count % 3 == 0)
        var out = [Float](repeating: 0, count: v.count)
        for p in stride(from: 0, to: v.count, by: 3) {
            let x = Double(v[p]), y = Double(v[p + 1]), z = Double(v[p + 2])
            for r in 0..<3 { out[p + r] = Float(m[r][0] * x + m[r][1] * y + m[r][2] * z) }
        }
        return out
    }

    /// Y from `stylized`, I and Q from `content` (same size, interleaved RGB 0…1),
    /// clamped to 0…1.
    public static func keepingColors(of content: [Float], luminanceOf stylized: [Float]) -> [Float] {
        precondition(content.count == stylized.count, "original colours: sizes differ")
        var c = yiq(fromRGB: content)
        let s = yiq(fromRGB: stylized)
        for p in stride(from: 0, to: c.count, by: 3) { c[p] = s[p] }
        return rgb(fromYIQ: c).map { min(max($0, 0), 1) }
    }
}
