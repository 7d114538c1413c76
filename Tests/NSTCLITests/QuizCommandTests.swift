import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// End-to-end tests of `nst quiz` and `nst bank lint`: the built binary, over pipes and
/// under a pseudo-terminal, with its progress in a temporary XDG_STATE_HOME.
enum QuizCLI {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let bank = root.appendingPathComponent("Quizzes/neural-style-transfer.quiz").path
    static func example(_ name: String) -> String { root.appendingPathComponent("Examples/answers/\(name)").path }

    static func tempDir() -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("nst-cli-quiz-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// An empty working directory inside `state`, for a session that must not see the
    /// checkout's out/style-depth (the images a real `nst experiment` run leaves there change
    /// question 12's transcript); the bank is then found beside the executable.
    static func emptyWorkingDirectory(in state: URL) -> URL {
        let u = state.appendingPathComponent("cwd")
        try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    static func environment(state: URL, extra: [String: String] = [:]) -> [String: String] {
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": state.path,
                   "XDG_STATE_HOME": state.path, "COLUMNS": "80", "LANG": "C.UTF-8"]
        for (k, v) in extra { env[k] = v }
        return env
    }

    /// Runs nst with `args` in `directory`, feeding `stdin` and closing it.
    /// `wrapper`: a command to run nst under (e.g. /usr/bin/time), nst's path following it.
    static func run(_ args: [String], stdin: String = "", state: URL, in directory: URL? = nil, extraEnv: [String: String] = [:],
                    wrapper: [String] = []) throws -> NSTBinary.Output {
        let p = Process()
        if let tool = wrapper.first {
            p.executableURL = URL(fileURLWithPath: tool)
            p.arguments = Array(wrapper.dropFirst()) + [NSTBinary.url.path] + args
        } else {
            p.executableURL = NSTBinary.url
            p.arguments = args
        }
        p.environment = environment(state: state, extra: extraEnv)
        if let directory { p.currentDirectoryURL = directory }
        return try NSTBinary.capture(p, stdin: stdin)
    }

    static func progress(_ state: URL) -> [String: Any]? {
        let url = state.appendingPathComponent("nst/progress/neural-style-transfer.json")
        guard let d = FileManager.default.contents(atPath: url.path) else { return nil }
        return try? JSONSerialization.jsonObject(with: d) as? [String: Any]
    }
}

/// A running process whose output is collected as it comes, for tests that act mid-run.
final class LiveProcess: @unchecked Sendable {
    let process = Process()
    let input = Pipe()
    private let output = Pipe()
    private let lock = NSLock()
    private var buffer = Data()

    init(executable: URL, arguments: [String], environment: [String: String]) throws {
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        output.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self, !d.isEmpty else { return }
            self.lock.lock(); self.buffer.append(d); self.lock.unlock()
        }
        try process.run()
    }

    var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: buffer, as: UTF8.self).replacingOccurrences(of: "\r", with: "") }

    func send(_ line: String) { input.fileHandleForWriting.write(Data((line + "\n").utf8)) }

    /// Waits until the output contains `s` (true) or `timeout` seconds pass (false).
    func waitFor(_ s: String, timeout: Double = 20) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if text.contains(s) { return true }
            usleep(20_000)
        }
        return text.contains(s)
    }

    func finish(timeout: Double = 20) {
        try? input.fileHandleForWriting.close()
        let end = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < end { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        output.fileHandleForReading.readabilityHandler = nil
    }

    /// The direct children of this process (for `script`, the program it runs under the pty).
    var childPIDs: [Int32] {
        let pid = process.processIdentifier
        let s = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return s.split(separator: " ").compactMap { Int32($0) }
    }
}

@Suite struct QuizHelpTests {
    @Test func quizHelpIsExact() throws {
        let r = try QuizCLI.run(["quiz", "--help"], state: QuizCLI.tempDir())
        #expect(r.status == 0)
        #expect(r.stdout == Self.quizHelp + "\n")
    }

    @Test func bankLintHelpIsExact() throws {
        let r = try QuizCLI.run(["bank", "lint", "--help"], state: QuizCLI.tempDir())
        #expect(r.status == 0)
        #expect(r.stdout == Self.lintHelp + "\n")
    }

    static let quizHelp = """
        OVERVIEW: Take the twelve-question quiz on neural style transfer.

        One question at a time. At the answer> prompt type your answer, or:
          hint     the next hint (in layers: the last nearly gives it away)
          skip     leave the question for next time
          giveup   0 points for it, and see the model answer
          quit     stop here (progress is kept)
        Formula answers use the language of `nst check` (F P G A N M w alpha
        beta eta, + - * / ^, ' for transpose; Fˡ, wₗ, α_l are read too) and
        are checked numerically. The formula is echoed as read before grading;
        one that cannot be read costs no attempt. True/false and choice ask the
        verdict at answer>, then the reason at why>. Text answers and reasons
        may span lines and end with an empty line; their scores come from
        matching key ideas and are suggestions: after the model answer you may
        mark which ideas you really covered (the summary shows both scores).
        Line editing and history (Up recalls the last attempt) in a terminal.

        Progress is saved after every answer in $XDG_STATE_HOME/nst/progress/
        (default ~/.local/state/nst/progress/) and resumed next time. Two quizzes
        on one bank at once: the last to save wins, with a warning.
        The default bank, Quizzes/neural-style-transfer.quiz, is built into nst;
        --bank FILE uses another.

        Examples:
          nst quiz                          take the quiz (or continue it)
          nst quiz --only 5,7               only questions 5 and 7
          nst quiz --shuffle --seed 3       a fixed shuffled order
          nst quiz --list                   each question's status and score
          nst quiz --review                 the answers that lost points
          nst quiz --reset --yes            start again without asking
          nst quiz --answers a.answers      grade a file (docs/quiz.md)
          nst quiz --answers a.answers --json
          nst quiz --answers class/ --csv grades.csv   a folder, as a gradebook

        USAGE: nst quiz <options>

        OPTIONS:
          --bank <file>           The question bank. (default: the built-in
                                  Quizzes/neural-style-transfer.quiz)
          --only <list>           Ask only these questions, e.g. 5,7.
          --shuffle               Ask the questions in a shuffled order.
          --seed <seed>           Seed of the shuffled order (with --shuffle; default:
                                  a random seed, printed).
          --review                Show the finished questions that lost points, with
                                  the model answers.
          --list                  List every question with its status and score, then
                                  exit.
          --reset                 Forget the saved progress for this bank (asks first),
                                  then exit.
          --yes                   With --reset: do not ask.
          --images <dir>          The folder of question 12's images (a run's folder or
                                  its parent), if not the one `nst experiment
                                  style-depth` writes by default.
          --answers <file>        Grade answers files (or every .answers file in a
                                  folder) instead of asking; no progress is saved.
          --json                  With --answers: print the report as JSON.
          --csv <file>            With --answers: also write a gradebook (one row per
                                  file) to this CSV file.
          --max-bank-bytes <bytes>
                                  Refuse bank and answers files larger than this.
                                  (default: 1048576)
          -h, --help              Show help information.

        """

    static let lintHelp = """
        OVERVIEW: Check a question bank: syntax, keys, options and rubrics.

        Reports every problem as file:line:column with a fix, then the number
        of questions. Checks the syntax and each kind's required fields; every
        formula key, numerically, with `nst check` against its target (a key
        that is not the right gradient is an error); that every choice
        question has a right option among its options; that every text and
        true/false rubric has key ideas; and runs every question's `test:`
        lines (an answer and the score it must get): a failing test is an
        error at its line. The format: docs/quiz.md.
        Exit status: 0 the bank is sound, 1 it has errors (or cannot be read).

        Examples:
          nst bank lint                     the built-in bank
          nst bank lint Quizzes/neural-style-transfer.quiz
          nst bank lint my-course.quiz
          nst bank lint my-course.quiz --json

        USAGE: nst bank lint [<file>] [--json] [--max-bank-bytes <bytes>]

        ARGUMENTS:
          <file>                  The bank to check. (default: the built-in bank)

        OPTIONS:
          --json                  Print one JSON object (ok, questions, kinds, errors,
                                  diagnostics with file, line, column, message and fix)
                                  instead of the text.
          --max-bank-bytes <bytes>
                                  Refuse banks larger than this. (default: 1048576)
          -h, --help              Show help information.

        """
}

@Suite struct QuizAnswersFileTests {
    func json(_ r: NSTBinary.Output) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }
    func questions(_ j: [String: Any]) -> [Int: [String: Any]] {
        var out: [Int: [String: Any]] = [:]
        for q in (j["questions"] as? [[String: Any]]) ?? [] { if let n = q["question"] as? Int { out[n] = q } }
        return out
    }

    /// Quitting a quiz on a bank of one's own says how to continue that quiz, not the built-in one.
    @Test func quittingNamesTheBankToContinueWith() throws {
        let state = QuizCLI.tempDir()
        let own = state.appendingPathComponent("my bank.quiz")
        try FileManager.default.copyItem(atPath: QuizCLI.bank, toPath: own.path)
        let r = try QuizCLI.run(["quiz", "--bank", own.path, "--only", "2,3"], stdin: "F - P\nquit\n", state: state)
        #expect(r.stdout.contains("run `nst quiz --bank '\(own.path)'` again to continue"), "\(r.stdout)")
    }

    @Test func fullMarks() throws {
        let r = try QuizCLI.run(["quiz", "--bank", QuizCLI.bank, "--answers", QuizCLI.example("full-marks.answers"), "--json"], state: QuizCLI.tempDir())
        #expect(r.status == 0, "\(r.stderr)")
        let j = try json(r)
        let total = j["total"] as? [String: Any]
        #expect(total?["score"] as? Double == 12 && total?["max"] as? Double == 12)
        let qs = questions(j)
        #expect(qs.count == 12)
        for (n, q) in qs { #expect(q["verdict"] as? String == "correct", "Q\(n): \(q["feedback"] ?? "")") }
    }

    @Test func printedKeyLosesQuestionsFiveSixSeven() throws {
        let r = try QuizCLI.run(["quiz", "--bank", QuizCLI.bank, "--answers", QuizCLI.example("printed-key.answers"), "--json"], state: QuizCLI.tempDir())
        #expect(r.status == 0, "\(r.stderr)")
        let j = try json(r)
        let qs = questions(j)
        func kinds(_ n: Int) -> [String] { ((qs[n]?["diagnosis"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String } }
        // Q5: the transpose of the gradient, named by the author and diagnosed by the checker.
        #expect(qs[5]?["verdict"] as? String == "incorrect" && qs[5]?["score"] as? Double == 0)
        #expect(kinds(5) == ["anticipated", "transposed"])
        // Q6 and Q7: w_1 is layer 1's weight (the author's message), and the corrected form
        // still shows the transpose (the checker's shape error) and, for Q7, the escaped −η.
        for n in [6, 7] {
            #expect(qs[n]?["verdict"] as? String == "incorrect" && qs[n]?["score"] as? Double == 0)
            #expect(kinds(n) == ["anticipated", "anticipated", "shape_error"])
            let feedback = (qs[n]?["feedback"] as? String) ?? ""
            #expect(feedback.contains("w₁ is the weight of layer 1") && feedback.contains("M×N"))
        }
        let q7Feedback = (qs[7]?["feedback"] as? String) ?? ""
        #expect(q7Feedback.contains("escapes the −η"))
        // The worded ones: suggested scores; Q4 (correlations "between groups of pixels", a
        // misconception) and Q8 (style only from early layers) partial and marked for review.
        for n in [1, 2, 3, 9, 10, 11, 12] { #expect(qs[n]?["verdict"] as? String == "correct", "Q\(n)") }
        for (n, score) in [(4, 0.25), (8, 0.75)] {
            #expect(qs[n]?["verdict"] as? String == "partial" && qs[n]?["score"] as? Double == score)
            #expect(qs[n]?["needs_review"] as? Bool == true && qs[n]?["suggested"] as? Bool == true)
        }
        #expect(qs[2]?["suggested"] as? Bool == false && qs[2]?["needs_review"] as? Bool == false)
        #expect((j["total"] as? [String: Any])?["score"] as? Double == 8)
    }

    @Test func textReportShowsTheEchoAndTheTotal() throws {
        let r = try QuizCLI.run(["quiz", "--bank", QuizCLI.bank, "--answers", QuizCLI.example("printed-key.answers")], state: QuizCLI.tempDir())
        #expect(r.status == 0)
        #expect(r.stdout.contains("Q5 [formula] 0/1 incorrect\n  read as: w·(1 / (N²·M²))·Fᵀ·(G − A)   (M×N)"))
        #expect(r.stdout.contains("transposed: "))
        #expect(r.stdout.contains("Q4 [text] 0.25/1 partial (suggested) — needs review\n"))
        #expect(r.stdout.hasSuffix("Total: 8/12\nNeeds review: Q4, Q8, Q12 (free-text scores are suggestions; these are the uncertain ones).\n"))
    }

    @Test(arguments: [
        ("== answer 1 ==\nx\n\n== answer 1 ==\ny\n", ":4:1: error: question 1 is answered twice (first at line 1)"),
        ("Q1: something\n", ":1:1: error: text before the first `== answer N ==` header"),
        ("== answer 1 ==\nfine\n== answer 40 ==\n", ":3:1: error: the bank"),
        ("== answer x ==\n", ":1:1: error: malformed header"),
    ])
    func malformedAnswersFileNamesTheLine(_ text: String, _ expected: String) throws {
        let dir = QuizCLI.tempDir()
        let file = dir.appendingPathComponent("bad.answers")
        try Data(text.utf8).write(to: file)
        let r = try QuizCLI.run(["quiz", "--bank", QuizCLI.bank, "--answers", file.path], state: dir)
        // One `nst: error:` line: what, (file:line:column), why; fix.
        let place = String(expected.prefix { $0 != " " }.dropLast())           // ":4:1"
        let what = expected.components(separatedBy: ": error: ")[1].components(separatedBy: ": ")[0]
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("nst: error: " + what) && r.stderr.contains("(\(file.path)\(place))"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("; "), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test func invalidUTF8InAnswersFile() throws {
        let dir = QuizCLI.tempDir()
        let file = dir.appendingPathComponent("latin1.answers")
        try Data([0x3D, 0x3D, 0x20, 0x61, 0x6E, 0x73, 0x77, 0x65, 0x72, 0x20, 0x31, 0x20, 0x3D, 0x3D, 0x0A, 0x63, 0x61, 0x66, 0xE9, 0x0A]).write(to: file)
        let r = try QuizCLI.run(["quiz", "--bank", QuizCLI.bank, "--answers", file.path], state: dir)
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("nst: error: invalid UTF-8 at byte column 4 (\(file.path):2:4); save the file as UTF-8"), "\(r.stderr)")
    }

    @Test func defaultBankIsFoundBesideTheExecutable() throws {
        let elsewhere = QuizCLI.tempDir()
        let r = try QuizCLI.run(["quiz", "--answers", QuizCLI.example("full-marks.answers")], state: elsewhere, in: elsewhere)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasSuffix("Total: 12/12\n"))
    }

    /// The bank is built into the binary: a copy of nst alone in a folder runs the quiz.
    @Test func aCopiedBinaryHasTheBankBuiltIn() throws {
        let dir = QuizCLI.tempDir()
        let bin = dir.appendingPathComponent("bin/nst")
        try FileManager.default.createDirectory(at: bin.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: NSTBinary.url, to: bin)
        try Data("== answer 2 ==\nF - P\n".utf8).write(to: dir.appendingPathComponent("a.answers"))
        let p = Process()
        p.executableURL = bin
        p.arguments = ["quiz", "--answers", "a.answers"]
        p.currentDirectoryURL = dir
        p.environment = QuizCLI.environment(state: dir)
        let out = Pipe(), err = Pipe()
        p.standardError = err; p.standardOutput = out
        try p.run()
        let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(e)")
        #expect(o.contains("Q2 [formula] 1/1 correct") && o.contains("Total: 1/12"))
    }

    @Test func missingBankIsSaidClearly() throws {
        let dir = QuizCLI.tempDir()
        let r = try QuizCLI.run(["quiz", "--bank", dir.appendingPathComponent("none.quiz").path], state: dir)
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("nst: error: cannot read the bank (\(dir.path)/none.quiz): no such file"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
}

@Suite struct BankLintTests {
    @Test func shippedBankPasses() throws {
        let r = try QuizCLI.run(["bank", "lint", QuizCLI.bank], state: QuizCLI.tempDir())
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(": OK, 12 questions (5 formula, 2 truefalse, 1 choice, 4 text); 5 formula keys checked by nst check"))
        #expect(r.stdout.contains("question tests passed ("))
        #expect(r.stderr.isEmpty)
        // Without a file: the built-in bank, the same one.
        let builtIn = try QuizCLI.run(["bank", "lint"], state: QuizCLI.tempDir())
        #expect(builtIn.status == 0 && builtIn.stdout.hasPrefix("neural-style-transfer.quiz (built in): OK, 12 questions"))
    }

    /// The shipped bank's question tests cover every category the quiz must get right,
    /// at least twice each.
    @Test func shippedBankTestsCoverEveryCategory() throws {
        let r = try QuizCLI.run(["bank", "lint", QuizCLI.bank], state: QuizCLI.tempDir())
        let line = try #require(r.stdout.split(separator: "\n").first { $0.contains("question tests passed") })
        for category in ["stuffing", "negation", "paraphrase", "choice-phrasing", "feedback-labels", "multi-line", "notation", "printed-key", "forbidden"] {
            let count = line.range(of: "\(category) (\\d+)", options: .regularExpression).map { Int(line[$0].split(separator: " ")[1]) ?? 0 } ?? 0
            #expect(count >= 2, "\(category): \(count) in \(line)")
        }
    }

    /// A failing question test fails lint at the test's line.
    @Test func aFailingQuestionTestFailsLint() throws {
        let (r, path) = try lint("== question 1 ==\nkind: text\nprompt: p\nrubric: compares = compar*\ntest: [paraphrase] 1 | it measures how far apart they are\n")
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("\(path):5:7: error: test of question 1 fails: scored 0 of the points, expected 1…1"), "\(r.stderr)")
    }

    /// A block left open before the next question fails at the line where it opened.
    @Test func anUnclosedBlockBeforeTheNextQuestionFailsAtItsLine() throws {
        let (r, path) = try lint("== question 1 ==\nkind: text\nprompt: \"\"\"\nWhat is it?\n\n== question 2 ==\nkind: text\nprompt: p\nrubric: a\n")
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("\(path):3:9: error: the block `prompt: \"\"\"` opened here is not closed before the next question (line 6)"), "\(r.stderr)")
    }

    /// /dev/zero and a FIFO: the true cause, not "permission".
    @Test func devicesAndFIFOsAreNamedForWhatTheyAre() throws {
        let dir = QuizCLI.tempDir()
        let zero = try QuizCLI.run(["bank", "lint", "/dev/zero"], state: dir)
        #expect(zero.status == 1 && zero.stderr.contains("it is a character device, not a regular file") && !zero.stderr.contains("permission"), "\(zero.stderr)")
        let fifo = dir.appendingPathComponent("bank.fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let r = try QuizCLI.run(["quiz", "--bank", fifo, "--list"], state: dir)
        #expect(r.status == 1 && r.stderr.contains("FIFO") && !r.stderr.contains("permission"), "\(r.stderr)")
    }

    func lint(_ text: String) throws -> (NSTBinary.Output, String) {
        let dir = QuizCLI.tempDir()
        let file = dir.appendingPathComponent("seed.quiz")
        try Data(text.utf8).write(to: file)
        return (try QuizCLI.run(["bank", "lint", file.path], state: dir), file.path)
    }

    static func q7(key: String) -> String {
        "== question 7 ==\nkind: formula\ntarget: update\nprompt: One gradient-descent step for F.\nkey: \(key)\n"
    }

    /// The seed's printed Q7 key, symbol for symbol, is rejected: it names w_1 (not w_l).
    @Test func seedsPrintedQuestion7KeyIsRejected() throws {
        let (r, path) = try lint(Self.q7(key: "F_l - eta*alpha*(F_l - P_l) + beta*w_1*(1/(N_l^2*M_l^2))*F_l'*(G_l - A_l)"))
        #expect(r.status == 1)
        // Column 6 + 35: the w_1 in the key.
        #expect(r.stderr.hasPrefix("\(path):5:41: error: the key of question 7 cannot be evaluated for target update"), "\(r.stderr)")
        #expect(r.stderr.contains("unknown symbol 'w_1'"))
        #expect(r.stdout.contains("1 error"))
    }

    /// Its missing parentheses alone (w_l and the gradient's orientation fixed) are caught too.
    @Test func missingParenthesesOfQuestion7AreRejected() throws {
        let (r, path) = try lint(Self.q7(key: "F - eta*alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2)"))
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("\(path):5:6: error: the key of question 7 is not the gradient for target update: sign: "), "\(r.stderr)")
        #expect(r.stderr.contains("escaped the −η"))
    }

    @Test func theRightKeyPasses() throws {
        let (r, _) = try lint(Self.q7(key: "F - eta*(alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2))"))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("OK, 1 question (1 formula, 0 truefalse, 0 choice, 0 text)"))
    }

    @Test func syntaxErrorsAreListedWithPlaces() throws {
        let (r, path) = try lint("== question 1 ==\nkind: essay\nprompt: x\n\n== question 2 ==\nkind: text\nprompt: \"\"\"\nnever closed\n")
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(path):2:7: error: unknown kind `essay`"))
        #expect(r.stderr.contains("\(path):7:9: error: the block `prompt: \"\"\"` opened here is never closed"))
        #expect(r.stdout.contains("2 errors"))
    }
}

/// Whole sessions, answering all twelve questions (some wrong), over a pipe and under a
/// pseudo-terminal; killing mid-quiz and resuming; SIGKILL during saves.
@Suite(.serialized) struct QuizSessionTests {
    /// Answers to questions 1–12 in order, with commands; the comments give the grade.
    /// Text answers and reasons end with an empty line; the empty line after an automatic
    /// text score keeps it (no self-grading).
    static let script = [
        "It measures the difference between the features of the two images; we minimise it.", "", "",  // Q1 1
        "P - F", "F - P",                                                  // Q2: sign, then right: 1
        "F - P",                                                           // Q3 1
        "it compares styles", "", "",                                      // Q4 0.25 (one idea of four)
        "w*F'*(G-A)/(N^2*M^2)", "hint", "w*(G - A)*F/(N^2*M^2)",           // Q5: transposed, hint, right: 1
        "alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2", "alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2)",  // Q6: parse error (free), right: 1
        "F - eta*alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2)", "giveup",    // Q7: sign/scale, gave up: 0
        "Run the image forward through the network; the feature maps of a deep layer give content, the Gram matrices of several layers give style.", "", "",  // Q8 1
        "true", "it must be trained on such triples", "",                  // Q9 0 (verdict, then the reason)
        "true", "one forward pass of any image through the pretrained network gives its Gram matrices, and the image is optimised", "", "",  // Q10 1
        "skip",                                                            // Q11 not answered
        "first", "deeper layers have larger receptive fields, so large-scale swirls; the second has only small textures", "", "",  // Q12 1
    ]

    func checkTranscript(_ t: String) {
        #expect(t.contains("── Question 1 (1 of 12) · short answer"))
        #expect(t.contains("Read as: P − F"))
        #expect(t.contains("sign: "))                                  // Q2's diagnosis
        #expect(t.contains("2 attempts left."))
        #expect(t.contains("transposed: "))                            // Q5's diagnosis
        #expect(t.contains("Hint 1 of 3: "))
        #expect(t.contains("(No attempt used; try again.)"))          // Q6's unclosed parenthesis
        #expect(t.contains("escaped the −η"))                         // Q7's diagnosis
        #expect(t.contains("Model answer:\n  F − η·(α·(F − P) + β·w·(G − A)·F / (N²·M²))"))
        #expect(t.contains("The statement is false, not true."))
        #expect(t.contains("The images for “first” and “second” are not generated yet"))
        #expect(t.contains("Q4   0.25/1   partial"))
        #expect(t.contains("Q11  0/1      not answered"))
        #expect(t.contains("Total: 8.25/12"))
        #expect(t.contains("Skipped: question 11."))
    }

    @Test func wholeQuizOverAPipe() throws {
        let state = QuizCLI.tempDir(), cwd = QuizCLI.emptyWorkingDirectory(in: state)
        let r = try QuizCLI.run(["quiz"], stdin: Self.script.joined(separator: "\n") + "\n", state: state, in: cwd)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.contains("\u{1B}["))                       // no terminal escapes on a pipe
        #expect(r.stdout.contains("answer> P - F\n"))                 // input echoed: a readable transcript
        checkTranscript(r.stdout)
        let p = try #require(QuizCLI.progress(state))
        let qs = try #require(p["questions"] as? [String: [String: Any]])
        #expect(qs["2"]?["attempts"] as? Int == 2 && qs["11"]?["done"] as? Bool != true)

        // --review shows what lost points; a second run asks only the skipped question.
        let review = try QuizCLI.run(["quiz", "--review"], state: state, in: cwd)
        #expect(review.stdout.contains("── Question 9 · 0/1 ──") && review.stdout.contains("it must be trained on such triples"))
        #expect(!review.stdout.contains("── Question 2 ·"))
        let again = try QuizCLI.run(["quiz"], stdin: "Once, for the content target features, then at every iteration in the content loss; often also to initialise.\n\n", state: state, in: cwd)
        #expect(again.stdout.contains("Resuming: 11 of 12 done, score 8.25/12 so far."))
        #expect(again.stdout.contains("── Question 11 (11 of 12)"))
        #expect(again.stdout.contains("Total: 9.25/12"))
        // --reset asks first: anything but yes keeps the progress; --yes does not ask.
        let kept = try QuizCLI.run(["quiz", "--reset"], stdin: "no\n", state: state, in: cwd)
        #expect(kept.status == 1 && kept.stdout.contains("Not reset; the progress is kept."))
        #expect(QuizCLI.progress(state) != nil)
        let reset = try QuizCLI.run(["quiz", "--reset"], stdin: "yes\n", state: state, in: cwd)
        #expect(reset.stdout.contains("Progress for neural-style-transfer cleared"))
        #expect(QuizCLI.progress(state) == nil)
    }

    /// Under a pseudo-terminal (`script`): the same session, then a run killed with SIGKILL
    /// after question 4 resumes at question 5.
    @Test func wholeQuizUnderAPseudoTerminalAndResumeAfterKill() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            Issue.record("util-linux `script` is needed for the pseudo-terminal test"); return
        }
        let state = QuizCLI.tempDir()
        let command = "cd '\(QuizCLI.emptyWorkingDirectory(in: state).path)' && exec '\(NSTBinary.url.path)' quiz"
        let env = QuizCLI.environment(state: state, extra: ["TERM": "xterm", "SHELL": "/bin/sh"])
        let full = try LiveProcess(executable: URL(fileURLWithPath: "/usr/bin/script"), arguments: ["-qfec", command, "/dev/null"], environment: env)
        for line in Self.script {
            full.send(line)
        }
        #expect(full.waitFor("Total: 8.25/12"))
        full.finish()
        checkTranscript(full.text)

        // Fresh progress; answer questions 1–4, wait for question 5, kill nst itself.
        try FileManager.default.removeItem(at: state.appendingPathComponent("nst"))
        let first = try LiveProcess(executable: URL(fileURLWithPath: "/usr/bin/script"), arguments: ["-qfec", command, "/dev/null"], environment: env)
        for line in Self.script.prefix(9) { first.send(line) }
        #expect(first.waitFor("── Question 5 (5 of 12)"))
        let children = first.childPIDs
        #expect(children.count == 1)
        for pid in children { kill(pid, SIGKILL) }
        first.finish()

        let second = try LiveProcess(executable: URL(fileURLWithPath: "/usr/bin/script"), arguments: ["-qfec", command, "/dev/null"], environment: env)
        #expect(second.waitFor("answer> "))
        second.send("quit")
        #expect(second.waitFor("Stopped. Progress saved"))
        second.finish()
        let t = second.text
        #expect(t.contains("Resuming: 4 of 12 done, score 3.25/12 so far."))
        #expect(t.contains("── Question 5 (5 of 12)"))
        #expect(!t.contains("── Question 4 ("))
    }

    /// SIGKILL while progress is being written, many times: the file is always a complete
    /// state (old or new), never a torn one, and its revision never goes back.
    @Test func sigkillDuringSaveNeverTearsTheProgressFile() throws {
        let state = QuizCLI.tempDir()
        // Hints and giving up save without grading anything, so the process spends nearly all
        // its time saving; the test hook writes the file in 64-byte pieces 2 ms apart.
        let stream = Array(repeating: ["hint", "hint", "hint", "hint", "giveup"], count: 12).flatMap { $0 }
        let env = QuizCLI.environment(state: state, extra: ["NST_QUIZ_SLOW_SAVE_MS": "2"])
        var lastRevision = 0
        var killedMidSave = 0
        var rng = SystemRandomNumberGenerator()
        let dir = state.appendingPathComponent("nst/progress")
        for _ in 0..<16 {
            let p = try LiveProcess(executable: NSTBinary.url, arguments: ["quiz", "--bank", QuizCLI.bank], environment: env)
            for line in stream { p.send(line) }
            // Once it has started (the first prompt), let it save for a while.
            #expect(p.waitFor("answer> "))
            usleep(UInt32.random(in: 5_000...120_000, using: &rng))
            kill(p.process.processIdentifier, SIGKILL)
            p.process.waitUntilExit()
            p.finish()
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            if names.contains(where: { $0.contains(".nst-tmp-\(p.process.processIdentifier)-") }) { killedMidSave += 1 }
            guard let progress = QuizCLI.progress(state) else {
                // Killed before its first save ever finished: there is no file yet, never a torn one.
                #expect(lastRevision == 0 && !names.contains("neural-style-transfer.json"))
                continue
            }
            let revision = try #require(progress["revision"] as? Int)
            #expect(progress["bank"] as? String == "neural-style-transfer")
            #expect(revision >= lastRevision)
            lastRevision = revision
            if p.text.contains("Total:") {
                // Finished: start over, so that the saves go on.
                _ = try QuizCLI.run(["quiz", "--reset", "--yes"], state: state, in: QuizCLI.root)
                lastRevision = 0
            }
        }
        #expect(killedMidSave >= 3, "only \(killedMidSave) kills landed during a save")
        // The next start cleans the dead processes' temporaries and goes on.
        let r = try QuizCLI.run(["quiz", "--bank", QuizCLI.bank], stdin: "quit\n", state: state)
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: state.appendingPathComponent("nst/progress").path)
        #expect(left == ["neural-style-transfer.json"])
    }

    /// Two quizzes on one bank: both load, A saves, then B saves — B warns, wins, and keeps A's answer.
    @Test func twoProcessesLastWriterWinsWithAWarning() throws {
        let state = QuizCLI.tempDir()
        let env = QuizCLI.environment(state: state)
        let a = try LiveProcess(executable: NSTBinary.url, arguments: ["quiz", "--bank", QuizCLI.bank, "--only", "2"], environment: env)
        let b = try LiveProcess(executable: NSTBinary.url, arguments: ["quiz", "--bank", QuizCLI.bank, "--only", "3"], environment: env)
        #expect(a.waitFor("answer> ") && b.waitFor("answer> "))
        a.send("F - P")
        #expect(a.waitFor("Total: 1/1"))
        a.finish()
        b.send("F - P")
        #expect(b.waitFor("Total: 1/1"))
        b.finish()
        #expect(!a.text.contains("warning"))
        #expect(b.text.contains("warning: another nst quiz process saved progress") && b.text.contains("question(s) 2 are kept"))
        let p = try #require(QuizCLI.progress(state))
        let qs = try #require(p["questions"] as? [String: [String: Any]])
        #expect(qs["2"]?["done"] as? Bool == true && qs["3"]?["done"] as? Bool == true)
        #expect(p["revision"] as? Int == 2)
    }

    @Test func shuffleWithASeedIsRepeatableAndWithoutOneSaysItsSeed() throws {
        let state = QuizCLI.tempDir()
        func firstQuestion(_ args: [String]) throws -> (String, String) {
            let r = try QuizCLI.run(["quiz", "--bank", QuizCLI.bank] + args, stdin: "quit\n", state: state)
            let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("── Question") }.map(String.init) ?? ""
            return (line, r.stdout)
        }
        let a = try firstQuestion(["--shuffle", "--seed", "5"]).0
        let b = try firstQuestion(["--shuffle", "--seed", "5"]).0
        #expect(a == b && a.contains("(1 of 12)"))
        // Without --seed the seed is printed, and repeating it gives the same order.
        let (line, out) = try firstQuestion(["--shuffle"])
        let seedLine = try #require(out.split(separator: "\n").first { $0.hasPrefix("Shuffled with seed ") })
        let seed = String(seedLine.dropFirst("Shuffled with seed ".count).prefix { $0.isNumber })
        #expect(try firstQuestion(["--shuffle", "--seed", seed]).0 == line)
        let bad = try QuizCLI.run(["quiz", "--seed", "3"], state: state)
        #expect(bad.status == 64 && bad.stderr.contains("--seed goes with --shuffle"))
    }

    @Test func corruptProgressIsSetAsideWithAWarning() throws {
        let state = QuizCLI.tempDir()
        let dir = state.appendingPathComponent("nst/progress")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data("{\"format\": 1, \"bank\": \"neural-style-tr".utf8).write(to: dir.appendingPathComponent("neural-style-transfer.json"))
        let r = try QuizCLI.run(["quiz", "--bank", QuizCLI.bank, "--only", "2"], stdin: "F - P\n", state: state)
        #expect(r.status == 0)
        #expect(r.stderr.contains("warning: the progress file") && r.stderr.contains("was moved to"))
        #expect(r.stdout.contains("Total: 1/1"))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names.count == 2 && names[0] == "neural-style-transfer.json" && names[1].hasPrefix("neural-style-transfer.json.corrupt-"))
    }
}

@Suite struct QuizImageTests {
    /// A folder with out/style-depth/layers-{5,3}.png, as `nst experiment style-depth` leaves it.
    func experimentFolder() throws -> URL {
        let dir = QuizCLI.tempDir()
        let out = dir.appendingPathComponent("out/style-depth")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try TinyPNG.make(width: 24, height: 16) { x, y in (UInt8(x * 10), UInt8(y * 15), 128) }.write(to: out.appendingPathComponent("layers-5.png"))
        try TinyPNG.make(width: 24, height: 16) { x, _ in (200, UInt8(x * 10), 40) }.write(to: out.appendingPathComponent("layers-3.png"))
        return dir
    }

    @Test func onAPipeTheImagesAreListedUnderNeutralNames() throws {
        let dir = try experimentFolder()
        let r = try QuizCLI.run(["quiz", "--bank", QuizCLI.bank, "--only", "12"], stdin: "quit\n", state: dir, in: dir)
        #expect(r.status == 0)
        #expect(r.stdout.contains("  [first] \(dir.path)/nst/images/neural-style-transfer-first.png\n  [second] \(dir.path)/nst/images/neural-style-transfer-second.png"))
        #expect(!r.stdout.contains("layers-5") && !r.stdout.contains("\u{1B}["))
        let copy = try Data(contentsOf: dir.appendingPathComponent("nst/images/neural-style-transfer-first.png"))
        #expect(copy == (try Data(contentsOf: dir.appendingPathComponent("out/style-depth/layers-5.png"))))
    }

    @Test func inATerminalTheImagesAreDrawn() throws {
        let dir = try experimentFolder()
        let command = "cd '\(dir.path)' && exec '\(NSTBinary.url.path)' quiz --bank '\(QuizCLI.bank)' --only 12"
        let p = try LiveProcess(executable: URL(fileURLWithPath: "/usr/bin/script"), arguments: ["-qfec", command, "/dev/null"],
                                environment: QuizCLI.environment(state: dir, extra: ["TERM": "xterm", "COLORTERM": "truecolor", "SHELL": "/bin/sh"]))
        #expect(p.waitFor("answer> "))
        p.send("quit")
        #expect(p.waitFor("Stopped."))
        p.finish()
        let t = p.text
        #expect(t.contains("▀") && t.contains("\u{1B}[38;2;"))   // half-block cells in truecolour
        #expect(t.contains("first") && t.contains("second"))
        #expect(!t.contains("layers-5"))
    }
}
