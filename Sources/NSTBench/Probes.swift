import Dispatch
import Foundation
import NSTTensor
import NSTRandom
#if canImport(Glibc)
import Glibc
#endif

/// One n×n×n cblas_sgemm (2n³ FLOP) with its operands allocated once, timed a call at a time:
/// the "roofline" the engine's speed is compared with.
public final class RooflineProbe {
    public let n: Int
    let a: Tensor<Float>, b: Tensor<Float>
    var c: [Float]

    public init(n: Int) {
        var rng = SplitMix64(seed: 7)
        self.n = n
        a = .uniform([n, n], using: &rng)
        b = .uniform([n, n], using: &rng)
        c = [Float](repeating: 0, count: n * n)
    }

    /// The three matrices' memory, all of it resident once the first call has written c.
    public var residentMiB: Double { Double(3 * n * n * MemoryLayout<Float>.stride) / 1048576 }

    /// GFLOP/s of back-to-back calls, as many as take `seconds` (at least one): on OpenBLAS's
    /// own `threads` (put back to 1 afterwards: the engine parallelises itself), or with
    /// `threads` nil split over nst's workers by `parallelGemm`, OpenBLAS on 1 thread, as the
    /// engine runs its own products. The paired samples use the latter: after a call on its
    /// own threads, OpenBLAS's idle workers spin for a while and take CPU from the iteration
    /// that follows.
    public func gflops(threads: Int?, forAtLeast seconds: Double = 0) -> Double {
        if let threads { BLASThreads.set(threads) }
        defer { if threads != nil { BLASThreads.set(1) } }
        let n = self.n
        var calls = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        a.storage.withUnsafeBufferPointer { ap in
            b.storage.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    repeat {
                        if threads == nil {
                            Float.parallelGemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: ap.baseAddress!, lda: n,
                                               b: bp.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
                        } else {
                            Float.gemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: ap.baseAddress!, lda: n,
                                       b: bp.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
                        }
                        calls += 1
                        elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    } while elapsed < seconds
                }
            }
        }
        return 2 * Double(n) * Double(n) * Double(n) * Double(calls) / elapsed / 1e9
    }

    /// The roofline: best-of-runs GFLOP/s on OpenBLAS's own `threads`, after one warm-up call.
    public func bestGFLOPS(threads: Int) -> Double {
        let runs = max(2, min(6, Int(4e9 / Double(2 * n * n * n))))
        return (0...runs).map { _ in gflops(threads: threads) }.dropFirst().max()!
    }
}

/// CPU time of the whole process (every thread), in seconds: unlike wall time, not inflated
/// when another process takes a core.
public enum ProcessCPUTime {
    public static func seconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

/// The process's peak resident memory (Linux: VmHWM, reset through /proc/self/clear_refs;
/// elsewhere getrusage's maximum, which cannot be reset).
public enum PeakMemory {
    public static func reset() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    public static func peakMiB() -> Double {
        if let kib = statusKiB("VmHWM:") { return kib / 1024 }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// The resident memory now (Linux: VmRSS; elsewhere the peak).
    public static func residentMiB() -> Double {
        statusKiB("VmRSS:").map { $0 / 1024 } ?? peakMiB()
    }

    /// A "Name:   123 kB" line of /proc/self/status, in KiB.
    static func statusKiB(_ name: String) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return nil }
        return Double(line.split(separator: " ").dropFirst().first ?? "")
    }
}

/// Median, minimum and maximum of a non-empty sample.
public struct Stats: Encodable, Sendable {
    public var median: Double, min: Double, max: Double

    public init(_ xs: [Double]) {
        precondition(!xs.isEmpty, "Stats of an empty sample")
        let s = xs.sorted()
        median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        min = s.first!
        max = s.last!
    }
}

/// ‖a − b‖ / ‖b‖ (L2, accumulated in Double).
public func relativeDifference(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Double {
    precondition(a.shape == b.shape, "gradients of different shapes: \(a.shape) vs \(b.shape)")
    var diff = 0.0, norm = 0.0
    for (x, y) in zip(a.storage, b.storage) { let d = Double(x) - Double(y); diff += d * d; norm += Double(y) * Double(y) }
    return norm > 0 ? (diff / norm).squareRoot() : diff.squareRoot()
}
