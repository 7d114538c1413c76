import Foundation
@testable import NSTQuiz

/// The bank shipped in Quizzes/, found from this source file's location.
enum Paths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let bank = root.appendingPathComponent("Quizzes/neural-style-transfer.quiz")
    static func tempDir() -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("nst-quiz-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }
}

/// A stand-in for NSTCheck in the session and grading tests, which test the quiz's logic,
/// not the checker: an answer is correct when it equals the key up to spaces, "invalid" when
/// it contains `?` (as an unreadable formula would be), otherwise incorrect.
struct KeyEqualityGrader: FormulaGrader {
    var keys: [String: String]
    func grade(target: String, answer: String) -> FormulaOutcome {
        let a = answer.filter { !$0.isWhitespace }
        if a.contains("?") { return FormulaOutcome(verdict: .invalid, diagnoses: [], echo: "", message: "cannot read `?`") }
        let k = (keys[target] ?? "").filter { !$0.isWhitespace }
        return FormulaOutcome(verdict: a == k ? .correct : .incorrect,
                              diagnoses: a == k ? [] : [.init(kind: "unexplained", message: "not the key")],
                              echo: "⟨\(answer)⟩", message: a == k ? "matches" : "differs")
    }
    static func forShippedBank() -> KeyEqualityGrader {
        let bank = BankParser().parse(contentsOf: Paths.bank).bank!
        var keys: [String: String] = [:]
        for q in bank.questions where q.kind == .formula { keys[q.target!] = q.key! }
        return KeyEqualityGrader(keys: keys)
    }
}

/// A console fed from a list of lines, recording everything written.
final class ScriptedConsole: QuizConsole {
    var input: [String]
    var output: [String] = []
    var warnings: [String] = []
    init(_ input: [String]) { self.input = input }
    func readLine(prompt: String) -> String? {
        output.append(prompt)
        return input.isEmpty ? nil : input.removeFirst()
    }
    func write(_ text: String) { output.append(text) }
    func warn(_ text: String) { warnings.append(text) }
    var text: String { output.joined(separator: "\n") }
}
