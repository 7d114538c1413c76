/// A parsed formula: a tree of operations over the language's symbols.
///
/// Every node remembers the column that names it (the operator for a binary node, the
/// first character for a symbol), so shape and evaluation errors point at the input.
public struct Expression: Sendable, Equatable {
    public indirect enum Node: Sendable, Equatable {
        case number(Double, text: String)
        /// A symbol by its canonical name: F, P, G, A, N, M, w, alpha, beta, eta.
        case symbol(String)
        case negate(Expression)
        case binary(BinaryOperator, Expression, Expression)
        /// base ^ exponent, both scalars.
        case power(Expression, Expression)
        case transpose(Expression)
        case call(Function, Expression)
    }

    public enum BinaryOperator: String, Sendable, Equatable {
        case add = "+", subtract = "-"
        /// `*`: the matrix product between two matrices, scaling when either side is a scalar.
        case multiply = "*"
        /// `/`: division by a scalar.
        case divide = "/"
        /// `.*` / `⊙`: elementwise (Hadamard) product.
        case hadamard = ".*"
        /// `./`: elementwise division.
        case elementwiseDivide = "./"
    }

    public enum Function: String, Sendable, Equatable, CaseIterable {
        /// Σ of all entries → scalar.
        case sum
        /// max(X, 0) elementwise.
        case relu
        /// 1 where X > 0, else 0, elementwise (the derivative of relu).
        case step
        /// trace of a square matrix → scalar.
        case tr
        /// Xᵀ, the same as X' .
        case transpose
    }

    public var node: Node
    /// 1-based column of the token that names this node.
    public var column: Int
    /// Levels of the tree below and including this node (a symbol is 1). The parser bounds
    /// it by `FormulaLimits.maxDepth`, which keeps every recursive walk of the tree shallow.
    public private(set) var height: Int

    public init(_ node: Node, column: Int) {
        self.node = node
        self.column = column
        var h = 0
        switch node {
        case .number, .symbol: break
        case .negate(let e), .transpose(let e), .call(_, let e): h = e.height
        case .binary(_, let l, let r), .power(let l, let r): h = max(l.height, r.height)
        }
        self.height = h + 1
    }

    /// The direct sub-expressions.
    public var children: [Expression] {
        switch node {
        case .number, .symbol: return []
        case .negate(let e), .transpose(let e), .call(_, let e): return [e]
        case .binary(_, let l, let r), .power(let l, let r): return [l, r]
        }
    }

    /// Every symbol used, in order of first appearance.
    public var symbols: [String] {
        var out: [String] = []
        var stack = [self]
        var seen = Set<String>()
        while let e = stack.popLast() {
            if case .symbol(let s) = e.node, !seen.contains(s) { seen.insert(s); out.append(s) }
            stack.append(contentsOf: e.children.reversed())
        }
        return out
    }
}

// MARK: - Printing

extension Expression {
    /// Binding strength, loosest first: + − < · / ⊙ < unary − < ^ < ᵀ < atoms.
    public var precedence: Int {
        switch node {
        case .binary(let op, _, _):
            switch op {
            case .add, .subtract: return 1
            case .multiply, .divide, .hadamard, .elementwiseDivide: return 2
            }
        case .negate: return 3
        case .power: return 4
        case .transpose: return 5
        case .number(let v, _): return v < 0 ? 3 : 6
        case .symbol, .call: return 6
        }
    }

    /// The formula in Unicode maths, as a student would write it on paper:
    /// `(G − A)·F / (N²·M²)`, `Fᵀ`, `α`, `F ⊙ step(F)`. Parsing it back gives the same tree.
    public var unicode: String { render(unicode: true) }

    /// The formula in plain ASCII, in the language's own syntax: `(G - A)*F/(N^2*M^2)`.
    public var ascii: String { render(unicode: false) }

    /// How a symbol is written: `α` for alpha in Unicode, the canonical name in ASCII.
    public static func display(symbol: String, unicode: Bool) -> String {
        guard unicode else { return symbol }
        switch symbol {
        case "alpha": return "α"
        case "beta": return "β"
        case "eta": return "η"
        default: return symbol
        }
    }

    static let superscripts: [Character: Character] = [
        "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻",
    ]

    /// An integer exponent written as superscript digits (`²`, `⁻¹`), else nil.
    static func superscript(_ e: Expression) -> String? {
        var value: Double
        switch e.node {
        case .number(let v, _): value = v
        case .negate(let inner):
            // −0 has no superscript spelling that reads back as a negation.
            guard case .number(let v, _) = inner.node, v != 0 else { return nil }
            value = -v
        default: return nil
        }
        guard value == value.rounded(), abs(value) < 1000 else { return nil }
        return String(String(Int(value)).map { superscripts[$0] ?? $0 })
    }

    static func format(number v: Double, text: String) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
        return text.isEmpty ? "\(v)" : text
    }

    func render(unicode u: Bool) -> String {
        // Iterative depth is bounded by FormulaLimits.maxDepth, so recursion here is safe.
        func wrap(_ e: Expression, _ minimum: Int) -> String {
            let s = e.render(unicode: u)
            return e.precedence < minimum ? "(\(s))" : s
        }
        switch node {
        case .number(let v, let text): return Self.format(number: v, text: text)
        case .symbol(let s): return Self.display(symbol: s, unicode: u)
        case .negate(let e): return (u ? "−" : "-") + wrap(e, 4)
        case .binary(let op, let l, let r):
            switch op {
            case .add: return wrap(l, 1) + " + " + wrap(r, 2)
            case .subtract: return wrap(l, 1) + (u ? " − " : " - ") + wrap(r, 2)
            case .multiply: return wrap(l, 2) + (u ? "·" : "*") + wrap(r, 4)
            case .divide: return wrap(l, 2) + " / " + wrap(r, 4)
            case .hadamard: return wrap(l, 2) + (u ? " ⊙ " : " .* ") + wrap(r, 4)
            case .elementwiseDivide: return wrap(l, 2) + " ./ " + wrap(r, 4)
            }
        case .power(let b, let x):
            if u, let sup = Self.superscript(x) { return wrap(b, 5) + sup }
            // `^T` reads as the transpose, so an exponent printed from a symbol T keeps parentheses.
            let exponent = wrap(x, 5)
            return wrap(b, 5) + "^" + (exponent.hasPrefix("T") ? "(\(exponent))" : exponent)
        case .transpose(let e): return wrap(e, 5) + (u ? "ᵀ" : "'")
        case .call(let f, let e): return f.rawValue + "(" + e.render(unicode: u) + ")"
        }
    }
}
public typealias FormulaExpression = Expression
