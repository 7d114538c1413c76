import Dispatch
import NSTTensor
import NSTLayers
import NSTVGG
import NSTRandom

/// One size's style-transfer iteration as the experiment runs it: fixed random content and
/// style targets, a random image, a timed forward pass and a timed losses + backward pass.
struct Workload {
    let net: VGG<Float>
    let x: Tensor<Float>
    let keep: Set<String>
    let styleTargets: [String: Tensor<Float>]
    let contentLayer: String
    let contentTarget: Tensor<Float>

    init(net: VGG<Float>, width: Int, height: Int, styleLayers: [String], contentLayer: String) {
        var rng = SplitMix64(seed: 42)
        // Images in the preprocessed range of Caffe VGG (≈ ±128).
        let style = Tensor<Float>.uniform([3, height, width], in: -120...130, using: &rng)
        let content = Tensor<Float>.uniform([3, height, width], in: -120...130, using: &rng)
        self.net = net
        self.x = Tensor<Float>.uniform([3, height, width], in: -120...130, using: &rng)
        self.keep = Set(styleLayers + [contentLayer])
        self.contentLayer = contentLayer
        let s = net.forward(style, keep: Set(styleLayers))
        var targets: [String: Tensor<Float>] = [:]
        for name in styleLayers { targets[name] = Gram.forward(Self.matrix(s[name]!)) }
        self.styleTargets = targets
        self.contentTarget = Self.matrix(net.forward(content, keep: [contentLayer])[contentLayer]!)
    }

    static func matrix(_ a: Tensor<Float>) -> Tensor<Float> { a.reshaped([a.shape[0], a.shape[1] * a.shape[2]]) }

    /// (forward seconds, losses + backward seconds, the image's gradient)
    func iteration() -> (forward: Double, backward: Double, gradient: Tensor<Float>) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let acts = net.forward(x, keep: keep)
        let t1 = DispatchTime.now().uptimeNanoseconds
        var d: [String: Tensor<Float>] = [:]
        let c = acts[contentLayer]!
        d[contentLayer] = ContentLoss.backward(Self.matrix(c), contentTarget).reshaped(c.shape)
        for (name, target) in styleTargets {
            let a = acts[name]!
            let g = StyleLoss.backward(Self.matrix(a), target, dE: 1e3).reshaped(a.shape)
            if d[name] == nil { d[name] = g } else { d[name]!.add(g) }
        }
        let dx = net.backward(d)
        precondition(dx.shape == x.shape)
        let t2 = DispatchTime.now().uptimeNanoseconds
        return (Double(t1 - t0) / 1e9, Double(t2 - t1) / 1e9, dx)
    }
}
