import NSTTensor

// The losses of Gatys, Ecker & Bethge (2015), exactly as the quiz teaches them.
// F is a layer's feature matrix, N×M: N channels (filters), M = H·W positions.
// Each op is a `forward` and a `backward` side by side; `backward` takes the upstream
// gradient of the scalar loss (dL, usually 1 or a weight) and returns dF.

/// Gram matrix G = F Fᵀ (N×N), eq. (3): G_ij = Σ_k F_ik F_jk.
public enum Gram {
    /// F: [N, M] → G: [N, N]
    @_specialize(where S == Float)
    @inlinable
    public static func forward<S: TensorScalar>(_ F: Tensor<S>) -> Tensor<S> {
        precondition(F.shape.count == 2, "Gram: F must be [N, M], got \(F.shape)")
        let n = F.shape[0], m = F.shape[1]
        var G = Tensor<S>(uninitializedShape: [n, n])   // parallelGram writes all of it
        F.storage.withUnsafeBufferPointer { f in
            G.storage.withUnsafeMutableBufferPointer { g in
                // Symmetric: computed as the upper triangle (half the multiply-adds), mirrored.
                S.parallelGram(n: n, k: m, a: f.baseAddress!, lda: max(1, m), c: g.baseAddress!)
            }
        }
        return G
    }

    /// dF = (dG + dGᵀ) F, since ∂G_ij/∂F_ab = δ_ia F_jb + δ_ja F_ib.
    /// F: [N, M], dG: [N, N] → dF: [N, M]
    @_specialize(where S == Float)
    @inlinable
    public static func backward<S: TensorScalar>(_ F: Tensor<S>, dG: Tensor<S>) -> Tensor<S> {
        let n = dG.shape[0]
        var sym = Tensor<S>(uninitializedShape: [n, n])   // every entry written below
        dG.storage.withUnsafeBufferPointer { gb in
            sym.storage.withUnsafeMutableBufferPointer { sb in
                guard let g = gb.baseAddress, let s = sb.baseAddress else { return }
                SquareBlocks.forEach(n) { i, j in s[i * n + j] = g[i * n + j] + g[j * n + i] }
            }
        }
        return sym.matmul(F)
    }
}

/// Content loss of one layer, eq. (1): L = ½ Σ_ij (F_ij − P_ij)².
public enum ContentLoss {
    /// F, P: [N, M] → L
    @_specialize(where S == Float)
    @inlinable
    public static func forward<S: TensorScalar>(_ F: Tensor<S>, _ P: Tensor<S>) -> S {
        precondition(F.shape == P.shape, "content loss: F \(F.shape) vs P \(P.shape)")
        var sum: S = 0
        for i in 0..<F.count { let d = F.storage[i] - P.storage[i]; sum += d * d }
        return sum / 2
    }

    /// ∂L/∂F = F − P (quiz Q2), times the upstream dL. → dF: [N, M]
    @_specialize(where S == Float)
    @inlinable
    public static func backward<S: TensorScalar>(_ F: Tensor<S>, _ P: Tensor<S>, dL: S = 1) -> Tensor<S> {
        var dF = F
        for i in 0..<F.count { dF.storage[i] = dL * (F.storage[i] - P.storage[i]) }
        return dF
    }
}

/// Style loss of one layer, eq. (4): E = Σ_ij (G_ij − A_ij)² / (4 N² M²),
/// with G = F Fᵀ the generated image's Gram matrix and A the style image's.
public enum StyleLoss {
    /// F: [N, M], A: [N, N] → E
    @_specialize(where S == Float)
    @inlinable
    public static func forward<S: TensorScalar>(_ F: Tensor<S>, _ A: Tensor<S>) -> S {
        value(gram: Gram.forward(F), A, F)
    }

    /// E from a Gram matrix already computed: Σ(G − A)² / (4N²M²).
    @_specialize(where S == Float)
    @inlinable
    public static func value<S: TensorScalar>(gram G: Tensor<S>, _ A: Tensor<S>, _ F: Tensor<S>) -> S {
        precondition(G.shape == A.shape, "style loss: G \(G.shape) vs A \(A.shape)")
        var sum: S = 0
        for i in 0..<G.count { let d = G.storage[i] - A.storage[i]; sum += d * d }
        return sum / normalizer(F)
    }

    /// ∂E/∂F = (G − A) F / (N² M²) for symmetric A (the N×M gradient; the seed's
    /// eq. (6) prints its transpose Fᵀ(G − A)). Composed from the Gram backward:
    /// dG = 2(G − A)/(4N²M²), dF = (dG + dGᵀ) F. → dF: [N, M]
    @_specialize(where S == Float)
    @inlinable
    public static func backward<S: TensorScalar>(_ F: Tensor<S>, _ A: Tensor<S>, dE: S = 1) -> Tensor<S> {
        Gram.backward(F, dG: gramGradient(gram: Gram.forward(F), F, A, dE: dE))
    }

    /// dG = ∂E/∂G · dE = 2(G − A)/(4N²M²) · dE, from G = F Fᵀ; `Gram.backward(F, dG:)` takes it to dF.
    @_specialize(where S == Float)
    @inlinable
    public static func gramGradient<S: TensorScalar>(gram G: Tensor<S>, _ F: Tensor<S>, _ A: Tensor<S>, dE: S) -> Tensor<S> {
        var dG = G
        let scale = dE * 2 / normalizer(F)
        for i in 0..<dG.count { dG.storage[i] = scale * (dG.storage[i] - A.storage[i]) }
        return dG
    }

    /// 4 N² M²
    @inlinable @inline(__always)
    static func normalizer<S: TensorScalar>(_ F: Tensor<S>) -> S {
        let n = S(F.shape[0]), m = S(F.shape[1])
        return 4 * n * n * m * m
    }
}
