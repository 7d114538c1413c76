import Dispatch
import Foundation
import NSTTensor
import NSTLayers
import NSTVGG
import NSTRandom

/// One GEMM shape of the engine: C [m, n] = op(A) [m, k] · B [k, n], `count` times per pass.
public struct GemmShape: Sendable, Equatable {
    public var layer: String
    /// "forward" (M[ξ] = U[ξ]·V[ξ]) or "adjoint" (dV[ξ] = U[ξ]ᵀ·dM[ξ]).
    public var direction: String
    public var m: Int, n: Int, k: Int
    public var transA: Bool
    public var count: Int
    public var flop: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// fp32 `sgemm` against the bf16 GEMM on the engine's own GEMM shapes: what `--precision bf16`
/// gains where the convolutions spend their time.
public enum PrecisionProbe {
    /// The Winograd GEMMs of `architecture`'s convolutions through `deepest` on a width×height
    /// image, as the default workspace plans them (tile per layer, bands of `winogradPlan`):
    /// one forward and one adjoint shape per layer (a layer's last band may be narrower).
    /// Layers on im2col (conv1_1) are left out.
    public static func winogradShapes(_ architecture: VGGArchitecture, through deepest: String, width: Int, height: Int,
                                      workers: Int = Parallel.available) -> [GemmShape] {
        let workspace = ConvWorkspace<Float>()
        workspace.algorithm = .auto
        var shapes: [GemmShape] = []
        var w = width, h = height, inChannels = 3
        for layer in architecture.layers {
            if layer.kind == .pool { w /= 2; h /= 2 }
            if layer.kind == .conv {
                let (c, o) = (inChannels, layer.channels)
                inChannels = o
                let conv = Conv3x3<Float>(weight: Tensor(shape: [o, c, 3, 3]), bias: Tensor(shape: [o]))
                if let t = conv.winogradTransform(workspace, pixels: w * h) {
                    let tilesX = (w + t.m - 1) / t.m, tilesY = (h + t.m - 1) / t.m
                    let plan = Conv3x3<Float>.winogradPlan(t, c: c, o: o, tilesX: tilesX, tilesY: tilesY,
                                                           maxScalars: workspace.maxScalars, workers: workers)
                    let n = plan.rows * tilesX, count = t.alpha * t.alpha * plan.count, name = "\(layer.name) F(\(t.m))"
                    shapes.append(GemmShape(layer: name, direction: "forward", m: o, n: n, k: c, transA: false, count: count))
                    shapes.append(GemmShape(layer: name, direction: "adjoint", m: c, n: n, k: o, transA: true, count: count))
                }
            }
            if layer.name == deepest { break }
        }
        return shapes
    }

    /// GFLOP/s of `shape` in fp32 (`Float.gemm`) and in bf16 (A packed once, as the engine
    /// packs weights), with `threads` independent GEMMs of it running at once (as the engine's
    /// workers run one ξ each), each on its own operands; best of 3 runs of ≥ `seconds` each.
    public static func gflops(_ shape: GemmShape, threads: Int, seconds: Double = 0.1) -> (fp32: Double, bf16: Double) {
        let (m, n, k) = (shape.m, shape.n, shape.k)
        var rng = SplitMix64(seed: 5)
        let a = Tensor<Float>.uniform(shape.transA ? [k, m] : [m, k], using: &rng)
        let lda = shape.transA ? m : k
        let bs = (0..<threads).map { _ in Tensor<Float>.uniform([k, n], using: &rng) }
        var cs = (0..<threads).map { _ in [Float](repeating: 0, count: m * n) }
        let packed = a.storage.withUnsafeBufferPointer {
            BF16PackedMatrix(transposed: shape.transA, rows: m, depth: k, a: $0.baseAddress!, lda: lda)
        }
        func run(bf16: Bool) -> Double {
            var best = 0.0
            for _ in 0..<3 {
                let calls = (0..<threads).map { _ in Counter() }
                let start = DispatchTime.now().uptimeNanoseconds
                a.storage.withUnsafeBufferPointer { ap in
                    cs.withUnsafeMutableBufferPointer { cb in
                        nonisolated(unsafe) let cb = cb
                        Parallel.forEachIndex(threads, workers: threads) { _, t in
                            bs[t].storage.withUnsafeBufferPointer { bp in
                                cb[t].withUnsafeMutableBufferPointer { cp in
                                    repeat {
                                        if bf16 {
                                            packed.gemm(n: n, b: bp.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
                                        } else {
                                            Float.gemm(transA: shape.transA, transB: false, m: m, n: n, k: k, alpha: 1, a: ap.baseAddress!, lda: lda,
                                                       b: bp.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
                                        }
                                        calls[t].value += 1
                                    } while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds
                                }
                            }
                        }
                    }
                }
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                best = max(best, shape.flop * Double(calls.reduce(0) { $0 + $1.value }) / elapsed / 1e9)
            }
            return best
        }
        let fp32 = run(bf16: false)
        return (fp32, BF16.isSupported ? run(bf16: true) : .nan)
    }

    /// One worker's call count.
    final class Counter: @unchecked Sendable { var value = 0 }

    /// The comparison as lines: the shapes, then per shape and thread count fp32 and bf16
    /// GFLOP/s and the speed-up, and the pass's GEMM time in each precision (shapes × counts).
    public static func report(_ architecture: VGGArchitecture, through deepest: String, width: Int, height: Int,
                              threadCounts: [Int], seconds: Double = 0.1, log: (String) -> Void) {
        guard BF16.isSupported else {
            log("precision: bf16 cannot run here: \(BF16.unsupportedReason ?? "")")
            return
        }
        let shapes = winogradShapes(architecture, through: deepest, width: width, height: height)
        log("precision: sgemm against the bf16 GEMM on the Winograd GEMMs of \(width)×\(height) through \(deepest) (AMX: \(BF16.hasAMX ? "present, not used" : "absent"))")
        for threads in threadCounts {
            var total32 = 0.0, total16 = 0.0
            for s in shapes {
                let g = gflops(s, threads: threads, seconds: seconds)
                // The pass's seconds for this shape: count GEMMs shared among `threads` workers.
                total32 += s.flop * Double(s.count) / (g.fp32 * 1e9)
                total16 += s.flop * Double(s.count) / (g.bf16 * 1e9)
                log(String(format: "  %@ %@  m %4d n %4d k %4d%@ ×%3d  threads %d  fp32 %6.1f GFLOP/s  bf16 %6.1f GFLOP/s  %.2f×",
                           s.layer as NSString, s.direction as NSString, s.m, s.n, s.k, (s.transA ? " (Aᵀ)" : "") as NSString, s.count, threads,
                           g.fp32, g.bf16, g.bf16 / g.fp32))
            }
            log(String(format: "  threads %d: the pass's Winograd GEMMs take %.3f s in fp32, %.3f s in bf16 (%.2f×)",
                       threads, total32, total16, total32 / total16))
        }
    }
}
