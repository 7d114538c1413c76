import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `nst` binary (a sibling of the test bundle in .build/<config>/).
enum NSTBinary {
    /// `NST_TEST_BINARY=/path/to/nst` runs the tests against another build (e.g. an older
    /// one, to see which tests it fails).
    static var url: URL {
        if let other = ProcessInfo.processInfo.environment["NST_TEST_BINARY"] { return URL(fileURLWithPath: other) }
        var dir = Bundle.main.bundleURL
        // swift test runs the tests from .build/<triple>/<config>/; the binary sits there too.
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let u = candidate.appendingPathComponent("nst")
            if FileManager.default.isExecutableFile(atPath: u.path) { return u }
        }
        dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return dir.appendingPathComponent("nst")
    }

    struct Output { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ args: [String], stdin: String? = nil, environment: [String: String]? = nil) throws -> Output {
        let p = Process()
        p.executableURL = url
        p.arguments = args
        if let environment { p.environment = environment }
        let output = try capture(p, stdin: stdin)
        // No signal is ever sent through this helper: an exit by a signal or with a status
        // ≥ 128 is a trap (SIGILL, SIGABRT, SIGPIPE, …) or a hang, and fails the test.
        #expect(p.terminationReason == .exit && p.terminationStatus < 128,
                "watchdog: nst \(args.joined(separator: " ")) ended with status \(p.terminationStatus) (\(p.terminationReason == .exit ? "exit" : "signal"))")
        return output
    }

    /// Starts `p` (set up but for its streams), writes `stdin` and closes it, and returns what
    /// it printed once it ends. A run that takes over 10 minutes is killed.
    static func capture(_ p: Process, stdin: String?) throws -> Output {
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out; p.standardError = err; p.standardInput = inp
        try p.run()
        let watchdog = DispatchWorkItem { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 600, execute: watchdog)
        if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? inp.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        watchdog.cancel()
        return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

@Suite struct RootHelpTests {
    @Test func rootHelpNamesTheThreeThingsToDo() throws {
        let r = try NSTBinary.run(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("nst quiz"))
        #expect(r.stdout.contains("nst check"))
        #expect(r.stdout.contains("nst experiment style-depth"))
    }
}

/// `nst transfer --help` is short and grouped; --help-hidden adds the rarely used options
/// (all in the table of docs/style-transfer.md).
@Suite struct GroupedHelpTests {
    static let hidden = ["--style-layer-weights", "--style-blend-weights", "--save-every", "--learning-rate", "--lbfgs-history",
                         "--line-search", "--normalize-gradients", "--pooling", "--style-scale", "--normalize-vgg",
                         "--normalize-floor", "--random-weights", "--scales", "--scale-evaluations"]

    @Test func transferHelpIsUnderSixtyLinesInGroups() throws {
        let r = try NSTBinary.run(["transfer", "--help"], environment: ["COLUMNS": "100"])
        #expect(r.status == 0)
        #expect(r.stdout.split(separator: "\n", omittingEmptySubsequences: false).count < 60, "\(r.stdout)")
        for title in ["IMAGES:", "LAYERS:", "LOSS:", "OPTIMISER:", "ENGINE:"] { #expect(r.stdout.contains("\n\(title)\n"), "\(title)") }
        for flag in Self.hidden { #expect(!r.stdout.contains("\n  \(flag)"), "\(flag) is in --help") }
    }

    @Test func helpHiddenAndTheDocsHaveTheRest() throws {
        let r = try NSTBinary.run(["transfer", "--help-hidden"], environment: ["COLUMNS": "100"])
        #expect(r.status == 0)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let docs = try String(contentsOf: root.appendingPathComponent("docs/style-transfer.md"), encoding: .utf8)
        for flag in Self.hidden {
            #expect(r.stdout.contains("\n  \(flag)"), "\(flag) is not in --help-hidden")
            #expect(docs.contains("`\(flag)"), "\(flag) is not in docs/style-transfer.md")
        }
    }
}

