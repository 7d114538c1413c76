import Foundation
import NSTFormula

/// A number and its derivative along one direction (forward-mode automatic differentiation).
struct Dual {
    var v: Double
    var d: Double
    static let zero = Dual(v: 0, d: 0)
    static func + (a: Dual, b: Dual) -> Dual { Dual(v: a.v + b.v, d: a.d + b.d) }
    static func - (a: Dual, b: Dual) -> Dual { Dual(v: a.v - b.v, d: a.d - b.d) }
    static func * (a: Dual, b: Dual) -> Dual { Dual(v: a.v * b.v, d: a.d * b.v + a.v * b.d) }
    static prefix func - (a: Dual) -> Dual { Dual(v: -a.v, d: -a.d) }
}

/// A value of a derivation's expression: a scalar, or a matrix (row-major).
enum DerivationValue {
    case scalar(Dual)
    case matrix(rows: Int, cols: Int, [Dual])
}

/// Why a row cannot stand for an N×M array at (i*, j*): a shape or index that does not fit.
/// Such a row is unequal to any other (INCORRECT there, not INVALID).
struct Unfit: Error {
    enum Kind { case transposed, shape, index, layer, evaluation }
    var kind: Kind
    var message: String
}

/// Evaluates one row of a derivation on one draw, at every entry (i*, j*) of the
/// differentiated layer's N×M matrix, in Double.
///
/// Meaning (docs/derivations.md): an entry expression is evaluated at each (i*, j*); a
/// matrix expression stands for its (i*, j*) entry; a free `l` is the differentiated layer and
/// a Σ_{l∈L} binds it to each layer; index sums range over the size their indices are used
/// with (i in F_{ik}: N, k: M), and one used with both N and M does not fit. Named quantities
/// take their values from the engine (`DerivationLayer`). A derivative ∂(e)/∂X_{rc} is exact:
/// e is evaluated with dual numbers seeded at X_{rc}, and the losses' own derivatives come
/// from the engine's backward passes. A derivative's variable with layer l always means the
/// differentiated layer, also inside Σ_{l∈L} (a variable of another layer name, F^{l'} in
/// Σ_{l'∈L}, follows its sum).
struct DerivationEvaluator {
    let draw: DerivationDraw
    /// Read an M×N matrix row as its transpose (a hypothesis of the diagnosis).
    var acceptTransposed = false

    struct Seed: Equatable {
        var name: Quantity.Name
        var layer: Int
        var row: Int, col: Int
    }

    struct Environment {
        var indices: [String: Int] = [:]
        var layers: [String: Int] = [:]
        var seed: Seed?
    }

    /// Values of nodes that depend on neither an index nor a seed, by id and bound layers.
    final class Cache {
        var values: [String: DerivationValue] = [:]
    }
    let cache = Cache()

    init(draw: DerivationDraw, acceptTransposed: Bool = false) {
        self.draw = draw
        self.acceptTransposed = acceptTransposed
    }

    /// The row at every entry of the differentiated layer, row-major N×M.
    func row(_ e: DerivationExpression) throws(Unfit) -> [Double] {
        let t = draw.target
        var env = Environment()
        env.layers["l"] = draw.star
        if !e.freeIndices.contains("i*") && !e.freeIndices.contains("j*") {
            env.indices = ["i*": 0, "j*": 0]
            let v = try eval(e, env)
            switch v {
            case .scalar(let s): return Array(repeating: s.v, count: t.n * t.m)
            case .matrix(let r, let c, let values):
                if r == t.n && c == t.m { return values.map(\.v) }
                if acceptTransposed && r == t.m && c == t.n {
                    return (0..<(t.n * t.m)).map { k in values[(k % t.m) * c + k / t.m].v }
                }
                throw shapeError(r, c)
            }
        }
        var out = [Double](repeating: 0, count: t.n * t.m)
        for a in 0..<t.n {
            for b in 0..<t.m {
                env.indices = ["i*": a, "j*": b]
                out[a * t.m + b] = try entry(try eval(e, env), env).v
            }
        }
        return out
    }

    func shapeError(_ r: Int, _ c: Int) -> Unfit {
        let t = draw.target
        if r == t.m && c == t.n {
            return Unfit(kind: .transposed, message: "the row is an M×N matrix (\(r)×\(c) here), the transpose of F's N×M (\(t.n)×\(t.m)): its (i*, j*) entry is not the gradient's")
        }
        return Unfit(kind: .shape, message: "the row is a \(r)×\(c) matrix where F's N×M (\(t.n)×\(t.m)) is needed")
    }

    /// A value as the entry (i*, j*): a scalar is itself, an N×M matrix its entry there.
    func entry(_ v: DerivationValue, _ env: Environment) throws(Unfit) -> Dual {
        switch v {
        case .scalar(let s): return s
        case .matrix(let r, let c, let values):
            let t = draw.target
            let a = env.indices["i*"] ?? 0, b = env.indices["j*"] ?? 0
            if r == t.n && c == t.m { return values[a * c + b] }
            if acceptTransposed && r == t.m && c == t.n { return values[b * c + a] }
            throw shapeError(r, c)
        }
    }

    func layer(_ ref: LayerReference?, _ env: Environment) throws(Unfit) -> Int {
        switch ref {
        case nil: return draw.star
        case .variable(let v)?:
            guard let l = env.layers[v] else { throw Unfit(kind: .layer, message: "the layer \(v) is not bound") }
            return l
        case .number(let k)?:
            guard k >= 1 && k <= draw.layers.count else {
                throw Unfit(kind: .layer, message: "layer \(k) does not exist (the draws have layers 1…\(draw.layers.count))")
            }
            return k - 1
        }
    }

    func index(_ name: String, _ env: Environment) throws(Unfit) -> Int {
        guard let v = env.indices[name] else {
            throw Unfit(kind: .index, message: "the index \(name) is free: no sum binds it, and only i* and j* name the entry of the row")
        }
        return v
    }

    /// The tangent of a layer matrix's entry (i, j) under the seed.
    func tangent(_ name: Quantity.Name, _ l: Int, _ i: Int, _ j: Int, _ seed: Seed?) -> Double {
        guard let s = seed, s.layer == l else { return 0 }
        if name == .G && s.name == .F {
            // ∂G_ij/∂F_rc = δ_ir F_jc + δ_jr F_ic
            let F = draw.layers[l].F, m = draw.layers[l].m
            return (i == s.row ? F.storage[j * m + s.col] : 0) + (j == s.row ? F.storage[i * m + s.col] : 0)
        }
        return s.name == name && i == s.row && j == s.col ? 1 : 0
    }

    func quantity(_ q: Quantity, _ env: Environment) throws(Unfit) -> DerivationValue {
        let l = try layer(q.layer, env)
        let d = draw.layers[l]
        let seed = env.seed
        func lossTangent(_ layer: Int, style: Bool) -> Double {
            guard let s = seed, s.layer == layer else { return 0 }
            let L = draw.layers[layer]
            let k = s.row * (s.name == .G || s.name == .A ? L.n : L.m) + s.col
            switch (style, s.name) {
            case (false, .F): return L.contentGradient[k]
            case (false, .P): return -L.contentGradient[k]
            case (true, .F): return L.styleGradient[k]
            case (true, .G): return L.styleGramGradient[k]
            case (true, .A): return -L.styleGramGradient[k]
            default: return 0
            }
        }
        func content(_ l: Int) -> Dual { Dual(v: draw.layers[l].content, d: lossTangent(l, style: false)) }
        func style(_ l: Int) -> Dual { Dual(v: draw.layers[l].style, d: lossTangent(l, style: true)) }
        switch q.name {
        case .F, .P, .G, .A:
            let (rows, cols) = q.name == .F || q.name == .P ? (d.n, d.m) : (d.n, d.n)
            let storage: [Double]
            switch q.name {
            case .F: storage = d.F.storage
            case .P: storage = d.P.storage
            case .G: storage = d.G.storage
            default: storage = d.A.storage
            }
            if q.step == 1 && q.name == .F {
                // (F)^{t+1} = F − η·∂L_total/∂F, from the engine's gradients.
                if seed != nil { throw Unfit(kind: .evaluation, message: "a derivative of F after the step") }
                let update = (0..<(d.n * d.m)).map { k in
                    Dual(v: storage[k] - draw.eta * (draw.alpha * d.contentGradient[k] + draw.beta * d.w * d.styleGradient[k]), d: 0)
                }
                if q.indices.isEmpty { return .matrix(rows: rows, cols: cols, update) }
                let (i, j) = try entryIndices(q, rows, cols, env)
                return .scalar(update[i * cols + j])
            }
            if q.indices.isEmpty {
                var out = [Dual](repeating: .zero, count: rows * cols)
                for i in 0..<rows { for j in 0..<cols { out[i * cols + j] = Dual(v: storage[i * cols + j], d: tangent(q.name, l, i, j, seed)) } }
                return .matrix(rows: rows, cols: cols, out)
            }
            let (i, j) = try entryIndices(q, rows, cols, env)
            return .scalar(Dual(v: storage[i * cols + j], d: tangent(q.name, l, i, j, seed)))
        case .N: return .scalar(Dual(v: Double(d.n), d: 0))
        case .M: return .scalar(Dual(v: Double(d.m), d: 0))
        case .w: return .scalar(Dual(v: d.w, d: 0))
        case .alpha: return .scalar(Dual(v: draw.alpha, d: 0))
        case .beta: return .scalar(Dual(v: draw.beta, d: 0))
        case .eta: return .scalar(Dual(v: draw.eta, d: 0))
        case .contentLayer: return .scalar(content(l))
        case .styleLayer: return .scalar(style(l))
        case .contentTotal: return .scalar(draw.layers.indices.reduce(Dual.zero) { $0 + content($1) })
        case .styleTotal:
            return .scalar(draw.layers.indices.reduce(Dual.zero) { $0 + Dual(v: draw.layers[$1].w, d: 0) * style($1) })
        case .total:
            let c = draw.layers.indices.reduce(Dual.zero) { $0 + content($1) }
            let s = draw.layers.indices.reduce(Dual.zero) { $0 + Dual(v: draw.layers[$1].w, d: 0) * style($1) }
            return .scalar(Dual(v: draw.alpha, d: 0) * c + Dual(v: draw.beta, d: 0) * s)
        }
    }

    func entryIndices(_ q: Quantity, _ rows: Int, _ cols: Int, _ env: Environment) throws(Unfit) -> (Int, Int) {
        let i = try index(q.indices[0], env), j = try index(q.indices[1], env)
        guard i < rows && j < cols else {
            throw Unfit(kind: .index, message: "\(q.display) is outside \(q.name.rawValue)'s \(rows)×\(cols) range: its indices run over the wrong sizes")
        }
        return (i, j)
    }

    /// The size an index runs over in `body`, from the quantities it indexes.
    func range(of name: String, in body: DerivationExpression, _ env: Environment) throws(Unfit) -> Int {
        var sizes = Set<Int>()
        var layerUnknown = false
        for node in body.allNodes {
            guard case .quantity(let q) = node.node, !q.indices.isEmpty else { continue }
            for (position, ix) in q.indices.enumerated() where ix == name {
                guard let l = try? layer(q.layer, env) else { layerUnknown = true; continue }
                let d = draw.layers[l]
                switch q.name {
                case .F, .P: sizes.insert(position == 0 ? d.n : d.m)
                default: sizes.insert(d.n)
                }
            }
        }
        if sizes.count > 1 {
            throw Unfit(kind: .index, message: "the index \(name) is used for sizes \(sizes.sorted().map(String.init).joined(separator: " and ")) at once (rows of one matrix, columns of another)")
        }
        guard let size = sizes.first else {
            if layerUnknown { return draw.target.n }
            throw Unfit(kind: .index, message: "the sum over \(name) has nothing indexed by \(name), so its range is unknown")
        }
        return size
    }

    func eval(_ e: DerivationExpression, _ env: Environment) throws(Unfit) -> DerivationValue {
        let cacheable = env.seed == nil && e.freeIndices.isEmpty && !e.hasDerivative
        var key = ""
        if cacheable {
            key = "\(e.id)" + e.freeLayers.sorted().map { "|\($0)=\(env.layers[$0] ?? -1)" }.joined()
            if let v = cache.values[key] { return v }
        }
        let v = try evaluateNode(e, env)
        if cacheable { cache.values[key] = v }
        return v
    }

    func evaluateNode(_ e: DerivationExpression, _ env: Environment) throws(Unfit) -> DerivationValue {
        switch e.node {
        case .number(let v): return .scalar(Dual(v: v, d: 0))
        case .quantity(let q): return try quantity(q, env)
        case .delta(let a, let b):
            return .scalar(Dual(v: try index(a, env) == (try index(b, env)) ? 1 : 0, d: 0))
        case .negate(let x): return map(try eval(x, env)) { -$0 }
        case .transpose(let x):
            let v = try eval(x, env)
            guard case .matrix(let r, let c, let values) = v else { return v }
            var out = values
            for i in 0..<r { for j in 0..<c { out[j * r + i] = values[i * c + j] } }
            return .matrix(rows: c, cols: r, out)
        case .entry(let x, let a, let b):
            guard case .matrix(let r, let c, let values) = try eval(x, env) else {
                throw Unfit(kind: .shape, message: "an entry (…)[\(a),\(b)] of a scalar")
            }
            let i = try index(a, env), j = try index(b, env)
            guard i < r && j < c else {
                throw Unfit(kind: .index, message: "the entry [\(a),\(b)] is outside the \(r)×\(c) matrix")
            }
            return .scalar(values[i * c + j])
        case .power(let b, let x):
            guard case .scalar(let base) = try eval(b, env), case .scalar(let exponent) = try eval(x, env) else {
                throw Unfit(kind: .shape, message: "a power of a matrix (powers are of scalars; for a matrix write its entries)")
            }
            if exponent.d != 0 { throw Unfit(kind: .evaluation, message: "an exponent that depends on the variable") }
            if base.v == 0 && exponent.v < 1 { throw Unfit(kind: .evaluation, message: "0 to a power below 1") }
            let p = Foundation.pow(base.v, exponent.v)
            if !p.isFinite { throw Unfit(kind: .evaluation, message: "a power that is not a finite real number") }
            let dp = exponent.v * Foundation.pow(base.v, exponent.v - 1) * base.d
            return .scalar(Dual(v: p, d: base.d == 0 ? 0 : dp))
        case .binary(let op, let l, let r):
            let a = try eval(l, env), b = try eval(r, env)
            return try combine(op, a, b, env)
        case .sum(let names, let body):
            var sizes: [Int] = []
            for n in names { sizes.append(try range(of: n, in: body, env)) }
            var total: DerivationValue?
            var inner = env
            var counters = [Int](repeating: 0, count: names.count)
            let count = sizes.reduce(1, *)
            for _ in 0..<count {
                for (k, n) in names.enumerated() { inner.indices[n] = counters[k] }
                let v = try eval(body, inner)
                total = try total.map { t throws(Unfit) in try combine(.add, t, v, inner) } ?? v
                var k = names.count - 1
                while k >= 0 { counters[k] += 1; if counters[k] < sizes[k] { break }; counters[k] = 0; k -= 1 }
            }
            return total ?? .scalar(.zero)
        case .layerSum(let v, let body):
            var total: DerivationValue?
            var inner = env
            for l in draw.layers.indices {
                inner.layers[v] = l
                let x = try eval(body, inner)
                total = try total.map { t throws(Unfit) in try combine(.add, t, x, inner) } ?? x
            }
            return total!
        case .derivative(let q, let body):
            // The variable's layer l is the differentiated layer, also inside Σ_{l∈L}.
            let l: Int
            if q.layer == .variable("l") || q.layer == nil { l = draw.star } else { l = try layer(q.layer, env) }
            let d = draw.layers[l]
            let (rows, cols) = q.name == .F || q.name == .P ? (d.n, d.m) : (d.n, d.n)
            let r: Int, c: Int
            if q.indices.isEmpty {
                r = try index("i*", env); c = try index("j*", env)
            } else {
                r = try index(q.indices[0], env); c = try index(q.indices[1], env)
            }
            guard r < rows && c < cols else {
                throw Unfit(kind: .index, message: "∂/∂\(q.display) is outside \(q.name.rawValue)'s \(rows)×\(cols) range")
            }
            var inner = env
            inner.seed = Seed(name: q.name, layer: l, row: r, col: c)
            return map(try eval(body, inner)) { Dual(v: $0.d, d: 0) }
        }
    }

    func map(_ v: DerivationValue, _ f: (Dual) -> Dual) -> DerivationValue {
        switch v {
        case .scalar(let s): return .scalar(f(s))
        case .matrix(let r, let c, let values): return .matrix(rows: r, cols: c, values.map(f))
        }
    }

    func combine(_ op: DerivationExpression.Operator, _ a: DerivationValue, _ b: DerivationValue, _ env: Environment) throws(Unfit) -> DerivationValue {
        switch (op, a, b) {
        case (_, .scalar(let x), .scalar(let y)):
            switch op {
            case .add: return .scalar(x + y)
            case .subtract: return .scalar(x - y)
            case .multiply, .hadamard: return .scalar(x * y)
            case .divide:
                if y.v == 0 { throw Unfit(kind: .evaluation, message: "a division by zero") }
                return .scalar(Dual(v: x.v / y.v, d: (x.d * y.v - x.v * y.d) / (y.v * y.v)))
            }
        case (.add, .scalar, .matrix), (.add, .matrix, .scalar), (.subtract, .scalar, .matrix), (.subtract, .matrix, .scalar):
            // An entry plus a matrix: the matrix stands for its (i*, j*) entry.
            return try combine(op, .scalar(try entry(a, env)), .scalar(try entry(b, env)), env)
        case (.add, .matrix(let r, let c, let x), .matrix(let r2, let c2, let y)), (.subtract, .matrix(let r, let c, let x), .matrix(let r2, let c2, let y)):
            guard r == r2 && c == c2 else {
                throw Unfit(kind: .shape, message: "a \(r)×\(c) matrix \(op == .add ? "plus" : "minus") a \(r2)×\(c2) one")
            }
            return .matrix(rows: r, cols: c, op == .add ? zip(x, y).map { $0 + $1 } : zip(x, y).map { $0 - $1 })
        case (.multiply, .scalar(let s), .matrix(let r, let c, let y)), (.hadamard, .scalar(let s), .matrix(let r, let c, let y)):
            return .matrix(rows: r, cols: c, y.map { s * $0 })
        case (.multiply, .matrix(let r, let c, let y), .scalar(let s)), (.hadamard, .matrix(let r, let c, let y), .scalar(let s)):
            return .matrix(rows: r, cols: c, y.map { $0 * s })
        case (.divide, .matrix(let r, let c, let y), .scalar(let s)):
            if s.v == 0 { throw Unfit(kind: .evaluation, message: "a division by zero") }
            return .matrix(rows: r, cols: c, y.map { Dual(v: $0.v / s.v, d: ($0.d * s.v - $0.v * s.d) / (s.v * s.v)) })
        case (.divide, _, .matrix):
            throw Unfit(kind: .shape, message: "a division by a matrix")
        case (.multiply, .matrix(let r, let k, let x), .matrix(let k2, let c, let y)):
            guard k == k2 else { throw Unfit(kind: .shape, message: "a product of a \(r)×\(k) and a \(k2)×\(c) matrix") }
            var out = [Dual](repeating: .zero, count: r * c)
            for i in 0..<r {
                for p in 0..<k {
                    let xi = x[i * k + p]
                    if xi.v == 0 && xi.d == 0 { continue }
                    for j in 0..<c { out[i * c + j] = out[i * c + j] + xi * y[p * c + j] }
                }
            }
            return .matrix(rows: r, cols: c, out)
        case (.hadamard, .matrix(let r, let c, let x), .matrix(let r2, let c2, let y)):
            guard r == r2 && c == c2 else { throw Unfit(kind: .shape, message: "an elementwise product of a \(r)×\(c) and a \(r2)×\(c2) matrix") }
            return .matrix(rows: r, cols: c, zip(x, y).map { $0 * $1 })
        }
    }
}
