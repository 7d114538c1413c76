import Testing
import Foundation

/// The README is written for a student who has not taken the quiz: the quick start builds
/// and starts the quiz before anything else, and the figure that answers question 12 sits
/// behind a spoiler fold that says so.
@Suite struct ReadmeTests {
    static let readme = (try? String(contentsOf: PackageGraph.root.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""

    @Test func theQuickStartBuildsAndStartsTheQuizFirst() throws {
        let start = try #require(Self.readme.range(of: "## Quick start\n"))
        let section = Self.readme[start.upperBound...].prefix { _ in true }
        let end = section.range(of: "\n## ")?.lowerBound ?? section.endIndex
        let quick = String(section[..<end])
        let firstBlock = try #require(quick.components(separatedBy: "```sh\n").dropFirst().first?.components(separatedBy: "```").first)
        #expect(firstBlock.contains("swift build") && firstBlock.contains("nst quiz"), "\(firstBlock)")
        #expect(!firstBlock.contains("experiment") && !firstBlock.contains("test.sh"))
        let quiz = try #require(quick.range(of: "nst quiz")), check = try #require(quick.range(of: "nst check"))
        let experiment = try #require(quick.range(of: "nst experiment style-depth"))
        #expect(quiz.lowerBound < check.lowerBound && check.lowerBound < experiment.lowerBound)
    }

    @Test func theAnswerToQuestion12IsBehindASpoilerFold() throws {
        let open = try #require(Self.readme.range(of: "<details>"))
        let close = try #require(Self.readme.range(of: "</details>"))
        let fold = Self.readme[open.upperBound..<close.lowerBound]
        let summary = try #require(fold.range(of: "<summary>").flatMap { s in fold.range(of: "</summary>").map { fold[s.upperBound..<$0.lowerBound] } })
        #expect(summary.contains("question 12"))
        for giveaway in ["docs/images/style-depth.png", "only the 5-layer image has them"] {
            #expect(fold.contains(giveaway), "\(giveaway) is not in the fold")
            #expect(Self.readme.components(separatedBy: giveaway).count == 2, "\(giveaway) appears outside the fold")
        }
        #expect(Self.readme.range(of: "## Quick start")!.lowerBound < open.lowerBound)
    }
}
