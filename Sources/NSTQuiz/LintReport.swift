import Foundation

/// What `nst bank lint` prints: the summary lines, or (`--json`) one object with the same
/// facts and every diagnostic.
extension BankLinter.Result {
    public struct Report: Encodable, Sendable {
        public struct Diagnostic: Encodable, Sendable {
            var file: String, line: Int, column: Int, severity: String, message: String, fix: String
        }
        var file: String, ok: Bool, questions: Int?, kinds: [String: Int]?, formula_keys_checked: Int?
        var tests_run: Int, test_categories: [String: Int], worded_verdicts: Int, sure_verdicts: Int, errors: Int, diagnostics: [Diagnostic]
    }

    public func report(file: String) -> Report {
        let counts = bank.map { b in Dictionary(uniqueKeysWithValues: QuestionKind.allCases.map { k in (k.rawValue, b.questions.filter { $0.kind == k }.count) }) }
        return Report(file: file, ok: ok, questions: bank?.questions.count, kinds: counts,
                      formula_keys_checked: counts?[QuestionKind.formula.rawValue], tests_run: testsRun,
                      test_categories: categories, worded_verdicts: wordedVerdicts, sure_verdicts: sureVerdicts, errors: errors.count,
                      diagnostics: diagnostics.map {
                          .init(file: $0.location.file, line: $0.location.line, column: $0.location.column,
                                severity: $0.severity.rawValue, message: $0.message, fix: $0.fix)
                      })
    }

    /// The lines after the diagnostics: "FILE: N errors", or "FILE: OK, …" and the tests run.
    public func summary(file: String) -> String {
        guard ok, let bank else { return "\(file): \(errors.count) error\(errors.count == 1 ? "" : "s")" }
        func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        let formulas = bank.questions.filter { $0.kind == .formula }.count
        let counts = QuestionKind.allCases.map { k in "\(bank.questions.filter { $0.kind == k }.count) \(k.rawValue)" }
        var text = "\(file): OK, \(plural(bank.questions.count, "question")) (\(counts.joined(separator: ", "))); \(plural(formulas, "formula key")) checked by nst check"
        if testsRun > 0 {
            let list = categories.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            text += "\n\(plural(testsRun, "question test")) passed (\(list))"
            if wordedVerdicts > 0 {
                text += "\n\(sureVerdicts) of \(plural(wordedVerdicts, "worded verdict")) sure, \(wordedVerdicts - sureVerdicts) marked needs review"
            }
        }
        return text
    }
}
