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
        #expect(s[path: "options", "iterations"] as? Int == 12)
        #expect(s["seconds"] is Double && s["started"] is String)
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
        #expect(r.stderr.contains("gradient") && r.stderr.contains("became") && r.stderr.contains("at iteration 1"), "\(r.stderr)")
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
        // Keras' blockN_convM is the rectified map (engine: block4_conv2 → relu4_2).
        #expect(s[path: "options", "content_layers"] as? [String] == ["relu2_2"])
        #expect(s[path: "options", "style_layers"] as? [String] == ["relu1_1", "relu2_1"])
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
        #expect(tooSmall.status != 0 && tooSmall.status < 128 && tooSmall.stderr.contains("needs at least 16 pixels"), "\(tooSmall.stderr)")
        let notPNG = try f.transfer([], output: "o.jpg", iterations: 1)
        #expect(notPNG.status != 0 && notPNG.stderr.contains(".png"))
    }
}
