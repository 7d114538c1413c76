/// Central finite differences in Double, the oracle every backward pass is proven against.
///
/// For a scalar function f and a point x, the numerical gradient is
///   g_i ≈ (f(x + ε e_i) − f(x − ε e_i)) / (2ε),
/// with truncation error O(ε²). The relative error between an analytic gradient a and a
/// numerical one g is reported per entry as |a − g| / max(|a| + |g|, tiny) (CS231n's scale:
/// ≤ 1e-7 is right in Double).
public enum GradCheck {
    public struct Result: Sendable, CustomStringConvertible {
        public var maxRelativeError: Double
        /// The entry with the largest relative error, and both values there.
        public var worstIndex: Int
        public var analytic: Double
        public var numerical: Double
        public var checkedEntries: Int

        public var description: String {
            "max relative error \(maxRelativeError) at entry \(worstIndex) (analytic \(analytic), numerical \(numerical)) over \(checkedEntries) entries"
        }
    }

    /// The central difference (g(s) − g(−s)) / (2s) of `along`, a function of the step taken
    /// along one entry (g(δ) = f(x + δ·e_i), or f(x + δ·e_i) − f(x): a constant cancels).
    /// Every finite difference of the project is this one.
    public static func centralDifference(step s: Double, _ along: (Double) -> Double) -> Double {
        (along(s) - along(-s)) / (2 * s)
    }

    /// The Richardson-extrapolated central difference (4·D(s) − D(2s)) / 3 along one entry,
    /// D(h) = `centralDifference(step: h, along)`: the h² term of the truncation error cancels,
    /// so for a function that is a polynomial of degree ≤ 4 in the entry (the style and content
    /// losses are) the result is exact up to rounding, whatever the step.
    public static func richardson(step s: Double, _ along: (Double) -> Double) -> Double {
        (4 * centralDifference(step: s, along) - centralDifference(step: 2 * s, along)) / 3
    }

    /// A Richardson derivative and a bound on its rounding error (`roundingBound` of the
    /// largest |g| among the four points it was taken from).
    public struct Estimate: Sendable {
        public var value: Double
        public var roundingError: Double
        public var step: Double
    }

    /// `richardson(step:_:)` with the step, of `steps` (ascending), whose rounding bound is
    /// the smallest. For a function that is a polynomial of degree ≤ 4 in the entry every step
    /// gives the same derivative up to rounding, so the step is chosen for rounding alone: the
    /// bound falls as 1/s while |g| stays near g(0) and rises once the polynomial's higher
    /// terms make |g| grow faster than s, so the search stops at the first step that is worse.
    /// Only for such functions (elsewhere a large step is a truncation error).
    public static func richardson(steps: [Double], _ along: (Double) -> Double) -> Estimate {
        precondition(!steps.isEmpty, "richardson: no steps")
        var best: Estimate?
        for s in steps {
            var size = 0.0
            let value = richardson(step: s) { δ in
                let g = along(δ)
                size = max(size, abs(g))
                return g
            }
            let estimate = Estimate(value: value, roundingError: roundingBound(value: size, step: s), step: s)
            if let b = best, !(estimate.roundingError < b.roundingError) { break }
            best = estimate
        }
        return best!
    }

    /// The numerical gradient of `f` at `x` over `indices` (all entries when nil): one central
    /// difference of step `epsilon` per entry.
    public static func numericalGradient(at x: [Double], epsilon: Double = 1e-6,
                                         indices: [Int]? = nil,
                                         _ f: ([Double]) -> Double) -> [Int: Double] {
        gradient(at: x, indices: indices, f) { centralDifference(step: epsilon, $0) }
    }

    /// `richardson(step:_:)` at every entry of `indices` (all when nil). Rounding: each entry
    /// is accurate to about `roundingBound(f(x), step:)`.
    public static func richardsonGradient(at x: [Double], step: Double, indices: [Int]? = nil,
                                          _ f: ([Double]) -> Double) -> [Int: Double] {
        gradient(at: x, indices: indices, f) { richardson(step: step, $0) }
    }

    /// `richardson(steps:_:)` at every entry of `indices` (all when nil), with each entry's
    /// rounding bound: for functions that are polynomials of degree ≤ 4 in each entry (whole
    /// losses, whose rounding at a fixed step can exceed a small entry of their gradient).
    public static func richardsonGradient(at x: [Double], steps: [Double], indices: [Int]? = nil,
                                          _ f: ([Double]) -> Double) -> [Int: Estimate] {
        gradient(at: x, indices: indices, f) { richardson(steps: steps, $0) }
    }

    /// `derivative` of f along each entry of `indices` in turn, the others held at x.
    static func gradient<T>(at x: [Double], indices: [Int]?, _ f: ([Double]) -> Double,
                            _ derivative: ((Double) -> Double) -> T) -> [Int: T] {
        withoutActuallyEscaping(f) { f in
            var point = x
            var out: [Int: T] = [:]
            for i in indices ?? Array(x.indices) {
                let saved = point[i]
                out[i] = derivative { δ in
                    point[i] = saved + δ
                    return f(point)
                }
                point[i] = saved
            }
            return out
        }
    }

    /// A bound on the rounding error of `richardson(step:_:)` for a function whose values near
    /// x are of size |value|: four evaluations, each rounded to |value|·u, combined with
    /// weights of total size (4·2/2 + 2/4)/3 / step = 1.5/step; a factor 16 of margin covers the
    /// rounding inside f's own sums.
    public static func roundingBound(value: Double, step: Double) -> Double {
        16 * 1.5 * abs(value) * Double.ulpOfOne / step
    }

    /// Relative error of one pair; 0 when both are (near) zero.
    public static func relativeError(_ a: Double, _ b: Double, floor: Double = 1e-300) -> Double {
        let den = max(abs(a) + abs(b), floor)
        return abs(a - b) / den
    }

    /// Relative error of one pair beyond `slack`, an absolute error allowed (such as a bound on
    /// the reference's rounding): max(0, |a − b| − slack) / max(|a| + |b|, floor).
    public static func relativeError(_ a: Double, _ b: Double, slack: Double, floor: Double) -> Double {
        max(0, abs(a - b) - slack) / max(abs(a) + abs(b), floor)
    }

    /// Compare `analytic` (the gradient a backward pass returned) with central differences
    /// of `f` at `x`, over all entries or the given `indices`.
    /// `absoluteFloor` ignores pairs where both values are below it (round-off only).
    public static func check(at x: [Double], analytic: [Double], epsilon: Double = 1e-6,
                             indices: [Int]? = nil, absoluteFloor: Double = 1e-10,
                             _ f: ([Double]) -> Double) -> Result {
        precondition(analytic.count == x.count, "analytic gradient has \(analytic.count) entries, x has \(x.count)")
        let numerical = numericalGradient(at: x, epsilon: epsilon, indices: indices, f)
        var result = Result(maxRelativeError: 0, worstIndex: -1, analytic: 0, numerical: 0, checkedEntries: numerical.count)
        for (i, g) in numerical.sorted(by: { $0.key < $1.key }) {
            let a = analytic[i]
            let err = (abs(a) < absoluteFloor && abs(g) < absoluteFloor) ? 0 : relativeError(a, g)
            if err > result.maxRelativeError || result.worstIndex < 0 {
                result = Result(maxRelativeError: err, worstIndex: i, analytic: a, numerical: g,
                                checkedEntries: numerical.count)
            }
        }
        return result
    }
}
