import ArgumentParser
import NSTLayers

extension Precision: ExpressibleByArgument {}

/// `--precision`, shared by the commands that run the engine (transfer, the experiment, bench).
public struct PrecisionOptions: ParsableArguments {
    public init() {}

    @Option(help: ArgumentHelp("""
        Arithmetic of the convolutions' matrix products: fp32 (the reference), bf16 (inputs rounded \
        to bf16, sums in fp32: the products about twice as fast on CPUs with AVX512-BF16, fp32 elsewhere; \
        experimental: L-BFGS ends well above fp32's loss with it on the default convolutions), \
        bf16-backward (fp32 forward, so the loss is fp32's; bf16 in the backward pass only; \
        experimental) or auto (fp32). See docs/precision.md.
        """, valueName: "fp32|bf16|bf16-backward|auto"))
    public var precision: Precision = .auto

    /// The precision that runs on this CPU, after a note on standard error when bf16 was asked
    /// for and cannot run.
    public func effective(note: (String) -> Void) -> Precision {
        if let reason = precision.unavailableReason {
            note("nst: --precision \(precision.rawValue): \(reason); running fp32")
        }
        return precision.effective
    }
}
