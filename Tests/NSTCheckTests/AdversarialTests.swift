import Testing
import NSTCheck

/// Unusual answers (issue 19): lucky passes refused, right answers accepted, and each mistake
/// named as what it is. Random bindings; the model's cases are in ModelBindingsTests.
@Suite("Checker against adversarial answers")
struct AdversarialTests {
    typealias Case = JudgmentTests.Case

    static let cases: [Case] = [
        // Lucky passes: terms that vanish at some sizes, entries wrong outside a sample.
        Case(target: .contentLayer, answer: "F - P + step(N - 9)*F", verdict: .invalid, kinds: [.hardCoded], says: ["step(N − 9)"]),
        Case(target: .contentLayer, answer: "F - P + step(M - 50)*G*F", verdict: .invalid, kinds: [.hardCoded]),
        Case(target: .contentLayer, answer: "F - P + relu(alpha - 1)*F", verdict: .invalid, kinds: [.hardCoded]),
        Case(target: .contentLayer, answer: "F - P + step(F - 0.7*step(F)).*F", verdict: .incorrect),
        Case(target: .contentLayer, answer: "F - P + step(F - 0.95*step(F)).*F", verdict: .incorrect),
        Case(target: .styleLayer, answer: "(G - A)*F/(N^2*M^2) + step(F - 0.9*step(F)).*F", verdict: .incorrect),
        // Sizes: N < M in some draws and N > M in others.
        Case(target: .styleLayer, answer: "(G - A)*F/(N^2*N^2)", verdict: .incorrect, kinds: [.scale]),
        // Leading minus.
        Case(target: .contentLayer, answer: "-(P - F)", verdict: .correct),
        Case(target: .contentLayer, answer: "-P+F", verdict: .correct),
        // Missing vs extra, named by the side that lacks the term.
        Case(target: .contentLayer, answer: "F", verdict: .incorrect, kinds: [.missingTerm], says: ["lacks the gradient's term −P"]),
        Case(target: .contentLayer, answer: "-P", verdict: .incorrect, kinds: [.missingTerm], says: ["+F"]),
        Case(target: .contentLayer, answer: "F - P + G*F", verdict: .incorrect, kinds: [.extraTerm], says: ["extra term +G·F"]),
        // update: the step starts from F, fitted on F, P and the style term separately.
        Case(target: .update, answer: "P - eta*(alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2))", verdict: .incorrect,
             kinds: [.missingTerm, .extraTerm], says: ["lacks the term +F", "extra term +P"]),
        // Factors: 2⁴, M⁴ (a precedence slip), α/β swapped.
        Case(target: .styleLayer, answer: "(G - A)*F/N^2*M^2", verdict: .incorrect, kinds: [.scale], says: ["M⁴"]),
        Case(target: .styleLayer, answer: "(G - A)*F/(16*N^2*M^2)", verdict: .incorrect, kinds: [.scale], says: ["1/16"]),
        Case(target: .styleLayer, answer: "(G - A)*F/(N^3*M)", verdict: .incorrect, kinds: [.scale], says: ["M/N"]),
        Case(target: .total, answer: "beta*(F - P) + alpha*w*(G - A)*F/(N^2*M^2)", verdict: .incorrect, kinds: [.scale], says: ["β/α", "α/β"]),
        // A mask on one term.
        Case(target: .total, answer: "alpha*step(F).*(F - P) + beta*w*(G - A)*F/(N^2*M^2)", verdict: .incorrect, kinds: [.mask], says: ["the content term carries a ReLU mask"]),
        Case(target: .total, answer: "alpha*(F - P) + beta*w*step(F).*((G - A)*F)/(N^2*M^2)", verdict: .incorrect, kinds: [.mask], says: ["the style term carries a ReLU mask"]),
    ]

    @Test(arguments: cases)
    func judged(_ c: Case) {
        for seed in [1, 2, 3] as [UInt64] {
            let report = Checker(options: CheckOptions(seed: seed)).check(target: c.target, answer: c.answer)
            #expect(report.verdict == c.verdict, "seed \(seed) \(c): \(report.message) \(report.diagnosis)")
            let kinds = report.diagnosis.map(\.kind)
            for k in c.kinds { #expect(kinds.contains(k), "seed \(seed) \(c): expected \(k) in \(report.diagnosis)") }
            let text = report.message + " " + report.diagnosis.map(\.message).joined(separator: " | ")
            for s in c.says { #expect(text.contains(s), "seed \(seed) \(c): expected “\(s)” in \(text)") }
            if c.verdict == .correct { #expect(report.checkedEntries == report.expectedShape.split(separator: "=").last.map { $0.split(separator: "×").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.reduce(1, *) }) }
        }
    }

    @Test func everyEntryOfEveryDrawIsCompared() {
        let r = Checker().check(target: .styleLayer, answer: "(G - A)*F/(N^2*M^2)")
        let dims = r.expectedShape.split(separator: "=")[1].split(separator: "×").map { Int($0.trimmingCharacters(in: .whitespaces))! }
        #expect(r.checkedEntries == dims[0] * dims[1])
    }

    @Test func sizesStraddleEachOtherAndTheConstants() {
        var ns: [Int] = [], ms: [Int] = []
        for seed in [1, 2, 3] as [UInt64] {
            let r = Checker(options: CheckOptions(seed: seed, draws: 3)).check(target: .contentLayer, answer: "F - P")
            #expect(r.verdict == .correct)
            #expect(r.bindingsDetail.contains("N < M, N > M"))
        }
        // Read the sizes back through the shape of a transposed answer in each draw.
        for draws in 1...3 {
            let r = Checker(options: CheckOptions(seed: 5, draws: draws)).check(target: .contentLayer, answer: "F - P")
            let dims = r.expectedShape.split(separator: "=")[1].split(separator: "×").map { Int($0.trimmingCharacters(in: .whitespaces))! }
            ns.append(dims[0]); ms.append(dims[1])
        }
        #expect(ns[0] < ms[0])
    }

    @Test func customLossesThatUsedToFail() {
        let checker = Checker()
        // A constant term never enters the differences.
        let constant = checker.check(loss: "sum(F.*F) + 1e8", wrt: "F", answer: "2*F")
        #expect(constant.verdict == .correct, "\(constant.message) \(constant.diagnosis)")
        // relu's kink at the exact zeros of F: those entries are left out, and said so.
        let relu = checker.check(loss: "sum(relu(F))", wrt: "F", answer: "step(F)")
        #expect(relu.verdict == .correct, "\(relu.message) \(relu.diagnosis)")
        #expect(relu.diagnosis.contains { $0.kind == .notDifferentiable })
        #expect(!relu.diagnosis.contains { $0.kind == .mask })
        // A kink near (not at) the drawn values is resolved with a smaller step.
        let near = checker.check(loss: "sum(relu(F - P))", wrt: "F", answer: "step(F - P)")
        #expect(near.verdict == .correct, "\(near.message) \(near.diagnosis)")
        #expect(checker.check(loss: "sum(relu(F - P))", wrt: "F", answer: "step(F)").verdict == .incorrect)
        let style = checker.check(loss: "sum((G - A).*(G - A))/(4*N^2*M^2)", wrt: "F", answer: "(G - A)*F/(N^2*M^2)")
        #expect(style.verdict == .correct, "\(style.message)")
        // A pathological product within the length limits: a seeded sample of entries within
        // a fixed budget of operations, said so; a heavier one is refused before it runs.
        func balanced(_ xs: ArraySlice<String>) -> String {
            xs.count == 1 ? xs.first! : "(\(balanced(xs.prefix(xs.count / 2)))*\(balanced(xs.suffix(xs.count - xs.count / 2))))"
        }
        let heavy = checker.check(loss: "sum(\(balanced(Array(repeating: "G/99", count: 64)[...])))", wrt: "F", answer: "F")
        #expect(heavy.verdict == .incorrect)
        #expect(heavy.reference.contains("at a seeded sample of the entries"), "\(heavy.reference)")
        let heavier = checker.check(loss: "sum(\(balanced(Array(repeating: "G/99", count: 200)[...])))", wrt: "F", answer: "F")
        #expect(heavier.verdict == .invalid)
        #expect(heavier.message.contains("operations per evaluation"), "\(heavier.message)")
    }

    @Test func nestedTransposesGiveOneNote() {
        var inner = "(G - A)"
        for _ in 0..<48 { inner = "(\(inner))'" }
        let answer = "\(inner)*F/(N^2*M^2)"
        #expect(answer.count <= 2000)
        let r = Checker().check(target: .styleLayer, answer: answer)
        #expect(r.verdict == .correct, "\(r.message)")
        #expect(r.diagnosis.filter { $0.kind == .indistinguishable }.count == 1, "\(r.diagnosis)")
    }

    @Test func aNumberEqualToASizeInEveryDrawIsRefused() {
        // One draw: N, M are fixed, so M could be typed as a number. Draw 1 of seed 1 is the
        // first of the cycle (N small, M large).
        let probe = Checker(options: CheckOptions(draws: 1)).check(target: .contentLayer, answer: "F - P")
        let m = Int(probe.expectedShape.split(separator: "×").last!.trimmingCharacters(in: .whitespaces))!
        let r = Checker(options: CheckOptions(draws: 1)).check(target: .contentLayer, answer: "(F - P)*M/\(m)")
        #expect(r.verdict == .invalid)
        #expect(r.diagnosis.first?.kind == .hardCoded)
        #expect(r.message.contains("you wrote \(m); that is M here: write M"), "\(r.message)")
    }
}
