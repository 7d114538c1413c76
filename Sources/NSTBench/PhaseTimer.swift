import Dispatch
import NSTTensor
import NSTStyle

/// The parts one evaluation of the style objective (with the optimiser's work before it) is
/// made of, as `nst bench --objective experiment` reports them. The network is timed from
/// outside (`TimedNetwork`); the rest of an evaluation's span is everything else.
public enum EvaluationPhase: String, CaseIterable, Codable, Sendable {
    /// VGG forward from the image to the deepest kept layer.
    case vggForward = "vgg_forward"
    /// VGG backward from the kept layers' gradients to the image.
    case vggBackward = "vgg_backward"
    /// Everything outside the network: the losses and their gradients (the Gram products
    /// G = F Fᵀ and dF = (dG + dGᵀ) F among them), TV, the optimiser (two-loop recursion, line
    /// search, projection, history) and the run's record keeping.
    case outsideNetwork = "outside_network"
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

/// A feature network whose passes are timed: forward and backward wall times are added to
/// the evaluation in progress. It computes exactly what `wrapped` does.
public final class TimedNetwork<Wrapped: FeatureNetwork>: FeatureNetwork {
    public typealias Scalar = Wrapped.Scalar
    public let wrapped: Wrapped
    /// The network's share of the evaluation in progress.
    public private(set) var current = PhaseTimes()

    public init(_ wrapped: Wrapped) { self.wrapped = wrapped }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    public func forward(_ x: Tensor<Scalar>, keep: Set<String>) -> [String: Tensor<Scalar>] {
        let start = Self.now()
        defer { current[.vggForward] += Double(Self.now() &- start) / 1e9 }
        return wrapped.forward(x, keep: keep)
    }

    public func backward(_ dKept: [String: Tensor<Scalar>]) -> Tensor<Scalar> {
        let start = Self.now()
        defer { current[.vggBackward] += Double(Self.now() &- start) / 1e9 }
        return wrapped.backward(dKept)
    }

    /// Closes an evaluation that took `seconds` of wall time in all: the network's share as
    /// measured, the rest `outsideNetwork`. Returns its times and starts the next.
    public func finishEvaluation(seconds: Double) -> PhaseTimes {
        var times = current
        times[.outsideNetwork] = max(0, seconds - times[.vggForward] - times[.vggBackward])
        current = PhaseTimes()
        return times
    }
}
