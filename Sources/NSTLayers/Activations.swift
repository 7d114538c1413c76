import NSTTensor

// Element-wise and pooling layers on activations [C,H,W]. Each is a forward and a backward side
// by side; backward takes the upstream gradient dY and returns dX with the input's shape.

/// ReLU: y = max(x, 0).
///
/// Convention at 0: the derivative is taken as 0 (as in PyTorch and TensorFlow), so
/// dX = dY · [x > 0]. Because y > 0 exactly when x > 0, the mask can be read from the output:
/// VGG keeps only the ReLU outputs, never the pre-activations.
public enum ReLU {
    /// x [any] → y [same]
    @_specialize(where S == Float)
    @inlinable
    public static func forward<S: TensorScalar>(_ x: Tensor<S>) -> Tensor<S> {
        var y = x
        y.storage.withUnsafeMutableBufferPointer { b in
            guard let p = b.baseAddress else { return }
            Parallel.forRanges(b.count) { r in rectify(p + r.lowerBound, into: p + r.lowerBound, count: r.count) }
        }
        return y
    }

    /// d[i] = max(s[i], 0) for i < count (d may be s): the forward rule every fused pass
    /// applies. NaN passes through.
    @inlinable @inline(__always)
    public static func rectify<S: TensorScalar>(_ s: UnsafePointer<S>, into d: UnsafeMutablePointer<S>, count: Int) {
        for i in 0..<count { d[i] = s[i] < 0 ? 0 : s[i] }
    }

    /// dY and the forward's output y = max(x, 0) → dX = dY · [y > 0]
    @_specialize(where S == Float)
    @inlinable
    public static func backward<S: TensorScalar>(_ dY: Tensor<S>, output y: Tensor<S>) -> Tensor<S> {
        var dX = dY
        backwardInPlace(&dX, mask: ReLUMask(of: y))
        return dX
    }

    /// dY and the forward's input x → dX = dY · [x > 0]: the same mask as the output's, since
    /// max(x, 0) > 0 exactly where x > 0.
    @_specialize(where S == Float)
    @inlinable
    public static func backward<S: TensorScalar>(_ dY: Tensor<S>, input x: Tensor<S>) -> Tensor<S> {
        backward(dY, output: x)
    }

    /// dY · [y > 0] + addend in one pass, the mask given as a `ReLUMask` (either may be nil:
    /// then no mask, or nothing added). The fused form of the ReLU's backward for a convolution
    /// whose own output also receives a gradient (a style layer's pre-activation).
    /// dY, addend [any], one shape → dX [same]
    @_specialize(where S == Float)
    @inlinable
    public static func backward<S: TensorScalar>(_ dY: Tensor<S>, mask: ReLUMask?, plus addend: Tensor<S>?) -> Tensor<S> {
        precondition((mask?.shape ?? dY.shape) == dY.shape && (addend?.shape ?? dY.shape) == dY.shape,
                     "ReLU backward: dY \(dY.shape) vs mask \(mask?.shape ?? []) vs addend \(addend?.shape ?? [])")
        var dX = Tensor<S>(uninitializedShape: dY.shape)
        let positive = mask?.positive ?? [], extra = addend?.storage ?? []
        dY.storage.withUnsafeBufferPointer { db in
        positive.withUnsafeBufferPointer { mb in
        extra.withUnsafeBufferPointer { eb in
        dX.storage.withUnsafeMutableBufferPointer { xb in
            let dp = db.baseAddress!, xp = xb.baseAddress!
            // (An empty array's baseAddress need not be nil: test the optionals themselves.)
            let mp = mask == nil ? nil : mb.baseAddress, ep = addend == nil ? nil : eb.baseAddress
            Parallel.forRanges(dY.count) { r in
                let i = r.lowerBound
                gradientRun(dp + i, mask: mp.map { $0 + i }, addend: ep.map { $0 + i }, into: xp + i, count: r.count)
            }
        } } } }
        return dX
    }

    /// d[i] = dY[i] · [mask[i] ≠ 0] + addend[i] for i < count, the mask or the addend left out
    /// when nil: the ReLU's backward plus a gradient injected at its input, on one run of
    /// values. The rule every fused backward applies (here, and on the convolutions' reads of
    /// dY). d may not overlap dY or addend.
    @inlinable @inline(__always)
    public static func gradientRun<S: TensorScalar>(_ dY: UnsafePointer<S>, mask: UnsafePointer<UInt8>?, addend: UnsafePointer<S>?,
                                                    into d: UnsafeMutablePointer<S>, count: Int) {
        switch (mask, addend) {
        case let (m?, e?): for i in 0..<count { d[i] = (m[i] != 0 ? dY[i] : 0) + e[i] }
        case let (m?, nil): for i in 0..<count { d[i] = m[i] != 0 ? dY[i] : 0 }
        case let (nil, e?): for i in 0..<count { d[i] = dY[i] + e[i] }
        case (nil, nil): d.update(from: dY, count: count)
        }
    }

    /// d ← d · mask, without allocating.
    @_specialize(where S == Float)
    @inlinable
    public static func backwardInPlace<S: TensorScalar>(_ d: inout Tensor<S>, mask: ReLUMask) {
        precondition(d.shape == mask.shape, "ReLU backward: dY \(d.shape) vs mask \(mask.shape)")
        let n = d.count
        mask.positive.withUnsafeBufferPointer { mb in
            d.storage.withUnsafeMutableBufferPointer { db in
                let mp = mb.baseAddress!, dp = db.baseAddress!
                Parallel.forRanges(n) { r in
                    for i in r { dp[i] = mp[i] != 0 ? dp[i] : 0 }
                }
            }
        }
    }
}

/// What the ReLU's backward pass needs of its forward pass: [y > 0], one byte per value
/// (a quarter of the Float output it replaces; VGG keeps one per ReLU between its passes).
public struct ReLUMask: Sendable, Equatable {
    public let shape: [Int]
    /// 1 where the ReLU's output is > 0 (its input was > 0), else 0.
    public let positive: [UInt8]

    /// The mask of a ReLU output y (or of its input: y > 0 exactly where x > 0).
    @_specialize(where S == Float)
    @inlinable
    public init<S: TensorScalar>(of y: Tensor<S>) {
        shape = y.shape
        var bytes = [UInt8](repeating: 0, count: y.count)
        y.storage.withUnsafeBufferPointer { yb in
            bytes.withUnsafeMutableBufferPointer { mb in
                let yp = yb.baseAddress, mp = mb.baseAddress
                guard let yp, let mp else { return }
                Parallel.forRanges(y.count) { r in ReLUMask.write(yp + r.lowerBound, count: r.count, into: mp + r.lowerBound) }
            }
        }
        positive = bytes
    }

    /// The mask a convolution wrote with its output (see `Conv3x3.forwardWithReLU`).
    @inlinable
    public init(shape: [Int], positive: [UInt8]) {
        precondition(positive.count == shape.reduce(1, *), "ReLU mask: \(positive.count) bytes for shape \(shape)")
        self.shape = shape
        self.positive = positive
    }

    /// mask[i] = [y[i] > 0] for i < count: the rule `init(of:)` applies, for a fused pass.
    @inlinable @inline(__always)
    public static func write<S: TensorScalar>(_ y: UnsafePointer<S>, count: Int, into mask: UnsafeMutablePointer<UInt8>) {
        for i in 0..<count { mask[i] = y[i] > 0 ? 1 : 0 }
    }
}

/// A 2×2 pooling's reduction of one window (a b / c d): its value and, for max pooling, which
/// input won (0…3). A type rather than a closure so that `pool2x2` is specialised for each
/// pooling and the reduction inlined into its loop.
@usableFromInline
protocol Pool2x2Window {
    static func reduce<S: TensorScalar>(_ a: S, _ b: S, _ c: S, _ d: S) -> (value: S, index: UInt8)
}

/// The 2×2, stride-2 window walk both poolings' forward share:
/// X [C,H,W] → Y [C,⌊H/2⌋,⌊W/2⌋], Y[c,i,j] = Window.reduce(window at X[c,2i,2j]); with
/// `winners`, each window's index goes there too ([C·⌊H/2⌋·⌊W/2⌋]).
@inlinable @inline(__always)
func pool2x2<S: TensorScalar, Window: Pool2x2Window>(_ x: Tensor<S>, _: Window.Type, winners: UnsafeMutablePointer<UInt8>?) -> Tensor<S> {
    let c = x.shape[0], h = x.shape[1], w = x.shape[2], oh = h / 2, ow = w / 2
    var y = Tensor<S>(uninitializedShape: [c, oh, ow])   // every window writes its value
    x.storage.withUnsafeBufferPointer { xb in
    y.storage.withUnsafeMutableBufferPointer { yb in
        let xp = xb.baseAddress!, yp = yb.baseAddress!
        Parallel.forRanges(c, costPerItem: h * w) { r in
            for ci in r { for i in 0..<oh {
                let top = xp + ci * h * w + 2 * i * w, bottom = top + w
                let row = (ci * oh + i) * ow
                // Branch-free reductions over a row, so the loop vectorises.
                for j in 0..<ow {
                    let (value, index) = Window.reduce(top[2 * j], top[2 * j + 1], bottom[2 * j], bottom[2 * j + 1])
                    yp[row + j] = value
                    if let winners { winners[row + j] = index }
                }
            } }
        }
    } }
    return y
}

/// 2×2 max pooling, stride 2: Y[c,i,j] = max of X[c, 2i…2i+1, 2j…2j+1].
///
/// Odd sizes: the output is ⌊H/2⌋×⌊W/2⌋ (PyTorch's default, ceil_mode=false); the last row or
/// column of an odd input is dropped and gets zero gradient.
/// Ties: the gradient goes to the first maximum in reading order (top-left, top-right,
/// bottom-left, bottom-right), as PyTorch's CPU kernel does; a window with NaN passes NaN.
/// What backward needs is which input of each window won: `forward(_:winners:)` writes it,
/// one byte per window (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right), so the
/// network keeps ¼ byte per input value instead of the input itself (4 bytes).
public enum MaxPool2x2: Pool2x2Window {
    /// X [C,H,W] → Y [C,⌊H/2⌋,⌊W/2⌋]
    @_specialize(where S == Float)
    @inlinable
    public static func forward<S: TensorScalar>(_ x: Tensor<S>) -> Tensor<S> {
        pool2x2(x, MaxPool2x2.self, winners: nil)
    }

    /// X [C,H,W] → Y [C,⌊H/2⌋,⌊W/2⌋], and each window's winner (0…3, see above) into `winners`
    /// [C·⌊H/2⌋·⌊W/2⌋], whose storage is reused when it already has that count.
    @_specialize(where S == Float)
    @inlinable
    public static func forward<S: TensorScalar>(_ x: Tensor<S>, winners: inout [UInt8]) -> Tensor<S> {
        let c = x.shape[0], h = x.shape[1], w = x.shape[2], oh = h / 2, ow = w / 2
        if winners.count != c * oh * ow { winners = [UInt8](repeating: 0, count: c * oh * ow) }
        return winners.withUnsafeMutableBufferPointer { pool2x2(x, MaxPool2x2.self, winners: $0.baseAddress!) }
    }

    /// dY [C,⌊H/2⌋,⌊W/2⌋] and the winners of the forward pass → dX [C,H,W] (`inputShape`): each
    /// dY goes to its window's winner, the other three inputs get 0.
    @_specialize(where S == Float)
    @inlinable
    public static func backward<S: TensorScalar>(_ dY: Tensor<S>, winners: [UInt8], inputShape: [Int]) -> Tensor<S> {
        let c = inputShape[0], h = inputShape[1], w = inputShape[2], oh = h / 2, ow = w / 2
        precondition(dY.shape == [c, oh, ow] && winners.count == dY.count,
                     "MaxPool2x2 backward: dY \(dY.shape) and \(winners.count) winners for input \(inputShape)")
        var dX = Tensor<S>(uninitializedShape: inputShape)   // every window, then the odd row/column below
        dY.storage.withUnsafeBufferPointer { db in
        winners.withUnsafeBufferPointer { kb in
        dX.storage.withUnsafeMutableBufferPointer { dxb in
            let dp = db.baseAddress!, kp = kb.baseAddress!, dxp = dxb.baseAddress!
            Parallel.forRanges(c, costPerItem: h * w) { r in
                for ci in r {
                    let plane = dxp + ci * h * w
                    for i in 0..<oh {
                        let top = plane + 2 * i * w, bottom = top + w
                        let row = (ci * oh + i) * ow
                        for j in 0..<ow {
                            let g = dp[row + j], k = kp[row + j]
                            top[2 * j] = k == 0 ? g : 0
                            top[2 * j + 1] = k == 1 ? g : 0
                            bottom[2 * j] = k == 2 ? g : 0
                            bottom[2 * j + 1] = k == 3 ? g : 0
                        }
                        if w % 2 == 1 { top[w - 1] = 0; bottom[w - 1] = 0 }
                    }
                    if h % 2 == 1 { (plane + (h - 1) * w).update(repeating: 0, count: w) }
                }
            }
        } } }
        return dX
    }

    /// The reference backward: dY [C,⌊H/2⌋,⌊W/2⌋], X [C,H,W] → dX, finding each window's winner
    /// again from the input, one window at a time into a zeroed dX. Kept to test the fast path.
    @_specialize(where S == Float)
    @inlinable
    public static func backward<S: TensorScalar>(_ dY: Tensor<S>, input x: Tensor<S>) -> Tensor<S> {
        let c = x.shape[0], h = x.shape[1], w = x.shape[2], oh = h / 2, ow = w / 2
        precondition(dY.shape == [c, oh, ow], "MaxPool2x2 backward: dY \(dY.shape) for input \(x.shape)")
        var dX = Tensor<S>(shape: x.shape)
        for ci in 0..<c { for i in 0..<oh { for j in 0..<ow {
            let o = (ci * h + 2 * i) * w + 2 * j
            let index = Int(reduce(x.storage[o], x.storage[o + 1], x.storage[o + w], x.storage[o + w + 1]).index)
            let offset = index % 2 + (index / 2) * w   // 0, 1, w, w + 1
            dX.storage[o + offset] = dY.storage[(ci * oh + i) * ow + j]
        } } }
        return dX
    }

    /// The rule: the window (a b / c d)'s maximum and its index 0…3 — the first maximum in
    /// reading order; if a value is NaN, NaN (a when a is NaN, else the last NaN).
    @inlinable @inline(__always)
    static func reduce<S: TensorScalar>(_ a: S, _ b: S, _ c: S, _ d: S) -> (value: S, index: UInt8) {
        var best = a, index: UInt8 = 0
        if b > best || b.isNaN { best = b; index = 1 }
        if c > best || c.isNaN { best = c; index = 2 }
        if d > best || d.isNaN { best = d; index = 3 }
        return a.isNaN ? (a, 0) : (best, index)
    }
}

/// 2×2 average pooling, stride 2: Y[c,i,j] = ¼ Σ X[c, 2i…2i+1, 2j…2j+1].
/// Gatys et al. (2015) found average pooling gives slightly better-looking results than max.
/// Odd sizes: ⌊H/2⌋×⌊W/2⌋ like MaxPool2x2; the dropped row/column gets zero gradient.
public enum AvgPool2x2: Pool2x2Window {
    /// X [C,H,W] → Y [C,⌊H/2⌋,⌊W/2⌋]
    @_specialize(where S == Float)
    @inlinable
    public static func forward<S: TensorScalar>(_ x: Tensor<S>) -> Tensor<S> {
        pool2x2(x, AvgPool2x2.self, winners: nil)
    }

    /// The window's mean (no winner).
    @inlinable @inline(__always)
    static func reduce<S: TensorScalar>(_ a: S, _ b: S, _ c: S, _ d: S) -> (value: S, index: UInt8) { ((a + b + c + d) / 4, 0) }

    /// dY [C,⌊H/2⌋,⌊W/2⌋] → dX [C,H,W], each input of a window gets dY/4.
    @_specialize(where S == Float)
    @inlinable
    public static func backward<S: TensorScalar>(_ dY: Tensor<S>, inputShape: [Int]) -> Tensor<S> {
        let c = inputShape[0], h = inputShape[1], w = inputShape[2], oh = h / 2, ow = w / 2
        precondition(dY.shape == [c, oh, ow], "AvgPool2x2 backward: dY \(dY.shape) for input \(inputShape)")
        var dX = Tensor<S>(uninitializedShape: inputShape)   // the windows, then the odd row/column below
        dY.storage.withUnsafeBufferPointer { db in
        dX.storage.withUnsafeMutableBufferPointer { dxb in
            let dp = db.baseAddress!, dxp = dxb.baseAddress!
            Parallel.forRanges(c, costPerItem: h * w) { r in
                for ci in r {
                    let plane = dxp + ci * h * w
                    for i in 0..<oh {
                        // Row 2i gets each gradient twice (a loop of two-way stores, which
                        // vectorises), then row 2i + 1 is its copy.
                        let top = plane + 2 * i * w, g = dp + (ci * oh + i) * ow
                        for j in 0..<ow { let v = g[j] / 4; top[2 * j] = v; top[2 * j + 1] = v }
                        if w % 2 == 1 { top[w - 1] = 0 }
                        (top + w).update(from: top, count: w)
                    }
                    if h % 2 == 1 { (plane + (h - 1) * w).update(repeating: 0, count: w) }
                }
            }
        } }
        return dX
    }
}

/// Total-variation loss (squared, anisotropic) — a smoothness prior on the generated image:
///
///   TV(X) = Σ_{c,y,x} (X[c,y+1,x] − X[c,y,x])² + (X[c,y,x+1] − X[c,y,x])²
///
/// over all neighbour pairs inside the image. Squared rather than absolute differences so the
/// loss is smooth everywhere (L-BFGS and finite-difference checks need that).
/// dTV/dX[c,y,x] = 2(X[y,x] − X[y−1,x]) − 2(X[y+1,x] − X[y,x]) + (same along x), where a term
/// is present only if its neighbour exists.
public enum TotalVariation {
    /// X [C,H,W] → TV
    @_specialize(where S == Float)
    @inlinable
    public static func forward<S: TensorScalar>(_ x: Tensor<S>) -> S {
        let c = x.shape[0], h = x.shape[1], w = x.shape[2]
        var sum: S = 0
        x.storage.withUnsafeBufferPointer { p in
            for ci in 0..<c { for y in 0..<h { for xx in 0..<w {
                let i = (ci * h + y) * w + xx
                if y + 1 < h { let d = p[i + w] - p[i]; sum += d * d }
                if xx + 1 < w { let d = p[i + 1] - p[i]; sum += d * d }
            } } }
        }
        return sum
    }

    /// X [C,H,W], upstream dL → dX [C,H,W] = dL · ∂TV/∂X
    @_specialize(where S == Float)
    @inlinable
    public static func backward<S: TensorScalar>(_ x: Tensor<S>, dL: S = 1) -> Tensor<S> {
        let c = x.shape[0], h = x.shape[1], w = x.shape[2]
        var dX = Tensor<S>(shape: x.shape)
        x.storage.withUnsafeBufferPointer { p in
        dX.storage.withUnsafeMutableBufferPointer { g in
            for ci in 0..<c { for y in 0..<h { for xx in 0..<w {
                let i = (ci * h + y) * w + xx
                if y + 1 < h { let d = 2 * dL * (p[i + w] - p[i]); g[i + w] += d; g[i] -= d }
                if xx + 1 < w { let d = 2 * dL * (p[i + 1] - p[i]); g[i + 1] += d; g[i] -= d }
            } } }
        } }
        return dX
    }
}
