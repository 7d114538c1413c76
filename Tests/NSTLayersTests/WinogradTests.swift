import Testing
import NSTTensor
import NSTLayers
import NSTGradCheck
import NSTRandom

/// The Winograd fast path against the plain-loop reference convolution (the oracle), for the three
/// tile sizes, in Float and Double, forward (with and without fused ReLU) and backward.
@Suite("Conv3x3 Winograd against the plain-loop reference")
struct WinogradOracleTests {
    // (C, O, H, W): odd sizes not multiples of the tile, 1×1 and single-row/column images,
    // channel counts that are multiples of nothing, more channels than pixels.
    static let shapes: [(Int, Int, Int, Int)] = [(3, 4, 5, 7), (1, 1, 1, 1), (2, 3, 1, 5), (5, 2, 6, 1),
                                                  (2, 2, 2, 2), (17, 19, 9, 11), (7, 5, 13, 4), (33, 6, 3, 3)]

    func compare<S: TensorScalar>(_ type: S.Type, tile: Int, tolerance: Double, maxScalars: Int, algorithm: ConvAlgorithm = .winograd,
                                  sharedBands: Bool? = nil, im2colOwnBands: Bool? = nil) {
        var rng = SplitMix64(seed: 31)
        for (c, o, h, w) in Self.shapes {
            // Inputs like VGG's: preprocessed pixels of ±128 scale, weights ≈ ±0.1.
            let x = Tensor<S>.uniform([c, h, w], in: -1...1, using: &rng)
            let conv = Conv3x3<S>(weight: .uniform([o, c, 3, 3], in: -0.3...0.3, using: &rng), bias: .uniform([o], using: &rng))
            let ws = ConvWorkspace<S>(maxScalars: maxScalars)
            ws.algorithm = algorithm
            ws.winogradTile = tile
            ws.winogradSharedBands = sharedBands
            ws.im2colOwnBands = im2colOwnBands
            let ref = Conv3x3<S>.referenceForward(x, weight: conv.weight, bias: conv.bias)
            let scale = max(1, maxAbs(ref))
            let fast = conv.forward(x, workspace: ws)
            #expect(maxAbsDifference(fast, ref) <= tolerance * scale, "F(\(tile)) forward \(c)→\(o) \(h)×\(w): \(maxAbsDifference(fast, ref))")
            let fused = conv.forward(x, relu: true, workspace: ws)
            #expect(maxAbsDifference(fused, ReLU.forward(ref)) <= tolerance * scale, "F(\(tile)) fused ReLU \(c)→\(o) \(h)×\(w)")

            let dY = Tensor<S>.uniform([o, h, w], using: &rng)
            let refBack = Conv3x3<S>.referenceBackward(dY, weight: conv.weight)
            let fastBack = conv.backward(dY, workspace: ws)
            #expect(maxAbsDifference(fastBack, refBack) <= tolerance * max(1, maxAbs(refBack)),
                    "F(\(tile)) backward \(c)→\(o) \(h)×\(w): \(maxAbsDifference(fastBack, refBack))")

            // The fused pair: pre-activation and ReLU output from one pass ...
            var maskBytes: [UInt8] = [7]   // the wrong size: resized
            let pair = conv.forwardWithReLU(x, mask: &maskBytes, workspace: ws)
            let pre = pair.preActivation!, rectified = pair.rectified!
            #expect(maxAbsDifference(pre, ref) <= tolerance * scale, "\(algorithm) F(\(tile)) forwardWithReLU pre \(c)→\(o) \(h)×\(w)")
            #expect(maxAbsDifference(rectified, ReLU.forward(ref)) <= tolerance * scale, "\(algorithm) F(\(tile)) forwardWithReLU post")
            // The mask written in the same pass is the one a separate pass over the output gives,
            // also when the bytes are handed back (every one rewritten).
            #expect(ReLUMask(shape: [o, h, w], positive: maskBytes) == ReLUMask(of: rectified), "\(algorithm) F(\(tile)) fused mask \(c)→\(o) \(h)×\(w)")
            var reused = maskBytes.map { 1 - $0 }
            let alone = conv.forwardWithReLU(x, outputs: .rectified, mask: &reused, workspace: ws)
            #expect(alone.preActivation == nil && alone.rectified!.storage == rectified.storage && reused == maskBytes,
                    "\(algorithm) F(\(tile)) forwardWithReLU without the pre-activation, mask bytes reused")
            // The pre-activation alone, with the same mask.
            var preMask = maskBytes.map { 1 - $0 }
            let preOnly = conv.forwardWithReLU(x, outputs: .preActivation, mask: &preMask, workspace: ws)
            #expect(preOnly.rectified == nil && preOnly.preActivation!.storage == pre.storage && preMask == maskBytes,
                    "\(algorithm) F(\(tile)) forwardWithReLU, the pre-activation alone")
            // An input read through its ReLU: the convolution of max(x, 0).
            let refOfRectified = Conv3x3<S>.referenceForward(ReLU.forward(x), weight: conv.weight, bias: conv.bias)
            let ofRectified = conv.forward(x, inputReLU: true, workspace: ws)
            #expect(maxAbsDifference(ofRectified, refOfRectified) <= tolerance * max(1, maxAbs(refOfRectified)),
                    "\(algorithm) F(\(tile)) forward of max(x, 0) \(c)→\(o) \(h)×\(w)")
            var inputMask: [UInt8] = []
            let fusedOfRectified = conv.forwardWithReLU(x, inputReLU: true, outputs: .both, mask: &inputMask, workspace: ws)
            #expect(fusedOfRectified.preActivation!.storage == ofRectified.storage, "\(algorithm) F(\(tile)) fused forward of max(x, 0)")
            // ... and the backward of ReLU + a gradient at the pre-activation + the convolution.
            let extra = Tensor<S>.uniform([o, h, w], using: &rng)
            var combined = ReLU.backward(dY, output: ref)
            combined.add(extra)
            var plain = dY
            plain.add(extra)
            let refFused = Conv3x3<S>.referenceBackward(combined, weight: conv.weight)
            let refMask = ReLUMask(of: ref)
            for (mask, addend, expected) in [(refMask, extra, refFused),
                                             (refMask, nil, Conv3x3<S>.referenceBackward(ReLU.backward(dY, output: ref), weight: conv.weight)),
                                             (nil, extra, Conv3x3<S>.referenceBackward(plain, weight: conv.weight))] {
                let fused = conv.backward(dY, reluMask: mask, addend: addend, workspace: ws)
                #expect(maxAbsDifference(fused, expected) <= tolerance * max(1, maxAbs(expected)),
                        "\(algorithm) F(\(tile)) fused backward mask \(mask != nil) addend \(addend != nil) \(c)→\(o) \(h)×\(w)")
            }
        }
    }

    /// Float tolerance: relative to the largest output. The direct sum in Float is ≈ 1e-6 here;
    /// F(2×2) adds only ±1 combinations (same order), F(4×4)'s transforms scale terms by up to 8
    /// and 1/24, which costs about one more decimal digit (measured ≈ 1e-6…1e-5 for these sizes).
    @Test(arguments: [2, 4]) func floatMatchesReference(tile: Int) { compare(Float.self, tile: tile, tolerance: 5e-5, maxScalars: 1 << 20) }
    /// F(6×6)'s transforms hold ±21/4, 32 and 1/32 (and G holds 1/90): about one more decimal digit
    /// lost again.
    @Test func float6MatchesReference() { compare(Float.self, tile: 6, tolerance: 5e-4, maxScalars: 1 << 20) }
    /// Shared bands (all workers on one band, phase by phase) and own bands (a worker a band,
    /// the adjoint's bands by parity), each forced; tiny layers choose shared bands.
    @Test(arguments: [2, 4, 6], [true, false]) func doubleMatchesReference(tile: Int, shared: Bool) {
        compare(Double.self, tile: tile, tolerance: 1e-12, maxScalars: 1 << 20, sharedBands: shared)
    }
    /// A workspace too small for two tile rows: every band is one row of tiles.
    @Test(arguments: [2, 4, 6], [true, false]) func bandedMatchesReference(tile: Int, shared: Bool) {
        compare(Double.self, tile: tile, tolerance: 1e-12, maxScalars: 10, sharedBands: shared)
    }
    /// On one worker: the bands run in order.
    @Test(arguments: [2, 4, 6], [true, false]) func oneWorkerMatchesReference(tile: Int, shared: Bool) {
        Parallel.limit = 1
        defer { Parallel.limit = nil }
        compare(Double.self, tile: tile, tolerance: 1e-12, maxScalars: 10, sharedBands: shared)
    }

    /// The banding rule on VGG16's layers at 384×288, two workers, the default workspace: own
    /// bands only where an L2-sized band still has ≥ 128 tiles (conv1_2, F(6×6): 64 tiles a
    /// row); shared bands of every tile row where the layer's V and M fit (conv4_2, F(4×4)).
    @Test func bandPlanForVGGLayers() {
        let bound = ConvWorkspace<Float>.defaultMaxScalars
        let conv1 = Conv3x3<Float>.winogradPlan(.f6, c: 64, o: 64, tilesX: 64, tilesY: 48, maxScalars: bound, workers: 2)
        #expect(!conv1.shared && conv1.rows == 2 && conv1.count == 24)
        let conv4 = Conv3x3<Float>.winogradPlan(.f4, c: 512, o: 512, tilesX: 12, tilesY: 9, maxScalars: bound, workers: 2)
        #expect(conv4.shared && conv4.rows == 9 && conv4.count == 1)
        // conv3_2 (F(6×6), 16×12 tiles): 8 tile rows fit the bound, so two equal bands of 6.
        let conv3 = Conv3x3<Float>.winogradPlan(.f6, c: 256, o: 256, tilesX: 16, tilesY: 12, maxScalars: bound, workers: 2)
        #expect(conv3.shared && conv3.rows == 6 && conv3.count == 2)
        // One worker always shares (there is no one to share with); a forced choice is kept.
        #expect(Conv3x3<Float>.winogradPlan(.f6, c: 64, o: 64, tilesX: 64, tilesY: 48, maxScalars: bound, workers: 1).shared)
        #expect(!Conv3x3<Float>.winogradPlan(.f4, c: 512, o: 512, tilesX: 12, tilesY: 9, maxScalars: bound,
                                              sharedBands: false, workers: 2).shared)
    }
    /// The im2col path's fused forward/backward (mask and addend formed per band before the
    /// GEMM), on shared bands and on own bands (the backward's by parity), each forced; with a
    /// bound that holds a band of 1 row (own bands: 2), and on one worker.
    @Test(arguments: [false, true], [1 << 20, 10]) func im2colMatchesReference(own: Bool, maxScalars: Int) {
        compare(Double.self, tile: 0, tolerance: 1e-12, maxScalars: maxScalars, algorithm: .im2col, im2colOwnBands: own)
    }
    @Test(arguments: [false, true]) func im2colOneWorkerMatchesReference(own: Bool) {
        Parallel.limit = 1
        defer { Parallel.limit = nil }
        compare(Double.self, tile: 0, tolerance: 1e-12, maxScalars: 10, algorithm: .im2col, im2colOwnBands: own)
    }

    /// The im2col banding rule at 384×288, two workers, the default workspace: conv1_1 (27
    /// columns and 64 outputs a pixel) runs own bands of 3 rows in both directions; a layer of
    /// 64 channels (576 + 64 a pixel) shares bands of as many rows as the bound holds; one
    /// worker always shares; a forced choice is kept.
    @Test func im2colPlanForVGGLayers() {
        let bound = ConvWorkspace<Float>.defaultMaxScalars
        let forward = Conv3x3<Float>.im2colPlan(scratch: 27, cached: 27 + 64, height: 288, width: 384, maxScalars: bound, workers: 2)
        #expect(forward.own && forward.rows == 3)
        let backward = Conv3x3<Float>.im2colPlan(scratch: 27 + 64, cached: 27 + 64, height: 288, width: 384, maxScalars: bound, workers: 2)
        #expect(backward.own && backward.rows == 3)
        let wide = Conv3x3<Float>.im2colPlan(scratch: 576, cached: 576 + 64, height: 288, width: 384, maxScalars: bound, workers: 2)
        #expect(!wide.own && wide.rows == bound / (576 * 384))
        #expect(!Conv3x3<Float>.im2colPlan(scratch: 27, cached: 91, height: 288, width: 384, maxScalars: bound, workers: 1).own)
        // A small image has too few bands a worker: shared; forced own bands are ≥ 2 rows.
        #expect(!Conv3x3<Float>.im2colPlan(scratch: 27, cached: 91, height: 36, width: 48, maxScalars: bound, workers: 2).own)
        let forced = Conv3x3<Float>.im2colPlan(scratch: 27, cached: 91, height: 36, width: 48, maxScalars: 10, ownBands: true, workers: 2)
        #expect(forced.own && forced.rows == 2)
        #expect(!Conv3x3<Float>.im2colPlan(scratch: 27, cached: 91, height: 288, width: 384, maxScalars: bound, ownBands: false, workers: 2).own)
    }

    /// Auto picks Winograd for ≥ 16 channels, im2col below; both agree with the reference.
    @Test func autoMatchesReferenceOnVGGLikeLayer() {
        var rng = SplitMix64(seed: 32)
        let conv = Conv3x3<Float>(weight: .uniform([20, 16, 3, 3], in: -0.1...0.1, using: &rng), bias: .uniform([20], using: &rng))
        let x = Tensor<Float>.uniform([16, 9, 10], in: -100...100, using: &rng)
        let ws = ConvWorkspace<Float>()
        ws.algorithm = .auto
        #expect(conv.winogradTransform(ws) == .f6)
        ws.algorithm = .im2col
        #expect(conv.winogradTransform(ws) == nil)
        ws.algorithm = .auto
        let ref = Conv3x3<Float>.referenceForward(x, weight: conv.weight, bias: conv.bias)
        #expect(maxAbsDifference(conv.forward(x, workspace: ws), ref) <= 5e-5 * maxAbs(ref))
        let small = Conv3x3<Float>(weight: .uniform([20, 3, 3, 3], using: &rng), bias: .uniform([20], using: &rng))
        #expect(small.winogradTransform(ws) == nil)
        // 512 channels: F(4×4) on maps of ≥ 1024 pixels, F(2×2) on smaller ones; ≤ 256 channels: F(4×4).
        let wide = Conv3x3<Float>(weight: Tensor(shape: [512, 256, 3, 3]), bias: Tensor(shape: [512]))
        #expect(wide.winogradTransform(ws, pixels: 48 * 36) == .f4)
        #expect(wide.winogradTransform(ws, pixels: 24 * 18) == .f2)
        #expect(conv.winogradTransform(ws, pixels: 4) == .f4)
        // ≤ 256 channels: F(6×6) from 4096 pixels (VGG's blocks 2 and 3 at 384 px: 192×144, 96×72),
        // F(4×4) below.
        #expect(conv.winogradTransform(ws, pixels: 192 * 144) == .f6)
        #expect(conv.winogradTransform(ws, pixels: 32 * 24) == .f4)
        let block3 = Conv3x3<Float>(weight: Tensor(shape: [256, 256, 3, 3]), bias: Tensor(shape: [256]))
        #expect(block3.winogradTransform(ws, pixels: 96 * 72) == .f6)
        #expect(block3.winogradTransform(ws, pixels: 48 * 36) == .f4)
        ws.winogradTile = 2
        #expect(wide.winogradTransform(ws, pixels: 48 * 36) == .f2)
    }

    /// The backward is the exact adjoint of the Winograd forward: ⟨conv(x) − b, dY⟩ = ⟨x, backward(dY)⟩.
    @Test(arguments: [2, 4, 6]) func backwardIsTheAdjointOfForward(tile: Int) {
        var rng = SplitMix64(seed: 33)
        let conv = Conv3x3(weight: Tensor<Double>.uniform([6, 5, 3, 3], using: &rng), bias: Tensor(shape: [6]))
        let x = Tensor<Double>.uniform([5, 7, 9], using: &rng), dY = Tensor<Double>.uniform([6, 7, 9], using: &rng)
        let ws = ConvWorkspace<Double>()
        ws.algorithm = .winograd
        ws.winogradTile = tile
        let lhs = dot(conv.forward(x, workspace: ws), dY), rhs = dot(x, conv.backward(dY, workspace: ws))
        #expect(abs(lhs - rhs) <= 1e-12 * max(1, abs(lhs)))
    }

    /// The fused backward, proven by central differences of a loss that reads both the
    /// pre-activation and the ReLU output: L = ⟨relu(conv x), R⟩ + ⟨conv x, S⟩, so
    /// dL/dx = backward(R·[y > 0] + S). Winograd tiles 2, 4 and 6, and im2col (tile 0), on shared and own bands.
    @Test(arguments: [0, 2, 4, 6], [false, true]) func fusedBackwardGradientCheck(tile: Int, ownBands: Bool) {
        let (c, o, h, w) = (3, 4, 7, 5)
        var rng = SplitMix64(seed: 35)
        let conv = Conv3x3(weight: Tensor<Double>.uniform([o, c, 3, 3], using: &rng), bias: .uniform([o], using: &rng))
        let x = Tensor<Double>.uniform([c, h, w], using: &rng)
        let R = Tensor<Double>.uniform([o, h, w], using: &rng), S = Tensor<Double>.uniform([o, h, w], using: &rng)
        let ws = ConvWorkspace<Double>(maxScalars: 10)
        ws.algorithm = tile == 0 ? .im2col : .winograd
        ws.winogradTile = tile
        ws.winogradSharedBands = !ownBands
        ws.im2colOwnBands = ownBands
        var mask: [UInt8] = []
        _ = conv.forwardWithReLU(x, mask: &mask, workspace: ws)
        let dX = conv.backward(R, reluMask: ReLUMask(shape: [o, h, w], positive: mask), addend: S, workspace: ws)
        let res = GradCheck.check(at: x.storage, analytic: dX.storage) { v in
            let pair = conv.forwardWithReLU(Tensor(shape: [c, h, w], storage: v), mask: &mask, workspace: ws)
            return dot(pair.rectified!, R) + dot(pair.preActivation!, S)
        }
        #expect(res.maxRelativeError <= 1e-6, "\(res)")
    }

    /// Central differences through the Winograd forward prove the Winograd backward (Double).
    @Test(arguments: [2, 4, 6]) func gradientCheck(tile: Int) {
        let (c, o, h, w) = (3, 4, 6, 5)
        var rng = SplitMix64(seed: 34)
        let conv = Conv3x3(weight: Tensor<Double>.uniform([o, c, 3, 3], using: &rng), bias: .uniform([o], using: &rng))
        let x = Tensor<Double>.uniform([c, h, w], using: &rng), R = Tensor<Double>.uniform([o, h, w], using: &rng)
        let ws = ConvWorkspace<Double>()
        ws.algorithm = .winograd
        ws.winogradTile = tile
        let y = conv.forward(x, relu: true, workspace: ws)
        let dX = conv.backward(ReLU.backward(R, output: y), workspace: ws)
        let res = GradCheck.check(at: x.storage, analytic: dX.storage) { v in
            dot(conv.forward(Tensor(shape: [c, h, w], storage: v), relu: true, workspace: ws), R)
        }
        #expect(res.maxRelativeError <= 1e-6, "\(res)")
    }
}

/// How the settings' texts (the CLI's NST_CONV_ALGORITHM, NST_PRECISION, NST_WINOGRAD_TILE)
/// are parsed; values they do not name are ignored. A workspace starts from the configuration
/// it is given, never from the environment.
@Suite("Convolution settings")
struct ConvConfigurationTests {
    @Test func settingsAreParsed() {
        #expect(ConvAlgorithm(setting: "IM2COL") == .im2col && ConvAlgorithm(setting: "winograd") == .winograd)
        #expect(ConvAlgorithm(setting: "fft") == .auto && ConvAlgorithm(setting: nil) == .auto)
        #expect(Precision(setting: "BF16") == .bf16 && Precision(setting: "bf16-backward") == .bf16Backward)
        #expect(Precision(setting: "fp16") == .auto && Precision(setting: nil) == .auto)
        #expect(ConvConfiguration.winogradTile(setting: "4") == 4 && ConvConfiguration.winogradTile(setting: " 6") == 0)
        #expect(ConvConfiguration.winogradTile(setting: "3") == 0 && ConvConfiguration.winogradTile(setting: nil) == 0)
    }

    @Test func aWorkspaceTakesItsConfiguration() {
        let c = ConvConfiguration(algorithm: .winograd, precision: .bf16, winogradTile: 2)
        let ws = ConvWorkspace<Float>(configuration: c)
        #expect(ws.configuration == c)
        #expect(ConvWorkspace<Float>().configuration == ConvConfiguration(algorithm: .auto, precision: .auto, winogradTile: 0))
    }
}
