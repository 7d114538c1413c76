import Dispatch
import Synchronization

/// Splits `0..<count` into at most `Parallel.workers` contiguous chunks and runs `body` on each,
/// concurrently. The non-GEMM work (im2col, ReLU, pooling) is memory-bound and cheap per
/// element, so the chunks are few and large: one per core, never one per pixel.
public enum Parallel {
    /// Number of workers: the machine's active cores (at least 1).
    public static let workers: Int = max(1, sysconfActiveProcessors())

    /// At most this many chunks when set (nil = `workers`); `nst bench --compare-threads` sets 1.
    /// Set it only while no parallel work runs.
    nonisolated(unsafe) public static var limit: Int? = nil

    /// The workers work is split among now: `workers`, or fewer under `limit`.
    @inlinable public static var available: Int { max(1, min(limit ?? workers, workers)) }

    /// Runs `body(range)` over disjoint ranges covering `0..<count`. Runs inline when the work is
    /// small (`count * costPerItem < 32 Ki`), so tiny tensors pay no dispatch overhead.
    @inlinable
    public static func forRanges(_ count: Int, costPerItem: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = min(available, count)
        if chunks <= 1 || count * costPerItem < 32_768 {
            if count > 0 { body(0..<count) }
            return
        }
        forChunks(count, chunks: chunks) { _, range in body(range) }
    }

    /// Runs `body(worker, i)` for every i in 0..<count on `workers` concurrent workers that take
    /// the next index as they come free (an atomic counter), so a worker whose core is busy
    /// with another process takes fewer items instead of holding the others up at the end.
    /// `worker` (< workers) lets each use its own slice of a shared scratch buffer.
    /// `workers` is clamped to 1…count (and to `limit`).
    @inlinable
    public static func forEachIndex(_ count: Int, workers requested: Int, _ body: (Int, Int) -> Void) {
        let workers = max(1, min(requested, limit ?? requested, count))
        if count <= 0 { return }
        if workers == 1 { for i in 0..<count { body(0, i) }; return }
        let next = NextIndex()
        withoutActuallyEscaping(body) { escapable in
            nonisolated(unsafe) let work = escapable
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                while true {
                    let i = next.take()
                    if i >= count { break }
                    work(worker, i)
                }
            }
        }
    }

    /// `forEachIndex` over runs of consecutive indices: 0..<count cut into `runs` near-equal
    /// ranges, each handed whole to the next free worker as `body(worker, range)`. For work
    /// whose neighbouring indices touch neighbouring memory, so that a worker's accesses stay
    /// sequential (prefetchable) while the load still balances.
    @inlinable
    public static func forEachRange(_ count: Int, runs requested: Int, workers: Int, _ body: (Int, Range<Int>) -> Void) {
        let runs = max(1, min(requested, count))
        forEachIndex(runs, workers: workers) { worker, k in
            let lo = count * k / runs, hi = count * (k + 1) / runs
            if lo < hi { body(worker, lo..<hi) }
        }
    }

    /// Runs `body(k, range)` for k in 0..<chunks over contiguous ranges covering `0..<count`,
    /// concurrently; k lets each chunk use its own slice of a shared scratch buffer. `chunks`
    /// is clamped to 1…count (and to `limit`).
    @inlinable
    public static func forChunks(_ count: Int, chunks requested: Int, _ body: (Int, Range<Int>) -> Void) {
        let chunks = max(1, min(requested, limit ?? requested, count))
        if count <= 0 { return }
        if chunks == 1 { body(0, 0..<count); return }
        // The chunks touch disjoint ranges; callers pass raw pointers into their own buffers.
        withoutActuallyEscaping(body) { escapable in
            nonisolated(unsafe) let work = escapable
            DispatchQueue.concurrentPerform(iterations: chunks) { k in
                let lo = count * k / chunks, hi = count * (k + 1) / chunks
                if lo < hi { work(k, lo..<hi) }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
@usableFromInline func sysconfActiveProcessors() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
#elseif canImport(Darwin)
import Darwin
@usableFromInline func sysconfActiveProcessors() -> Int { Int(sysconf(_SC_NPROCESSORS_ONLN)) }
#else
@usableFromInline func sysconfActiveProcessors() -> Int { 1 }
#endif

/// A shared counter handing out 0, 1, 2, … to concurrent workers.
@usableFromInline
final class NextIndex: Sendable {
    @usableFromInline let value = Atomic<Int>(0)
    @usableFromInline init() {}
    @inlinable func take() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
}
