import Dispatch
import NSTTensor
import NSTLayers

/// VGG's convolutional stack on one image, with a backward pass to the image.
///
/// To learn the algorithm, read `referenceForward` and `referenceBackward` first: the same
/// network as a plain layer loop, each layer's derivative beside its forward. `forward` and
/// `backward` compute the same values (tested against the reference) with the layers fused
/// and the saved state kept small, which is what the bookkeeping below is for.
///
/// `forward` runs from the input to the deepest layer in `keep` and returns the kept layers'
/// activations [C,H,W]. It remembers only what `backward` needs: each ReLU's mask, one byte
/// per value, and with max pooling each window's winner, one byte per output value.
/// Convolutions keep nothing — no weight gradients are computed, and a convolution's input
/// gradient needs only its weights.
/// Convolution + bias + ReLU run fused unless the convolution's own output is asked for.
///
/// `backward` takes ∂L/∂(kept layer) for any of the kept layers and returns ∂L/∂x, [3,H,W].
/// Not thread-safe: one instance per thread (it owns its scratch and saved activations).
public final class VGG<Scalar: TensorScalar> {
    public let architecture: VGGArchitecture
    public let pooling: Pooling
    public let convs: [Conv3x3<Scalar>]
    /// Layers this network can compute: every layer up to the last convolution it has weights for
    /// (and its ReLU and pooling).
    public let layers: [VGGLayer]
    public let workspace: ConvWorkspace<Scalar>

    // Saved by forward for backward.
    @usableFromInline var masks: [Int: ReLUMask] = [:]
    /// Which input of each window max pooling passed on, by the pooling layer's position.
    @usableFromInline var poolWinners: [Int: [UInt8]] = [:]
    @usableFromInline var inputShapes: [Int: [Int]] = [:]
    @usableFromInline var deepest = -1
    @usableFromInline var imageShape: [Int] = []

    /// When true, forward and backward record each layer's wall time in `layerTimes` (for
    /// `nst bench`; off by default, it costs a clock read per layer).
    public var recordsLayerTimes = false
    /// (layer name, "forward" | "backward", seconds) of the last forward and backward, in order.
    /// A fused convolution + ReLU is recorded under the convolution's name.
    public var layerTimes: [(layer: String, pass: String, seconds: Double)] = []

    @usableFromInline
    func record(_ name: String, _ pass: String, since start: UInt64) {
        if recordsLayerTimes { layerTimes.append((name, pass, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)) }
    }

    @usableFromInline
    var now: UInt64 { recordsLayerTimes ? DispatchTime.now().uptimeNanoseconds : 0 }

    @inlinable
    public init(architecture: VGGArchitecture, weights: VGGWeights<Scalar>, pooling: Pooling,
                workspace: ConvWorkspace<Scalar> = ConvWorkspace()) {
        precondition(weights.architecture == architecture, "weights are \(weights.architecture), network is \(architecture)")
        self.architecture = architecture
        self.pooling = pooling
        self.convs = weights.convs.map { Conv3x3(weight: $0.weight, bias: $0.bias) }
        self.layers = architecture.layers.filter { $0.convIndex < weights.convs.count }
        self.workspace = workspace
        HeapPolicy.retainFreedMemory()   // every forward/backward allocates large activations anew
    }

    /// Position in `layers` of a layer name (canonical or Keras); stops with a clear message for
    /// a name this network cannot compute (validate user input with `architecture.resolve` first).
    @usableFromInline
    func position(_ name: String) -> Int {
        let canonical: String
        do { canonical = try architecture.resolve(name) } catch { preconditionFailure("\(error)") }
        guard let p = layers.firstIndex(where: { $0.name == canonical }) else {
            preconditionFailure("layer \(canonical) is deeper than the \(convs.count) convolutions this network has weights for")
        }
        return p
    }

    // MARK: reference path (read this first)

    /// The network as the paper draws it, one layer after another, each layer the plain
    /// implementation from NSTLayers: no fusion, no masks or winners, no scratch. It is the
    /// reading path and the oracle `forward` and `backward` are tested against; it is slow
    /// (the convolutions are their definition, looped), so nothing else calls it.
    ///
    /// x [3,H,W] → the kept layers' outputs by canonical name (`keep` may use Keras names), and
    /// `inputs`, every layer's input up to the deepest kept layer (`inputs[i]` is the input of
    /// `layers[i]`): all that `referenceBackward` needs.
    public func referenceForward(_ x: Tensor<Scalar>, keep: Set<String>) -> (kept: [String: Tensor<Scalar>], inputs: [Tensor<Scalar>]) {
        precondition(x.shape.count == 3 && x.shape[0] == 3, "VGG input must be [3, H, W], got \(x.shape)")
        let wanted = Set(keep.map { layers[position($0)].name })
        let deepest = keep.map(position).max() ?? -1
        var kept: [String: Tensor<Scalar>] = [:]
        var inputs: [Tensor<Scalar>] = []
        var a = x                                                          // [3, H, W]
        for layer in layers.prefix(deepest + 1) {
            inputs.append(a)
            switch layer.kind {
            case .conv:                                                    // [C, H, W] → [O, H, W]
                let conv = convs[layer.convIndex]                          // y = W ⋆ x + b, zero padding 1
                a = Conv3x3.referenceForward(a, weight: conv.weight, bias: conv.bias)
            case .relu:                                                    // [O, H, W] → [O, H, W]
                a = ReLU.forward(a)                                        // y = max(x, 0)
            case .pool:                                                    // [C, H, W] → [C, ⌊H/2⌋, ⌊W/2⌋]
                requirePoolable(a, layer)
                a = pooling == .max ? MaxPool2x2.forward(a) : AvgPool2x2.forward(a)
            }
            if wanted.contains(layer.name) { kept[layer.name] = a }
        }
        return (kept, inputs)
    }

    /// ∂L/∂(kept layers) and the `inputs` of `referenceForward` → ∂L/∂x [3,H,W]: the layer loop
    /// run backwards, each gradient of a kept layer added where that layer's output is.
    public func referenceBackward(_ dKept: [String: Tensor<Scalar>], inputs: [Tensor<Scalar>]) -> Tensor<Scalar> {
        precondition(!inputs.isEmpty, "referenceBackward: the forward kept no layer")
        let upstream = Dictionary(dKept.map { (position($0.key), $0.value) }, uniquingKeysWith: { a, b in var a = a; a.add(b); return a })
        precondition(upstream.keys.allSatisfy { $0 < inputs.count }, "referenceBackward: a gradient is for a layer deeper than the forward went")
        var d: Tensor<Scalar>? = nil                                      // ∂L/∂(output of the layer at pos)
        for pos in stride(from: inputs.count - 1, through: 0, by: -1) {
            let layer = layers[pos], x = inputs[pos]
            if let g = upstream[pos] { d = d.map { var sum = $0; sum.add(g); return sum } ?? g }
            guard let dY = d else { continue }                             // no gradient reaches here yet
            switch layer.kind {
            case .conv:                                                    // [O, H, W] → [C, H, W]
                d = Conv3x3.referenceBackward(dY, weight: convs[layer.convIndex].weight)   // dX = W's adjoint applied to dY
            case .relu:                                                    // [O, H, W] → [O, H, W]
                d = ReLU.backward(dY, input: x)                            // dX = dY · [x > 0]
            case .pool:                                                    // [C, ⌊H/2⌋, ⌊W/2⌋] → [C, H, W]
                d = pooling == .max ? MaxPool2x2.backward(dY, input: x)    // dY to each window's maximum
                                    : AvgPool2x2.backward(dY, inputShape: x.shape)   // dY/4 to each input
            }
        }
        return d ?? Tensor(shape: inputs[0].shape)
    }

    // MARK: fast path

    /// x [3,H,W] → the kept layers' activations [C,H',W'] by canonical name. Runs only as deep as
    /// the deepest kept layer. `keep` may use canonical or Keras names.
    ///
    /// Computes what `referenceForward` computes (the place to learn the algorithm; tested
    /// against it), with convolution + bias + ReLU fused and only the state `backward` needs kept.
    @_specialize(where Scalar == Float)
    @inlinable
    public func forward(_ x: Tensor<Scalar>, keep: Set<String>) -> [String: Tensor<Scalar>] {
        precondition(x.shape.count == 3 && x.shape[0] == 3, "VGG input must be [3, H, W], got \(x.shape)")
        let wanted = Set(keep.map(position))
        // The fused convolutions write their masks, and max pooling its winners, into the last
        // evaluation's bytes (same sizes), so an evaluation allocates none after the first.
        var spareMasks = masks.mapValues(\.positive)
        masks.removeAll(keepingCapacity: true)
        var spareWinners = poolWinners
        poolWinners.removeAll(keepingCapacity: true)
        inputShapes.removeAll(keepingCapacity: true)
        imageShape = x.shape
        deepest = wanted.max() ?? -1
        var out: [String: Tensor<Scalar>] = [:]
        var a = x
        /// Whether `a` is a pre-activation whose ReLU output was not stored: the next
        /// convolution reads max(a, 0).
        var aWantsReLU = false
        var pos = 0
        layerTimes.removeAll(keepingCapacity: true)
        while pos <= deepest {
            let layer = layers[pos]
            let start = now
            defer { record(layer.name, "forward", since: start) }
            inputShapes[pos] = a.shape
            switch layer.kind {
            case .conv:
                let conv = convs[layer.convIndex]
                let reluFollows = pos < deepest && layers[pos + 1].kind == .relu
                if !reluFollows {
                    a = conv.forward(a, inputReLU: aWantsReLU, relu: false, workspace: workspace)
                    aWantsReLU = false
                    if wanted.contains(pos) { out[layer.name] = a }
                } else {
                    // conv + bias + ReLU in one pass, which also does the ReLU layer below and
                    // writes its mask; a kept pre-activation (a style layer) comes out of the
                    // same pass. When nothing but the next convolution reads the ReLU's output,
                    // it is not stored: that convolution rectifies the pre-activation as it
                    // reads it (one full-size write less, and one tensor less alive).
                    let feedsOnlyAConv = pos + 2 <= deepest && layers[pos + 2].kind == .conv && !wanted.contains(pos + 1)
                    let outputs: ReLUOutputs = !wanted.contains(pos) ? .rectified : feedsOnlyAConv ? .preActivation : .both
                    var mask = spareMasks.removeValue(forKey: pos + 1) ?? []
                    let fused = conv.forwardWithReLU(a, inputReLU: aWantsReLU, outputs: outputs, mask: &mask, workspace: workspace)
                    if let preActivation = fused.preActivation { out[layer.name] = preActivation }
                    a = fused.rectified ?? fused.preActivation!
                    aWantsReLU = fused.rectified == nil
                    pos += 1
                    inputShapes[pos] = a.shape
                    masks[pos] = ReLUMask(shape: a.shape, positive: mask)
                    if wanted.contains(pos) { out[layers[pos].name] = a }
                }
            case .relu:
                precondition(!aWantsReLU, "a fused convolution left its ReLU to a layer that is not a convolution")
                a = ReLU.forward(a)
                masks[pos] = ReLUMask(of: a)
                if wanted.contains(pos) { out[layer.name] = a }
            case .pool:
                requirePoolable(a, layer)
                if pooling == .max {
                    var winners = spareWinners.removeValue(forKey: pos) ?? []
                    a = MaxPool2x2.forward(a, winners: &winners)
                    poolWinners[pos] = winners
                } else {
                    a = AvgPool2x2.forward(a)
                }
                if wanted.contains(pos) { out[layer.name] = a }
            }
            pos += 1
        }
        return out
    }

    /// ∂L/∂(kept layers) → ∂L/∂x [3,H,W], for the image of the last `forward`. Layers missing from
    /// `dKept` contribute nothing; every key must be a layer that forward kept (or a shallower one).
    @_specialize(where Scalar == Float)
    @inlinable
    public func backward(_ dKept: [String: Tensor<Scalar>]) -> Tensor<Scalar> {
        precondition(!imageShape.isEmpty, "VGG.backward called before forward")
        var upstream: [Int: Tensor<Scalar>] = [:]
        for (name, g) in dKept {
            let p = position(name)
            precondition(p <= deepest, "backward: \(name) is deeper than the last forward went")
            if upstream[p] == nil { upstream[p] = g } else { upstream[p]!.add(g) }
        }
        var d: Tensor<Scalar>? = nil
        var pos = deepest
        func take(_ pos: Int) -> Tensor<Scalar>? {
            guard let g = upstream.removeValue(forKey: pos) else { return nil }
            precondition(g.shape == outputShape(pos), "backward: gradient for \(layers[pos].name) is \(g.shape), the layer's output is \(outputShape(pos))")
            return g
        }
        while pos >= 0 {
            let layer = layers[pos]
            let start = now
            if let g = take(pos) {
                if d == nil { d = g } else { d!.add(g) }
            }
            if var dOut = d, layer.kind == .relu, pos > 0, layers[pos - 1].kind == .conv {
                // ReLU backward, the gradient injected at the convolution's output (a style
                // layer's pre-activation) and the convolution's backward, in one pass.
                let conv = layers[pos - 1]
                d = nil
                dOut = convs[conv.convIndex].backward(dOut, reluMask: masks[pos]!, addend: take(pos - 1), workspace: workspace)
                d = dOut
                record(conv.name, "backward", since: start)
                pos -= 2
                continue
            }
            defer { record(layer.name, "backward", since: start) }
            if var dOut = d {
                d = nil   // dOut is now the only reference: the in-place ReLU mask does not copy it
                switch layer.kind {
                case .relu:
                    ReLU.backwardInPlace(&dOut, mask: masks[pos]!)
                    d = dOut
                case .conv:
                    d = convs[layer.convIndex].backward(dOut, workspace: workspace)
                case .pool:
                    d = pooling == .max ? MaxPool2x2.backward(dOut, winners: poolWinners[pos]!, inputShape: inputShapes[pos]!)
                                        : AvgPool2x2.backward(dOut, inputShape: inputShapes[pos]!)
                }
            }
            pos -= 1
        }
        return d ?? Tensor(shape: imageShape)
    }

    /// Stops with a clear message when `a` [C,H,W] is too small for the 2×2 pooling `layer`.
    @usableFromInline
    func requirePoolable(_ a: Tensor<Scalar>, _ layer: VGGLayer) {
        precondition(a.shape[1] >= 2 && a.shape[2] >= 2,
                     "\(layer.name): input \(a.shape[1])×\(a.shape[2]) is too small for 2×2 pooling; use a larger image or a shallower layer")
    }

    /// Output shape of the layer at `pos` in the last forward.
    @usableFromInline
    func outputShape(_ pos: Int) -> [Int] {
        if pos + 1 <= deepest, let s = inputShapes[pos + 1] { return s }
        let s = inputShapes[pos]!
        switch layers[pos].kind {
        case .conv: return [convs[layers[pos].convIndex].outChannels, s[1], s[2]]
        case .relu: return s
        case .pool: return [s[0], s[1] / 2, s[2] / 2]
        }
    }

}

extension VGGArchitecture {
    /// Multiply-adds of each direct 3×3 convolution on a width×height image, in layer order:
    /// 9·C·O·H·W (pooling halves H and W, rounding down).
    public func convMultiplyAddsPerLayer(width: Int, height: Int) -> [(layer: String, multiplyAdds: Int)] {
        var h = height, w = width, c = 3
        var out: [(String, Int)] = []
        for layer in layers {
            switch layer.kind {
            case .conv: out.append((layer.name, 9 * c * layer.channels * h * w)); c = layer.channels
            case .relu: break
            case .pool: h /= 2; w /= 2
            }
        }
        return out
    }

    /// Multiply-adds of the direct 3×3 convolutions from the input through layer `name` on a
    /// width×height image. A backward pass to the input costs the same again; FLOPs are twice
    /// the multiply-adds.
    public func convMultiplyAdds(through name: String, width: Int, height: Int) throws -> Int {
        let last = try layer(named: name)
        let names = Set(layers.prefix { $0 != last }.map(\.name) + [last.name])
        return convMultiplyAddsPerLayer(width: width, height: height).filter { names.contains($0.layer) }.reduce(0) { $0 + $1.multiplyAdds }
    }
}
