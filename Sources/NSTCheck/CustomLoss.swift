
import NSTFormula
import NSTTensor
import NSTGradCheck

/// Central differences of a custom loss (`nst check --loss`), written in the formula language.
///
/// - Only the loss's top-level terms (split at + and −) that contain the variable are
///   differenced; a constant term (`+ 1e8`, another layer's loss) cannot change the gradient
///   and would only bury it in rounding.
/// - f(x) is subtracted before differencing, and each entry's step is scaled to it:
///   s = 10⁻² · max(|x_k|, rms(x)). The derivative is NSTGradCheck's Richardson-extrapolated
///   central difference (exact for polynomials of degree ≤ 4 in the entry, O(s⁴) otherwise);
///   the loss is the user's, so it is evaluated by the formula evaluator, and the step is
///   fixed (a custom loss need not be a polynomial).
/// - relu and step have kinks. Every evaluation records the sign (−, 0, +) of each entry of
///   every relu/step argument; when a step changes that pattern it crossed a kink, and the
///   entry is retried with steps 10³ and 10⁶ times smaller. An entry that crosses a kink even
///   then sits on one (an exact zero of relu(F), say): the loss is not differentiable there
///   and the entry is left out of the comparison, with a note.
struct CustomLoss {
    var expression: Expression
    var input: String
    /// The differenced part: the top-level terms that contain the variable (nil: none do).
    var varying: Expression?
    var variable: String

    /// Operations one evaluation may cost at a draw's sizes (matrix products count n·k·m),
    /// above which the loss is refused; and the budget per draw for all its differences,
    /// above which a seeded sample of entries is compared.
    static let maxEvaluationCost = 1_000_000.0
    static let budgetPerDraw = 20_000_000.0
    static let minimumEntries = 8

    init(expression: Expression, input: String, variable: String) {
        self.expression = expression
        self.input = input
        self.variable = variable
        let depends: (Expression) -> Bool = { e in
            let s = e.symbols
            return s.contains(variable) || (variable == "F" && s.contains("G"))
        }
        func split(_ e: Expression) -> Expression? {
            switch e.node {
            case .binary(let op, let l, let r) where op == .add || op == .subtract:
                let a = split(l), b = split(r)
                switch (a, b) {
                case (nil, nil): return nil
                case (let a?, nil): return a
                case (nil, let b?): return op == .add ? b : Expression(.negate(b), column: e.column)
                case (let a?, let b?): return Expression(.binary(op, a, b), column: e.column)
                }
            case .negate(let x):
                return split(x).map { Expression(.negate($0), column: e.column) }
            default:
                return depends(e) ? e : nil
            }
        }
        varying = split(expression)
    }

    /// Operations of one evaluation of `e` with the draw's sizes: entries of every value,
    /// n·k·m for each matrix product.
    static func cost(_ e: Expression, shapes: [String: Shape]) -> Double {
        func size(_ s: Shape?) -> (Int, Int) {
            if case .matrix(let r, let c)? = s { return (r.size ?? 1, c.size ?? 1) }
            return (1, 1)
        }
        func walk(_ e: Expression) -> (rows: Int, cols: Int, cost: Double) {
            switch e.node {
            case .number: return (1, 1, 1)
            case .symbol(let s): let (r, c) = size(shapes[s]); return (r, c, 0)
            case .negate(let x), .call(_, let x):
                let a = walk(x)
                if case .call(let f, _) = e.node {
                    switch f {
                    case .sum, .tr: return (1, 1, a.cost + Double(a.rows * a.cols))
                    case .transpose: return (a.cols, a.rows, a.cost + Double(a.rows * a.cols))
                    default: break
                    }
                }
                return (a.rows, a.cols, a.cost + Double(a.rows * a.cols))
            case .transpose(let x):
                let a = walk(x)
                return (a.cols, a.rows, a.cost + Double(a.rows * a.cols))
            case .power(let b, let x):
                let a = walk(b), c = walk(x)
                return (1, 1, a.cost + c.cost + 1)
            case .binary(let op, let l, let r):
                let a = walk(l), b = walk(r)
                let base = a.cost + b.cost
                let aScalar = a.rows * a.cols == 1, bScalar = b.rows * b.cols == 1
                if op == .multiply, !aScalar, !bScalar {
                    return (a.rows, b.cols, base + Double(a.rows * a.cols * b.cols))
                }
                let (rows, cols) = aScalar ? (b.rows, b.cols) : (a.rows, a.cols)
                return (rows, cols, base + Double(rows * cols))
            }
        }
        return walk(e).cost
    }

    /// The value of `e` at `bindings` and a fingerprint of the signs of every relu/step argument.
    func evaluate(_ e: Expression, _ bindings: [String: Value]) -> (value: Double, kinks: Int) {
        var hasher = Hasher()
        var last: Value?
        let v = try? Formula.evaluate(e, bindings: bindings, input: input) { node, value in
            if case .call(let f, _) = node.node, f == .relu || f == .step, let argument = last {
                switch argument {
                case .scalar(let x): hasher.combine(x.sign == .minus ? -1 : x == 0 ? 0 : 1)
                case .matrix(let m): for x in m.values { hasher.combine(x < 0 ? -1 : x == 0 ? 0 : 1) }
                }
            }
            last = value
        }
        guard case .scalar(let x)? = v else { return (.nan, 0) }
        return (x, hasher.finalize())
    }

    struct Differences {
        /// The derivative at each of `indices`; nil where the loss is not differentiable.
        var values: [Double?]
        /// A bound on each value's rounding error (see `roundingScale`).
        var errors: [Double] = []
    }

    /// The loss evaluated on magnitudes: every binding by its absolute values, every − as +,
    /// every negation dropped, relu of a magnitude, step as 1. Each rounding of the loss's
    /// evaluation is at most u times the magnitude it is made at, and these magnitudes add up
    /// to at most this value times the length of the longest sum (the sizes), so
    /// u·(n + m + 8)·4 times it bounds the rounding of one evaluation of the loss.
    func roundingScale(_ e: Expression, _ bindings: [String: Value]) -> Double {
        func magnitude(_ e: Expression) -> Expression {
            let n: Expression.Node
            switch e.node {
            case .number(let v, let text): n = .number(abs(v), text: text)
            case .symbol: return e
            case .negate(let x): return magnitude(x)
            case .binary(let op, let l, let r): n = .binary(op == .subtract ? .add : op, magnitude(l), magnitude(r))
            case .power(let b, let x): n = .power(magnitude(b), x)
            case .transpose(let x): n = .transpose(magnitude(x))
            case .call(.step, _): n = .number(1, text: "1")
            case .call(let f, let x): n = .call(f, magnitude(x))
            }
            return Expression(n, column: e.column)
        }
        var absolute = bindings
        for (k, v) in bindings {
            switch v {
            case .scalar(let x): absolute[k] = .scalar(abs(x))
            case .matrix(let m): absolute[k] = .matrix(m.map(abs))
            }
        }
        guard case .scalar(let x)? = try? Formula.evaluate(magnitude(e), bindings: absolute, input: input), x.isFinite else { return .infinity }
        return x
    }

    /// ∂(varying part)/∂variable at `indices` of the variable's values `x`, as laid out in
    /// `bindings` (G follows F).
    func derivative(bindings: [String: Value], indices: [Int]) -> Differences {
        guard let e = varying, case .matrix(let X)? = bindings[variable] else {
            return Differences(values: indices.map { _ in 0 })
        }
        var b = bindings
        // G = F·Fᵀ follows F: moving F_ij by δ changes only row and column i of G (by δ·F_bj,
        // and G_ii by 2δ·F_ij + δ²), patched into a copy rather than recomputed.
        let G0 = variable == "F" ? X.multiplied(by: X.transposed) : nil
        func at(_ values: [Double], moved k: Int? = nil, by δ: Double = 0) -> (Double, Int) {
            b[variable] = .matrix(Matrix(rows: X.rows, cols: X.cols, values: values))
            if var G = G0 {
                if let k, δ != 0 {
                    let i = k / X.cols, j = k % X.cols
                    for r in 0..<X.rows where r != i {
                        let change = δ * X.values[r * X.cols + j]
                        G[i, r] += change
                        G[r, i] += change
                    }
                    G[i, i] += δ * (2 * X.values[k] + δ)
                }
                b["G"] = .matrix(G)
            }
            return evaluate(e, b)
        }
        let (f0, kinks0) = at(X.values)
        let sizes = Double(X.rows + X.cols + 8)
        let rounding = 4 * sizes * Double.ulpOfOne * roundingScale(e, bindings)
        var errors: [Double] = []
        let rms = Draw.rms(X.values)
        var point = X.values
        var out: [Double?] = []
        for k in indices {
            let x = point[k]
            var s = 1e-2 * max(abs(x), rms, 1e-12)
            var result: Double?
            for _ in 0..<3 {
                var crossed = false
                let value = GradCheck.richardson(step: s) { step in
                    point[k] = x + step
                    let (f, kinks) = at(point, moved: k, by: step)
                    if kinks != kinks0 { crossed = true }
                    return f - f0
                }
                point[k] = x
                if !crossed {
                    result = value
                    break
                }
                s /= 1000
            }
            out.append(result)
            // Eight evaluations, each rounded by at most `rounding`, weighted (4·2/2s + 2/4s)/3 ≤ 1.5/s.
            errors.append(1.5 * rounding / s)
        }
        return Differences(values: out, errors: errors)
    }
}
