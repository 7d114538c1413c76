import Testing
import NSTTensor
import NSTLayers
import NSTRandom

/// Convolutions with bf16 GEMMs (`ConvWorkspace.precision = .bf16`) against the fp32 path and
/// an exact (Double) reference, forward and input gradient, on every path that has a GEMM.
///
/// Tolerances from bf16's rounding (u = 2⁻⁸, 8 significant bits):
/// - im2col multiplies the weights and the input values themselves, each rounded by ≤ u, so
///   every output moves by at most (2u + u²)·(|W| ∗ |X|)[o, y, x] (the convolution of the
///   absolute values) plus fp32's summation error (≤ (9C + 2)·2⁻²⁴ of the same): checked
///   element by element, against that bound computed by the reference loops.
/// - Winograd multiplies transformed values U = G g Gᵀ and V = Bᵀ d B, rounded by ≤ u
///   each, and the output transform Aᵀ(·)A sums the products with coefficients up to 32
///   (F(6×6)): cancellation there turns the same rounding into a larger relative error. The
///   bound used is the relative L2 error ≤ 2u·γ(m), γ = max(1, the largest |Aᵀ| coefficient ÷ 2):
///   1, 4, 16 for F(2), F(4), F(6) (largest coefficients 1, 8, 32). Measured here: about
///   0.4 %, 2 % and 4.5 % (fp32: 2·10⁻⁷ to 2·10⁻⁶) — bf16 loses far more accuracy with the
///   large tiles than with im2col, which docs/precision.md reports.
/// Each case also checks that bf16 really ran: its error exceeds fp32's.
@Suite("Conv3x3 with bf16 GEMMs")
struct BF16ConvTests {
    /// (C, O, H, W): C > O (im2col backward by the flipped convolution), C < O (backward by
    /// GEMM + col2im), sizes that are multiples of neither the tiles nor the kernel's 6 × 64.
    static let shapes: [(Int, Int, Int, Int)] = [(40, 17, 11, 13), (19, 33, 13, 17), (3, 24, 9, 10)]

    static let u = 0x1p-8

    func relativeL2(_ a: Tensor<Float>, _ b: Tensor<Double>) -> Double {
        var d = 0.0, n = 0.0
        for (x, y) in zip(a.storage, b.storage) { d += (Double(x) - y) * (Double(x) - y); n += y * y }
        return (d / max(n, .leastNonzeroMagnitude)).squareRoot()
    }

    func double(_ t: Tensor<Float>) -> Tensor<Double> { Tensor(shape: t.shape, storage: t.storage.map(Double.init)) }
    func absolute(_ t: Tensor<Double>) -> Tensor<Double> { Tensor(shape: t.shape, storage: t.storage.map { abs($0) }) }

    func check(algorithm: ConvAlgorithm, tile: Int = 0, shared: Bool?) {
        var rng = SplitMix64(seed: 77)
        for (c, o, h, w) in Self.shapes {
            let x = Tensor<Float>.uniform([c, h, w], in: -1...1, using: &rng)
            let conv = Conv3x3<Float>(weight: .uniform([o, c, 3, 3], in: -0.3...0.3, using: &rng), bias: .uniform([o], using: &rng))
            let dY = Tensor<Float>.uniform([o, h, w], using: &rng)
            let ref = Conv3x3<Double>.referenceForward(double(x), weight: double(conv.weight), bias: double(conv.bias))
            let refBack = Conv3x3<Double>.referenceBackward(double(dY), weight: double(conv.weight))
            func workspace(_ p: Precision) -> ConvWorkspace<Float> {
                let ws = ConvWorkspace<Float>(maxScalars: 1 << 16)
                ws.algorithm = algorithm; ws.winogradTile = tile; ws.precision = p
                ws.winogradSharedBands = shared; ws.im2colOwnBands = shared.map { !$0 }
                return ws
            }
            let fp32 = workspace(.fp32), bf16 = workspace(.bf16)
            #expect(bf16.runsBF16(backward: false) && bf16.runsBF16(backward: true) && !fp32.runsBF16(backward: false) && !fp32.runsBF16(backward: true))
            let y32 = conv.forward(x, workspace: fp32), y16 = conv.forward(x, workspace: bf16)
            let d32 = conv.backward(dY, workspace: fp32), d16 = conv.backward(dY, workspace: bf16)
            let label = "\(algorithm) F(\(tile)) shared \(String(describing: shared)) \(c)→\(o) \(h)×\(w)"
            if algorithm == .im2col {
                let bound = Conv3x3<Double>.referenceForward(absolute(double(x)), weight: absolute(double(conv.weight)),
                                                            bias: Tensor(shape: [o], repeating: 0))
                let boundBack = Conv3x3<Double>.referenceBackward(absolute(double(dY)), weight: absolute(double(conv.weight)))
                let factor = 2 * Self.u + Self.u * Self.u + Double(9 * max(c, o) + 2) * 0x1p-24
                let worst = zip(zip(y16.storage, ref.storage), bound.storage).map { abs(Double($0.0) - $0.1) / (factor * $1 + 1e-30) }.max()!
                let worstBack = zip(zip(d16.storage, refBack.storage), boundBack.storage).map { abs(Double($0.0) - $0.1) / (factor * $1 + 1e-30) }.max()!
                #expect(worst <= 1, "\(label) forward: \(worst) of the bound")
                #expect(worstBack <= 1, "\(label) backward: \(worstBack) of the bound")
            } else {
                let growth = [2: 1.0, 4: 4, 6: 16][tile]!
                let e = relativeL2(y16, ref), eBack = relativeL2(d16, refBack)
                #expect(e <= 2 * Self.u * growth, "\(label) forward: relative L2 \(e)")
                #expect(eBack <= 2 * Self.u * growth, "\(label) backward: relative L2 \(eBack)")
                print("\(label): bf16 relative L2 error forward \(e), backward \(eBack) (fp32 \(relativeL2(y32, ref)))")
            }
            #expect(relativeL2(y16, ref) > relativeL2(y32, ref) && relativeL2(d16, refBack) > relativeL2(d32, refBack),
                    "\(label): bf16 is no less exact than fp32, so it did not run")
        }
    }

    @Test(arguments: [true, false]) func im2col(shared: Bool) throws {
        guard BF16.isSupported else { print("bf16 convolution tests skipped: \(BF16.unsupportedReason ?? "")"); return }
        check(algorithm: .im2col, shared: shared)
    }

    @Test(arguments: [2, 4, 6], [true, false]) func winograd(tile: Int, shared: Bool) throws {
        guard BF16.isSupported else { print("bf16 convolution tests skipped: \(BF16.unsupportedReason ?? "")"); return }
        check(algorithm: .winograd, tile: tile, shared: shared)
    }

    /// bf16-backward: the forward pass is fp32's to the bit, the input gradient bf16's to the bit,
    /// on every path (im2col both ways, Winograd at each tile size).
    @Test(arguments: [(ConvAlgorithm.im2col, 0), (.winograd, 2), (.winograd, 4), (.winograd, 6)])
    func bf16BackwardIsFP32ForwardAndBF16Backward(algorithm: ConvAlgorithm, tile: Int) throws {
        guard BF16.isSupported else { print("bf16 convolution tests skipped: \(BF16.unsupportedReason ?? "")"); return }
        var rng = SplitMix64(seed: 78)
        for (c, o, h, w) in Self.shapes {
            let x = Tensor<Float>.uniform([c, h, w], in: -1...1, using: &rng)
            let weight = Tensor<Float>.uniform([o, c, 3, 3], in: -0.3...0.3, using: &rng), bias = Tensor<Float>.uniform([o], using: &rng)
            let dY = Tensor<Float>.uniform([o, h, w], using: &rng)
            var forward: [Precision: [Float]] = [:], backward: [Precision: [Float]] = [:]
            for p in [Precision.fp32, .bf16, .bf16Backward] {
                // A layer of its own per precision, so no pack or transform is shared.
                let conv = Conv3x3<Float>(weight: weight, bias: bias)
                let ws = ConvWorkspace<Float>(maxScalars: 1 << 16)
                ws.algorithm = algorithm; ws.winogradTile = tile; ws.precision = p
                forward[p] = conv.forward(x, workspace: ws).storage
                backward[p] = conv.backward(dY, workspace: ws).storage
            }
            let label = "\(algorithm) F(\(tile)) \(c)→\(o) \(h)×\(w)"
            #expect(forward[.bf16Backward] == forward[.fp32] && forward[.bf16] != forward[.fp32], "\(label) forward")
            #expect(backward[.bf16Backward] == backward[.bf16] && backward[.bf16] != backward[.fp32], "\(label) backward")
        }
    }

    /// A Double network never runs bf16, whatever it asks for; fp32 and auto never do.
    @Test func onlyFloatRunsBF16() {
        let ws = ConvWorkspace<Double>()
        ws.precision = .bf16
        #expect(!ws.runsBF16(backward: false) && !ws.runsBF16(backward: true))
        #expect(Precision.fp32.effective == .fp32 && Precision.auto.effective == .fp32)
        #expect(Precision.bf16.effective == (BF16.isSupported ? .bf16 : .fp32))
        #expect(Precision.bf16Backward.effective == (BF16.isSupported ? .bf16Backward : .fp32))
        ws.precision = .bf16Backward
        #expect(!ws.runsBF16(backward: false) && !ws.runsBF16(backward: true))
    }
}
