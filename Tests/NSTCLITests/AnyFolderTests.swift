import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// nst installed on its own (the binary copied elsewhere, nothing beside it) works from any
/// folder: the experiment reads its built-in images and writes into the per-user data folder,
/// where question 12 finds them; `--images` takes a run's folder or its parent.
@Suite("any folder", .serialized)
struct AnyFolderTests {
    /// A fresh HOME, an empty working folder and a copy of the binary, all outside the checkout.
    struct Install {
        let root: URL
        var home: URL { root.appendingPathComponent("home") }
        var cwd: URL { root.appendingPathComponent("cwd") }
        var binary: URL { root.appendingPathComponent("bin/nst") }

        init() throws {
            root = URL(fileURLWithPath: "/tmp").appendingPathComponent("nst-any-folder-\(UUID().uuidString)")
            for dir in ["home", "cwd", "bin"] {
                try FileManager.default.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
            }
            try FileManager.default.copyItem(at: NSTBinary.url, to: binary)
        }

        func environment(_ extra: [String: String] = [:]) -> [String: String] {
            var env = ["PATH": "/usr/bin:/bin", "HOME": home.path, "LANG": "C.UTF-8", "COLUMNS": "80"]
            for (k, v) in extra { env[k] = v }
            return env
        }

        func run(_ args: [String], stdin: String = "", extra: [String: String] = [:]) throws -> NSTBinary.Output {
            let p = Process()
            p.executableURL = binary
            p.arguments = args
            p.environment = environment(extra)
            p.currentDirectoryURL = cwd
            return try NSTBinary.capture(p, stdin: stdin)
        }

        /// nst under a pseudo-terminal (util-linux `script`): the transcript after `quit`.
        func runInTerminal(_ args: [String], extra: [String: String] = [:]) throws -> String {
            let command = "cd '\(cwd.path)' && exec '\(binary.path)' " + args.map { "'\($0)'" }.joined(separator: " ")
            let p = try LiveProcess(executable: URL(fileURLWithPath: "/usr/bin/script"), arguments: ["-qfec", command, "/dev/null"],
                                    environment: environment(["TERM": "xterm", "SHELL": "/bin/sh"].merging(extra) { $1 }))
            #expect(p.waitFor("answer> ", timeout: 60))
            p.send("quit")
            #expect(p.waitFor("Stopped.", timeout: 30))
            p.finish()
            return p.text
        }
    }

    static let runFiles = ["curves.svg", "figure.png", "layers-3.json", "layers-3.png", "layers-5.json", "layers-5.png",
                           "metrics.json", "report.html"]

    @Test func theExperimentThenQuestion12FromAnEmptyFolderWithOnlyTheBinary() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            Issue.record("util-linux `script` is needed for the pseudo-terminal test"); return
        }
        let install = try Install()
        defer { try? FileManager.default.removeItem(at: install.root) }
        // No model in this HOME: the random-weights network stands in for it.
        let run = try install.run(["experiment", "style-depth", "--size", "128", "--iterations", "20", "--random-weights"])
        #expect(run.status == 0, "\(run.stderr)")
        let folder = install.home.appendingPathComponent(".local/share/nst/style-depth")
        #expect(run.stdout.contains("Wrote \(folder.path)/"), "\(run.stdout)")
        #expect(Set((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []) == Set(Self.runFiles))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: install.cwd.path)) ?? ["?"]).isEmpty)
        let sidecar = try String(contentsOf: folder.appendingPathComponent("layers-5.json"), encoding: .utf8)
        #expect(sidecar.contains("sea-turtle.jpg (built in)") && sidecar.contains("great-wave.jpg (built in)"))

        // On a pipe: the two images, under neutral names, copied from the run's folder.
        let piped = try install.run(["quiz", "--only", "12"], stdin: "quit\n")
        #expect(piped.status == 0)
        #expect(!piped.stdout.contains("not generated yet"), "\(piped.stdout)")
        let first = install.home.appendingPathComponent(".local/state/nst/images/neural-style-transfer-first.png")
        #expect(piped.stdout.contains("[first] \(first.path)"))
        #expect(try Data(contentsOf: first) == (try Data(contentsOf: folder.appendingPathComponent("layers-5.png"))))

        // In a terminal: drawn.
        let shown = try install.runInTerminal(["quiz", "--only", "12"], extra: ["COLORTERM": "truecolor"])
        #expect(shown.contains("▀") && shown.contains("\u{1B}[38;2;"), "\(shown)")
        #expect(!shown.contains("not generated yet") && !shown.contains("layers-5"))
    }

    @Test func xdgDataHomeIsHonouredAndOutputStillWritesAnywhere() throws {
        let install = try Install()
        defer { try? FileManager.default.removeItem(at: install.root) }
        let data = install.root.appendingPathComponent("data")
        let small = ["--size", "32", "--iterations", "1", "--random-weights"]
        let run = try install.run(["experiment", "style-depth"] + small, extra: ["XDG_DATA_HOME": data.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("nst/style-depth/layers-5.png").path))
        let quiz = try install.run(["quiz", "--only", "12"], stdin: "quit\n", extra: ["XDG_DATA_HOME": data.path])
        #expect(!quiz.stdout.contains("not generated yet"), "\(quiz.stdout)")
        // -o: a relative folder under the working folder, as before.
        let elsewhere = try install.run(["experiment", "style-depth", "-o", "mine"] + small)
        #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
        #expect(FileManager.default.fileExists(atPath: install.cwd.appendingPathComponent("mine/layers-3.png").path))
    }

    @Test func aMissingContentImageSaysWhatToDo() throws {
        let install = try Install()
        defer { try? FileManager.default.removeItem(at: install.root) }
        let r = try install.run(["experiment", "style-depth", "--content", "turtle.jpg", "--random-weights", "--size", "32", "--iterations", "1"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("cannot read the --content image (turtle.jpg)"), "\(r.stderr)")
        #expect(r.stderr.contains("check the path, or leave out --content to use the built-in image"), "\(r.stderr)")
    }

    /// Question 12's images are read only when they are PNG or JPEG files of a sane size, and
    /// never shown by their own paths (whose names would give the answer away).
    @Test func imagesThatAreNotImagesAreRefusedWithoutGivingTheAnswerAway() throws {
        let install = try Install()
        defer { try? FileManager.default.removeItem(at: install.root) }
        let run = install.root.appendingPathComponent("zeros")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        for name in ["layers-3.png", "layers-5.png"] { try Data(count: 4096).write(to: run.appendingPathComponent(name)) }
        let r = try install.run(["quiz", "--only", "12", "--images", run.path], stdin: "quit\n")
        #expect(r.status == 0 && r.stdout.contains("cannot be shown: each must be a PNG or JPEG file"), "\(r.stdout)")
        #expect(!r.stdout.contains("layers-5") && !r.stdout.contains("layers-3"), "\(r.stdout)")
    }

    @Test func imagesTakesTheRunsFolderOrItsParentAndSaysWhenThereIsNone() throws {
        let install = try Install()
        defer { try? FileManager.default.removeItem(at: install.root) }
        let parent = install.root.appendingPathComponent("runs")
        let run = parent.appendingPathComponent("a")   // any name: `-o runs/a`
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        try TinyPNG.make(width: 8, height: 8) { _, _ in (1, 2, 3) }.write(to: run.appendingPathComponent("layers-5.png"))
        try TinyPNG.make(width: 8, height: 8) { _, _ in (4, 5, 6) }.write(to: run.appendingPathComponent("layers-3.png"))
        for dir in [run, parent] {
            let r = try install.run(["quiz", "--only", "12", "--images", dir.path], stdin: "quit\n")
            #expect(r.status == 0 && !r.stdout.contains("not generated yet"), "--images \(dir.path): \(r.stdout)")
            #expect(r.stdout.contains("[first] "))
        }
        let none = try install.run(["quiz", "--only", "12", "--images", install.root.appendingPathComponent("nothing").path], stdin: "quit\n")
        #expect(none.status == 64)
        #expect(none.stderr.contains("--images: no such folder") && none.stderr.contains("does not exist"), "\(none.stderr)")
        // A folder without the images: looked in, named, and the way to make them.
        let empty = try install.run(["quiz", "--only", "12", "--images", install.cwd.path], stdin: "quit\n")
        #expect(empty.stdout.contains("not generated yet (looked in \(install.cwd.path), \(install.cwd.path)/style-depth)"), "\(empty.stdout)")
    }
}
