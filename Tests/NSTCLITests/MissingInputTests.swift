import Testing
import Foundation

/// Every command that reads a file, given one that does not exist: exit 1 and one line,
/// `nst: error: …` naming the file, and no usage text (a missing file is not a usage error).
@Suite struct MissingInputTests {
    static let missing = FileManager.default.temporaryDirectory.appendingPathComponent("nst-missing-\(getpid())/none").path

    static func expectOneLine(_ args: [String], naming file: String = missing, _ comment: Comment? = nil) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nst-missing-state-\(UUID().uuidString)")
        var env = ProcessInfo.processInfo.environment
        env["XDG_STATE_HOME"] = dir.path
        let r = try NSTBinary.run(args, environment: env)
        #expect(r.status == 1, "\(args): \(r.stderr)")
        #expect(r.stderr.hasPrefix("nst: error: ") && r.stderr.hasSuffix("\n"), "\(args): \(r.stderr)")
        #expect(r.stderr.split(separator: "\n", omittingEmptySubsequences: false).count == 2, "\(args): \(r.stderr)")
        #expect(r.stderr.contains(file), "\(args): \(r.stderr)")
        #expect(!r.stderr.contains("Usage") && !r.stderr.contains("USAGE"), "\(args): \(r.stderr)")
        #expect(r.stdout.isEmpty, "\(args): \(r.stdout)")
    }

    /// A small real image, so that only the missing file is wrong.
    static let image: String = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nst-missing-ok-\(getpid()).png")
        try? TinyPNG.make(width: 40, height: 30) { x, y in (UInt8(x * 6), UInt8(y * 8), 90) }.write(to: url)
        return url.path
    }()

    @Test func transferContent() throws {
        try Self.expectOneLine(["transfer", "--content", Self.missing + ".png", "--style", Self.image, "--random-weights",
                                "-o", FileManager.default.temporaryDirectory.appendingPathComponent("nst-missing-out.png").path],
                               naming: Self.missing + ".png")
    }

    @Test func transferStyle() throws {
        try Self.expectOneLine(["transfer", "--content", Self.image, "--style", Self.missing + ".jpg", "--random-weights",
                                "-o", FileManager.default.temporaryDirectory.appendingPathComponent("nst-missing-out.png").path],
                               naming: Self.missing + ".jpg")
    }

    @Test func experimentContent() throws {
        try Self.expectOneLine(["experiment", "style-depth", "--content", Self.missing + ".jpg", "--random-weights",
                                "-o", FileManager.default.temporaryDirectory.appendingPathComponent("nst-missing-exp").path],
                               naming: Self.missing + ".jpg")
    }

    @Test func show() throws { try Self.expectOneLine(["show", "--draw", "never", Self.missing]) }
    @Test func modelImport() throws { try Self.expectOneLine(["model", "import", Self.missing + ".safetensors"], naming: Self.missing + ".safetensors") }
    @Test func modelInfo() throws { try Self.expectOneLine(["model", "info", Self.missing + ".safetensors"], naming: Self.missing + ".safetensors") }
    @Test func benchModel() throws { try Self.expectOneLine(["bench", "--model", Self.missing + ".safetensors"], naming: Self.missing + ".safetensors") }
    @Test func bankLint() throws { try Self.expectOneLine(["bank", "lint", Self.missing + ".quiz"], naming: Self.missing + ".quiz") }
    @Test func bankLintJSON() throws { try Self.expectOneLine(["bank", "lint", "--json", Self.missing + ".quiz"], naming: Self.missing + ".quiz") }
    @Test func quizBank() throws { try Self.expectOneLine(["quiz", "--bank", Self.missing + ".quiz", "--list"], naming: Self.missing + ".quiz") }
    @Test func quizAnswers() throws { try Self.expectOneLine(["quiz", "--answers", Self.missing + ".answers"], naming: Self.missing + ".answers") }
}
