#if canImport(Glibc)
import _CMalloc
#endif

/// How the C heap treats the engine's large, short-lived tensors.
///
/// Every evaluation allocates and frees activations and gradients of up to tens of MiB. By
/// default glibc serves such blocks with mmap and gives them back to the kernel on free (and
/// trims the heap's top past 128 KiB–64 MiB), so the next evaluation takes fresh pages: a page
/// fault and a kernel zero-fill per 4 KiB, a cost paid again every evaluation.
/// `retainFreedMemory()` sets the mmap threshold to glibc's maximum (32 MiB on 64-bit) and
/// the trim threshold to 1 GiB, so freed blocks stay in the heap for reuse. The peak RSS is
/// unchanged: it is the high-water mark either way.
public enum HeapPolicy {
    /// Idempotent; a no-op off glibc.
    public static func retainFreedMemory() { _ = applied }

    private static let applied: Bool = {
        #if canImport(Glibc)
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
        #endif
        return true
    }()
}
