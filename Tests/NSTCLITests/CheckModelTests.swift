import Testing
import Foundation

/// `nst check` with a model installed: a tiny VGG16-shaped model file (6 channels in conv1_1,
/// 2 in every other convolution, seeded weights) written into a temporary model cache.
@Suite("nst check with a model installed")
struct CheckModelTests {
    /// Writes a safetensors file: 8-byte little-endian header length, JSON header, F32 data.
    static func writeTinyVGG16(to url: URL) throws {
        let indices = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
        var header: [String: Any] = ["__metadata__": ["nst.format": "1", "architecture": "vgg16", "channel_order": "BGR",
                                                      "input_scale": "255", "mean": "103.939,116.779,123.68", "std": "1,1,1",
                                                      "source": "nst test", "license": "none"]]
        var data = Data()
        var state: UInt64 = 12345
        func next() -> Float {   // a small LCG: seeded, no dependencies
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Double(state >> 11) / Double(1 << 53)) - 0.5
        }
        var inChannels = 3
        for (k, n) in indices.enumerated() {
            let out = k == 0 ? 6 : 2
            for (name, shape) in [("features.\(n).weight", [out, inChannels, 3, 3]), ("features.\(n).bias", [out])] {
                let count = shape.reduce(1, *)
                let start = data.count
                for _ in 0..<count { var v = next() * (name.hasSuffix("bias") ? 0.2 : 0.6); withUnsafeBytes(of: &v) { data.append(contentsOf: $0) } }
                header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [start, data.count]]
            }
            inChannels = out
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var length = UInt64(json.count).littleEndian
        var file = Data()
        withUnsafeBytes(of: &length) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(data)
        try file.write(to: url)
    }

    static let environment: [String: String] = {
        var env = ProcessInfo.processInfo.environment
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("nst-check-tests-tiny-model")
        let models = cache.appendingPathComponent("nst/models")
        try? FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        try? writeTinyVGG16(to: models.appendingPathComponent("vgg16.safetensors"))
        env["XDG_CACHE_HOME"] = cache.path
        return env
    }()

    static func json(_ args: [String]) throws -> (status: Int32, object: [String: Any]) {
        let r = try NSTBinary.run(["check"] + args + ["--json"], environment: environment)
        return (r.status, try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:])
    }

    static let cases: [(String, String, Int32, String?)] = [
        ("content-layer", "F - P", 0, nil),
        ("content-layer", "P - F", 1, "sign"),
        ("style-layer", "(G - A)*F/(N^2*M^2)", 0, nil),
        ("style-layer", "F'*(G - A)/(N^2*M^2)", 1, "transposed"),
        ("style-layer", "(G - A)*F/(2*N^2*M^2)", 1, "scale"),
        ("update", "F - eta*alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2)", 1, "sign"),
        ("total", "alpha*(F - P) + beta*w*(G - A)*F/(N^2*M^2)", 0, nil),
    ]

    @Test(arguments: cases)
    func judgedOnModelActivations(_ c: (String, String, Int32, String?)) throws {
        let (status, object) = try Self.json(["--target", c.0, "--answer", c.1])
        #expect(status == c.2, "\(object)")
        #expect(object["bindings"] as? String == "model")
        #expect((object["bindings_detail"] as? String)?.hasPrefix("VGG16 relu1_1 (odd draws) and relu2_1 (even draws) activations (vgg16.safetensors)") == true)
        #expect(object["expected_shape"] as? String == "N×M = 6×20")
        if let k = c.3 {
            let kinds = (object["diagnosis"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            #expect(kinds.contains(k))
        }
    }

    @Test func bindingsRandomIgnoresTheModelAndBadLayersAreRefused() throws {
        let random = try Self.json(["--target", "content-layer", "--answer", "F - P", "--bindings", "random"])
        #expect(random.object["bindings"] as? String == "random")
        let deeper = try Self.json(["--target", "content-layer", "--answer", "F - P", "--layer", "relu2_1"])
        #expect(deeper.status == 0)
        #expect(deeper.object["expected_shape"] as? String == "N×M = 2×20")
        let bad = try NSTBinary.run(["check", "--target", "content-layer", "--answer", "F - P", "--layer", "conv9_1"], environment: Self.environment)
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("conv9_1"))
    }
}
