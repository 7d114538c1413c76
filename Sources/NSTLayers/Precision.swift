import NSTTensor

/// The arithmetic of the convolutions' GEMMs.
public enum Precision: String, CaseIterable, Sendable, Codable {
    /// fp32 inputs and products (OpenBLAS `sgemm`): the reference.
    case fp32
    /// Inputs rounded to bf16 (8 significant bits), products summed in fp32: AVX512-BF16's
    /// `vdpbf16ps`, about twice sgemm's speed. Falls back to fp32 on CPUs without it.
    case bf16
    /// fp32 in the forward pass, so the loss is fp32's; bf16 GEMMs (as `.bf16`) in the backward
    /// pass only, so only the gradient carries bf16's rounding. Falls back to fp32 on CPUs
    /// without AVX512-BF16.
    case bf16Backward = "bf16-backward"
    /// The engine's choice: fp32. (bf16 becomes the default only once its accuracy over a
    /// whole optimisation is shown to hold; see docs/precision.md.)
    case auto

    /// A setting's text (fp32 | bf16 | bf16-backward | auto, any case), or `.auto` for none or
    /// one it does not name.
    public init(setting: String?) {
        self = setting.flatMap { Precision(rawValue: $0.lowercased()) } ?? .auto
    }

    /// What runs on this CPU: `.bf16` or `.bf16Backward` when asked for and `BF16.isSupported`,
    /// else `.fp32`.
    public var effective: Precision {
        switch self {
        case .bf16, .bf16Backward: return BF16.isSupported ? self : .fp32
        case .fp32, .auto: return .fp32
        }
    }

    /// Whether the forward (`backward` false) or backward pass's GEMMs run in bf16 when this
    /// precision is the effective one.
    public func usesBF16(backward: Bool) -> Bool {
        switch self {
        case .bf16: return true
        case .bf16Backward: return backward
        case .fp32, .auto: return false
        }
    }

    /// Why this precision cannot run here (nil when it can): bf16 on a CPU without AVX512-BF16.
    public var unavailableReason: String? { usesBF16(backward: true) ? BF16.unsupportedReason : nil }
}
