import NSTTensor

/// Which algorithm `Conv3x3.forward`/`backward` use. Chosen per workspace (so per network,
/// `ConvConfiguration`); `.auto` unless the caller says otherwise.
public enum ConvAlgorithm: String, CaseIterable, Sendable {
    /// Winograd where it pays (both channel counts ≥ 16), im2col + GEMM otherwise (conv1_1's
    /// 3 input channels, tiny test layers).
    case auto
    /// im2col + one GEMM per band of rows: 9·C·O multiply-adds per pixel, as the definition.
    case im2col
    /// Winograd F(m×m, 3×3) for every layer (tile size from `ConvWorkspace.winogradTile`).
    case winograd

    /// A setting's text (auto | im2col | winograd, any case), or `.auto` for none or one it
    /// does not name.
    public init(setting: String?) {
        self = setting.flatMap { ConvAlgorithm(rawValue: $0.lowercased()) } ?? .auto
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
/// the direct sum); F(6, 3) uses 0, ±1, ±2, ±½, ∞ (5.06× fewer multiplies and α²/m² = 1.78
/// transformed values per output instead of 2.25, Float error ≈ 10× that of F(4, 3)). The 1-D transforms below are these matrices written out, each with its
/// adjoint (the transposed matrix) for the backward pass.
public struct WinogradTransform: Sendable, Equatable {
    /// Output tile side m (2, 4 or 6).
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
    public static let f6 = WinogradTransform(m: 6, g: [1, 0, 0,
                                                        -2.0 / 9, -2.0 / 9, -2.0 / 9,
                                                        -2.0 / 9, 2.0 / 9, -2.0 / 9,
                                                        1.0 / 90, 1.0 / 45, 2.0 / 45,
                                                        1.0 / 90, -1.0 / 45, 2.0 / 45,
                                                        32.0 / 45, 16.0 / 45, 8.0 / 45,
                                                        32.0 / 45, -16.0 / 45, 8.0 / 45,
                                                        0, 0, 1])

    public static func tile(_ m: Int) -> WinogradTransform {
        switch m {
        case 2: return .f2
        case 4: return .f4
        case 6: return .f6
        default: preconditionFailure("Winograd tile must be 2, 4 or 6, got \(m)")
        }
    }

    /// U [α², O, C]: U[i·α+j][o][c] = Σ_{k,l} G[i,k] · w[o,c,k,l] · G[j,l] (computed in Double).
    /// The output channels are split over `Parallel`'s workers (each value is computed alone,
    /// so the split does not change it).
    @inlinable
    public func transformedWeights<Scalar: TensorScalar>(_ w: Tensor<Scalar>) -> Tensor<Scalar> {
        let o = w.shape[0], c = w.shape[1], a = alpha
        var u = Tensor<Scalar>(uninitializedShape: [a * a, o, c])   // every value written below
        w.storage.withUnsafeBufferPointer { wb in
            u.storage.withUnsafeMutableBufferPointer { ub in
                g.withUnsafeBufferPointer { gb in
                    guard let wp = wb.baseAddress, let up = ub.baseAddress, let g = gb.baseAddress else { return }
                    Parallel.forRanges(o, costPerItem: c * a * a) { range in
                        var tmp = [Double](repeating: 0, count: a * 3)
                        tmp.withUnsafeMutableBufferPointer { tb in
                            let tmp = tb.baseAddress!
                            for oi in range {
                                for ci in 0..<c {
                                    let base = (oi * c + ci) * 9
                                    // tmp[i][l] = Σ_k G[i,k] w[k,l]
                                    for i in 0..<a { for l in 0..<3 {
                                        var s = 0.0
                                        for k in 0..<3 { s += g[i * 3 + k] * Double(wp[base + k * 3 + l]) }
                                        tmp[i * 3 + l] = s
                                    } }
                                    for i in 0..<a { for j in 0..<a {
                                        var s = 0.0
                                        for l in 0..<3 { s += tmp[i * 3 + l] * g[j * 3 + l] }
                                        up[((i * a + j) * o + oi) * c + ci] = Scalar(s)
                                    } }
                                }
                            }
                        }
                    }
                }
            }
        }
        return u
    }
}

// MARK: 1-D transforms
//
// Each matrix of F(2, 3), F(4, 3) and F(6, 3), written out once as a function of values to
// values; the values are SIMD vectors, so one call transforms 16 neighbouring tiles.
// The band kernels below apply them along image columns (inputs from rows a stride apart) and
// along image rows; along rows the tiles overlap by 2 pixels, so a row is first split into its
// m phases, Phase[q][u] = row[u·m + q], after which the l-th input of tile t is
// Phase[l mod m][t + l div m]: every operand is a contiguous run over the tiles.

extension Conv3x3 {
    /// Bᵀ x for F(4, 3): 6 → 6.
    @inlinable @inline(__always)
    static func bT4<V: SIMD>(_ x0: V, _ x1: V, _ x2: V, _ x3: V, _ x4: V, _ x5: V)
        -> (V, V, V, V, V, V) where V.Scalar == Scalar {
        (4 * x0 - 5 * x2 + x4, -4 * (x1 + x2) + x3 + x4, 4 * (x1 - x2) - x3 + x4,
         2 * (x3 - x1) - x2 + x4, 2 * (x1 - x3) - x2 + x4, 4 * x1 - 5 * x3 + x5)
    }
    /// Bᵀ x for F(6, 3): 8 → 8.
    @inlinable @inline(__always)
    static func bT6<V: SIMD>(_ x0: V, _ x1: V, _ x2: V, _ x3: V, _ x4: V, _ x5: V, _ x6: V, _ x7: V)
        -> (V, V, V, V, V, V, V, V) where V.Scalar == Scalar {
        let p1 = x2 + x6 - 4.25 * x4, q1 = x1 + x5 - 4.25 * x3
        let p2 = 0.25 * x2 - 1.25 * x4 + x6, q2 = 0.5 * x1 - 2.5 * x3 + 2 * x5
        let p3 = 4 * x2 - 5 * x4 + x6, q3 = 2 * x1 - 2.5 * x3 + 0.5 * x5
        return (x0 - x6 + 5.25 * (x4 - x2), p1 + q1, p1 - q1, p2 + q2, p2 - q2, p3 + q3, p3 - q3, x7 - x1 + 5.25 * (x3 - x5))
    }
    /// Bᵀ x for F(2, 3): 4 → 4.
    @inlinable @inline(__always)
    static func bT2<V: SIMD>(_ x0: V, _ x1: V, _ x2: V, _ x3: V) -> (V, V, V, V) where V.Scalar == Scalar {
        (x0 - x2, x1 + x2, x2 - x1, x1 - x3)
    }
    /// B v (the adjoint of Bᵀ) for F(4, 3): 6 → 6.
    @inlinable @inline(__always)
    static func b4<V: SIMD>(_ v0: V, _ v1: V, _ v2: V, _ v3: V, _ v4: V, _ v5: V)
        -> (V, V, V, V, V, V) where V.Scalar == Scalar {
        (4 * v0, 4 * (v2 - v1 + v5) + 2 * (v4 - v3), -5 * v0 - 4 * (v1 + v2) - v3 - v4,
         v1 - v2 + 2 * (v3 - v4) - 5 * v5, v0 + v1 + v2 + v3 + v4, v5)
    }
    /// B v for F(6, 3): 8 → 8.
    @inlinable @inline(__always)
    static func b6<V: SIMD>(_ v0: V, _ v1: V, _ v2: V, _ v3: V, _ v4: V, _ v5: V, _ v6: V, _ v7: V)
        -> (V, V, V, V, V, V, V, V) where V.Scalar == Scalar {
        let d12 = v1 - v2, s12 = v1 + v2, d34 = v3 - v4, s34 = v3 + v4, d56 = v5 - v6, s56 = v5 + v6
        return (v0, d12 + 0.5 * d34 + 2 * d56 - v7, s12 + 0.25 * s34 + 4 * s56 - 5.25 * v0,
                5.25 * v7 - 4.25 * d12 - 2.5 * (d34 + d56), 5.25 * v0 - 4.25 * s12 - 1.25 * s34 - 5 * s56,
                d12 + 2 * d34 + 0.5 * d56 - 5.25 * v7, s12 + s34 + s56 - v0, v7)
    }
    /// B v for F(2, 3): 4 → 4.
    @inlinable @inline(__always)
    static func b2<V: SIMD>(_ v0: V, _ v1: V, _ v2: V, _ v3: V) -> (V, V, V, V) where V.Scalar == Scalar {
        (v0, v1 - v2 + v3, v1 + v2 - v0, -v3)
    }
    /// Aᵀ x for F(4, 3): 6 → 4.
    @inlinable @inline(__always)
    static func aT4<V: SIMD>(_ m0: V, _ m1: V, _ m2: V, _ m3: V, _ m4: V, _ m5: V)
        -> (V, V, V, V) where V.Scalar == Scalar {
        let p12 = m1 + m2, d12 = m1 - m2, p34 = m3 + m4, d34 = m3 - m4
        return (m0 + p12 + p34, d12 + 2 * d34, p12 + 4 * p34, d12 + 8 * d34 + m5)
    }
    /// Aᵀ x for F(6, 3): 8 → 6.
    @inlinable @inline(__always)
    static func aT6<V: SIMD>(_ m0: V, _ m1: V, _ m2: V, _ m3: V, _ m4: V, _ m5: V, _ m6: V, _ m7: V)
        -> (V, V, V, V, V, V) where V.Scalar == Scalar {
        let s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4, s56 = m5 + m6, d56 = m5 - m6
        return (m0 + s12 + s34 + s56, d12 + 2 * d34 + 0.5 * d56, s12 + 4 * s34 + 0.25 * s56,
                d12 + 8 * d34 + 0.125 * d56, s12 + 16 * s34 + 0.0625 * s56, d12 + 32 * d34 + 0.03125 * d56 + m7)
    }
    /// Aᵀ x for F(2, 3): 4 → 2.
    @inlinable @inline(__always)
    static func aT2<V: SIMD>(_ m0: V, _ m1: V, _ m2: V, _ m3: V) -> (V, V) where V.Scalar == Scalar {
        (m0 + m1 + m2, m1 - m2 - m3)
    }
    /// A y (the adjoint of Aᵀ) for F(4, 3): 4 → 6.
    @inlinable @inline(__always)
    static func a4<V: SIMD>(_ y0: V, _ y1: V, _ y2: V, _ y3: V) -> (V, V, V, V, V, V) where V.Scalar == Scalar {
        let e = y0 + y2, o = y1 + y3, e4 = y0 + 4 * y2, o8 = 2 * y1 + 8 * y3
        return (y0, e + o, e - o, e4 + o8, e4 - o8, y3)
    }
    /// A y for F(6, 3): 6 → 8.
    @inlinable @inline(__always)
    static func a6<V: SIMD>(_ y0: V, _ y1: V, _ y2: V, _ y3: V, _ y4: V, _ y5: V)
        -> (V, V, V, V, V, V, V, V) where V.Scalar == Scalar {
        let e1 = y0 + y2 + y4, o1 = y1 + y3 + y5
        let e2 = y0 + 4 * y2 + 16 * y4, o2 = 2 * y1 + 8 * y3 + 32 * y5
        let e3 = y0 + 0.25 * y2 + 0.0625 * y4, o3 = 0.5 * y1 + 0.125 * y3 + 0.03125 * y5
        return (y0, e1 + o1, e1 - o1, e2 + o2, e2 - o2, e3 + o3, e3 - o3, y5)
    }
    /// A y for F(2, 3): 2 → 4.
    @inlinable @inline(__always)
    static func a2<V: SIMD>(_ y0: V, _ y1: V) -> (V, V, V, V) where V.Scalar == Scalar {
        (y0, y0 + y1, y0 - y1, -y1)
    }

    // The four 1-D maps on operands given as base pointers: input k (or output k) of element
    // i is at base[k·stride + i], for i in 0..<count, taken 16 elements at a time as SIMD
    // vectors (the last group partial). Written with explicit vectors: with 8 inputs and 6 or
    // 8 outputs behind separate pointers, the loop vectoriser needs more run-time overlap checks
    // than it will emit and left the F(6, 3) loops scalar.

    /// The vector of the transforms.
    @usableFromInline typealias Lanes = SIMD16<Scalar>

    /// p[0..<n] as a vector (n ≤ 16; lanes past n are 0).
    @inlinable @inline(__always)
    static func load(_ p: UnsafePointer<Scalar>, _ n: Int) -> Lanes {
        if n == Lanes.scalarCount { return UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }
        var v = Lanes()
        for k in 0..<n { v[k] = p[k] }
        return v
    }

    /// p[0..<n] ← the first n lanes of v.
    @inlinable @inline(__always)
    static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Scalar>, _ n: Int) {
        if n == Lanes.scalarCount { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self); return }
        for k in 0..<n { p[k] = v[k] }
    }

    /// dst[k] = Σ_j Bᵀ[k,j] src[j]   (α → α)
    @inlinable @inline(__always)
    static func applyBT(_ m: Int, _ s: UnsafePointer<Scalar>, _ ss: Int, _ d: UnsafeMutablePointer<Scalar>, _ ds: Int, count: Int) {
        applySquare(m, s, ss, d, ds, count: count, bT6, bT4, bT2)
    }

    /// dst[j] = Σ_k Bᵀ[k,j] src[k]   (α → α, the adjoint of `applyBT`)
    @inlinable @inline(__always)
    static func applyB(_ m: Int, _ s: UnsafePointer<Scalar>, _ ss: Int, _ d: UnsafeMutablePointer<Scalar>, _ ds: Int, count: Int) {
        applySquare(m, s, ss, d, ds, count: count, b6, b4, b2)
    }

    /// An α → α map (Bᵀ or B) of the tile size m, given by its three versions.
    @inlinable @inline(__always)
    static func applySquare(_ m: Int, _ s: UnsafePointer<Scalar>, _ ss: Int, _ d: UnsafeMutablePointer<Scalar>, _ ds: Int, count: Int,
                            _ f6: (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes) -> (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes),
                            _ f4: (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes) -> (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes),
                            _ f2: (Lanes, Lanes, Lanes, Lanes) -> (Lanes, Lanes, Lanes, Lanes)) {
        var i = 0
        while i < count {
            let n = min(Lanes.scalarCount, count - i), p = s + i, q = d + i
            if m == 6 {
                let r = f6(load(p, n), load(p + ss, n), load(p + 2 * ss, n), load(p + 3 * ss, n),
                           load(p + 4 * ss, n), load(p + 5 * ss, n), load(p + 6 * ss, n), load(p + 7 * ss, n))
                store(r.0, q, n); store(r.1, q + ds, n); store(r.2, q + 2 * ds, n); store(r.3, q + 3 * ds, n)
                store(r.4, q + 4 * ds, n); store(r.5, q + 5 * ds, n); store(r.6, q + 6 * ds, n); store(r.7, q + 7 * ds, n)
            } else if m == 4 {
                let r = f4(load(p, n), load(p + ss, n), load(p + 2 * ss, n), load(p + 3 * ss, n), load(p + 4 * ss, n), load(p + 5 * ss, n))
                store(r.0, q, n); store(r.1, q + ds, n); store(r.2, q + 2 * ds, n); store(r.3, q + 3 * ds, n)
                store(r.4, q + 4 * ds, n); store(r.5, q + 5 * ds, n)
            } else {
                let r = f2(load(p, n), load(p + ss, n), load(p + 2 * ss, n), load(p + 3 * ss, n))
                store(r.0, q, n); store(r.1, q + ds, n); store(r.2, q + 2 * ds, n); store(r.3, q + 3 * ds, n)
            }
            i += n
        }
    }

    /// dst[r] = Σ_j Aᵀ[r,j] src[j]   (α → m)
    @inlinable @inline(__always)
    static func applyAT(_ m: Int, _ s: UnsafePointer<Scalar>, _ ss: Int, _ d: UnsafeMutablePointer<Scalar>, _ ds: Int, count: Int) {
        var i = 0
        while i < count {
            let n = min(Lanes.scalarCount, count - i), p = s + i, q = d + i
            if m == 6 {
                let r = aT6(load(p, n), load(p + ss, n), load(p + 2 * ss, n), load(p + 3 * ss, n),
                            load(p + 4 * ss, n), load(p + 5 * ss, n), load(p + 6 * ss, n), load(p + 7 * ss, n))
                store(r.0, q, n); store(r.1, q + ds, n); store(r.2, q + 2 * ds, n); store(r.3, q + 3 * ds, n)
                store(r.4, q + 4 * ds, n); store(r.5, q + 5 * ds, n)
            } else if m == 4 {
                let r = aT4(load(p, n), load(p + ss, n), load(p + 2 * ss, n), load(p + 3 * ss, n), load(p + 4 * ss, n), load(p + 5 * ss, n))
                store(r.0, q, n); store(r.1, q + ds, n); store(r.2, q + 2 * ds, n); store(r.3, q + 3 * ds, n)
            } else {
                let r = aT2(load(p, n), load(p + ss, n), load(p + 2 * ss, n), load(p + 3 * ss, n))
                store(r.0, q, n); store(r.1, q + ds, n)
            }
            i += n
        }
    }

    /// dst[j] = Σ_r Aᵀ[r,j] src[r]   (m → α, the adjoint of `applyAT`)
    @inlinable @inline(__always)
    static func applyA(_ m: Int, _ s: UnsafePointer<Scalar>, _ ss: Int, _ d: UnsafeMutablePointer<Scalar>, _ ds: Int, count: Int) {
        var i = 0
        while i < count {
            let n = min(Lanes.scalarCount, count - i), p = s + i, q = d + i
            if m == 6 {
                let r = a6(load(p, n), load(p + ss, n), load(p + 2 * ss, n), load(p + 3 * ss, n), load(p + 4 * ss, n), load(p + 5 * ss, n))
                store(r.0, q, n); store(r.1, q + ds, n); store(r.2, q + 2 * ds, n); store(r.3, q + 3 * ds, n)
                store(r.4, q + 4 * ds, n); store(r.5, q + 5 * ds, n); store(r.6, q + 6 * ds, n); store(r.7, q + 7 * ds, n)
            } else if m == 4 {
                let r = a4(load(p, n), load(p + ss, n), load(p + 2 * ss, n), load(p + 3 * ss, n))
                store(r.0, q, n); store(r.1, q + ds, n); store(r.2, q + 2 * ds, n); store(r.3, q + 3 * ds, n)
                store(r.4, q + 4 * ds, n); store(r.5, q + 5 * ds, n)
            } else {
                let r = a2(load(p, n), load(p + ss, n))
                store(r.0, q, n); store(r.1, q + ds, n); store(r.2, q + 2 * ds, n); store(r.3, q + 3 * ds, n)
            }
            i += n
        }
    }

    /// dst[q·ds + t] = src[t·m + q] for q < m, t < count: a row's m phases. Each iteration
    /// reads one whole group of m neighbours, a pattern the vectoriser turns into wide loads
    /// and shuffles.
    @inlinable @inline(__always)
    static func deinterleave(_ m: Int, _ src: UnsafePointer<Scalar>, _ dst: UnsafeMutablePointer<Scalar>, _ ds: Int, count: Int) {
        let d0 = dst, d1 = d0 + ds
        var s = src
        if m == 6 {
            let d2 = d1 + ds, d3 = d2 + ds, d4 = d3 + ds, d5 = d4 + ds
            for t in 0..<count { d0[t] = s[0]; d1[t] = s[1]; d2[t] = s[2]; d3[t] = s[3]; d4[t] = s[4]; d5[t] = s[5]; s += 6 }
        } else if m == 4 {
            let d2 = d1 + ds, d3 = d2 + ds
            for t in 0..<count { d0[t] = s[0]; d1[t] = s[1]; d2[t] = s[2]; d3[t] = s[3]; s += 4 }
        } else {
            for t in 0..<count { d0[t] = s[0]; d1[t] = s[1]; s += 2 }
        }
    }

    /// dst[t·m + q] = src[q·ss + t] for q < m, t < count (the inverse of `deinterleave`).
    @inlinable @inline(__always)
    static func interleave(_ m: Int, _ src: UnsafePointer<Scalar>, _ ss: Int, _ dst: UnsafeMutablePointer<Scalar>, count: Int) {
        let s0 = src, s1 = s0 + ss
        var d = dst
        if m == 6 {
            let s2 = s1 + ss, s3 = s2 + ss, s4 = s3 + ss, s5 = s4 + ss
            for t in 0..<count { d[0] = s0[t]; d[1] = s1[t]; d[2] = s2[t]; d[3] = s3[t]; d[4] = s4[t]; d[5] = s5[t]; d += 6 }
        } else if m == 4 {
            let s2 = s1 + ss, s3 = s2 + ss
            for t in 0..<count { d[0] = s0[t]; d[1] = s1[t]; d[2] = s2[t]; d[3] = s3[t]; d += 4 }
        } else {
            for t in 0..<count { d[0] = s0[t]; d[1] = s1[t]; d += 2 }
        }
    }

    // MARK: Winograd convolution and its adjoint

    /// Scalars added to the stride of every run of tiles in the Winograd buffers (the slabs of V
    /// and M per ξ, and the rows of the transforms' scratch). Without it those strides are often
    /// multiples of 4 KiB (C·T = 128·256 in VGG's block 2), so the 8 to 64 streams a transform
    /// reads or writes at once all map to the same L1 and L2 sets and evict each other.
    @inlinable static var winogradSkew: Int { 16 }

    /// Runs of consecutive channels a shared band's transform phase is cut into, per worker:
    /// enough that a core slowed by another process takes fewer, few enough that each run
    /// walks every slab of V or M sequentially for a while.
    @inlinable static var channelRuns: Int { 8 }

    /// How a layer's tile rows are cut into bands, and how the workers share them. A band goes
    /// through three phases: input transform (per input channel), α² GEMMs (per transform point
    /// ξ), output transform (per output channel).
    /// - `shared`: all workers run one band at a time, splitting each phase among them, so a
    ///   GEMM spans every tile of the band and each U[ξ] is packed by one worker once per band.
    ///   A band is as many tile rows as the workspace bound holds for its V and M
    ///   (α²·(C+O) scalars a tile), and a layer's bands are made equal.
    /// - own bands (`shared == false`): each worker runs whole bands of ≈ 1 Mi scalars of V and
    ///   M, which stay in its own cache between the phases, with no hand-over between cores.
    /// Own bands are chosen (`sharedBands == nil`) when a band that size still has ≥ 128 tiles
    /// (GEMMs that wide run near the BLAS peak) and the layer has ≥ 4 such bands a worker — on
    /// VGG, the large maps of the first blocks. On the deeper layers (few tiles, many channels)
    /// own bands would make each GEMM too narrow to run near the peak, so they share bands.
    /// (Timings behind the thresholds: docs/measurements/2026-12-02-engine-notes.md.)
    /// `workers` defaults to `Parallel.available`.
    @inlinable
    public static func winogradPlan(_ t: WinogradTransform, c: Int, o: Int, tilesX: Int, tilesY: Int, maxScalars: Int,
                                    sharedBands: Bool? = nil, workers: Int = Parallel.available)
        -> (rows: Int, count: Int, shared: Bool, workers: Int) {
        let perRow = t.alpha * t.alpha * (c + o) * tilesX
        let ownRows = max(1, min((1 << 20) / perRow, maxScalars / (workers * perRow)))
        let shared = sharedBands ?? (workers == 1 || ownRows * tilesX < 128 || tilesY < 4 * workers * ownRows)
        let most = shared ? max(1, min(tilesY, maxScalars / perRow)) : ownRows
        let count = (tilesY + most - 1) / most
        return ((tilesY + count - 1) / count, count, shared, workers)
    }

    /// y ← conv(x, g) + bias by Winograd F(m×m, 3×3), then ReLU when `relu`; with `relu`,
    /// when `rectified` is given, y keeps the pre-activation and `rectified` (same shape) gets
    /// max(y, 0); `mask` (when given) gets the ReLU's mask [y > 0], with or without `relu`, in
    /// the same pass. With `inputReLU`, max(x, 0) is convolved (rectified as rows are read).
    /// x [C,H,W], u = transformed weights [α², O, C], y [O,H,W] (overwritten). With `packed`
    /// (Scalar Float: U[ξ] [O, C] per ξ in bf16, see `Conv3x3.winogradPacks`) the GEMMs run
    /// in bf16 and u may be nil.
    ///
    /// Per band of T tiles (rows of tiles, see `winogradPlan`):
    /// (1) per input channel: V[ξ][c][t] = (Bᵀ d_t B)[ξ], ξ = i·α + k (i along y, k along x):
    ///     each input row a tile row reads is split into S[j][l][t] = X[row j][t·m + l − 1]
    ///     (0 outside), then S is transformed along x (over l) and along y (over j), both as
    ///     loops over all T tiles of the band;
    /// (2) per ξ: the GEMM M[ξ] = U[ξ]·V[ξ];
    /// (3) per output channel: Y = Aᵀ M A (+ bias, ReLU), along x then y, interleaved into y.
    @inlinable
    public static func winogradConvolve(_ x: Tensor<Scalar>, inputReLU: Bool = false, transformed u: Tensor<Scalar>?,
                                        packed: [BF16PackedMatrix]? = nil, transform t: WinogradTransform,
                                        bias: Tensor<Scalar>?, relu: Bool, into y: inout Tensor<Scalar>,
                                        rectified: UnsafeMutablePointer<Scalar>? = nil, mask: UnsafeMutablePointer<UInt8>? = nil,
                                        workspace: ConvWorkspace<Scalar>) {
        let c = x.shape[0], h = x.shape[1], w = x.shape[2]
        let m = t.m, a = t.alpha, a2 = a * a, o = u?.shape[1] ?? packed?.first?.rows ?? 0
        precondition((u?.shape == [a2, o, c] || packed.map { $0.count == a2 && $0[0].rows == o && $0[0].depth == c } == true)
                     && y.shape == [o, h, w])
        if h * w == 0 || o == 0 { return }
        let tilesX = (w + m - 1) / m, tilesY = (h + m - 1) / m
        let plan = winogradPlan(t, c: c, o: o, tilesX: tilesX, tilesY: tilesY,
                                maxScalars: workspace.maxScalars, sharedBands: workspace.winogradSharedBands)
        let rowLen = tilesX * m + 2          // a padded row: pad[x + 1] = X[x], 0 outside
        let maxT = plan.rows * tilesX, skew = winogradSkew, bandScalars = a2 * ((c + o) * maxT + 2 * skew)
        let rowScalars = 2 * a2 * (maxT + skew) + rowLen       // S and R (or Q and the output rows), a row
        let sets = plan.shared ? 1 : plan.workers               // sets of V and M
        let buffer = workspace.scratch(sets * bandScalars + plan.workers * rowScalars)
        let rowBuffers = buffer + sets * bandScalars
        let biasValues = bias?.storage ?? []
        let weights = u?.storage ?? []
        x.storage.withUnsafeBufferPointer { xb in
        weights.withUnsafeBufferPointer { ub in
        y.storage.withUnsafeMutableBufferPointer { yb in
            let xp = xb.baseAddress!, up = ub.baseAddress, yp = yb.baseAddress!
            // (1) V[ξ][ci][t] for the band's tile rows ty0..<ty0 + rowsT
            func transformInput(_ ci: Int, ty0: Int, rowsT: Int, v: UnsafeMutablePointer<Scalar>, rows split: UnsafeMutablePointer<Scalar>) {
                let tiles = rowsT * tilesX, ts = tiles + skew, vs = c * tiles + skew
                let across = split + a2 * ts, pad = split + 2 * a2 * (maxT + skew)
                let src = xp + ci * h * w
                for tr in 0..<rowsT {
                    let yTop = (ty0 + tr) * m - 1
                    for j in 0..<a {
                        let sj = split + j * a * ts + tr * tilesX, sy = yTop + j
                        if sy < 0 || sy >= h {
                            for l in 0..<a { (sj + l * ts).update(repeating: 0, count: tilesX) }
                            continue
                        }
                        pad[0] = 0
                        copyRow(src + sy * w, pad + 1, count: w, rectifying: inputReLU)
                        (pad + 1 + w).update(repeating: 0, count: rowLen - 1 - w)
                        // S[q][t] = pad[t·m + q] for q < m; S[m + q][t] = pad[(t + 1)·m + q] = S[q][t + 1]
                        deinterleave(m, pad, sj, ts, count: tilesX)
                        for q in 0..<2 {
                            let shifted = sj + (m + q) * ts
                            shifted.update(from: sj + q * ts + 1, count: tilesX - 1)
                            shifted[tilesX - 1] = pad[tilesX * m + q]
                        }
                    }
                }
                for j in 0..<a {   // along x
                    applyBT(m, split + j * a * ts, ts, across + j * a * ts, ts, count: tiles)
                }
                for k in 0..<a {   // along y: V[i·α + k] = Σ_j Bᵀ[i,j] R[j][k]
                    applyBT(m, across + k * ts, a * ts, v + k * vs + ci * tiles, a * vs, count: tiles)
                }
            }
            // (2) M[ξ][O, T] = U[ξ][O, C] · V[ξ][C, T]
            func multiply(_ xi: Int, tiles: Int, v: UnsafeMutablePointer<Scalar>, mm: UnsafeMutablePointer<Scalar>) {
                bandGemm(shared: false, transA: false, m: o, n: tiles, k: c, a: up.map { $0 + xi * o * c } ?? UnsafePointer(v), lda: c,
                         packed: packed?[xi], b: UnsafePointer(v + xi * (c * tiles + skew)), ldb: tiles,
                         beta: 0, c: mm + xi * (o * tiles + skew), ldc: tiles)
            }
            // (3) Q[i][s][t] = Σ_j Aᵀ[s,j] M[i·α+j], then Y[r][s][t] = Σ_i Aᵀ[r,i] Q[i][s][t]
            func transformOutput(_ oi: Int, ty0: Int, rowsT: Int, mm: UnsafeMutablePointer<Scalar>, rows q: UnsafeMutablePointer<Scalar>) {
                let tiles = rowsT * tilesX, ts = tiles + skew, ms = o * tiles + skew
                let out = q + a * m * ts, pad = q + 2 * a2 * (maxT + skew)
                let b: Scalar = biasValues.isEmpty ? 0 : biasValues[oi]
                for i in 0..<a {
                    applyAT(m, mm + i * a * ms + oi * tiles, ms, q + i * m * ts, ts, count: tiles)
                }
                for s in 0..<m { applyAT(m, q + s * ts, m * ts, out + s * ts, m * ts, count: tiles) }
                for tr in 0..<rowsT {
                    let yTop = (ty0 + tr) * m
                    for r in 0..<min(m, h - yTop) {
                        let offset = (oi * h + yTop + r) * w, d = yp + offset
                        interleave(m, out + r * m * ts + tr * tilesX, ts, pad, count: tilesX)   // the output row, x = t·m + s
                        // Loops of one source and one destination each, so that each vectorises.
                        for xx in 0..<w { d[xx] = pad[xx] + b }   // + bias: the pre-activation, or y without a ReLU
                        if let mask { ReLUMask.write(d, count: w, into: mask + offset) }   // [y > 0] = [max(y, 0) > 0]
                        if relu { ReLU.rectify(d, into: rectified.map { $0 + offset } ?? d, count: w) }   // in place without `rectified`
                    }
                }
            }
            if plan.shared {
                let v = buffer, mm = buffer + a2 * (c * maxT + skew), runs = channelRuns * plan.workers
                for band in 0..<plan.count {
                    let ty0 = band * plan.rows, rowsT = min(plan.rows, tilesY - ty0)
                    Parallel.forEachRange(c, runs: runs, workers: plan.workers) { worker, channels in
                        for ci in channels { transformInput(ci, ty0: ty0, rowsT: rowsT, v: v, rows: rowBuffers + worker * rowScalars) }
                    }
                    Parallel.forEachIndex(a2, workers: plan.workers) { _, xi in multiply(xi, tiles: rowsT * tilesX, v: v, mm: mm) }
                    Parallel.forEachRange(o, runs: runs, workers: plan.workers) { worker, channels in
                        for oi in channels { transformOutput(oi, ty0: ty0, rowsT: rowsT, mm: mm, rows: rowBuffers + worker * rowScalars) }
                    }
                }
            } else {
                Parallel.forEachIndex(plan.count, workers: plan.workers) { worker, band in
                    let v = buffer + worker * bandScalars, mm = v + a2 * (c * maxT + skew), rows = rowBuffers + worker * rowScalars
                    let ty0 = band * plan.rows, rowsT = min(plan.rows, tilesY - ty0)
                    for ci in 0..<c { transformInput(ci, ty0: ty0, rowsT: rowsT, v: v, rows: rows) }
                    for xi in 0..<a2 { multiply(xi, tiles: rowsT * tilesX, v: v, mm: mm) }
                    for oi in 0..<o { transformOutput(oi, ty0: ty0, rowsT: rowsT, mm: mm, rows: rows) }
                }
            }
        } } }
    }

    /// dX ← the exact adjoint of `winogradConvolve` (without bias) applied to
    /// dY' = dY · reluMask + addend — the ReLU's backward and a gradient injected at the
    /// convolution's own output fused into the read of dY (each optional, same shape as dY):
    /// dM = A dY' Aᵀ per output tile, dV[ξ] = U[ξ]ᵀ · dM[ξ], dX += B dV Bᵀ overlap-added onto
    /// the α×α input patches (neighbouring patches share 2 rows/columns).
    /// dY [O,H,W], u [α², O, C], dX [C,H,W] (overwritten). With `packed` (Scalar Float:
    /// U[ξ]ᵀ [C, O] per ξ in bf16) the GEMMs run in bf16 and u may be nil.
    ///
    /// The bands are planned and shared as in the forward pass, with the phases (1) per output
    /// channel dM, (2) per ξ dV's GEMM, (3) per input channel the overlap-add. A band's patches
    /// reach one row above and one below its own rows. Shared bands run one after another and
    /// in phase (3) one worker owns a channel's plane, so no two workers add to one value; each
    /// band zeroes the rows it reaches first. Own bands run concurrently, so dX is zeroed first
    /// and the even bands run, then the odd ones: bands of one parity never share a row (each
    /// owns at least 2).
    @inlinable
    public static func winogradConvolveAdjoint(_ dY: Tensor<Scalar>, transformed u: Tensor<Scalar>?,
                                               packed: [BF16PackedMatrix]? = nil, transform t: WinogradTransform,
                                               reluMask: ReLUMask? = nil, addend: Tensor<Scalar>? = nil,
                                               into dX: inout Tensor<Scalar>, workspace: ConvWorkspace<Scalar>) {
        let o = dY.shape[0], h = dY.shape[1], w = dY.shape[2]
        let m = t.m, a = t.alpha, a2 = a * a, c = u?.shape[2] ?? packed?.first?.rows ?? 0
        precondition((u?.shape == [a2, o, c] || packed.map { $0.count == a2 && $0[0].rows == c && $0[0].depth == o } == true)
                     && dX.shape == [c, h, w])
        precondition(reluMask.map { $0.shape == dY.shape } ?? true && addend.map { $0.shape == dY.shape } ?? true,
                     "Winograd adjoint: mask/addend shapes must match dY \(dY.shape)")
        if h * w == 0 || c == 0 { return }
        let tilesX = (w + m - 1) / m, tilesY = (h + m - 1) / m
        let plan = winogradPlan(t, c: c, o: o, tilesX: tilesX, tilesY: tilesY,
                                maxScalars: workspace.maxScalars, sharedBands: workspace.winogradSharedBands)
        let rowLen = tilesX * m + 2
        let maxT = plan.rows * tilesX, skew = winogradSkew, bandScalars = a2 * ((c + o) * maxT + 2 * skew)
        let rowScalars = 2 * a2 * (maxT + skew) + rowLen + m * tilesX     // D and E (or R and P), a row, the combined phases
        let sets = plan.shared ? 1 : plan.workers
        let buffer = workspace.scratch(sets * bandScalars + plan.workers * rowScalars)
        let rowBuffers = buffer + sets * bandScalars
        let mask = reluMask?.positive ?? [], extra = addend?.storage ?? []
        let weights = u?.storage ?? []
        dY.storage.withUnsafeBufferPointer { db in
        weights.withUnsafeBufferPointer { ub in
        mask.withUnsafeBufferPointer { maskBuffer in
        extra.withUnsafeBufferPointer { extraBuffer in
        dX.storage.withUnsafeMutableBufferPointer { xb in
            let dp = db.baseAddress!, up = ub.baseAddress, xp = xb.baseAddress!
            // (An empty array's baseAddress need not be nil: test the optionals themselves.)
            let maskp = reluMask == nil ? nil : maskBuffer.baseAddress, extrap = addend == nil ? nil : extraBuffer.baseAddress
            // (1) D[r][s][t] = dY'[yTop + r][t·m + s]; E[i] = Σ_r Aᵀ[r,i] D[r]; dM[i·α + j] = Σ_s Aᵀ[s,j] E[i][s]
            func transformGradient(_ oi: Int, ty0: Int, rowsT: Int, dm: UnsafeMutablePointer<Scalar>, rows dRows: UnsafeMutablePointer<Scalar>) {
                let tiles = rowsT * tilesX, ts = tiles + skew, ms = o * tiles + skew
                let e = dRows + m * m * ts, pad = dRows + 2 * a2 * (maxT + skew)
                for tr in 0..<rowsT {
                    let yTop = (ty0 + tr) * m
                    for r in 0..<m {
                        let sy = yTop + r, dr = dRows + r * m * ts + tr * tilesX
                        if sy >= h {
                            for s in 0..<m { (dr + s * ts).update(repeating: 0, count: tilesX) }
                            continue
                        }
                        // the row of dY', contiguous, then its phases
                        let offset = (oi * h + sy) * w
                        ReLU.gradientRun(dp + offset, mask: maskp.map { $0 + offset }, addend: extrap.map { $0 + offset }, into: pad, count: w)
                        (pad + w).update(repeating: 0, count: tilesX * m - w)
                        deinterleave(m, pad, dr, ts, count: tilesX)
                    }
                }
                for s in 0..<m { applyA(m, dRows + s * ts, m * ts, e + s * ts, m * ts, count: tiles) }   // along y
                for i in 0..<a {   // along x
                    applyA(m, e + i * m * ts, ts, dm + i * a * ms + oi * tiles, ms, count: tiles)
                }
            }
            // (2) dV[ξ][C, T] = U[ξ][O, C]ᵀ · dM[ξ][O, T]
            func multiply(_ xi: Int, tiles: Int, dm: UnsafeMutablePointer<Scalar>, dv: UnsafeMutablePointer<Scalar>) {
                bandGemm(shared: false, transA: true, m: c, n: tiles, k: o, a: up.map { $0 + xi * o * c } ?? UnsafePointer(dm), lda: c,
                         packed: packed?[xi], b: UnsafePointer(dm + xi * (o * tiles + skew)), ldb: tiles,
                         beta: 0, c: dv + xi * (c * tiles + skew), ldc: tiles)
            }
            // (3) R[i][l] = Σ_k Bᵀ[k,l] dV[i·α + k]; P[j][l] = Σ_i Bᵀ[i,j] R[i][l]; overlap-add P onto
            //     dX's plane ci, after zeroing its rows `fresh`
            func addPatches(_ ci: Int, ty0: Int, rowsT: Int, fresh: Range<Int>, dv: UnsafeMutablePointer<Scalar>, rows across: UnsafeMutablePointer<Scalar>) {
                let tiles = rowsT * tilesX, ts = tiles + skew, vs = c * tiles + skew
                let patch = across + a2 * ts, pad = across + 2 * a2 * (maxT + skew), combined = pad + rowLen
                let dstPlane = xp + ci * h * w
                (dstPlane + fresh.lowerBound * w).update(repeating: 0, count: fresh.count * w)
                for i in 0..<a {   // along x
                    applyB(m, dv + i * a * vs + ci * tiles, vs, across + i * a * ts, ts, count: tiles)
                }
                for l in 0..<a { applyB(m, across + l * ts, a * ts, patch + l * ts, a * ts, count: tiles) }   // along y
                for tr in 0..<rowsT {
                    let yTop = (ty0 + tr) * m - 1
                    for j in 0..<a {
                        let sy = yTop + j
                        if sy < 0 || sy >= h { continue }
                        let d = dstPlane + sy * w
                        // Padded position t·m + l of tile t: phases q < 2 also get tile t − 1's l = m + q.
                        let p = patch + j * a * ts + tr * tilesX
                        for q in 0..<2 {
                            // cq[t] = own[t] + previous[t − 1]; previous is read one behind through its own pointer
                            let cq = combined + q * tilesX, own = p + q * ts, previous = p + (m + q) * ts - 1
                            cq[0] = own[0]
                            for tt in 1..<max(1, tilesX) { cq[tt] = own[tt] + previous[tt] }
                        }
                        for q in 2..<m { (combined + q * tilesX).update(from: p + q * ts, count: tilesX) }
                        interleave(m, combined, tilesX, pad, count: tilesX)
                        pad[tilesX * m] = p[m * ts + tilesX - 1]
                        pad[tilesX * m + 1] = p[(m + 1) * ts + tilesX - 1]
                        let shifted = pad + 1   // padded position x + 1 is pixel x
                        for xx in 0..<w { d[xx] += shifted[xx] }
                    }
                }
            }
            if plan.shared {
                let dv = buffer, dm = buffer + a2 * (c * maxT + skew), runs = channelRuns * plan.workers
                for band in 0..<plan.count {
                    let ty0 = band * plan.rows, rowsT = min(plan.rows, tilesY - ty0)
                    // Rows first reached by this band: the previous band reached down to row ty0·m.
                    let fresh = (band == 0 ? 0 : ty0 * m + 1)..<(band + 1 == plan.count ? h : min(h, (ty0 + rowsT) * m + 1))
                    Parallel.forEachRange(o, runs: runs, workers: plan.workers) { worker, channels in
                        for oi in channels { transformGradient(oi, ty0: ty0, rowsT: rowsT, dm: dm, rows: rowBuffers + worker * rowScalars) }
                    }
                    Parallel.forEachIndex(a2, workers: plan.workers) { _, xi in multiply(xi, tiles: rowsT * tilesX, dm: dm, dv: dv) }
                    Parallel.forEachRange(c, runs: runs, workers: plan.workers) { worker, channels in
                        for ci in channels { addPatches(ci, ty0: ty0, rowsT: rowsT, fresh: fresh, dv: dv, rows: rowBuffers + worker * rowScalars) }
                    }
                }
                return
            }
            Parallel.forRanges(c, costPerItem: h * w) { range in
                for ci in range { (xp + ci * h * w).update(repeating: 0, count: h * w) }
            }
            for parity in 0..<2 {
                Parallel.forEachIndex((plan.count - parity + 1) / 2, workers: plan.workers) { worker, i in
                    let band = 2 * i + parity, ty0 = band * plan.rows, rowsT = min(plan.rows, tilesY - ty0)
                    let dv = buffer + worker * bandScalars, dm = dv + a2 * (c * maxT + skew), rows = rowBuffers + worker * rowScalars
                    for oi in 0..<o { transformGradient(oi, ty0: ty0, rowsT: rowsT, dm: dm, rows: rows) }
                    for xi in 0..<a2 { multiply(xi, tiles: rowsT * tilesX, dm: dm, dv: dv) }
                    for ci in 0..<c { addPatches(ci, ty0: ty0, rowsT: rowsT, fresh: 0..<0, dv: dv, rows: rows) }
                }
            }
        } } } } }
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
