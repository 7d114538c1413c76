import Testing
import NSTCheck

/// The judgments issue 4 requires, and many more: verdict and diagnosis kinds.
@Suite("Checker judgments")
struct JudgmentTests {
    struct Case: CustomStringConvertible, Sendable {
        var target: CheckTarget
        var answer: String
        var verdict: Verdict
        var kinds: [DiagnosisKind] = []
        /// Text the message and the diagnoses' messages together must contain.
        var says: [String] = []
        var description: String { "\(target.rawValue) \"\(answer)\"" }
    }

    static let cases: [Case] = [
        // Required by the issue.
        Case(target: .contentLayer, answer: "F - P", verdict: .correct),
        Case(target: .contentLayer, answer: "P - F", verdict: .incorrect, kinds: [.sign]),
        Case(target: .styleLayer, answer: "(G - A)*F/(N^2*M^2)", verdict: .correct),
        Case(target: .styleLayer, answer: "(F'*(G-A))'/(N^2*M^2)", verdict: .correct),
        Case(target: .styleLayer, answer: "F'*(G - A)/(N^2*M^2)", verdict: .incorrect, kinds: [.transposed]),
        Case(target: .styleLayer, answer: "(G - A)*F/(2*N^2*M^2)", verdict: .incorrect, kinds: [.scale]),
        Case(target: .styleLayer, answer: "F*(G - A)", verdict: .invalid, kinds: [.shapeError]),
        Case(target: .update, answer: "F - eta*alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2)", verdict: .incorrect, kinds: [.sign, .scale]),
        // Content.
        Case(target: .contentLayer, answer: "F − P", verdict: .correct),
        Case(target: .contentLayer, answer: "-(P - F)", verdict: .correct),
        Case(target: .contentLayer, answer: "2*(F - P)", verdict: .incorrect, kinds: [.scale]),
        Case(target: .contentLayer, answer: "(F - P)/2", verdict: .incorrect, kinds: [.scale]),
        Case(target: .contentLayer, answer: "F", verdict: .incorrect, kinds: [.missingTerm]),
        Case(target: .contentLayer, answer: "F + P", verdict: .incorrect, kinds: [.sign]),   // the term −P flipped
        Case(target: .contentLayer, answer: "step(F).*(F - P)", verdict: .incorrect, kinds: [.mask]),
        Case(target: .contentLayer, answer: "(F - P)'", verdict: .incorrect, kinds: [.transposed]),
        Case(target: .contentLayer, answer: "sum(F - P)", verdict: .incorrect, kinds: [.shape]),
        Case(target: .contentLayer, answer: "alpha*(F - P)", verdict: .incorrect, kinds: [.scale]),
        Case(target: .contentTotal, answer: "F - P", verdict: .correct),
        Case(target: .contentLayer, answer: "F - Q", verdict: .invalid, kinds: [.shapeError]),
        Case(target: .contentLayer, answer: "F - P)", verdict: .invalid, kinds: [.parseError]),
        Case(target: .contentLayer, answer: "(F - P)/(N - N)", verdict: .invalid, kinds: [.evaluationError]),
        Case(target: .contentLayer, answer: "0*F", verdict: .incorrect, kinds: [.missingTerm]),
        Case(target: .contentLayer, answer: "N*M*(F - P)/N/M", verdict: .correct),
        Case(target: .contentLayer, answer: "-(F - P)/(3*N)", verdict: .incorrect, kinds: [.sign, .scale]),
        Case(target: .styleLayer, answer: "(A - G)*F/(N^2*M^2) + 2*(G - A)*F/(N^2*M^2)", verdict: .correct),
        Case(target: .styleLayer, answer: "(G - A)*P/(N^2*M^2)", verdict: .incorrect, kinds: [.missingTerm, .extraTerm]),
        Case(target: .styleLayer, answer: "(G - A)*(G - A)*F/(N^2*M^2)", verdict: .incorrect, kinds: [.unexplained]),
        Case(target: .contentLayer, answer: "relu(F - P)", verdict: .incorrect, kinds: [.unexplained]),
        Case(target: .update, answer: "alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2)", verdict: .incorrect, kinds: [.missingTerm, .sign, .scale]),
        Case(target: .update, answer: "F - alpha*(F - P) - beta*w*(G - A)*F/(N^2*M^2)", verdict: .incorrect, kinds: [.scale]),
        // Style.
        Case(target: .styleLayer, answer: "(G - A)·F / (N²·M²)", verdict: .correct),
        Case(target: .styleLayer, answer: "(G - A)'*F/(N^2*M^2)", verdict: .correct, kinds: [.indistinguishable]),
        Case(target: .styleLayer, answer: "(F*F' - A)*F/N^2/M^2", verdict: .correct),
        Case(target: .styleLayer, answer: "(G - A)*F/(4*N^2*M^2)", verdict: .incorrect, kinds: [.scale]),
        Case(target: .styleLayer, answer: "(G - A)*F", verdict: .incorrect, kinds: [.scale]),
        Case(target: .styleLayer, answer: "(A - G)*F/(N^2*M^2)", verdict: .incorrect, kinds: [.sign]),
        Case(target: .styleLayer, answer: "G*F/(N^2*M^2)", verdict: .incorrect, kinds: [.missingTerm]),
        Case(target: .styleLayer, answer: "step(F).*((G - A)*F)/(N^2*M^2)", verdict: .incorrect, kinds: [.mask]),
        Case(target: .styleLayer, answer: "(G - A)*F/(N*M)", verdict: .incorrect, kinds: [.scale]),
        Case(target: .styleTotal, answer: "w*(G - A)*F/(N^2*M^2)", verdict: .correct),
        Case(target: .styleTotal, answer: "(G - A)*F/(N^2*M^2)", verdict: .incorrect, kinds: [.scale]),
        Case(target: .styleTotal, answer: "w*F'*(G - A)/(N^2*M^2)", verdict: .incorrect, kinds: [.transposed]),
        // Total and update.
        Case(target: .total, answer: "alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2)", verdict: .correct),
        Case(target: .total, answer: "α(F − P)", verdict: .invalid, kinds: [.parseError]),
        Case(target: .total, answer: "alpha*(F - P)", verdict: .incorrect, kinds: [.missingTerm]),
        Case(target: .total, answer: "alpha*(F - P) - beta*w*(G - A)*F/(N^2*M^2)", verdict: .incorrect, kinds: [.sign]),
        Case(target: .total, answer: "alpha*(F - P) + w*(G - A)*F/(N^2*M^2)", verdict: .incorrect, kinds: [.scale]),
        Case(target: .total, answer: "(F - P) + beta*w*(G - A)*F/(N^2*M^2)", verdict: .incorrect, kinds: [.scale]),
        Case(target: .update, answer: "F - eta*(alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2))", verdict: .correct),
        Case(target: .update, answer: "F - eta*alpha*(F - P) - eta*beta*w*(G - A)*F/(N^2*M^2)", verdict: .correct),
        Case(target: .update, answer: "F + eta*(alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2))", verdict: .incorrect, kinds: [.sign]),
        Case(target: .update, answer: "-eta*(alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2))", verdict: .incorrect, kinds: [.missingTerm]),
    ]

    /// The required judgments hold whatever the seed.
    @Test(arguments: [2, 3, 4, 5] as [UInt64])
    func requiredJudgmentsOnOtherSeeds(_ seed: UInt64) {
        for c in Self.cases.prefix(8) {
            let report = Checker(options: CheckOptions(seed: seed)).check(target: c.target, answer: c.answer)
            #expect(report.verdict == c.verdict, "seed \(seed), \(c): \(report.message)")
            for k in c.kinds { #expect(report.diagnosis.contains { $0.kind == k }, "seed \(seed), \(c): \(report.diagnosis)") }
        }
    }

    @Test(arguments: cases)
    func judged(_ c: Case) {
        let report = Checker().check(target: c.target, answer: c.answer)
        #expect(report.verdict == c.verdict, "\(c): \(report.message) \(report.diagnosis)")
        let kinds = report.diagnosis.map(\.kind)
        for k in c.kinds { #expect(kinds.contains(k), "\(c): expected \(k) in \(report.diagnosis)") }
        if c.verdict == .correct {
            #expect(report.maxRelError! <= 1e-7)
            #expect(!kinds.contains { $0 != .indistinguishable })
        }
    }
}
