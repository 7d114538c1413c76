// What the bank and answers-file fuzz targets share: the shipped bank, a grader that does not
// run the formula checker (NSTFormula has its own target), and the diagnostic invariants.
import Foundation
import FuzzDriver
import NSTQuiz

/// The shipped bank, for answers files (found from this source file's location).
public let shippedBank: Bank = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../Quizzes/neural-style-transfer.quiz").standardizedFileURL
    guard let bank = BankParser().parse(contentsOf: url).bank else { fatalError("cannot read \(url.path)") }
    return bank
}()

/// Every formula reads as invalid here, which still runs the grading paths around it.
struct NoFormulas: FormulaGrader {
    func grade(target: String, answer: String) -> FormulaOutcome {
        FormulaOutcome(verdict: .invalid, diagnoses: [], echo: "", message: "not checked")
    }
}
public let fuzzGrader = QuizGrader(formula: NoFormulas())

/// A diagnostic names the input, points at a line inside it (or one past its end, for
/// "unterminated"), and says what is wrong and how to fix it.
public func checkDiagnostic(_ d: FileDiagnostic, in bytes: [UInt8]) {
    let lines = bytes.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
    precondition(d.location.file == fuzzFile, "file name lost: \(d)")
    precondition(d.location.line >= 1 && d.location.line <= lines + 1, "line out of range: \(d)")
    precondition(d.location.column >= 1, "column out of range: \(d)")
    precondition(!d.message.isEmpty && !d.fix.isEmpty, "message or fix missing: \(d)")
}
