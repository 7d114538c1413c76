import Foundation
import NSTFileIO
import NSTTensor

/// How much memory a style-transfer run needs, and how much the machine has.
///
/// The model: peak resident memory grows linearly with the generated image's pixel count,
///
///     peak(P) = (base + perPixel · P) · channelFraction
///
/// fitted through two measured peaks of `nst transfer` with the default five style layers
/// on the installed VGG16, content 480×360 resized to longest side 1024 (786 432 px) and
/// 2048 (3 145 728 px): 1.66 GB and 4.87 GB (1 GB = 10⁹ bytes). That gives
/// perPixel = 3.21 GB / 2 359 296 px ≈ 1361 bytes per pixel and base ≈ 0.59 GB (the
/// weights, the runtime and the fixed buffers). `channelFraction` scales both terms for
/// narrower networks (activations are proportional to the channel count, the weights to its
/// square): 1 for VGG16, ⅛ for `--random-weights`. That scaling is an assumption, not a
/// measurement; the estimate is used only to refuse sizes that clearly cannot fit.
public enum MemoryEstimate {
    public static let baseBytes: Double = 0.59e9
    public static let bytesPerPixel: Double = (4.87e9 - 1.66e9) / Double(2048 * 1536 - 1024 * 768)

    /// Estimated peak bytes for a `width × height` generated image.
    public static func peakBytes(width: Int, height: Int, channelFraction: Double = 1) -> Double {
        (baseBytes + bytesPerPixel * Double(width) * Double(height)) * channelFraction
    }

    /// The largest longest side (in pixels, a multiple of 16, at least 16) whose estimate
    /// fits in `available` bytes, for an image of aspect `shortSide / longSide` (≤ 1);
    /// nil when not even 16 fits.
    public static func largestSide(fitting available: Double, aspect: Double, channelFraction: Double = 1) -> Int? {
        let pixels = (available / channelFraction - baseBytes) / bytesPerPixel
        guard pixels > 0, aspect > 0 else { return nil }
        let side = Int((pixels / aspect).squareRoot()) / 16 * 16
        return side >= 16 ? side : nil
    }

    /// "4.9 GB" (decimal gigabytes, one decimal) or "712 MB".
    public static func describe(_ bytes: Double) -> String {
        bytes >= 1e9 ? String(format: "%.1f GB", bytes / 1e9) : String(format: "%.0f MB", bytes / 1e6)
    }
}

/// The memory this process may still use: the smaller of /proc/meminfo's MemAvailable and
/// what the cgroup's memory.max leaves above memory.current (cgroup v2), nil when neither
/// can be read (not Linux). `meminfoFile` names a file read instead of /proc/meminfo (and turns
/// the other readings off): the CLI passes its `NST_TEST_MEMINFO`, for tests.
public enum AvailableMemory {
    public static func bytes(meminfoFile: String? = nil) -> Double? {
        if let fake = meminfoFile { return memAvailable(in: (try? String(contentsOfFile: fake, encoding: .utf8)) ?? "") }
        var found: [Double] = []
        if let room = addressSpaceRoom() { found.append(room) }
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8), let m = memAvailable(in: text) { found.append(m) }
        if let limit = number(at: "/sys/fs/cgroup/memory.max"), let used = number(at: "/sys/fs/cgroup/memory.current") {
            found.append(max(0, limit - used))
        }
        return found.min()
    }

    /// The `MemAvailable:` line of a meminfo text, in bytes.
    public static func memAvailable(in meminfo: String) -> Double? {
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kb = Double(fields[1]) else { return nil }
            let unit = fields.count >= 3 ? fields[2].lowercased() : "kb"
            return unit == "kb" ? kb * 1024 : kb
        }
        return nil
    }

    /// What an address-space limit (`ulimit -v`, RLIMIT_AS) leaves for the run: the limit,
    /// less what the process has mapped already, less OpenBLAS's work buffers (one per
    /// thread that calls it, `BLASRuntime.workBufferBytes` each); nil without a limit. Virtual
    /// memory, not resident: reserved thread stacks and mapped libraries count against it.
    /// `withBLASBuffers: false` for work that does no matrix product (reading weight files).
    public static func addressSpaceRoom(withBLASBuffers: Bool = true) -> Double? {
        guard let limit = BLASRuntime.addressSpaceLimit else { return nil }
        let mapped = number(at: "/proc/self/statm", field: 0).map { $0 * Double(sysconf(Int32(_SC_PAGESIZE))) } ?? 0
        let buffers = withBLASBuffers ? Double(BLASRuntime.workBufferBytes * Parallel.available) : 0
        return max(0, Double(limit) - mapped - buffers)
    }

    /// Refuses, in one line, to read a weight file of `path`'s size that cannot be held
    /// `copies` times over, with room for the runtime, under an address-space limit (`model
    /// info` reads a file's values once and checksums it in pieces: 1; `model import` holds its
    /// bytes, the parsed values and the bytes it writes, with some more: 4).
    /// Without this, a failed allocation ends the process with a trap.
    public static func checkRoomToRead(_ path: String, copies: Int) throws {
        guard let room = addressSpaceRoom(withBLASBuffers: false),
              let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int else { return }
        let need = Double(copies) * Double(size) + 96e6
        guard need > room else { return }
        throw CLIError("not enough address space to read the weights", file: path,
                       why: "about \(MemoryEstimate.describe(need)) is needed and the address-space limit (ulimit -v) leaves \(MemoryEstimate.describe(room))",
                       fix: "raise the limit", kind: .runtime)
    }

    /// Field `field` of a file of space-separated numbers.
    static func number(at path: String, field: Int) -> Double? {
        guard let s = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let fields = s.split(whereSeparator: { $0 == " " || $0 == "\n" })
        return field < fields.count ? Double(fields[field]) : nil
    }

    /// A file holding one number ("max" means no limit: nil).
    static func number(at path: String) -> Double? {
        guard let s = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Double(s.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
