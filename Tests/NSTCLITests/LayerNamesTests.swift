import Testing
import Foundation

/// One naming convention: every file names layers as the network does (relu4_2 is the
/// rectified output, conv4_2 the map before the ReLU). On the command line the paper's
/// spelling is still accepted (a typed conv4_2 means relu4_2), `--activation conv` picks the
/// pre-activation maps in both commands, and a run of the experiment can be repeated with
/// `transfer` and gives the same image, byte for byte.
@Suite("layer names", .serialized)
struct LayerNamesTests {
    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    func transfer(_ f: TransferFixture, output: String, _ extra: [String]) throws -> NSTBinary.Output {
        try NSTBinary.run(["transfer", "--content", f.content, "--style", f.style, "-o", f.path(output), "--random-weights",
                           "--size", "32", "--iterations", "4", "--print-every", "0", "--content-layers", "conv5_2",
                           "--style-weight", "1e7"] + extra)
    }

    @Test(arguments: [[], ["--activation", "conv"]])
    func transferRepeatsTheExperimentByteForByte(_ activation: [String]) throws {
        let f = try TransferFixture()
        let exp = try NSTBinary.run(["experiment", "style-depth", "--content", f.content, "--style", f.style, "-o", f.path("sd"),
                                     "--random-weights", "--size", "32", "--iterations", "4", "--print-every", "0"] + activation)
        #expect(exp.status == 0, "\(exp.stderr)")
        let five = try transfer(f, output: "five.png", activation)
        #expect(five.status == 0, "\(five.stderr)")
        let three = try transfer(f, output: "three.png", ["--style-layers", "conv1_1,conv2_1,conv3_1"] + activation)
        #expect(three.status == 0, "\(three.stderr)")
        let read = { (p: String) in try Data(contentsOf: URL(fileURLWithPath: f.path(p))) }
        #expect(try read("five.png") == read("sd/layers-5.png"))
        #expect(try read("three.png") == read("sd/layers-3.png"))

        // The same network names in transfer's sidecar, the experiment's and metrics.json.
        let kind = activation.last ?? "relu"
        let style = (1...5).map { "\(kind)\($0)_1" }
        for sidecar in ["five.json", "sd/layers-5.json"] {
            let s = try json(f.path(sidecar))
            #expect(s[path: "options", "content_layers"] as? [String] == ["\(kind)5_2"], "\(sidecar)")
            #expect(s[path: "options", "style_layers"] as? [String] == style, "\(sidecar)")
            let curve = s["curve"] as? [[String: Any]]
            #expect((curve?.first?["style_layers"] as? [String: Double]).map { Set($0.keys) } == Set(style), "\(sidecar)")
        }
        let m = try json(f.path("sd/metrics.json"))
        #expect(m["content_layer"] as? String == "\(kind)5_2")
        #expect(m["evaluation_layers"] as? [String] == style)
    }

    /// The old spelling still works: a typed conv4_2 is relu4_2 unless --activation conv asks
    /// for the maps before the ReLU, and then a typed relu4_2 is conv4_2.
    @Test func conv42MeansTheRectifiedMapUnlessAskedOtherwise() throws {
        let f = try TransferFixture()
        for (name, extra) in [("conv", ["--style-layers", "conv1_1,conv2_1,conv3_1,conv4_1,conv5_1"]),
                              ("relu", ["--content-layers", "relu5_2", "--style-layers", "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1"]),
                              ("pre", ["--activation", "conv"]),
                              ("pre-typed-relu", ["--activation", "conv", "--content-layers", "relu5_2"])] {
            let r = try transfer(f, output: "\(name).png", extra)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let read = { (p: String) in try Data(contentsOf: URL(fileURLWithPath: f.path(p))) }
        #expect(try read("conv.png") == read("relu.png"))
        #expect(try read("conv.png") != read("pre.png"))
        #expect(try read("pre.png") == read("pre-typed-relu.png"))
        let s = try json(f.path("conv.json"))
        #expect(s[path: "options", "style_layers"] as? [String] == ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"])
        #expect(s[path: "options", "content_layers"] as? [String] == ["relu5_2"])
    }

    @Test func bothCommandsExplainActivationTheSameWay() throws {
        let transfer = try NSTBinary.run(["transfer", "--help"], environment: ["COLUMNS": "200"])
        let experiment = try NSTBinary.run(["experiment", "style-depth", "--help"], environment: ["COLUMNS": "200"])
        // The option's whole entry: its line and the indented lines that continue it.
        func entry(_ help: String) -> String? {
            let lines = help.split(separator: "\n").map(String.init)
            guard let i = lines.firstIndex(where: { $0.hasPrefix("  --activation <activation>") }) else { return nil }
            return ([lines[i]] + lines[(i + 1)...].prefix { $0.hasPrefix("      ") }).joined(separator: "\n")
        }
        #expect(entry(transfer.stdout) != nil && entry(transfer.stdout) == entry(experiment.stdout), "\(transfer.stdout)")
        #expect(entry(transfer.stdout)?.contains("rectified") == true)
    }
}
