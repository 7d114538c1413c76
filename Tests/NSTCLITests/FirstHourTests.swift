import Testing
import Foundation

/// The papercuts of a first hour with nst, each pinned: the valid values of an option, the
/// checker's exit status without a model, typo suggestions at every level, progress that
/// prints the accepted loss, feedback wrapped to the terminal, β printed for people, and
/// one `error:` style.
@Suite("first hour", .serialized)
struct FirstHourTests {
    /// A HOME (and XDG folders) with no model.
    func emptyHome() -> [String: String] {
        let home = QuizCLI.tempDir()
        return ["HOME": home.path, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"]
    }

    @Test func aBadOptionValueListsTheValidOnes() throws {
        let r = try NSTBinary.run(["check", "--target", "style", "--answer", "F"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("Please provide one of the following: content-layer, content-total, style-layer, style-total, total, update"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func checkWithoutAModelExitsAsItsHelpSays() throws {
        let r = try NSTBinary.run(["check", "--target", "style-layer", "--answer", "(G - A)*F/(N^2*M^2)", "--bindings", "model"],
                                  environment: emptyHome())
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("nst: error: no model installed"))
        let help = try NSTBinary.run(["check", "--help"], environment: ["COLUMNS": "200"])
        #expect(help.stdout.contains("3 the check could not be set up"))
        let docs = try String(contentsOf: PackageGraph.root.appendingPathComponent("docs/checker.md"), encoding: .utf8)
        #expect(docs.contains("3 the check could not be set up (`--bindings model` with\nno model)"))
    }

    @Test(arguments: [
        (["model", "fecth"], "unknown command 'fecth'", "did you mean `nst model fetch`?"),
        (["experiment", "style-dept"], "unknown command 'style-dept'", "did you mean `nst experiment style-depth`?"),
        (["help", "trasnfer"], "unknown command 'trasnfer'", "did you mean `nst transfer`?"),
        (["help", "model", "fecth"], "unknown command 'fecth'", "did you mean `nst model fetch`?"),
        (["bank", "lnt"], "unknown command 'lnt'", "did you mean `nst bank lint`?"),
    ])
    func typosGetASuggestionAtEveryLevel(_ args: [String], _ what: String, _ fix: String) throws {
        let r = try NSTBinary.run(args)
        #expect(r.status == 64, "\(args): \(r.stderr)")
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("nst: error: \(what)") && r.stderr.hasSuffix("\(fix)\n"), "\(r.stderr)")
    }

    @Test func realSubcommandsAndModelNamesStillWork() throws {
        #expect(try NSTBinary.run(["help", "model"]).status == 0)
        #expect(try NSTBinary.run(["model", "list"]).status == 0)
        // `nst model NAME` is `nst model info NAME`: an unknown name is the store's error, not a typo.
        let named = try NSTBinary.run(["model", "no-such-model-name"])
        #expect(named.status == 1 && named.stderr.contains("no such file or installed model"), "\(named.stderr)")
    }

    @Test func progressLinesShowTheAcceptedLoss() throws {
        // The experiment's images at 48 px: a run long enough for the line search to reject
        // a trial whose loss is above the iterate's.
        let f = try TransferFixture()
        let images = PackageGraph.root.appendingPathComponent("Examples/images")
        let r = try NSTBinary.run(["transfer", "--content", images.appendingPathComponent("sea-turtle.jpg").path,
                                   "--style", images.appendingPathComponent("great-wave.jpg").path, "-o", f.path("p.png"), "--random-weights",
                                   "--size", "48", "--iterations", "30", "--print-every", "1", "--seed", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        let losses = r.stderr.split(separator: "\n").compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("loss=") }.flatMap { Double($0.dropFirst(5)) }
        }
        #expect(losses.count == 30)
        #expect(zip(losses, losses.dropFirst()).allSatisfy { $1 <= $0 }, "\(losses)")
        // The last line's loss is the written image's.
        let sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: f.path("p.json")))) as! [String: Any]
        let final = try #require((sidecar["final"] as? [String: Any])?["total"] as? Double)
        #expect(abs(losses.last! - final) <= 1e-5 * final, "\(losses.last!) vs \(final)")
    }

    @Test func theReportPrintsBetaForPeople() throws {
        let f = try TransferFixture()
        let r = try NSTBinary.run(["experiment", "style-depth", "--content", f.content, "--style", f.style, "-o", f.path("sd"),
                                   "--random-weights", "--size", "32", "--iterations", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let html = try String(contentsOf: URL(fileURLWithPath: f.path("sd/report.html")), encoding: .utf8)
        #expect(html.contains("α = 1, β = 1e7,"), "\(html.prefix(2000))")
        #expect(!html.contains("10000000.0"))
    }

    @Test func modelPathWithoutAModelIsAnError() throws {
        let r = try NSTBinary.run(["model", "path"], environment: emptyHome())
        #expect(r.status == 1 && r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("nst: error: "), "\(r.stderr)")
    }

    @Test func feedbackIsWrappedToTheTerminalAtSpaces() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            Issue.record("util-linux `script` is needed for the pseudo-terminal test"); return
        }
        let state = QuizCLI.tempDir()
        let command = "stty cols 50 2>/dev/null; cd '\(QuizCLI.emptyWorkingDirectory(in: state).path)' && exec '\(NSTBinary.url.path)' quiz --only 1"
        let p = try LiveProcess(executable: URL(fileURLWithPath: "/usr/bin/script"), arguments: ["-qfec", command, "/dev/null"],
                                environment: QuizCLI.environment(state: state, extra: ["TERM": "xterm", "SHELL": "/bin/sh", "COLUMNS": "50"]))
        #expect(p.waitFor("answer> "))
        p.send("It compares the two images.")
        p.send("")
        #expect(p.waitFor("Model answer"))
        p.finish()
        let lines = p.text.split(separator: "\n").filter { !$0.contains("\u{1B}") && !$0.hasPrefix("answer>") && !$0.hasPrefix("  ...>") }
        #expect(lines.count > 10)
        let long = lines.filter { $0.count > 50 && $0.contains(" ") }
        #expect(long.isEmpty, "\(long)")
        // No word was cut: the model answer's sentence reads whole once the lines are joined.
        let joined = lines.joined(separator: " ").split(separator: " ").joined(separator: " ")
        #expect(joined.contains("It measures how far the generated image's feature responses at the content layer(s) are"), "\(joined)")
    }
}
