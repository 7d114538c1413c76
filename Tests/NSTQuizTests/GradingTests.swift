import Testing
import Foundation
@testable import NSTQuiz

@Suite struct RubricTests {
    @Test(arguments: [
        ("Gram-Matrices!", "gram matrices", true),
        ("CORRÉLATIONS between filters", "correlations between", true),
        ("we minimise it", "minimi*", true),
        ("minimizing the loss", "minimi*", true),
        ("large scale", "large-scale", true),
        ("scale large", "large scale", false),          // words must be consecutive and in order
        ("the larger structures", "larger structure*", true),
        ("gramophone", "gram", false),                   // whole words unless *
        ("", "anything", false),
    ])
    func phraseMatching(_ answer: String, _ phrase: String, _ expected: Bool) {
        #expect(!AnswerText(answer).occurrences(of: phrase).isEmpty == expected)
    }

    @Test func fractionOfIdeas() {
        let rubric = [RubricIdea(phrases: ["forward", "feed forward"]), RubricIdea(phrases: ["gram*", "correlation*"]),
                      RubricIdea(phrases: ["deep*"]), RubricIdea(phrases: ["activation*", "feature map*"])]
        let o = RubricMatcher.judge("Feed-forward pass; take the feature maps of a deeper layer.", rubric: rubric)
        #expect(o.matched == ["forward", "deep…", "activation…"])
        #expect(o.missed == ["gram…"])
        #expect(o.fraction == 0.75)
    }
}

@Suite struct GradingTests {
    let bank = BankParser().parse(contentsOf: Paths.bank).bank!
    let grader = QuizGrader(formula: KeyEqualityGrader.forShippedBank())

    @Test func formulaVerdictsCarryTheChecker() {
        let q = bank.question(5)!
        #expect(grader.grade(q, answer: q.key!).verdict == .correct)
        #expect(grader.grade(q, answer: q.key!).score == 1)
        let wrong = grader.grade(q, answer: "w*F'*(G-A)/(N^2*M^2)")
        #expect(wrong.verdict == .incorrect && wrong.score == 0)
        #expect(wrong.feedback.contains("unexplained: not the key"))
        #expect(wrong.echo == "⟨w*F'*(G-A)/(N^2*M^2)⟩")
        #expect(grader.grade(q, answer: "F ? P").verdict == .invalid)
        // Multi-line formula answers (answers files) are joined.
        #expect(grader.grade(q, answer: "w*(G - A)\n*F/(N^2*M^2)").verdict == .correct)
    }

    @Test func trueFalseHalfForTheWordHalfForTheReasons() {
        let q = bank.question(9)!
        let full = grader.grade(q, answer: "False: VGG is pretrained on ImageNet; no additional training is needed, only the image is optimised.")
        #expect(full.verdict == .correct && full.score == 1)
        let bare = grader.grade(q, answer: "false")
        #expect(bare.verdict == .partial && bare.score == 0.5)
        let half = grader.grade(q, answer: "False, it uses a pretrained network.")
        #expect(half.score == 0.75)
        #expect(half.feedback.contains("misses"))
        let wrongWord = grader.grade(q, answer: "True, you must train it on a large set of triples.")
        #expect(wrongWord.verdict == .incorrect && wrongWord.score == 0 && !wrongWord.needsReview)
        // The wrong word with reasons for the right verdict: 0, for a person to read.
        let arguedAgainst = grader.grade(q, answer: "True, it needs a pretrained network and no training.")
        #expect(arguedAgainst.verdict == .review && arguedAgainst.score == 0 && arguedAgainst.needsReview)
        // A verdict that cannot be read is for a person to decide, never wrong.
        let unsure = grader.grade(q, answer: "maybe the network is pretrained, and the image is optimised")
        #expect(unsure.verdict == .review && unsure.needsReview && unsure.score == 0)
        // No verdict and nothing to credit: a sure 0.
        let nothing = grader.grade(q, answer: "maybe")
        #expect(nothing.verdict == .incorrect && !nothing.needsReview && nothing.score == 0)
        #expect(grader.grade(q, answer: "FALSE — no training data").score > 0.5)
    }

    @Test func choiceNeedsTheRightOptionFirst() {
        let q = bank.question(12)!
        #expect(grader.grade(q, answer: "second: it has more texture").score == 0)
        #expect(grader.grade(q, answer: "Probably the first").verdict == .partial)
        #expect(grader.grade(q, answer: "I cannot tell them apart").verdict == .incorrect)
        #expect(grader.grade(q, answer: "Deeper layers see larger patches.").verdict == .review)
        #expect(grader.grade(q, answer: "The first image, as I think").verdict == .partial)
        let good = grader.grade(q, answer: "first — deeper layers have larger receptive fields, so large-scale swirls appear; the second only has small textures")
        #expect(good.verdict == .correct && good.score == 1)
        #expect(grader.grade(q, answer: "first").score == 0.5)
        #expect(grader.grade(q, answer: "first and second").verdict == .incorrect)
    }

    @Test func textIsTheFractionOfIdeas() {
        let q = bank.question(8)!  // four ideas
        let g = grader.grade(q, answer: "Run the image forward through the network and keep the feature maps of a deep layer for the content.")
        #expect(g.verdict == .partial && g.score == 0.75)
        #expect(grader.grade(q, answer: "no idea").verdict == .incorrect)
        #expect(grader.grade(q, answer: "   ").verdict == .unanswered)
    }

    @Test func modelAnswersEarnFullMarks() {
        for q in bank.questions where q.kind != .formula {
            let answer = q.kind == .text ? q.model : q.model  // model answers start with the right word
            let g = grader.grade(q, answer: answer)
            #expect(g.verdict == .correct, "Q\(q.number): \(g.feedback)")
            if g.verdict != .correct { print("Q\(q.number): \(g.feedback)") }
        }
    }
}

/// The committed example answers files, graded on their non-formula questions (the
/// formula ones go through NSTCheck in the end-to-end tests).
@Suite struct ExampleAnswersTests {
    let bank = BankParser().parse(contentsOf: Paths.bank).bank!
    let grader = QuizGrader(formula: KeyEqualityGrader.forShippedBank())

    func report(_ name: String) throws -> Report {
        let url = Paths.root.appendingPathComponent("Examples/answers/\(name)")
        let file = try AnswersFile.parse(data: try Data(contentsOf: url), file: name, bank: bank)
        return Report.grade(file, bank: bank, grader: grader)
    }

    @Test func printedKeyLosesOnlyOnQuestionEightAmongTheWordedOnes() throws {
        let r = try report("printed-key.answers")
        let byNumber = Dictionary(uniqueKeysWithValues: r.questions.map { ($0.question, $0) })
        for n in [1, 9, 10, 11, 12] { #expect(byNumber[n]?.verdict == .correct, "Q\(n): \(byNumber[n]?.feedback ?? "")") }
        #expect(byNumber[8]?.verdict == .partial && byNumber[8]?.score == 0.75)
        #expect(byNumber[8]?.feedback.contains("misses “style from Gram matrices over several layers”") ?? false)
        // "correlations between groups of pixels": a misconception, named, and the score capped.
        #expect(byNumber[4]?.verdict == .partial && byNumber[4]?.score == 0.25 && byNumber[4]?.needsReview == true)
        #expect(byNumber[4]?.feedback.contains("“correlations between pixels”, which is wrong") ?? false)
    }

    @Test func fullMarksWordedAnswers() throws {
        let r = try report("full-marks.answers")
        for e in r.questions where e.kind != "formula" { #expect(e.verdict == .correct, "Q\(e.question): \(e.feedback)") }
    }
}

@Suite struct AnswersFileTests {
    let bank = BankParser().parse(contentsOf: Paths.bank).bank!

    func parse(_ text: String) throws -> AnswersFile {
        try AnswersFile.parse(data: Data(text.utf8), file: "a.answers", bank: bank)
    }

    @Test func multiLineEntriesAndComments() throws {
        let f = try parse("# student 17\n\n== answer 1 ==\nIt compares features\n\nand we minimise it.\n# aside\n\n== answer 5 ==\n  w*(G - A)*F/(N^2*M^2)\n")
        #expect(f.answers[1] == "It compares features\n\nand we minimise it.")
        #expect(f.answers[5] == "  w*(G - A)*F/(N^2*M^2)")
        #expect(f.lines == [1: 3, 5: 9])
    }

    @Test(arguments: [
        ("== answer 1 ==\nx\n== answer 1 ==\ny\n", 3, "answered twice"),
        ("== answer 13 ==\nx\n", 1, "has no question 13"),
        ("hello\n== answer 1 ==\n", 1, "text before the first"),
        ("== answer one ==\n", 1, "malformed header"),
        ("== answer 2\n", 1, "malformed header"),
        ("", 1, "no answers"),
    ])
    func malformed(_ text: String, _ line: Int, _ message: String) {
        #expect {
            try parse(text)
        } throws: { e in
            guard let d = e as? FileDiagnostic else { return false }
            return d.location.line == line && d.message.contains(message) && !d.fix.isEmpty
        }
    }

    @Test func reportTotalsAndJSON() throws {
        let f = try parse("== answer 2 ==\nF - P\n== answer 9 ==\nfalse\n")
        let r = Report.grade(f, bank: bank, grader: QuizGrader(formula: KeyEqualityGrader.forShippedBank()))
        #expect(r.score == 1.5 && r.max == 12)
        #expect(r.questions.count == 12)
        #expect(r.questions.first { $0.question == 3 }?.verdict == .unanswered)
        let json = try JSONSerialization.jsonObject(with: Data(r.json().utf8)) as? [String: Any]
        let qs = json?["questions"] as? [[String: Any]]
        #expect(qs?.first?["score"] as? Double == 0 && qs?[1]["verdict"] as? String == "correct")
        #expect(r.text().hasSuffix("Total: 1.5/12"))
    }
}
