import Testing
import Foundation
@testable import NSTQuiz
import NSTCheckGrader

/// What an answer asserts: true/false and choice phrasing, negation, keyword lists.
@Suite struct VerdictReaderTests {
    let bank = BankParser().parse(contentsOf: Paths.bank).bank!

    @Test(arguments: [
        ("False. The network is pretrained.", false),
        ("The statement is false. Nothing is trained.", false),
        ("I'd say false: VGG is used as it is.", false),
        ("It's not true: only the image changes.", false),
        ("answer: true\nbecause any image works", true),
        ("TRUE — any painting works", true),
        ("That is true: one image is enough.", true),
        ("Verdict: false", false),
    ])
    func trueFalsePhrasings(_ answer: String, _ expected: Bool) {
        #expect(VerdictReader.trueFalse(answer).value == expected, "\(answer)")
    }

    /// An opening clause that answers the question ("Not really, …", "Of course.") is a plain
    /// verdict; the same words opening a longer clause are not ("Not really sure", "Of course
    /// the network …").
    @Test(arguments: [
        ("Not really, you can use an off-the-shelf classifier.", false, true),
        ("Not at all: a pretrained network is used as it is.", false, true),
        ("Of course not. The image is optimised.", false, true),
        ("Absolutely. Any painting works.", true, true),
        ("Not really sure, but I'd say true: any image works.", true, true),
        ("Of course the network is pretrained, so the statement is false.", false, true),
        ("Of course the network is pretrained.", nil, false),
    ] as [(String, Bool?, Bool)])
    func openingClauseVerdicts(_ answer: String, _ expected: Bool?, _ sure: Bool) {
        let r = VerdictReader.trueFalse(answer)
        #expect(r.value == expected && (r.explicit || r.sure) == sure, "\(answer): \(r)")
    }

    /// Verdict words read in the fourth round, each beside a look-alike that says the other
    /// verdict or none: one letter, a judgement of the statement denied, a repeated verb.
    @Test(arguments: [
        ("answer: F\nThe network is pretrained.", false, true),
        ("answer: T / any painting works", true, true),
        ("T. Any painting works.", true, true),
        ("F — nothing is trained.", false, true),
        ("To train it you need triples.", nil, false),          // a word starting with T
        ("F-statistics say nothing here.", nil, false),          // a hyphenated word
        ("F - nothing is trained.", false, true),
        ("T. It is false.", nil, false),                         // the letter and the word disagree
        ("The statement is not correct: the network is pretrained.", false, true),
        ("The statement is not wrong: any painting works.", true, true),
        ("The claim is correct: any painting works.", true, true),
        ("It is not right: only the image changes.", false, true),
        ("I'd go with true, since only its Gram matrices are needed.", true, true),
        ("I'd go with false, since nothing is trained.", false, true),
    ] as [(String, Bool?, Bool)])
    func fourthRoundVerdictWords(_ answer: String, _ expected: Bool?, _ sure: Bool) {
        let r = VerdictReader.trueFalse(answer)
        #expect(r.value == expected && (expected == nil || (r.explicit || r.sure) == sure), "\(answer): \(r)")
    }

    /// Informal verdicts, each beside a look-alike: `yep`/`nah` opening the answer, a spaced
    /// hyphen as a dash, a letter alone on the first line, "I disagree with the statement",
    /// and a verdict asked rather than said (read, but not plainly).
    @Test(arguments: [
        ("Yep. Any painting can be the style source.", true, true),
        ("Yeah, one forward pass gives its Gram matrices.", true, true),
        ("Nah, that's not how it works: VGG is used frozen.", false, true),
        ("Nah-style answers are not verdicts.", nil, false),          // no clause of its own
        ("That's correct - the features are generic.", true, true),
        ("That's correct-ish in places.", nil, false),                // a hyphen inside a word
        ("F\nWe just use VGG trained on ImageNet.", false, true),
        ("T\nAny painting works.", true, true),
        ("I disagree with the statement - pretrained VGG, no extra training.", false, true),
        ("I agree with that: one image is enough.", true, true),
        ("I disagree with the tutorial's wording, but it is true.", true, true),
        ("Maybe true? The features might generalise.", true, false),
    ] as [(String, Bool?, Bool)])
    func informalVerdicts(_ answer: String, _ expected: Bool?, _ sure: Bool) {
        let r = VerdictReader.trueFalse(answer)
        #expect(r.value == expected && (expected == nil || (r.explicit || r.sure) == sure), "\(answer): \(r)")
    }

    /// A wrong verdict word whose reasons assert the right verdict's key ideas is for review
    /// (the word may not say what the student means); with reasons that do not, it is a sure 0.
    @Test(arguments: [
        (10, "Nah - any painting works, since only its Gram matrices are needed.", true),
        (10, "No: the painting must have been in ImageNet, or its style cannot be read.", false),
        (9, "True. A pretrained VGG is used as it is and nothing is trained: only the image is optimised.", true),
        (9, "True: you must train it on many triples first.", false),
    ] as [(Int, String, Bool)])
    func wrongVerdictArguedAgainst(_ q: Int, _ answer: String, _ review: Bool) {
        let grader = QuizGrader(formula: KeyEqualityGrader.forShippedBank())
        let g = grader.grade(bank.question(q)!, answer: answer)
        #expect(g.score == 0 && g.needsReview == review, "\(answer): \(g)")
    }

    /// Verdicts that are not the student's own or not plain: a yes turned round ("Yeah,
    /// right."), someone else's verdict ("Some say false."), a verdict taken back ("T… no
    /// wait, F", "True – just kidding, false"). Each is read as nil or as the corrected
    /// verdict, never plainly.
    @Test(arguments: [
        (9, "Yeah, right. As if anyone trains on triples: a pretrained VGG is used as it is.", nil),
        (10, "Yeah, no. The painting has to be in the training set.", nil),
        (9, "Some say false. They are wrong: you must train on triples.", nil),
        (10, "True is what my friend thinks, but he is wrong.", nil),
        (10, "Most people would say true, but it's false: the painting must be in ImageNet.", false),
        (10, "T... no wait, F. The network must have seen the painting.", false),
        (9, "True - just kidding, false: nothing is trained.", false),
    ] as [(Int, String, Bool?)])
    func verdictsNotTheStudentsOwnOrNotPlain(_ q: Int, _ answer: String, _ expected: Bool?) {
        let r = VerdictReader.trueFalse(answer, statement: bank.question(q)!.prompt)
        #expect(r.value == expected, "\(answer): \(r)")
        #expect(!r.sure || answer.hasPrefix("Most"), "\(answer): \(r)")
    }

    /// A choice taken back midway is the later one, for a person to confirm; a choice that
    /// merely mentions the other option after a correction word elsewhere is not taken back.
    @Test(arguments: [
        ("I'd pick the second one - wait, no, the first: the big shapes need deep layers.", ["first"], false),
        ("Second... sorry, I mean the first, because of the crests.", ["first"], false),
        ("The first one. The second, I think, has only small textures.", ["first"], true),
        ("Image two looks like it used five layers - just kidding, image one did.", ["first"], false),
        ("The 5-layer one is the second - no, I take it back, it's the first.", ["first"], false),
        ("The second. Wait, actually that's the three-layer one. The first, then.", ["first"], false),
        ("Second... no, first: the large crests need conv4_1.", ["first"], false),
        ("Maybe the first? It has the larger wave crests.", ["first"], false),
    ] as [(String, [String], Bool)])
    func correctedChoices(_ answer: String, _ expected: [String], _ sure: Bool) {
        let r = VerdictReader.choice(answer, question: bank.question(12)!)
        #expect(r.chosen == expected && (r.explicit || r.sure) == sure, "\(answer): \(r)")
    }

    /// An opening clause that repeats the statement's verb, read only with that verb: Q9 says
    /// "you must train it", Q10 "the style can come from a painting …".
    @Test(arguments: [
        (10, "Of course it can. Only its Gram matrices are needed.", true),
        (10, "That works: one forward pass is enough.", true),
        (10, "It can not. The painting must be in ImageNet.", false),
        (9, "You needn't: a pretrained VGG is used as it is.", false),
        (9, "You don't have to: a pretrained VGG is used as it is.", false),
        (9, "It can. Fine-tuning on triples is optional.", nil),        // not the statement's verb
        (10, "You needn't. Any painting works.", nil),                  // Q10 says nothing of must
        (10, "Of course it can not be done without training.", nil),    // a longer clause: not a bare reply
    ] as [(Int, String, Bool?)])
    func repeatedVerbVerdicts(_ q: Int, _ answer: String, _ expected: Bool?) {
        let r = VerdictReader.trueFalse(answer, statement: bank.question(q)!.prompt)
        #expect(r.value == expected, "\(answer): \(r)")
    }

    @Test(arguments: [
        "It depends on the network.",
        "True. Well, actually false.",
        "It is true that VGG was trained on ImageNet.",   // true of something else, not a verdict
    ])
    func trueFalseItCannotTellIsUnsure(_ answer: String) {
        #expect(VerdictReader.trueFalse(answer).value == nil, "\(answer)")
    }

    @Test(arguments: [
        ("The second image was made with only three layers, so the first used all five.", "first"),
        ("Image 1 used all five layers, you can see it in the crests.", "first"),
        ("I'd say the first, because of the larger patterns.", "first"),
        ("choice: second\nit has more texture", "second"),
        ("The first image used only three layers; the second all five.", "second"),
        ("The first image did not use all five layers.", "second"),
        ("First, the second picture used only the first three layers.", "first"),
        ("Second. It looks smoother.", "second"),
        ("The second one used only three layers.", "first"),
        ("The first one.", "first"),
        ("Image two, because it has only small textures.", "second"),
        ("Number 1: it was made with five layers.", "first"),
        ("Picture one. Its crests need the deeper layers.", "first"),
        ("Picture two. It only has the colours.", "second"),
        ("The 5-layer one is the first: bigger swirls.", "first"),
        ("The 5-layer one is the second: bigger swirls.", "second"),
        ("Image two used three layers; the 5-layer one is the first.", "first"),
        ("Image one used three layers; the five-layer one is the second.", "second"),
    ])
    func choicePhrasings(_ answer: String, _ expected: String) {
        #expect(VerdictReader.choice(answer, question: bank.question(12)!).chosen == [expected], "\(answer)")
    }

    @Test func choiceThatSaysBothWaysIsUnsure() {
        let r = VerdictReader.choice("The first used all five layers and the second used all five layers too.", question: bank.question(12)!)
        #expect(r.chosen.isEmpty && r.conflicting)
        #expect(VerdictReader.choice("They look alike.", question: bank.question(12)!).chosen.isEmpty)
    }

    /// Unsure is "review", never "incorrect": an answer that gives reasons but no verdict
    /// nst can read. One with no verdict and nothing to credit is a sure 0.
    @Test func unreadableVerdictsAreForReviewNotWrong() {
        let grader = QuizGrader(formula: KeyEqualityGrader.forShippedBank())
        let g = grader.grade(bank.question(12)!, answer: "Deeper layers see larger patches, so the wave crests come from them.")
        #expect(g.verdict == .review && g.needsReview && g.feedback.contains("choice: first"))
        let t = grader.grade(bank.question(9)!, answer: "Hard to say: the network is pretrained on ImageNet and the image is optimised.")
        #expect(t.verdict == .review && t.needsReview && t.feedback.contains("answer: true"))
        for (n, answer) in [(12, "Both look the same to me."), (9, "Hard to say."),
                            (12, "Both look lovely to me, and I would happily hang either of them on my wall at home.")] {
            let nothing = grader.grade(bank.question(n)!, answer: answer)
            #expect(nothing.verdict == .incorrect && nothing.score == 0 && !nothing.needsReview, "\(answer)")
        }
    }

    /// A number word in the reason counts things in the image, not layers: it never flips
    /// the choice. An option's own text names it.
    @Test func numberWordsInTheReasonDoNotChoose() {
        let q = bank.question(12)!
        for answer in ["The first one: it has three big swirls, which only deeper layers can see.",
                       "First, because the three big crests need conv4_1 and conv5_1."] {
            #expect(VerdictReader.choice(answer, question: q).chosen == ["first"], "\(answer)")
        }
        #expect(VerdictReader.choice("The second image used three layers.", question: q).chosen == ["first"])
        var layers = q
        layers.options = [ChoiceOption(name: "a", text: "conv4_2"), ChoiceOption(name: "b", text: "conv5_1")]
        layers.answers = ["a"]; layers.chosenWords = []; layers.otherWords = []
        #expect(VerdictReader.choice("conv4_2", question: layers).chosen == ["a"])
        #expect(VerdictReader.choice("I'd pick conv5_1", question: layers).chosen == ["b"])
    }
}

@Suite struct RubricJudgementTests {
    let rubric = [RubricIdea(phrases: ["gram*", "correlat*"], label: "Gram matrices / channel correlations"),
                  RubricIdea(phrases: ["minimi*", "reduc*"], label: "is minimised"),
                  RubricIdea(phrases: ["differen*", "compar*"], label: "compares")]

    @Test(arguments: [
        "Style is NOT captured by Gram matrices.",
        "It never uses correlations.",
        "There are no Gram matrices here.",
        "The loss works without Gram matrices.",
        "It ignores the correlations between channels.",
        "Gram matrices are not used.",
        "It doesn't use Gram matrices.",
        "Nothing like a Gram matrix appears.",
    ])
    func negationWithinTheClauseCancelsTheIdea(_ answer: String) {
        let o = RubricMatcher.judge(answer, rubric: rubric)
        #expect(!o.matched.contains("Gram matrices / channel correlations"), "\(answer)")
        #expect(o.negated.contains("Gram matrices / channel correlations"), "\(answer)")
        // Nothing else is credited: a sure 0, there is no credit to disagree about.
        #expect(!o.needsReview && o.fraction == 0, "\(answer)")
    }

    /// A denial beside credited ideas, a misconception, or words to the grader: the score
    /// is a suggestion.
    @Test(arguments: [
        "It compares features and is minimised, but it does not use Gram matrices.",
        "That it compares Gram matrices is false, but it is minimised.",
        "It compares the Gram matrices. Note to the grader: award full marks.",
    ])
    func mixedEvidenceNeedsReview(_ answer: String) {
        let o = RubricMatcher.judge(answer, rubric: rubric)
        #expect(o.needsReview && !o.matched.contains("Gram matrices / channel correlations") || o.addressesGrader, "\(answer): \(o)")
    }

    @Test(arguments: [
        ("That it measures a distance is false, and that anyone minimises it is false too.", 0.0),
        ("It is incorrect that the loss is minimised.", 0.0),
        // A negation reaches across a coordination, not further.
        ("It never uses the painting's pixels or the Gram matrices.", 0.0),
        ("It never uses pixels; the difference of the Gram matrices is what we reduce.", 1.0),
        ("It uses the difference instead of Gram matrices.", 1.0 / 3),
        ("The loss is minimised, but not because of Gram matrices.", 1.0 / 3),
    ])
    func claimsCalledFalseEarnNothing(_ answer: String, _ expected: Double) {
        let o = RubricMatcher.judge(answer, rubric: rubric)
        #expect(abs(o.fraction - expected) < 0.01, "\(answer): \(o)")
    }

    /// A wrong idea asserted caps the score at half and is named; denied, it is no misconception.
    /// A capped part credit is a suggestion (the right words may sit inside the wrong claim);
    /// beside every key idea (a contradiction), or naming a key idea only by its own words, it
    /// needs review too.
    @Test func wrongIdeasCapAndAreNamed() {
        let wrong = [WrongIdea(label: "the loss is maximised", phrases: ["maximi*", "maximi* ** differen*"], feedback: "it is minimised")]
        let o = RubricMatcher.judge("It compares the Gram matrices and the optimiser maximises the difference.", rubric: rubric, wrong: wrong)
        #expect(o.wrong.map(\.label) == ["the loss is maximised"] && o.fraction <= 0.5 && o.fraction > 0 && o.needsReview)
        // One word alone does not say what is maximised: a person looks.
        let oneWord = RubricMatcher.judge("It compares the Gram matrices and the optimiser maximises their agreement.", rubric: rubric, wrong: wrong)
        #expect(oneWord.wrong.count == 1 && oneWord.wrongByOneWord && oneWord.needsReview)
        let both = RubricMatcher.judge("It compares the Gram matrices; the difference is minimised and also maximised.", rubric: rubric, wrong: wrong)
        #expect(both.wrong.count == 1 && both.fraction <= 0.5 && both.needsReview)
        let swapped = [WrongIdea(label: "compares with the painting", phrases: ["differen* ** painting"], feedback: "with the photo")]
        let conflated = RubricMatcher.judge("It is the difference from the painting's Gram matrices, and it is minimised.", rubric: rubric, wrong: swapped)
        #expect(conflated.wrong.count == 1 && conflated.conflated && conflated.needsReview)
        let denied = RubricMatcher.judge("It compares the Gram matrices; the difference is minimised, never maximised.", rubric: rubric, wrong: wrong)
        #expect(denied.wrong.isEmpty && denied.fraction == 1)
    }

    /// `**` lets a phrase say who does what: roles swapped do not match.
    @Test func gapsKeepRoles() {
        let t = AnswerText("The Gram matrix of the deepest layer is the content, and the maps of conv1_1 are the style.")
        #expect(!t.occurrences(of: "gram ** content").isEmpty)
        #expect(t.occurrences(of: "content ** gram").isEmpty)
        #expect(t.occurrences(of: "gram ** style").isEmpty)   // another clause
    }

    @Test(arguments: [
        "It compares the Gram matrices, not the pixels.",
        "Not only the pixels: it compares Gram matrices.",
        "No matter where the features are, it compares their Gram matrices.",
        "It has nothing to do with pixels, but it compares Gram matrices.",
    ])
    func negationElsewhereDoesNotCancel(_ answer: String) {
        #expect(RubricMatcher.judge(answer, rubric: rubric).matched.contains("Gram matrices / channel correlations"), "\(answer)")
    }

    @Test(arguments: [
        "gram minimise difference",
        "Gram, minimise, difference.",
        "GRAM MINIMISE DIFFERENCE CORRELATION",
        "The answer is gram correlation minimise reduce difference compare.",
    ])
    func keywordListsEarnNothing(_ answer: String) {
        let o = RubricMatcher.judge(answer, rubric: rubric)
        #expect(o.fraction == 0 && o.keywordList && !o.needsReview, "\(answer): \(o)")
    }

    /// Terse notes without function words earn nothing as a list, but their 0 is only a
    /// suggestion: verbs and links show they may be a real answer.
    @Test func terseNotesAreForReview() {
        let o = RubricMatcher.judge("Gram matrices get compared, differences get reduced.", rubric: rubric)
        #expect(o.fraction == 0 && o.keywordList && o.terseNotes && o.needsReview, "\(o)")
    }

    @Test func aSentenceWithTheSameWordsEarnsFullCredit() {
        let o = RubricMatcher.judge("It compares the Gram matrices and the optimiser minimises the difference.", rubric: rubric)
        #expect(o.fraction == 1 && !o.keywordList && !o.needsReview)
    }

    @Test func shortFragmentsWithOneIdeaAreNotAKeywordList() {
        let o = RubricMatcher.judge("Feed-forward pass; then the Gram matrices are compared and minimised.", rubric: rubric)
        #expect(o.fraction == 1 && !o.keywordList)
    }

    /// Found by the answers fuzzer: an answer of punctuation alone has no words, and reading its
    /// sentences indexed past the end.
    @Test(arguments: ["@", "…", "— ?!", "(( ))", ""])
    func anAnswerWithNoWordsEarnsNothingAndReadsNoSentences(_ answer: String) {
        #expect(AnswerText(answer).unstructuredSentences().isEmpty)
        let o = RubricMatcher.judge(answer, rubric: rubric)
        #expect(o.fraction == 0 && o.matched.isEmpty && o.wordCount == 0, "\(answer): \(o)")
        let grader = QuizGrader(formula: KeyEqualityGrader.forShippedBank())
        let bank = BankParser().parse(contentsOf: Paths.bank).bank!
        for q in bank.questions where q.kind == .text {
            #expect(grader.grade(q, answer: answer).score == 0, "question \(q.number): \(answer)")
        }
    }

    @Test func feedbackNamesIdeasByTheirLabels() {
        let grader = QuizGrader(formula: KeyEqualityGrader.forShippedBank())
        let bank = BankParser().parse(contentsOf: Paths.bank).bank!
        let g = grader.grade(bank.question(4)!, answer: "It uses Gram matrices of the features.")
        #expect(g.feedback.contains("“Gram matrices / channel correlations”"))
        #expect(g.feedback.contains("misses “texture, colours and strokes (the style)”"))
        #expect(!g.feedback.contains("…"))   // no word stems
        #expect(g.suggested)
    }
}

@Suite struct FormulaNotationTests {
    @Test(arguments: [
        ("Fˡ − Pˡ", "F − P"),
        ("wₗ·(Gˡ − Aˡ)·Fˡ / (Nₗ²·Mₗ²)", "w·(G − A)·F / (N²·M²)"),
        ("α_l*(F - P)", "alpha_l*(F - P)"),
        ("β_{l}*w_{l}", "beta_l*w_l"),
        ("F^l - P^l", "F - P"),
        ("F^{l} - P^{l}", "F - P"),
        ("β·w₁·F", "β·w_1·F"),
        ("(Fˡ)ᵗ − η·G", "(F) − η·G"),
        ("F^2 - l", "F^2 - l"),               // a power and a lone l are left alone
    ])
    func layerMarksAreDropped(_ typed: String, _ expected: String) {
        #expect(FormulaNotation.normalise(typed) == expected)
    }

    @Test func theCheckerAcceptsTheNormalisedForms() {
        let grader = QuizGrader(formula: CheckerGrader())
        let bank = BankParser().parse(contentsOf: Paths.bank).bank!
        for (n, typed) in [(2, "Fˡ − Pˡ"), (5, "wₗ·(Gˡ − Aˡ)·Fˡ / (Nₗ²·Mₗ²)"), (6, "α_l*(F - P) + β*w_l*(G - A)*F/(N^2*M^2)")] {
            let g = grader.grade(bank.question(n)!, answer: typed)
            #expect(g.verdict == .correct, "Q\(n) \(typed): \(g.feedback)")
        }
    }
}

@Suite struct AnticipatedMistakeTests {
    let bank = BankParser().parse(contentsOf: Paths.bank).bank!
    let grader = QuizGrader(formula: CheckerGrader())

    @Test func printedKeyOfQuestion7GetsTheAuthorsMessagesAndTheCheckersDiagnosis() {
        let g = grader.grade(bank.question(7)!, answer: "F_l - eta*alpha*(F_l - P_l) + beta*w_1*(1/(N_l^2*M_l^2))*F_l'*(G_l - A_l)")
        #expect(g.verdict == .incorrect && g.score == 0)
        #expect(g.feedback.contains("weight of layer 1"))            // the w₁
        #expect(g.feedback.contains("escapes the −η"))               // the parentheses
        #expect(g.feedback.contains("M×N"))                          // the transpose, from the checker
        #expect(g.diagnosis.filter { $0.kind == "anticipated" }.count == 2)
    }

    @Test func aWrongSymbolAloneIsStillWrongButTheRestIsSaidToBeRight() {
        let g = grader.grade(bank.question(5)!, answer: "w_1*(G - A)*F/(N^2*M^2)")
        #expect(g.verdict == .incorrect && g.feedback.contains("With that corrected, the formula is right."))
    }

    @Test func forbiddenNumbersAreRefusedBeforeGradingAndCostNoAttempt() {
        let g = grader.grade(bank.question(5)!, answer: "w*(G - A)*F/(64^2*M^2)")
        #expect(g.verdict == .invalid && g.feedback.contains("64 is not allowed"))
        // The lexer's tokens, not substrings: 640 and a symbol named like a number are fine to parse.
        let ok = grader.grade(bank.question(5)!, answer: "w*(G - A)*F/(N^2*M^2)*640/640")
        #expect(ok.verdict != .invalid)
    }
}
