import Testing
import Foundation
@testable import NSTCheck
import NSTFormula

/// `DerivationChecker`: the quiz key's derivations (the results issue 27 requires), their
/// corrections, and adversarial derivations (Examples/derivations/adversarial/expected.tsv).
@Suite("Derivation checking")
struct DerivationTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Examples/derivations")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
    }

    struct Expected: Sendable, CustomStringConvertible {
        var file: String
        var verdict: Verdict
        var row: Int?
        var kind: DiagnosisKind?
        var description: String { file }
    }

    /// The printed key, verbatim: Q2, Q3 correct; Q5 row 4 transposed; Q6 row 3 layer weight;
    /// Q7 row 2 parentheses.
    static let key: [Expected] = [
        Expected(file: "q2-content-layer.tex", verdict: .correct, row: nil, kind: nil),
        Expected(file: "q3-content-total.tex", verdict: .correct, row: nil, kind: nil),
        Expected(file: "q5-style-total.tex", verdict: .incorrect, row: 4, kind: .transposed),
        Expected(file: "q6-total.tex", verdict: .incorrect, row: 3, kind: .layerWeight),
        Expected(file: "q7-update.tex", verdict: .incorrect, row: 2, kind: .parentheses),
        Expected(file: "q2-content-layer-corrected.tex", verdict: .correct, row: nil, kind: nil),
        Expected(file: "q3-content-total-corrected.tex", verdict: .correct, row: nil, kind: nil),
        Expected(file: "q5-style-total-corrected.tex", verdict: .correct, row: nil, kind: nil),
        Expected(file: "q6-total-corrected.tex", verdict: .correct, row: nil, kind: nil),
        Expected(file: "q7-update-corrected.tex", verdict: .correct, row: nil, kind: nil),
    ]

    static func adversarial() throws -> [Expected] {
        let tsv = try text("adversarial/expected.tsv")
        return tsv.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let f = line.split(separator: "\t").map(String.init)
            return Expected(file: "adversarial/" + f[0], verdict: Verdict(rawValue: f[1])!, row: Int(f[2]),
                            kind: f[3] == "-" ? nil : DiagnosisKind(rawValue: f[3])!)
        }
    }

    func judge(_ e: Expected, seed: UInt64 = 0) throws {
        let report = DerivationChecker(options: DerivationOptions(seed: seed)).check(try Self.text(e.file))
        #expect(report.verdict == e.verdict, "\(e.file) seed \(seed): \(report.message)")
        #expect(report.firstWrongLine == e.row, "\(e.file) seed \(seed): \(report.message)")
        if let kind = e.kind {
            #expect(report.diagnosis.first?.kind == kind, "\(e.file) seed \(seed): \(report.diagnosis)")
        } else {
            #expect(report.diagnosis.isEmpty, "\(e.file): \(report.diagnosis)")
        }
        #expect(report.steps.count >= 1)
    }

    @Test("the quiz key's derivations and their corrections, on several seeds", arguments: key, [0, 1, 7] as [UInt64])
    func quizKey(_ e: Expected, seed: UInt64) throws {
        try judge(e, seed: seed)
    }

    @Test("adversarial derivations: valid alternatives, single slips, slips that cancel")
    func adversarialSet() throws {
        let cases = try Self.adversarial()
        #expect(cases.count >= 25)
        for c in cases { try judge(c) }
    }

    @Test("the report: a line per row, the first wrong row beside the one before, a 2×3 example")
    func reportText() throws {
        let report = DerivationChecker().check(try Self.text("q6-total.tex"))
        let text = report.text
        #expect(text.contains("✓ row 1:"))
        #expect(text.contains("✓ row 2:"))
        #expect(text.contains("✗ row 3:"))
        #expect(text.contains("INCORRECT at row 3"))
        #expect(text.contains("  row 2    │ "))
        #expect(text.contains("  row 3    │ "))
        #expect(text.contains("layer_weight: It writes w_1"))
        #expect(text.contains("Example (layer l with N = 2, M = 3):"))
        #expect(report.counterexample?.before?.count == 2)
        #expect(report.counterexample?.before?.first?.count == 3)
    }

    @Test("JSON: verdict, first_wrong_line (null when correct), diagnosis, steps with line, text, read_as, verdict, diagnosis")
    func json() throws {
        for (file, row) in [("q5-style-total.tex", 4), ("q2-content-layer.tex", 0)] {
            let data = Data(DerivationChecker().check(try Self.text(file)).json.utf8)
            let o = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            if row == 0 {
                #expect(o["verdict"] as? String == "correct")
                #expect(o["first_wrong_line"] is NSNull)
            } else {
                #expect(o["verdict"] as? String == "incorrect")
                #expect(o["first_wrong_line"] as? Int == row)
                #expect((o["diagnosis"] as? [[String: Any]])?.first?["kind"] as? String == "transposed")
            }
            let steps = try #require(o["steps"] as? [[String: Any]])
            #expect(steps.count == 4)
            for (k, s) in steps.enumerated() {
                #expect(s["line"] as? Int == k + 1)
                for key in ["text", "read_as", "verdict", "diagnosis"] { #expect(s[key] != nil, "\(key)") }
            }
        }
    }

    @Test("later rows: 'follows, carries the mistake' against 'undoes the mistake'")
    func laterRows() throws {
        let carried = DerivationChecker().check(try Self.text("adversarial/bad-content-scale-row2.tex"))
        #expect(carried.steps[2].note?.contains("carries the mistake of row 2") == true, "\(carried.steps[2])")
        let undone = DerivationChecker().check(try Self.text("adversarial/bad-cancel-sign-row2.tex"))
        #expect(undone.firstWrongLine == 2)
        #expect(undone.steps[2].equalsQuantity)
        #expect(undone.steps[2].note?.contains("undoes the mistake of row 2") == true, "\(undone.steps[2])")
    }

    @Test("--target: a left-hand side naming another quantity is wrong at row 1")
    func targetMismatch() throws {
        let report = DerivationChecker(options: DerivationOptions(target: .total)).check(try Self.text("q5-style-total.tex"))
        #expect(report.firstWrongLine == 1)
        #expect(report.diagnosis.first?.kind == .wrongSymbol)
    }

    @Test("unreadable input and unknown quantities are invalid, with the row and column")
    func invalid() {
        let bad = DerivationChecker().check("dL_total/dF[i*,j*] = (F[i*,j*]")
        #expect(bad.verdict == .invalid)
        #expect(bad.message.contains("row 1, line 1, column"))
        let unknown = DerivationChecker().check("F[i*,j*] = P[i*,j*]")
        #expect(unknown.verdict == .invalid)
        #expect(unknown.message.contains("does not name a quantity"))
    }

    @Test("a derivation too costly to evaluate is refused before any evaluation")
    func costBound() {
        let heavy = "dE_l/dF[i*,j*] = F[i*,j*]\n= sum(i, j, k, m: ((G*G*G*F)[i,j])*((A*A*A*F)[k,m])*F[i*,j*])\n"
        let report = DerivationChecker().check(heavy)
        #expect(report.verdict == .invalid)
        #expect(report.message.contains("the limit is"), "\(report.message)")
        #expect(DerivationChecker.cost(try! DerivationParser.parse(heavy).rows[1].expression) > DerivationChecker.maxRowCost)
    }

    @Test("the draws: three layers, l not the first, N ≠ M, odd and even sizes, distinct weights none near 1")
    func draws() {
        let draws = (0..<3).map { DerivationDraw.make(seed: 5, index: $0) }
        #expect(Set(draws.map(\.target.n)).count > 1 || Set(draws.map(\.target.m)).count > 1)
        #expect(draws.contains { $0.target.n % 2 == 1 } && draws.contains { $0.target.n % 2 == 0 || $0.target.m % 2 == 0 })
        for d in draws {
            #expect(d.layers.count == 3)
            #expect(d.star > 0)
            #expect(d.target.n != d.target.m)
            let weights = [d.alpha, d.beta, d.eta] + d.layers.map(\.w)
            #expect(Set(weights).count == weights.count)
            #expect(weights.allSatisfy { abs($0 - 1) > 0.2 })
            #expect(d.target.F.storage.contains { $0 > 1 })
        }
    }

    @Test("the quantities' central differences of the engine's losses agree with the engine's backward passes")
    func referenceAgrees() {
        let d = DerivationDraw.make(seed: 3, index: 1)
        for target in CheckTarget.allCases {
            let (fd, bound) = d.reference(target)
            let t = d.target
            let exact: [Double] = t.F.storage.indices.map { k in
                let content = t.contentGradient[k], style = t.styleGradient[k]
                switch target {
                case .contentLayer, .contentTotal: return content
                case .styleLayer: return style
                case .styleTotal: return t.w * style
                case .total: return d.alpha * content + d.beta * t.w * style
                case .update: return t.F.storage[k] - d.eta * (d.alpha * content + d.beta * t.w * style)
                }
            }
            for (a, b) in zip(fd, exact) { #expect(abs(a - b) <= 8 * bound + 1e-12 * max(1, abs(b)), "\(target)") }
        }
    }
}
