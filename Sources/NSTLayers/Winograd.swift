import NSTTensor

/// Which algorithm `Conv3x3.forward`/`backward` use. Chosen per workspace (so per network);
/// the default comes from the environment variable `NST_CONV_ALGORITHM` (auto | im2col |
/// winograd), else `.auto`.
public enum ConvAlgorithm: String, CaseIterable, Sendable {
    /// Winograd where it pays (both channel counts ≥ 16), im2col + GEMM otherwise (conv1_1's
    /// 3 input channels, tiny test layers).
    case auto
    /// im2col + one GEMM per band of rows: 9·C·O multiply-adds per pixel, as the definition.
    case im2col
    /// Winograd F(m×m, 3×3) for every layer (tile size from `ConvWorkspace.winogradTile`).
    case winograd

    /// `NST_CONV_ALGORITHM` if set to a valid value, else `.auto`.
    public static var environmentDefault: ConvAlgorithm {
        guard let raw = getenv("NST_CONV_ALGORITHM") else { return .auto }
        return ConvAlgorithm(rawValue: String(cString: raw).lowercased()) ?? .auto
    }
}

/// The transform matrices of Winograd's minimal filtering F(m, 3) (Lavin & Gray 2016), used
/// in two dimensions as F(m×m, 3×3): one m×m block of outputs from an α×α block of inputs
/// (α = m + 2) with α² multiplies instead of 9·m².
///
///   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d Bᵀᵀ) ] A        d: α×α input tile, g: 3×3 kernel, Y: m×m
///
/// Summed over input channels, the element-wise product becomes α² independent GEMMs
/// (one per transform point ξ): M[ξ][O, tiles] = U[ξ][O, C] · V[ξ][C, tiles].
///
/// F(2, 3) uses the points 0, ±1, ∞ (Bᵀ and Aᵀ hold only 0 and ±1: exact in floating point, 2.25×
/// fewer multiplies); F(4, 3) uses 0, ±1, ±2, ∞ (4× fewer multiplies, Float error ≈ 10× that of
/// the direct sum). The 1-D transforms below are these matrices written out, each with its
/// adjoint (the transposed matrix) for the backward pass.
public struct WinogradTransform: Sendable, Equatable {
    /// Output tile side m (2 or 4).
    public let m: Int
    /// Input tile side α = m + 2.
    public var alpha: Int { m + 2 }
    /// G [α, 3] (kernel transform), row-major.
    public let g: [Double]

    @inlinable init(m: Int, g: [Double]) { self.m = m; self.g = g }

    public static let f2 = WinogradTransform(m: 2, g: [1, 0, 0,
                                                        0.5, 0.5, 0.5,
                                                        0.5, -0.5, 0.5,
                                                        0, 0, 1])
    public static let f4 = WinogradTransform(m: 4, g: [1.0 / 4, 0, 0,
                                                        -1.0 / 6, -1.0 / 6, -1.0 / 6,
                                                        -1.0 / 6, 1.0 / 6, -1.0 / 6,
                                                        1.0 / 24, 1.0 / 12, 1.0 / 6,
                                                        1.0 / 24, -1.0 / 12, 1.0 / 6,
                                                        0, 0, 1])

    public static func tile(_ m: Int) -> WinogradTransform {
        precondition(m == 2 || m == 4, "Winograd tile must be 2 or 4, got \(m)")
        return m == 2 ? .f2 : .f4
    }

    /// U [α², O, C]: U[i·α+j][o][c] = Σ_{k,l} G[i,k] · w[o,c,k,l] · G[j,l] (computed in Double).
    @inlinable
    public func transformedWeights<Scalar: TensorScalar>(_ w: Tensor<Scalar>) -> Tensor<Scalar> {
        let o = w.shape[0], c = w.shape[1], a = alpha
        var u = Tensor<Scalar>(shape: [a * a, o, c])
        var tmp = [Double](repeating: 0, count: a * 3)
        for oi in 0..<o {
            for ci in 0..<c {
                let base = (oi * c + ci) * 9
                // tmp[i][l] = Σ_k G[i,k] w[k,l]
                for i in 0..<a { for l in 0..<3 {
                    var s = 0.0
                    for k in 0..<3 { s += g[i * 3 + k] * Double(w.storage[base + k * 3 + l]) }
                    tmp[i * 3 + l] = s
                } }
                for i in 0..<a { for j in 0..<a {
                    var s = 0.0
                    for l in 0..<3 { s += tmp[i * 3 + l] * g[j * 3 + l] }
                    u.storage[((i * a + j) * o + oi) * c + ci] = Scalar(s)
                } }
            }
        }
        return u
    }
}

// MARK: 1-D transforms (src and dst strided so the same code runs along rows and along columns)

extension Conv3x3 {
    /// dst[k] = Σ_j Bᵀ[k,j] · src[j]   (α → α)
    @inlinable @inline(__always)
    static func inputTransform(_ m: Int, _ s: UnsafePointer<Scalar>, _ ss: Int, _ d: UnsafeMutablePointer<Scalar>, _ ds: Int) {
        if m == 4 {
            let x0 = s[0], x1 = s[ss], x2 = s[2 * ss], x3 = s[3 * ss], x4 = s[4 * ss], x5 = s[5 * ss]
            d[0] = 4 * x0 - 5 * x2 + x4
            d[ds] = -4 * (x1 + x2) + x3 + x4
            d[2 * ds] = 4 * (x1 - x2) - x3 + x4
            d[3 * ds] = 2 * (x3 - x1) - x2 + x4
            d[4 * ds] = 2 * (x1 - x3) - x2 + x4
            d[5 * ds] = 4 * x1 - 5 * x3 + x5
        } else {
            let x0 = s[0], x1 = s[ss], x2 = s[2 * ss], x3 = s[3 * ss]
            d[0] = x0 - x2
            d[ds] = x1 + x2
            d[2 * ds] = x2 - x1
            d[3 * ds] = x1 - x3
        }
    }

    /// d[j] += Σ_k Bᵀ[k,j] · src[k]   (adjoint of `inputTransform`, accumulating; α → α)
    @inlinable @inline(__always)
    static func inputTransformAdjointAdd(_ m: Int, _ s: UnsafePointer<Scalar>, _ ss: Int, _ d: UnsafeMutablePointer<Scalar>, _ ds: Int) {
        if m == 4 {
            let v0 = s[0], v1 = s[ss], v2 = s[2 * ss], v3 = s[3 * ss], v4 = s[4 * ss], v5 = s[5 * ss]
            d[0] += 4 * v0
            d[ds] += 4 * (v2 - v1 + v5) + 2 * (v4 - v3)
            d[2 * ds] += -5 * v0 - 4 * (v1 + v2) - v3 - v4
            d[3 * ds] += v1 - v2 + 2 * (v3 - v4) - 5 * v5
            d[4 * ds] += v0 + v1 + v2 + v3 + v4
            d[5 * ds] += v5
        } else {
            let v0 = s[0], v1 = s[ss], v2 = s[2 * ss], v3 = s[3 * ss]
            d[0] += v0
            d[ds] += v1 - v2 + v3
            d[2 * ds] += v1 + v2 - v0
            d[3 * ds] -= v3
        }
    }

    /// dst[r] = Σ_j Aᵀ[r,j] · src[j]   (α → m)
    @inlinable @inline(__always)
    static func outputTransform(_ m: Int, _ s: UnsafePointer<Scalar>, _ ss: Int, _ d: UnsafeMutablePointer<Scalar>, _ ds: Int) {
        if m == 4 {
            let m0 = s[0], m1 = s[ss], m2 = s[2 * ss], m3 = s[3 * ss], m4 = s[4 * ss], m5 = s[5 * ss]
            let p12 = m1 + m2, d12 = m1 - m2, p34 = m3 + m4, d34 = m3 - m4
            d[0] = m0 + p12 + p34
            d[ds] = d12 + 2 * d34
            d[2 * ds] = p12 + 4 * p34
            d[3 * ds] = d12 + 8 * d34 + m5
        } else {
            let m0 = s[0], m1 = s[ss], m2 = s[2 * ss], m3 = s[3 * ss]
            d[0] = m0 + m1 + m2
            d[ds] = m1 - m2 - m3
        }
    }

    /// dst[j] = Σ_r Aᵀ[r,j] · src[r]   (adjoint of `outputTransform`; m → α)
    @inlinable @inline(__always)
    static func outputTransformAdjoint(_ m: Int, _ s: UnsafePointer<Scalar>, _ ss: Int, _ d: UnsafeMutablePointer<Scalar>, _ ds: Int) {
        if m == 4 {
            let y0 = s[0], y1 = s[ss], y2 = s[2 * ss], y3 = s[3 * ss]
            let e = y0 + y2, o = y1 + y3, e4 = y0 + 4 * y2, o8 = 2 * y1 + 8 * y3
            d[0] = y0
            d[ds] = e + o
            d[2 * ds] = e - o
            d[3 * ds] = e4 + o8
            d[4 * ds] = e4 - o8
            d[5 * ds] = y3
        } else {
            let y0 = s[0], y1 = s[ss]
            d[0] = y0
            d[ds] = y0 + y1
            d[2 * ds] = y0 - y1
            d[3 * ds] = -y1
        }
    }

    // MARK: Winograd convolution and its adjoint

    /// Tile rows per band so that V and M (α²·(C+O) scalars per tile) fit the workspace bound.
    @inlinable
    static func winogradBand(_ t: WinogradTransform, c: Int, o: Int, tilesX: Int, tilesY: Int, maxScalars: Int) -> Int {
        let a2 = t.alpha * t.alpha
        return max(1, min(tilesY, maxScalars / max(1, a2 * (c + o) * tilesX)))
    }

    /// y ← conv(x, g) + bias (then ReLU) by Winograd F(m×m, 3×3), in bands of tile rows.
    /// x [C,H,W], u = transformed weights [α², O, C], y [O,H,W] (overwritten).
    ///
    /// Per band of T tiles: (1) input transform V[ξ][c][t] = (Bᵀ d_t B)[ξ] of each channel's
    /// α×α tiles (parallel over channels; rows first, contiguous in x, then columns);
    /// (2) α² GEMMs M[ξ] = U[ξ]·V[ξ]; (3) output transform Aᵀ M A + bias (+ ReLU) per output
    /// channel (parallel), written straight into y.
    @inlinable
    public static func winogradConvolve(_ x: Tensor<Scalar>, transformed u: Tensor<Scalar>, transform t: WinogradTransform,
                                        bias: Tensor<Scalar>?, relu: Bool, into y: inout Tensor<Scalar>,
                                        workspace: ConvWorkspace<Scalar>) {
        let c = x.shape[0], h = x.shape[1], w = x.shape[2]
        let m = t.m, a = t.alpha, a2 = a * a, o = u.shape[1]
        precondition(u.shape == [a2, o, c] && y.shape == [o, h, w])
        if h * w == 0 || o == 0 { return }
        let tilesX = (w + m - 1) / m, tilesY = (h + m - 1) / m
        let bandRows = winogradBand(t, c: c, o: o, tilesX: tilesX, tilesY: tilesY, maxScalars: workspace.maxScalars)
        let maxT = bandRows * tilesX
        let buffer = workspace.scratch(a2 * (c + o) * maxT)
        let vBuf = buffer, mBuf = buffer + a2 * c * maxT
        let rowLen = tilesX * m + 2      // padded row: x' = x + 1
        x.storage.withUnsafeBufferPointer { xb in
        u.storage.withUnsafeBufferPointer { ub in
        y.storage.withUnsafeMutableBufferPointer { yb in
            let xp = xb.baseAddress!, up = ub.baseAddress!, yp = yb.baseAddress!
            var ty0 = 0
            while ty0 < tilesY {
                let rowsT = min(bandRows, tilesY - ty0), tiles = rowsT * tilesX
                // (1) V[ξ][c][t], ξ = i·α + k
                Parallel.forRanges(c, costPerItem: tiles * a2 * 4) { range in
                    let p = UnsafeMutablePointer<Scalar>.allocate(capacity: 2 * a * rowLen)
                    defer { p.deallocate() }
                    let r = p + a * rowLen
                    for ci in range {
                        let src = xp + ci * h * w
                        for tr in 0..<rowsT {
                            let yTop = (ty0 + tr) * m - 1
                            for j in 0..<a {   // P[j][x'] = X[yTop + j][x' − 1], 0 outside
                                let row = p + j * rowLen, sy = yTop + j
                                row.update(repeating: 0, count: rowLen)
                                if sy >= 0 && sy < h { (row + 1).update(from: src + sy * w, count: w) }
                            }
                            for xx in 0..<rowLen { inputTransform(m, p + xx, rowLen, r + xx, rowLen) }   // R = Bᵀ P
                            let dstBase = vBuf + ci * tiles + tr * tilesX
                            for i in 0..<a {
                                let ri = r + i * rowLen, dst = dstBase + i * a * c * tiles
                                for tx in 0..<tilesX { inputTransform(m, ri + tx * m, 1, dst + tx, c * tiles) }
                            }
                        }
                    }
                }
                // (2) M[ξ][O, T] = U[ξ][O, C] · V[ξ][C, T]
                for xi in 0..<a2 {
                    Scalar.gemm(transA: false, transB: false, m: o, n: tiles, k: c,
                                alpha: 1, a: up + xi * o * c, lda: c, b: UnsafePointer(vBuf + xi * c * tiles), ldb: tiles,
                                beta: 0, c: mBuf + xi * o * tiles, ldc: tiles)
                }
                // (3) Y = Aᵀ M A (+ bias, ReLU)
                let biasValues = bias?.storage ?? []
                Parallel.forRanges(o, costPerItem: tiles * a2 * 4) { range in
                    let q = UnsafeMutablePointer<Scalar>.allocate(capacity: (a + m) * rowLen)
                    defer { q.deallocate() }
                    let out = q + a * rowLen
                    for oi in range {
                        let b: Scalar = biasValues.isEmpty ? 0 : biasValues[oi]
                        let dstPlane = yp + oi * h * w
                        for tr in 0..<rowsT {
                            let srcBase = mBuf + oi * tiles + tr * tilesX
                            for i in 0..<a {   // Q[i][tx·m + s] = Σ_j Aᵀ[s,j] M[i·α+j][o][t]
                                let qi = q + i * rowLen, src = srcBase + i * a * o * tiles
                                for tx in 0..<tilesX { outputTransform(m, src + tx, o * tiles, qi + tx * m, 1) }
                            }
                            for xx in 0..<(tilesX * m) { outputTransform(m, q + xx, rowLen, out + xx, rowLen) }
                            let yTop = (ty0 + tr) * m
                            for rr in 0..<min(m, h - yTop) {
                                let s = out + rr * rowLen, d = dstPlane + (yTop + rr) * w
                                if relu {
                                    for xx in 0..<w { let v = s[xx] + b; d[xx] = v < 0 ? 0 : v }
                                } else {
                                    for xx in 0..<w { d[xx] = s[xx] + b }
                                }
                            }
                        }
                    }
                }
                ty0 += rowsT
            }
        } } }
    }

    /// dX ← the exact adjoint of `winogradConvolve` (without bias) applied to dY:
    /// dM = A dY Aᵀ per output tile, dV[ξ] = U[ξ]ᵀ · dM[ξ], dX += B dV Bᵀ overlap-added onto
    /// the α×α input patches (neighbouring patches share 2 rows/columns).
    /// dY [O,H,W], u [α², O, C], dX [C,H,W] (overwritten).
    @inlinable
    public static func winogradConvolveAdjoint(_ dY: Tensor<Scalar>, transformed u: Tensor<Scalar>, transform t: WinogradTransform,
                                               into dX: inout Tensor<Scalar>, workspace: ConvWorkspace<Scalar>) {
        let o = dY.shape[0], h = dY.shape[1], w = dY.shape[2]
        let m = t.m, a = t.alpha, a2 = a * a, c = u.shape[2]
        precondition(u.shape == [a2, o, c] && dX.shape == [c, h, w])
        if h * w == 0 || c == 0 { return }
        let tilesX = (w + m - 1) / m, tilesY = (h + m - 1) / m
        let bandRows = winogradBand(t, c: c, o: o, tilesX: tilesX, tilesY: tilesY, maxScalars: workspace.maxScalars)
        let maxT = bandRows * tilesX
        let buffer = workspace.scratch(a2 * (c + o) * maxT)
        let dvBuf = buffer, dmBuf = buffer + a2 * c * maxT
        let rowLen = tilesX * m + 2
        dY.storage.withUnsafeBufferPointer { db in
        u.storage.withUnsafeBufferPointer { ub in
        dX.storage.withUnsafeMutableBufferPointer { xb in
            let dp = db.baseAddress!, up = ub.baseAddress!, xp = xb.baseAddress!
            xp.update(repeating: 0, count: c * h * w)
            var ty0 = 0
            while ty0 < tilesY {
                let rowsT = min(bandRows, tilesY - ty0), tiles = rowsT * tilesX
                // (1) dM[ξ][o][t] = (A dY_t Aᵀ)[ξ]
                Parallel.forRanges(o, costPerItem: tiles * a2 * 4) { range in
                    let q = UnsafeMutablePointer<Scalar>.allocate(capacity: (m + a) * rowLen)
                    defer { q.deallocate() }
                    let r = q + m * rowLen
                    for oi in range {
                        let src = dp + oi * h * w
                        for tr in 0..<rowsT {
                            let yTop = (ty0 + tr) * m
                            for rr in 0..<m {   // dY rows of this tile row, 0 beyond the image
                                let row = q + rr * rowLen, sy = yTop + rr
                                row.update(repeating: 0, count: rowLen)
                                if sy < h { row.update(from: src + sy * w, count: w) }
                            }
                            for xx in 0..<(tilesX * m) { outputTransformAdjoint(m, q + xx, rowLen, r + xx, rowLen) }
                            let dstBase = dmBuf + oi * tiles + tr * tilesX
                            for i in 0..<a {
                                let ri = r + i * rowLen, dst = dstBase + i * a * o * tiles
                                for tx in 0..<tilesX { outputTransformAdjoint(m, ri + tx * m, 1, dst + tx, o * tiles) }
                            }
                        }
                    }
                }
                // (2) dV[ξ][C, T] = U[ξ][O, C]ᵀ · dM[ξ][O, T]
                for xi in 0..<a2 {
                    Scalar.gemm(transA: true, transB: false, m: c, n: tiles, k: o,
                                alpha: 1, a: up + xi * o * c, lda: c, b: UnsafePointer(dmBuf + xi * o * tiles), ldb: tiles,
                                beta: 0, c: dvBuf + xi * c * tiles, ldc: tiles)
                }
                // (3) dX patch += B dV Bᵀ
                Parallel.forRanges(c, costPerItem: tiles * a2 * 4) { range in
                    let p = UnsafeMutablePointer<Scalar>.allocate(capacity: 2 * a * rowLen)
                    defer { p.deallocate() }
                    let r = p + a * rowLen
                    for ci in range {
                        let dstPlane = xp + ci * h * w
                        for tr in 0..<rowsT {
                            r.update(repeating: 0, count: a * rowLen)
                            let srcBase = dvBuf + ci * tiles + tr * tilesX
                            for i in 0..<a {   // R[i][tx·m + l] += Σ_k Bᵀ[k,l] dV[i·α+k][c][t]
                                let ri = r + i * rowLen, src = srcBase + i * a * c * tiles
                                for tx in 0..<tilesX { inputTransformAdjointAdd(m, src + tx, c * tiles, ri + tx * m, 1) }
                            }
                            p.update(repeating: 0, count: a * rowLen)
                            for xx in 0..<rowLen { inputTransformAdjointAdd(m, r + xx, rowLen, p + xx, rowLen) }   // P = B R
                            let yTop = (ty0 + tr) * m - 1
                            for j in 0..<a {
                                let sy = yTop + j
                                if sy < 0 || sy >= h { continue }
                                let s = p + j * rowLen + 1, d = dstPlane + sy * w
                                for xx in 0..<w { d[xx] += s[xx] }
                            }
                        }
                    }
                }
                ty0 += rowsT
            }
        } } }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain mutex (pthread), for the once-per-model weight transforms.
public final class WeightLock: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    public init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }
    deinit { pthread_mutex_destroy(mutex); mutex.deallocate() }
    @inlinable public func lock() { pthread_mutex_lock(mutex) }
    @inlinable public func unlock() { pthread_mutex_unlock(mutex) }
}
