/// The tree of one row of a derivation, in index notation (see docs/derivations.md).
///
/// A row is an expression over the quiz's named quantities (`Quantity`): matrices F, P, G, A
/// of a layer, their entries F^l_{ij}, the sizes N_l and M_l, the weights α, β, η, w_l and
/// the losses L^l_content, L_content, E_l, L_style, L_total. It may sum over indices
/// (`Σ_{i,j}`) or layers (`Σ_{l∈L}`), use Kronecker deltas, and differentiate a sub-expression
/// with respect to an entry of a layer's matrix (`∂/∂F^l_{i*j*} (…)`).
public struct DerivationExpression: Sendable {
    public indirect enum Node: Sendable {
        case number(Double)
        case quantity(Quantity)
        /// δ_{ab}: 1 when the two indices are equal.
        case delta(String, String)
        case binary(Operator, DerivationExpression, DerivationExpression)
        case negate(DerivationExpression)
        /// base ^ exponent, both scalars.
        case power(DerivationExpression, DerivationExpression)
        case transpose(DerivationExpression)
        /// The entry (a, b) of a matrix expression: ((G − A)·F)_{i*j*}.
        case entry(DerivationExpression, String, String)
        /// Σ over the named indices; their ranges follow from where the body uses them.
        case sum([String], DerivationExpression)
        /// Σ_{l∈L}: the body for each layer of L, with the named layer variable bound to it.
        case layerSum(String, DerivationExpression)
        /// ∂(body)/∂(an entry of a layer's matrix). `with` has two indices, or none (the entry
        /// (i*, j*) of the row).
        case derivative(with: Quantity, of: DerivationExpression)
    }

    public enum Operator: String, Sendable {
        case add = "+", subtract = "−"
        /// A product: matrix product between matrices, scaling when either side is a scalar.
        case multiply = "·"
        case divide = "/"
        /// The elementwise product.
        case hadamard = "⊙"
    }

    public var node: Node
    /// 1-based column (Unicode scalars) in the row's source text.
    public var column: Int
    /// Unique within the derivation (an evaluator may cache values by it).
    public var id: Int
    /// Indices used and not bound inside (i*, j* in a row, say).
    public var freeIndices: Set<String>
    /// Layer variables used and not bound inside (`l` outside Σ_{l∈L}).
    public var freeLayers: Set<String>
    public private(set) var height: Int
    /// Whether a derivative occurs in the tree.
    public private(set) var hasDerivative: Bool

    public init(_ node: Node, column: Int, id: Int) {
        self.node = node
        self.column = column
        self.id = id
        var free = Set<String>(), layers = Set<String>(), h = 0, derivative = false
        func absorb(_ e: DerivationExpression) {
            free.formUnion(e.freeIndices); layers.formUnion(e.freeLayers); h = max(h, e.height)
            derivative = derivative || e.hasDerivative
        }
        switch node {
        case .number: break
        case .quantity(let q):
            free.formUnion(q.indices)
            if case .variable(let v)? = q.layer { layers.insert(v) }
        case .delta(let a, let b): free.formUnion([a, b])
        case .binary(_, let l, let r), .power(let l, let r): absorb(l); absorb(r)
        case .negate(let e), .transpose(let e): absorb(e)
        case .entry(let e, let a, let b): absorb(e); free.formUnion([a, b])
        case .sum(let indices, let body): absorb(body); free.subtract(indices)
        case .layerSum(let v, let body): absorb(body); layers.remove(v)
        case .derivative(let q, let body):
            absorb(body)
            derivative = true
            free.formUnion(q.indices.isEmpty ? ["i*", "j*"] : q.indices)
            if case .variable(let v)? = q.layer { layers.insert(v) }
        }
        self.freeIndices = free
        self.freeLayers = layers
        self.height = h + 1
        self.hasDerivative = derivative
    }

    /// The direct sub-expressions.
    public var children: [DerivationExpression] {
        switch node {
        case .number, .quantity, .delta: return []
        case .binary(_, let l, let r), .power(let l, let r): return [l, r]
        case .negate(let e), .transpose(let e), .entry(let e, _, _), .sum(_, let e), .layerSum(_, let e), .derivative(_, let e): return [e]
        }
    }

    /// Every node, parents before children.
    public var allNodes: [DerivationExpression] {
        var out: [DerivationExpression] = []
        var stack = [self]
        while let e = stack.popLast() { out.append(e); stack.append(contentsOf: e.children.reversed()) }
        return out
    }
}

/// A layer: the variable l (the differentiated layer, or the one a Σ_{l∈L} binds) or a number.
public enum LayerReference: Sendable, Hashable, CustomStringConvertible {
    case variable(String)
    case number(Int)
    public var description: String {
        switch self {
        case .variable(let v): return v
        case .number(let n): return String(n)
        }
    }
}

/// A named quantity of the quiz, at a layer, possibly one entry of it.
public struct Quantity: Sendable, Hashable {
    public enum Name: String, Sendable, CaseIterable {
        /// Matrices of a layer: F, P (N×M), G = F·Fᵀ, A (N×N).
        case F, P, G, A
        /// The layer's sizes.
        case N, M
        /// The layer's style weight w_l; the content and style weights α, β; the step η.
        case w, alpha, beta, eta
        /// L^l_content = ½ Σ (F − P)² (eq. 1); L_content = Σ_l L^l_content (eq. 2).
        case contentLayer = "L_content^l", contentTotal = "L_content"
        /// E_l = Σ (G − A)² / (4N²M²) (eq. 4); L_style = Σ_l w_l E_l (eq. 5).
        case styleLayer = "E", styleTotal = "L_style"
        /// L_total = α·L_content + β·L_style (eq. 7).
        case total = "L_total"

        /// Whether the quantity belongs to one layer (and so takes a layer mark).
        public var isPerLayer: Bool {
            switch self {
            case .alpha, .beta, .eta, .contentTotal, .styleTotal, .total: return false
            default: return true
            }
        }
        public var isMatrix: Bool { [.F, .P, .G, .A].contains(self) }
        public var isLoss: Bool { [.contentLayer, .contentTotal, .styleLayer, .styleTotal, .total].contains(self) }
    }

    public var name: Name
    /// nil for quantities that have no layer (α, L_total); else the layer (l when unmarked).
    public var layer: LayerReference?
    /// Two indices for an entry of a matrix, else none.
    public var indices: [String]
    /// 0 for (X)^t (the current value, the same as X), 1 for (X)^{t+1}: F after one step (the
    /// other matrices do not change in a step).
    public var step: Int?

    public init(_ name: Name, layer: LayerReference? = nil, indices: [String] = [], step: Int? = nil) {
        self.name = name
        self.layer = layer
        self.indices = indices
        self.step = step
    }

    /// How the quantity is printed in a report: `Fˡ[i*,j*]`, `w₁`, `L_content`, `(Fˡ[i*,j*])ᵗ⁺¹`.
    public var display: String {
        var s: String
        let layerText = layer.map { $0 == .variable("l") ? "ˡ" : "^\($0)" } ?? ""
        switch name {
        case .F, .P, .G, .A: s = name.rawValue + layerText
        case .N, .M, .w, .styleLayer:
            s = name.rawValue + (layer.map { $0 == .variable("l") ? "_l" : "_\($0)" } ?? "")
        case .alpha: s = "α"
        case .beta: s = "β"
        case .eta: s = "η"
        case .contentLayer: s = "L_content" + layerText
        case .contentTotal, .styleTotal, .total: s = name.rawValue
        }
        if !indices.isEmpty { s += "[" + indices.joined(separator: ",") + "]" }
        if let step { s = "(\(s))" + (step == 0 ? "ᵗ" : "ᵗ⁺¹") }
        return s
    }
}

/// One row of a derivation: row 1 holds the left-hand side and e1, row k the expression e_k.
public struct DerivationRow: Sendable {
    /// 1-based row number (the k-th `\\`-separated row, or the k-th line of a plain file).
    public var number: Int
    /// 1-based line of the input where the row starts.
    public var line: Int
    /// The row as written (trimmed).
    public var text: String
    /// Row 1's left-hand side.
    public var lhs: DerivationExpression?
    public var expression: DerivationExpression
}

/// A parsed derivation: LHS = e1 = e2 = … = en.
public struct Derivation: Sendable {
    public enum Notation: String, Sendable { case latex, plain }
    public var notation: Notation
    public var rows: [DerivationRow]
    public var lhs: DerivationExpression { rows[0].lhs! }
}

/// Limits on a derivation's size, so no input can cost more than `nst check`'s.
public struct DerivationLimits: Sendable {
    /// Longest input, in Unicode scalars.
    public var maxLength: Int
    /// Most rows.
    public var maxRows: Int
    /// Longest row, in Unicode scalars (a formula's limit).
    public var maxRowLength: Int
    /// Deepest nesting of one row's tree (a bracket pair costs about four levels).
    public var maxDepth: Int
    /// Most index variables one sum may bind, and most nested index sums.
    public var maxSumIndices: Int
    public init(maxLength: Int = 20_000, maxRows: Int = 40, maxRowLength: Int = 2000, maxDepth: Int = 250, maxSumIndices: Int = 4) {
        self.maxLength = maxLength
        self.maxRows = maxRows
        self.maxRowLength = maxRowLength
        self.maxDepth = maxDepth
        self.maxSumIndices = maxSumIndices
    }
    public static let `default` = DerivationLimits()
}

/// An unreadable derivation: where (row, input line and column), what was expected, the fix.
public struct DerivationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The row (1-based), or nil when the error is not in one row (an empty file, say).
    public var row: Int?
    /// 1-based line and column (Unicode scalars) of the input.
    public var line: Int
    public var column: Int
    public var message: String
    public var fix: String
    /// The input line with a caret under the column.
    public var excerpt: String

    public init(row: Int?, line: Int, column: Int, message: String, fix: String, excerpt: String = "") {
        self.row = row
        self.line = line
        self.column = column
        self.message = message
        self.fix = fix
        self.excerpt = excerpt
    }

    public var description: String {
        let place = (row.map { "row \($0), " } ?? "") + "line \(line), column \(column)"
        return "\(place): \(message)" + (fix.isEmpty ? "" : "; fix: \(fix)")
    }

    /// The excerpt with its caret, then the description.
    public var rendered: String { excerpt.isEmpty ? description : excerpt + "\n" + description }
}

// MARK: - Printing

extension DerivationExpression {
    var precedence: Int {
        switch node {
        case .binary(let op, _, _): return op == .add || op == .subtract ? 1 : 2
        case .negate: return 3
        case .sum, .layerSum, .derivative: return 2
        case .power: return 4
        case .transpose, .entry: return 5
        case .number(let v): return v < 0 ? 3 : 6
        case .quantity(let q): return q.step == nil ? 6 : 6
        case .delta: return 6
        }
    }

    static let superscriptDigits: [Character: Character] = [
        "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻",
    ]

    /// How nst read the row, in Unicode maths: `½·Σ_{i,j} ∂/∂Fˡ[i*,j*] ((Fˡ[i,j] − Pˡ[i,j])²)`.
    public var display: String {
        func wrap(_ e: DerivationExpression, _ minimum: Int) -> String {
            e.precedence < minimum ? "(\(e.display))" : e.display
        }
        switch node {
        case .number(let v):
            if v == 0.5 { return "½" }
            if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
            return "\(v)"
        case .quantity(let q): return q.display
        case .delta(let a, let b): return "δ[\(a),\(b)]"
        case .binary(let op, let l, let r):
            switch op {
            case .add: return wrap(l, 1) + " + " + wrap(r, 2)
            case .subtract: return wrap(l, 1) + " − " + wrap(r, 2)
            case .multiply: return wrap(l, 2) + "·" + wrap(r, 3)
            case .divide: return wrap(l, 2) + " / " + wrap(r, 4)
            case .hadamard: return wrap(l, 2) + " ⊙ " + wrap(r, 4)
            }
        case .negate(let e): return "−" + wrap(e, 3)
        case .power(let b, let x):
            if case .number(let v) = x.node, v == v.rounded(), abs(v) < 100 {
                return wrap(b, 5) + String(String(Int(v)).map { Self.superscriptDigits[$0] ?? $0 })
            }
            return wrap(b, 5) + "^" + wrap(x, 5)
        case .transpose(let e): return wrap(e, 5) + "ᵀ"
        case .entry(let e, let a, let b): return "(" + e.display + ")[\(a),\(b)]"
        case .sum(let indices, let body): return "Σ_{\(indices.joined(separator: ","))} " + wrap(body, 2)
        case .layerSum(let v, let body): return "Σ_{\(v)∈L} " + wrap(body, 2)
        case .derivative(let q, let body):
            var wrt = q
            if wrt.indices.isEmpty { wrt.indices = ["i*", "j*"] }
            return "∂/∂\(wrt.display) (" + body.display + ")"
        }
    }
}
