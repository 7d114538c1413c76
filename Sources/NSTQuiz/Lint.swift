import Foundation

/// `nst bank lint`: everything the parser checks (syntax, required fields, every choice has
/// a right option that exists, every rubric non-empty), plus every formula key graded by the
/// checker against its own target — a key the checker does not call correct is an error
/// at the key's file:line:column — and every question test (`test:` lines): an answer whose
/// grade falls outside its expected range, or whose feedback lacks the expected note, is an
/// error at the test's line.
public struct BankLinter {
    public var grader: FormulaGrader
    public var parser: BankParser
    /// `parser` defaults to one that knows the grader's targets.
    public init(grader: FormulaGrader, parser: BankParser? = nil) {
        self.grader = grader
        self.parser = parser ?? BankParser(knownTargets: grader.targetNames)
    }

    public struct Result: Sendable {
        public var bank: Bank?
        public var diagnostics: [FileDiagnostic]
        public var errors: [FileDiagnostic] { diagnostics.filter { $0.severity == .error } }
        public var ok: Bool { bank != nil && errors.isEmpty }
        /// Question tests run, and how many of each `[category]`.
        public var testsRun = 0
        public var categories: [String: Int] = [:]
        /// The tests of worded questions, and how many of their grades were sure (no review).
        public var wordedVerdicts = 0
        public var sureVerdicts = 0
    }

    public func lint(contentsOf url: URL, displayName: String? = nil) -> Result {
        finish(parser.parse(contentsOf: url, displayName: displayName))
    }
    public func lint(text: String, file: String) -> Result { finish(parser.parse(text: text, file: file)) }
    public func lint(data: Data, file: String) -> Result { finish(parser.parse(data: data, file: file)) }

    func finish(_ parsed: BankParser.Result) -> Result {
        var diagnostics = parsed.diagnostics
        // With errors elsewhere, the questions that were read are still checked: every
        // error in one pass.
        guard let bank = parsed.bank ?? parsed.readable else { return Result(bank: nil, diagnostics: diagnostics) }
        for q in bank.questions where q.kind == .formula {
            guard let key = q.key, let target = q.target, let loc = q.keyLocation else { continue }
            let o = grader.grade(target: target, answer: key)
            if o.verdict == .correct { continue }
            let why = o.diagnoses.isEmpty ? o.message : o.diagnoses.map { "\($0.kind): \($0.message)" }.joined(separator: "; ")
            let what = o.verdict == .invalid ? "cannot be evaluated" : "is not the gradient"
            var at = loc
            if let c = o.column, c >= 1 { at.column += c - 1 }  // point at the offending token
            diagnostics.append(FileDiagnostic(at, "the key of question \(q.number) \(what) for target \(target): \(why)",
                fix: "correct the key (try it with `nst check --target \(target) --answer \"\(key)\"`)"))
        }
        for q in bank.questions where q.kind == .choice && q.images.isEmpty == false {
            for img in q.images where !q.options.contains(where: { $0.name == img.label }) {
                diagnostics.append(FileDiagnostic(q.location, "question \(q.number)'s image label `\(img.label)` names no option",
                    fix: "label each image with an option's name (\(q.options.map(\.name).joined(separator: ", ")))", severity: .warning))
            }
        }
        for q in bank.questions where q.kind == .formula {
            for m in q.mistakes where m.replacement == nil && grader.parts(of: FormulaNotation.normalise(m.pattern)) == nil {
                diagnostics.append(FileDiagnostic(q.location, "question \(q.number)'s mistake `\(m.pattern)` is not a formula nst can read",
                    fix: "write the wrong formula in the language of `nst check`, or `symbol -> symbol` for a wrong symbol"))
            }
        }
        let runner = ExpectedGradeCheck(grader: QuizGrader(formula: grader))
        var testsRun = 0, wordedVerdicts = 0, sureVerdicts = 0
        var categories: [String: Int] = [:]
        for q in bank.questions {
            testsRun += q.tests.count
            for t in q.tests { categories[t.category ?? "uncategorised", default: 0] += 1 }
            for o in runner.runAll(q) {
                if q.kind != .formula { wordedVerdicts += 1; if !o.grade.needsReview { sureVerdicts += 1 } }
                guard let f = o.failure else { continue }
                let fix: String
                switch q.kind {
                case .formula where f.grade.verdict == .invalid:
                    fix = "write the test's formula in the language of `nst check` (try it with `nst check --target \(q.target ?? "TARGET") --answer \"…\"`)"
                case .formula:
                    fix = "correct the test's expected range, or add a `mistake:` line if the answer should be diagnosed"
                default:
                    fix = "correct the rubric or `wrong:` lines (or the test's expected range) so that this answer is graded as intended"
                }
                diagnostics.append(FileDiagnostic(f.test.location, "test of question \(q.number) fails: \(f.why)", fix: fix))
            }
        }
        let ok = !diagnostics.contains { $0.severity == .error }
        var result = Result(bank: ok ? bank : nil, diagnostics: diagnostics)
        result.testsRun = testsRun
        result.categories = categories
        result.wordedVerdicts = wordedVerdicts
        result.sureVerdicts = sureVerdicts
        return result
    }
}
