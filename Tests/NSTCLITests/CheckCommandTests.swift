import Testing
import Foundation

/// `nst check` end to end: the built binary, its exit status, its text and JSON.
@Suite("nst check end to end")
struct CheckCommandTests {
    /// No model: an empty cache directory, so the bindings are the seeded random ones.
    static let noModel: [String: String] = {
        var env = ProcessInfo.processInfo.environment
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nst-check-tests-empty-cache")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        env["XDG_CACHE_HOME"] = dir.path
        return env
    }()

    static func run(_ args: [String]) throws -> NSTBinary.Output {
        try NSTBinary.run(["check"] + args, environment: noModel)
    }

    /// Runs `nst check` with standard input read from a file (so the child may stop reading
    /// early without a broken pipe here) and standard output written to `stdoutPath` when given.
    static func runWithFiles(_ args: [String], stdin: String, stdoutPath: String? = nil) throws -> NSTBinary.Output {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("nst-check-stdin-\(UUID().uuidString)")
        try Data(stdin.utf8).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let p = Process()
        p.executableURL = NSTBinary.url
        p.arguments = ["check"] + args
        p.environment = noModel
        p.standardInput = try FileHandle(forReadingFrom: input)
        let out = Pipe(), err = Pipe()
        if let stdoutPath { p.standardOutput = FileHandle(forWritingAtPath: stdoutPath) } else { p.standardOutput = out }
        p.standardError = err
        try p.run()
        let o = stdoutPath == nil ? out.fileHandleForReading.readDataToEndOfFile() : Data()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return NSTBinary.Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static func json(_ args: [String]) throws -> (status: Int32, object: [String: Any]) {
        let r = try run(args + ["--json"])
        let data = Data(r.stdout.utf8)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        return (r.status, object)
    }

    static func kinds(_ object: [String: Any]) -> [String] {
        (object["diagnosis"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
    }

    struct Case: CustomStringConvertible, Sendable {
        var target: String
        var answer: String
        var status: Int32
        var verdict: String
        var kind: String?
        var description: String { "\(target) \(answer)" }
    }

    /// Issue 4's required judgments.
    static let required: [Case] = [
        Case(target: "content-layer", answer: "F - P", status: 0, verdict: "correct"),
        Case(target: "content-layer", answer: "P - F", status: 1, verdict: "incorrect", kind: "sign"),
        Case(target: "style-layer", answer: "(G - A)*F/(N^2*M^2)", status: 0, verdict: "correct"),
        Case(target: "style-layer", answer: "(F'*(G-A))'/(N^2*M^2)", status: 0, verdict: "correct"),
        Case(target: "style-layer", answer: "F'*(G - A)/(N^2*M^2)", status: 1, verdict: "incorrect", kind: "transposed"),
        Case(target: "style-layer", answer: "(G - A)*F/(2*N^2*M^2)", status: 1, verdict: "incorrect", kind: "scale"),
        Case(target: "style-layer", answer: "F*(G - A)", status: 2, verdict: "invalid", kind: "shape_error"),
        Case(target: "update", answer: "F - eta*alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2)", status: 1, verdict: "incorrect", kind: "sign"),
    ]

    @Test(arguments: required)
    func requiredJudgments(_ c: Case) throws {
        let (status, object) = try Self.json(["--target", c.target, "--answer", c.answer])
        #expect(status == c.status)
        #expect(object["verdict"] as? String == c.verdict)
        if let k = c.kind { #expect(Self.kinds(object).contains(k), "\(object)") }
        for key in ["verdict", "max_rel_error", "diagnosis", "shape", "expected_shape", "echo", "bindings", "seed", "eps", "dtype"] {
            #expect(object.keys.contains(key), "missing \(key)")
        }
        #expect((object["expected_shape"] as? String)?.hasPrefix("N×M = ") == true)
        #expect(object["dtype"] as? String == "Double")
        #expect(object["bindings"] as? String == "random")
    }

    @Test func theQ7KeyIsDiagnosedOnTheStyleTerm() throws {
        let (status, object) = try Self.json(["--target", "update", "--answer", "F - eta*alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2)"])
        #expect(status == 1)
        let messages = (object["diagnosis"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        #expect(messages.contains { $0.contains("the style term has the wrong sign") && $0.contains("escaped the −η") })
        #expect(messages.contains { $0.contains("the style term is 1/η times what it should be: it lacks the factor η") })
    }

    @Test func terminalReportEchoesFirstThenVerdictWorstAndDiagnosis() throws {
        let r = try Self.run(["--target", "style-layer", "--answer", "(G - A)*F/(2*N^2*M^2)"])
        #expect(r.status == 1)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "Read as:  (G − A)·F / (2·N²·M²)   (N×M)")
        #expect(lines.contains { $0.hasPrefix("          G: N×N = ") && $0.hasSuffix("  F·Fᵀ, the Gram matrix of F") })
        #expect(lines.contains { $0.hasPrefix("Verdict:  INCORRECT — scale: the largest relative error is") })
        #expect(lines.contains { $0.hasPrefix("Worst:    draw ") && $0.contains("your answer") && $0.contains("reference") })
        #expect(lines.contains("  • scale: The answer is ½ times what it should be (a factor 2 too small)"))
        #expect(lines.contains { $0.hasPrefix("Bindings: seeded random non-negative tensors") && $0.contains("no model installed") })
    }

    @Test func invalidInputShowsACaretUnderTheColumn() throws {
        let r = try Self.run(["--target", "style-layer", "--answer", "F*(G - A)"])
        #expect(r.status == 2)
        #expect(r.stdout.contains("\n    F*(G - A)\n     ^\n"))
        #expect(r.stdout.contains("Verdict:  INVALID — column 2: cannot multiply F (N×M = "))
        let p = try Self.run(["--target", "content-layer", "--answer", "2F - P"])
        #expect(p.status == 2)
        #expect(p.stdout.contains("    2F - P\n     ^\n"))
        #expect(p.stdout.contains("no implicit multiplication"))
    }

    @Test func hostileFormulasAreRefusedCleanly() throws {
        let deep = String(repeating: "(", count: 100_000) + "F" + String(repeating: ")", count: 100_000)
        let r = try Self.runWithFiles(["--target", "content-layer", "--answer", "-"], stdin: deep)
        #expect(r.status == 2)
        #expect(r.stderr == "nst: error: the formula on standard input is too long: it holds more than 2000 characters (the limit is 2000); shorten it\n")
        #expect(r.stdout.isEmpty)
        let atLimit = String(repeating: " ", count: 1995) + "F - P"
        let limit = try Self.runWithFiles(["--target", "content-layer", "--answer", "-"], stdin: atLimit + "\n")
        #expect(limit.status == 0, "\(limit.stderr)")
        let over = try Self.runWithFiles(["--target", "content-layer", "--answer", "-"], stdin: " " + atLimit)
        #expect(over.status == 2)
        #expect(over.stderr.contains("more than 2000 characters"))
        let nul = try NSTBinary.run(["check", "--target", "content-layer", "--answer", "-"], stdin: "F\u{0}- P\n", environment: Self.noModel)
        #expect(nul.status == 2)
        #expect(nul.stdout.contains("column 2: unexpected character U+0000"))
        let fromStdin = try NSTBinary.run(["check", "--target", "content-layer", "--answer", "-"], stdin: "F - P\n", environment: Self.noModel)
        #expect(fromStdin.status == 0)
        let z = try Self.run(["--target", "content-layer", "--answer", "(F - P)/(N - N)"])
        #expect(z.status == 2)
        #expect(z.stdout.contains("division by zero: (N − N) is 0"))
        let big = try Self.run(["--target", "style-layer", "--answer", "F^1e308"])
        #expect(big.status == 2)
        #expect(big.stdout.contains("^ raises scalars to powers"))
        let overflow = try Self.run(["--target", "content-layer", "--answer", "2^1e308*(F - P)"])
        #expect(overflow.status == 2)
        #expect(overflow.stdout.contains("overflow"))
    }

    @Test func leadingMinusAnswers() throws {
        let a = try Self.run(["--target", "content-layer", "--answer", "-(P - F)"])
        #expect(a.status == 0, "\(a.stderr)")
        let b = try Self.run(["--target", "content-layer", "--answer", "-P+F"])
        #expect(b.status == 0, "\(b.stderr)")
        let c = try Self.run(["--loss", "-sum(F.*P)", "--wrt", "F", "--answer", "-P"])
        #expect(c.status == 0, "\(c.stderr)")
    }

    @Test func aFailedWriteToStandardOutputExits74() throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { return }
        let r = try Self.runWithFiles(["--target", "content-layer", "--answer", "F - P", "--json"], stdin: "", stdoutPath: "/dev/full")
        #expect(r.status == 74)
        #expect(r.stderr == "nst: error: cannot write to standard output: No space left on device; free some disk space or write to another disk\n", "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func customLoss() throws {
        let ok = try Self.json(["--loss", "sum((F - P).*(F - P))/2", "--wrt", "F", "--answer", "F - P"])
        #expect(ok.status == 0)
        #expect(ok.object["target"] as? String == "custom")
        let half = try Self.json(["--loss", "sum((F - P).*(F - P))", "--wrt", "F", "--answer", "F - P"])
        #expect(half.status == 1)
        #expect(Self.kinds(half.object).contains("scale"))
        let style = try Self.json(["--loss", "tr((G - A)*(G - A))/(4*N^2*M^2)", "--wrt", "F", "--answer", "(G - A)*F/(N^2*M^2)"])
        #expect(style.status == 0)
        let byA = try Self.json(["--loss", "sum((G - A).*(G - A))", "--wrt", "A", "--answer", "2*(A - G)"])
        #expect(byA.status == 0)
        let notScalar = try Self.json(["--loss", "F - P", "--wrt", "F", "--answer", "F"])
        #expect(notScalar.status == 2)
        #expect((notScalar.object["message"] as? String ?? "").contains("the loss must be a scalar"))
        let badWrt = try Self.json(["--loss", "sum(F)", "--wrt", "N", "--answer", "F"])
        #expect(badWrt.status == 2)
    }

    @Test func seedsAndDraws() throws {
        let a = try Self.run(["--target", "total", "--answer", "alpha*(F - P)", "--seed", "7"])
        let b = try Self.run(["--target", "total", "--answer", "alpha*(F - P)", "--seed", "7"])
        let c = try Self.run(["--target", "total", "--answer", "alpha*(F - P)", "--seed", "8", "--draws", "5"])
        #expect(a.stdout == b.stdout)
        #expect(a.stdout != c.stdout)
        #expect(c.stdout.contains("× 5 draws"))
        #expect(a.stdout.contains("missing_term: The style term is missing from the answer"))
    }

    @Test func usageErrors() throws {
        let none = try Self.run(["--answer", "F"])
        #expect(none.status == 64)
        #expect(none.stderr.contains("Give --target T"))
        let noWrt = try Self.run(["--loss", "sum(F)", "--answer", "F"])
        #expect(noWrt.status == 64)
        #expect(noWrt.stderr.contains("--loss needs --wrt"))
        let badTarget = try Self.run(["--target", "gradient", "--answer", "F"])
        #expect(badTarget.status == 64)
        let noModel = try Self.run(["--target", "content-layer", "--answer", "F - P", "--bindings", "model"])
        #expect(noModel.status == 3)   // the check could not be set up (--help, docs/checker.md)
        #expect(noModel.stderr == "nst: error: no model installed: --bindings model needs one; run `nst model fetch`, or use --bindings random\n", "\(noModel.stderr)")
        let badLayer = try Self.run(["--target", "content-layer", "--answer", "F - P", "--bindings", "model", "--layer", "conv9_9"])
        #expect(badLayer.status == 64)
    }

    @Test func helpTeachesTheLanguage() throws {
        let r = try Self.run(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout == Self.expectedHelp)
    }

    static let expectedHelp = """
    OVERVIEW: Check a gradient formula you derived against the engine's own loss.

    THE FORMULA LANGUAGE
      Symbols (one layer l):  F  generated image's features, N×M
                              P  content image's features, N×M
                              G  = F·Fᵀ, N×N     A  style image's Gram matrix, N×N
                              N  filters   M  positions (H·W)   numbers: 2 0.5 1e-3
                              w (w_l)  alpha (α)  beta (β)  eta (η)
      Operators:  + -   * (matrix product; scales when a side is a scalar)
                  /  (by a scalar)   .* or ⊙ (elementwise)   ./ (elementwise)
                  ^  (power of scalars: N^2, N²)   X' X^T Xᵀ (transpose)
      Functions:  sum(X)  tr(X)  relu(X)  step(X) (1 where X > 0)  transpose(X)
      Write every product with *: 2*F, not 2F. Unicode − · × ⊙ ᵀ ² α β η work too.
      An answer may start with a minus: --answer -P+F, --answer "-(P - F)".

    TARGETS (--target)
      content-layer  ∂L_content^l/∂F   (½ Σ (F − P)², eq. 1)
      content-total  ∂L_content/∂F^l   (Σ over layers, eq. 2)
      style-layer    ∂E_l/∂F           (Σ (G − A)² / (4N²M²), eq. 4)
      style-total    ∂L_style/∂F^l     (Σ_l w_l E_l, eq. 5)
      total          ∂L_total/∂F^l     (α·L_content + β·L_style, eq. 7)
      update         F after one step F − η·∂L_total/∂F (eq. 8)

    EXAMPLES
      nst check --target content-layer --answer "F - P"
      nst check --target style-layer --answer "(G - A)*F/(N^2*M^2)"
      nst check --target update --json \\
          --answer "F - eta*(alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2))"
      nst check --loss "sum((F - P).*(F - P))/2" --wrt F --answer "F - P"

    DERIVATIONS (--derivation FILE, - for standard input)
      A chain LHS = e1 = e2 = …, checked row by row; the first wrong row is named.
      The quiz's LaTeX, pasted as is:
        $$\\begin{aligned} LHS &= e1 \\\\ &= e2 \\\\ … \\end{aligned}$$
      or a plain file, LHS = e1 on the first line and = e_k on each further line:
        dE_l/dF[i*,j*] = d/dF[i*,j*] (sum(i, j: (G[i,j] - A[i,j])^2) / (4*N^2*M^2))
        = ((G - A)*F)[i*,j*] / (N^2*M^2)
      nst check --derivation Examples/derivations/q6-total.tex
      Notation and what is compared: docs/derivations.md.

    The answer is compared with central differences of the engine's own loss on
    several seeded draws; exit status 0 correct, 1 incorrect, 2 invalid input,
    3 the check could not be set up (e.g. --bindings model with no model).

    USAGE: nst check [--target <target>] [--answer <formula>] [--derivation <file>] [--loss <formula>] [--wrt <symbol>] [--json] [--seed <seed>] [--draws <draws>] [--layer <layer>] [--bindings <bindings>]

    OPTIONS:
      --target <target>       The quantity your answer is (see TARGETS). (values:
                              content-layer, content-total, style-layer,
                              style-total, total, update)
      --answer <formula>      Your formula, in the language above (- reads it from
                              standard input).
      --derivation <file>     A derivation to check row by row: LHS = e1 then = e_k
                              a line, or a LaTeX aligned block (- reads standard
                              input; see docs/derivations.md).
      --loss <formula>        A custom scalar loss to differentiate instead of a
                              target.
      --wrt <symbol>          With --loss: the matrix to differentiate by (F, P or
                              A).
      --json                  Print one JSON object (verdict, max_rel_error,
                              diagnosis, shape, expected_shape, …).
      --seed <seed>           Seed of the random draws (the same seed gives the
                              same draws). (default: 0)
      --draws <draws>         Independent draws the answer must match on. (default:
                              3)
      --layer <layer>         The VGG layer whose activations are used when a model
                              is installed. (default: relu1_1)
      --bindings <bindings>   Where F, P, A come from: a model's activations or
                              seeded random tensors. (values: auto, random, model;
                              default: auto)
      -h, --help              Show help information.


    """
}
