import Foundation
import Testing
@testable import NSTQuiz

/// The second look at worded grades (`AnswerScrutiny`): claims off the question's subject,
/// key words strung into a sentence's shape, claims the answer refutes or denies across an
/// aside, contradictory or taken-back verdicts, choices argued against by their reasons, and
/// roles swapped earn nothing sure — and correct, ordinary answers keep their sure grade.
@Suite struct AnswerScrutinyTests {
    let bank = BankParser().parse(contentsOf: Paths.bank).bank!
    let grader = QuizGrader(formula: KeyEqualityGrader.forShippedBank())

    func grade(_ number: Int, _ answer: String) -> Grade { grader.grade(bank.question(number)!, answer: answer) }

    struct Case: Sendable, CustomStringConvertible {
        var question: Int, answer: String, atMost: Double
        var description: String { "Q\(question): \(answer.prefix(60))" }
    }

    /// Each scores at most `atMost` of the points, and is marked needs review.
    @Test(arguments: [
        // Off the subject: the question's words in a story about something else.
        Case(question: 1, answer: "At the garage the mechanic compares the finished car with the photograph in the brochure, and the scratches are minimised so the content of the catalogue is kept.", atMost: 0.2),
        Case(question: 4, answer: "The orchestra copies the texture of the rival band regardless of where the violins sit; the conductor correlates the tempo with the audience.", atMost: 0.2),
        Case(question: 11, answer: "In the kitchen my aunt uses the photograph of the cake at every step of the baking, and once before starting as the target icing; the content is the sponge.", atMost: 0.2),
        // Key words strung together.
        Case(question: 4, answer: "The correlation of the texture is the gram of the regardless of the layout, and the match of the minimised.", atMost: 0.25),
        Case(question: 8, answer: "It is the forward pass of the Gram matrices of the conv4_2 of the activations of the no training.", atMost: 0.25),
        // Refuted by the next sentence; denied across an aside.
        Case(question: 4, answer: "Lecturers say it matches texture through Gram matrices regardless of position. Nonsense. It copies the photograph's layout exactly.", atMost: 0.25),
        Case(question: 1, answer: "It does not, contrary to the slides, compare the generated image's features with the photograph's and get minimised; it just sharpens edges.", atMost: 0.34),
        // Contradictory, taken back, or argued against.
        Case(question: 10, answer: "false true false true", atMost: 0),
        Case(question: 12, answer: "choice: first\nSorry, I meant the second: it has the big curls, from conv4_1 and conv5_1.", atMost: 0.25),
        Case(question: 10, answer: "I can't call it true: a painting has to be part of ImageNet before its style can be read.", atMost: 0),
        Case(question: 9, answer: "answer: false\nOn second thought, true: the network must first be trained on many triples.", atMost: 0),
        Case(question: 9, answer: "People say false; they are wrong. The network has to be trained on such triples before it can stylise.", atMost: 0),
        Case(question: 12, answer: "choice: first\nThe second image has the large crests, which need the deeper layers and their larger receptive fields.", atMost: 0.25),
        // Roles swapped.
        Case(question: 8, answer: "Run it forward once; for the content take the Gram matrices of conv1_1 to conv5_1, and for the style the raw maps of conv4_2.", atMost: 0.25),
        Case(question: 1, answer: "It compares the generated image with the photograph in feature space and is minimised; its job is to make the output take on the painting's brushstrokes.", atMost: 0.5),
    ])
    func earnsNothingSure(_ c: Case) {
        let g = grade(c.question, c.answer)
        #expect(g.score / g.max <= c.atMost + 0.005, "\(c): scored \(g.score): \(g.feedback)")
        #expect(g.needsReview, "\(c): \(g.feedback)")
    }

    /// Correct answers with asides, negations, participles and other options named in passing:
    /// full marks, sure.
    @Test(arguments: [
        Case(question: 1, answer: "It is not, strictly speaking, the pixels that are compared, but the feature maps of the two images, and the optimiser minimises that distance.", atMost: 1),
        Case(question: 4, answer: "The style loss compares the Gram matrices, which record which filters fire together summed over all positions, so the very first layer gives colours and the deeper ones texture; it is minimised.", atMost: 1),
        Case(question: 8, answer: "Pass the image forward through the trained, frozen network once; take conv4_2's feature maps for the content, and for the style compute the Gram matrices at conv1_1 to conv5_1.", atMost: 1),
        Case(question: 9, answer: "False. The weights are not, in fact, updated: VGG is pretrained on ImageNet and only the image is optimised.", atMost: 1),
        Case(question: 11, answer: "Once before optimising, to compute its feature maps as the content target, and then at every step in the content loss.", atMost: 1),
        Case(question: 10, answer: "answer: true\nActually it is true for any painting: only its Gram statistics are needed, and nothing is trained; the image is optimised.", atMost: 1),
        Case(question: 12, answer: "choice: first\nUnlike the second, it shows the large wave crests, which need the deeper layers with larger receptive fields.", atMost: 1),
    ])
    func correctAnswersStaySure(_ c: Case) {
        let g = grade(c.question, c.answer)
        #expect(g.score == g.max, "\(c): scored \(g.score): \(g.feedback)")
        #expect(!g.needsReview, "\(c): \(g.feedback)")
    }

    /// The second look leaves every model answer's grade (full marks) as the matcher gave it.
    @Test func modelAnswersUntouched() {
        for q in bank.questions where q.kind != .formula {
            let answer = q.kind == .choice ? "choice: \(q.answers[0])\n" + q.model : q.model
            let g = grader.grade(q, answer: answer)
            #expect(g.score == g.max, "Q\(q.number): \(g.score), \(g.feedback)")
            #expect(g == grader.gradeAsWritten(q, answer: answer), "Q\(q.number): \(g.feedback)")
        }
    }

    /// A short partial answer with words no idea accounts for is a suggestion; one whose every
    /// word is accounted for stays sure.
    @Test func shortPartialAnswers() {
        let own = grade(1, "Pulls the output toward the photo's layout; optimisation shrinks it.")
        #expect(own.score < own.max && own.needsReview, "\(own.feedback)")
        let plain = grade(1, "It compares the two images.")
        #expect(plain.score < plain.max && !plain.needsReview, "\(plain.feedback)")
    }

    @Test func contradictoryVerdictLists() {
        #expect(AnswerScrutiny.contradictoryVerdicts(AnswerText("true false true false")))
        #expect(AnswerScrutiny.contradictoryVerdicts(AnswerText("False, true.")))
        #expect(!AnswerScrutiny.contradictoryVerdicts(AnswerText("false")))
        #expect(!AnswerScrutiny.contradictoryVerdicts(AnswerText("True or false?")))
        #expect(!AnswerScrutiny.contradictoryVerdicts(AnswerText("False: it is not true that you need triples.")))
        let g = grade(9, "true false true false")
        #expect(g.score == 0 && g.verdict == .review && g.needsReview)
    }

    @Test func firstOrSecondIsNoChoice() {
        let g = grade(12, "first or second")
        #expect(g.score == 0 && g.needsReview)
    }

    /// The answer rebuilt without some words keeps its clauses, sentences and questions.
    @Test func rebuildKeepsStructure() {
        let text = AnswerText("It compares features, and it is minimised. Does it keep layout? Yes.")
        #expect(AnswerScrutiny.rebuild(text, without: []) == "it compares features, and it is minimised. does it keep layout? yes.")
        let without = Set(text.words.indices.filter { text.words[$0].sentence == 1 })
        #expect(AnswerScrutiny.rebuild(text, without: without) == "it compares features, and it is minimised. yes.")
        #expect(AnswerScrutiny.rebuild(AnswerText(""), without: []) == "")
    }

    /// Malformed and degenerate inputs: no crash, no credit.
    @Test(arguments: ["the", "the the the", "not,", ",,, not , ,", "of the of the", "choice: first\nsorry", "answer: false\nwrong.", "Wrong. Wrong."])
    func degenerateInputs(_ answer: String) {
        for q in bank.questions where q.kind != .formula {
            let g = grader.grade(q, answer: answer)
            #expect(g.score <= q.points / 2 + 0.005, "Q\(q.number) \(answer): \(g.score)")
        }
    }
}
