import Foundation
import NSTFormula
import NSTGradCheck

public struct DerivationOptions: Sendable {
    /// Seed of the draws.
    public var seed: UInt64
    /// Independent draws every row is evaluated on.
    public var draws: Int
    /// The quantity asked for; nil takes it from the left-hand side.
    public var target: CheckTarget?
    public var limits: DerivationLimits
    public init(seed: UInt64 = 0, draws: Int = 3, target: CheckTarget? = nil, limits: DerivationLimits = .default) {
        self.seed = seed
        self.draws = draws
        self.target = target
        self.limits = limits
    }
}

/// One row's judgment.
public struct DerivationStep: Codable, Sendable {
    /// The row number (1-based): the k-th row of the aligned block or of the plain file.
    public var line: Int
    /// The input line the row starts on.
    public var sourceLine: Int
    public var text: String
    /// How nst read the row's expression, in Unicode maths.
    public var readAs: String
    /// correct: the row equals the row before (row 1: the quantity); incorrect: it does not.
    public var verdict: Verdict
    /// Whether the row equals the quantity the left-hand side names.
    public var equalsQuantity: Bool
    /// "follows from row 3, and carries its mistake", "undoes the mistake of row 3", …
    public var note: String?
    public var diagnosis: [Diagnosis]
    /// Largest relative difference from the row before (row 1: from the quantity); nil when
    /// the row's shape does not fit.
    public var maxRelDifference: Double?

    enum CodingKeys: String, CodingKey {
        case line, sourceLine = "source_line", text, readAs = "read_as", verdict, equalsQuantity = "equals_quantity",
             note, diagnosis, maxRelDifference = "max_rel_difference"
    }
}

/// The first wrong row and the row before it on a 2×3 example.
public struct Counterexample: Codable, Sendable {
    /// Sizes of the differentiated layer: N = 2, M = 3.
    public var n: Int, m: Int
    public var beforeLabel: String
    public var before: [[Double]]?
    public var rowLabel: String
    public var row: [[Double]]?
    /// Why a side has no values (its shape does not fit).
    public var note: String?
}

/// Everything a derivation check found (`nst check --derivation FILE [--json]`).
public struct DerivationReport: Codable, Sendable {
    public var verdict: Verdict
    /// The first wrong row (1-based), nil when correct or invalid.
    public var firstWrongLine: Int?
    /// The first wrong row's diagnosis (or, when invalid, why).
    public var diagnosis: [Diagnosis]
    public var message: String
    /// The quantity checked (CheckTarget's name), nil when it could not be told.
    public var target: String?
    /// How the left-hand side was read.
    public var quantity: String?
    public var steps: [DerivationStep]
    public var counterexample: Counterexample?
    /// A parse error's caret rendering.
    public var errorRendering: String?
    /// What row 1 is compared with.
    public var reference: String
    public var seed: UInt64
    public var draws: Int
    /// Sizes of the layers in each draw.
    public var sizes: [String]
    public var tolerance: Double

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(verdict, forKey: .verdict)
        try c.encode(firstWrongLine, forKey: .firstWrongLine)   // null when correct
        try c.encode(diagnosis, forKey: .diagnosis)
        try c.encode(message, forKey: .message)
        try c.encode(target, forKey: .target)
        try c.encode(quantity, forKey: .quantity)
        try c.encode(steps, forKey: .steps)
        try c.encode(counterexample, forKey: .counterexample)
        try c.encode(errorRendering, forKey: .errorRendering)
        try c.encode(reference, forKey: .reference)
        try c.encode(seed, forKey: .seed)
        try c.encode(draws, forKey: .draws)
        try c.encode(sizes, forKey: .sizes)
        try c.encode(tolerance, forKey: .tolerance)
    }

    enum CodingKeys: String, CodingKey {
        case verdict, firstWrongLine = "first_wrong_line", diagnosis, message, target, quantity, steps, counterexample,
             errorRendering = "error_rendering", reference, seed, draws, sizes, tolerance
    }
}

/// Checks a derivation row by row (see docs/derivations.md).
///
/// Every row is evaluated exactly (`DerivationEvaluator`) as an N×M array on `draws` draws of
/// three layers (`DerivationDraw`). Row 1's e1 is compared with the quantity its left-hand
/// side names, from Richardson central differences of the engine's losses (GradCheck over
/// NSTLayers' ContentLoss/StyleLoss, in Double), within their rounding bound; row k's e_k with
/// e_(k−1), to `exactTolerance`. The first wrong row is named, then diagnosed: first by edits
/// that would undo a slip (`RowEdits`), then from the numbers (`Checker.diagnose`).
public struct DerivationChecker: Sendable {
    public var options: DerivationOptions
    public init(options: DerivationOptions = .init()) { self.options = options }

    /// Relative difference under which two exactly evaluated rows are equal: rounding of a
    /// few hundred operations on numbers of the row's size is far below it.
    /// How many wrong rows are diagnosed (the first always is).
    static let diagnosedWrongRows = 3
    static let exactTolerance = 1e-9

    /// The left-hand sides the quantities have: ∂X/∂F^l_{i*j*} or (F^l_{i*j*})^{t+1}.
    static func quantityNamed(by lhs: DerivationExpression) -> (target: CheckTarget?, problem: Diagnosis?) {
        switch lhs.node {
        case .quantity(let q) where q.name == .F && q.step == 1:
            if q.layer != .variable("l") || !(q.indices.isEmpty || q.indices == ["i*", "j*"]) {
                return (.update, Diagnosis(kind: .index, message: "the left-hand side is \(q.display), not (Fˡ[i*,j*])ᵗ⁺¹: the quantity asked is the entry (i*, j*) of layer l"))
            }
            return (.update, nil)
        case .derivative(let wrt, let body):
            guard case .quantity(let q) = body.node, q.name.isLoss else { return (nil, nil) }
            let target: CheckTarget
            switch q.name {
            case .contentLayer: target = .contentLayer
            case .contentTotal: target = .contentTotal
            case .styleLayer: target = .styleLayer
            case .styleTotal: target = .styleTotal
            default: target = .total
            }
            if q.layer != nil && q.layer != .variable("l") {
                return (target, Diagnosis(kind: .index, message: "the left-hand side differentiates \(q.display), a loss of layer \(q.layer!), not of the layer l"))
            }
            if wrt.name != .F {
                return (target, Diagnosis(kind: .wrongSymbol, message: "the left-hand side differentiates with respect to \(wrt.display), not an entry of F"))
            }
            if wrt.layer != .variable("l") {
                return (target, Diagnosis(kind: .index, message: "the left-hand side differentiates with respect to \(wrt.display), not layer l's F"))
            }
            if !(wrt.indices.isEmpty || wrt.indices == ["i*", "j*"]) {
                return (target, Diagnosis(kind: .index, message: "the left-hand side differentiates with respect to \(wrt.display), not the entry Fˡ[i*,j*] the question asks about"))
            }
            return (target, nil)
        default:
            return (nil, nil)
        }
    }

    /// A row on every draw, or why it does not fit.
    enum RowValues {
        case values([[Double]])
        case unfit(Unfit, transposed: [[Double]]?)

        var values: [[Double]]? { if case .values(let v) = self { return v }; return nil }
        /// The values, reading an M×N row as its transpose.
        var comparable: [[Double]]? {
            switch self {
            case .values(let v): return v
            case .unfit(_, let t): return t
            }
        }
    }

    static func evaluate(_ e: DerivationExpression, _ draws: [DerivationDraw], acceptTransposed: Bool = false) -> RowValues {
        var out: [[Double]] = []
        for d in draws {
            do { out.append(try DerivationEvaluator(draw: d, acceptTransposed: acceptTransposed).row(e)) } catch {
                if !acceptTransposed, error.kind == .transposed, case .values(let t) = evaluate(e, draws, acceptTransposed: true) {
                    return .unfit(error, transposed: t)
                }
                return .unfit(error, transposed: nil)
            }
        }
        return .values(out)
    }

    /// The largest relative difference of two rows over the draws: |a − b| / max(|a| + |b|,
    /// 10⁻⁶·the draw's largest entry), or, with `absolute` errors allowed per draw, after
    /// subtracting them.
    static func difference(_ a: [[Double]], _ b: [[Double]], absolute: [Double]? = nil) -> Double {
        var worst = 0.0
        for (i, (x, y)) in zip(a, b).enumerated() {
            let scale = max(x.map(abs).max() ?? 0, y.map(abs).max() ?? 0, 1e-300)
            for (u, v) in zip(x, y) {
                let d = GradCheck.relativeError(u, v, slack: absolute?[i] ?? 0, floor: 1e-6 * scale)
                if !d.isFinite { return .infinity }
                worst = max(worst, d)
            }
        }
        return worst
    }

    public func check(_ text: String) -> DerivationReport {
        let draws = (0..<max(1, min(options.draws, 10))).map { DerivationDraw.make(seed: options.seed, index: $0) }
        var report = DerivationReport(verdict: .invalid, firstWrongLine: nil, diagnosis: [], message: "", target: options.target?.rawValue,
                                      quantity: nil, steps: [], counterexample: nil, errorRendering: nil,
                                      reference: "", seed: options.seed, draws: draws.count, sizes: draws.map(\.sizesText),
                                      tolerance: Self.exactTolerance)
        let derivation: Derivation
        do {
            derivation = try DerivationParser.parse(text, limits: options.limits)
        } catch {
            report.message = error.description
            report.errorRendering = error.rendered
            report.diagnosis = [Diagnosis(kind: .parseError, message: error.description)]
            return report
        }
        // Bounded cost: each row's evaluation, at the draws' largest sizes, must stay within
        // `maxRowCost` operations (an index sum multiplies its body's cost by its range).
        for row in derivation.rows {
            for e in [row.lhs, row.expression].compactMap({ $0 }) {
                let cost = Self.cost(e)
                if cost > Self.maxRowCost {
                    let message = "row \(row.number) costs about \(Checker.short(cost)) operations to evaluate at the draws' sizes; the limit is \(Checker.short(Self.maxRowCost)): fewer nested sums or matrix products inside sums"
                    report.message = message
                    report.diagnosis = [Diagnosis(kind: .evaluationError, message: message)]
                    return report
                }
            }
        }
        let lhs = derivation.lhs
        report.quantity = lhs.display
        let named = Self.quantityNamed(by: lhs)
        guard let target = options.target ?? named.target else {
            let message = "row 1's left-hand side \(lhs.display) does not name a quantity nst knows: write ∂L^l_content, ∂L_content, ∂E_l, ∂L_style or ∂L_total over ∂F^l_{i*j*}, or (F^l_{i*j*})^{t+1} (or give --target)"
            report.message = message
            report.diagnosis = [Diagnosis(kind: .parseError, message: message)]
            return report
        }
        report.target = target.rawValue
        var lhsProblem = named.problem
        if let asked = options.target, let read = named.target, read != asked {
            lhsProblem = Diagnosis(kind: .wrongSymbol, message: "the left-hand side is \(read.summary), but the question asks for \(asked.summary)")
        } else if options.target != nil, named.target == nil {
            lhsProblem = Diagnosis(kind: .wrongSymbol, message: "the left-hand side \(lhs.display) is not \(target.summary)")
        }
        // The quantity, from central differences of the engine's losses.
        let references = draws.map { $0.reference(target) }
        let reference = references.map(\.values)
        let referenceSlack = references.map { 8 * $0.error }
        report.reference = "Richardson-extrapolated central differences (step 1, exact for these polynomial losses up to rounding ≤ \(Checker.short(references.map(\.error).max() ?? 0))) of the engine's \(target == .contentLayer || target == .contentTotal ? "ContentLoss" : target == .styleLayer || target == .styleTotal ? "StyleLoss" : "ContentLoss and StyleLoss") in Double: \(target.summary)"
        // The left-hand side read as the quantity must agree with the differences: otherwise
        // the engine's backward pass and its loss disagree, and no verdict can be given.
        if lhsProblem == nil, named.target == target, case .values(let v) = Self.evaluate(lhs, draws) {
            let gap = Self.difference(v, reference, absolute: referenceSlack)
            if gap > 1e-6 {
                report.message = "needs review: the engine's gradient and the central differences of its loss differ by \(Checker.short(gap)); no verdict"
                report.diagnosis = [Diagnosis(kind: .unexplained, message: report.message)]
                return report
            }
        }
        let rows = derivation.rows.map { Self.evaluate($0.expression, draws) }
        var steps: [DerivationStep] = []
        var firstWrong: Int?
        for (k, row) in derivation.rows.enumerated() {
            let values = rows[k]
            var equalsQuantity = false
            var follows: Bool
            var gap: Double?
            if let v = values.values {
                let toQuantity = Self.difference(v, reference, absolute: referenceSlack)
                equalsQuantity = toQuantity <= Self.exactTolerance
                if k == 0 {
                    follows = equalsQuantity && lhsProblem == nil
                    gap = toQuantity
                } else if let before = rows[k - 1].values {
                    let d = Self.difference(v, before)
                    follows = d <= Self.exactTolerance
                    gap = d
                } else {
                    follows = false
                }
            } else if k > 0, let t = values.comparable, case .unfit(let u, _) = values, case .unfit(let u0, _) = rows[k - 1],
                      u.kind == u0.kind, let t0 = rows[k - 1].comparable {
                // Both rows transposed alike: the step itself is sound.
                follows = Self.difference(t, t0) <= Self.exactTolerance
            } else {
                follows = false
            }
            var step = DerivationStep(line: row.number, sourceLine: row.line, text: row.text, readAs: row.expression.display,
                                      verdict: follows ? .correct : .incorrect, equalsQuantity: equalsQuantity, note: nil,
                                      diagnosis: [], maxRelDifference: gap)
            if let first = firstWrong {
                if follows && !equalsQuantity {
                    step.note = "follows from row \(k), and so carries the mistake of row \(first)"
                } else if !follows && equalsQuantity {
                    step.note = "does not follow from row \(k): it undoes the mistake of row \(first) (the two slips cancel)"
                } else if !follows {
                    step.note = "does not follow from row \(k) either"
                }
            }
            if !follows && firstWrong == nil {
                firstWrong = row.number
            }
            steps.append(step)
        }
        // Diagnose the wrong rows: the first against the quantity (or the row before), the
        // others against the row before. A diagnosis tries many edits and draws, so only the
        // first `diagnosedWrongRows` wrong rows get one: the cost of a file stays bounded
        // however many of its rows are wrong.
        var diagnosedRows = 0
        for k in steps.indices where steps[k].verdict == .incorrect {
            let isFirst = steps[k].line == firstWrong
            guard diagnosedRows < Self.diagnosedWrongRows || isFirst else {
                let skipped = "not diagnosed: nst names the mistakes of the first \(Self.diagnosedWrongRows) wrong rows only"
                steps[k].note = steps[k].note.map { $0 + "; " + skipped } ?? skipped
                continue
            }
            diagnosedRows += 1
            var diagnosis: [Diagnosis] = []
            if k == 0, let lhsProblem { diagnosis.append(lhsProblem) }
            if k == 0 && lhsProblem != nil && rows[0].values.map({ Self.difference($0, reference, absolute: referenceSlack) <= Self.exactTolerance }) == true {
                // e1 is the quantity; only the left-hand side is wrong.
            } else {
                let before: [[Double]]? = k == 0 ? reference : rows[k - 1].values
                let slack: [Double]? = k == 0 ? referenceSlack : nil
                if let before {
                    diagnosis += diagnose(derivation.rows[k].expression, rows[k], against: before, slack: slack,
                                          quantityTerms: isFirst || before.isEmpty ? target : nil, draws: draws)
                } else {
                    diagnosis.append(Diagnosis(kind: .shape, message: "the row before does not fit F's shape, so this row cannot be compared with it"))
                }
            }
            steps[k].diagnosis = diagnosis
        }
        report.steps = steps
        guard let first = firstWrong else {
            report.verdict = .correct
            report.message = "every row follows from the one before, and row 1 is \(target.summary) (checked on \(draws.count) draws: \(draws.map(\.sizesText).joined(separator: "; ")))"
            return report
        }
        let index = first - 1
        report.verdict = .incorrect
        report.firstWrongLine = first
        report.diagnosis = steps[index].diagnosis
        let kinds = report.diagnosis.map(\.kind.rawValue).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let what = first == 1 ? (lhsProblem != nil ? "row 1's left-hand side is not the quantity asked" : "row 1's e1 is not \(target.summary)")
                              : "row \(first) does not follow from row \(first - 1)"
        var later: [String] = []
        for s in steps.dropFirst(first) {
            if let note = s.note { later.append("row \(s.line) \(note)") }
        }
        report.message = "\(what)" + (kinds.isEmpty ? "" : " (\(kinds.joined(separator: ", ")))") + (later.isEmpty ? "" : "; " + later.joined(separator: "; "))
        report.counterexample = counterexample(derivation, first: first, target: target)
        return report
    }

    /// Operations a row's evaluation may cost (see `cost(_:)`).
    static let maxRowCost = 2e7

    /// An upper estimate of the operations of evaluating `e` at every entry (i*, j*), with
    /// every size at the draws' largest (7) and every unindexed matrix taken as a matrix.
    static func cost(_ e: DerivationExpression) -> Double {
        let s = 7.0
        func mayBeMatrix(_ e: DerivationExpression) -> Bool {
            switch e.node {
            case .quantity(let q): return q.name.isMatrix && q.indices.isEmpty
            case .entry, .number, .delta: return false
            default: return e.children.contains(where: mayBeMatrix)
            }
        }
        func walk(_ e: DerivationExpression) -> Double {
            switch e.node {
            case .number, .delta: return 1
            case .quantity(let q): return q.name.isMatrix && q.indices.isEmpty ? s * s : 3
            case .binary(let op, let l, let r):
                let both = mayBeMatrix(l) && mayBeMatrix(r)
                return walk(l) + walk(r) + (op == .multiply && both ? s * s * s : s * s)
            case .negate(let x), .transpose(let x), .entry(let x, _, _), .derivative(_, let x): return walk(x) + s * s
            case .power(let b, let x): return walk(b) + walk(x) + 1
            case .sum(let names, let body): return pow(s, Double(names.count)) * (walk(body) + 1)
            case .layerSum(_, let body): return 3 * (walk(body) + 1)
            }
        }
        let entries = e.freeIndices.contains("i*") || e.freeIndices.contains("j*") ? s * s : 1
        return entries * walk(e)
    }

    /// Names what is wrong with `row` (values `values`) as against `before`.
    func diagnose(_ row: DerivationExpression, _ values: RowValues, against before: [[Double]], slack: [Double]?,
                  quantityTerms: CheckTarget?, draws: [DerivationDraw]) -> [Diagnosis] {
        // 1. Edits that undo a slip — unless the row is the row before with its sign flipped,
        //    which the numbers name best (an edit such as A for G would only restate it).
        let negated = values.values.map { v in Self.difference(v.map { $0.map { -$0 } }, before, absolute: slack) <= Self.exactTolerance } ?? false
        // The few structural edits first: a costly row's budget may not reach the many others.
        let candidates = negated ? [] : RowEdits.candidates(row)
        let edits = candidates.filter(\.structural) + candidates.filter { !$0.structural }
        var evaluations = 0
        // Edits are tried within a budget of operations as well as of evaluations.
        let budget = max(20, min(800, Int(4e8 / max(1, Self.cost(row) * Double(draws.count)))))
        var tried = Set<String>()
        func works(_ chosen: [RowEdit]) -> Bool {
            // One regrouping at a time: two would regroup what the first regrouped.
            if chosen.filter({ $0.kind == .parentheses }).count > 1 { return false }
            var tree = row
            // Edits of single nodes first, then the regrouping of the row's terms.
            for e in chosen where !e.transposes && e.kind != .parentheses { tree = e.apply(tree) }
            for e in chosen where e.kind == .parentheses { tree = e.apply(tree) }
            let transposes = chosen.contains { $0.transposes }
            // An edit that changes nothing, or a tree already tried, costs no evaluation.
            let key = (transposes ? "ᵀ " : "") + tree.display
            if tried.contains(key) || (tree.display == row.display && !transposes) { return false }
            tried.insert(key)
            evaluations += 1
            // Draw by draw: most edits fail on the first.
            for (i, d) in draws.enumerated() {
                guard case .values(let v) = Self.evaluate(tree, [d], acceptTransposed: transposes),
                      Self.difference(v, [before[i]], absolute: slack.map { [$0[i]] }) <= Self.exactTolerance else { return false }
            }
            return true
        }
        let structural = edits.indices.filter { edits[$0].structural }
        var found: [RowEdit]?
        search: do {
            for e in edits {
                if evaluations > 2 * budget { break search }
                if works([e]) { found = [e]; break search }
            }
            for a in structural {
                for b in edits.indices where b != a && !(edits[b].structural && b < a) {
                    if evaluations > budget { break search }
                    if works([edits[a], edits[b]]) { found = [edits[a], edits[b]]; break search }
                }
            }
            for a in structural {
                for b in structural where b > a {
                    for c in structural where c > b {
                        if evaluations > budget { break search }
                        if works([edits[a], edits[b], edits[c]]) { found = [edits[a], edits[b], edits[c]]; break search }
                    }
                }
            }
        }
        // Several edits together against one factor the numbers name cleanly: the simpler
        // reading wins (a dropped η is a scale, not a regrouping and a swapped symbol).
        if let found, found.count >= 2, !found.contains(where: { $0.kind == .layerWeight || $0.transposes }),
           let numeric = numericDiagnosis(row, values, against: before, quantityTerms: quantityTerms, draws: draws),
           !numeric.isEmpty, numeric.allSatisfy({ [.sign, .scale, .missingTerm, .extraTerm].contains($0.kind) && !$0.message.contains("not a simple product") && !$0.message.contains("changes from draw to draw") && !$0.message.contains("≈") }) {
            return numeric
        }
        if let found, let first = found.first?.yieldsTo,
           case let yielding = found.dropFirst().reduce(first, { $0.intersection($1.yieldsTo) }), !yielding.isEmpty, let numeric = numericDiagnosis(row, values, against: before, quantityTerms: quantityTerms, draws: draws),
           !numeric.isEmpty, numeric.allSatisfy({ yielding.contains($0.kind) && !$0.message.contains("not a simple product") && !$0.message.contains("changes from draw to draw") }) {
            return numeric
        }
        if let found {
            return found.sorted { $0.priority < $1.priority }.map { e in
                if e.transposes {
                    return Diagnosis(kind: .transposed, message: "the row is the transpose of what it should be: an M×N matrix such as (Fˡ)ᵀ(Gˡ − Aˡ), where the gradient with respect to F is N×M like F, (Gˡ − Aˡ)Fˡ")
                }
                return Diagnosis(kind: e.kind, message: e.message)
            }
        }
        // 2. From the numbers, with the diagnosis of `nst check`.
        return numericDiagnosis(row, values, against: before, quantityTerms: quantityTerms, draws: draws) ?? []
    }

    /// The diagnosis of `nst check` (`Checker.diagnose`) of the row's values against `before`,
    /// split into the quantity's terms when `quantityTerms` is given.
    func numericDiagnosis(_ row: DerivationExpression, _ values: RowValues, against before: [[Double]],
                          quantityTerms: CheckTarget?, draws: [DerivationDraw]) -> [Diagnosis]? {
        if case .unfit(let u, let transposed) = values, transposed == nil {
            let kind: DiagnosisKind = u.kind == .index ? .index : u.kind == .layer ? .index : u.kind == .evaluation ? .evaluationError : .shape
            return [Diagnosis(kind: kind, message: u.message)]
        }
        guard let answers = values.comparable else { return nil }
        let checkDraws = draws.map(\.checkDraw)
        let terms: [[Term]] = checkDraws.indices.map { i in
            if let t = quantityTerms { return t.terms(checkDraws[i]) }
            return [Term(name: "the row before", values: before[i])]
        }
        let problem = Problem(
            target: quantityTerms?.rawValue ?? "row", draws: checkDraws,
            expected: { i in .matrix(Dim("N", checkDraws[i].n), Dim("M", checkDraws[i].m)) },
            sample: { i in Array(0..<(checkDraws[i].n * checkDraws[i].m)) },
            reference: { i in before[i] }, terms: { i in terms[i] },
            mask: { i in checkDraws[i].F.storage.map { $0 > 0 ? 1 : 0 } },
            dictionary: { i in Checker.dictionary(checkDraws[i], sample: Array(0..<(checkDraws[i].n * checkDraws[i].m))) },
            referenceDescription: "", isUpdate: quantityTerms == .update, epsilon: 1, source: .random, sourceDetail: "")
        let full = answers.enumerated().map { i, a in Matrix(rows: checkDraws[i].n, cols: checkDraws[i].m, values: a) }
        var out: [Diagnosis] = []
        if case .unfit = values {
            out.append(Diagnosis(kind: .transposed, message: "the row is the transpose of what it should be: an M×N matrix, where the gradient with respect to F is N×M like F"))
        }
        let numeric = Checker.diagnose(problem, answers: answers, full: full, transposedAlready: true)
        out += numeric
        return out
    }

    /// The row before the first wrong one and the wrong row on a 2×3 example.
    func counterexample(_ d: Derivation, first: Int, target: CheckTarget) -> Counterexample {
        let draw = DerivationDraw.make(seed: options.seed, index: 0, sizes: (2, 3))
        func matrix(_ v: [Double], _ n: Int, _ m: Int) -> [[Double]] { (0..<n).map { i in Array(v[(i * m)..<(i * m + m)]) } }
        var notes: [String] = []
        func values(_ e: DerivationExpression, _ label: String) -> [[Double]]? {
            do { return matrix(try DerivationEvaluator(draw: draw).row(e), 2, 3) } catch {
                notes.append("\(label): \(error.message)")
                // An M×N matrix row is shown as it is; a row that mixes entries with it has no value.
                if error.kind == .transposed, !e.freeIndices.contains("i*"), !e.freeIndices.contains("j*"),
                   let t = try? DerivationEvaluator(draw: draw, acceptTransposed: true).row(e) {
                    // Show the M×N value as it is.
                    let n = 2, m = 3
                    return (0..<m).map { j in (0..<n).map { i in t[i * m + j] } }
                }
                return nil
            }
        }
        let before: [[Double]]?
        let beforeLabel: String
        if first == 1 {
            before = matrix(draw.reference(target).values, 2, 3)
            beforeLabel = "the quantity (\(target.summary))"
        } else {
            before = values(d.rows[first - 2].expression, "row \(first - 1)")
            beforeLabel = "row \(first - 1)"
        }
        let row = values(d.rows[first - 1].expression, "row \(first)")
        return Counterexample(n: 2, m: 3, beforeLabel: beforeLabel, before: before, rowLabel: "row \(first)", row: row,
                              note: notes.isEmpty ? nil : notes.joined(separator: "; "))
    }
}
