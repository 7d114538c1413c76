import Testing
import Foundation
@testable import NSTQuiz
import NSTCheckGrader

/// Lint with the real checker (NSTCheck): keys are verified numerically.
@Suite struct LintTests {
    let linter = BankLinter(grader: CheckerGrader())

    func bank(key: String, target: String = "style-layer") -> String {
        "== question 1 ==\nkind: formula\ntarget: \(target)\nprompt: ∂E/∂F\nkey: \(key)\n"
    }

    @Test func shippedBankKeysAreRight() {
        let r = linter.lint(contentsOf: Paths.bank, displayName: "nst.quiz")
        #expect(r.ok, "\(r.diagnostics)")
        #expect(r.bank?.questions.count == 12)
    }

    @Test func keyWithAShapeErrorPointsAtTheProduct() throws {
        let r = linter.lint(text: bank(key: "F*(G - A)/(N^2*M^2)"), file: "b.quiz")
        let e = try #require(r.errors.first)
        #expect(!r.ok)
        #expect(e.location.line == 5 && e.location.column == 7)  // "key: " is 5 wide; the * is column 2 of the key
        #expect(e.message.contains("cannot be evaluated") && e.message.contains("cannot multiply"))
        #expect(e.fix.contains("nst check --target style-layer"))
    }

    @Test func keyThatIsTheTransposeIsRejectedWithItsDiagnosis() throws {
        let r = linter.lint(text: bank(key: "F'*(G - A)/(N^2*M^2)"), file: "b.quiz")
        let e = try #require(r.errors.first)
        #expect(e.location == SourceLocation(file: "b.quiz", line: 5, column: 6))
        #expect(e.message.contains("is not the gradient") && e.message.contains("transposed"))
    }

    @Test func keyOffByAFactorIsRejected() throws {
        let r = linter.lint(text: bank(key: "(G - A)*F/(2*N^2*M^2)"), file: "b.quiz")
        #expect(r.errors.first?.message.contains("scale") ?? false)
        #expect(linter.lint(text: bank(key: "(G - A)*F/(N^2*M^2)"), file: "b.quiz").ok)
    }

    @Test func syntaxErrorsStopBeforeKeysAreChecked() {
        let r = linter.lint(text: "== question 1 ==\nkind: formula\n", file: "b.quiz")
        #expect(r.errors.count == 3)  // no prompt, target, key
        #expect(r.errors.allSatisfy { $0.location.line == 1 })
    }

    /// Every error in one pass: a question with a syntax error does not hide another
    /// question's wrong key or failing test.
    @Test func everyErrorInOnePass() {
        let text = "== question 1 ==\nkind: formula\n"
            + "== question 2 ==\nkind: formula\ntarget: style-layer\nprompt: p\nkey: F'*(G - A)/(N^2*M^2)\n"
            + "== question 3 ==\nkind: text\nprompt: p\nrubric: minimised = minimi*\ntest: 1 | it is maximised\n"
        let r = linter.lint(text: text, file: "b.quiz")
        #expect(!r.ok)
        #expect(r.errors.contains { $0.location.line == 1 })                                      // question 1: missing fields
        #expect(r.errors.contains { $0.location.line == 7 && $0.message.contains("not the gradient") })   // question 2's key
        #expect(r.errors.contains { $0.location.line == 12 && $0.message.contains("test of question 3") })
    }

    /// A `rubric: """` block is one idea per line, for lint and the quiz alike: an answer
    /// with one of the two ideas scores half.
    @Test func rubricBlockIsOneIdeaPerLine() throws {
        let text = "== question 1 ==\nkind: text\nprompt: p\nrubric: \"\"\"\ncompares = compar* | differen*\n\n# a comment\nis minimised = minimi* | reduc*\n\"\"\"\n"
            + "test: 0.5 | It compares the two images.\ntest: 1 | It compares them, and the difference is minimised.\n"
        let r = linter.lint(text: text, file: "b.quiz")
        #expect(r.ok, "\(r.diagnostics)")
        let q = try #require(r.bank?.questions.first)
        #expect(q.rubric.map(\.name) == ["compares", "is minimised"])
        let bad = linter.lint(text: "== question 1 ==\nkind: text\nprompt: p\nrubric: \"\"\"\ncompares = compar*\nminimised = \n\"\"\"\n", file: "b.quiz")
        #expect(bad.errors.first?.location.line == 6, "\(bad.diagnostics)")   // the block's bad line, not its opening
    }

    /// A failing test says why: the score, and what the grader saw.
    @Test func failingWordedTestNamesTheIdeas() throws {
        let text = "== question 1 ==\nkind: text\nprompt: p\nrubric: compares = compar*\nrubric: is minimised = minimi*\n"
            + "wrong: maximised = maximi* => it is minimised\ntest: 1 | It compares them and maximises the difference.\n"
        let e = try #require(linter.lint(text: text, file: "b.quiz").errors.first)
        #expect(e.location.line == 7)
        #expect(e.message.contains("scored 0 of the points, expected 1…1"), "\(e.message)")
        #expect(e.message.contains("covers “compares”") && e.message.contains("misses “is minimised”") && e.message.contains("“maximised”, which is wrong"))
        #expect(e.fix.contains("rubric"))
    }

    /// A failing test of a formula question names the parse error with its caret, never the rubric.
    @Test func failingFormulaTestNamesTheParseError() throws {
        let text = "== question 1 ==\nkind: formula\ntarget: content-layer\nprompt: p\nkey: F - P\ntest: 1 | F - * P\ntest: 1 | P - F\n"
        let errors = linter.lint(text: text, file: "b.quiz").errors
        #expect(errors.count == 2)
        let unreadable = try #require(errors.first { $0.location.line == 6 })
        #expect(unreadable.message.contains("cannot read the formula") && unreadable.message.contains("^"), "\(unreadable.message)")
        #expect(!unreadable.fix.contains("rubric") && unreadable.fix.contains("nst check --target content-layer"))
        let wrong = try #require(errors.first { $0.location.line == 7 })
        #expect(wrong.message.contains("the checker read it as") && !wrong.fix.contains("rubric"))
    }

    /// The lint summary counts the sure verdicts among the worded questions' tests.
    @Test func lintCountsSureVerdicts() {
        let r = linter.lint(contentsOf: Paths.bank, displayName: "nst.quiz")
        #expect(r.wordedVerdicts > 0 && r.sureVerdicts > 0 && r.sureVerdicts < r.wordedVerdicts)
        #expect(r.summary(file: "nst.quiz").contains("\(r.sureVerdicts) of \(r.wordedVerdicts) worded verdicts sure"))
    }
}
