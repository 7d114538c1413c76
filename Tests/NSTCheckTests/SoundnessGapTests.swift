import Testing
import Foundation
import NSTCheck
import NSTVGG

/// The single-formula checker's soundness gaps of issue 27 (item 8): lucky passes refused or
/// failed, a flipped term named a sign error, exact --loss gradients never rejected.
@Suite("Checker soundness gaps")
struct SoundnessGapTests {
    static func check(_ target: CheckTarget, _ answer: String, seed: UInt64 = 0, draws: Int = 3) -> CheckReport {
        Checker(options: CheckOptions(seed: seed, draws: draws)).check(target: target, answer: answer)
    }

    @Test("sizes compared inside a matrix, and the parity of a size, are refused as hard-coded",
          arguments: ["F - P + step((N*M-100000)*F).*F", "F - P + relu((M-1000)*F)", "(F - P)*(-1)^M", "(F - P)*(-1)^(N*M)"])
    func sizesInsideAMatrix(_ answer: String) {
        let r = Self.check(.contentLayer, answer)
        #expect(r.verdict == .invalid, "\(answer): \(r.message)")
        #expect(r.diagnosis.first?.kind == .hardCoded, "\(answer): \(r.diagnosis)")
    }

    @Test("values beyond 1 and a tolerance set from the reference's accuracy: these are wrong",
          arguments: ["F - P + relu(F.*F - F)", "F - P + relu(P.*P - P)", "F - P + 1e-9*F", "F - P + 1e-8*P"])
    func luckyPasses(_ answer: String) {
        for seed: UInt64 in [0, 1, 2] {
            let r = Self.check(.contentLayer, answer, seed: seed)
            #expect(r.verdict == .incorrect, "\(answer) seed \(seed): \(r.message)")
        }
    }

    @Test("exact answers still pass at the tighter tolerance", arguments: [
        (CheckTarget.contentLayer, "F - P"), (.styleLayer, "(G - A)*F/(N^2*M^2)"), (.styleLayer, "(F*F' - A)*F/(N^2*M^2)"),
        (.total, "alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2)"),
        (.update, "F - eta*(alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2))"),
    ])
    func exactAnswers(_ target: CheckTarget, _ answer: String) {
        for seed: UInt64 in 0..<5 {
            let r = Self.check(target, answer, seed: seed)
            #expect(r.verdict == .correct, "\(answer) seed \(seed): \(r.message)")
            #expect(r.tolerance <= 1e-9)
        }
    }

    @Test("a decimal equal to 1/(N²M²) in the only draw is hard-coded")
    func decimalSizes() {
        let checker = Checker(options: CheckOptions(seed: 4, draws: 1))
        let probe = checker.check(target: .styleLayer, answer: "(G - A)*F/(N^2*M^2)")
        #expect(probe.verdict == .correct)
        // The draw's sizes, from the report's shape "N×M = n×m".
        let sizes = probe.shape!.split(separator: "=").last!.trimmingCharacters(in: .whitespaces).split(separator: "×").map { Double($0)! }
        let literal = String(1 / (sizes[0] * sizes[0] * sizes[1] * sizes[1]))
        let r = checker.check(target: .styleLayer, answer: "(G - A)*F*\(literal)")
        #expect(r.verdict == .invalid, "\(literal): \(r.message)")
        #expect(r.diagnosis.first?.kind == .hardCoded)
        #expect(r.message.contains("1/"))
    }

    @Test("a term with its sign flipped is a sign error, not an extra term", arguments: [
        (CheckTarget.contentLayer, "F + P"), (.styleLayer, "(G + A)*F/(N^2*M^2)"),
    ])
    func flippedTerm(_ target: CheckTarget, _ answer: String) {
        let r = Self.check(target, answer)
        #expect(r.verdict == .incorrect)
        #expect(r.diagnosis.first?.kind == .sign, "\(answer): \(r.diagnosis)")
        #expect(!r.diagnosis.contains { $0.kind == .extraTerm }, "\(answer): \(r.diagnosis)")
    }

    @Test("--loss: an exact gradient is never rejected, whatever the seed (the reference's rounding is bounded)")
    func customLossExact() throws {
        let weights = VGGWeights<Float>.random(architecture: .vgg16, channels: [8, 8, 12], seed: 5)
        let source = try VGGActivations(weights: weights, preprocessing: .caffe, layer: "relu2_1", modelName: "random test weights")
        for seed: UInt64 in 0..<12 {
            for checker in [Checker(options: CheckOptions(seed: seed)),
                            Checker(options: CheckOptions(seed: seed, bindings: .model), activations: source)] {
                let r = checker.check(loss: "sum((G-A).*(G-A))/(4*N^2*M^2)", wrt: "F", answer: "(G-A)*F/(N^2*M^2)")
                #expect(r.verdict == .correct, "seed \(seed) \(r.bindings): \(r.message)")
                let wrong = checker.check(loss: "sum((G-A).*(G-A))/(4*N^2*M^2)", wrt: "F", answer: "(G-A)*F/(N^2*M^2)*1.000001")
                #expect(wrong.verdict == .incorrect, "seed \(seed) \(r.bindings): \(wrong.message)")
            }
        }
    }

    @Test("a layer the model does not have is an error, not random data")
    func missingLayer() {
        let weights = VGGWeights<Float>.random(architecture: .vgg16, channels: [8, 8, 12], seed: 5)
        #expect(throws: CheckSetupError.self) {
            _ = try VGGActivations(weights: weights, preprocessing: .caffe, layer: "relu5_4", modelName: "VGG16 test weights")
        }
    }
}
