/// Element-wise helpers shared by the engine and the objectives: gradient accumulation
/// (dX += a·dY, BLAS's axpy), scaling, and sums accumulated in Double. Specialised for Float
/// (the engine's type) so callers generic over the scalar, like `StyleObjective`, run
/// unboxed loops; Double (gradient checks) takes the generic path.
extension Tensor {
    /// self += a·b element by element; shapes must agree. Split over the cores for large
    /// tensors (a gradient of a conv layer holds 10⁵–10⁶ values; the work is memory-bound).
    @_specialize(where Scalar == Float)
    @inlinable
    public mutating func add(_ b: Tensor, scaledBy a: Scalar = 1) {
        precondition(shape == b.shape, "shapes \(shape) and \(b.shape) differ")
        guard count > 0 else { return }
        b.storage.withUnsafeBufferPointer { bb in
            storage.withUnsafeMutableBufferPointer { ob in
                let bp = bb.baseAddress!, op = ob.baseAddress!
                Parallel.forRanges(ob.count) { r in for i in r { op[i] += a * bp[i] } }
            }
        }
    }

    /// self *= a element by element.
    @_specialize(where Scalar == Float)
    @inlinable
    public mutating func scale(by a: Scalar) {
        for i in storage.indices { storage[i] *= a }
    }

    /// Σ v, accumulated in Double in storage order (a NaN or ±Inf anywhere makes it non-finite).
    @_specialize(where Scalar == Float)
    @inlinable
    public func sum() -> Double {
        var s = 0.0
        for v in storage { s += Double(v) }
        return s
    }

    /// Σ |v| (the L1 norm), accumulated in Double in storage order.
    @_specialize(where Scalar == Float)
    @inlinable
    public func sumOfMagnitudes() -> Double {
        var s = 0.0
        for v in storage { s += abs(Double(v)) }
        return s
    }
}
