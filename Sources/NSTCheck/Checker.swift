import NSTFormula
import NSTTensor
import NSTLayers

/// Checks a typed gradient formula against central differences of the engine's own losses,
/// and when it is wrong, says what is wrong from the numbers.
///
/// The check, for each of `options.draws` independent draws of the bindings:
/// 1. parse the answer and infer its shape (refusing impossible shapes with a caret);
/// 2. evaluate it in Double on the draw's F, P, A, G = F·Fᵀ, N, M, α, β, w, η;
/// 3. compare it, entry by entry (all, or a seeded sample), with the reference;
///    relative error |a − r| / max(|a| + |r|, 10⁻³·max|r|) — entries below 10⁻³ of the
///    largest are compared on that scale, where finite differences' rounding lives;
/// 4. correct when the largest error over all draws is ≤ `options.tolerance` (1e-7);
/// 5. otherwise fit the answer as a least-squares combination of the reference's terms
///    (per draw), also after candidate transforms (transpose, mask by F > 0, one or two extra
///    terms from F, P, G·F, A·F, G·P, A·P), and name each fitted coefficient as a product
///    of the bindings (see `Factor`).
public struct Checker: Sendable {
    public var options: CheckOptions
    /// Supplies F, P, A from a real model; nil uses seeded random tensors.
    public var activations: (any ActivationSource)?

    public init(options: CheckOptions = .init(), activations: (any ActivationSource)? = nil) {
        self.options = options
        self.activations = activations
    }

    /// Step of the central differences for the engine's (polynomial) losses; see FiniteDifferences.
    /// The extrapolated difference is exact for them whatever the step, and a step the size
    /// of the values (about 1) keeps rounding smallest.
    static let polynomialStep = 1.0
    /// Step for custom losses, which may not be polynomial.
    static let customStep = 1e-4
    /// Relative residual under which a fit explains the answer.
    static let fitTolerance = 1e-6

    /// Check `answer` as the value of `target` (see `CheckTarget`).
    public func check(target: CheckTarget, answer: String) -> CheckReport {
        let (draws, source, detail) = makeDraws()
        let h = Self.polynomialStep
        let problem = Problem(
            target: target.rawValue,
            draws: draws,
            expected: { i in .matrix(Dim("N", draws[i].n), Dim("M", draws[i].m)) },
            sample: { i in draws[i].sample },
            reference: { i in target.reference(draws[i], h: h) },
            terms: { i in target.terms(draws[i], h: h) },
            mask: { i in draws[i].sample.map { draws[i].F.storage[$0] > 0 ? 1 : 0 } },
            dictionary: { i in Self.dictionary(draws[i]) },
            referenceDescription: target.referenceDescription,
            isUpdate: target == .update,
            epsilon: h, source: source, sourceDetail: detail)
        return run(problem, answer: answer)
    }

    /// Check `answer` as ∂loss/∂wrt, for any scalar `loss` written in the formula language
    /// over the same symbols. `wrt` is F, P or A (G is F·Fᵀ and follows F).
    public func check(loss: String, wrt: String, answer: String) -> CheckReport {
        let (draws, source, detail) = makeDraws()
        let wrtName = Formula.canonicalSymbol(wrt.trimmingCharacters(in: .whitespaces))
        var base = Problem.invalidShell(target: "custom", draws: draws, epsilon: Self.customStep, source: source, detail: detail)
        let symbols0 = draws[0].symbols
        let lossExpression: Expression
        do {
            lossExpression = try Formula.parse(loss, limits: options.limits)
            let s = try Formula.inferShape(lossExpression, symbols: symbols0, input: loss)
            if !s.isScalar {
                return base.invalid(answer: answer, kind: .shapeError,
                                    message: "the loss must be a scalar, but \(lossExpression.unicode) is \(s); wrap it in sum(…) or tr(…)",
                                    rendering: nil, options: options)
            }
        } catch {
            return base.invalid(answer: answer, kind: error.kind == .parse ? .parseError : .shapeError,
                                message: "the loss: \(error.description)", rendering: error.rendered, options: options)
        }
        guard ["F", "P", "A"].contains(wrtName) else {
            return base.invalid(answer: answer, kind: .shapeError,
                                message: "--wrt must be F, P or A (G = F·Fᵀ follows F; scalars have no matrix gradient), not '\(wrt)'",
                                rendering: nil, options: options)
        }
        let h = Self.customStep
        // The sample of wrt's entries, per draw (F's sample, or a fresh one for A).
        let samples: [[Int]] = draws.enumerated().map { i, d in
            if wrtName != "A" { return d.sample }
            var rng = SplitMix64(seed: options.seed &+ 0xA5A5 &+ UInt64(i))
            return Draw.sample(d.n * d.n, options.maxCheckedEntries, using: &rng)
        }
        func wrtShape(_ d: Draw) -> Shape { d.symbols.shapes[wrtName]! }
        func wrtValues(_ d: Draw) -> [Double] { wrtName == "F" ? d.F.storage : wrtName == "P" ? d.P.storage : d.A.storage }
        func lossAt(_ d: Draw) -> ([Double]) -> Double {
            var b = d.bindings
            let shape = wrtShape(d)
            guard case .matrix(let r, let c) = shape else { return { _ in .nan } }
            return { x in
                let X = Matrix(rows: r.size!, cols: c.size!, values: x)
                b[wrtName] = .matrix(X)
                if wrtName == "F" { b["G"] = .matrix(X.multiplied(by: X.transposed)) }
                guard case .scalar(let v)? = try? Formula.evaluate(lossExpression, bindings: b, input: loss) else { return .nan }
                return v
            }
        }
        // The loss must evaluate at the draws' points.
        for d in draws {
            do { _ = try Formula.evaluate(lossExpression, bindings: d.bindings, input: loss) } catch {
                return base.invalid(answer: answer, kind: .evaluationError, message: "the loss: \(error.description)", rendering: error.rendered, options: options)
            }
        }
        base = Problem(
            target: "custom",
            draws: draws,
            expected: { i in wrtShape(draws[i]) },
            sample: { i in samples[i] },
            reference: { i in FiniteDifferences.derivative(at: wrtValues(draws[i]), indices: samples[i], h: h, lossAt(draws[i])) },
            terms: { i in [Term(name: "the gradient", values: FiniteDifferences.derivative(at: wrtValues(draws[i]), indices: samples[i], h: h, lossAt(draws[i])))] },
            mask: { i in samples[i].map { wrtValues(draws[i])[$0] > 0 ? 1 : 0 } },
            dictionary: { i in wrtName == "F" ? Self.dictionary(draws[i]) : [] },
            referenceDescription: "central differences of the loss \(lossExpression.unicode) in \(wrtName), evaluated by the formula evaluator",
            variable: wrtName,
            isUpdate: false,
            epsilon: h, source: source, sourceDetail: detail)
        return run(base, answer: answer)
    }

    /// N×M quantities an answer might wrongly contain, at the draw's checked entries.
    static func dictionary(_ d: Draw) -> [Term] {
        let F = Draw.matrix(d.F), P = Draw.matrix(d.P), A = Draw.matrix(d.A)
        let G = F.multiplied(by: F.transposed)
        let named: [(String, Matrix)] = [("F", F), ("P", P), ("G·F", G.multiplied(by: F)), ("A·F", A.multiplied(by: F)),
                                         ("G·P", G.multiplied(by: P)), ("A·P", A.multiplied(by: P))]
        return named.map { name, m in Term(name: name, values: d.sample.map { m.values[$0] }) }
    }

    func makeDraws() -> ([Draw], BindingsSource, String) {
        let count = max(1, options.draws)
        if options.bindings == .model, let source = activations {
            do {
                let draws = try (0..<count).map { i in
                    let f = try source.features(seed: options.seed, index: i)
                    var rng = SplitMix64(seed: options.seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15 &+ 29)
                    return Draw.assemble(F: f.generated, P: f.content, A: Gram.forward(f.style), using: &rng, maxChecked: options.maxCheckedEntries)
                }
                return (draws, .model, source.description)
            } catch {
                let draws = (0..<count).map { Draw.random(seed: options.seed, index: $0, maxChecked: options.maxCheckedEntries) }
                return (draws, .random, "seeded random non-negative tensors (the model failed: \(error))")
            }
        }
        let draws = (0..<count).map { Draw.random(seed: options.seed, index: $0, maxChecked: options.maxCheckedEntries) }
        var detail = "seeded random non-negative tensors (ReLU of uniform noise), N ∈ 5…8, M ∈ 9…14 per draw"
        if let note = options.bindingsNote { detail += " — \(note)" }
        return (draws, .random, detail)
    }
}
