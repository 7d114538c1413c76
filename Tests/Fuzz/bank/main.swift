// Fuzz target for the bank parser (BankParser) and the graders that read free text (rubrics,
// true/false, choice): any bytes either make a bank whose every question has what its kind
// needs, or errors that each point into the input.
import Foundation
import FuzzDriver
import NSTQuiz
import QuizChecks

fuzzMain { bytes in
    let r = BankParser(maxBytes: 1 << 16).parse(data: Data(bytes), file: fuzzFile)
    for d in r.diagnostics { checkDiagnostic(d, in: bytes) }
    guard let bank = r.bank else {
        precondition(!r.errors.isEmpty, "no bank and no error")
        return
    }
    precondition(r.errors.isEmpty && !bank.questions.isEmpty)
    precondition(Set(bank.questions.map(\.number)).count == bank.questions.count, "duplicate numbers")
    for q in bank.questions {
        precondition(!q.prompt.isEmpty)
        switch q.kind {
        case .formula: precondition(q.key != nil && q.target != nil)
        case .truefalse: precondition(q.answers.count == 1 && !q.rubric.isEmpty)
        case .choice: precondition(q.options.count >= 2 && !q.answers.isEmpty && q.answers.allSatisfy { a in q.options.contains { $0.name == a } })
        case .text: precondition(!q.rubric.isEmpty)
        }
        // Grading any answer against it stays within 0…points.
        let g = fuzzGrader.grade(q, answer: String(decoding: bytes.prefix(2000), as: UTF8.self))
        precondition(g.score >= 0 && g.score <= q.points, "score out of range")
    }
}
