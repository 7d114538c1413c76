import Testing
import Foundation
@testable import NSTQuiz

/// Claims an answer does not make its own — reported, asked, mentioned, supposed — earn no
/// credit and are never a sure score; hedged claims still count. The rubric here is made up
/// (not the bank's), so the tests are of the mechanism, not of phrasings.
@Suite struct UnassertedClaimsTests {
    let rubric = [RubricIdea(phrases: ["compar* ** features"], label: "compares features"),
                  RubricIdea(phrases: ["minimi*", "lower*"], label: "minimised")]
    let wrong = [WrongIdea(label: "keeps the layout", phrases: ["keep* ** layout"], feedback: "it drops the layout")]

    @Test(arguments: [
        "Some people think it compares the features and is minimised, but actually it just crops the photo.",
        "My friend claims it compares the features and that it is minimised, but he is wrong.",
        "Textbooks often say it compares the features and is minimised; they are wrong.",
        "It is often claimed that it compares the features and is minimised.",
        "A common misconception is that it compares the features and is minimised.",
        "According to a blog, it compares the features and is minimised.",
        "Does it compare the features and get minimised? No.",
        "Compared features? Minimised? Neither.",
        "Hypothetically, if it compared the features and was minimised, it would keep the content; there is no such loss.",
        "The words compares, features and minimised appear in the paper; it is about colour.",
        "It compares the features and is minimised, or so they say.",
        "It would compare the features and be minimised if it were the content loss, but it is not.",
        "I used to think it compares the features and is minimised, but it crops the photo.",
        "It compares the features and is minimised. Just kidding: it crops the photo.",
    ])
    func notTheAnswersOwnClaim(_ answer: String) {
        let o = RubricMatcher.judge(answer, rubric: rubric, wrong: wrong)
        #expect(o.matched.isEmpty, "\(o.matched)")
        // A person looks, unless the words are plainly a list, or the claim is rejected (a sure 0).
        #expect(o.needsReview || o.keywordList || o.negated.count == rubric.count)
    }

    /// A claim reported, asked or supposed and then rejected is denied: nothing else to
    /// credit, the 0 is sure.
    @Test(arguments: [
        "Some people think it compares the features and is minimised, but actually it just crops the photo.",
        "My friend claims it compares the features and that it is minimised, but he is wrong.",
        "Textbooks often say it compares the features and is minimised; they are wrong.",
        "Does it compare the features and get minimised? No.",
        "Does it compare the features? Is it minimised? Not at all.",
        "Hypothetically, if it compared the features and was minimised, it would keep the content; there is no such loss.",
        "It would compare the features and be minimised if it were the content loss, but it is not.",
    ])
    func rejectedClaimsAreASureZero(_ answer: String) {
        let o = RubricMatcher.judge(answer, rubric: rubric, wrong: wrong)
        #expect(o.matched.isEmpty && o.negated.count == rubric.count && !o.needsReview, "\(o)")
    }

    /// Claims that look rejected but are not: still the answer's, or still for a person.
    @Test(arguments: [
        // Endorsed: credited.
        ("Textbooks say it compares the features and is minimised, and they are right.", 1.0, false),
        ("Does it compare the features? Yes, and it is minimised.", 1.0, false),
        // A denial reported and rejected, then the answer's own claim: credited by the claim.
        ("Some say it does not compare the features, but that is wrong: it compares the features and is minimised.", 1.0, false),
        // After a negative question, "No" is no plain rejection.
        ("Doesn't it compare the features and get minimised? No, it does.", 0.0, true),
        // "Not sure" answers nothing.
        ("Does it compare the features and get minimised? Not sure.", 0.0, true),
        // A rebuttal that agrees ("that is not wrong") is no rejection.
        ("People say it compares the features and is minimised, and that is not wrong.", 0.0, true),
    ])
    func notRejected(_ answer: String, _ fraction: Double, _ review: Bool) {
        let o = RubricMatcher.judge(answer, rubric: rubric, wrong: wrong)
        #expect(abs(o.fraction - fraction) < 0.01 && o.needsReview == review, "\(answer): \(o)")
    }

    /// A rejected misconception is not charged, and the answer's own claims count.
    @Test func aRejectedMisconceptionIsNotCharged() {
        let o = RubricMatcher.judge("Does it keep the layout? No: it compares the features and is minimised.", rubric: rubric, wrong: wrong)
        #expect(o.wrong.isEmpty && o.deniedMisconception && o.fraction == 1 && !o.needsReview)
    }

    /// What is said of a thing set against the subject is not the answer's claim about it.
    @Test func contrastedClausesAreNotTheAnswersClaim() {
        let o = RubricMatcher.judge("Unlike the old method, which keeps the layout, it compares the features and is minimised.",
                                    rubric: rubric, wrong: wrong)
        #expect(o.wrong.isEmpty && o.fraction == 1)
        let credited = RubricMatcher.judge("Unlike a loss that is minimised, it compares the features.", rubric: rubric, wrong: wrong)
        #expect(credited.fraction == 0.5 && credited.needsReview)
    }

    @Test(arguments: [
        "I think it compares the features, and maybe it is minimised?",
        "Maybe it compares the features and is then minimised?",
        "I suppose it compares the features and is minimised.",
        "One can think of it this way: it compares the features and is minimised.",
        "Think of it as a distance: it compares the features and is minimised.",
    ])
    func hedgedClaimsCount(_ answer: String) {
        #expect(RubricMatcher.judge(answer, rubric: rubric, wrong: wrong).fraction == 1)
    }

    @Test func theAnswersOwnClaimAfterTheReportedOneCounts() {
        let o = RubricMatcher.judge("Some people think it is about pixels, but it compares the features and is minimised.", rubric: rubric)
        #expect(o.fraction == 1)
    }

    @Test func aReportedMisconceptionIsNotCharged() {
        let o = RubricMatcher.judge("People say it keeps the layout; it does not. It compares the features and is minimised.",
                                    rubric: rubric, wrong: wrong)
        #expect(o.wrong.isEmpty && o.fraction == 1)
    }

    @Test func aDenialInsideTheGapTurnsAWrongIdeaRound() {
        let o = RubricMatcher.judge("It keeps the texture regardless of layout; it compares the features and is minimised.",
                                    rubric: rubric, wrong: wrong)
        #expect(o.wrong.isEmpty)
        let asserted = RubricMatcher.judge("It keeps the spatial layout; it compares the features and is minimised.", rubric: rubric, wrong: wrong)
        #expect(asserted.wrong.count == 1)
    }

    @Test func aSentenceThatIsACommaListIsKeywordsEvenWithOneIdea() {
        let o = RubricMatcher.judge("Start, target, lower, loss.", rubric: rubric)
        #expect(o.matched.isEmpty && o.keywordList && !o.needsReview)
    }

    @Test func aDeniedMisconceptionWithIdeasMissingNeedsReview() {
        let o = RubricMatcher.judge("It is a myth that it keeps the layout; it is minimised.", rubric: rubric, wrong: wrong)
        #expect(o.wrong.isEmpty && o.deniedMisconception && o.needsReview)
    }

    @Test func anIdeaDeniedOfTheRejectedOptionIsCredited() {
        let text = AnswerText("The first, because the second lacks any comparing of features and is not minimised.")
        let rejected: Set<Int> = [4]   // "second"
        #expect(text.words[4].text == "second")
        #expect(RubricMatcher.judge(text, rubric: rubric, rejected: rejected).fraction == 1)
        #expect(RubricMatcher.judge(text, rubric: rubric).fraction == 0)
    }
}

@Suite struct UnsureVerdictTests {
    let bank = BankParser().parse(contentsOf: Paths.bank).bank!
    let grader = QuizGrader(formula: KeyEqualityGrader.forShippedBank())

    @Test func thatsRightIsAVerdict() {
        #expect(VerdictReader.trueFalse("That's right, though only sometimes.").value == true)
        #expect(VerdictReader.trueFalse("This is wrong: nothing is trained.").value == false)
    }

    @Test func itIsNotTrueThatDeniesTheClaimInPassing() {
        let r = VerdictReader.trueFalse("It is not true that you need a special data set; the image is optimised.")
        #expect(r.value == false && !r.sure)
    }

    @Test func anUnsureWrongChoiceIsReviewNotIncorrect() {
        let q = bank.questions.first { $0.kind == .choice }!
        let wrongName = q.options.map(\.name).first { !q.answers.contains($0) }!
        // The reader takes the opening mention, unsure: the grade is review, never incorrect.
        let g = grader.grade(q, answer: "\(wrongName.capitalized) image is flatter and the other shows more.")
        #expect(g.score == 0 && g.verdict == .review && g.needsReview, "\(g.verdict): \(g.feedback)")
    }

    @Test func aClosingSoNamesTheChoice() {
        let q = bank.questions.first { $0.kind == .choice }!
        let right = q.answers.first!
        let c = VerdictReader.choice("Both look painted, one more than the other. So: the \(right) one.", question: q)
        #expect(c.chosen == [right] && c.sure)
    }
}
