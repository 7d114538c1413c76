import Foundation

// A bank's `test:` lines are part of the bank, not of nst's test suite: each is a sample answer
// with the grade it must get, which `nst bank lint` grades and compares (docs/quiz.md,
// "Question tests"). This file reads them and checks them.

/// The syntax of a bank's `test:` line (docs/quiz.md, "Question tests"):
///
///     test: [category] RANGE | ANSWER [| note: WORDS] [| review | sure]
///
/// RANGE is the expected score as a fraction of the question's points: `1`, `0`,
/// `0..0.33`, `>=0.67` or `<=0.5`. In ANSWER, `\n` is a line break (for `choice: first\n…`).
/// `note:` words must occur in the feedback; `review` / `sure` require the grade to ask
/// (or not ask) for review.
enum ExpectedGradeSyntax {
    static func parse(_ value: String, location: SourceLocation) -> Result<ExpectedGrade, FileDiagnostic> {
        let fix = "write e.g. `test: [negation] 0..0.33 | Style is not captured by Gram matrices.`"
        var rest = Substring(value)
        var category: String?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                return .failure(FileDiagnostic(location, "the test's `[category` is not closed", fix: fix))
            }
            category = rest[rest.index(after: rest.startIndex)..<close].trimmingCharacters(in: .whitespaces)
            rest = rest[rest.index(after: close)...]
        }
        let parts = rest.components(separatedBy: " | ")
        guard parts.count >= 2 else {
            return .failure(FileDiagnostic(location, "a test is `RANGE | ANSWER`", fix: fix))
        }
        guard let range = parseRange(parts[0].trimmingCharacters(in: .whitespaces)) else {
            return .failure(FileDiagnostic(location, "`\(parts[0].trimmingCharacters(in: .whitespaces))` is not a score range",
                                           fix: "write a fraction of the points: `1`, `0..0.33`, `>=0.67` or `<=0.5`"))
        }
        let answer = parts[1].trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\\n", with: "\n")
        var test = ExpectedGrade(category: category, answer: answer, minimum: range.0, maximum: range.1, note: nil, review: nil, location: location)
        for extra in parts.dropFirst(2) {
            let e = extra.trimmingCharacters(in: .whitespaces)
            if e.hasPrefix("note:") { test.note = e.dropFirst(5).trimmingCharacters(in: .whitespaces) }
            else if e == "review" { test.review = true }
            else if e == "sure" { test.review = false }
            else {
                return .failure(FileDiagnostic(location, "`\(e)`: a test's extra part is `note: words`, `review` or `sure`", fix: fix))
            }
        }
        return .success(test)
    }

    static func parseRange(_ s: String) -> (Double, Double)? {
        func number(_ t: Substring) -> Double? {
            guard let x = Double(t.trimmingCharacters(in: .whitespaces)), x.isFinite, x >= 0, x <= 1 else { return nil }
            return x
        }
        if let dots = s.range(of: "..") {
            guard let a = number(s[..<dots.lowerBound]), let b = number(s[dots.upperBound...]), a <= b else { return nil }
            return (a, b)
        }
        for (prefix, isMin) in [(">=", true), ("≥", true), ("<=", false), ("≤", false)] where s.hasPrefix(prefix) {
            guard let x = number(s.dropFirst(prefix.count)) else { return nil }
            return isMin ? (x, 1) : (0, x)
        }
        guard let x = number(Substring(s)) else { return nil }
        return (x, x)
    }
}

/// Grades each of a question's sample answers and compares the grade with the one expected.
public struct ExpectedGradeCheck: Sendable {
    public var grader: QuizGrader
    public init(grader: QuizGrader) { self.grader = grader }

    public struct Failure: Sendable {
        public var test: ExpectedGrade
        public var question: Int
        public var grade: Grade
        public var why: String
    }

    /// One test's grade, and why it fails (nil: it passes).
    public struct Outcome: Sendable {
        public var test: ExpectedGrade
        public var grade: Grade
        public var failure: Failure?
    }

    /// The failures among `q`'s tests (scores compared to 0.005 of a point).
    public func run(_ q: Question) -> [Failure] { runAll(q).compactMap(\.failure) }

    /// Every test of `q` with its grade. A failure says why: the score against the range,
    /// and what the grader saw — for a worded question the ideas matched, missed, denied
    /// or wrong (the feedback); for a formula question the checker's reading (the parse
    /// error with its caret, or the diagnosis).
    public func runAll(_ q: Question) -> [Outcome] {
        q.tests.map { t in
            let g = grader.grade(q, answer: t.answer)
            let fraction = q.points > 0 ? g.score / q.points : 0
            var why: [String] = []
            if fraction < t.minimum - 0.005 || fraction > t.maximum + 0.005 {
                why.append("scored \(Report.fmt(QuizGrader.round2(fraction))) of the points, expected \(Report.fmt(t.minimum))…\(Report.fmt(t.maximum))")
            }
            if let note = t.note, !g.feedback.localizedCaseInsensitiveContains(note) {
                why.append("the feedback does not say “\(note)”")
            }
            if let review = t.review, review != g.needsReview {
                why.append(review ? "the grade does not ask for review" : "the grade asks for review")
            }
            guard !why.isEmpty else { return Outcome(test: t, grade: g, failure: nil) }
            let seen: String
            switch q.kind {
            case .formula:
                seen = g.verdict == .invalid ? "nst cannot read the formula: \(g.feedback)"
                    : "the checker read it as \(g.echo ?? "?") and says: \(g.feedback)"
            default: seen = "the grader says: \(g.feedback)"
            }
            why.append(seen.replacingOccurrences(of: "\n", with: "\n    "))
            return Outcome(test: t, grade: g, failure: Failure(test: t, question: q.number, grade: g, why: why.joined(separator: "; ")))
        }
    }
}
