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
/// "unterminated"), and says what is wrong and how to fix it. Lines end as the parsers end
/// them: at \n, \r\n (one break) or a lone \r.
public func checkDiagnostic(_ d: FileDiagnostic, in bytes: [UInt8]) {
    var lines = 1
    for (i, b) in bytes.enumerated() where b == 0x0A || (b == 0x0D && (i + 1 == bytes.count || bytes[i + 1] != 0x0A)) {
        lines += 1
    }
    precondition(d.location.file == fuzzFile, "file name lost: \(d)")
    precondition(d.location.line >= 1 && d.location.line <= lines + 1, "line out of range: \(d)")
    precondition(d.location.column >= 1, "column out of range: \(d)")
    precondition(!d.message.isEmpty && !d.fix.isEmpty, "message or fix missing: \(d)")
}
