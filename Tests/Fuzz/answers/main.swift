// Fuzz target for the answers-file parser (AnswersFile, `nst quiz --grade FILE`) against the
// shipped bank: any bytes either grade to scores within 0…max (and print as JSON and text),
// or fail with a diagnostic that points into the input.
import Foundation
import FuzzDriver
import NSTQuiz
import QuizChecks

fuzzMain { bytes in
    do {
        let file = try AnswersFile.parse(data: Data(bytes), file: fuzzFile, bank: shippedBank, maxBytes: 1 << 16)
        let report = Report.grade(file, bank: shippedBank, grader: fuzzGrader)
        precondition(report.score >= 0 && report.score <= report.max)
        precondition(report.questions.allSatisfy { $0.score >= 0 && $0.score <= $0.max })
        _ = report.json(); _ = report.text()
    } catch let d as FileDiagnostic {
        checkDiagnostic(d, in: bytes)
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
}
