/// Least squares by modified Gram–Schmidt (twice, for stability): the fit behind the diagnosis.
///
/// `columns` are the basis vectors (each of length n), `target` the vector to explain.
/// Returns the coefficients c minimising ‖target − Σ c_k columns_k‖ and that residual norm.
/// A column (nearly) in the span of the earlier ones (its part outside it is below
/// `dependenceTolerance` of its norm) gets coefficient 0 and is listed in `dependent`.
struct LeastSquares {
    var coefficients: [Double]
    var residualNorm: Double
    var dependent: [Int]

    static func norm(_ v: [Double]) -> Double {
        var s = 0.0
        for x in v { s += x * x }
        return s.squareRoot()
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += a[i] * b[i] }
        return s
    }

    /// Removes from v its components along the orthonormal vectors q, in two passes (modified Gram–Schmidt
    /// with one reorthogonalisation, which restores the orthogonality rounding loses); returns
    /// the coefficients removed, qᵢ·v summed over both passes.
    static func removeProjections(_ v: inout [Double], onto q: [[Double]]) -> [Double] {
        var coefficients = [Double](repeating: 0, count: q.count)
        for _ in 0..<2 {
            for (row, qi) in q.enumerated() {
                let d = dot(qi, v)
                coefficients[row] += d
                for t in v.indices { v[t] -= d * qi[t] }
            }
        }
        return coefficients
    }

    init(columns: [[Double]], target: [Double], dependenceTolerance: Double = 1e-6) {
        let k = columns.count
        var q: [[Double]] = []          // orthonormal columns
        var kept: [Int] = []            // which input column each q came from
        var r = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)   // r[row][col]
        var dependent: [Int] = []
        for j in 0..<k {
            var v = columns[j]
            let original = Self.norm(v)
            let proj = Self.removeProjections(&v, onto: q)
            let rest = Self.norm(v)
            if original == 0 || rest <= dependenceTolerance * original {
                dependent.append(j)
                continue
            }
            for row in proj.indices { r[row][j] = proj[row] }
            r[q.count][j] = rest
            q.append(v.map { $0 / rest })
            kept.append(j)
        }
        // Project the target: y = Qᵀ b, residual b − Q y.
        var b = target
        let y = Self.removeProjections(&b, onto: q)
        // Back-substitute R c = y over the kept columns.
        var c = [Double](repeating: 0, count: k)
        for row in stride(from: q.count - 1, through: 0, by: -1) {
            var s = y[row]
            for later in (row + 1)..<max(row + 1, q.count) { s -= r[row][kept[later]] * c[kept[later]] }
            c[kept[row]] = s / r[row][kept[row]]
        }
        coefficients = c
        residualNorm = Self.norm(b)
        self.dependent = dependent
    }
}
