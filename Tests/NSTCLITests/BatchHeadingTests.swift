import Testing
import Foundation

/// Grading several answers files as text: each file's block is headed by its file, so an
/// instructor can tell whose block is whose; one file alone keeps its plain report.
@Suite struct BatchHeadingTests {
    @Test func eachReportIsHeadedByItsFile() throws {
        let dir = QuizCLI.tempDir()
        let class_ = dir.appendingPathComponent("class")
        try FileManager.default.createDirectory(at: class_, withIntermediateDirectories: true)
        for (name, example) in [("alice.answers", "full-marks.answers"), ("bob.answers", "printed-key.answers")] {
            try FileManager.default.copyItem(atPath: QuizCLI.example(example), toPath: class_.appendingPathComponent(name).path)
        }
        let r = try QuizCLI.run(["quiz", "--answers", class_.path], state: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let alice = try #require(r.stdout.range(of: "── \(class_.path)/alice.answers ──\nQ1 ["), "\(r.stdout)")
        let bob = try #require(r.stdout.range(of: "── \(class_.path)/bob.answers ──\nQ1 ["), "\(r.stdout)")
        #expect(r.stdout.hasPrefix("── \(class_.path)/alice.answers ──\n"))
        #expect(alice.lowerBound < bob.lowerBound)
        #expect(r.stdout.components(separatedBy: "\n── ").count == 2)   // one heading per file, the first at the start

        let one = try QuizCLI.run(["quiz", "--answers", class_.appendingPathComponent("alice.answers").path], state: dir)
        #expect(one.stdout.hasPrefix("Q1 ["), "\(one.stdout)")
    }
}
