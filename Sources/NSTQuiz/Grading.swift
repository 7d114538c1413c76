import Foundation

/// What the formula checker said about one answer, in the quiz's own terms (so the quiz's
/// session and reports do not depend on the checker's types; `CheckerGrader` adapts NSTCheck).
public struct FormulaOutcome: Sendable, Equatable {
    public enum Verdict: String, Sendable { case correct, incorrect, invalid }
    public struct Diagnosis: Sendable, Equatable, Codable { public var kind: String; public var message: String
        public init(kind: String, message: String) { self.kind = kind; self.message = message } }
    public var verdict: Verdict
    public var diagnoses: [Diagnosis]
    /// The parsed formula in Unicode math with shapes (empty when it did not parse).
    public var echo: String
    /// The checker's one-paragraph summary (for `invalid`: the parse or shape error, with a caret).
    public var message: String
    /// For `invalid`: the 1-based column of the formula where reading it failed, when known.
    public var column: Int?
    public init(verdict: Verdict, diagnoses: [Diagnosis], echo: String, message: String, column: Int? = nil) {
        self.verdict = verdict; self.diagnoses = diagnoses; self.echo = echo; self.message = message; self.column = column
    }
}

/// Grades a formula answer against a named target (`content-layer`, …, `update`).
public protocol FormulaGrader: Sendable {
    func grade(target: String, answer: String) -> FormulaOutcome
}

/// The grade of one answer to one question.
public struct Grade: Sendable, Codable, Equatable {
    public enum Verdict: String, Sendable, Codable {
        /// Full marks.
        case correct
        /// Some credit: part of a rubric, or the right true/false word with an incomplete explanation.
        case partial
        case incorrect
        /// The answer could not be read (a formula that does not parse or whose shapes cannot
        /// combine, a true/false answer that starts with neither word). Interactively this
        /// costs no attempt; in an answers file it scores 0.
        case invalid
        case unanswered
    }
    public var score: Double
    public var max: Double
    public var verdict: Verdict
    public var feedback: String
    /// formula: the parsed answer as the checker read it.
    public var echo: String?
    public var diagnosis: [FormulaOutcome.Diagnosis]

    public init(score: Double, max: Double, verdict: Verdict, feedback: String, echo: String? = nil, diagnosis: [FormulaOutcome.Diagnosis] = []) {
        self.score = score; self.max = max; self.verdict = verdict; self.feedback = feedback; self.echo = echo; self.diagnosis = diagnosis
    }
}

/// Grades answers to a bank's questions.
///
/// Credit, per kind (every question is worth its `points`, 1 by default):
/// - formula: all or nothing, decided by NSTCheck (numerically, against finite differences).
/// - truefalse: the first word must be `true` or `false`. Wrong word: 0. Right word: half
///   the points, plus the other half times the fraction of rubric ideas the explanation covers.
/// - choice: the leading word(s) name the chosen option(s); they must be exactly the right
///   set. With a rubric, scored like truefalse (half for the choice, half for the
///   justification); without one, all or nothing.
/// - text: the points times the fraction of rubric ideas covered.
public struct QuizGrader: Sendable {
    public var formula: FormulaGrader
    public init(formula: FormulaGrader) { self.formula = formula }

    public func grade(_ q: Question, answer raw: String) -> Grade {
        let answer = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if answer.isEmpty { return Grade(score: 0, max: q.points, verdict: .unanswered, feedback: "No answer.") }
        switch q.kind {
        case .formula: return gradeFormula(q, answer: answer)
        case .truefalse: return gradeTrueFalse(q, answer: answer)
        case .choice: return gradeChoice(q, answer: answer)
        case .text: return gradeText(q, answer: answer)
        }
    }

    func gradeFormula(_ q: Question, answer: String) -> Grade {
        // Formula answers may span lines in an answers file; the language has no newlines.
        let oneLine = answer.split(whereSeparator: \.isNewline).joined(separator: " ")
        let o = formula.grade(target: q.target ?? "", answer: oneLine)
        let echo = o.echo.isEmpty ? nil : o.echo
        switch o.verdict {
        case .correct:
            return Grade(score: q.points, max: q.points, verdict: .correct, feedback: "Correct. " + o.message, echo: echo, diagnosis: o.diagnoses)
        case .incorrect:
            var lines = ["Not right."]
            lines += o.diagnoses.map { "  \($0.kind): \($0.message)" }
            if o.diagnoses.isEmpty && !o.message.isEmpty { lines.append("  " + o.message) }
            return Grade(score: 0, max: q.points, verdict: .incorrect, feedback: lines.joined(separator: "\n"), echo: echo, diagnosis: o.diagnoses)
        case .invalid:
            return Grade(score: 0, max: q.points, verdict: .invalid, feedback: o.message, echo: echo, diagnosis: o.diagnoses)
        }
    }

    /// Feedback naming the rubric ideas found and missed.
    static func rubricFeedback(_ r: RubricMatcher.Outcome, what: String) -> String {
        if r.missed.isEmpty { return "Your \(what) covers every key idea." }
        let have = r.matched.isEmpty ? "none of the key ideas" : r.matched.map { "“\($0)”" }.joined(separator: ", ")
        return "Your \(what) covers \(have); it misses \(r.missed.map { "“\($0)”" }.joined(separator: ", "))."
    }

    static func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }

    func gradeTrueFalse(_ q: Question, answer: String) -> Grade {
        let words = RubricMatcher.tokens(answer)
        guard let first = words.first, first == "true" || first == "false" else {
            return Grade(score: 0, max: q.points, verdict: .invalid, feedback: "Start the answer with `true` or `false`, then explain why.")
        }
        let explanation = String(answer.drop { !$0.isWhitespace && $0 != "." && $0 != "," && $0 != ":" && $0 != ";" && $0 != "-" && $0 != "—" })
        guard first == q.answers.first else {
            return Grade(score: 0, max: q.points, verdict: .incorrect, feedback: "The statement is \(q.answers.first ?? "?"), not \(first).")
        }
        return withRubric(q, prefix: "Yes, \(first).", rest: explanation, what: "explanation")
    }

    func gradeChoice(_ q: Question, answer: String) -> Grade {
        let names = Set(q.options.map(\.name))
        var chosen: [String] = []
        // Leading filler ("The first image …", "I think second") is skipped.
        let filler: Set<String> = ["the", "a", "an", "i", "think", "my", "answer", "is", "it", "s", "option", "image", "picture"]
        for w in RubricMatcher.tokens(answer).drop(while: { filler.contains($0) }) {
            if names.contains(w) { if !chosen.contains(w) { chosen.append(w) } }
            else if w == "and" && !chosen.isEmpty { continue }
            else { break }
        }
        guard !chosen.isEmpty else {
            return Grade(score: 0, max: q.points, verdict: .invalid,
                         feedback: "Start the answer with the option you choose: \(q.options.map(\.name).joined(separator: " or ")).")
        }
        guard Set(chosen) == Set(q.answers) else {
            return Grade(score: 0, max: q.points, verdict: .incorrect,
                         feedback: "The right answer is \(q.answers.joined(separator: " and ")), not \(chosen.joined(separator: " and ")).")
        }
        if q.rubric.isEmpty { return Grade(score: q.points, max: q.points, verdict: .correct, feedback: "Yes, \(chosen.joined(separator: " and ")).") }
        return withRubric(q, prefix: "Yes, \(chosen.joined(separator: " and ")).", rest: answer, what: "justification")
    }

    /// Half the points for the right word, half times the rubric fraction for the reasons.
    func withRubric(_ q: Question, prefix: String, rest: String, what: String) -> Grade {
        let r = RubricMatcher.judge(rest, rubric: q.rubric)
        let score = Self.round2(q.points * (0.5 + 0.5 * r.fraction))
        let verdict: Grade.Verdict = r.missed.isEmpty ? .correct : .partial
        return Grade(score: score, max: q.points, verdict: verdict, feedback: prefix + " " + Self.rubricFeedback(r, what: what))
    }

    func gradeText(_ q: Question, answer: String) -> Grade {
        let r = RubricMatcher.judge(answer, rubric: q.rubric)
        let score = Self.round2(q.points * r.fraction)
        let verdict: Grade.Verdict = r.missed.isEmpty ? .correct : (r.matched.isEmpty ? .incorrect : .partial)
        return Grade(score: score, max: q.points, verdict: verdict, feedback: Self.rubricFeedback(r, what: "answer"))
    }
}
