import Testing
import NSTCheck
import NSTVGG
import Foundation

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
        #expect(a.layer == "relu2_1")
        // Odd-numbered draws come from the nearest layer with other channels: N changes too.
        #expect(b.generated.shape == [8, 30])
        #expect(b.layer == "relu1_1")
        #expect(a.content.storage.max() == 1.5)       // not 1: P.*P − P is not ≤ 0 everywhere
        #expect(a.generated.storage.contains(0))     // ReLU output: zeros make the mask visible
        #expect(throws: (any Error).self) {
            _ = try VGGActivations(weights: .random(architecture: .vgg16, channels: [8, 8, 12]), preprocessing: .caffe,
                                   layer: "relu3_1", modelName: "test")
        }
    }
}

/// The required judgments on the installed model's real activations (skipped when no model
/// was fetched: `nst model fetch`).
/// The installed model's weights, loaded once for every test that needs them.
enum InstalledModel {
    static let weights: (VGGWeights<Float>, Preprocessing)? = (try? VGGActivations.installedWeights()).flatMap { $0 }
}

@Suite("Checker on the installed model", .enabled(if: InstalledModel.weights != nil, "skipped: no model installed at ~/.cache/nst/models — run `nst model fetch` to run it"))
struct InstalledModelTests {
    static var weights: (VGGWeights<Float>, Preprocessing)? { InstalledModel.weights }

    /// Features made once per layer, seed and draw, shared by every target's check and by
    /// every layer whose odd draws come from the same partner layer.
    final class CachedSource: ActivationSource, @unchecked Sendable {
        nonisolated(unsafe) static var shared: [String: DrawFeatures] = [:]
        static let lock = NSLock()
        let source: VGGActivations
        init(_ source: VGGActivations) { self.source = source }
        var description: String { source.description }
        func features(seed: UInt64, index: Int) throws -> DrawFeatures {
            let key = "\(source.layer(forDraw: index)) \(seed) \(index)"
            Self.lock.lock()
            let cached = Self.shared[key]
            Self.lock.unlock()
            if let cached { return cached }
            let f = try source.features(seed: seed, index: index)
            Self.lock.lock()
            Self.shared[key] = f
            Self.lock.unlock()
            return f
        }
    }

    static let keys: [(CheckTarget, String)] = [
        (.contentLayer, "F - P"), (.contentTotal, "F - P"),
        (.styleLayer, "(G - A)*F/(N^2*M^2)"), (.styleTotal, "w*(G - A)*F/(N^2*M^2)"),
        (.total, "alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2)"),
        (.update, "F - eta*(alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2))"),
    ]

    /// Every target's key is correct at every layer of VGG16 (convolutions, ReLUs, poolings)
    /// with three seeds, and a wrong answer is still refused at the first layer of each block.
    @Test(arguments: VGGArchitecture.vgg16.layers.map(\.name))
    func everyKeyAtEveryLayerWithThreeSeeds(_ layer: String) throws {
        let (weights, preprocessing) = try #require(Self.weights)
        do {
            let source = CachedSource(try VGGActivations(weights: weights, preprocessing: preprocessing, layer: layer, modelName: "vgg16"))
            for seed in [1, 2, 3] as [UInt64] {
                let checker = Checker(options: CheckOptions(seed: seed, bindings: .model), activations: source)
                for (target, key) in Self.keys {
                    let r = checker.check(target: target, answer: key)
                    #expect(r.bindings == .model)
                    #expect(r.verdict == .correct, "\(layer) seed \(seed) \(target.rawValue): \(r.message) \(r.diagnosis)")
                }
                if layer.hasPrefix("relu") && layer.hasSuffix("_1") {
                    let wrong = checker.check(target: .styleLayer, answer: "(G - A)*F/(2*N^2*M^2)")
                    #expect(wrong.verdict == .incorrect, "\(layer) seed \(seed): \(wrong.message)")
                }
            }
        }
    }

    @Test func requiredJudgments() throws {
        let source = try #require(try VGGActivations.installed(layer: "relu1_1"))
        let checker = Checker(options: CheckOptions(bindings: .model), activations: source)
        let cases: [(CheckTarget, String, Verdict, DiagnosisKind?)] = [
            (.contentLayer, "F - P", .correct, nil), (.contentLayer, "P - F", .incorrect, .sign),
            (.styleLayer, "(G - A)*F/(N^2*M^2)", .correct, nil), (.styleLayer, "(F'*(G-A))'/(N^2*M^2)", .correct, nil),
            (.styleLayer, "F'*(G - A)/(N^2*M^2)", .incorrect, .transposed), (.styleLayer, "(G - A)*F/(2*N^2*M^2)", .incorrect, .scale),
            (.styleLayer, "F*(G - A)", .invalid, .shapeError),
            (.update, "F - eta*alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2)", .incorrect, .sign),
            // Issue 19: N is 64 in the odd draws at relu1_1, 128 in the even ones (relu2_1).
            (.styleLayer, "(G - A)*F/(4096*M^2)", .incorrect, .hardCoded),
            (.contentLayer, "F - P + step(F - 0.7*step(F)).*F", .incorrect, nil),
        ]
        for c in cases {
            let r = checker.check(target: c.0, answer: c.1)
            #expect(r.bindings == .model)
            #expect(r.expectedShape.hasPrefix("N×M = 64×"))
            #expect(r.verdict == c.2, "\(c.1): \(r.message)")
            if let k = c.3 { #expect(r.diagnosis.contains { $0.kind == k }, "\(c.1): \(r.diagnosis)") }
        }
        // With one draw N is 64 throughout: 4096 is N² in every draw, refused rather than passed.
        let one = Checker(options: CheckOptions(draws: 1, bindings: .model), activations: source)
        let hard = one.check(target: .styleLayer, answer: "(G - A)*F/(4096*M^2)")
        #expect(hard.verdict == .invalid)
        #expect(hard.message.contains("you wrote 4096; that is N² here at relu1_1: write N^2"), "\(hard.message)")
    }

    @Test func customLossesAtADeepLayer() throws {
        let source = try #require(try VGGActivations.installed(layer: "relu3_1"))
        let checker = Checker(options: CheckOptions(bindings: .model), activations: source)
        let r = checker.check(loss: "sum((G - A).*(G - A))/(4*N^2*M^2)", wrt: "F", answer: "(G - A)*F/(N^2*M^2)")
        #expect(r.verdict == .correct, "\(r.message)")
        let wrong = checker.check(loss: "sum((G - A).*(G - A))/(4*N^2*M^2)", wrt: "F", answer: "(G - A)*F/(2*N^2*M^2)")
        #expect(wrong.verdict == .incorrect)
    }
}
