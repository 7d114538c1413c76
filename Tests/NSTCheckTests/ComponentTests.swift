import Testing
import Foundation
@testable import NSTCheck
import NSTFormula
import NSTLayers

@Suite("Checker components")
struct ComponentTests {
    @Test func leastSquaresRecoversCoefficientsAndFlagsDependence() {
        let a = [1.0, 2, 3, 4, 5], b = [1.0, -1, 2, 0, 3]
        let target = zip(a, b).map { 2 * $0 - 0.5 * $1 }
        let fit = LeastSquares(columns: [a, b, zip(a, b).map { $0 + $1 }], target: target)
        #expect(abs(fit.coefficients[0] - 2) < 1e-12)
        #expect(abs(fit.coefficients[1] + 0.5) < 1e-12)
        #expect(fit.dependent == [2])
        #expect(fit.coefficients[2] == 0)
        #expect(fit.residualNorm < 1e-12)
        let off = LeastSquares(columns: [a], target: b)
        #expect(off.residualNorm > 0.5)
    }

    @Test func factorsAreNamedFromTheBindingsOfEveryDraw() {
        // atoms: 2, 3, N, M, α, β, w, η
        let draws: [[Double]] = [[2, 3, 7, 9, 1.7, 0.4, 2.3, 0.6], [2, 3, 5, 11, 0.5, 2.8, 1.4, 1.9], [2, 3, 8, 13, 2.2, 0.7, 0.45, 2.6]]
        func name(_ f: ([Double]) -> Double) -> String? { Factor.match(draws.map(f), atomValues: draws)?.text }
        #expect(name { _ in 1 } == "1")
        #expect(name { _ in -1 } == "−1")
        #expect(name { _ in 0.5 } == "½")
        #expect(name { _ in 0.25 } == "¼")
        #expect(name { _ in 4 } == "4")
        #expect(name { _ in 1.0 / 3 } == "1/3")
        #expect(name { _ in 1.5 } == "3/2")
        #expect(name { $0[2] * $0[3] } == "N·M")
        #expect(name { 1 / ($0[2] * $0[2] * $0[3] * $0[3]) } == "1/(N²·M²)")
        #expect(name { -1 / $0[7] } == "−1/η")
        #expect(name { 1 / ($0[4] * $0[7]) } == "1/(α·η)")
        #expect(name { $0[5] * $0[6] } == "β·w")
        #expect(name { 2 * $0[4] } == "2·α")
        #expect(name { _ in 0.731 } == nil)
        // A value that matches in one draw only is not a factor.
        #expect(Factor.match([7, 5, 9], atomValues: draws) == nil)
    }

    @Test func aTinyFactorIsAScaleNotAMissingTerm() throws {
        // β balanced up to 10⁷ (deep VGG layers): the style term written without β·w has a
        // coefficient of about 10⁻⁸, which is 1/(β·w), not zero.
        let draws: [[Double]] = [[2, 3, 512, 20, 1.7, 4e7, 2.3, 0.6], [2, 3, 512, 30, 0.5, 2.8e7, 1.4, 1.9], [2, 3, 512, 42, 2.2, 7e6, 0.45, 2.6]]
        let c = draws.map { 1 / ($0[5] * $0[6]) }
        let factor = try #require(Factor.match(c, atomValues: draws))
        #expect(factor.text == "1/(β·w)")
        let p = Problem.invalidShell(target: "total", draws: [], epsilon: 1, source: .random, detail: "")
        let d = Checker.describe("the style term", c, factor, p: p, whole: false)
        #expect(d.map(\.kind) == [.scale])
        #expect(d.first?.message == "the style term is 1/(β·w) times what it should be: it lacks the factor β·w")
        let missing = Checker.describe("the style term", [1e-13, -2e-13, 0], nil, p: p, whole: false)
        #expect(missing.map(\.kind) == [.missingTerm])
    }

    /// The reference, central differences of the engine's whole ContentLoss.forward and
    /// StyleLoss.forward, agrees with the engine's backward passes to within its own rounding
    /// bound at every entry, in every size regime, and that bound is small beside the gradient.
    @Test func lossDifferencesAgreeWithTheEnginesBackwardPasses() {
        for seed in [1, 2, 3] as [UInt64] {
            for index in 0..<3 {
                let d = Draw.random(seed: seed, index: index)
                #expect(d.differenced == Array(0..<d.F.count), "small draws are differenced at every entry")
                let exact = [ContentLoss.backward(d.F, d.P).storage, StyleLoss.backward(d.F, d.A).storage]
                for (n, (mine, bound)) in [(d.contentGradient, d.contentError), (d.styleGradient, d.styleError)].enumerated() {
                    let theirs = exact[n], scale = theirs.map(abs).max()!
                    for k in mine.indices {
                        #expect(abs(mine[k] - theirs[k]) <= bound[k], "seed \(seed) draw \(index) loss \(n) entry \(k)")
                        #expect(bound[k] <= 1e-12 * scale, "seed \(seed) draw \(index) loss \(n) entry \(k): bound \(bound[k])")
                    }
                }
            }
        }
    }

    /// A bug in the engine's loss shows in the reference: differences of a content loss that
    /// forgets the ½ are twice the gradient, so the key F − P is judged wrong against them.
    @Test func theReferenceFollowsTheLossItDifferences() {
        let d = Draw.random(seed: 4, index: 0)
        let doubled = LossDifferences.differences(F: d.F, entries: d.sample) { 2 * ContentLoss.forward($0, d.P) }
        let exact = ContentLoss.backward(d.F, d.P).storage
        for k in d.sample { #expect(abs(doubled.values[k] - 2 * exact[k]) <= doubled.errors[k]) }
    }

    @Test func jsonHasEveryKeyWithNullsForAbsentValues() throws {
        let report = Checker().check(target: .styleLayer, answer: "F*(G - A)")
        let object = try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as! [String: Any]
        for key in ["verdict", "max_rel_error", "diagnosis", "shape", "expected_shape", "echo", "message", "error_rendering", "error_column",
                    "worst", "reference", "target", "bindings", "bindings_detail", "seed", "draws", "eps", "dtype", "tolerance",
                    "checked_entries"] {
            #expect(object.keys.contains(key), "\(key)")
        }
        #expect(object["max_rel_error"] is NSNull)
        #expect(object["verdict"] as? String == "invalid")
        #expect((object["error_rendering"] as? String)?.contains("F*(G - A)\n ^\n") == true)
        // The column the caret marks, as data (the quiz's grader reads it, never the message).
        #expect(report.errorColumn == 2)
        #expect(object["error_column"] as? Int == 2)
        let decoded = try JSONDecoder().decode(CheckReport.self, from: Data(report.json.utf8))
        #expect(decoded.verdict == .invalid)
        #expect(decoded.diagnosis == report.diagnosis)
    }

    @Test func reportsAreReproducibleAndSeedsChangeTheDraws() {
        let a = Checker(options: CheckOptions(seed: 11)).check(target: .total, answer: "alpha*(F - P)")
        let b = Checker(options: CheckOptions(seed: 11)).check(target: .total, answer: "alpha*(F - P)")
        let c = Checker(options: CheckOptions(seed: 12)).check(target: .total, answer: "alpha*(F - P)")
        #expect(a.json == b.json)
        #expect(a.json != c.json)
        #expect(a.draws == 3 && a.seed == 11 && a.dtype == "Double" && a.bindings == .random)
    }

    @Test func oneDrawIsEnoughToJudgeButEveryDrawIsChecked() {
        for draws in [1, 2, 5] {
            let r = Checker(options: CheckOptions(draws: draws)).check(target: .contentLayer, answer: "F - P")
            #expect(r.verdict == .correct)
            #expect(r.draws == draws)
        }
    }

    @Test func customLosses() {
        let checker = Checker()
        #expect(checker.check(loss: "sum((F - P).*(F - P))/2", wrt: "F", answer: "F - P").verdict == .correct)
        #expect(checker.check(loss: "sum((F - P).*(F - P))/2", wrt: "P", answer: "P - F").verdict == .correct)
        #expect(checker.check(loss: "tr((G - A)*(G - A))/(4*N^2*M^2)", wrt: "F", answer: "(G - A)*F/(N^2*M^2)").verdict == .correct)
        #expect(checker.check(loss: "sum(G .* A)", wrt: "F", answer: "2*A*F").verdict == .correct)
        // ∂ tr(A·B)/∂A = Bᵀ for a non-symmetric B: the transpose is diagnosed on a square shape.
        let t = checker.check(loss: "tr(A*F*P')", wrt: "A", answer: "F*P'")
        #expect(t.verdict == .incorrect)
        #expect(t.diagnosis.contains { $0.kind == .transposed })
        #expect(checker.check(loss: "tr(A*F*P')", wrt: "A", answer: "P*F'").verdict == .correct)
        let half = checker.check(loss: "sum(F .* F)", wrt: "F", answer: "F")
        #expect(half.diagnosis.contains { $0.kind == .scale && $0.message.contains("½") })
        #expect(checker.check(loss: "F", wrt: "F", answer: "F").verdict == .invalid)
        #expect(checker.check(loss: "sum(F", wrt: "F", answer: "F").diagnosis.first?.kind == .parseError)
        #expect(checker.check(loss: "sum(F)/(N - N)", wrt: "F", answer: "F").diagnosis.first?.kind == .evaluationError)
        #expect(checker.check(loss: "sum(F)", wrt: "G", answer: "F").verdict == .invalid)
    }

    @Test func echoListsEachSymbolWithItsShape() {
        let r = Checker().check(target: .styleLayer, answer: "(G - A)*F/(N^2*M^2)")
        let lines = r.echo.split(separator: "\n").map(String.init)
        #expect(lines[0] == "(G − A)·F / (N²·M²)   (N×M)")
        #expect(lines.contains { $0.hasPrefix("  G: N×N = ") && $0.hasSuffix("F·Fᵀ, the Gram matrix of F") })
        #expect(lines.contains { $0.hasPrefix("  M: scalar") })
        #expect(!lines.contains { $0.hasPrefix("  P:") })
        #expect(r.shape == r.expectedShape)
    }

    @Test func worstEntryIsReportedWithBothValues() {
        let r = Checker().check(target: .contentLayer, answer: "P - F")
        let w = try! #require(r.worst)
        #expect(abs(w.answer + w.reference) < 1e-10)
        // |a − r| / (|a| + |r|) = 1 for a = −r, less the reference's rounding bound.
        #expect(abs(r.maxRelError! - 1) < 1e-12)
    }

    @Test func wrongShapesThatAreNotTheTranspose() {
        let scalar = Checker().check(target: .contentLayer, answer: "sum(F - P)")
        #expect(scalar.verdict == .incorrect)
        #expect(scalar.diagnosis.first?.message.contains("a scalar") == true)
        let square = Checker().check(target: .styleLayer, answer: "(G - A)/(N^2*M^2)")
        #expect(square.verdict == .incorrect)
        #expect(square.diagnosis.map(\.kind) == [.shape])
    }
}
