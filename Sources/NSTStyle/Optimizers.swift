import Foundation
import NSTTensor

// Gradient-based minimisers for style transfer. Both work on a flat vector x (the image in
// the network's input units) and call `f(x) → (value, gradient)` — one call is one VGG
// forward + backward, the expensive unit — so the budget is counted in evaluations.
// Reductions (dot products, norms) are accumulated in Double even when x is Float.

/// The function a minimiser calls: value and gradient at x. It may throw to stop the run
/// (a signal, a non-finite loss); the caller keeps the last good image itself.
public typealias Objective<S: TensorScalar> = ([S]) throws -> (value: Double, gradient: [S])

/// Why a minimiser returned.
public enum StopReason: String, Sendable, Codable {
    /// The evaluation budget was used up.
    case budget
    /// ‖g‖∞ fell below the tolerance.
    case gradientTolerance = "gradient_tolerance"
    /// The line search found no decrease along a descent direction (at round-off level).
    case noProgress = "no_progress"
}

public struct MinimizeResult<S: TensorScalar> {
    public var x: [S]
    public var value: Double
    public var evaluations: Int
    public var iterations: Int
    public var reason: StopReason
}

@inline(__always)
func dot<S: TensorScalar>(_ a: [S], _ b: [S]) -> Double {
    var s = 0.0
    for i in a.indices { s += Double(a[i]) * Double(b[i]) }
    return s
}

@inline(__always)
func maxAbs<S: TensorScalar>(_ a: [S]) -> Double {
    var m = 0.0
    for v in a { m = max(m, abs(Double(v))) }
    return m
}

/// A box lo ≤ x ≤ hi, coordinate-wise, given per block of `blockSize` consecutive entries
/// (one block per image channel: x is [3,H,W], so block c holds channel c's bounds).
///
/// Style transfer keeps the image inside the range a PNG can hold: otherwise the optimum
/// drifts outside it and clamping when writing changes the image (and its losses) a lot.
/// The minimisers project every trial point onto the box (projected L-BFGS: the step taken
/// is the projected one, Armijo is tested on gᵀ(x_new − x), and the curvature pair uses it).
public struct Bounds<S: TensorScalar>: Sendable {
    public var lower: [S]
    public var upper: [S]
    public var blockSize: Int

    public init(lower: [S], upper: [S], blockSize: Int) {
        precondition(lower.count == upper.count && blockSize > 0)
        self.lower = lower; self.upper = upper; self.blockSize = blockSize
    }

    public func project(_ x: inout [S]) {
        precondition(x.count == lower.count * blockSize, "bounds for \(lower.count) blocks of \(blockSize), x has \(x.count)")
        for b in 0..<lower.count {
            let lo = lower[b], hi = upper[b]
            for j in (b * blockSize)..<((b + 1) * blockSize) { x[j] = min(max(x[j], lo), hi) }
        }
    }
}

/// How L-BFGS picks the step length (see `LBFGS`).
public enum LineSearch: String, Sendable, Codable, CaseIterable { case armijo, none }

/// Limited-memory BFGS (Nocedal 1980; Nocedal & Wright, *Numerical Optimization*, alg. 7.4
/// and 7.5).
///
/// With the last m pairs s_k = x_{k+1} − x_k, y_k = g_{k+1} − g_k and ρ_k = 1/(y_kᵀ s_k), the
/// search direction d = −H g is computed by the two-loop recursion, never forming H:
///
///     q ← g
///     for i = k−1 … k−m:  α_i ← ρ_i s_iᵀ q ;  q ← q − α_i y_i
///     r ← γ q,  γ = s_{k−1}ᵀ y_{k−1} / (y_{k−1}ᵀ y_{k−1})   (initial Hessian H₀ = γ I)
///     for i = k−m … k−1:  β ← ρ_i y_iᵀ r ;  r ← r + s_i (α_i − β)
///     d ← −r
///
/// Step along d, two modes:
/// - `.armijo` (default): backtracking line search. Try t = 1 (t = lr·min(1, 1/‖g‖₁) on the
///   very first iteration, when H₀ = I knows nothing of the scale) and shrink it — to the
///   minimiser of the quadratic through f(x), gᵀd and f(x + t d), kept within [t/10, t/2] —
///   until the Armijo sufficient-decrease condition
///       f(x + t d) ≤ f(x) + c₁ t gᵀd,   c₁ = 1e-4
///   holds. The pair (s, y) is stored only when the curvature yᵀs > 1e-10·yᵀy is
///   positive, which keeps H positive definite without the strong-Wolfe curvature test.
///   Why Armijo and not a strong-Wolfe (Moré–Thuente) search: each evaluation is a full VGG
///   forward + backward; for the style objective the unit quasi-Newton step is accepted
///   almost always, so backtracking costs one evaluation per iteration, while a Wolfe
///   search would spend extra evaluations bracketing the curvature condition. The loss
///   then decreases monotonically, which makes runs easy to trust and to stop anywhere.
///   The first step stays Torch's although on a 384×288 image it moves a value by ≈ 3e-6 on
///   average, under Float's resolution near 100, so the first curvature pair is mostly
///   rounding. A first step of one grey level (‖s‖∞ = lr) was measured on the style-depth
///   objective: im2col and Winograd then agreed for longer (to 1.4e-6 for 5 evaluations,
///   instead of parting by 0.16 % at evaluation 3), but after 100 evaluations the loss was no
///   lower (four runs each, content weight moved by ±1e-6: im2col mean 472 286 against
///   469 936) and the algorithms no closer (+0.59 % against +0.78 %; either one alone spreads
///   by 1–1.2 %), and CI's 100-evaluation accuracy test ended nearer its bound.
/// - `.none`: a fixed step x ← x + lr·d (lr·min(1, 1/‖g‖₁)·d on the first iteration), as
///   in Torch's optim.lbfgs that jcjohnson/neural-style uses by default (lr = 1). Cheaper
///   per iteration but the loss may rise; it is what `--normalize-gradients` needs, since
///   the normalised gradient is not the gradient of the reported loss and a line search
///   on that loss would be testing the wrong thing.
public struct LBFGS<S: TensorScalar> {
    /// History size m (number of (s, y) pairs kept). jcjohnson uses 100; 5–20 is typical.
    public var historySize: Int
    public var lineSearch: LineSearch
    /// Step scale: the first trial step of each line search is `learningRate` (1 is the
    /// natural quasi-Newton step).
    public var learningRate: Double
    /// Stop when ‖g‖∞ < this.
    public var gradientTolerance: Double
    /// Sufficient-decrease constant c₁.
    public var armijoC1: Double = 1e-4
    /// Largest number of step reductions in one line search.
    public var maxBacktracks: Int = 20

    public init(historySize: Int = 10, lineSearch: LineSearch = .armijo, learningRate: Double = 1,
                gradientTolerance: Double = 0) {
        precondition(historySize >= 1, "L-BFGS history size must be ≥ 1")
        self.historySize = historySize
        self.lineSearch = lineSearch
        self.learningRate = learningRate
        self.gradientTolerance = gradientTolerance
    }

    /// Minimise f from x0 using at most `maxEvaluations` calls of f. With `bounds`, every
    /// trial point is projected onto the box lo ≤ x ≤ hi (see `Bounds`).
    public func minimize(_ x0: [S], maxEvaluations: Int, bounds: Bounds<S>? = nil, _ f: Objective<S>) throws -> MinimizeResult<S> {
        precondition(maxEvaluations >= 1)
        var x = x0
        bounds?.project(&x)
        var (fx, g) = try f(x)
        var evaluations = 1
        var iterations = 0
        var s: [[S]] = [], y: [[S]] = [], rho: [Double] = []
        let n = x.count

        while evaluations < maxEvaluations {
            if maxAbs(g) <= gradientTolerance {
                return MinimizeResult(x: x, value: fx, evaluations: evaluations, iterations: iterations, reason: .gradientTolerance)
            }
            // Coordinates held at a bound by the gradient (x at lo and g > 0, or at hi and
            // g < 0) are fixed for this iteration: the direction uses the projected gradient ĝ
            // (zero there) and does not move them.
            var gHat = g.map(Double.init)
            if let bounds {
                for b in 0..<bounds.lower.count {
                    let lo = bounds.lower[b], hi = bounds.upper[b]
                    for j in (b * bounds.blockSize)..<((b + 1) * bounds.blockSize)
                    where (x[j] <= lo && g[j] > 0) || (x[j] >= hi && g[j] < 0) { gHat[j] = 0 }
                }
                if gHat.allSatisfy({ abs($0) <= gradientTolerance }) {
                    return MinimizeResult(x: x, value: fx, evaluations: evaluations, iterations: iterations, reason: .gradientTolerance)
                }
            }
            // Two-loop recursion: d = −H ĝ.
            var q = gHat
            var alpha = [Double](repeating: 0, count: s.count)
            for i in stride(from: s.count - 1, through: 0, by: -1) {
                var a = 0.0
                for j in 0..<n { a += Double(s[i][j]) * q[j] }
                a *= rho[i]
                alpha[i] = a
                for j in 0..<n { q[j] -= a * Double(y[i][j]) }
            }
            var gamma = 1.0
            if let sl = s.last, let yl = y.last { gamma = dot(sl, yl) / dot(yl, yl) }
            for j in 0..<n { q[j] *= gamma }
            for i in 0..<s.count {
                var b = 0.0
                for j in 0..<n { b += Double(y[i][j]) * q[j] }
                b *= rho[i]
                for j in 0..<n { q[j] += Double(s[i][j]) * (alpha[i] - b) }
            }
            var d = [Double](repeating: 0, count: n)
            for j in 0..<n where gHat[j] != 0 || bounds == nil { d[j] = -q[j] }
            var gd = 0.0
            for j in 0..<n { gd += gHat[j] * d[j] }
            // Steepest descent on ĝ with the history dropped: the fallback whenever the
            // quasi-Newton direction is not a descent direction or its line search fails.
            func steepest() -> Double {
                s.removeAll(); y.removeAll(); rho.removeAll()
                var l1 = 0.0, gg = 0.0
                for j in 0..<n { d[j] = -gHat[j]; l1 += abs(gHat[j]); gg += gHat[j] * gHat[j] }
                gd = -gg
                return learningRate * min(1, 1 / max(l1, 1e-300))
            }
            var t = learningRate
            var isSteepest = false
            if !(gd < 0) || s.isEmpty { t = steepest(); isSteepest = true }

            // Step (with or without backtracking).
            var xNew = x, fNew = fx, gNew = g
            var accepted = false
            var backtracks = 0
            while evaluations < maxEvaluations {
                for j in 0..<n { xNew[j] = x[j] + S(t * d[j]) }
                // Projected step: Armijo on the step actually taken, gᵀ(x_new − x) < 0.
                var decrease = t * gd
                if let bounds {
                    bounds.project(&xNew)
                    decrease = 0
                    for j in 0..<n { decrease += Double(g[j]) * Double(xNew[j] - x[j]) }
                }
                if lineSearch == .armijo && !(decrease < 0) {
                    // The projection turned the step uphill: no evaluation, fall back.
                    if isSteepest { break }
                    t = steepest(); isSteepest = true; backtracks = 0
                    continue
                }
                (fNew, gNew) = try f(xNew)
                evaluations += 1
                if lineSearch == .none || fNew <= fx + armijoC1 * decrease {
                    accepted = true
                    break
                }
                backtracks += 1
                if backtracks > maxBacktracks {
                    if isSteepest { break }
                    t = steepest(); isSteepest = true; backtracks = 0
                    continue
                }
                // Shrink by the minimiser of the quadratic through f(x), the slope and
                // f(x + t d), kept within [0.1 t, 0.5 t] (a safeguarded halving): after a
                // wild overshoot this jumps straight to a sensible step.
                let slope = decrease / t
                let curvature = (fNew - fx - decrease) / (t * t)
                let tStar = curvature > 0 ? -slope / (2 * curvature) : 0.5 * t
                t = min(max(tStar, 0.1 * t), 0.5 * t)
            }
            if !accepted {
                if evaluations >= maxEvaluations {
                    return MinimizeResult(x: x, value: fx, evaluations: evaluations, iterations: iterations, reason: .budget)
                }
                return MinimizeResult(x: x, value: fx, evaluations: evaluations, iterations: iterations, reason: .noProgress)
            }
            iterations += 1

            // History update, only with positive curvature (keeps H positive definite).
            var sk = [S](repeating: 0, count: n), yk = [S](repeating: 0, count: n)
            for j in 0..<n { sk[j] = xNew[j] - x[j]; yk[j] = gNew[j] - g[j] }
            let ys = dot(yk, sk)
            if ys > 1e-10 * dot(yk, yk) && ys > 0 {
                if s.count == historySize { s.removeFirst(); y.removeFirst(); rho.removeFirst() }
                s.append(sk); y.append(yk); rho.append(1 / ys)
            }
            x = xNew; fx = fNew; g = gNew
        }
        return MinimizeResult(x: x, value: fx, evaluations: evaluations, iterations: iterations, reason: .budget)
    }
}

/// Adam (Kingma & Ba 2015). With g_t the gradient at step t:
///
///     m_t = β₁ m_{t−1} + (1 − β₁) g_t          v_t = β₂ v_{t−1} + (1 − β₂) g_t²
///     m̂_t = m_t / (1 − β₁ᵗ)                    v̂_t = v_t / (1 − β₂ᵗ)
///     x_t = x_{t−1} − lr · m̂_t / (√v̂_t + ε)
///
/// One evaluation per step; each coordinate moves by about lr per step at most, so lr is in
/// the units of x (the network's input: ≈ 1–10 for 0–255 Caffe-style models).
public struct Adam<S: TensorScalar> {
    public var learningRate: Double
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    public var epsilon: Double = 1e-8

    public init(learningRate: Double) { self.learningRate = learningRate }

    public func minimize(_ x0: [S], maxEvaluations: Int, bounds: Bounds<S>? = nil, _ f: Objective<S>) throws -> MinimizeResult<S> {
        precondition(maxEvaluations >= 1)
        var x = x0
        bounds?.project(&x)
        let n = x.count
        var m = [Double](repeating: 0, count: n), v = [Double](repeating: 0, count: n)
        var (fx, g) = try f(x)
        var evaluations = 1
        var t = 0
        while evaluations < maxEvaluations {
            t += 1
            let c1 = 1 - pow(beta1, Double(t)), c2 = 1 - pow(beta2, Double(t))
            for j in 0..<n {
                let gj = Double(g[j])
                m[j] = beta1 * m[j] + (1 - beta1) * gj
                v[j] = beta2 * v[j] + (1 - beta2) * gj * gj
                x[j] -= S(learningRate * (m[j] / c1) / ((v[j] / c2).squareRoot() + epsilon))
            }
            bounds?.project(&x)
            (fx, g) = try f(x)
            evaluations += 1
        }
        return MinimizeResult(x: x, value: fx, evaluations: evaluations, iterations: t, reason: .budget)
    }
}
