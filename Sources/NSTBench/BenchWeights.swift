import NSTTensor
import NSTVGG
import NSTWeights

extension Bench {
    /// The weights `nst bench` times and how the report names them: random VGG16 weights
    /// (seed 0; the speed is the same), or the named / installed default model.
    public static func weights(model: String?, random: Bool) throws -> (weights: VGGWeights<Float>, description: String) {
        if random { return (VGGWeights<Float>.random(architecture: .vgg16, seed: 0), "random VGG16 weights") }
        let (weights, info) = try VGGWeights<Float>.load(try ModelStore.resolve(model))
        return (weights, "\(info.architecture.rawValue) from \(info.path)")
    }
}
