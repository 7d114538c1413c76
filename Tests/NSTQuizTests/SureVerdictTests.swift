import Testing
@testable import NSTQuiz

/// When a worded score is sure: the evidence agrees and nothing is left unexplained. Each
/// rule that makes a kind of answer sure is tested with answers that look like it but
/// deserve another score (they must go to review).
@Suite struct SureVerdictTests {
    let bank = BankParser().parse(contentsOf: Paths.bank).bank!
    let grader = QuizGrader(formula: KeyEqualityGrader.forShippedBank())

    func grade(_ q: Int, _ answer: String) -> Grade { grader.grade(bank.question(q)!, answer: answer) }

    /// Off the subject, long or short: a sure 0 for a text question.
    @Test(arguments: [
        (8, "Pizza is my favourite food and I like hiking at the weekend with my friends."),
        (11, "The weather in Kanagawa is usually mild in spring, with cherry blossoms everywhere."),
    ])
    func offTheSubjectIsASureZero(_ q: Int, _ answer: String) {
        let g = grade(q, answer)
        #expect(g.score == 0 && !g.needsReview, "\(g.feedback)")
    }

    /// Few of the subject's words, but an answer: a person looks.
    @Test(arguments: [
        (8, "You simply ask the trained recogniser what it notices, halfway in and at several depths."),
        (10, "True: nothing has to have been seen before; one look at it is enough for what we need."),
        (9, "False, nobody has to collect anything like that; the thing that changes is what we draw."),
    ])
    func fewSubjectWordsButAnAnswerNeedsReview(_ q: Int, _ answer: String) {
        #expect(grade(q, answer).needsReview)
    }

    /// A long answer that misses an idea: sure when what it does not credit is only hedging
    /// and structure, for review when words are left unexplained (they may say the idea).
    @Test func aMissedIdeaIsSureOnlyWithNothingUnexplained() {
        let hedged = grade(4, "I'm not completely sure, but I think it compares Gram matrices, so it is about texture and colour, and I guess it gets minimised.")
        #expect(hedged.score == 0.75 && !hedged.needsReview, "\(hedged.feedback)")
        let unexplained = grade(4, "It compares Gram matrices, so it is about texture and colour, and it is minimised; every location's contribution is pooled so placement stops mattering.")
        #expect(unexplained.needsReview, "\(unexplained.feedback)")
    }

    /// A misconception in a key idea's place with nothing else credited: a sure 0. With right
    /// words beside it, the capped part credit is a suggestion (the right words may sit inside
    /// the wrong claim and deserve nothing). Beside every key idea: review.
    @Test func aMisconceptionIsSureOnlyWhenItLeavesNothing() {
        let alone = grade(11, "The photograph is blended into the output at the very end.")
        #expect(alone.score == 0 && !alone.needsReview, "\(alone.feedback)")
        let inPlace = grade(4, "The Gram matrix stores the spatial layout of the strokes, so minimising it copies where each colour is.")
        #expect(inPlace.score <= 0.5 && inPlace.needsReview, "\(inPlace.feedback)")
        let beside = grade(4, "Gram matrices capture texture and colours regardless of position, and the output is made to match them, but they also store the spatial layout.")
        #expect(beside.score <= 0.5 && beside.needsReview, "\(beside.feedback)")
        let otherThing = grade(1, "Unlike the style loss, which compares with the painting, this one compares the output with the photo.")
        #expect(otherThing.score > 0 || otherThing.needsReview, "\(otherThing.feedback)")
    }

    /// A misconception named by one word alone ("maximises", "blends") may be said of
    /// something else: a person looks. Named by a phrase that says of what, it is sure.
    @Test func aMisconceptionByOneWordNeedsReview() {
        let similar = grade(1, "It makes the output as faithful to the photo as possible: the optimiser maximises how similar the two images' feature maps are.")
        #expect(similar.needsReview, "\(similar.feedback)")
        let blends = grade(11, "The total loss blends the content term with the style term, and the photo's features enter it at every step.")
        #expect(blends.needsReview, "\(blends.feedback)")
        let phrased = grade(1, "The optimiser maximises the content loss.")
        #expect(phrased.score == 0 && !phrased.needsReview && phrased.feedback.contains("which is wrong"), "\(phrased.feedback)")
    }

    /// What a sentence says of the other loss ("The style loss … the painting") is not said of
    /// the question's; said of the question's own loss, the misconception stands.
    @Test func theOtherLossIsNotTheSubject() {
        let other = grade(1, "The style loss is the one that matches the painting; this one compares the output with the photo.")
        #expect(other.score >= 0.33 && !other.feedback.contains("which is wrong"), "\(other.feedback)")
        let own = grade(1, "The content loss compares the output's features with the painting's, and it is minimised.")
        #expect(own.score <= 0.5 && own.feedback.contains("which is wrong"), "\(own.feedback)")
        let style = grade(4, "The content loss keeps the layout, while the style loss matches the painting's texture through Gram matrices.")
        #expect(!style.feedback.contains("which is wrong"), "\(style.feedback)")
    }

    /// A denial inside a phrase's `*` or `**` gap denies the phrase: "the loss does not
    /// discard the layout" is not "layout is dropped" (through `los* ** layout`), and "does
    /// not ignore where" is not "not * where"; the same phrases without the denial credit it.
    @Test func aDenialInsideAPhrasesGapDeniesIt() {
        let denied = grade(4, "The style loss doesn't discard the spatial layout; it keeps where every stroke is, not the correlations between channels.")
        #expect(denied.score == 0, "\(denied.feedback)")
        let ignore = grade(4, "It does not ignore where things are; it matches Gram matrices of texture.")
        #expect(!ignore.feedback.contains("covers “texture, colours and strokes (the style)”, “Gram matrices / channel correlations”, “regardless"), "\(ignore.feedback)")
        let kept = grade(4, "The style loss discards the spatial layout: it keeps only the correlations between channels, the texture, and the output is made to match them.")
        #expect(kept.score == 1, "\(kept.feedback)")
        let lost = grade(4, "Summed over positions, the layout is lost; Gram matrices keep the texture, and the output is made to match them.")
        #expect(lost.score == 1, "\(lost.feedback)")
    }

    /// Beside a misconception, a key idea credited in one place and denied in another is a
    /// contradiction: review, not a sure capped score.
    @Test func aMisconceptionBesideAnIdeaSaidAndDeniedNeedsReview() {
        let both = grade(4, "It copies texture and drops the layout, though it does not drop the layout really; the Gram matrix stores the positions of the strokes.")
        #expect(both.needsReview, "\(both.feedback)")
        let inPlace = grade(4, "It copies texture, and the Gram matrix stores the positions of the strokes.")
        #expect(inPlace.score <= 0.25 && inPlace.needsReview, "\(inPlace.feedback)")
    }

    /// Clear zeros: a bare keyword list and a general statement that refers to nothing the
    /// question speaks of, in general words, are a sure 0. (One with three words or more the
    /// question does not use, "… invented by LeCun … became popular …", stays with a person.) Answers in the student's own words that credit little
    /// or nothing, and refer to the question's things, stay with a person.
    @Test(arguments: [
        (1, "content loss minimise difference features photograph generated image deep layer structure"),
        (4, "Gram matrix, channel correlations, texture, style, spatial layout discarded, minimised, multiple layers"),
        (1, "Loss functions, in general, are used in machine learning to train models on data."),
        (8, "Neural networks are used in many areas of machine learning today."),
    ])
    func clearZerosAreSure(_ q: Int, _ answer: String) {
        let g = grade(q, answer)
        #expect(g.score == 0 && !g.needsReview, "\(g.feedback)")
    }

    @Test(arguments: [
        (1, "It scores how different the made-up image and the snapshot look to the network's later filters; gradient steps lower that score so that what is depicted, and where, survives"),
        (1, "It tells us how unlike the invented picture and the snapshot appear to the net, and each step of descent makes that smaller."),
        (11, "The snapshot is read by the network a single time up front, and that reading is what the made-up picture is held to on each round."),
        (4, "Gram matrices drop layout, keep texture"),
    ])
    func ownWordsAndNotesAreNotASureZero(_ q: Int, _ answer: String) {
        let g = grade(q, answer)
        #expect(g.score > 0 || g.needsReview, "\(g.feedback)")
    }
}
