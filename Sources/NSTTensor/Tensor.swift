/// A dense, row-major tensor of `Scalar` (Float for speed, Double for checking).
///
/// Shapes are written outermost first: an activation is `[C, H, W]`, a feature matrix
/// `F` is `[N, M]` with N channels and M = H·W positions, a convolution weight is
/// `[O, I, 3, 3]` (OIHW, torchvision's order).
public struct Tensor<Scalar: TensorScalar>: Sendable, Equatable {
    public let shape: [Int]
    public var storage: [Scalar]

    /// A tensor of `shape` filled with `value`.
    @inlinable
    public init(shape: [Int], repeating value: Scalar = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = Array(repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor of `shape` whose values are not set: for outputs a kernel overwrites entirely,
    /// so a large activation is not zero-filled only to be written again. Every element must be
    /// written before it is read.
    @inlinable
    public init(uninitializedShape shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        let count = shape.reduce(1, *)
        self.shape = shape
        self.storage = Array(unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// A tensor of `shape` over `storage` (row-major); the counts must agree.
    @inlinable
    public init(shape: [Int], storage: [Scalar]) {
        precondition(shape.reduce(1, *) == storage.count,
                     "shape \(shape) holds \(shape.reduce(1, *)) values, storage has \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// Number of scalars.
    @inlinable
    public var count: Int { storage.count }

    /// The same values under another shape with the same count (e.g. `[C,H,W]` → `[C, H·W]`).
    @inlinable
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }

    /// Element access by a full multi-index.
    @inlinable
    public subscript(_ index: Int...) -> Scalar {
        get { storage[offset(index)] }
        set { storage[offset(index)] = newValue }
    }

    @inlinable @inline(__always)
    func offset(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) for shape \(shape)")
        var o = 0
        for (i, n) in zip(index, shape) {
            precondition(i >= 0 && i < n, "index \(index) out of range for shape \(shape)")
            o = o * n + i
        }
        return o
    }

    /// The same values converted to another scalar type (Float ↔ Double).
    @inlinable
    public func converted<T: TensorScalar>(to: T.Type = T.self) -> Tensor<T> {
        Tensor<T>(shape: shape, storage: storage.map { T($0) })
    }
}
