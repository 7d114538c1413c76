import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif


/// A scratch folder with a content and two style images.
struct TransferFixture {
    let dir: URL
    var content: String { dir.appendingPathComponent("content.png").path }
    var style: String { dir.appendingPathComponent("style.png").path }
    var style2: String { dir.appendingPathComponent("style2.png").path }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nst-transfer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // Content: a reddish disc on a gradient; styles: diagonal stripes, checkerboard.
        try TinyPNG.make(width: 40, height: 30) { x, y in
            let d = (x - 20) * (x - 20) + (y - 15) * (y - 15)
            return d < 64 ? (220, 60, 50) : (UInt8(x * 6), UInt8(y * 8), 120)
        }.write(to: URL(fileURLWithPath: content))
        try TinyPNG.make(width: 48, height: 48) { x, y in (x + y) % 8 < 4 ? (20, 40, 160) : (240, 230, 200) }
            .write(to: URL(fileURLWithPath: style))
        try TinyPNG.make(width: 36, height: 36) { x, y in (x / 4 + y / 4) % 2 == 0 ? (0, 0, 0) : (250, 250, 40) }
            .write(to: URL(fileURLWithPath: style2))
    }

    /// `nst transfer` on the tiny random-weights network at 32 px.
    func transfer(_ extra: [String], output: String = "out.png", iterations: Int = 12) throws -> NSTBinary.Output {
        try NSTBinary.run(["transfer", "--content", content, "--style", style, "--output", path(output),
                           "--random-weights", "--size", "32", "--iterations", "\(iterations)", "--print-every", "1"] + extra)
    }

    func sidecar(_ name: String = "out.json") throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path(name)))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }
}

extension Dictionary where Key == String, Value == Any {
    subscript(path keys: String...) -> Any? {
        var cur: Any? = self
        for k in keys { cur = (cur as? [String: Any])?[k] }
        return cur
    }
}

@Suite(.serialized) struct TransferCommandTests {
    @Test func tinyRunDecreasesTheLossAndWritesPNGAndSidecar() throws {
        let f = try TransferFixture()
        let r = try f.transfer([])
        #expect(r.status == 0, "\(r.stderr)")
        let png = try Data(contentsOf: URL(fileURLWithPath: f.path("out.png")))
        let size = TinyPNG.validSize(png)
        #expect(size?.0 == 32 && size?.1 == 24)
        let s = try f.sidecar()
        let curve = s["curve"] as! [[String: Any]]
        #expect(curve.count == 12)
        let first = curve.first!["total"] as! Double
        let final = s[path: "final", "total"] as! Double
        #expect(final < first, "loss \(first) → \(final)")
        #expect(s["seed"] as? Int == 0)
        #expect((s[path: "model", "path"] as? String)?.contains("random-weights") == true)
        #expect(s["stop_reason"] as? String == "budget")
        #expect(s[path: "options", "max_evaluations"] as? Int == 12 && s[path: "options", "iterations"] == nil)
        #expect(s["seconds"] is Double && s["started"] is String)
        #expect((s["tool_version"] as? String)?.split(separator: ".").count == 3, "\(String(describing: s["tool_version"]))")
        // Plain progress lines, one per evaluation, parseable.
        let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("label=transfer iter=") }
        #expect(lines.count == 12)
        #expect(lines.last?.contains("iter=12/12 loss=") == true)
    }

    @Test func nanProducingSettingStopsWithAClearErrorAndNoImage() throws {
        let f = try TransferFixture()
        // β = 1e39 overflows Float: the gradient becomes non-finite at the first evaluation.
        let r = try f.transfer(["--style-weight", "1e39"], iterations: 5)
        #expect(r.status == 1)
        #expect(r.stderr.contains("gradient") && r.stderr.contains("became") && r.stderr.contains("at evaluation 1"), "\(r.stderr)")
        #expect(r.stderr.contains("--style-weight"))
        #expect(!FileManager.default.fileExists(atPath: f.path("out.png")))
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func signalWritesTheCurrentImageAndSidecar(_ signal: Int32, _ status: Int32) throws {
        let f = try TransferFixture()
        let log = URL(fileURLWithPath: f.path("stderr.txt"))
        let args = ["transfer", "--content", f.content, "--style", f.style, "--output", f.path("out.png"),
                    "--random-weights", "--size", "32", "--iterations", "1000000", "--print-every", "1"]
        // Through `sh -c 'exec …'` so stderr goes straight to a file we can poll and the pid is nst's.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "exec \"$0\" \"$@\" 2>\"\(log.path)\" >/dev/null", NSTBinary.url.path] + args
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, !(String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self)).contains("iter=3/") {
            usleep(20_000)
        }
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        #expect(p.terminationStatus == status)
        let png = try Data(contentsOf: URL(fileURLWithPath: f.path("out.png")))
        #expect(TinyPNG.validSize(png)?.0 == 32)
        let s = try f.sidecar()
        #expect(s["stop_reason"] as? String == "interrupted")
        #expect((s["evaluations"] as? Int ?? 0) >= 3)
    }

    @Test func layerFlagsAcceptKerasNamesAndRejectUnknownOnes() throws {
        let f = try TransferFixture()
        let ok = try f.transfer(["--content-layers", "block2_conv2", "--style-layers", "relu1_1,block2_conv1", "--style-layer-weights", "1,0.5"], iterations: 3)
        #expect(ok.status == 0, "\(ok.stderr)")
        let s = try f.sidecar()
        // Keras' blockN_convM is the rectified map (block2_conv2 → relu2_2), which the sidecar
        // names as the network does.
        #expect(s[path: "options", "content_layers"] as? [String] == ["relu2_2"])
        #expect(s[path: "options", "style_layers"] as? [String] == ["relu1_1", "relu2_1"])
        #expect(s[path: "options", "activation"] == nil)
        #expect(((s["final"] as! [String: Any])["style"] as! [String: Double]).count == 2)
        let bad = try f.transfer(["--style-layers", "conv9_9"], iterations: 2)
        #expect(bad.status != 0 && bad.stderr.contains("conv9_9") && bad.stderr.contains("valid layers"))
        let mismatch = try f.transfer(["--style-layer-weights", "1,2"], iterations: 2)
        #expect(mismatch.status != 0 && mismatch.stderr.contains("2 values for 5 style layers"))
    }

    @Test func weightFlagsAreRecordedAndChangeTheObjective() throws {
        let f = try TransferFixture()
        _ = try f.transfer(["--content-weight", "2", "--style-weight", "0", "--tv-weight", "0.5"], iterations: 2)
        let s = try f.sidecar()
        let fin = s["final"] as! [String: Any]
        let content = (fin["content"] as! [String: Double]).values.reduce(0, +)
        let tv = fin["tv"] as! Double
        #expect(abs((fin["total"] as! Double) - (2 * content + 0.5 * tv)) <= 1e-6 * (fin["total"] as! Double))
        let neg = try f.transfer(["--style-weight", "-1"], iterations: 2)
        #expect(neg.status != 0 && neg.stderr.contains("--style-weight"))
    }

    @Test func initAndSeedFlags() throws {
        let f = try TransferFixture()
        for (name, seed) in [("a.png", "1"), ("b.png", "1"), ("c.png", "2")] {
            let r = try f.transfer(["--init", "noise", "--seed", seed], output: name, iterations: 2)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let a = try Data(contentsOf: URL(fileURLWithPath: f.path("a.png")))
        #expect(a == (try Data(contentsOf: URL(fileURLWithPath: f.path("b.png")))))
        #expect(a != (try Data(contentsOf: URL(fileURLWithPath: f.path("c.png")))))
        let style = try f.transfer(["--init", "style"], output: "s.png", iterations: 1)
        #expect(style.status == 0)
        let bad = try f.transfer(["--init", "zeros"], iterations: 1)
        #expect(bad.status != 0 && bad.stderr.contains("content") && bad.stderr.contains("noise"))
    }

    @Test func optimizerFlags() throws {
        let f = try TransferFixture()
        let adam = try f.transfer(["--optimizer", "adam", "--learning-rate", "2"], iterations: 10)
        #expect(adam.status == 0)
        let s = try f.sidecar()
        #expect(s["learning_rate"] as? Double == 2 && s[path: "options", "optimizer"] as? String == "adam")
        let curve = (s["curve"] as! [[String: Any]]).map { $0["total"] as! Double }
        #expect(curve.last! < curve.first!)
        let fixed = try f.transfer(["--line-search", "none", "--lbfgs-history", "3"], iterations: 4)
        #expect(fixed.status == 0)
        #expect(try f.sidecar()[path: "options", "lbfgs_history"] as? Int == 3)
        let ng = try f.transfer(["--normalize-gradients"], iterations: 4)
        #expect(ng.status == 0, "\(ng.stderr)")
    }

    @Test func networkFlags() throws {
        let f = try TransferFixture()
        let r = try f.transfer(["--pooling", "avg", "--normalize-vgg"], iterations: 3)
        #expect(r.status == 0, "\(r.stderr)")
        let s = try f.sidecar()
        #expect(s[path: "options", "pooling"] as? String == "avg" && s[path: "options", "normalize_vgg"] as? Bool == true)
        let raw = try f.transfer(["--no-normalize-vgg"], iterations: 2)
        #expect(raw.status == 0)
        #expect(try f.sidecar()[path: "options", "normalize_vgg"] as? Bool == false)
        let missing = try NSTBinary.run(["transfer", "--content", f.content, "--style", f.style, "--output", f.path("m.png"),
                                         "--model", f.path("no-such-model.safetensors")])
        #expect(missing.status != 0 && missing.stderr.contains("no-such-model.safetensors"))
        #expect(missing.stderr.contains("nst model fetch") || missing.stderr.contains("installed"))
    }

    @Test func styleFlags() throws {
        let f = try TransferFixture()
        let r = try NSTBinary.run(["transfer", "--content", f.content, "--style", f.style, "--style", f.style2,
                                   "--style-blend-weights", "3,1", "--style-scale", "0.5", "--original-colors",
                                   "--output", f.path("out.png"), "--random-weights", "--size", "32", "--iterations", "3"])
        #expect(r.status == 0, "\(r.stderr)")
        let s = try f.sidecar()
        #expect((s["styles"] as? [String])?.count == 2)
        #expect(s[path: "options", "style_blend_weights"] as? [Double] == [3, 1])
        #expect(s[path: "options", "original_colors"] as? Bool == true)
        let wrong = try NSTBinary.run(["transfer", "--content", f.content, "--style", f.style, "--style-blend-weights", "1,2",
                                       "--random-weights"])
        #expect(wrong.status != 0 && wrong.stderr.contains("2 values for 1 --style images"))
        let missing = try NSTBinary.run(["transfer", "--content", f.path("nope.jpg"), "--style", f.style, "--random-weights"])
        #expect(missing.status != 0 && missing.stderr.contains("nope.jpg"))
    }

    @Test func outputFlags() throws {
        let f = try TransferFixture()
        let r = try f.transfer(["--save-every", "4", "--print-every", "5"], output: "sub/dir/o.png", iterations: 10)
        #expect(r.status == 0, "\(r.stderr)")
        for n in [4, 8] { #expect(FileManager.default.fileExists(atPath: f.path("sub/dir/o_\(n).png"))) }
        #expect(FileManager.default.fileExists(atPath: f.path("sub/dir/o.json")))
        let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("label=transfer iter=") }
        #expect(lines.map { String($0.split(separator: " ")[1]) } == ["iter=5/10", "iter=10/10"])
        let tooSmall = try NSTBinary.run(["transfer", "--content", f.content, "--style", f.style, "--random-weights", "--size", "16",
                                          "--output", f.path("small.png")])
        #expect(tooSmall.status == 64 && tooSmall.stderr.contains("needs at least 16 pixels"), "\(tooSmall.stderr)")
        #expect(tooSmall.stderr.hasPrefix("nst: error: the content image is too small (\(f.content)): "), "\(tooSmall.stderr)")
        let notPNG = try f.transfer([], output: "o.jpg", iterations: 1)
        #expect(notPNG.status != 0 && notPNG.stderr.contains(".png"))
    }
}
/// One run of nst through bash, so a test can close, fill or cut its streams, limit its
/// file size, or signal it.
struct ShellRun {
    var status: Int32
    var signalled: Bool
    var stderr: String

    /// `"$nst" ARGS REDIRECTS` (REDIRECTS such as `2>&-`, `2>&1 | head -n1`; stderr goes to a
    /// log file unless REDIRECTS sends it elsewhere); the status is nst's own (PIPESTATUS).
    /// `before` runs first in the same shell (e.g. `ulimit -f 2`).
    static func run(_ args: [String], redirects: String = "", before: String = "", environment: [String: String] = [:],
                    in dir: URL) throws -> ShellRun {
        let log = dir.appendingPathComponent("stderr-\(UUID().uuidString).txt").path
        defer { unlink(log) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", "\(before)\n\"$NST_BINARY_UNDER_TEST\" \"$@\" 2>\"$NST_LOG\" \(redirects); exit ${PIPESTATUS[0]}", "nst"] + args
        var env = ProcessInfo.processInfo.environment
        env["NST_BINARY_UNDER_TEST"] = NSTBinary.url.path
        env["NST_LOG"] = log
        for (k, v) in environment { env[k] = v }
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return ShellRun(status: p.terminationStatus, signalled: p.terminationReason == .uncaughtSignal,
                        stderr: String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self))
    }

    /// Starts `nst ARGS` (exec'd, so the pid is nst's), waits until its stderr contains
    /// `marker` (or `delay` seconds pass when `marker` is nil), sends `signal`, and waits.
    static func signalled(_ args: [String], environment: [String: String] = [:], marker: String?, delay: Double = 0,
                          signal: Int32, in dir: URL) throws -> ShellRun {
        let log = dir.appendingPathComponent("stderr-\(UUID().uuidString).txt").path
        defer { unlink(log) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "exec \"$0\" \"$@\" 2>\"\(log)\" >/dev/null", NSTBinary.url.path] + args
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        try p.run()
        if let marker {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, p.isRunning,
                  !String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self).contains(marker) {
                usleep(5_000)
            }
        } else {
            usleep(useconds_t(delay * 1e6))
        }
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        return ShellRun(status: p.terminationStatus, signalled: p.terminationReason == .uncaughtSignal,
                        stderr: String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self))
    }
}

/// The output set of `nst transfer` (#3, #4, #5, #8, #11, #12, #15, #18).
@Suite(.serialized) struct TransferOutputSetTests {
    /// A previous complete set, out.png + out.json, that must survive failed runs.
    static func oldSet(_ f: TransferFixture) throws -> (png: Data, json: Data) {
        let png = try Data(contentsOf: URL(fileURLWithPath: f.style))
        let json = Data(#"{"old": true}"#.utf8)
        try png.write(to: URL(fileURLWithPath: f.path("out.png")))
        try json.write(to: URL(fileURLWithPath: f.path("out.json")))
        return (png, json)
    }

    static func current(_ f: TransferFixture) -> (png: Data?, json: Data?) {
        (FileManager.default.contents(atPath: f.path("out.png")), FileManager.default.contents(atPath: f.path("out.json")))
    }

    /// out.png and out.json still hold `old`, and no temp file or journal is left.
    static func expectUntouched(_ old: (png: Data, json: Data), in f: TransferFixture, sourceLocation: SourceLocation = #_sourceLocation) {
        let now = current(f)
        #expect(now.png == old.png && now.json == old.json, sourceLocation: sourceLocation)
        #expect(leftovers(f).isEmpty, "\(leftovers(f))", sourceLocation: sourceLocation)
    }

    /// Hidden files (temp files, journals) left in the folder.
    static func leftovers(_ f: TransferFixture) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: f.dir.path)) ?? []).filter { $0.hasPrefix(".") }
    }

    static func args(_ f: TransferFixture, iterations: Int = 3, output: String = "out.png") -> [String] {
        ["transfer", "--content", f.content, "--style", f.style, "--output", f.path(output),
         "--random-weights", "--size", "32", "--iterations", "\(iterations)", "--print-every", "1"]
    }

    /// The pair is complete and belongs together: the sidecar records the PNG's SHA-256.
    static func isCompleteNewSet(png: Data?, json: Data?) -> Bool {
        guard let png, let json, TinyPNG.validSize(png) != nil,
              let s = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else { return false }
        return s["image_sha256"] as? String == sha256Hex(png)
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func anInterruptBeforeTheFirstEvaluationWritesNothing(_ signal: Int32, _ status: Int32) throws {
        let f = try TransferFixture()
        let old = try Self.oldSet(f)
        let r = try ShellRun.signalled(Self.args(f, iterations: 1000), environment: ["NST_TEST_HOLD_BEFORE_RUN": "1"],
                                       marker: "holding before the first evaluation", signal: signal, in: f.dir)
        #expect(!r.signalled && r.status == status, "\(r.status) \(r.stderr)")
        #expect(r.stderr.contains("interrupted before the first evaluation: nothing written"), "\(r.stderr)")
        Self.expectUntouched(old, in: f)
    }

    @Test func anOutputThatIsAnInputIsRefusedBeforeAnyWork() throws {
        let f = try TransferFixture()
        let original = try Data(contentsOf: URL(fileURLWithPath: f.content))
        try FileManager.default.createSymbolicLink(atPath: f.path("link.png"), withDestinationPath: f.content)
        for target in [f.content, f.path("link.png")] {
            let r = try NSTBinary.run(["transfer", "--content", f.content, "--style", f.style, "--output", target,
                                       "--random-weights", "--size", "32", "--iterations", "2"])
            #expect(r.status == 64, "\(r.stderr)")
            #expect(r.stderr == "nst: error: refusing to write over an input (\(target)): it is the same file as the input \(f.content); choose another output path\n")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: f.content)) == original)
    }

    @Test(arguments: ["2>&1 | head -n1", "2>&-", "2>/dev/full"])
    func aClosedOrFullProgressStreamDoesNotLoseTheRun(redirects: String) throws {
        let f = try TransferFixture()
        let r = try ShellRun.run(Self.args(f, iterations: 4), redirects: redirects, in: f.dir)
        #expect(!r.signalled && r.status == 0, "status \(r.status): \(r.stderr)")
        let now = Self.current(f)
        #expect(Self.isCompleteNewSet(png: now.png, json: now.json))
        let s = try f.sidecar()
        #expect((s["curve"] as? [Any])?.count == 4)
    }

    @Test(arguments: ["write:1", "write:2", "fsync:2", "rename:1"])
    func aWriteFailureKeepsThePreviousSet(fault: String) throws {
        let f = try TransferFixture()
        let old = try Self.oldSet(f)
        let r = try ShellRun.run(Self.args(f), environment: ["NST_TEST_FAULT": fault], in: f.dir)
        #expect(r.status == 74, "\(r.stderr)")
        let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("nst: error: ") }
        #expect(lines.count == 1 && lines[0].contains("(\(f.dir.path)/out."), "\(r.stderr)")
        Self.expectUntouched(old, in: f)
    }

    @Test func aFileSizeLimitIsAnIOErrorNotASignal() throws {
        let f = try TransferFixture()
        let old = try Self.oldSet(f)
        // 2 KiB: the 32×24 PNG fits, its sidecar does not.
        let r = try ShellRun.run(Self.args(f), before: "ulimit -f 2", in: f.dir)
        #expect(!r.signalled && r.status == 74, "\(r.status) \(r.stderr)")
        #expect(r.stderr.contains("File too large; the file size limit (ulimit -f) is too small"), "\(r.stderr)")
        Self.expectUntouched(old, in: f)
    }

    /// SIGKILL between the two renames: the image is new, the sidecar old, and a journal
    /// says so; the next run writing into the folder completes the set first.
    /// Every file a run would write is checked against every file it reads before any work:
    /// an intermediate named like the content image, and a sidecar named like the weights.
    @Test func intermediatesAndSidecarsNeverReplaceAnInput() throws {
        let f = try TransferFixture()
        let content = f.path("out_2.png")
        try FileManager.default.copyItem(atPath: f.content, toPath: content)
        let original = try Data(contentsOf: URL(fileURLWithPath: content))
        let r = try NSTBinary.run(["transfer", "--content", content, "--style", f.style, "--output", f.path("out.png"),
                                   "--random-weights", "--size", "32", "--iterations", "4", "--save-every", "2"])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("refusing to write over an input (\(content))"), "\(r.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: content)) == original)
        #expect(!FileManager.default.fileExists(atPath: f.path("out.png")), "the run went ahead")

        let weights = f.path("w.json")
        try Data("{\"weights\": true}".utf8).write(to: URL(fileURLWithPath: weights))
        let m = try NSTBinary.run(["transfer", "--content", f.content, "--style", f.style, "--output", f.path("w.png"),
                                   "--model", weights, "--size", "32", "--iterations", "2"])
        #expect(m.status == 64, "\(m.stderr)")
        #expect(m.stderr.contains("refusing to write over an input (\(weights))"), "\(m.stderr)")
        #expect(try String(contentsOfFile: weights, encoding: .utf8) == "{\"weights\": true}")
    }

    /// A name the file system cannot hold (the sidecar's, or an intermediate's, one byte too
    /// long) is refused before the run, leaving nothing behind.
    @Test(arguments: [(251, 0), (250, 2)])
    func aNameTooLongForTheFileSystemIsRefusedBeforeTheRun(stemBytes: Int, saveEvery: Int) throws {
        let f = try TransferFixture()
        let name = String(repeating: "a", count: stemBytes) + ".png"
        let r = try NSTBinary.run(["transfer", "--content", f.content, "--style", f.style, "--output", f.path(name),
                                   "--random-weights", "--size", "32", "--iterations", "4", "--save-every", "\(saveEvery)"])
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("bytes long, and file systems allow 255; choose a shorter name"), "\(r.stderr)")
        #expect(!r.stderr.contains("evaluations"), "the run went ahead: \(r.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: f.dir.path).filter { !["content.png", "style.png", "style2.png"].contains($0) }
        #expect(left.isEmpty, "\(left)")
    }

    /// `nst ARGS` under `ulimit -v kib`, killed after 60 s: (status, stderr). Status 137 means
    /// it hung.
    static func underAddressSpaceLimit(kib: Int, _ args: [String]) throws -> (status: Int32, stderr: String) {
        let p = Process()
        let err = Pipe()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", "ulimit -v \(kib) && exec timeout -s KILL 60 \"$0\" \"$@\"", NSTBinary.url.path] + args
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = nil
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }

    /// Under an address-space limit OpenBLAS retries a work buffer it cannot map for ever, at
    /// full CPU: nst must finish (or refuse with one line) instead.
    @Test func anAddressSpaceLimitIsRefusedInOneLineNotAHang() throws {
        let f = try TransferFixture()
        let version = try Self.underAddressSpaceLimit(kib: 200_000, ["--version"])
        #expect(version.status == 0, "\(version)")
        // Under each limit the run either finishes or is refused in one line; it never hangs
        // (OpenBLAS retrying a buffer) or crashes. (Which one depends on what the runtime maps.)
        for kib in [250_000, 400_000, 570_000, 650_000] {
            let run = try Self.underAddressSpaceLimit(kib: kib, ["transfer", "--content", f.content, "--style", f.style,
                                                                 "--output", f.path("out-\(kib).png"), "--random-weights", "--size", "32", "--iterations", "2"])
            let refused = run.status == 1 && run.stderr.hasPrefix("nst: error: not enough memory for --size 32")
                && run.stderr.contains("raise the address-space limit (ulimit -v)") && run.stderr.split(separator: "\n").count == 1
            #expect(run.status == 0 || refused, "ulimit -v \(kib): \(run)")
        }
        let check = try Self.underAddressSpaceLimit(kib: 300_000, ["check", "--target", "style-layer", "--answer", "(G - A)*F/(N^2*M^2)"])
        // With fewer cores the buffers may fit and the check runs: either way, no hang.
        #expect(check.status == 0 || (check.status == 1 && check.stderr.contains("raise the address-space limit (ulimit -v)")), "\(check)")
    }

    @Test func aCrashBetweenTheRenamesIsCompletedByTheNextRun() throws {
        let f = try TransferFixture()
        _ = try Self.oldSet(f)
        let crashed = try ShellRun.run(Self.args(f, iterations: 2), environment: ["NST_TEST_FAULT": "kill-after-rename:1"], in: f.dir)
        #expect(crashed.status == 128 + SIGKILL)
        #expect(Self.leftovers(f).contains { $0.hasPrefix(".nst-commit-") }, "\(Self.leftovers(f))")
        let next = try ShellRun.run(Self.args(f, iterations: 1, output: "other.png"), in: f.dir)
        #expect(next.status == 0, "\(next.stderr)")
        let now = Self.current(f)
        #expect(Self.isCompleteNewSet(png: now.png, json: now.json))
        #expect((try f.sidecar()["curve"] as? [Any])?.count == 2)
        #expect(Self.leftovers(f).isEmpty, "\(Self.leftovers(f))")
    }

    @Test func aSidecarPathThatIsAFolderIsOneLineBeforeAnyWork() throws {
        let f = try TransferFixture()
        try FileManager.default.createDirectory(atPath: f.path("out.json"), withIntermediateDirectories: false)
        let r = try f.transfer([], iterations: 2)
        #expect(r.status == 64)
        #expect(r.stderr == "nst: error: cannot write the output (\(f.path("out.json"))): it is a folder; give a file name, not a folder\n")
        #expect(!FileManager.default.fileExists(atPath: f.path("out.png")))
    }

    /// An output folder nst cannot create or write is refused before the run, in one line
    /// without Foundation's error text.
    @Test func anUnwritableOutputFolderFailsBeforeTheRun() throws {
        let f = try TransferFixture()
        _ = FileManager.default.createFile(atPath: f.path("afile"), contents: Data())
        for (output, folder) in [("/proc/nst-no-such/out.png", "/proc/nst-no-such"), ("/proc/out.png", "/proc"),
                                 (f.path("afile/out.png"), f.path("afile"))] {
            let r = try NSTBinary.run(Self.args(f).map { $0 == f.path("out.png") ? output : $0 })
            #expect(r.status == 74, "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.hasPrefix("nst: error: cannot ")
                    && r.stderr.contains("(\(folder)): "), "\(r.stderr)")
            #expect(!r.stderr.contains("label=transfer") && !r.stderr.contains("NSCocoaErrorDomain"), "\(r.stderr)")
        }
    }

    // MARK: one error path

    @Test func aMissingInputIsOneRuntimeErrorLine() throws {
        let f = try TransferFixture()
        let r = try f.transfer(["--content", f.path("nope.png")])
        #expect(r.status == 1)
        #expect(r.stderr == "nst: error: cannot read the --content image (\(f.path("nope.png"))): No such file or directory; check the path\n")
    }

    @Test func aPathWithANewlineIsPrintedEscaped() throws {
        let f = try TransferFixture()
        let r = try f.transfer(["--content", f.dir.path + "/a\nb.png"])
        #expect(r.status == 1)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("/a\\nb.png"), "\(r.stderr)")
    }

    @Test func aNegativeSizeSaysWhatIsWrong() throws {
        let f = try TransferFixture()
        let r = try f.transfer(["--size", "-5"])
        #expect(r.status == 64)
        #expect(r.stderr == "nst: error: invalid command line: --size must be between 16 and 4096 pixels (got -5); see `nst transfer --help`\n")
    }

    @Test func aMistypedCommandGetsASuggestion() throws {
        let r = try NSTBinary.run(["trasnfer", "--content", "x.png"])
        #expect(r.status == 64)
        #expect(r.stderr.hasPrefix("nst: error: unknown command 'trasnfer'") && r.stderr.hasSuffix("did you mean `nst transfer`?\n"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    // MARK: memory (#12)

    @Test func aSizeThatCannotFitIsRefusedSayingWhatItNeeds() throws {
        let f = try TransferFixture()
        let meminfo = f.path("meminfo")
        try "MemTotal:        1000000 kB\nMemAvailable:     700000 kB\n".write(toFile: meminfo, atomically: true, encoding: .utf8)
        let env = ProcessInfo.processInfo.environment.merging(["NST_TEST_MEMINFO": meminfo]) { $1 }
        let big = try NSTBinary.run(Self.args(f) + ["--size", "4096"], environment: env)
        #expect(big.status == 1)
        // --random-weights: ⅛ of the whole estimate. 4096×3072: (0.59 GB + 12.6 M px × 1361 B) / 8.
        #expect(big.stderr == "nst: error: not enough memory for --size 4096 (\(f.content)): a 4096×3072 run needs about 2.2 GB and 717 MB is available; use --size 2240 or less, or free some memory\n", "\(big.stderr)")
        #expect(!FileManager.default.fileExists(atPath: f.path("out.png")))
        let small = try NSTBinary.run(Self.args(f, iterations: 1), environment: env)
        #expect(small.status == 0, "\(small.stderr)")
    }

    // MARK: survival

    /// 50 runs, each hit by SIGINT, SIGTERM or SIGKILL at a random moment (from before the
    /// handler is installed to after the files are written). The test takes about 50 × ½ of
    /// one tiny run's time (≈ 1 s each on an idle two-core machine). After every one, out.png and
    /// out.json are the previous complete set or a new complete set (the sidecar's SHA-256
    /// is the PNG's), never a mix; and no run ends by a signal other than the one sent.
    @Test func fiftyRandomSignalsNeverLeaveAMixedSet() throws {
        let f = try TransferFixture()
        var rng = SystemRandomNumberGenerator()
        var outcomes: [String: Int] = [:]
        let started = Date()
        // One clean run: the first complete set, and how long a whole run takes here, so the
        // signals land anywhere from start-up to the last rename whatever the machine's speed.
        let first = try ShellRun.run(Self.args(f, iterations: 2), in: f.dir)
        #expect(first.status == 0, "\(first.stderr)")
        let runSeconds = Date().timeIntervalSince(started)
        var previous = Self.current(f)
        #expect(Self.isCompleteNewSet(png: previous.png, json: previous.json))
        for trial in 0..<50 {
            let signal = [SIGINT, SIGTERM, SIGKILL].randomElement(using: &rng)!
            let delay = Double.random(in: 0...(1.05 * runSeconds), using: &rng)
            let r = try ShellRun.signalled(Self.args(f, iterations: 2), marker: nil, delay: delay, signal: signal, in: f.dir)
            let now = Self.current(f)
            let unchanged = now.png == previous.png && now.json == previous.json
            #expect(unchanged || Self.isCompleteNewSet(png: now.png, json: now.json),
                    "trial \(trial): signal \(signal) after \(delay) s left a mixed set; status \(r.status), \(r.stderr.suffix(300))")
            // Killed by the signal sent, or ended with its status, or finished first.
            let allowed: Set<Int32> = signal == SIGKILL ? [0] : [0, 128 + signal]
            #expect(r.signalled ? r.status == signal : allowed.contains(r.status),
                    "trial \(trial): signal \(signal), status \(r.status), signalled \(r.signalled): \(r.stderr.suffix(300))")
            outcomes["\(signal)/\(r.signalled ? "killed" : "exit \(r.status)")/\(unchanged ? "old" : "new")", default: 0] += 1
            previous = now
        }
        // A last clean run removes what the SIGKILLed ones left behind.
        let last = try ShellRun.run(Self.args(f, iterations: 1), in: f.dir)
        #expect(last.status == 0)
        #expect(Self.leftovers(f).isEmpty, "\(Self.leftovers(f))")
        // Signals landed both before the commit and after it; otherwise the test tested nothing.
        #expect(outcomes.keys.contains { $0.hasSuffix("/old") } && outcomes.keys.contains { $0.hasSuffix("/new") }, "\(outcomes)")
        print("fifty signals: \(outcomes.sorted { $0.key < $1.key }) in \(Int(Date().timeIntervalSince(started))) s")
    }
}

/// SHA-256 of `data` in hex, by the system's sha256sum (an oracle independent of nst's own).
func sha256Hex(_ data: Data) -> String? {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    let inp = Pipe(), out = Pipe()
    p.standardInput = inp; p.standardOutput = out
    guard (try? p.run()) != nil else { return nil }
    inp.fileHandleForWriting.write(data)
    try? inp.fileHandleForWriting.close()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return text.split(separator: " ").first.map(String.init)
}
