import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `nst experiment style-depth` end to end on the tiny random-weights network at 32 px: what
/// a finished run writes and prints, and that the output folder only ever holds one complete
/// set — the previous one after an interrupt, a signal or a failed write.
@Suite("experiment style-depth", .serialized)
struct ExperimentCommandTests {
    static let files = ["curves.svg", "figure.png", "layers-3.json", "layers-3.png", "layers-5.json",
                        "layers-5.png", "metrics.json", "report.html"]

    func arguments(_ f: TransferFixture, out: URL, iterations: Int, seed: Int = 0) -> [String] {
        ["experiment", "style-depth", "--content", f.content, "--style", f.style, "-o", out.path,
         "--random-weights", "--seed", "\(seed)", "--size", "32", "--iterations", "\(iterations)", "--print-every", "1"]
    }

    /// Every file of the folder, by name.
    func snapshot(_ dir: URL) -> [String: Data] {
        var out: [String: Data] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] {
            out[name] = try? Data(contentsOf: dir.appendingPathComponent(name))
        }
        return out
    }

    /// Every file of the folder, by name: its inode number. The files of a new set are created
    /// while the old set's files still exist, so on one file system every new file has an inode
    /// number no file of the old set has — unlike the bytes, which may happen to repeat (a
    /// 32 px image the optimiser barely moved encodes the same under two seeds).
    func inodes(_ dir: URL) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] {
            var st = stat()
            if stat(dir.appendingPathComponent(name).path, &st) == 0 { out[name] = UInt64(st.st_ino) }
        }
        return out
    }

    /// Whether each image's sidecar records that image's SHA-256 (the pair was written
    /// together), by the check transfer's image and sidecar pass.
    func sidecarsMatchTheirImages(_ files: [String: Data]) -> Bool {
        ["3", "5"].allSatisfy { TransferOutputSetTests.isCompleteNewSet(png: files["layers-\($0).png"], json: files["layers-\($0).json"]) }
    }

    func json(_ data: Data?) -> [String: Any] {
        data.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
    }

    /// Starts the experiment, waits until stderr shows `marker`, sends `signal`, and returns
    /// the exit status and stderr.
    func interrupt(_ args: [String], when marker: String, with signal: Int32, log: URL) throws -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "exec \"$0\" \"$@\" 2>\"\(log.path)\" >/dev/null", NSTBinary.url.path] + args
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        var text = ""
        while Date() < deadline, !text.contains(marker) {
            usleep(10_000)
            text = String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self)
        }
        #expect(text.contains(marker), "never saw \(marker): \(text.suffix(500))")
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self))
    }

    @Test func aFinishedRunWritesTheWholeSetAndReadsTheResult() throws {
        let f = try TransferFixture()
        let out = URL(fileURLWithPath: f.path("out"))
        let r = try NSTBinary.run(arguments(f, out: out, iterations: 8))
        #expect(r.status == 0, "\(r.stderr.suffix(800))")
        let files = snapshot(out)
        #expect(files.keys.sorted() == Self.files)
        let metrics = json(files["metrics.json"])
        let photo = (metrics["content_image"] as? [String: Any])?["style_loss"] as? [String: Double] ?? [:]
        #expect(photo.keys.sorted() == ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"])
        let runs = metrics["runs"] as? [String: Any] ?? [:]
        for key in ["3", "5"] {
            let run = runs[key] as? [String: Any] ?? [:]
            #expect((run["style_loss"] as? [String: Double])?.count == 5)
            // The curve holds accepted iterates only: evaluations rise, the objective falls.
            let curve = run["curve"] as? [[String: Any]] ?? []
            let evaluations = curve.compactMap { $0["evaluation"] as? Int }
            let totals = curve.compactMap { $0["total"] as? Double }
            #expect(!curve.isEmpty && evaluations.first == 1)
            #expect(zip(evaluations, evaluations.dropFirst()).allSatisfy { $0 < $1 })
            #expect(zip(totals, totals.dropFirst()).allSatisfy { $0 > $1 }, "\(totals)")
        }
        #expect(sidecarsMatchTheirImages(files))
        // The sidecars mark the rejected trials instead of hiding them.
        let sidecar = json(files["layers-5.json"])
        #expect((sidecar["curve"] as? [[String: Any]])?.allSatisfy { $0["accepted"] is Bool } == true)
        // The terminal: the table in the network's layer names, one sentence, the report's path.
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("layer") == true && lines.first?.contains("fell (5)") == true)
        #expect(r.stdout.contains("relu4_1") && !r.stdout.contains("conv4_1"))
        #expect(lines.last?.contains(out.appendingPathComponent("report.html").path) == true)
        #expect(lines.dropLast().last?.hasSuffix(".") == true)
        // One naming scheme in the report too.
        let html = String(decoding: files["report.html"] ?? Data(), as: UTF8.self)
        #expect(html.contains("relu5_1") && !html.contains("conv5_1"))
        #expect(html.contains("CC BY-SA 3.0"))
    }

    @Test func sigintBeforeTheEndWritesNothing() throws {
        let f = try TransferFixture()
        let out = URL(fileURLWithPath: f.path("out"))
        let r = try interrupt(arguments(f, out: out, iterations: 1_000_000), when: "iter=3/", with: SIGINT,
                              log: URL(fileURLWithPath: f.path("stderr.txt")))
        #expect(r.status == 130, "\(r.stderr.suffix(500))")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(r.stderr.contains("interrupted: nothing written"))
    }

    @Test func sigtermDuringTheSecondRunKeepsThePreviousSet() throws {
        let f = try TransferFixture()
        let out = URL(fileURLWithPath: f.path("out"))
        #expect(try NSTBinary.run(arguments(f, out: out, iterations: 6)).status == 0)
        let before = snapshot(out)
        let r = try interrupt(arguments(f, out: out, iterations: 60, seed: 1), when: "label=5_layers iter=3/", with: SIGTERM,
                              log: URL(fileURLWithPath: f.path("stderr.txt")))
        #expect(r.status == 143, "\(r.stderr.suffix(500))")
        #expect(snapshot(out) == before)
    }

    @Test func aFullDiskLeavesThePreviousSet() throws {
        let f = try TransferFixture()
        let out = URL(fileURLWithPath: f.path("out"))
        #expect(try NSTBinary.run(arguments(f, out: out, iterations: 6)).status == 0)
        let before = snapshot(out)
        // A file-size limit of 16 KiB: the report (over 16 KiB) cannot be written.
        let script = "ulimit -f 16; exec \"$0\" \"$@\""
        let log = URL(fileURLWithPath: f.path("stderr.txt"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script + " 2>\"\(log.path)\" >/dev/null", NSTBinary.url.path] + arguments(f, out: out, iterations: 6, seed: 2)
        try p.run()
        p.waitUntilExit()
        let stderr = String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self)
        #expect(p.terminationStatus != 0 && p.terminationStatus < 128, "status \(p.terminationStatus): \(stderr.suffix(500))")
        #expect(stderr.contains("File too large"), "\(stderr.suffix(500))")
        #expect(!stderr.contains(".out.new-") && stderr.contains(out.path + "/"), "the error names the staging folder, not the user's: \(stderr.suffix(500))")
        #expect(snapshot(out) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.dir.path).filter { $0.hasPrefix(".out") }.isEmpty)
    }

    /// A folder nst cannot write into is refused before the run (root may write anywhere
    /// but /proc, so the test uses a folder there).
    @Test func anUnwritableOutputFolderIsRefusedBeforeRunning() throws {
        let f = try TransferFixture()
        let out = URL(fileURLWithPath: "/proc/nst-experiment-\(getpid())")
        let r = try NSTBinary.run(arguments(f, out: out, iterations: 2))
        #expect(r.status != 0 && r.stderr.hasPrefix("nst: error: cannot write the output folder \(out.path) (/proc)"), "\(r.stderr)")
        #expect(!r.stderr.contains("label=3_layers") && !r.stderr.contains(".new-"), "\(r.stderr)")
    }

    @Test func refusesAFolderWithOtherFilesBeforeRunning() throws {
        let f = try TransferFixture()
        let out = URL(fileURLWithPath: f.path("out"))
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: out.appendingPathComponent("notes.txt"))
        let r = try NSTBinary.run(arguments(f, out: out, iterations: 6))
        #expect(r.status != 0 && r.stderr.contains("notes.txt") && r.stderr.contains("--output"), "\(r.stderr)")
        #expect(!r.stderr.contains("label=3_layers"), "it ran before refusing")
        #expect(snapshot(out) == ["notes.txt": Data("keep me".utf8)])
    }

    @Test func randomSignalsLeaveTheOldSetOrTheNewOne() throws {
        // 50 runs, each killed at a random moment (SIGINT, SIGTERM or SIGKILL) or left to
        // finish: after each, the folder holds exactly the previous complete set or a new
        // complete set, never a mix.
        let f = try TransferFixture()
        let out = URL(fileURLWithPath: f.path("out"))
        // One clean run: the first complete set, and how long a whole run takes here, so the
        // signals land anywhere from start-up to past the last rename whatever the machine's speed.
        let started = Date()
        #expect(try NSTBinary.run(arguments(f, out: out, iterations: 4)).status == 0)
        let runMicroseconds = UInt32(min(Date().timeIntervalSince(started), 60) * 1_000_000)
        var rng = SystemRandomNumberGenerator()
        var kept = 0, replaced = 0
        for round in 1...50 {
            let before = snapshot(out), beforeInodes = inodes(out)
            let p = Process()
            p.executableURL = NSTBinary.url
            p.arguments = arguments(f, out: out, iterations: 4, seed: round)
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32.random(in: 0...(runMicroseconds + runMicroseconds / 5), using: &rng))
            let signal = [SIGINT, SIGTERM, SIGKILL].randomElement(using: &rng)!
            kill(p.processIdentifier, signal)
            p.waitUntilExit()
            let after = snapshot(out), afterInodes = inodes(out)
            #expect(after.keys.sorted() == Self.files, "round \(round): \(after.keys.sorted())")
            // The same file (by inode) as before, or a file of the new set: all one or all the other.
            let same = Self.files.filter { afterInodes[$0] != nil && afterInodes[$0] == beforeInodes[$0] }
            #expect(same.count == Self.files.count || same.isEmpty, "round \(round), signal \(signal): a mix, unchanged \(same)")
            #expect(same.count < Self.files.count || after == before, "round \(round): a kept file changed")
            #expect(sidecarsMatchTheirImages(after), "round \(round), signal \(signal): an image and its sidecar from different runs")
            if same.count == Self.files.count { kept += 1 } else if same.isEmpty { replaced += 1 }
        }
        // Both outcomes happened, so the signals did land before and after the commit (a run
        // that always finished first, or never got far, would test nothing).
        #expect(kept > 0 && replaced > 0, "kept the old set \(kept) times, replaced it \(replaced) times")
        print("experiment, fifty signals: kept the old set \(kept) times, replaced it \(replaced) times; a run takes \(runMicroseconds / 1000) ms")
    }
}

/// Options of the experiment that reach metrics.json, and the errors a new user meets first.
@Suite struct StyleDepthOptionsTests {
    @Test func metricsNameLayersAsTheNetworkDoes() throws {
        let f = try TransferFixture()
        let out = f.path("sd")
        let r = try NSTBinary.run(["experiment", "style-depth", "--content", f.content, "--style", f.style, "--output", out,
                                   "--random-weights", "--size", "32", "--iterations", "4", "--print-every", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        for name in ["layers-3.png", "layers-5.png", "figure.png"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(out)/\(name)"))
            #expect(TinyPNG.validSize(data) != nil, "\(name)")
        }
        let m = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/metrics.json"))) as! [String: Any]
        for run in ["3", "5"] {
            let style = m[path: "runs", run, "style_loss"] as? [String: Double]
            #expect(Set(style?.keys.map { $0 } ?? []) == ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"])
            #expect(style?.values.allSatisfy { $0.isFinite && $0 >= 0 } == true)
            #expect(m[path: "runs", run, "content_loss"] is Double)
        }
        #expect(m[path: "runs", "3", "style_layers_used"] as? [String] == ["relu1_1", "relu2_1", "relu3_1"])
        #expect(m["content_layer"] as? String == "relu5_2")
        // Progress for both runs.
        #expect(r.stderr.contains("label=3_layers iter=4/4") && r.stderr.contains("label=5_layers iter=4/4"))
    }

    @Test func preReLUActivationsOnRequest() throws {
        let f = try TransferFixture()
        let out = f.path("sd")
        let r = try NSTBinary.run(["experiment", "style-depth", "--content", f.content, "--style", f.style, "--output", out,
                                   "--random-weights", "--size", "32", "--iterations", "1", "--activation", "conv"])
        #expect(r.status == 0, "\(r.stderr)")
        let m = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/metrics.json"))) as! [String: Any]
        #expect(m["content_layer"] as? String == "conv5_2")
        #expect((m[path: "options", "style_layers"] as? [String])?.first == "conv1_1")
    }

    @Test func aMissingImageIsNamed() throws {
        let f = try TransferFixture()
        // --output-dir: the former name of --output, still accepted (hidden from --help).
        let r = try NSTBinary.run(["experiment", "style-depth", "--content", f.path("sea-turtle.jpg"), "--random-weights",
                                   "--output-dir", f.path("sd")])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("nst: error: cannot read the --content image (\(f.path("sea-turtle.jpg")))"), "\(r.stderr)")
    }

    /// The flags have the names `nst transfer` gives them; the former names are aliases.
    @Test func outputAndContentLayersAreNamedAsInTransfer() throws {
        let two = try NSTBinary.run(["experiment", "style-depth", "--content-layers", "conv4_2,conv5_2"])
        #expect(two.status == 64 && two.stderr.contains("the experiment uses one content layer"), "\(two.stderr)")
        let both = try NSTBinary.run(["experiment", "style-depth", "-o", "a", "--output-dir", "b"])
        #expect(both.status == 64 && both.stderr.contains("--output-dir is the former name of --output"), "\(both.stderr)")
        let old = try NSTBinary.run(["experiment", "style-depth", "--content-layers", "conv5_2", "--content-layer", "conv4_2"])
        #expect(old.status == 64 && old.stderr.contains("--content-layer is the former name"), "\(old.stderr)")
        let help = try NSTBinary.run(["experiment", "style-depth", "--help"])
        #expect(help.stdout.contains("-o, --output <dir>") && help.stdout.contains("--content-layers <layer>"))
        #expect(!help.stdout.contains("--output-dir") && !help.stdout.contains("--content-layer "))
    }

    @Test func theShippedImagesAreFoundFromTheCheckout() throws {
        // The defaults point into Examples/images/, committed with the repository.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for name in ["sea-turtle.jpg", "great-wave.jpg"] {
            let data = try Data(contentsOf: root.appendingPathComponent("Examples/images/\(name)"))
            #expect(data.starts(with: [0xFF, 0xD8, 0xFF]), "\(name) is not a JPEG")
        }
    }
}
