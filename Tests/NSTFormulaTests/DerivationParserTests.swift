import Testing
import Foundation
@testable import NSTFormula

/// The derivation parser: the quiz's LaTeX and the plain form, read as trees; malformed input
/// refused with row, line, column, what was expected and a fix.
@Suite("Derivation parsing")
struct DerivationParserTests {
    static func read(_ s: String) throws -> Derivation { try DerivationParser.parse(s) }

    static var examples: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Examples/derivations")
    }

    @Test("the quiz key's five derivations parse, with the rows the key prints",
          arguments: [("q2-content-layer.tex", 4), ("q3-content-total.tex", 4), ("q5-style-total.tex", 4), ("q6-total.tex", 3), ("q7-update.tex", 2)])
    func quizKey(_ file: String, _ rows: Int) throws {
        let text = try String(contentsOf: Self.examples.appendingPathComponent(file), encoding: .utf8)
        let d = try Self.read(text)
        #expect(d.notation == .latex)
        #expect(d.rows.count == rows)
    }

    struct Reading: Sendable, CustomStringConvertible {
        var input: String
        var display: String
        var description: String { input }
    }

    /// How single expressions are read (as row 2 of a chain).
    static let readings: [Reading] = [
        Reading(input: "F_{i^*j^*}^l - P_{i^*j^*}^l", display: "Fˡ[i*,j*] − Pˡ[i*,j*]"),
        Reading(input: "F^l_{ij}", display: "Fˡ[i,j]"),
        Reading(input: "F[i*,j*] - P[i*,j*]", display: "Fˡ[i*,j*] − Pˡ[i*,j*]"),
        Reading(input: "\\frac{1}{2} \\sum_{i,j} (F_{ij}^l - P_{ij}^l)^2", display: "1 / 2·(Σ_{i,j} (Fˡ[i,j] − Pˡ[i,j])²)"),
        Reading(input: "\\sum_{l \\in L} w_l E_l", display: "Σ_{l∈L} w_l·E_l"),
        Reading(input: "w_1 \\frac{1}{N_l^2 M_l^2} (F^l)^T (G^l - A^l)", display: "w_1·(1 / (N_l²·M_l²))·Fˡᵀ·(Gˡ − Aˡ)"),
        Reading(input: "\\frac{\\partial}{\\partial F_{i^*j^*}^l} \\left( \\alpha L_{content} + \\beta L_{style} \\right)",
                display: "∂/∂Fˡ[i*,j*] (α·L_content + β·L_style)"),
        Reading(input: "\\frac{\\partial L_{content}^l}{\\partial F_{i^*j^*}^l}", display: "∂/∂Fˡ[i*,j*] (L_contentˡ)"),
        Reading(input: "d/dF[i*,j*] (1/2 * sum(i, j: (F[i,j] - P[i,j])^2))", display: "∂/∂Fˡ[i*,j*] (1 / 2·(Σ_{i,j} (Fˡ[i,j] − Pˡ[i,j])²))"),
        Reading(input: "dL_total/dF[i*,j*]", display: "∂/∂Fˡ[i*,j*] (L_total)"),
        Reading(input: "\\sum_{i} \\delta_{i i^*} F_{ij^*}^l", display: "Σ_{i} δ[i,i*]·Fˡ[i,j*]"),
        Reading(input: "(F_{i^*j^*}^l)^{t+1}", display: "(Fˡ[i*,j*])ᵗ⁺¹"),
        Reading(input: "(F_{i^*j^*}^l)^t - \\eta (F_{i^*j^*}^l - P_{i^*j^*}^l)", display: "(Fˡ[i*,j*])ᵗ − η·(Fˡ[i*,j*] − Pˡ[i*,j*])"),
        Reading(input: "\\sum_k F_{ik}^l F_{jk}^l", display: "Σ_{k} Fˡ[i,k]·Fˡ[j,k]"),
        Reading(input: "F_{ij}^{1}", display: "F^1[i,j]"),
        Reading(input: "L_{content}(\\vec{p}, \\vec{x})", display: "L_content"),
        Reading(input: "\\frac{1}{4N_l^2M_l^2}", display: "1 / (4·N_l²·M_l²)"),
    ]

    @Test("expressions are read as written", arguments: readings)
    func reading(_ r: Reading) throws {
        let d = try Self.read("dE_l/dF[i*,j*] = F[i*,j*]\n= \(r.input)")
        #expect(d.rows[1].expression.display == r.display)
    }

    @Test("a one-row-per-line aligned block, comments and blank lines in the plain form")
    func layout() throws {
        let latex = try Self.read("$$\\begin{aligned}\n\\frac{\\partial E_l}{\\partial F_{i^*j^*}^l} &= F_{i^*j^*}^l \\\\\n &= P_{i^*j^*}^l \\\\\n &= N_l\n\\end{aligned}$$")
        #expect(latex.rows.map(\.number) == [1, 2, 3])
        #expect(latex.rows.map(\.line) == [2, 3, 4])
        let plain = try Self.read("# my derivation\ndE_l/dF[i*,j*] = F[i*,j*]\n\n= P[i*,j*]\n")
        #expect(plain.notation == .plain)
        #expect(plain.rows.count == 2)
        #expect(plain.rows[1].line == 4)
    }

    struct Bad: Sendable, CustomStringConvertible {
        var input: String
        var row: Int?
        var line: Int
        var column: Int
        var message: String
        var description: String { input }
    }

    static let bad: [Bad] = [
        Bad(input: "", row: nil, line: 1, column: 1, message: "empty"),
        Bad(input: "F[i*,j*]", row: 1, line: 1, column: 1, message: "no '='"),
        Bad(input: "dE_l/dF[i*,j*] = F[i*,j*]\nP[i*,j*]", row: 2, line: 2, column: 1, message: "no '='"),
        Bad(input: "dE_l/dF[i*,j*] = F[i*,j*]\nF = P[i*,j*]", row: 2, line: 2, column: 1, message: "before '='"),
        Bad(input: "dE_l/dF[i*,j*] = F[i*,j*] = P", row: 1, line: 1, column: 27, message: "more than one '='"),
        Bad(input: "dE_l/dF[i*,j*] = (F[i*,j*]", row: 1, line: 1, column: 27, message: "expected ')'"),
        Bad(input: "dE_l/dF[i*,j*] = F[i*,j*])", row: 1, line: 1, column: 26, message: "unmatched"),
        Bad(input: "dE_l/dF[i*,j*] = Q", row: 1, line: 1, column: 18, message: "unknown symbol 'Q'"),
        Bad(input: "dE_l/dF[i*,j*] = \\nabla F", row: 1, line: 1, column: 18, message: "\\nabla"),
        Bad(input: "dE_l/dF[i*,j*] = \\foo", row: 1, line: 1, column: 18, message: "unknown command"),
        Bad(input: "dE_l/dF[i*,j*] = F[i]", row: 1, line: 1, column: 18, message: "two indices"),
        Bad(input: "dE_l/dF[i*,j*] = L", row: 1, line: 1, column: 18, message: "L alone"),
        Bad(input: "dE_l/dF[i*,j*] = d/dF[i,j] (d/dF[i,j] (E_l))", row: 1, line: 1, column: 29, message: "inside a derivative"),
        Bad(input: "dE_l/dF[i*,j*] = d/dN_l (E_l)", row: 1, line: 1, column: 21, message: "with respect to an entry"),
        Bad(input: "dE_l/dF[i*,j*] = \\sum_{i^*} F_{i^*j^*}", row: 1, line: 1, column: 24, message: "starred"),
        Bad(input: "dE_l/dF[i*,j*] = \\sum F", row: 1, line: 1, column: 23, message: "needs its indices"),
        Bad(input: "dE_l/dF[i*,j*] = \\sum_{i,j,k,m,n} F_{ij}", row: 1, line: 1, column: 18, message: "more than 4"),
        Bad(input: "dE_l/dF[i*,j*] = F @ P", row: 1, line: 1, column: 20, message: "unexpected character"),
        Bad(input: "$$\\begin{aligned} dE_l/dF[i*,j*] &= F[i*,j*]", row: nil, line: 1, column: 45, message: "no \\end{aligned}"),
        Bad(input: "$$\\begin{matrix} a \\end{matrix}", row: nil, line: 1, column: 10, message: "not a block"),
        Bad(input: "dE_l/dF[i*,j*] =\n= F", row: 1, line: 1, column: 16, message: "nothing after"),
        Bad(input: " = F[i*,j*]", row: 1, line: 1, column: 2, message: "nothing before"),
        Bad(input: "dE_l/dF[i*,j*] = F^*", row: 1, line: 1, column: 20, message: "star"),
        Bad(input: "dE_l/dF[i*,j*] = (E_l)^t", row: 1, line: 1, column: 23, message: "step of F"),
        Bad(input: "dE_l/dF[i*,j*] = 2 + ", row: 1, line: 1, column: 21, message: "ends where a value"),
        Bad(input: "dE_l/dF[i*,j*] = " + String(repeating: "(", count: 200) + "F" + String(repeating: ")", count: 200), row: 1, line: 1, column: 0, message: "levels deep"),
        Bad(input: String(repeating: "= F\n", count: 50), row: 41, line: 41, column: 1, message: "limit is 40"),
    ]

    @Test("malformed derivations name the row, line, column, what was expected and a fix", arguments: bad)
    func malformed(_ b: Bad) {
        do throws(DerivationError) {
            _ = try DerivationParser.parse(b.input)
            Issue.record("accepted: \(b.input)")
        } catch {
            #expect(error.row == b.row, "\(error)")
            #expect(error.line == b.line, "\(error)")
            if b.column > 0 { #expect(error.column == b.column, "\(error)") }
            #expect(error.message.contains(b.message), "\(error)")
            #expect(!error.fix.isEmpty, "\(error)")
            #expect(error.rendered.contains("^"))
        }
    }

    @Test("hostile input: long, deep, binary — an error or a parse, never a crash")
    func hostile() {
        let inputs = [String(repeating: "\\frac{", count: 5000), String(repeating: "x", count: 30_000),
                      "a = " + String(repeating: "\\sum_{i}", count: 100) + "F_{ij}", "\u{0}\u{1}=\u{2}", "= = = ="]
        for s in inputs { _ = try? DerivationParser.parse(s) }
    }
}
