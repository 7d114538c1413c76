import NSTFormula
import NSTGradCheck

/// What a check compares an answer with: the draws, the reference at each draw's checked
/// entries, its terms (for the diagnosis) and how to name things. Closures take a draw index.
struct Problem {
    var target: String
    var draws: [Draw]
    var expected: (Int) -> Shape
    var sample: (Int) -> [Int]
    var reference: (Int) -> [Double]
    var terms: (Int) -> [Term]
    /// 1 where F (or the wrt matrix) is > 0, else 0, at the checked entries.
    var mask: (Int) -> [Double]
    var dictionary: (Int) -> [Term]
    var referenceDescription: String
    /// The matrix differentiated by (F for the targets), for messages.
    var variable: String = "F"
    var isUpdate: Bool
    var epsilon: Double
    var source: BindingsSource
    var sourceDetail: String
    /// Notes that go with any verdict (entries left out where a custom loss has a kink).
    var notes: [Diagnosis] = []
    /// A bound on the reference's rounding error at each checked entry (nil: negligible); an
    /// answer within it of the reference is not held to be wrong by it.
    var slack: ((Int) -> [Double])? = nil
    /// The largest relative error judged correct, when the reference sets it (else the options').
    var tolerance: Double? = nil

    /// A problem that can only report invalid input (its loss did not parse, say).
    static func invalidShell(target: String, draws: [Draw], epsilon: Double, source: BindingsSource, detail: String) -> Problem {
        Problem(target: target, draws: draws, expected: { i in .matrix(Dim("N", draws[i].n), Dim("M", draws[i].m)) },
                sample: { _ in [] }, reference: { _ in [] }, terms: { _ in [] }, mask: { _ in [] }, dictionary: { _ in [] },
                referenceDescription: "", isUpdate: false, epsilon: epsilon, source: source, sourceDetail: detail)
    }

    func report(_ verdict: Verdict, message: String, diagnosis: [Diagnosis] = [], echo: String = "",
                shape: String? = nil, maxRel: Double? = nil, worst: WorstEntry? = nil, rendering: String? = nil,
                errorColumn: Int? = nil, options: CheckOptions) -> CheckReport {
        CheckReport(verdict: verdict, maxRelError: maxRel, diagnosis: diagnosis, shape: shape,
                    expectedShape: expected(0).description, echo: echo, message: message, errorRendering: rendering,
                    errorColumn: errorColumn,
                    worst: worst, reference: referenceDescription, target: target, bindings: source,
                    bindingsDetail: sourceDetail, seed: options.seed, draws: draws.count, epsilon: epsilon,
                    dtype: "Double", tolerance: tolerance ?? options.tolerance, checkedEntries: draws.isEmpty ? 0 : sample(0).count)
    }

    func invalid(answer: String, kind: DiagnosisKind, message: String, rendering: String?, echo: String = "",
                 errorColumn: Int? = nil, options: CheckOptions = .init()) -> CheckReport {
        report(.invalid, message: message, diagnosis: [Diagnosis(kind: kind, message: message)],
               echo: echo, rendering: rendering, errorColumn: errorColumn, options: options)
    }

    /// The answer is invalid because of `error`, at its column of the answer.
    func invalid(answer: String, kind: DiagnosisKind, error: FormulaError, echo: String = "",
                 options: CheckOptions = .init()) -> CheckReport {
        invalid(answer: answer, kind: kind, message: error.description, rendering: error.rendered, echo: echo,
                errorColumn: error.column > 0 ? error.column : nil, options: options)
    }
}

extension Checker {
    /// Entries smaller than this fraction of the largest reference entry (in a draw) are
    /// compared on that scale: the finite differences' rounding (≈ 10⁻¹¹ of the largest entry
    /// on VGG's deepest layers) would otherwise dominate their relative error.
    static let relativeFloor = 1e-3

    /// Operations one evaluation of an answer may cost in a draw (matrix products count n·k·m):
    /// (G − A)·(G − A)·F at relu5_1 is about 1.4·10⁸.
    static let maxAnswerCost = 3e8

    /// The formula as read, in Unicode maths, then each symbol it uses with its shape.
    static func echo(_ e: Expression, shape: Shape?, symbols: SymbolTable) -> String {
        var lines = [e.unicode + (shape.map { "   (\($0.symbolic))" } ?? "")]
        lines.append("with (draw 1):")
        let used = Set(e.symbols)
        for s in symbols.order where used.contains(s) {
            let name = Expression.display(symbol: s, unicode: true)
            let meaning = symbols.meanings[s].map { "  \($0)" } ?? ""
            lines.append("  \(name): \(symbols.shapes[s]!.description)\(meaning)")
        }
        return lines.joined(separator: "\n")
    }

    func run(_ p: Problem, answer: String) -> CheckReport {
        let symbols0 = p.draws[0].symbols
        // 1. Read the formula and infer its shape before evaluating anything.
        let expression: Expression
        let shape: Shape
        do {
            expression = try Formula.parse(answer, limits: options.limits)
        } catch {
            return p.invalid(answer: answer, kind: .parseError, error: error, options: options)
        }
        do {
            shape = try Formula.inferShape(expression, symbols: symbols0, input: answer)
        } catch {
            return p.invalid(answer: answer, kind: .shapeError, error: error,
                             echo: Self.echo(expression, shape: nil, symbols: symbols0), options: options)
        }
        let echo = Self.echo(expression, shape: shape, symbols: symbols0)
        if let cost = p.draws.map({ CustomLoss.cost(expression, shapes: $0.symbols.shapes) }).max(), cost > Self.maxAnswerCost {
            return p.invalid(answer: answer, kind: .evaluationError,
                             message: "the answer costs about \(Self.short(cost)) operations to evaluate at these sizes; the limit is \(Self.short(Self.maxAnswerCost)): simplify it",
                             rendering: nil, echo: echo, options: options)
        }
        if let refusal = HardCoding.scalarComparison(expression, symbols: symbols0, input: answer) {
            return p.invalid(answer: answer, kind: .hardCoded, error: refusal, echo: echo, options: options)
        }
        let literalSizes = HardCoding.literalSizes(expression, draws: p.draws)
        if let always = literalSizes.first(where: { $0.everyDraw }) {
            let message = "\(always.message): a formula must hold at every layer, and the draws cannot vouch for it at sizes they did not try"
            return p.invalid(answer: answer, kind: .hardCoded, message: message, rendering: nil, echo: echo, options: options)
        }
        // 2. Evaluate in every draw, noting which transposed sub-expressions are symmetric.
        var values: [Value] = []
        var symmetry = SymmetryNotes()
        for d in p.draws {
            do { values.append(try symmetry.evaluate(expression, bindings: d.bindings, input: answer)) } catch {
                return p.invalid(answer: answer, kind: .evaluationError, error: error, echo: echo, options: options)
            }
        }
        let notes = p.notes + symmetry.notes
        let expected = p.expected(0)
        var transposed = false
        if !shape.agrees(with: expected) {
            if case .matrix = expected, shape.agrees(with: expected.transposed) {
                transposed = true
            } else {
                let what = shape.isScalar ? "a scalar" : "\(shape)"
                let message = "the answer is \(what), but it should have \(p.variable)'s shape \(expected)"
                return p.report(.incorrect, message: message, diagnosis: [Diagnosis(kind: .shape, message: message)],
                                echo: echo, shape: shape.description, options: options)
            }
        }
        // 3. Compare at the checked entries.
        var answers: [[Double]] = []
        var full: [Matrix] = []
        for (i, v) in values.enumerated() {
            guard case .matrix(var m) = v else { return p.report(.invalid, message: "internal: scalar answer", options: options) }
            if transposed { m = m.transposed }
            full.append(m)
            answers.append(p.sample(i).map { m.values[$0] })
        }
        let references = p.draws.indices.map { p.reference($0) }
        if references.contains(where: { $0.contains { !$0.isFinite } }) {
            return p.invalid(answer: answer, kind: .evaluationError,
                             message: "the loss cannot be differentiated numerically here: it is not finite at points next to the draws' values (a division by zero or an overflow nearby)",
                             rendering: nil, echo: echo, options: options)
        }
        var maxRel = 0.0
        var worst: WorstEntry?
        for i in p.draws.indices {
            let r = references[i], a = answers[i]
            let scale = max(r.map(abs).max() ?? 0, 1e-300)
            let cols = columns(p.expected(i))
            let slack = p.slack?(i)
            for k in r.indices {
                // The reference's own rounding (a bound, when known) is not the answer's error.
                let err = GradCheck.relativeError(a[k], r[k], slack: slack?[k] ?? 0, floor: Self.relativeFloor * scale)
                if err > maxRel || worst == nil {
                    maxRel = max(maxRel, err)
                    worst = WorstEntry(draw: i + 1, row: p.sample(i)[k] / cols, column: p.sample(i)[k] % cols, answer: a[k], reference: r[k])
                }
            }
        }
        let tolerance = p.tolerance ?? options.tolerance
        if !transposed && maxRel <= tolerance {
            return p.report(.correct, message: "agrees with \(p.referenceDescription) to \(Self.short(maxRel)) (≤ \(Self.short(tolerance))) on \(p.draws.count) draws",
                            diagnosis: notes, echo: echo, shape: shape.description, maxRel: maxRel, worst: worst, options: options)
        }
        // 4. Diagnose from the numbers.
        var diagnosis: [Diagnosis] = []
        if transposed {
            diagnosis.append(Diagnosis(kind: .transposed, message: "the answer is \(shape.symbolic), the transpose of \(p.variable)'s shape \(expected.symbolic): a gradient with respect to \(p.variable) has \(p.variable)'s shape; transpose your answer"))
        }
        diagnosis += literalSizes.map { Diagnosis(kind: .hardCoded, message: $0.message) }
        diagnosis += Self.diagnose(p, answers: answers, full: full, transposedAlready: transposed)
        if diagnosis.isEmpty {
            diagnosis.append(Diagnosis(kind: .unexplained, message: "the answer matches every term of the gradient with coefficient 1 to within 10⁻⁶, but not to the tolerance \(tolerance): it differs from the gradient by less than the diagnosis can resolve"))
        }
        diagnosis += notes
        var kinds: [String] = []
        for d in diagnosis where d.kind != .indistinguishable && d.kind != .notDifferentiable && !kinds.contains(d.kind.rawValue) { kinds.append(d.kind.rawValue) }
        let summary = kinds.joined(separator: ", ")
        return p.report(.incorrect, message: "\(summary): the largest relative error is \(Self.short(maxRel))\(transposed ? " after transposing" : "")",
                        diagnosis: diagnosis, echo: echo, shape: shape.description,
                        maxRel: transposed ? nil : maxRel, worst: worst, options: options)
    }

    func columns(_ s: Shape) -> Int {
        if case .matrix(_, let c) = s { return c.size ?? 1 }
        return 1
    }
}
