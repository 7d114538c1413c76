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
}
