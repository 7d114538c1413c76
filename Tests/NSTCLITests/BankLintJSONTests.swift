import Testing
import Foundation

/// `nst bank lint --json`: the same verdict as the text, as one object on standard output.
@Suite struct BankLintJSONTests {
    static func lint(_ args: [String]) throws -> (NSTBinary.Output, [String: Any]) {
        let r = try NSTBinary.run(["bank", "lint", "--json"] + args)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
        return (r, object)
    }

    @Test func theBuiltInBankIsSound() throws {
        let (r, j) = try Self.lint([])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(j["ok"] as? Bool == true && j["errors"] as? Int == 0)
        #expect(j["questions"] as? Int == 12)
        let kinds = try #require(j["kinds"] as? [String: Int])
        #expect(kinds.values.reduce(0, +) == 12 && j["formula_keys_checked"] as? Int == kinds["formula"])
        #expect((j["tests_run"] as? Int ?? 0) > 0)
        #expect(r.stderr.isEmpty, "\(r.stderr)")
    }

    @Test func aBankWithAWrongKeyReportsItsPlace() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("nst-lint-json-\(UUID().uuidString).quiz")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("== question 2 ==\nkind: formula\ntarget: content-layer\nprompt: d/dF\nkey: P - F\n".utf8).write(to: file)
        let (r, j) = try Self.lint([file.path])
        #expect(r.status == 1)
        #expect(j["ok"] as? Bool == false && (j["errors"] as? Int ?? 0) >= 1)
        let diagnostics = try #require(j["diagnostics"] as? [[String: Any]])
        let key = try #require(diagnostics.first { ($0["message"] as? String)?.contains("is not the gradient") == true }, "\(diagnostics)")
        #expect(key["file"] as? String == file.path && key["line"] as? Int == 5 && key["severity"] as? String == "error")
        #expect((key["fix"] as? String)?.contains("nst check --target content-layer") == true)
        #expect(r.stderr.isEmpty, "the diagnostics are in the JSON: \(r.stderr)")
    }
}
