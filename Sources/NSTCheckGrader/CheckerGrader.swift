import NSTCheck
import NSTFormula
import NSTQuiz

/// Grades formula answers with NSTCheck: numerically, against central differences of the
/// engine's own losses, with a diagnosis (sign, scale, transposed, missing/extra term, …).
public struct CheckerGrader: FormulaGrader {
    public var checker: Checker
    public init(checker: Checker = Checker()) { self.checker = checker }

    /// NSTCheck's targets: the names a bank's `target:` may use.
    public static var targets: [String] { CheckTarget.allCases.map(\.rawValue) }
    public var targetNames: [String]? { Self.targets }

    public func grade(target: String, answer: String) -> FormulaOutcome {
        guard let t = CheckTarget(rawValue: target) else {
            return FormulaOutcome(verdict: .invalid, diagnoses: [], echo: "",
                                  message: "unknown target `\(target)` (targets: \(Self.targets.joined(separator: ", ")))")
        }
        // A formula has no '=': an answer with one is a derivation, checked row by row.
        if FormulaNotation.isDerivation(answer) { return gradeDerivation(t, answer) }
        let r = checker.check(target: t, answer: answer)
        let verdict: FormulaOutcome.Verdict
        switch r.verdict {
        case .correct: verdict = .correct
        case .incorrect: verdict = .incorrect
        case .invalid: verdict = .invalid
        }
        // For an unreadable formula the caret rendering already ends with the message.
        let message = r.errorRendering.flatMap { $0.isEmpty ? nil : $0 } ?? r.message
        return FormulaOutcome(verdict: verdict,
                              diagnoses: r.diagnosis.map { .init(kind: $0.kind.rawValue, message: $0.message) },
                              echo: r.echo, message: message,
                              column: verdict == .invalid ? r.errorColumn : nil)
    }

    /// A derivation (LHS = e1 = … = en, LaTeX or plain; docs/derivations.md) scores as its
    /// final row would: correct when e_n is the quantity asked. The feedback names the first
    /// wrong row and its diagnosis, also when later rows undo the mistake.
    func gradeDerivation(_ target: CheckTarget, _ answer: String) -> FormulaOutcome {
        let r = DerivationChecker(options: DerivationOptions(seed: checker.options.seed, target: target)).check(answer)
        let echo = r.steps.map { "row \($0.line): \($0.readAs)" }.joined(separator: "\n")
        let diagnoses = r.diagnosis.map { FormulaOutcome.Diagnosis(kind: $0.kind.rawValue, message: $0.message) }
        guard r.verdict != .invalid else {
            return FormulaOutcome(verdict: .invalid, diagnoses: diagnoses, echo: echo,
                                  message: r.errorRendering.flatMap { $0.isEmpty ? nil : $0 } ?? r.message)
        }
        let finalRight = r.steps.last?.equalsQuantity == true
        let message = r.verdict == .correct ? r.message
            : (finalRight ? "the final row is right, but " : "") + "row \(r.firstWrongLine ?? 1) is the first wrong one: " + r.message
        return FormulaOutcome(verdict: finalRight ? .correct : .incorrect, diagnoses: diagnoses, echo: echo, message: message)
    }

    public func parts(of answer: String) -> FormulaParts? {
        guard let e = try? Formula.parse(answer) else { return nil }
        var numbers: [(text: String, value: Double)] = [], functions: [String] = [], symbols: [String] = []
        var stack = [e]
        while let n = stack.popLast() {
            switch n.node {
            case .number(let v, let text): numbers.append((text, v))
            case .symbol(let s): symbols.append(s)
            case .call(let f, _): functions.append(f.rawValue)
            default: break
            }
            stack.append(contentsOf: n.children)
        }
        return FormulaParts(numbers: numbers, functions: functions, symbols: symbols, canonical: e.ascii)
    }

    public func replacingSymbol(_ symbol: String, with replacement: String, in answer: String) -> String? {
        guard let e = try? Formula.parse(answer) else { return nil }
        func rewrite(_ x: Expression) -> Expression {
            switch x.node {
            case .symbol(let s) where s == symbol: return Expression(.symbol(Formula.canonicalSymbol(replacement)), column: x.column)
            case .number, .symbol: return x
            case .negate(let a): return Expression(.negate(rewrite(a)), column: x.column)
            case .transpose(let a): return Expression(.transpose(rewrite(a)), column: x.column)
            case .call(let f, let a): return Expression(.call(f, rewrite(a)), column: x.column)
            case .binary(let op, let a, let b): return Expression(.binary(op, rewrite(a), rewrite(b)), column: x.column)
            case .power(let a, let b): return Expression(.power(rewrite(a), rewrite(b)), column: x.column)
            }
        }
        return rewrite(e).ascii
    }

    /// A formula in the language, shown as Unicode maths (`(G − A)·F / (N²·M²)`); the text
    /// itself when it does not parse.
    public static func pretty(_ formula: String) -> String {
        (try? Formula.parse(formula))?.unicode ?? formula
    }
}
