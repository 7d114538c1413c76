import _CBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which OpenBLAS kernels run, and a fix for CPUs OpenBLAS does not know.
///
/// OpenBLAS built with DYNAMIC_ARCH (Debian's) picks its kernels from the CPU model at load
/// time. A CPU newer than the library (e.g. OpenBLAS 0.3.21 on a Sapphire Rapids Xeon) falls back
/// to "Prescott" — SSE3 kernels, several times slower than the AVX-512 ones the CPU can run. When
/// that happens, the CPU has AVX-512 (F, BW, DQ, VL) and the user did not choose a core type with
/// OPENBLAS_CORETYPE, the engine re-initialises OpenBLAS's kernel table as "Cooperlake" (AVX-512
/// with BF16) or "SkylakeX", before its first BLAS call.
public enum BLASRuntime {
    /// The kernel set in use ("SkylakeX", "Haswell", …), after `configure()`.
    public static var coreName: String {
        configure()
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// What `configure()` did: nil when OpenBLAS's own choice was kept.
    public static var override: String? { configured }

    /// Whether the user chose OpenBLAS's kernels (OPENBLAS_CORETYPE): then `configure()`
    /// keeps them. The program sets it from its environment before the first BLAS call.
    nonisolated(unsafe) public static var userChoseCoreType = false

    /// Runs once; every GEMM entry point calls it. Besides the kernel choice it makes OpenBLAS
    /// single-threaded: the engine splits its own work over the cores (`Parallel`,
    /// `TensorScalar.parallelGemm`), so OpenBLAS's worker threads would only spin (sched_yield)
    /// on the core the engine's transforms need. `BLASThreads.set` changes it back (the
    /// roofline of `nst bench`).
    @inline(__always)
    public static func configure() { _ = configured; _ = singleThreaded }

    private static let singleThreaded: Bool = {
        _ = configured
        openblas_set_num_threads(1)
        refuseIfTheWorkBuffersCannotBeMapped()
        return true
    }()

    /// The address-space limit (`ulimit -v`, RLIMIT_AS) in bytes; nil when there is none.
    public static var addressSpaceLimit: UInt64? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }   // RLIM_INFINITY
        return UInt64(limit.rlim_cur)
    }

    /// Under an address-space limit the worker threads OpenBLAS starts when the library loads
    /// can spin for ever mapping a work buffer that does not fit, and exit then waits for them.
    /// With OPENBLAS_NUM_THREADS=1 set before the library loads it starts none (the engine
    /// makes OpenBLAS single-threaded anyway): so, under a limit, this runs the program again
    /// with it set. Call it first thing in `main`; it returns when there is nothing to do.
    ///
    /// Under a limit the engine also works on one thread (`Parallel.limit = 1`): every thread
    /// that calls OpenBLAS maps a work buffer of its own, and a second one mapped late in a
    /// run, when the limit is nearly reached, is the allocation OpenBLAS would retry for ever.
    /// glibc is asked for one malloc arena (`MALLOC_ARENA_MAX=1`), as each arena reserves
    /// 64 MiB of address space.
    /// `environment`: the process's, as the program read it.
    public static func restartWithoutWorkerThreadsUnderAnAddressSpaceLimit(environment: [String: String]) {
        guard addressSpaceLimit != nil else { return }
        Parallel.limit = 1
        guard environment["OPENBLAS_NUM_THREADS"] != "1" else { return }
        setenv("OPENBLAS_NUM_THREADS", "1", 1)
        if environment["MALLOC_ARENA_MAX"] == nil { setenv("MALLOC_ARENA_MAX", "1", 1) }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // exec failed (no /proc): carry on; the engine's own checks still refuse what cannot fit.
    }

    /// The work buffer OpenBLAS maps for each thread that calls it (BUFFER_SIZE of Debian's
    /// x86-64 build: 32 << 22 bytes).
    public static let workBufferBytes = 128 << 20

    /// Under an address-space limit (`ulimit -v`) OpenBLAS retries a work buffer it cannot map
    /// for ever, at full CPU, inside the first BLAS call. So before that call, map what it
    /// will need (a buffer for each of the engine's threads) and give it back; when that
    /// fails, stop with one line that says why, instead of spinning.
    static func refuseIfTheWorkBuffersCannotBeMapped() {
        guard let limit = addressSpaceLimit else { return }
        let bytes = workBufferBytes * Parallel.available
        let probe = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        if let probe, probe != MAP_FAILED { munmap(probe, bytes); return }
        let message = "nst: error: not enough address space for OpenBLAS's work buffers (\(bytes >> 20) MiB) under the limit of \(limit >> 20) MiB; raise the address-space limit (ulimit -v)\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        _exit(1)
    }

    private static let configured: String? = {
        if userChoseCoreType { return nil }
        guard let name = openblas_get_corename(), String(cString: name).lowercased() == "prescott" else { return nil }
        let flags = cpuFlags()
        guard ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) else { return nil }
        // DYNAMIC_ARCH builds export these; a single-target OpenBLAS does not (then nothing to do).
        guard let quit = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "gotoblas_dynamic_quit"),
              let initialise = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "gotoblas_dynamic_init") else { return nil }
        let core = flags.contains("avx512_bf16") ? "Cooperlake" : "SkylakeX"
        setenv("OPENBLAS_CORETYPE", core, 1)
        typealias Function = @convention(c) () -> Void
        unsafeBitCast(quit, to: Function.self)()
        unsafeBitCast(initialise, to: Function.self)()
        unsetenv("OPENBLAS_CORETYPE")
        return core
    }()

    /// The CPU feature flags of /proc/cpuinfo (empty elsewhere).
    static func cpuFlags() -> Set<String> {
        guard let file = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            let text = String(cString: line!)
            if text.hasPrefix("flags") {
                let list = text.split(separator: ":", maxSplits: 1).last ?? ""
                return Set(list.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init))
            }
        }
        return []
    }
}
