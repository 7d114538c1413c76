import Testing
import Foundation

/// `nst check --derivation` end to end: the built binary, its exit status, text and JSON.
@Suite("nst check --derivation end to end")
struct CheckDerivationCommandTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Examples/derivations")

    @Test("the quiz key: Q2 exits 0, Q6 exits 1 at row 3 (layer weight), JSON as documented")
    func key() throws {
        let ok = try CheckCommandTests.run(["--derivation", Self.examples.appendingPathComponent("q2-content-layer.tex").path])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("CORRECT"))
        let (status, o) = try CheckCommandTests.json(["--derivation", Self.examples.appendingPathComponent("q6-total.tex").path])
        #expect(status == 1)
        #expect(o["verdict"] as? String == "incorrect")
        #expect(o["first_wrong_line"] as? Int == 3)
        #expect(CheckCommandTests.kinds(o).first == "layer_weight")
        #expect((o["steps"] as? [[String: Any]])?.count == 3)
    }

    @Test("- reads the derivation from standard input")
    func standardInput() throws {
        let r = try CheckCommandTests.runWithFiles(["--derivation", "-"], stdin: "dE_l/dF[i*,j*] = ((G - A)*F)[i*,j*] / (N^2*M^2)\n= ((G - A)*F)[i*,j*] / (N*M^2)\n")
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stdout.contains("INCORRECT at row 2"))
    }

    @Test("unreadable derivations exit 2 with row, line, column and a fix; a missing file is an error")
    func unreadable() throws {
        let r = try CheckCommandTests.runWithFiles(["--derivation", "-"], stdin: "dE_l/dF[i*,j*] = F[i*,j*]\n= (P[i*,j*]\n")
        #expect(r.status == 2)
        #expect(r.stdout.contains("row 2, line 2, column"))
        #expect(r.stdout.contains("fix:"))
        let missing = try CheckCommandTests.run(["--derivation", "/nonexistent/derivation.tex"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent/derivation.tex"))
        let both = try CheckCommandTests.run(["--derivation", "x.tex", "--answer", "F"])
        #expect(both.status != 0)
    }
}
