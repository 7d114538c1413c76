import Testing
import NSTCheck
import NSTVGG

/// The check on VGG activations (the engine's own forward pass) rather than random tensors.
/// The weights here are the engine's seeded random VGG-shaped weights with few channels, so
/// the test runs without a model file; `nst check` uses the installed model's.
@Suite("Checker on VGG activations")
struct ModelBindingsTests {
    static func checker() throws -> Checker {
        let weights = VGGWeights<Float>.random(architecture: .vgg16, channels: [8, 8, 12], seed: 5)
        let source = try VGGActivations(weights: weights, preprocessing: .caffe, layer: "relu2_1", modelName: "random test weights")
        return Checker(options: CheckOptions(seed: 3, bindings: .model), activations: source)
    }

    static let cases: [(CheckTarget, String, Verdict, DiagnosisKind?)] = [
        (.contentLayer, "F - P", .correct, nil),
        (.contentLayer, "P - F", .incorrect, .sign),
        (.contentLayer, "step(F).*(F - P)", .incorrect, .mask),
        (.styleLayer, "(G - A)*F/(N^2*M^2)", .correct, nil),
        (.styleLayer, "(F'*(G-A))'/(N^2*M^2)", .correct, nil),
        (.styleLayer, "F'*(G - A)/(N^2*M^2)", .incorrect, .transposed),
        (.styleLayer, "(G - A)*F/(2*N^2*M^2)", .incorrect, .scale),
        (.styleLayer, "F*(G - A)", .invalid, .shapeError),
        (.update, "F - eta*alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2)", .incorrect, .sign),
        (.update, "F - eta*(alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2))", .correct, nil),
        // β carries a large power of ten here: 1/(β·w) is a factor, not a missing term.
        (.total, "(F - P) + (G - A)*F/(N^2*M^2)", .incorrect, .scale),
        (.total, "alpha*(F - P)", .incorrect, .missingTerm),
    ]

    @Test(arguments: cases)
    func judged(_ c: (CheckTarget, String, Verdict, DiagnosisKind?)) throws {
        let report = try Self.checker().check(target: c.0, answer: c.1)
        #expect(report.bindings == .model)
        #expect(report.bindingsDetail.contains("relu2_1"))
        #expect(report.verdict == c.2, "\(c.1): \(report.message) \(report.diagnosis)")
        if let k = c.3 { #expect(report.diagnosis.contains { $0.kind == k }, "\(report.diagnosis)") }
        if c.3 == .scale { #expect(!report.diagnosis.contains { $0.kind == .missingTerm }, "\(report.diagnosis)") }
    }

    @Test func layerSizesAreTheNetworksAndMChangesBetweenDraws() throws {
        let source = try VGGActivations(weights: .random(architecture: .vgg16, channels: [8, 8, 12], seed: 5),
                                        preprocessing: .caffe, layer: "relu2_1", modelName: "test")
        let a = try source.features(seed: 1, index: 0), b = try source.features(seed: 1, index: 1)
        #expect(a.generated.shape == [12, 20])     // 8×10 pixels → pool1 → 4×5 positions
        #expect(b.generated.shape == [12, 30])
        #expect(a.content.storage.max() == 1)
        #expect(a.generated.storage.contains(0))     // ReLU output: zeros make the mask visible
        #expect(throws: (any Error).self) {
            _ = try VGGActivations(weights: .random(architecture: .vgg16, channels: [8, 8, 12]), preprocessing: .caffe,
                                   layer: "relu3_1", modelName: "test")
        }
    }
}

/// The required judgments on the installed model's real activations (skipped when no model
/// was fetched: `nst model fetch`).
@Suite("Checker on the installed model", .enabled(if: (try? VGGActivations.installed(layer: "relu1_1")) != nil))
struct InstalledModelTests {
    @Test func requiredJudgments() throws {
        let source = try #require(try VGGActivations.installed(layer: "relu1_1"))
        let checker = Checker(options: CheckOptions(bindings: .model), activations: source)
        let cases: [(CheckTarget, String, Verdict, DiagnosisKind?)] = [
            (.contentLayer, "F - P", .correct, nil), (.contentLayer, "P - F", .incorrect, .sign),
            (.styleLayer, "(G - A)*F/(N^2*M^2)", .correct, nil), (.styleLayer, "(F'*(G-A))'/(N^2*M^2)", .correct, nil),
            (.styleLayer, "F'*(G - A)/(N^2*M^2)", .incorrect, .transposed), (.styleLayer, "(G - A)*F/(2*N^2*M^2)", .incorrect, .scale),
            (.styleLayer, "F*(G - A)", .invalid, .shapeError),
            (.update, "F - eta*alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2)", .incorrect, .sign),
        ]
        for c in cases {
            let r = checker.check(target: c.0, answer: c.1)
            #expect(r.bindings == .model)
            #expect(r.expectedShape.hasPrefix("N×M = 64×"))
            #expect(r.verdict == c.2, "\(c.1): \(r.message)")
            if let k = c.3 { #expect(r.diagnosis.contains { $0.kind == k }, "\(c.1): \(r.diagnosis)") }
        }
    }
}
