/// One dimension of a matrix: a symbolic name (`N`, `M`) and, when bound, its size.
public struct Dim: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var size: Int?
    public init(_ name: String, _ size: Int? = nil) {
        self.name = name
        self.size = size
    }
    /// Two dimensions agree when their sizes do (or, unbound, their names).
    public func agrees(with other: Dim) -> Bool {
        if let a = size, let b = other.size { return a == b }
        return name == other.name
    }
    public var description: String { name }
}

/// The shape of a value: a scalar or a rows×cols matrix with symbolic dimensions.
public enum Shape: Sendable, Equatable, CustomStringConvertible {
    case scalar
    case matrix(Dim, Dim)

    /// `N×M`, or `scalar`.
    public var symbolic: String {
        switch self {
        case .scalar: return "scalar"
        case .matrix(let r, let c): return "\(r.name)×\(c.name)"
        }
    }

    /// `64×25` when sizes are bound, else nil.
    public var concrete: String? {
        guard case .matrix(let r, let c) = self, let a = r.size, let b = c.size else { return nil }
        return "\(a)×\(b)"
    }

    /// `N×M = 64×25`, `N×M`, or `scalar`.
    public var description: String {
        if let c = concrete, c != symbolic { return "\(symbolic) = \(c)" }
        return symbolic
    }

    public func agrees(with other: Shape) -> Bool {
        switch (self, other) {
        case (.scalar, .scalar): return true
        case (.matrix(let a, let b), .matrix(let c, let d)): return a.agrees(with: c) && b.agrees(with: d)
        default: return false
        }
    }

    public var transposed: Shape {
        if case .matrix(let r, let c) = self { return .matrix(c, r) }
        return self
    }

    public var isScalar: Bool { self == .scalar }
}

/// The symbols a formula may use, with their shapes and a phrase saying what each is.
public struct SymbolTable: Sendable {
    public var shapes: [String: Shape]
    public var meanings: [String: String]
    /// Display order for listings.
    public var order: [String]

    public init(shapes: [String: Shape], meanings: [String: String] = [:], order: [String]? = nil) {
        self.shapes = shapes
        self.meanings = meanings
        self.order = order ?? shapes.keys.sorted()
    }

    /// The quiz's symbols for one layer l: F, P (N×M), G = F·Fᵀ and A (N×N), the sizes N and M,
    /// the weights w, α, β and the step size η. Pass `n`, `m` to bind the sizes.
    public static func standard(n: Int? = nil, m: Int? = nil) -> SymbolTable {
        let N = Dim("N", n), M = Dim("M", m)
        return SymbolTable(
            shapes: ["F": .matrix(N, M), "P": .matrix(N, M), "G": .matrix(N, N), "A": .matrix(N, N),
                     "N": .scalar, "M": .scalar, "w": .scalar, "alpha": .scalar, "beta": .scalar, "eta": .scalar],
            meanings: ["F": "the generated image's features at layer l",
                       "P": "the content image's features at layer l",
                       "G": "F·Fᵀ, the Gram matrix of F",
                       "A": "the style image's Gram matrix at layer l",
                       "N": "the number of filters (channels)",
                       "M": "the number of positions (height × width)",
                       "w": "the style weight w_l of layer l",
                       "alpha": "the content weight α", "beta": "the style weight β",
                       "eta": "the step size η"],
            order: ["F", "P", "G", "A", "N", "M", "w", "alpha", "beta", "eta"])
    }

    /// `F, P, G, A, N, M, w, α (alpha), β (beta), η (eta)`
    public var knownList: String {
        order.map { s in
            let d = Expression.display(symbol: s, unicode: true)
            return d == s ? s : "\(d) (\(s))"
        }.joined(separator: ", ")
    }
}

extension Formula {
    /// How a sub-expression is named in a message: `F`, `(G − A)`, truncated when long.
    static func label(_ e: Expression) -> String {
        var s = e.unicode
        if s.count > 40 { s = String(s.prefix(37)) + "…" }
        return e.precedence >= 5 ? s : "(\(s))"
    }

    static func labelWithShape(_ e: Expression, _ shape: Shape) -> String {
        shape.isScalar ? "the scalar \(label(e))" : "\(label(e)) (\(shape))"
    }

    /// The shape of `e` under `symbols`, computed before anything is evaluated. Throws a
    /// `.shape` error at the operator that cannot combine its operands, in the loss's terms:
    /// "cannot multiply F (N×M = 64×25) by (G − A) (N×N = 64×64): …".
    public static func inferShape(_ e: Expression, symbols: SymbolTable, input: String) throws(FormulaError) -> Shape {
        func fail(_ message: String, _ at: Expression) -> FormulaError {
            FormulaError(.shape, message, column: at.column, input: input)
        }
        switch e.node {
        case .number:
            return .scalar
        case .symbol(let s):
            if let shape = symbols.shapes[s] { return shape }
            var hint = ""
            if let match = symbols.order.first(where: { $0.lowercased() == s.lowercased() }) {
                hint = " (did you mean \(match)? symbols are case-sensitive)"
            } else if let underscore = s.firstIndex(of: "_"), s[s.index(after: underscore)...].allSatisfy(\.isNumber),
                      s.index(after: underscore) < s.endIndex {
                let base = String(s[..<underscore])
                let shown = Expression.display(symbol: Formula.canonicalSymbol(base), unicode: true)
                hint = " (\(s) is layer \(s[s.index(after: underscore)...])'s; the formula is for any layer l: write \(shown == base ? base : "\(base) or \(shown)")\(symbols.shapes[base] != nil || base == "w" ? " (or \(base)_l)" : ""))"
            } else if s == "T" {
                hint = " (for the transpose write F', F^T or Fᵀ)"
            } else if s.count > 1, s.allSatisfy({ symbols.shapes[String($0)] != nil }) {
                hint = " (for a product write \(s.map(String.init).joined(separator: "*")))"
            }
            throw fail("unknown symbol '\(s)'\(hint); known symbols: \(symbols.knownList)", e)
        case .negate(let x):
            return try inferShape(x, symbols: symbols, input: input)
        case .transpose(let x):
            return try inferShape(x, symbols: symbols, input: input).transposed
        case .call(let f, let x):
            let s = try inferShape(x, symbols: symbols, input: input)
            switch f {
            case .sum: return .scalar
            case .relu, .step: return s
            case .transpose: return s.transposed
            case .tr:
                if case .matrix(let r, let c) = s, !r.agrees(with: c) {
                    throw fail("tr needs a square matrix; \(labelWithShape(x, s)) is not square", e)
                }
                return .scalar
            }
        case .power(let b, let x):
            let sb = try inferShape(b, symbols: symbols, input: input)
            let sx = try inferShape(x, symbols: symbols, input: input)
            if !sb.isScalar {
                throw fail("^ raises scalars to powers, and \(labelWithShape(b, sb)) is a matrix; for an elementwise square write X.*X, for a transpose X' or X^T", e)
            }
            if !sx.isScalar {
                throw fail("the exponent \(labelWithShape(x, sx)) must be a scalar", e)
            }
            return .scalar
        case .binary(let op, let l, let r):
            let sl = try inferShape(l, symbols: symbols, input: input)
            let sr = try inferShape(r, symbols: symbols, input: input)
            switch op {
            case .add, .subtract:
                if sl.agrees(with: sr) { return sl }
                let verb = op == .add ? "add" : "subtract"
                let (a, b) = op == .add ? (labelWithShape(l, sl), labelWithShape(r, sr)) : (labelWithShape(r, sr), labelWithShape(l, sl))
                let prep = op == .add ? "and" : "from"
                if sl.isScalar || sr.isScalar {
                    throw fail("cannot \(verb) \(a) \(prep) \(b): + and − need equal shapes (a scalar is not spread over a matrix)", e)
                }
                throw fail("cannot \(verb) \(a) \(prep) \(b): + and − need equal shapes", e)
            case .multiply:
                if sl.isScalar { return sr }
                if sr.isScalar { return sl }
                guard case .matrix(let lr, let lc) = sl, case .matrix(let rr, let rc) = sr else { return .scalar }
                if lc.agrees(with: rr) { return .matrix(lr, rc) }
                var message = "cannot multiply \(labelWithShape(l, sl)) by \(labelWithShape(r, sr)): the left's columns (\(lc.name)\(lc.size.map { " = \($0)" } ?? "")) must match the right's rows (\(rr.name)\(rr.size.map { " = \($0)" } ?? ""))"
                if rc.agrees(with: lr) {
                    message += "; \(label(r))·\(label(l)) would be defined"
                } else if lr.agrees(with: rr) {
                    message += "; \(label(l))ᵀ·\(label(r)) would be defined"
                } else if lc.agrees(with: rc) {
                    message += "; \(label(l))·\(label(r))ᵀ would be defined"
                }
                throw fail(message, e)
            case .divide:
                if !sr.isScalar {
                    throw fail("cannot divide by \(labelWithShape(r, sr)): / divides by a scalar; for elementwise division write ./", e)
                }
                return sl
            case .hadamard, .elementwiseDivide:
                if sl.isScalar { return sr }
                if sr.isScalar { return sl }
                if sl.agrees(with: sr) { return sl }
                let name = op == .hadamard ? "elementwise product" : "elementwise division"
                throw fail("the \(name) of \(labelWithShape(l, sl)) and \(labelWithShape(r, sr)) needs equal shapes", e)
            }
        }
    }
}
