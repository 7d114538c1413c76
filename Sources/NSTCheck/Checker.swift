import NSTFormula

/// Checks a typed gradient formula against central differences of the engine's own losses.
public struct Checker: Sendable {
    public var options: CheckOptions
    public init(options: CheckOptions = .init()) { self.options = options }

    /// Check `answer` as the value of `target` (see `CheckTarget`).
    public func check(target: CheckTarget, answer: String) -> CheckReport {
        fatalError("not yet implemented")
    }

    /// Check `answer` as ∂loss/∂wrt, for any scalar `loss` written in the formula language.
    public func check(loss: String, wrt: String, answer: String) -> CheckReport {
        fatalError("not yet implemented")
    }
}
