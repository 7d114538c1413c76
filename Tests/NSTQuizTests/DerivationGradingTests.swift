import Testing
import NSTQuiz
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
}
