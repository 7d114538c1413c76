import Testing
import Foundation

/// Commands that print their results with `print` (grading, lint, model listings): a write
/// to standard output that fails — a full disk, `> /dev/full`, a closed stdout — is exit 74
/// with one line on stderr, never exit 0 with an empty file.
@Suite struct StandardOutputTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let commands: [[String]] = [
        ["quiz", "--answers", root.appendingPathComponent("Examples/answers/full-marks.answers").path, "--json"],
        ["quiz", "--answers", root.appendingPathComponent("Examples/answers/full-marks.answers").path],
        ["bank", "lint", root.appendingPathComponent("Quizzes/neural-style-transfer.quiz").path],
    ]

    @Test(arguments: commands)
    func aFullStandardOutputIsAnIOError(args: [String]) throws {
        guard FileManager.default.fileExists(atPath: "/dev/full") else { return }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nst-stdout-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // The same command to a real file works: what fails below is only the stream.
        let ok = try ShellRun.run(args, redirects: ">\"\(dir.path)/out.txt\"", environment: ["XDG_STATE_HOME": dir.path], in: dir)
        #expect(ok.status == 0, "\(ok.stderr)")
        let full = try ShellRun.run(args, redirects: ">/dev/full", environment: ["XDG_STATE_HOME": dir.path], in: dir)
        #expect(full.status == 74, "status \(full.status): \(full.stderr)")
        #expect(full.stderr.contains("nst: error: cannot write to standard output") && full.stderr.contains("No space left on device"))
        #expect(full.stderr.split(separator: "\n").count == 1)
    }
}
