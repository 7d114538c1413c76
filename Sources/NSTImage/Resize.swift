import Foundation

/// The reconstruction filter used to resample an image.
///
/// When shrinking by a factor s > 1 the filter is stretched by s (its support becomes
/// `support · s` input pixels), so it averages every input pixel that falls under an
/// output pixel: that is what removes aliasing. When enlarging it interpolates.
public enum ResampleFilter: String, Sendable, CaseIterable {
    /// sinc(x)·sinc(x/3) for |x| < 3: sharp, slight ringing (clamped). The default.
    case lanczos3
    /// Cubic with B = 0, C = ½ (Catmull-Rom), support 2.
    case catmullRom
    /// Triangle (tent), support 1: bilinear when enlarging, area-like when shrinking.
    case triangle
    /// Box, support ½: nearest neighbour when enlarging, plain area average when shrinking.
    case box

    /// Half-width of the filter in (unscaled) pixels.
    public var support: Double {
        switch self {
        case .lanczos3: return 3
        case .catmullRom: return 2
        case .triangle: return 1
        case .box: return 0.5
        }
    }

    /// The kernel k(x); the weights are normalised to sum to 1, so no scale factor matters.
    public func weight(_ x: Double) -> Double {
        let a = abs(x)
        switch self {
        case .lanczos3:
            guard a < 3 else { return 0 }
            return sinc(a) * sinc(a / 3)
        case .catmullRom:
            if a < 1 { return (1.5 * a - 2.5) * a * a + 1 }
            if a < 2 { return ((-0.5 * a + 2.5) * a - 4) * a + 2 }
            return 0
        case .triangle:
            return a < 1 ? 1 - a : 0
        case .box:
            return (x >= -0.5 && x < 0.5) ? 1 : 0
        }
    }

    private func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let px = Double.pi * x
        return sin(px) / px
    }
}

/// The space in which pixels are averaged.
public enum ResampleSpace: String, Sendable, CaseIterable {
    /// Average the stored sRGB values, as PIL, torchvision and most style-transfer code do.
    /// The default: the experiment's inputs then match what reference implementations see.
    case sRGB
    /// Convert to linear light, average, convert back: physically right (a fine black/white
    /// pattern becomes the grey of equal light, 0.735 in sRGB, rather than 0.5).
    case linear
}

/// For each output index: the first input index, the number of taps, and their weights.
/// Pixel centres sit at i + ½; output pixel i covers input centre c = (i + ½)·scale.
struct ResampleTable {
    var first: [Int]
    var count: [Int]
    var stride: Int          // weights per output index (max taps)
    var weights: [Float]     // [outSize × stride]

    init(inSize: Int, outSize: Int, filter: ResampleFilter) {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)           // stretch the kernel only when shrinking
        let support = filter.support * filterScale
        stride = Int((2 * support).rounded(.up)) + 2
        first = [Int](repeating: 0, count: outSize)
        count = [Int](repeating: 0, count: outSize)
        weights = [Float](repeating: 0, count: outSize * stride)
        var w = [Double](repeating: 0, count: stride)
        for i in 0..<outSize {
            let center = (Double(i) + 0.5) * scale
            let lo = max(0, Int((center - support).rounded(.down)))
            let hi = min(inSize, Int((center + support).rounded(.up)))
            var n = 0, sum = 0.0
            for j in lo..<hi where n < stride {
                w[n] = filter.weight((Double(j) + 0.5 - center) / filterScale)
                sum += w[n]
                n += 1
            }
            if sum == 0 {   // cannot happen for these kernels; nearest pixel as a safe fallback
                let nearest = min(inSize - 1, max(0, Int(center)))
                first[i] = nearest; count[i] = 1; weights[i * stride] = 1
                continue
            }
            first[i] = lo
            count[i] = n
            for k in 0..<n { weights[i * stride + k] = Float(w[k] / sum) }
        }
    }
}

extension RGBImage {
    /// Resampled to exactly `width × height` with `filter` (default Lanczos-3, averaging
    /// in sRGB). Separable: a horizontal pass, then a vertical one; each output pixel is a
    /// normalised weighted sum of the input pixels under the (stretched) kernel, edges
    /// handled by renormalising the weights that fall inside. Each pass's result is clamped
    /// to 0…1 (Lanczos rings slightly past sharp edges).
    public func resized(width newWidth: Int, height newHeight: Int,
                        filter: ResampleFilter = .lanczos3, space: ResampleSpace = .sRGB) -> RGBImage {
        precondition(newWidth > 0 && newHeight > 0, "resize target \(newWidth)×\(newHeight) must be positive")
        precondition(width > 0 && height > 0, "cannot resize an empty \(width)×\(height) image")
        if newWidth == width && newHeight == height { return self }
        let source = space == .linear ? Self.map(pixels, Self.srgbToLinear) : pixels
        let columns = ResampleTable(inSize: width, outSize: newWidth, filter: filter)
        let rows = ResampleTable(inSize: height, outSize: newHeight, filter: filter)

        // Horizontal: [height × width × 3] → [height × newWidth × 3]
        var tmp = [Float](repeating: 0, count: height * newWidth * 3)
        source.withUnsafeBufferPointer { src in
            tmp.withUnsafeMutableBufferPointer { dst in
                columns.weights.withUnsafeBufferPointer { wts in
                    for y in 0..<height {
                        let srcRow = y * width * 3, dstRow = y * newWidth * 3
                        for x in 0..<newWidth {
                            var r: Float = 0, g: Float = 0, b: Float = 0
                            let base = columns.first[x], wbase = x * columns.stride
                            for k in 0..<columns.count[x] {
                                let wk = wts[wbase + k], p = srcRow + (base + k) * 3
                                r += wk * src[p]; g += wk * src[p + 1]; b += wk * src[p + 2]
                            }
                            // Clamped between passes, as each pass's output is an image (Pillow does the same).
                            dst[dstRow + 3 * x] = clamp01(r); dst[dstRow + 3 * x + 1] = clamp01(g); dst[dstRow + 3 * x + 2] = clamp01(b)
                        }
                    }
                }
            }
        }
        // Vertical: [height × newWidth × 3] → [newHeight × newWidth × 3], row by row so the
        // inner loop runs along contiguous memory.
        let rowLength = newWidth * 3
        var out = [Float](repeating: 0, count: newHeight * rowLength)
        tmp.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<newHeight {
                    let dstRow = y * rowLength
                    for k in 0..<rows.count[y] {
                        let wk = rows.weights[y * rows.stride + k]
                        let srcRow = (rows.first[y] + k) * rowLength
                        for i in 0..<rowLength { dst[dstRow + i] += wk * src[srcRow + i] }
                    }
                }
            }
        }
        let clamped = Self.map(out, clamp01)
        return RGBImage(width: newWidth, height: newHeight,
                        pixels: space == .linear ? Self.map(clamped, Self.linearToSRGB) : clamped)
    }

    /// Scaled so that the longer side is `longestSide` pixels, keeping the aspect ratio
    /// (the shorter side is rounded, at least 1).
    public func resized(longestSide: Int, filter: ResampleFilter = .lanczos3, space: ResampleSpace = .sRGB) -> RGBImage {
        let (w, h) = Self.size(width: width, height: height, longestSide: longestSide)
        return resized(width: w, height: h, filter: filter, space: space)
    }

    /// The largest size with this aspect ratio that fits in `maxWidth × maxHeight`
    /// (never enlarged).
    public func resized(fittingWidth maxWidth: Int, height maxHeight: Int,
                        filter: ResampleFilter = .lanczos3, space: ResampleSpace = .sRGB) -> RGBImage {
        let scale = min(1, min(Double(maxWidth) / Double(width), Double(maxHeight) / Double(height)))
        let w = max(1, Int((Double(width) * scale).rounded()))
        let h = max(1, Int((Double(height) * scale).rounded()))
        return resized(width: min(w, maxWidth), height: min(h, maxHeight), filter: filter, space: space)
    }

    /// The size a `width × height` image gets when its longer side becomes `longestSide`.
    public static func size(width: Int, height: Int, longestSide: Int) -> (width: Int, height: Int) {
        precondition(longestSide > 0, "longest side must be positive")
        if width >= height {
            return (longestSide, max(1, Int((Double(height) * Double(longestSide) / Double(width)).rounded())))
        }
        return (max(1, Int((Double(width) * Double(longestSide) / Double(height)).rounded())), longestSide)
    }

    /// Reference for tests: the same resampling written as plain sums, the kernel evaluated
    /// on the spot for every tap (slow; no tables): first along rows, then along columns.
    public func resizedReference(width newWidth: Int, height newHeight: Int,
                                 filter: ResampleFilter = .lanczos3) -> RGBImage {
        /// Normalised taps (input index, weight) of output index i.
        func taps(_ i: Int, _ inSize: Int, _ outSize: Int) -> [(Int, Double)] {
            let scale = Double(inSize) / Double(outSize), fs = max(scale, 1)
            let center = (Double(i) + 0.5) * scale
            var t: [(Int, Double)] = []
            for j in 0..<inSize {
                let w = filter.weight((Double(j) + 0.5 - center) / fs)
                if w != 0 { t.append((j, w)) }
            }
            let sum = t.reduce(0) { $0 + $1.1 }
            return t.map { ($0.0, $0.1 / sum) }
        }
        func c(_ v: Double) -> Double { min(1, max(0, v)) }
        // rows[y][x][channel]: horizontal pass, clamped.
        var rowsPass = [[[Double]]](repeating: [[Double]](repeating: [0, 0, 0], count: newWidth), count: height)
        for y in 0..<height {
            for x in 0..<newWidth {
                for (i, w) in taps(x, width, newWidth) {
                    let p = self[i, y]
                    rowsPass[y][x][0] += w * Double(p.red)
                    rowsPass[y][x][1] += w * Double(p.green)
                    rowsPass[y][x][2] += w * Double(p.blue)
                }
                rowsPass[y][x] = rowsPass[y][x].map(c)
            }
        }
        var out = RGBImage(width: newWidth, height: newHeight, color: .black)
        for y in 0..<newHeight {
            let ty = taps(y, height, newHeight)
            for x in 0..<newWidth {
                var acc = [0.0, 0.0, 0.0]
                for (j, w) in ty { for ch in 0..<3 { acc[ch] += w * rowsPass[j][x][ch] } }
                out[x, y] = RGBColor(Float(c(acc[0])), Float(c(acc[1])), Float(c(acc[2])))
            }
        }
        return out
    }

    // MARK: sRGB transfer curve (IEC 61966-2-1)

    static func srgbToLinear(_ v: Float) -> Float {
        v <= 0.04045 ? v / 12.92 : powf((v + 0.055) / 1.055, 2.4)
    }

    static func linearToSRGB(_ v: Float) -> Float {
        v <= 0.0031308 ? v * 12.92 : 1.055 * powf(v, 1 / 2.4) - 0.055
    }

    static func map(_ a: [Float], _ f: (Float) -> Float) -> [Float] {
        var out = [Float](repeating: 0, count: a.count)
        a.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<src.count { dst[i] = f(src[i]) }
            }
        }
        return out
    }
}

@inline(__always) func clamp01(_ v: Float) -> Float { v > 0 ? min(v, 1) : 0 }
