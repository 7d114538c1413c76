import Testing
import Foundation
@testable import NSTQuiz
import NSTCheckGrader

/// CheckerGrader grades a derivation (an answer with '=') row by row: it scores as its final
/// row would, and the feedback names the first wrong row.
@Suite("Derivations graded by CheckerGrader")
struct DerivationGradingTests {
    let grader = CheckerGrader()

    @Test("a right derivation is correct; a wrong final row is incorrect, with the row named")
    func finalRow() {
        let right = grader.grade(target: "style-layer", answer: "dE_l/dF[i*,j*] = ((G - A)*F)[i*,j*] / (N^2*M^2)")
        #expect(right.verdict == .correct, "\(right.message)")
        let wrong = grader.grade(target: "total", answer: """
            dL_total/dF[i*,j*] = alpha*dL_content/dF[i*,j*] + beta*dL_style/dF[i*,j*]
            = alpha*(F[i*,j*] - P[i*,j*]) + beta*w_1*((G - A)*F)[i*,j*]/(N^2*M^2)
            """)
        #expect(wrong.verdict == .incorrect)
        #expect(wrong.message.contains("row 2"), "\(wrong.message)")
        #expect(wrong.diagnoses.first?.kind == "layer_weight")
    }

    @Test("slips that cancel: the final row scores, the feedback still points at the wrong row")
    func cancelling() {
        let outcome = grader.grade(target: "content-layer", answer: """
            dL_content_l/dF[i*,j*] = -(P[i*,j*] - F[i*,j*])
            = P[i*,j*] - F[i*,j*]
            = F[i*,j*] - P[i*,j*]
            """)
        #expect(outcome.verdict == .correct)
        #expect(outcome.message.contains("row 2 is the first wrong one"), "\(outcome.message)")
    }

    @Test("an unreadable derivation is invalid, with its row")
    func unreadable() {
        let outcome = grader.grade(target: "content-layer", answer: "dL_content_l/dF[i*,j*] = (F[i*,j*]")
        #expect(outcome.verdict == .invalid)
        #expect(outcome.message.contains("row 1"))
    }

    /// In the quiz: a derivation typed at `answer>` over several lines (the plain form, a row a
    /// line, ended by an empty line), and one in an answers file, are graded row by row.
    @Test("a derivation over several lines, typed or in an answers file")
    func severalLinesInTheQuiz() throws {
        let bank = BankParser().parse(contentsOf: Paths.bank).bank!
        let quiz = QuizGrader(formula: CheckerGrader())
        let rows = ["dL_content_l/dF[i*,j*] = d/dF[i*,j*] (1/2 * sum(i, j: (F[i,j] - P[i,j])^2))",
                    "= 1/2 * sum(i, j: 2*(F[i,j] - P[i,j]) * delta(i, i*) * delta(j, j*))",
                    "= F[i*,j*] - P[i*,j*]"]
        let c = ScriptedConsole(rows + ["", ""])
        let store = ProgressStore(url: Paths.tempDir().appendingPathComponent("p.json"))
        let s = QuizSession(bank: bank, grader: quiz, store: store, console: c, options: .init(only: [2]))
        #expect(s.run() == .finished)
        #expect(c.text.contains("A derivation: type the next rows"), "\(c.text)")
        #expect(ProgressStore(url: store.url).load(bank: bank.id)[2].grade?.score == 1, "\(c.text)")

        let q5 = try #require(bank.question(5))
        let wrong = quiz.grade(q5, answer: """
            dL_style/dF[i*,j*] = w_l * ((G - A)*F)[i*,j*] / (N^2*M^2)
            = w_l * ((G - A)*F)[i*,j*] / (2*N^2*M^2)
            """)
        #expect(wrong.score == 0 && wrong.feedback.contains("row 2"), "\(wrong.feedback)")
    }
}
