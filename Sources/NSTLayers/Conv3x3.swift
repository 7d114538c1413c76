import NSTTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Scratch memory for the convolutions' im2col bands: allocated once, grown only up to
/// `maxScalars`, reused by every call. One workspace per thread of use (not thread-safe).
///
/// The bound keeps memory flat at any image size: a 3×3 convolution of C channels over a
/// W-wide image needs 9·C·W scalars per output row, so the convolution works in bands of
/// rows that fit (at least one row, whatever the bound).
///
/// The buffer is an anonymous mapping of its own, outside the C heap: it lives as long as the
/// network while large activations are allocated and freed around it every evaluation.
/// Grown inside the heap, it could land above blocks freed later and hold the heap's top up,
/// so that freed activations could not be returned and peak memory would depend on the order
/// of the first requests. (Peak-memory figures: docs/measurements/2026-12-02-engine-notes.md.)
public final class ConvWorkspace<Scalar: TensorScalar> {
    /// Default bound: 4 Mi scalars (16 MiB in Float). Bands of ≥ a few thousand columns keep
    /// the GEMMs large enough to run near the BLAS peak.
    public static var defaultMaxScalars: Int { 1 << 22 }

    public let maxScalars: Int
    /// The algorithm of every convolution run with this workspace (`ConvConfiguration`).
    /// Change it between passes, not during one.
    public var algorithm: ConvAlgorithm
    /// The arithmetic of every convolution GEMM run with this workspace, forward and input
    /// gradient, Winograd and im2col (`.auto` is fp32; `.bf16Backward` keeps the forward GEMMs
    /// in fp32). bf16 runs only in `Float` networks on CPUs with AVX512-BF16
    /// (`Precision.effective`); it packs each layer's GEMM weights to bf16 once, on first use
    /// (half their fp32 size per direction). Change it between passes, not during one.
    public var precision: Precision

    /// Whether the forward (`backward` false) or backward GEMMs run in bf16: asked for, this CPU
    /// has it, and the scalars are Float.
    @inlinable public func runsBF16(backward: Bool) -> Bool {
        Scalar.self == Float.self && precision.effective.usesBF16(backward: backward)
    }
    /// Winograd output tile m for `.winograd`/`.auto`: 2, 4, 6, or 0 = per layer:
    /// - both channel counts ≤ 256: F(6×6) on maps of ≥ 4096 pixels (VGG's blocks 1–3), F(4×4)
    ///   on smaller ones, where 6-pixel tiles would be mostly padding;
    /// - wider layers: F(4×4) on maps of ≥ 1024 pixels, F(2×2) on smaller ones (VGG's block 5
    ///   at 384 px), where F(4×4)'s saving is small (few tiles, padded).
    /// Transformed weights take α²/9 times the originals' memory (64/9 for F(6×6), 4 for
    /// F(4×4), 16/9 for F(2×2)), so the big tiles go to the layers with few weights, where
    /// the multiplies they save cost the least memory.
    public var winogradTile: Int

    /// The three settings together.
    public var configuration: ConvConfiguration {
        get { ConvConfiguration(algorithm: algorithm, precision: precision, winogradTile: winogradTile) }
        set { algorithm = newValue.algorithm; precision = newValue.precision; winogradTile = newValue.winogradTile }
    }
    /// Whether all workers share each Winograd band (`true`) or each runs bands of its own
    /// (`false`); nil = per layer, see `Conv3x3.winogradPlan`.
    public var winogradSharedBands: Bool? = nil
    /// Whether each im2col worker runs small bands of its own (`true`) or all workers share
    /// each band (`false`); nil = per layer, see `Conv3x3.im2colPlan`.
    public var im2colOwnBands: Bool? = nil
    @usableFromInline var buffer: UnsafeMutablePointer<Scalar>?
    @usableFromInline var capacity = 0

    public init(maxScalars: Int = ConvWorkspace.defaultMaxScalars, configuration: ConvConfiguration = ConvConfiguration()) {
        precondition(maxScalars > 0)
        self.maxScalars = maxScalars
        algorithm = configuration.algorithm
        precision = configuration.precision
        winogradTile = configuration.winogradTile
    }

    deinit { release() }

    @usableFromInline func release() {
        if let buffer { munmap(buffer, capacity * MemoryLayout<Scalar>.stride) }
    }

    /// Scalars currently held (for memory reports).
    public var allocatedScalars: Int { capacity }

    /// A buffer of at least `count` scalars, valid until the next call.
    @inlinable
    func scratch(_ count: Int) -> UnsafeMutablePointer<Scalar> {
        if count > capacity {
            release()
            let raw = mmap(nil, count * MemoryLayout<Scalar>.stride, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            precondition(raw != MAP_FAILED, "out of memory for a convolution workspace of \(count) scalars")
            buffer = raw!.bindMemory(to: Scalar.self, capacity: count)
            capacity = count
        }
        return buffer!
    }
}

/// How a network's convolutions compute: the algorithm, the GEMMs' arithmetic and the
/// Winograd tile. The engine takes it as a value (`ConvWorkspace(configuration:)`); the
/// command line is the one place that reads it from the environment.
public struct ConvConfiguration: Sendable, Equatable {
    public var algorithm: ConvAlgorithm
    public var precision: Precision
    /// 2, 4 or 6; 0 = per layer (`ConvWorkspace.winogradTile`).
    public var winogradTile: Int

    public init(algorithm: ConvAlgorithm = .auto, precision: Precision = .auto, winogradTile: Int = 0) {
        precondition([0, 2, 4, 6].contains(winogradTile), "the Winograd tile is 0, 2, 4 or 6")
        self.algorithm = algorithm; self.precision = precision; self.winogradTile = winogradTile
    }

    /// A tile setting's text: 2, 4 or 6, else 0 (per layer).
    public static func winogradTile(setting: String?) -> Int {
        guard let m = setting.flatMap({ Int($0) }), [2, 4, 6].contains(m) else { return 0 }
        return m
    }
}

/// Weights derived from a convolution's kernel (flipped for im2col backward, Winograd-transformed),
/// computed once on first use under a lock and kept for the convolution's lifetime.
public final class DerivedWeights<Scalar: TensorScalar>: @unchecked Sendable {
    @usableFromInline let lock = WeightLock()
    @usableFromInline var cache: [Int: Tensor<Scalar>] = [:]
    /// bf16 packs of GEMM weights (see `Conv3x3.bf16Packs`), by their own keys.
    @usableFromInline var packs: [Int: [BF16PackedMatrix]] = [:]
    @usableFromInline init() {}

    @inlinable
    func get(key: Int, _ make: () -> Tensor<Scalar>) -> Tensor<Scalar> {
        lock.lock(); defer { lock.unlock() }
        return DerivedWeights.value(in: &cache, key: key, make)
    }

    /// Made outside the lock (the lock is not reentrant, and a pack is made from other derived
    /// weights); if two threads make the same pack at once, the first stored is kept.
    @inlinable
    func packed(key: Int, _ make: () -> [BF16PackedMatrix]) -> [BF16PackedMatrix] {
        lock.lock()
        if let p = packs[key] { lock.unlock(); return p }
        lock.unlock()
        let made = make()
        lock.lock(); defer { lock.unlock() }
        return DerivedWeights.value(in: &packs, key: key) { made }
    }

    /// The fp32 derived weights of `key` if they are already computed (nothing is computed).
    @inlinable
    func existing(key: Int) -> Tensor<Scalar>? {
        lock.lock(); defer { lock.unlock() }
        return cache[key]
    }

    /// cache[key], made and stored first if absent (the caller holds the lock).
    @inlinable
    static func value<T>(in cache: inout [Int: T], key: Int, _ make: () -> T) -> T {
        if let t = cache[key] { return t }
        let t = make()
        cache[key] = t
        return t
    }

    /// Bytes of the bf16 packs held.
    public var packedBytes: Int {
        lock.lock(); defer { lock.unlock() }
        return packs.values.joined().reduce(0) { $0 + $1.bytes }
    }
}

/// Which of a fused convolution + ReLU's outputs `Conv3x3.forwardWithReLU` returns (it writes
/// the ReLU's mask in every case).
public enum ReLUOutputs: Sendable {
    /// max(Y, 0) only: a layer nobody reads but the next one.
    case rectified
    /// Y and max(Y, 0): a layer whose own output is kept and whose ReLU output feeds on.
    case both
    /// Y only: a kept layer whose ReLU output feeds nothing but the next convolution, which
    /// reads max(Y, 0) as it loads its input (`inputReLU`), so max(Y, 0) is never stored.
    case preActivation
}

/// 3×3 convolution, stride 1, zero padding 1, with bias — the only convolution VGG has.
///
///   Y[o,y,x] = b[o] + Σ_{c,ky,kx} W[o,c,ky,kx] · X[c, y+ky−1, x+kx−1]    (X is 0 outside)
///
/// Shapes: X [C,H,W], W [O,C,3,3] (OIHW, torchvision's order), b [O], Y [O,H,W].
///
/// Fast paths, chosen by `ConvWorkspace.algorithm`: Winograd F(m×m, 3×3) (Winograd.swift; fewer
/// multiplies than the definition) or im2col, described here:
/// im2col into a bounded band of rows, then one GEMM per band,
/// Y_band[O, rows·W] = W[O, 9C] · cols[9C, rows·W], with the bias written first (β = 1) and the
/// ReLU optionally fused on the band while it is still in cache.
///
/// Backward (to the input only — style transfer never needs weight gradients): the adjoint of
/// a padded 3×3 convolution is again a padded 3×3 convolution, with the kernel transposed in
/// its channels and rotated by 180°:
///
///   dX[c,y,x] = Σ_{o,ky,kx} W[o,c,ky,kx] · dY[o, y−ky+1, x−kx+1] = conv(dY, W')[c,y,x],
///   W'[c,o,ky,kx] = W[o,c,2−ky,2−kx],   no bias.
///
/// so backward can run the same fast path; when the input has fewer channels than the output it
/// uses GEMM + col2im instead (see `backward`). `reference…` are the plain loops both are tested
/// against.
public struct Conv3x3<Scalar: TensorScalar>: Sendable {
    /// [O, C, 3, 3]
    public let weight: Tensor<Scalar>
    /// [O]
    public let bias: Tensor<Scalar>
    /// Derived weights, computed on first use and shared by copies of this convolution.
    @usableFromInline let derived: DerivedWeights<Scalar>

    /// W' [C, O, 3, 3] for the im2col backward pass (see the type's comment); computed on first use.
    @inlinable
    public var backwardWeight: Tensor<Scalar> {
        derived.get(key: 0) { Conv3x3.flippedTransposed(weight) }
    }

    /// U [α², O, C] of Winograd F(m×m, 3×3) (see `WinogradTransform`); computed on first use.
    /// The backward pass uses the same U (transposed GEMMs).
    @inlinable
    public func winogradWeight(_ t: WinogradTransform) -> Tensor<Scalar> {
        derived.get(key: t.m) { t.transformedWeights(weight) }
    }

    /// The Winograd transform `workspace` selects for this layer on a map of `pixels` (H·W),
    /// or nil for im2col.
    @inlinable
    public func winogradTransform(_ workspace: ConvWorkspace<Scalar>, pixels: Int = .max) -> WinogradTransform? {
        switch workspace.algorithm {
        case .im2col: return nil
        case .auto where inChannels < 16 || outChannels < 16: return nil
        default:
            if workspace.winogradTile != 0 { return .tile(workspace.winogradTile) }
            let widest = max(inChannels, outChannels)
            if widest > 256 { return pixels >= 1024 ? .f4 : .f2 }
            return pixels >= 4096 ? .f6 : .f4
        }
    }

    /// The bf16 packs of this layer's GEMM weights for `key` (see `BF16Key`), made by `make`
    /// from fp32 weights on first use, when `workspace` runs bf16; nil when it runs fp32.
    @inlinable
    func bf16Packs(_ workspace: ConvWorkspace<Scalar>, _ key: Int, _ make: () -> [BF16PackedMatrix]) -> [BF16PackedMatrix]? {
        workspace.runsBF16(backward: BF16Key.isBackward(key)) ? derived.packed(key: key, make) : nil
    }

    /// Keys of the bf16 packs: each GEMM's A, per path and direction.
    @usableFromInline enum BF16Key {
        /// W [O, 9C] (im2col forward), W' [C, 9·O] (im2col backward by the flipped
        /// convolution), Wᵀ [9C, O] (im2col backward by GEMM + col2im).
        @inlinable static var im2colForward: Int { 1 }
        @inlinable static var im2colFlipped: Int { 2 }
        @inlinable static var im2colTransposed: Int { 3 }
        /// U[ξ] [O, C] (Winograd forward) and U[ξ]ᵀ [C, O] (its adjoint), per tile size m.
        @inlinable static func winograd(_ m: Int, adjoint: Bool) -> Int { (adjoint ? 200 : 100) + m }
        /// Whether `key`'s GEMM belongs to the backward pass (the input gradient).
        @inlinable static func isBackward(_ key: Int) -> Bool {
            key == im2colFlipped || key == im2colTransposed || key >= 200
        }
    }

    /// One bf16 pack of a [rows, depth] (or, `transposed`, [depth, rows]) matrix of Float.
    @inlinable
    static func pack(_ w: Tensor<Scalar>, offset: Int = 0, transposed: Bool, rows: Int, depth: Int) -> BF16PackedMatrix {
        w.storage.withUnsafeBufferPointer { p in
            BF16PackedMatrix(transposed: transposed, rows: rows, depth: depth, a: Conv3x3.floats(p.baseAddress! + offset),
                             lda: transposed ? rows : depth)
        }
    }

    /// `p` as Float (only where Scalar is Float: bf16 runs only then).
    @inlinable @inline(__always)
    static func floats(_ p: UnsafePointer<Scalar>) -> UnsafePointer<Float> { UnsafeRawPointer(p).assumingMemoryBound(to: Float.self) }

    /// The per-ξ bf16 packs of U[ξ] (or U[ξ]ᵀ for the adjoint), when `workspace` runs bf16.
    /// U is taken from the fp32 cache if an fp32 pass computed it, else computed and dropped.
    @inlinable
    func winogradPacks(_ t: WinogradTransform, adjoint: Bool, workspace: ConvWorkspace<Scalar>) -> [BF16PackedMatrix]? {
        bf16Packs(workspace, BF16Key.winograd(t.m, adjoint: adjoint)) {
            let u = derived.existing(key: t.m) ?? t.transformedWeights(weight)
            let o = outChannels, c = inChannels
            return (0..<(t.alpha * t.alpha)).map { xi in
                Conv3x3.pack(u, offset: xi * o * c, transposed: adjoint, rows: adjoint ? c : o, depth: adjoint ? o : c)
            }
        }
    }

    public var inChannels: Int { weight.shape[1] }
    public var outChannels: Int { weight.shape[0] }

    @inlinable
    public init(weight: Tensor<Scalar>, bias: Tensor<Scalar>) {
        precondition(weight.shape.count == 4 && weight.shape[2] == 3 && weight.shape[3] == 3,
                     "Conv3x3 weight must be [O, C, 3, 3], got \(weight.shape)")
        precondition(bias.shape == [weight.shape[0]], "Conv3x3 bias must be [\(weight.shape[0])], got \(bias.shape)")
        self.weight = weight
        self.bias = bias
        self.derived = DerivedWeights()
    }

    /// W'[c,o,ky,kx] = W[o,c,2−ky,2−kx]. [O,C,3,3] → [C,O,3,3]
    @inlinable
    public static func flippedTransposed(_ w: Tensor<Scalar>) -> Tensor<Scalar> {
        let o = w.shape[0], c = w.shape[1]
        var out = Tensor<Scalar>(shape: [c, o, 3, 3])
        for oi in 0..<o { for ci in 0..<c { for k in 0..<9 {
            out.storage[(ci * o + oi) * 9 + k] = w.storage[(oi * c + ci) * 9 + (8 - k)]
        } } }
        return out
    }

    // MARK: fast path

    /// X [C,H,W] → Y [O,H,W]; `relu: true` returns max(Y, 0) (fused bias + ReLU).
    /// `inputReLU: true` convolves max(X, 0) instead of X (see `ReLUOutputs.preActivation`).
    @_specialize(where Scalar == Float)
    @inlinable
    public func forward(_ x: Tensor<Scalar>, inputReLU: Bool = false, relu: Bool = false, workspace: ConvWorkspace<Scalar>) -> Tensor<Scalar> {
        var y = Tensor<Scalar>(uninitializedShape: outputShape(x))   // both paths write every value
        run(x, inputReLU: inputReLU, relu: relu, into: &y, rectified: nil, mask: nil, workspace: workspace)
        return y
    }

    /// X [C,H,W] → the outputs of conv + bias + ReLU that `outputs` asks for (see `ReLUOutputs`),
    /// and the ReLU's mask [Y > 0] written into `mask` (the bytes of a `ReLUMask`), all from one
    /// pass: the mask is written while each output row is still in cache, instead of a second
    /// pass over the ReLU's output. `mask` is resized to O·H·W only if its size differs, so a
    /// caller that hands back last evaluation's bytes (VGG does) allocates nothing for it.
    /// `inputReLU: true` convolves max(X, 0) instead of X.
    @_specialize(where Scalar == Float)
    @inlinable
    public func forwardWithReLU(_ x: Tensor<Scalar>, inputReLU: Bool = false, outputs: ReLUOutputs = .both, mask: inout [UInt8],
                                workspace: ConvWorkspace<Scalar>) -> (preActivation: Tensor<Scalar>?, rectified: Tensor<Scalar>?) {
        let shape = outputShape(x), count = shape.reduce(1, *)
        var y = Tensor<Scalar>(uninitializedShape: shape)   // both paths write every value
        var r = Tensor<Scalar>(uninitializedShape: outputs == .both ? shape : [0])
        if mask.count != count { mask = [UInt8](unsafeUninitializedCapacity: count) { _, n in n = count } }   // written below
        mask.withUnsafeMutableBufferPointer { mb in
            r.storage.withUnsafeMutableBufferPointer { rb in
                run(x, inputReLU: inputReLU, relu: outputs != .preActivation, into: &y,
                    rectified: outputs == .both ? rb.baseAddress! : nil, mask: count == 0 ? nil : mb.baseAddress!, workspace: workspace)
            }
        }
        switch outputs {
        case .rectified: return (nil, y)
        case .both: return (y, r)
        case .preActivation: return (y, nil)
        }
    }

    /// [O, H, W] for an input X [C, H, W] (checked).
    @inlinable
    func outputShape(_ x: Tensor<Scalar>) -> [Int] {
        precondition(x.shape.count == 3 && x.shape[0] == inChannels,
                     "Conv3x3 expects [\(inChannels), H, W], got \(x.shape)")
        return [outChannels, x.shape[1], x.shape[2]]
    }

    /// The forward pass on the path the workspace selects (see `convolve` for the outputs).
    @inlinable
    func run(_ x: Tensor<Scalar>, inputReLU: Bool, relu: Bool, into y: inout Tensor<Scalar>, rectified: UnsafeMutablePointer<Scalar>?,
             mask: UnsafeMutablePointer<UInt8>?, workspace: ConvWorkspace<Scalar>) {
        if let t = winogradTransform(workspace, pixels: x.shape[1] * x.shape[2]) {
            let packs = winogradPacks(t, adjoint: false, workspace: workspace)
            Conv3x3.winogradConvolve(x, inputReLU: inputReLU, transformed: packs == nil ? winogradWeight(t) : nil,
                                     packed: packs, transform: t, bias: bias, relu: relu,
                                     into: &y, rectified: rectified, mask: mask, workspace: workspace)
        } else {
            let packs = bf16Packs(workspace, BF16Key.im2colForward) {
                [Conv3x3.pack(weight, transposed: false, rows: outChannels, depth: 9 * inChannels)]
            }
            Conv3x3.convolve(x, inputReLU: inputReLU, weights: weight, packed: packs?[0], bias: bias, relu: relu,
                             into: &y, rectified: rectified, mask: mask, workspace: workspace)
        }
    }

    /// dY [O,H,W] → dX [C,H,W] (input gradient only), of dY' = dY · reluMask + addend
    /// when those are given: the backward pass of the ReLU that follows this convolution, and a
    /// gradient arriving at the convolution's own output, fused into the read of dY (on the
    /// Winograd path and GEMM + col2im; applied first, as a separate pass, before the flipped
    /// convolution).
    ///
    /// Two equivalent ways on the im2col path, chosen by which moves less memory:
    /// - C ≥ O: the flipped convolution dX = conv(dY, W') (im2col of dY: 9·O scalars per pixel);
    /// - C < O (conv1_1: 3 ← 64, and every block's first convolution): dcols[9C, n] = Wᵀ·dY, then
    ///   col2im adds each column back onto the pixels it was read from (9·C scalars per pixel).
    @_specialize(where Scalar == Float)
    @inlinable
    public func backward(_ dY: Tensor<Scalar>, reluMask: ReLUMask? = nil, addend: Tensor<Scalar>? = nil,
                         workspace: ConvWorkspace<Scalar>) -> Tensor<Scalar> {
        precondition(dY.shape.count == 3 && dY.shape[0] == outChannels,
                     "Conv3x3 backward expects dY [\(outChannels), H, W], got \(dY.shape)")
        var dX = Tensor<Scalar>(uninitializedShape: [inChannels, dY.shape[1], dY.shape[2]])   // every path writes all of dX
        if let t = winogradTransform(workspace, pixels: dY.shape[1] * dY.shape[2]) {
            let packs = winogradPacks(t, adjoint: true, workspace: workspace)
            Conv3x3.winogradConvolveAdjoint(dY, transformed: packs == nil ? winogradWeight(t) : nil,
                                            packed: packs, transform: t, reluMask: reluMask, addend: addend,
                                            into: &dX, workspace: workspace)
            return dX
        }
        if inChannels < outChannels {
            let packs = bf16Packs(workspace, BF16Key.im2colTransposed) {
                [Conv3x3.pack(weight, transposed: true, rows: 9 * inChannels, depth: outChannels)]
            }
            Conv3x3.transposedConvolve(dY, reluMask: reluMask, addend: addend, weights: weight, packed: packs?[0], into: &dX, workspace: workspace)
        } else {
            let dY = reluMask == nil && addend == nil ? dY : ReLU.backward(dY, mask: reluMask, plus: addend)
            let packs = bf16Packs(workspace, BF16Key.im2colFlipped) {
                [Conv3x3.pack(backwardWeight, transposed: false, rows: inChannels, depth: 9 * outChannels)]
            }
            Conv3x3.convolve(dY, weights: backwardWeight, packed: packs?[0], bias: nil, relu: false, into: &dX, workspace: workspace)
        }
        return dX
    }

    /// How the im2col paths cut a layer's H rows (W wide) into bands, and how the workers share
    /// them; `scratch` and `cached` are the scalars a band holds per pixel in the workspace and
    /// in cache (scratch plus the band of the output, O or 9C values).
    /// - shared bands (`own == false`): all workers run one band at a time, splitting each step
    ///   (im2col, GEMM, ReLU) among them; a band is as many rows as the workspace bound holds.
    /// - own bands: each worker runs whole bands of ≈ 128 Ki scalars (512 KiB in Float, half an
    ///   L2), so the columns a band writes are still in its core's cache when its GEMM reads
    ///   them, and its output when the ReLU and mask read that; no hand-over between cores.
    ///   Chosen (`ownBands == nil`) when such a band is ≥ 2 rows and ≥ 512 pixels and the layer
    ///   has ≥ 4 bands a worker — on VGG, the wide, shallow maps of block 1 (conv1_1: 27 + 64
    ///   values a pixel), where one shared band is larger than the caches, so its columns and
    ///   output would go to memory and back between the steps.
    ///   A band is at least 2 rows: the backward's bands run by parity (see
    ///   `transposedConvolve`). `workers` defaults to `Parallel.available`.
    @inlinable
    public static func im2colPlan(scratch: Int, cached: Int, height h: Int, width w: Int, maxScalars: Int,
                                  ownBands: Bool? = nil, workers: Int = Parallel.available) -> (rows: Int, own: Bool, workers: Int) {
        let ownRows = (1 << 17) / max(1, cached * w)
        let own = ownBands ?? (workers > 1 && ownRows >= 2 && ownRows * w >= 512 && h >= 4 * workers * ownRows)
        let rows = own ? max(2, min(ownRows, maxScalars / max(1, scratch * w))) : maxScalars / max(1, scratch * w)
        return (max(1, min(h, rows)), own, workers)
    }

    /// Runs `body` over 0..<count split among the workers (`shared`) or on the calling one.
    @inlinable @inline(__always)
    static func split(_ count: Int, costPerItem: Int, shared: Bool, _ body: (Range<Int>) -> Void) {
        if shared { Parallel.forRanges(count, costPerItem: costPerItem, body) } else { body(0..<count) }
    }

    /// A band's GEMM (row-major, BLAS's arguments): split among the workers (`shared`) or on
    /// the calling one.
    /// With `packed` (op(A) in bf16, Scalar Float), the bf16 GEMM instead.
    @inlinable @inline(__always)
    static func bandGemm(shared: Bool, transA: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Scalar>, lda: Int, packed: BF16PackedMatrix? = nil,
                         b: UnsafePointer<Scalar>, ldb: Int, beta: Scalar, c: UnsafeMutablePointer<Scalar>, ldc: Int) {
        if let packed {
            let fb = floats(b), fc = UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self)
            if shared {
                packed.parallelGemm(n: n, b: fb, ldb: ldb, beta: Float(beta), c: fc, ldc: ldc)
            } else {
                packed.gemm(n: n, b: fb, ldb: ldb, beta: Float(beta), c: fc, ldc: ldc)
            }
        } else if shared {
            Scalar.parallelGemm(transA: transA, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        } else {
            Scalar.gemm(transA: transA, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }

    /// Runs band(worker, firstRow, rows) over the plan's bands of 0..<h: one after another
    /// (shared bands, worker 0), or concurrently, the even bands then the odd ones when
    /// `byParity` (own bands).
    @inlinable
    static func forEachBand(_ plan: (rows: Int, own: Bool, workers: Int), height h: Int, byParity: Bool,
                            _ band: (Int, Int, Int) -> Void) {
        let count = (h + plan.rows - 1) / plan.rows
        func run(_ b: Int, _ worker: Int) { band(worker, b * plan.rows, min(plan.rows, h - b * plan.rows)) }
        if !plan.own { for b in 0..<count { run(b, 0) }; return }
        if !byParity { Parallel.forEachIndex(count, workers: plan.workers) { worker, b in run(b, worker) }; return }
        for parity in 0..<2 {
            Parallel.forEachIndex((count - parity + 1) / 2, workers: plan.workers) { worker, i in run(2 * i + parity, worker) }
        }
    }

    /// dX ← Wᵀ-convolution of dY' = dY · reluMask + addend (each optional) by GEMM + col2im, in
    /// bands of rows (see `im2colPlan`). dY [O,H,W], weights [O,C,3,3], dX [C,H,W] (overwritten).
    /// With a mask or an addend, each band's dY' is formed in the workspace just before its GEMM
    /// reads it. A band's columns add onto one row above and one below its own; own bands run
    /// by parity (bands of one parity never share a row, each having ≥ 2), shared bands in order.
    @inlinable
    public static func transposedConvolve(_ dY: Tensor<Scalar>, reluMask: ReLUMask? = nil, addend: Tensor<Scalar>? = nil,
                                          weights: Tensor<Scalar>, packed: BF16PackedMatrix? = nil, into dX: inout Tensor<Scalar>, workspace: ConvWorkspace<Scalar>) {
        let o = dY.shape[0], h = dY.shape[1], w = dY.shape[2], c = weights.shape[1]
        precondition(weights.shape == [o, c, 3, 3] && dX.shape == [c, h, w])
        precondition(reluMask.map { $0.shape == dY.shape } ?? true && addend.map { $0.shape == dY.shape } ?? true,
                     "im2col backward: mask/addend shapes must match dY \(dY.shape)")
        let plane = h * w
        if plane == 0 || c == 0 { return }
        let k = 9 * c, fuse = reluMask != nil || addend != nil
        let plan = im2colPlan(scratch: k + (fuse ? o : 0), cached: k + o, height: h, width: w,
                              maxScalars: workspace.maxScalars, ownBands: workspace.im2colOwnBands)
        let maxN = plan.rows * w, bandScalars = (k + (fuse ? o : 0)) * maxN
        let scratch = workspace.scratch((plan.own ? plan.workers : 1) * bandScalars)
        let mask = reluMask?.positive ?? [], extra = addend?.storage ?? []
        dY.storage.withUnsafeBufferPointer { db in
        mask.withUnsafeBufferPointer { mb in
        extra.withUnsafeBufferPointer { eb in
        weights.storage.withUnsafeBufferPointer { wb in
        dX.storage.withUnsafeMutableBufferPointer { xb in
            let dp = db.baseAddress!, wp = wb.baseAddress!, xp = xb.baseAddress!
            // (An empty array's baseAddress need not be nil: test the optionals themselves.)
            let mp = reluMask == nil ? nil : mb.baseAddress, ep = addend == nil ? nil : eb.baseAddress
            Parallel.forRanges(c, costPerItem: plane) { r in (xp + r.lowerBound * plane).update(repeating: 0, count: r.count * plane) }
            forEachBand(plan, height: h, byParity: true) { worker, y0, rows in
                let n = rows * w, cols = scratch + worker * bandScalars, shared = !plan.own
                var band = UnsafePointer(dp + y0 * w), ldb = plane
                if fuse {   // dY'_band [O, n]
                    let formed = cols + k * maxN
                    split(o, costPerItem: n, shared: shared) { range in
                        for oi in range {
                            let at = oi * plane + y0 * w
                            ReLU.gradientRun(dp + at, mask: mp.map { $0 + at }, addend: ep.map { $0 + at }, into: formed + oi * n, count: n)
                        }
                    }
                    band = UnsafePointer(formed); ldb = n
                }
                // dcols[9C, n] = W[O, 9C]ᵀ · dY'_band[O, n]
                bandGemm(shared: shared, transA: true, m: k, n: n, k: o, a: wp, lda: k, packed: packed, b: band, ldb: ldb, beta: 0, c: cols, ldc: n)
                split(c, costPerItem: 9 * n, shared: shared) { range in
                    for ci in range { col2imChannel(cols, ci, height: h, width: w, firstRow: y0, rows: rows, into: xp) }
                }
            }
        } } } } }
    }

    /// The adjoint of `im2colChannel`: X[c, firstRow + r + ky − 1, x + kx − 1] += cols[(c·9 + ky·3 + kx), r·W + x]
    /// for every entry that lands inside the image (rows firstRow − 1 … firstRow + rows of plane c).
    @inlinable
    static func col2imChannel(_ cols: UnsafeMutablePointer<Scalar>, _ ci: Int, height h: Int, width w: Int,
                              firstRow: Int, rows: Int, into x: UnsafeMutablePointer<Scalar>) {
        let dst = x + ci * h * w
        forEachTapRow(ci, height: h, width: w, firstRow: firstRow, rows: rows, cols: cols) { s, sy, kx in
            guard let sy else { return }
            let d = dst + sy * w
            switch kx {
            case 0:  // column x came from pixel x − 1
                if w > 1 { for xx in 1..<w { d[xx - 1] += s[xx] } }
            case 1:
                for xx in 0..<w { d[xx] += s[xx] }
            default: // column x came from pixel x + 1
                if w > 1 { for xx in 0..<(w - 1) { d[xx + 1] += s[xx] } }
            }
        }
    }

    /// The walk im2col and its adjoint share: channel c's 9 rows of cols [9C, rows·W], tap
    /// (ky, kx) by tap and band row r by row, as body(the W columns of row r, the image row
    /// firstRow + r + ky − 1 they read or nil outside the image, kx).
    @inlinable @inline(__always)
    static func forEachTapRow(_ ci: Int, height h: Int, width w: Int, firstRow: Int, rows: Int, cols: UnsafeMutablePointer<Scalar>,
                              _ body: (UnsafeMutablePointer<Scalar>, Int?, Int) -> Void) {
        let n = rows * w
        for ky in 0..<3 {
            for kx in 0..<3 {
                let run = cols + (ci * 9 + ky * 3 + kx) * n
                for r in 0..<rows {
                    let sy = firstRow + r + ky - 1
                    body(run + r * w, sy >= 0 && sy < h ? sy : nil, kx)
                }
            }
        }
    }

    /// y ← conv(x, weights) + bias (then ReLU), im2col in bands of rows (see `im2colPlan`).
    /// x [C,H,W], weights [O,C,3,3], bias [O] or nil, y [O,H,W] (overwritten). With `relu`,
    /// `rectified` (when given) gets the ReLU's output and y keeps the pre-activation; `mask`
    /// (when given) gets the ReLU's mask [y > 0], with or without `relu`; both hold O·H·W
    /// values. With `inputReLU`, max(x, 0) is convolved. Each band: im2col, the bias, one GEMM,
    /// the mask and the ReLU while the band's output is in cache.
    @inlinable
    public static func convolve(_ x: Tensor<Scalar>, inputReLU: Bool = false, weights: Tensor<Scalar>, packed: BF16PackedMatrix? = nil, bias: Tensor<Scalar>?, relu: Bool,
                                into y: inout Tensor<Scalar>, rectified: UnsafeMutablePointer<Scalar>? = nil,
                                mask: UnsafeMutablePointer<UInt8>? = nil, workspace: ConvWorkspace<Scalar>) {
        let c = x.shape[0], h = x.shape[1], w = x.shape[2], o = weights.shape[0]
        precondition(weights.shape == [o, c, 3, 3] && y.shape == [o, h, w])
        let plane = h * w
        if plane == 0 || o == 0 { return }
        let k = 9 * c
        let plan = im2colPlan(scratch: k, cached: k + o, height: h, width: w,
                              maxScalars: workspace.maxScalars, ownBands: workspace.im2colOwnBands)
        let bandScalars = k * plan.rows * w
        let scratch = workspace.scratch((plan.own ? plan.workers : 1) * bandScalars)
        let biasValues = bias?.storage ?? []
        x.storage.withUnsafeBufferPointer { xb in
        weights.storage.withUnsafeBufferPointer { wb in
        y.storage.withUnsafeMutableBufferPointer { yb in
            let xp = xb.baseAddress!, wp = wb.baseAddress!, yp = yb.baseAddress!
            forEachBand(plan, height: h, byParity: false) { worker, y0, rows in
                let n = rows * w, cols = scratch + worker * bandScalars, band = yp + y0 * w, shared = !plan.own
                split(c, costPerItem: 9 * n, shared: shared) { range in
                    for ci in range { im2colChannel(xp, ci, height: h, width: w, firstRow: y0, rows: rows, rectifying: inputReLU, into: cols) }
                }
                if !biasValues.isEmpty {
                    split(o, costPerItem: n, shared: shared) { range in
                        for oi in range { (band + oi * plane).initialize(repeating: biasValues[oi], count: n) }
                    }
                }
                // Y_band[O, n] (row stride H·W) = W[O, 9C] · cols[9C, n] (+ bias)
                bandGemm(shared: shared, transA: false, m: o, n: n, k: k, a: wp, lda: k, packed: packed,
                         b: UnsafePointer(cols), ldb: n, beta: biasValues.isEmpty ? 0 : 1, c: band, ldc: plane)
                if relu || mask != nil {
                    split(o, costPerItem: n, shared: shared) { range in
                        for oi in range {
                            let p = band + oi * plane
                            if let mask { ReLUMask.write(p, count: n, into: mask + y0 * w + oi * plane) }
                            if relu { ReLU.rectify(p, into: rectified.map { $0 + y0 * w + oi * plane } ?? p, count: n) }
                        }
                    }
                }
            }
        } } }
    }

    /// cols[(c·9 + ky·3 + kx), r·W + x] = X[c, firstRow + r + ky − 1, x + kx − 1] (0 outside),
    /// for r in 0..<rows: channel c's 9 rows of cols [9C, rows·W]; of max(X, 0) when `rectifying`.
    @inlinable
    static func im2colChannel(_ x: UnsafePointer<Scalar>, _ ci: Int, height h: Int, width w: Int,
                              firstRow: Int, rows: Int, rectifying: Bool, into cols: UnsafeMutablePointer<Scalar>) {
        let src = x + ci * h * w
        forEachTapRow(ci, height: h, width: w, firstRow: firstRow, rows: rows, cols: cols) { d, sy, kx in
            guard let sy else { d.initialize(repeating: 0, count: w); return }
            let s = src + sy * w
            switch kx {
            case 0:  // shifted right: d[x] = s[x−1]
                d[0] = 0
                if w > 1 { copyRow(s, d + 1, count: w - 1, rectifying: rectifying) }
            case 1:
                copyRow(s, d, count: w, rectifying: rectifying)
            default: // shifted left: d[x] = s[x+1]
                if w > 1 { copyRow(s + 1, d, count: w - 1, rectifying: rectifying) }
                d[w - 1] = 0
            }
        }
    }

    /// d[i] = s[i] for i < count, or max(s[i], 0) when `rectifying` (an input read through its ReLU).
    @inlinable @inline(__always)
    static func copyRow(_ s: UnsafePointer<Scalar>, _ d: UnsafeMutablePointer<Scalar>, count: Int, rectifying: Bool) {
        if rectifying { ReLU.rectify(s, into: d, count: count) } else { d.update(from: s, count: count) }
    }

    // MARK: reference (plain loops; the oracle for the fast path)

    /// The definition, looped. X [C,H,W], W [O,C,3,3], b [O] → Y [O,H,W]
    public static func referenceForward(_ x: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>) -> Tensor<Scalar> {
        let c = x.shape[0], h = x.shape[1], w = x.shape[2], o = weight.shape[0]
        var y = Tensor<Scalar>(shape: [o, h, w])
        for oi in 0..<o { for yy in 0..<h { for xx in 0..<w {
            var sum = bias.storage[oi]
            for ci in 0..<c { for ky in 0..<3 { for kx in 0..<3 {
                let sy = yy + ky - 1, sx = xx + kx - 1
                if sy < 0 || sy >= h || sx < 0 || sx >= w { continue }
                sum += weight[oi, ci, ky, kx] * x[ci, sy, sx]
            } } }
            y[oi, yy, xx] = sum
        } } }
        return y
    }

    /// The chain rule, looped: each Y[o,y,x] sends W[o,c,ky,kx]·dY[o,y,x] back to the input it read.
    /// dY [O,H,W], W [O,C,3,3] → dX [C,H,W]
    public static func referenceBackward(_ dY: Tensor<Scalar>, weight: Tensor<Scalar>) -> Tensor<Scalar> {
        let o = dY.shape[0], h = dY.shape[1], w = dY.shape[2], c = weight.shape[1]
        var dX = Tensor<Scalar>(shape: [c, h, w])
        for oi in 0..<o { for yy in 0..<h { for xx in 0..<w {
            let g = dY[oi, yy, xx]
            for ci in 0..<c { for ky in 0..<3 { for kx in 0..<3 {
                let sy = yy + ky - 1, sx = xx + kx - 1
                if sy < 0 || sy >= h || sx < 0 || sx >= w { continue }
                dX[ci, sy, sx] += weight[oi, ci, ky, kx] * g
            } } }
        } } }
        return dX
    }
}
