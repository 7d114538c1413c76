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

    /// The numerical gradient of `f` at `x` over `indices` (all entries when nil).
    public static func numericalGradient(at x: [Double], epsilon: Double = 1e-6,
                                         indices: [Int]? = nil,
                                         _ f: ([Double]) -> Double) -> [Int: Double] {
        var point = x
        var out: [Int: Double] = [:]
        for i in indices ?? Array(x.indices) {
            let saved = point[i]
            point[i] = saved + epsilon
            let plus = f(point)
            point[i] = saved - epsilon
            let minus = f(point)
            point[i] = saved
            out[i] = (plus - minus) / (2 * epsilon)
        }
        return out
    }

    /// The Richardson-extrapolated central difference (4·D(s) − D(2s)) / 3 at every entry of
    /// `indices` (all when nil), with D(h) the central difference of step h: the s² term of
    /// the truncation error cancels, so for a function that is a polynomial of degree ≤ 4 in
    /// each entry (the style and content losses are) the result is exact up to rounding,
    /// whatever the step. Rounding: each difference of f carries about |f|·u (u = 2⁻⁵³), so an
    /// entry is accurate to about `roundingBound(f(x), step:)`.
    public static func richardsonGradient(at x: [Double], step: Double, indices: [Int]? = nil,
                                          _ f: ([Double]) -> Double) -> [Int: Double] {
        let d1 = numericalGradient(at: x, epsilon: step, indices: indices, f)
        let d2 = numericalGradient(at: x, epsilon: 2 * step, indices: indices, f)
        var out: [Int: Double] = [:]
        for (i, a) in d1 { out[i] = (4 * a - d2[i]!) / 3 }
        return out
    }

    /// A bound on the rounding error of `richardsonGradient` for a function whose values near
    /// x are of size |value|: eight evaluations, each rounded to |value|·u, combined with
    /// weights of total size (4·2/2 + 2/4)/3 / step ≈ 1.5/step; a factor 16 of margin covers the
    /// rounding inside f's own sums.
    public static func roundingBound(value: Double, step: Double) -> Double {
        16 * 1.5 * abs(value) * Double.ulpOfOne / step
    }

    /// Relative error of one pair; 0 when both are (near) zero.
    public static func relativeError(_ a: Double, _ b: Double, floor: Double = 1e-300) -> Double {
        let den = max(abs(a) + abs(b), floor)
        return abs(a - b) / den
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
