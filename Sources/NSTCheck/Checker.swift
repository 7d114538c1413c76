import NSTFormula
import NSTTensor
import NSTLayers
import NSTRandom
import NSTGradCheck

/// Checks a typed gradient formula against central differences of the losses it is the
/// gradient of, and when it is wrong, says what is wrong from the numbers.
///
/// The check, for each of `options.draws` independent draws of the bindings:
/// 1. parse the answer and infer its shape (refusing impossible shapes with a caret), and
///    refuse what the draws cannot vouch for at every size: a number equal to N, M, N², M²
///    or N·M in every draw, a relu/step of a scalar (a comparison of sizes or weights);
/// 2. evaluate it in Double on the draw's F, P, A, G = F·Fᵀ, N, M, α, β, w, η;
/// 3. compare it at every entry with the reference (see `LossDifferences`, `CustomLoss`; a
///    draw too large to difference at every entry is differenced at a seeded sample, and the
///    engine's backward passes, vouched for there, stand in elsewhere);
///    relative error |a − r| / max(|a| + |r|, 10⁻³·max|r|) — entries below 10⁻³ of the
///    largest are compared on that scale, where finite differences' rounding lives;
/// 4. correct when the largest error over all entries of all draws is ≤ the tolerance: for the
///    targets, what the reference can vouch for (`tolerance(_:draws:samples:limit:)`, 10⁻¹⁰ on
///    random draws), at most `options.tolerance` (1e-7);
/// 5. otherwise fit the answer as a least-squares combination of the reference's terms
///    (per draw), also after candidate transforms (transpose, mask by F > 0, one or two extra
///    terms from F, P, G·F, A·F, G·P, A·P), and name each fitted coefficient as a product
///    of the bindings (see `Factor`).
public struct Checker: Sendable {
    public var options: CheckOptions
    /// Supplies F, P, A from a real model; nil uses seeded random tensors.
    public var activations: (any ActivationSource)?

    /// Draws already made (their features and reference differences), shared by the checks
    /// this checker (and its copies) make: a quiz or a test checks many answers on the same draws.
    let cache = DrawCache()

    public init(options: CheckOptions = .init(), activations: (any ActivationSource)? = nil) {
        self.options = options
        self.activations = activations
    }

    /// Relative residual under which a fit explains the answer.
    static let fitTolerance = 1e-6

    /// Check `answer` as the value of `target` (see `CheckTarget`).
    public func check(target: CheckTarget, answer: String) -> CheckReport {
        let (draws, source, detail) = makeDraws()
        let samples = draws.indices.map { sampleIndices(among: draws[$0].sample, draw: $0) }
        let errors = draws.indices.map { i in samples[i].map { target.referenceError(draws[i])[$0] } }
        let terms = draws.indices.map { i in target.terms(draws[i]).map { t in Term(name: t.name, values: samples[i].map { t.values[$0] }) } }
        let problem = Problem(
            target: target.rawValue,
            draws: draws,
            expected: { i in .matrix(Dim("N", draws[i].n), Dim("M", draws[i].m)) },
            sample: { i in samples[i] },
            reference: { i in Self.sum(terms[i]) },
            terms: { i in terms[i] },
            mask: { i in samples[i].map { draws[i].F.storage[$0] > 0 ? 1 : 0 } },
            dictionary: { i in Self.dictionary(draws[i], sample: samples[i]) },
            referenceDescription: target.referenceDescription + Self.sampledNote(draws),
            isUpdate: target == .update,
            epsilon: draws[0].referenceStep, source: source, sourceDetail: detail,
            slack: { i in errors[i] },
            tolerance: Self.tolerance(target, draws: draws, samples: samples, limit: options.tolerance))
        return run(problem, answer: answer)
    }

    /// The tolerance the reference can vouch for: the differences are compared with the engine's
    /// own backward passes (ContentLoss.backward, StyleLoss.backward, in Double) on the same
    /// draws, beyond the differences' rounding bounds, and the tolerance is 1000 times the
    /// largest relative gap, at least 10⁻¹⁰, at most `limit`. So an answer off by one part in
    /// 10⁹ (F − P + 10⁻⁹·F) is not accepted, and a gap between the engine's forward and
    /// backward passes loosens the tolerance (to `limit` at most) rather than failing answers.
    static func tolerance(_ target: CheckTarget, draws: [Draw], samples: [[Int]], limit: Double) -> Double {
        var gap = 0.0
        for (i, d) in draws.enumerated() {
            var exact = d
            exact.contentGradient = ContentLoss.backward(d.F, d.P).storage
            exact.styleGradient = StyleLoss.backward(d.F, d.A).storage
            let r = target.reference(d), e = target.reference(exact), bound = target.referenceError(d)
            let scale = max(samples[i].map { abs(e[$0]) }.max() ?? 0, 1e-300)
            for k in d.differenced {
                gap = max(gap, GradCheck.relativeError(r[k], e[k], slack: bound[k], floor: relativeFloor * scale))
            }
        }
        return min(limit, max(1e-10, 1000 * gap))
    }

    /// What stands in for the differences where a draw was differenced at a sample only.
    static func sampledNote(_ draws: [Draw]) -> String {
        let sampled = draws.filter { $0.differenced.count < $0.F.count }
        guard let fewest = sampled.map(\.differenced.count).min() else { return "" }
        return " at a seeded sample of at least \(fewest) entries per large draw, and elsewhere the engine's backward passes (ContentLoss.backward, StyleLoss.backward), which agree with those differences"
    }

    static func sum(_ terms: [Term]) -> [Double] {
        guard var out = terms.first?.values else { return [] }
        for t in terms.dropFirst() { for k in out.indices { out[k] += t.values[k] } }
        return out
    }

    /// Every one of `candidates` (sorted entries), or a seeded sample when
    /// `options.maxCheckedEntries` (or `limit`) asks for fewer.
    func sampleIndices(among candidates: [Int], draw: Int, limit: Int = .max) -> [Int] {
        let count = min(options.maxCheckedEntries, limit)
        guard candidates.count > count else { return candidates }
        var rng = SplitMix64(seed: options.seed &+ UInt64(draw) &* 0x9E37_79B9_7F4A_7C15 &+ 29)
        return Draw.sample(candidates.count, count, using: &rng).map { candidates[$0] }
    }

    /// Check `answer` as ∂loss/∂wrt, for any scalar `loss` written in the formula language
    /// over the same symbols. `wrt` is F, P or A (G is F·Fᵀ and follows F).
    public func check(loss: String, wrt: String, answer: String) -> CheckReport {
        let (draws, source, detail) = makeDraws()
        let wrtName = Formula.canonicalSymbol(wrt.trimmingCharacters(in: .whitespaces))
        var base = Problem.invalidShell(target: "custom", draws: draws, epsilon: 1e-2, source: source, detail: detail)
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
        let custom = CustomLoss(expression: lossExpression, input: loss, variable: wrtName)
        // The loss must cost a bounded number of operations, and evaluate at the draws' points.
        // Each evaluation also copies the variable (and G, patched, when the variable is F).
        let costs = draws.map { d in
            CustomLoss.cost(custom.varying ?? lossExpression, shapes: d.symbols.shapes) + Double(d.n * d.m + (wrtName == "F" ? d.n * d.n : 0))
        }
        if let worst = costs.max(), worst > CustomLoss.maxEvaluationCost {
            return base.invalid(answer: answer, kind: .evaluationError,
                                message: "the loss costs about \(Self.short(worst)) operations per evaluation at these sizes, and it is evaluated four times per entry; the limit is \(Self.short(CustomLoss.maxEvaluationCost)): simplify it",
                                rendering: nil, options: options)
        }
        for d in draws {
            do { _ = try Formula.evaluate(lossExpression, bindings: d.bindings, input: loss) } catch {
                return base.invalid(answer: answer, kind: .evaluationError, message: "the loss: \(error.description)", rendering: error.rendered, options: options)
            }
        }
        func wrtShape(_ d: Draw) -> Shape { d.symbols.shapes[wrtName]! }
        func wrtValues(_ d: Draw) -> [Double] { wrtName == "F" ? d.F.storage : wrtName == "P" ? d.P.storage : d.A.storage }
        var samples: [[Int]] = [], references: [[Double]] = [], errors: [[Double]] = [], skipped: [Int] = []
        var sampled = false
        for (i, d) in draws.enumerated() {
            let total = wrtValues(d).count
            let affordable = max(CustomLoss.minimumEntries, Int(CustomLoss.budgetPerDraw / max(4 * costs[i], 1)))
            let candidates = sampleIndices(among: Array(0..<total), draw: i, limit: affordable)
            if candidates.count < total { sampled = true }
            let differences = custom.derivative(bindings: d.bindings, indices: candidates)
            var kept: [Int] = [], values: [Double] = [], bounds: [Double] = []
            for (n, (k, v)) in zip(candidates, differences.values).enumerated() {
                if let v { kept.append(k); values.append(v); bounds.append(differences.errors[n]) }
            }
            samples.append(kept)
            references.append(values)
            errors.append(bounds)
            skipped.append(candidates.count - kept.count)
        }
        var notes: [Diagnosis] = []
        if skipped.contains(where: { $0 > 0 }) {
            if samples.contains(where: \.isEmpty) {
                return base.invalid(answer: answer, kind: .notDifferentiable,
                                    message: "the loss is not differentiable here: every entry of \(wrtName) sits on a kink of relu or step at the drawn values",
                                    rendering: nil, options: options)
            }
            let counts = skipped.map(String.init).joined(separator: ", ")
            notes.append(Diagnosis(kind: .notDifferentiable, message: "the loss is not differentiable at some entries of \(wrtName) (a kink of relu or step sits exactly there: \(counts) entries in the \(draws.count) draws); those entries are not compared"))
        }
        var constantNote = custom.varying == nil ? " (no term of the loss contains \(wrtName): the gradient is 0)" : ""
        if sampled { constantNote += " at a seeded sample of the entries (the loss is costly to difference at every entry)" }
        base = Problem(
            target: "custom",
            draws: draws,
            expected: { i in wrtShape(draws[i]) },
            sample: { i in samples[i] },
            reference: { i in references[i] },
            terms: { i in [Term(name: "the gradient", values: references[i])] },
            mask: { i in samples[i].map { wrtValues(draws[i])[$0] > 0 ? 1 : 0 } },
            dictionary: { i in wrtName == "F" ? Self.dictionary(draws[i], sample: samples[i]) : [] },
            referenceDescription: "central differences of the loss \(lossExpression.unicode) in \(wrtName) (its terms that contain \(wrtName), steps of 10⁻² of each entry), evaluated by the formula evaluator\(constantNote)",
            variable: wrtName,
            isUpdate: false,
            epsilon: 1e-2, source: source, sourceDetail: detail, notes: notes,
            slack: { i in errors[i] })
        return run(base, answer: answer)
    }

    /// N×M quantities an answer might wrongly contain, at the draw's checked entries.
    static func dictionary(_ d: Draw, sample: [Int]) -> [Term] {
        let F = Draw.matrix(d.F), P = Draw.matrix(d.P), A = Draw.matrix(d.A), G = Draw.matrix(d.G)
        let named: [(String, Matrix)] = [("F", F), ("P", P), ("G·F", G.multiplied(by: F)), ("A·F", A.multiplied(by: F)),
                                         ("G·P", G.multiplied(by: P)), ("A·P", A.multiplied(by: P))]
        return named.map { name, m in Term(name: name, values: sample.map { m.values[$0] }) }
    }

    func makeDraws() -> ([Draw], BindingsSource, String) {
        let count = max(1, options.draws)
        if options.bindings == .model, let source = activations {
            do {
                let draws = try (0..<count).map { i in
                    try cache.draw("\(options.seed) \(i) \(source.description)") {
                        let f = try source.features(seed: options.seed, index: i)
                        var rng = SplitMix64(seed: options.seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15 &+ 29)
                        return Draw.assemble(F: f.generated, P: f.content, A: Gram.forward(f.style), layer: f.layer, using: &rng)
                    }
                }
                return (draws, .model, source.description)
            } catch {
                let draws = (0..<count).map { Draw.random(seed: options.seed, index: $0) }
                return (draws, .random, "seeded random non-negative tensors (the model failed: \(error))")
            }
        }
        let draws = (0..<count).map { i in cache.draw("\(options.seed) \(i) random") { Draw.random(seed: options.seed, index: i) } }
        var detail = "seeded random non-negative tensors (ReLU of uniform noise), \(Draw.randomSizesText)"
        if let note = options.bindingsNote { detail += " — \(note)" }
        return (draws, .random, detail)
    }
}
