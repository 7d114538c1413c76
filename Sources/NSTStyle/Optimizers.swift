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
    /// A stop was requested (SIGINT/SIGTERM) between two evaluations.
    case interrupted
}

public struct MinimizeResult<S: TensorScalar> {
    public var x: [S]
    public var value: Double
    public var evaluations: Int
    public var iterations: Int
    public var reason: StopReason
}

/// The minimisers' loops over the whole image, written so they vectorise. A sum runs over eight
/// interleaved partial sums in Double (lane k takes the indices ≡ k mod 8, and the lanes are
/// added in a fixed order at the end), so its value depends on nothing but its inputs.
@usableFromInline
enum VectorLoops {
    /// Σ a[i]·b[i], in Double.
    @inline(__always)
    static func dot<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(_ a: UnsafeBufferPointer<A>, _ b: UnsafeBufferPointer<B>) -> Double {
        precondition(a.count == b.count)
        let n = a.count, ap = a.baseAddress, bp = b.baseAddress
        guard let ap, let bp else { return 0 }
        var low = SIMD4<Double>(), high = SIMD4<Double>()
        var i = 0
        while i + 8 <= n {
            low += SIMD4(Double(ap[i]), Double(ap[i + 1]), Double(ap[i + 2]), Double(ap[i + 3]))
                 * SIMD4(Double(bp[i]), Double(bp[i + 1]), Double(bp[i + 2]), Double(bp[i + 3]))
            high += SIMD4(Double(ap[i + 4]), Double(ap[i + 5]), Double(ap[i + 6]), Double(ap[i + 7]))
                  * SIMD4(Double(bp[i + 4]), Double(bp[i + 5]), Double(bp[i + 6]), Double(bp[i + 7]))
            i += 8
        }
        var sum = (low + high).sum()
        while i < n { sum += Double(ap[i]) * Double(bp[i]); i += 1 }
        return sum
    }

    /// y[i] += a·x[i]
    @inline(__always)
    static func axpy<X: BinaryFloatingPoint>(_ a: Double, _ x: UnsafeBufferPointer<X>, _ y: UnsafeMutableBufferPointer<Double>) {
        precondition(x.count == y.count)
        for i in 0..<x.count { y[i] += a * Double(x[i]) }
    }

    /// y[i] *= a
    @inline(__always)
    static func scale(_ y: UnsafeMutableBufferPointer<Double>, by a: Double) {
        for i in 0..<y.count { y[i] *= a }
    }

    /// out[i] = a[i] − b[i]
    @inline(__always)
    static func difference<S: TensorScalar>(_ a: UnsafeBufferPointer<S>, _ b: UnsafeBufferPointer<S>, into out: UnsafeMutableBufferPointer<S>) {
        precondition(a.count == b.count && a.count == out.count)
        for i in 0..<a.count { out[i] = a[i] - b[i] }
    }

    /// out[i] = x[i] + t·d[i], rounded to S
    @inline(__always)
    static func step<S: TensorScalar>(_ x: UnsafeBufferPointer<S>, _ t: Double, _ d: UnsafeBufferPointer<Double>, into out: UnsafeMutableBufferPointer<S>) {
        precondition(x.count == d.count && x.count == out.count)
        for i in 0..<x.count { out[i] = x[i] + S(t * d[i]) }
    }

    /// max |a[i]|
    @inline(__always)
    static func maxMagnitude<S: TensorScalar>(_ a: UnsafeBufferPointer<S>) -> Double {
        var m = S.zero
        for v in a { m = max(m, abs(v)) }
        return Double(m)
    }

    // The same on arrays (the buffers are borrowed for the call).

    @inline(__always)
    static func dot<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(_ a: [A], _ b: [B]) -> Double {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { dot(a, $0) } }
    }

    @inline(__always)
    static func axpy<X: BinaryFloatingPoint>(_ a: Double, _ x: [X], _ y: inout [Double]) {
        x.withUnsafeBufferPointer { x in y.withUnsafeMutableBufferPointer { axpy(a, x, $0) } }
    }

    @inline(__always)
    static func scale(_ y: inout [Double], by a: Double) {
        y.withUnsafeMutableBufferPointer { scale($0, by: a) }
    }

    @inline(__always)
    static func difference<S: TensorScalar>(_ a: [S], _ b: [S], into out: inout [S]) {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in out.withUnsafeMutableBufferPointer { difference(a, b, into: $0) } } }
    }

    @inline(__always)
    static func step<S: TensorScalar>(_ x: [S], _ t: Double, _ d: [Double], into out: inout [S]) {
        x.withUnsafeBufferPointer { x in d.withUnsafeBufferPointer { d in out.withUnsafeMutableBufferPointer { step(x, t, d, into: $0) } } }
    }

    @inline(__always)
    static func maxMagnitude<S: TensorScalar>(_ a: [S]) -> Double {
        a.withUnsafeBufferPointer { maxMagnitude($0) }
    }
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
        x.withUnsafeMutableBufferPointer { x in
            for b in 0..<lower.count {
                let lo = lower[b], hi = upper[b]
                for j in (b * blockSize)..<((b + 1) * blockSize) { x[j] = min(max(x[j], lo), hi) }
            }
        }
    }

    /// Whether coordinate j is held at its bound by the gradient g: x at lo with g > 0 (descent
    /// would leave the box downwards), or at hi with g < 0.
    @inline(__always)
    func holds(_ x: S, _ g: S, block b: Int) -> Bool {
        (x <= lower[b] && g > 0) || (x >= upper[b] && g < 0)
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
///   The first step is Torch's, although on an image it moves values by less than Float's
///   resolution, so the first curvature pair is mostly rounding: a larger first step does
///   not reach a lower loss in 100 evaluations on the style objective (figures:
///   docs/measurements/2026-12-02-engine-notes.md), and Torch's keeps runs comparable with
///   jcjohnson/neural-style's.
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
    /// trial point is projected onto the box lo ≤ x ≤ hi (see `Bounds`). `accepted(k)` is
    /// called for every evaluation k (1-based) whose point became the iterate: the first,
    /// and each trial the line search accepted — not the trials it rejected.
    ///
    /// Each iteration: the projected gradient, the two-loop direction, the line search, the
    /// history update — one named step each, below.
    public func minimize(_ x0: [S], maxEvaluations: Int, bounds: Bounds<S>? = nil,
                         accepted onAccept: (Int) -> Void = { _ in }, _ f: Objective<S>) throws -> MinimizeResult<S> {
        precondition(maxEvaluations >= 1)
        var x = x0
        bounds?.project(&x)
        var (fx, g) = try f(x)
        var evaluations = 1
        onAccept(1)
        var iterations = 0
        var work = LBFGSWorkspace<S>(x: x, historySize: historySize)
        func stop(_ reason: StopReason) -> MinimizeResult<S> {
            MinimizeResult(x: x, value: fx, evaluations: evaluations, iterations: iterations, reason: reason)
        }

        while evaluations < maxEvaluations {
            if VectorLoops.maxMagnitude(g) <= gradientTolerance { return stop(.gradientTolerance) }
            work.projectGradient(g, at: x, bounds: bounds)
            if bounds != nil && work.gHat.allSatisfy({ abs(Double($0)) <= gradientTolerance }) { return stop(.gradientTolerance) }
            work.twoLoopDirection(bounded: bounds != nil)
            // The quasi-Newton step is tried at t = lr; with no history, or when the
            // direction is not a descent direction, steepest descent at Torch's first step.
            var t = learningRate, isSteepest = false
            if !(work.slope < 0) || work.s.isEmpty { t = work.steepestDescent(learningRate: learningRate); isSteepest = true }
            guard let trial = try searchLine(from: x, value: fx, gradient: g, t: t, isSteepest: isSteepest, bounds: bounds,
                                             work: &work, evaluations: &evaluations, maxEvaluations: maxEvaluations, f) else {
                return stop(evaluations >= maxEvaluations ? .budget : .noProgress)
            }
            iterations += 1
            onAccept(evaluations)
            work.updateHistory(from: x, gradient: g, to: trial.gradient, bounded: bounds != nil)
            swap(&x, &work.xNew); fx = trial.value; g = trial.gradient
        }
        return stop(.budget)
    }

    /// The step along `work.d` from x: trial points x + t·d, projected onto the bounds, until
    /// one is accepted (`.none`: the first; `.armijo`: the first with f(x_new) ≤ f(x) + c₁·gᵀ(x_new − x)).
    /// A step the projection turned uphill is not evaluated; after `maxBacktracks` reductions,
    /// or on an uphill projected step, the search restarts once as steepest descent
    /// (`LBFGSWorkspace.steepestDescent`, which drops the history). Returns the accepted
    /// point's value and gradient (the point is `work.xNew`; with bounds `work.sNew` holds
    /// x_new − x), or nil when the budget ran out or no step was accepted.
    private func searchLine(from x: [S], value fx: Double, gradient g: [S], t initialStep: Double, isSteepest startsSteepest: Bool,
                            bounds: Bounds<S>?, work: inout LBFGSWorkspace<S>, evaluations: inout Int, maxEvaluations: Int,
                            _ f: Objective<S>) throws -> (value: Double, gradient: [S])? {
        var t = initialStep, isSteepest = startsSteepest
        var backtracks = 0
        while evaluations < maxEvaluations {
            VectorLoops.step(x, t, work.d, into: &work.xNew)
            // Projected step: Armijo on the step actually taken, gᵀ(x_new − x) < 0.
            var decrease = t * work.slope
            if let bounds {
                bounds.project(&work.xNew)
                VectorLoops.difference(work.xNew, x, into: &work.sNew)
                decrease = VectorLoops.dot(g, work.sNew)
            }
            if lineSearch == .armijo && !(decrease < 0) {
                // The projection turned the step uphill: no evaluation, fall back.
                if isSteepest { return nil }
                t = work.steepestDescent(learningRate: learningRate); isSteepest = true; backtracks = 0
                continue
            }
            let (fNew, gNew) = try f(work.xNew)
            evaluations += 1
            if lineSearch == .none || fNew <= fx + armijoC1 * decrease { return (fNew, gNew) }
            backtracks += 1
            if backtracks > maxBacktracks {
                if isSteepest { return nil }
                t = work.steepestDescent(learningRate: learningRate); isSteepest = true; backtracks = 0
                continue
            }
            t = Self.backtrackedStep(t, decrease: decrease, value: fx, trialValue: fNew)
        }
        return nil
    }

    /// The next, shorter trial step after f(x + t d) = `trialValue` failed Armijo: the
    /// minimiser of the quadratic through f(x), the slope and f(x + t d), kept within
    /// [0.1 t, 0.5 t] (a safeguarded halving): after a wild overshoot this jumps straight to
    /// a sensible step.
    static func backtrackedStep(_ t: Double, decrease: Double, value fx: Double, trialValue fNew: Double) -> Double {
        let slope = decrease / t
        let curvature = (fNew - fx - decrease) / (t * t)
        let tStar = curvature > 0 ? -slope / (2 * curvature) : 0.5 * t
        return min(max(tStar, 0.1 * t), 0.5 * t)
    }
}

/// L-BFGS's memory and scratch for one `minimize`, each buffer allocated once, and the
/// steps of an iteration that work on them.
struct LBFGSWorkspace<S: TensorScalar> {
    /// The last m pairs s_i = x_{i+1} − x_i, y_i = g_{i+1} − g_i, oldest first, and ρ_i = 1/(y_iᵀs_i).
    var s: [[S]] = [], y: [[S]] = [], rho: [Double] = []
    let historySize: Int
    /// The pair being formed. When the history is full, the oldest pair's buffers become the
    /// next sNew/yNew.
    var sNew: [S], yNew: [S]
    /// ĝ: the gradient, zero where a bound holds the coordinate (see `projectGradient`); in S,
    /// which holds the gradient's values exactly.
    var gHat: [S]
    /// The search direction d (the two-loop recursion computes H ĝ in this buffer, then
    /// negates it), and the slope ĝᵀd along it.
    var d: [Double]
    var slope = 0.0
    /// The trial point x + t d.
    var xNew: [S]
    /// α_i of the two-loop recursion.
    var alpha: [Double]

    init(x: [S], historySize: Int) {
        let n = x.count
        self.historySize = historySize
        sNew = [S](repeating: 0, count: n); yNew = sNew
        gHat = [S](repeating: 0, count: n); d = [Double](repeating: 0, count: n)
        xNew = x
        alpha = [Double](repeating: 0, count: historySize)
    }

    /// ĝ ← g, with the coordinates held at a bound by the gradient (x at lo and g > 0, or at
    /// hi and g < 0) set to 0: they are fixed for this iteration, the direction does not move them.
    mutating func projectGradient(_ g: [S], at x: [S], bounds: Bounds<S>?) {
        gHat.withUnsafeMutableBufferPointer { gHat in g.withUnsafeBufferPointer { _ = gHat.update(fromContentsOf: $0) } }
        guard let bounds else { return }
        for b in 0..<bounds.lower.count {
            for j in (b * bounds.blockSize)..<((b + 1) * bounds.blockSize) where bounds.holds(x[j], g[j], block: b) { gHat[j] = 0 }
        }
    }

    /// The two-loop recursion (see `LBFGS`): q ← H ĝ, then d ← −q (0 on held coordinates when
    /// `bounded`) and `slope` ← ĝᵀd. q is computed in d's buffer (one vector of n Doubles
    /// fewer), then negated in place.
    mutating func twoLoopDirection(bounded: Bool) {
        for j in 0..<d.count { d[j] = Double(gHat[j]) }   // q ← ĝ
        for i in stride(from: s.count - 1, through: 0, by: -1) {
            let a = rho[i] * VectorLoops.dot(s[i], d)
            alpha[i] = a
            VectorLoops.axpy(-a, y[i], &d)
        }
        if let sl = s.last, let yl = y.last {
            VectorLoops.scale(&d, by: VectorLoops.dot(sl, yl) / VectorLoops.dot(yl, yl))   // H₀ = γ I
        }
        for i in 0..<s.count {
            let b = rho[i] * VectorLoops.dot(y[i], d)
            VectorLoops.axpy(alpha[i] - b, s[i], &d)
        }
        for j in 0..<d.count { d[j] = gHat[j] != 0 || !bounded ? -d[j] : 0 }   // d ← −q
        slope = VectorLoops.dot(gHat, d)
    }

    /// Steepest descent on ĝ with the history dropped: the fallback whenever the quasi-Newton
    /// direction is not a descent direction or its line search fails. d ← −ĝ; returns Torch's
    /// first step lr·min(1, 1/‖ĝ‖₁).
    mutating func steepestDescent(learningRate: Double) -> Double {
        s.removeAll(); y.removeAll(); rho.removeAll()
        var l1 = 0.0
        for j in 0..<d.count { d[j] = -Double(gHat[j]); l1 += abs(Double(gHat[j])) }
        slope = -VectorLoops.dot(gHat, gHat)
        return learningRate * min(1, 1 / max(l1, 1e-300))
    }

    /// Stores the pair (x_new − x, g_new − g) of the accepted step (x_new is `xNew`; with
    /// bounds `sNew` already holds the step from the Armijo test), only with positive
    /// curvature yᵀs > 1e-10·yᵀy, which keeps H positive definite; the oldest pair goes when
    /// the history is full.
    mutating func updateHistory(from x: [S], gradient g: [S], to gNew: [S], bounded: Bool) {
        if !bounded { VectorLoops.difference(xNew, x, into: &sNew) }
        VectorLoops.difference(gNew, g, into: &yNew)
        let ys = VectorLoops.dot(yNew, sNew), yy = VectorLoops.dot(yNew, yNew)
        guard ys > 1e-10 * yy && ys > 0 else { return }
        var spareS: [S]? = nil, spareY: [S]? = nil
        if s.count == historySize { spareS = s.removeFirst(); spareY = y.removeFirst(); rho.removeFirst() }
        s.append(sNew); y.append(yNew); rho.append(1 / ys)
        sNew = spareS ?? [S](repeating: 0, count: sNew.count)
        yNew = spareY ?? [S](repeating: 0, count: yNew.count)
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

    /// Minimise f from x0 using `maxEvaluations` calls of f; every evaluation's point becomes
    /// the iterate (there is no line search), so `accepted(k)` is called for each.
    public func minimize(_ x0: [S], maxEvaluations: Int, bounds: Bounds<S>? = nil,
                         accepted onAccept: (Int) -> Void = { _ in }, _ f: Objective<S>) throws -> MinimizeResult<S> {
        precondition(maxEvaluations >= 1)
        var x = x0
        bounds?.project(&x)
        let n = x.count
        var m = [Double](repeating: 0, count: n), v = [Double](repeating: 0, count: n)
        var (fx, g) = try f(x)
        var evaluations = 1
        onAccept(1)
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
            onAccept(evaluations)
        }
        return MinimizeResult(x: x, value: fx, evaluations: evaluations, iterations: t, reason: .budget)
    }
}
