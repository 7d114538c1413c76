import NSTTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The arithmetic of the convolutions' GEMMs.
public enum Precision: String, CaseIterable, Sendable, Codable {
    /// fp32 inputs and products (OpenBLAS `sgemm`): the reference.
    case fp32
    /// Inputs rounded to bf16 (8 significant bits), products summed in fp32: AVX512-BF16's
    /// `vdpbf16ps`, about twice sgemm's speed. Falls back to fp32 on CPUs without it.
    case bf16
    /// The engine's choice: fp32. (bf16 becomes the default only once its accuracy over a
    /// whole optimisation is shown to hold; see docs/precision.md.)
    case auto

    /// `NST_PRECISION` if set to a valid value (any case), else `.auto`.
    public static var environmentDefault: Precision {
        getenv("NST_PRECISION").flatMap { Precision(rawValue: String(cString: $0).lowercased()) } ?? .auto
    }

    /// What runs on this CPU: `.bf16` when asked for and `BF16.isSupported`, else `.fp32`.
    public var effective: Precision {
        switch self {
        case .bf16: return BF16.isSupported ? .bf16 : .fp32
        case .fp32, .auto: return .fp32
        }
    }

    /// Why this precision cannot run here (nil when it can): bf16 on a CPU without AVX512-BF16.
    public var unavailableReason: String? { self == .bf16 ? BF16.unsupportedReason : nil }
}
