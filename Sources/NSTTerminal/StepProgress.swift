import Foundation

/// Progress of named steps (`nst model fetch`) on stderr: one ProgressBar per step (0…100 %),
/// redrawn on a terminal, two plain lines per step (start, end) in logs.
public final class StepProgress {
    private var bar: ProgressBar?
    private var step: String?

    public init() {}

    public func update(_ step: String, _ fraction: Double) {
        if step != self.step {
            bar?.finish()
            bar = ProgressBar(total: 100, label: step, plainEvery: 100)
            self.step = step
        }
        bar?.update(Int((min(max(fraction, 0), 1) * 100).rounded(.down)))
    }

    public func finish() { bar?.finish() }
}
