import Testing
@testable import NSTFormula

@Suite("Formula evaluation")
struct EvaluateTests {
    // F is 2×3, P 2×3, A 2×2 — small enough to work by hand.
    static let F = Matrix(rows: 2, cols: 3, values: [1, 0, 2, -1, 3, 0.5])
    static let P = Matrix(rows: 2, cols: 3, values: [0.5, 1, -1, 2, 0, 1])
    static let A = Matrix(rows: 2, cols: 2, values: [1, 2, 2, 5])
    static var bindings: [String: Value] {
        var G = Matrix(rows: 2, cols: 2)
        for i in 0..<2 { for j in 0..<2 { for k in 0..<3 { G[i, j] += F[i, k] * F[j, k] } } }
        return ["F": .matrix(F), "P": .matrix(P), "A": .matrix(A), "G": .matrix(G),
                "N": .scalar(2), "M": .scalar(3), "alpha": .scalar(1.5), "beta": .scalar(0.25), "w": .scalar(2), "eta": .scalar(0.1)]
    }

    func eval(_ s: String) throws(FormulaError) -> Value {
        try Formula.evaluate(try Formula.parse(s), bindings: Self.bindings, input: s)
    }

    func scalar(_ s: String) throws -> Double {
        guard case .scalar(let v) = try eval(s) else { Issue.record("\(s) is not a scalar"); return .nan }
        return v
    }

    func matrix(_ s: String) throws -> Matrix {
        guard case .matrix(let m) = try eval(s) else { Issue.record("\(s) is not a matrix"); return Matrix(rows: 0, cols: 0) }
        return m
    }

    static let scalarCases: [(String, Double)] = [
        ("2*3 + 4", 10), ("2 + 3*4", 14), ("-2^2", -4), ("(-2)^2", 4), ("2^-1", 0.5), ("2^3^2", 512),
        ("8/2/2", 2), ("N²·M²", 36), ("N⁻¹", 0.5), ("alpha*beta*w*eta", 0.075), ("sum(F)", 5.5),
        ("tr(G)", 5 + 10.25), ("sum(relu(-F))", 1), ("sum(step(F))", 4), ("sum(F .* P)", 0.5 - 2 - 2 + 0.5),
        ("sum(F - P)", 5.5 - 3.5), ("tr(A)'", 6), ("1e-3*1000", 1), (".5 + 2.", 2.5),
    ]

    @Test(arguments: scalarCases)
    func scalars(_ c: (String, Double)) throws {
        #expect(abs(try scalar(c.0) - c.1) < 1e-12, "\(c.0)")
    }

    @Test func matrixProductTransposeAndGram() throws {
        let G = try matrix("F*F'")
        #expect(G == (try matrix("G")))
        #expect(G.values == [5, 0, 0, 10.25])
        let FtF = try matrix("F'*F")
        #expect(FtF.rows == 3 && FtF.cols == 3)
        #expect(FtF[0, 1] == 1 * 0 + -1 * 3)
        #expect(try matrix("(F'*(G - A))'") == (try matrix("(G - A)'*F")))
        #expect(try matrix("transpose(F)") == Self.F.transposed)
        #expect(try matrix("-F").values == Self.F.values.map { -$0 })
        #expect(try matrix("2*F") == (try matrix("F*2")))
        #expect(try matrix("F/2").values == Self.F.values.map { $0 / 2 })
        #expect(try matrix("F ./ (F.*F + P.*P)")[1, 1] == 3.0 / 9)
    }

    @Test func stylegradientByHandMatchesLoops() throws {
        // (G − A)·F / (N²M²) against explicit loops.
        let m = try matrix("(G - A)*F/(N^2*M^2)")
        guard case .matrix(let G) = Self.bindings["G"]! else { return }
        for i in 0..<2 {
            for j in 0..<3 {
                var s = 0.0
                for k in 0..<2 { s += (G[i, k] - Self.A[i, k]) * Self.F[k, j] }
                #expect(abs(m[i, j] - s / 36) < 1e-12)
            }
        }
    }

    static let evaluationErrors: [(String, String, Int)] = [
        ("F/(N - N)", "division by zero: (N − N) is 0", 2),
        ("1/0", "division by zero", 2),
        ("P ./ (F.*F + P.*P)", "", 0),   // no zero entry: evaluates
        ("F ./ (P - P)", "division by zero: entry (1, 1) of (P − P) is 0", 3),
        ("0^-1", "division by zero", 2),
        ("2^1e308", "overflow", 2),
        ("10^200*10^200", "overflow", 7),
        ("(-2)^0.5", "not a real number", 5),
        ("sum(F)^1e308", "overflow", 7),
    ]

    @Test func divisionByALiteralZeroSaysSoOnce() {
        do { _ = try eval("(F - P)/0"); Issue.record("evaluated") } catch {
            #expect(error.message == "division by zero")
        }
    }

    @Test(arguments: evaluationErrors)
    func evaluationErrorsAreNamed(_ c: (String, String, Int)) {
        do {
            _ = try eval(c.0)
            #expect(c.1.isEmpty, "\(c.0) evaluated")
        } catch {
            #expect(error.kind == .evaluation)
            #expect(error.message.contains(c.1), "\(error.message)")
            #expect(error.column == c.2, "\(error)")
        }
    }
}
