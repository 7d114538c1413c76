import Dispatch

/// The parts one evaluation of the style objective (and the optimiser's work between two
/// evaluations) is made of, as `nst bench --objective experiment` reports them.
public enum EvaluationPhase: String, CaseIterable, Codable, Sendable {
    /// VGG forward from the image to the deepest kept layer.
    case vggForward = "vgg_forward"
    /// VGG backward from the kept layers' gradients to the image.
    case vggBackward = "vgg_backward"
    /// G = F Fᵀ per style layer, and the style gradient's product dF = (dG + dGᵀ) F.
    case gram
    /// The loss values and their upstream gradients: Σ(G − A)², dG, content loss and F − P,
    /// TV, the weighting and accumulation of each layer's dF.
    case losses
    /// L-BFGS (or Adam): two-loop recursion, line search, projection onto the pixel box,
    /// history update — everything between two evaluations.
    case optimizer
    /// Around the objective: the flat vector wrapped as a tensor, the gradient's finiteness
    /// check, the run's record keeping (loss curve, best image, progress callback).
    case bookkeeping
}

/// Seconds per phase; the phases cover an evaluation's wall time without overlap.
public struct PhaseTimes: Codable, Sendable, Equatable {
    public var seconds: [EvaluationPhase: Double] = [:]

    public init() {}

    public subscript(_ phase: EvaluationPhase) -> Double {
        get { seconds[phase] ?? 0 }
        set { seconds[phase] = newValue }
    }

    /// The sum over the phases.
    public var total: Double { seconds.values.reduce(0, +) }
}

/// Collects `PhaseTimes` per evaluation when a caller asks for them. Code under measurement
/// holds an optional timer: when it is nil (every run but `nst bench --objective experiment`)
/// a measured block costs one nil check.
public final class PhaseTimer {
    /// The phases of the evaluation in progress.
    public private(set) var current = PhaseTimes()
    /// One entry per finished evaluation, in order.
    public private(set) var evaluations: [PhaseTimes] = []

    public init() {}

    @inline(__always) static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Adds the seconds since `start` (from `PhaseTimer.now()`) to `phase`.
    @inline(__always)
    public func add(_ phase: EvaluationPhase, since start: UInt64) {
        current[phase] += Double(Self.now() &- start) / 1e9
    }

    /// Adds `seconds` to `phase`.
    @inline(__always)
    public func add(_ phase: EvaluationPhase, seconds: Double) { current[phase] += seconds }

    /// Runs `body`, adding its wall time to `phase`.
    @inline(__always)
    public func measure<T>(_ phase: EvaluationPhase, _ body: () throws -> T) rethrows -> T {
        let start = Self.now()
        defer { add(phase, since: start) }
        return try body()
    }

    /// Closes the evaluation in progress: its times join `evaluations`.
    public func finishEvaluation() {
        evaluations.append(current)
        current = PhaseTimes()
    }
}

extension Optional where Wrapped == PhaseTimer {
    /// `body`, timed under `phase` when there is a timer.
    @inline(__always)
    func measure<T>(_ phase: EvaluationPhase, _ body: () throws -> T) rethrows -> T {
        guard let timer = self else { return try body() }
        return try timer.measure(phase, body)
    }
}
