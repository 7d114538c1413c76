import Foundation
import NSTFileIO

/// A student's answers, one entry per question number (format in docs/quiz.md):
///
///     # comment
///     == answer 5 ==
///     w*(G - A)*F/(N^2*M^2)
///
/// An entry's answer is every line up to the next header (comments and blank lines at
/// both ends dropped), so text answers may span several lines.
public struct AnswersFile: Sendable {
    public var file: String
    public var answers: [Int: String]
    public var lines: [Int: Int]  // question number → header line

    /// Parses and checks the entries against `bank` (a number the bank lacks is an error).
    /// Throws the first `FileDiagnostic`; every error names file:line:column and a fix.
    public static func parse(data: Data, file: String, bank: Bank, maxBytes: Int = 1 << 20) throws -> AnswersFile {
        let source: SourceText
        switch SourceText.decode(data, file: file, maxBytes: maxBytes, raiseHint: "an answers file is small text") {
        case .failure(let d): throw d
        case .success(let s): source = s
        }
        var result = AnswersFile(file: file, answers: [:], lines: [:])
        var current: Int?
        var body: [String] = []
        func flush() {
            guard let n = current else { return }
            var b = body
            while let f = b.first, f.trimmingCharacters(in: .whitespaces).isEmpty { b.removeFirst() }
            while let l = b.last, l.trimmingCharacters(in: .whitespaces).isEmpty { b.removeLast() }
            result.answers[n] = b.joined(separator: "\n")
        }
        for line in source.lines {
            let trimmed = line.text.trimmingCharacters(in: .whitespaces)
            let indent = line.text.prefix { $0 == " " || $0 == "\t" }.count
            if trimmed.hasPrefix("#") { continue }
            if trimmed.hasPrefix("==") {
                let loc = SourceLocation(file: file, line: line.number, column: indent + 1)
                let inner = trimmed.hasSuffix("==") && trimmed.count >= 4 ? trimmed.dropFirst(2).dropLast(2) : ""
                let words = inner.split(separator: " ")
                guard words.count == 2, words[0].lowercased() == "answer", let n = Int(words[1]) else {
                    throw FileDiagnostic(loc, "malformed header `\(trimmed)`", fix: "an entry starts with a line like `== answer 5 ==`")
                }
                guard bank.question(n) != nil else {
                    throw FileDiagnostic(loc, "the bank \(bank.file) has no question \(n)",
                                         fix: "number entries \(bank.questions.map(\.number).min() ?? 1)–\(bank.questions.map(\.number).max() ?? 1)")
                }
                if let first = result.lines[n] {
                    throw FileDiagnostic(loc, "question \(n) is answered twice (first at line \(first))", fix: "keep one `== answer \(n) ==` entry")
                }
                flush()
                current = n; body = []; result.lines[n] = line.number
                continue
            }
            if current == nil {
                if trimmed.isEmpty { continue }
                throw FileDiagnostic(SourceLocation(file: file, line: line.number, column: indent + 1),
                                     "text before the first `== answer N ==` header",
                                     fix: "put each answer under a header such as `== answer 1 ==` (lines starting with # are comments)")
            }
            body.append(line.text)
        }
        flush()
        if result.lines.isEmpty {
            throw FileDiagnostic(SourceLocation(file: file, line: 1, column: 1), "no answers in the file",
                                 fix: "write each answer under a header such as `== answer 1 ==`")
        }
        return result
    }
}

/// The grades of a whole answers file (or a finished session).
public struct Report: Sendable, Codable {
    public struct Entry: Sendable, Codable {
        public var question: Int
        public var kind: String
        public var score: Double
        public var max: Double
        public var verdict: Grade.Verdict
        public var feedback: String
        public var echo: String?
        public var diagnosis: [FormulaOutcome.Diagnosis]
        /// Low confidence: an instructor should look at this answer.
        public var needsReview: Bool
        /// The score comes from matching key ideas in free text: a suggestion.
        public var suggested: Bool
        enum CodingKeys: String, CodingKey {
            case question, kind, score, max, verdict, feedback, echo, diagnosis
            case needsReview = "needs_review", suggested
        }
    }
    public struct Total: Sendable, Codable { public var score: Double; public var max: Double }
    public var bank: String
    public var answers: String
    public var questions: [Entry]
    public var total: Total
    public var score: Double { total.score }
    public var max: Double { total.max }

    public static func grade(_ file: AnswersFile, bank: Bank, grader: QuizGrader) -> Report {
        var entries: [Entry] = []
        for q in bank.questions {
            let g = grader.grade(q, answer: file.answers[q.number] ?? "")
            entries.append(Entry(question: q.number, kind: q.kind.rawValue, score: g.score, max: g.max, verdict: g.verdict,
                                 feedback: g.feedback, echo: g.echo, diagnosis: g.diagnosis,
                                 needsReview: g.needsReview, suggested: g.suggested))
        }
        let score = QuizGrader.round2(entries.reduce(0) { $0 + $1.score })
        return Report(bank: bank.file, answers: file.file, questions: entries, total: Total(score: score, max: bank.maxScore))
    }

    public func json() -> String {
        (try? JSONFormat.string(self)) ?? "{}"
    }

    /// One block per question, then the total: readable and still easy to grep.
    public func text() -> String {
        var out: [String] = []
        for e in questions {
            out.append("Q\(e.question) [\(e.kind)] \(Self.fmt(e.score))/\(Self.fmt(e.max)) \(e.verdict.rawValue)"
                       + (e.suggested ? " (suggested)" : "") + (e.needsReview ? " — needs review" : ""))
            if let echo = e.echo {
                let lines = echo.split(separator: "\n", omittingEmptySubsequences: false)
                out.append("  read as: \(lines.first ?? "")")
                out += lines.dropFirst().map { "    " + $0 }
            }
            for l in e.feedback.split(separator: "\n", omittingEmptySubsequences: false) { out.append("  " + l) }
        }
        out.append("Total: \(Self.fmt(score))/\(Self.fmt(max))")
        let review = questions.filter(\.needsReview).map { "Q\($0.question)" }
        if !review.isEmpty { out.append("Needs review: \(review.joined(separator: ", ")) (free-text scores are suggestions; these are the uncertain ones).") }
        return out.joined(separator: "\n")
    }

    public static func fmt(_ x: Double) -> String {
        x == x.rounded() ? String(Int(x)) : String(format: "%.2f", x).replacingOccurrences(of: #"0+$"#, with: "", options: .regularExpression)
    }
}
