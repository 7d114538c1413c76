import Testing
import Foundation

/// Line editing (libedit, in a terminal) keeps every character a student types: superscripts,
/// ∂, the modifier letter ˡ, accents. Run under a pseudo-terminal (util-linux `script`), the
/// only place line editing is used.
@Suite("line editing keeps Unicode", .serialized)
struct LineEditingUnicodeTests {
    /// The quiz on `questions` under a pseudo-terminal, typing `lines` once `answer>` shows; the
    /// transcript and the saved progress.
    func session(_ questions: String, _ lines: [String], until marker: String, locale: [String: String]) throws -> (text: String, progress: [String: Any]?) {
        let state = QuizCLI.tempDir()
        let command = "cd '\(QuizCLI.emptyWorkingDirectory(in: state).path)' && exec '\(NSTBinary.url.path)' quiz --only \(questions)"
        var env = QuizCLI.environment(state: state, extra: ["TERM": "xterm", "SHELL": "/bin/sh"])
        env["LANG"] = nil
        for (k, v) in locale { env[k] = v }
        let p = try LiveProcess(executable: URL(fileURLWithPath: "/usr/bin/script"), arguments: ["-qfec", command, "/dev/null"], environment: env)
        #expect(p.waitFor("answer> "))
        for line in lines { p.send(line) }
        #expect(p.waitFor(marker), "\(p.text)")
        p.finish()   // end of input: the quiz stops (it may have ended already)
        return (p.text, QuizCLI.progress(state))
    }

    static let locales: [[String: String]] = [["LANG": "C.UTF-8"], ["LC_ALL": "C.UTF-8"], [:]]

    @Test(arguments: locales)
    func superscriptsAreReadAsPowers(_ locale: [String: String]) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            Issue.record("util-linux `script` is needed for the pseudo-terminal test"); return
        }
        let (t, _) = try session("5", ["w*(G - A)*F/(N²*M²)"], until: "Model answer", locale: locale)
        #expect(t.contains("Read as: w·(G − A)·F / (N²·M²)"), "\(t)")
        #expect(t.contains("1/1"), "\(t)")
    }

    @Test(arguments: locales)
    func partialDerivativesLayerIndicesAndAccentsArriveWhole(_ locale: [String: String]) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            Issue.record("util-linux `script` is needed for the pseudo-terminal test"); return
        }
        // An answer with "=" is read as a derivation: the line arrives whole, so the error is
        // about ∂L (with the characters dropped it read "L/F = F  P" and blamed something else).
        let (t, _) = try session("2", ["∂L/∂F = F − P", "", "Fˡ − Pˡ"], until: "Model answer", locale: locale)
        #expect(t.contains("answer> ∂L/∂F = F − P\n") && t.contains("L alone does not name a loss"), "\(t)")
        #expect(t.contains("Read as: F − P") && t.contains("1/1"), "\(t)")
        let answer = "Elle mesure la différence entre les réponses du réseau à l’image générée et à la photo."
        let (_, progress) = try session("1", [answer, ""], until: "Model answer", locale: locale)
        let questions = progress?["questions"] as? [String: Any]
        let q1 = questions?["1"] as? [String: Any]
        #expect(q1?["lastAnswer"] as? String == answer, "\(String(describing: progress))")
    }
}
