import Foundation

/// A small dense row-major matrix of Doubles: the formula evaluator's own, with plain loops
/// (formulas are checked on layers of at most a few thousand entries).
public struct Matrix: Sendable, Equatable {
    public var rows: Int
    public var cols: Int
    /// Row-major: entry (i, j) is `values[i * cols + j]`.
    public var values: [Double]

    public init(rows: Int, cols: Int, values: [Double]) {
        precondition(values.count == rows * cols, "\(rows)×\(cols) matrix needs \(rows * cols) values, got \(values.count)")
        self.rows = rows
        self.cols = cols
        self.values = values
    }

    public init(rows: Int, cols: Int, repeating v: Double = 0) {
        self.init(rows: rows, cols: cols, values: Array(repeating: v, count: rows * cols))
    }

    public subscript(i: Int, j: Int) -> Double {
        get { values[i * cols + j] }
        set { values[i * cols + j] = newValue }
    }

    public var transposed: Matrix {
        var t = Matrix(rows: cols, cols: rows)
        for i in 0..<rows { for j in 0..<cols { t.values[j * rows + i] = values[i * cols + j] } }
        return t
    }

    /// The matrix product self·other (rows×k times k×cols), i-k-j loop order.
    public func multiplied(by other: Matrix) -> Matrix {
        precondition(cols == other.rows, "matrix product \(rows)×\(cols) by \(other.rows)×\(other.cols)")
        var c = Matrix(rows: rows, cols: other.cols)
        let n = other.cols
        values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in
                c.values.withUnsafeMutableBufferPointer { out in
                    for i in 0..<rows {
                        for k in 0..<cols {
                            let aik = a[i * cols + k]
                            if aik == 0 { continue }
                            for j in 0..<n { out[i * n + j] += aik * b[k * n + j] }
                        }
                    }
                }
            }
        }
        return c
    }

    public func map(_ f: (Double) -> Double) -> Matrix {
        Matrix(rows: rows, cols: cols, values: values.map(f))
    }
}

/// A value a formula evaluates to.
public enum Value: Sendable, Equatable {
    case scalar(Double)
    case matrix(Matrix)

    /// `scalar` or `rows×cols`.
    public var shapeDescription: String {
        switch self {
        case .scalar: return "scalar"
        case .matrix(let m): return "\(m.rows)×\(m.cols)"
        }
    }

    var allFinite: Bool {
        switch self {
        case .scalar(let v): return v.isFinite
        case .matrix(let m): return m.values.allSatisfy { $0.isFinite }
        }
    }
}

extension Formula {
    /// Evaluates `e` with `bindings` (symbol → value) in Double.
    ///
    /// Call `inferShape` first for messages in the loss's terms; this still refuses shapes that
    /// cannot combine. Division by zero is reported as such (never NaN/∞ soup), and so is a
    /// value that overflows a Double (`2^1e308`), with the column of the operator.
    public static func evaluate(_ e: Expression, bindings: [String: Value], input: String = "") throws(FormulaError) -> Value {
        try evaluate(e, bindings: bindings, input: input, visit: nil)
    }

    /// `evaluate`, calling `visit` with every node and its value once, children before their
    /// parent (post-order, left to right): the value visited just before a function call's
    /// node is its argument's.
    public static func evaluate(_ e: Expression, bindings: [String: Value], input: String = "",
                                visit: ((Expression, Value) -> Void)?) throws(FormulaError) -> Value {
        let v = try evaluateNode(e, bindings: bindings, input: input, visit: visit)
        visit?(e, v)
        return v
    }

    static func evaluateNode(_ e: Expression, bindings: [String: Value], input: String,
                             visit: ((Expression, Value) -> Void)?) throws(FormulaError) -> Value {
        func fail(_ kind: FormulaError.Kind, _ message: String, _ at: Expression = e) -> FormulaError {
            FormulaError(kind, message, column: at.column, input: input)
        }
        func checked(_ v: Value, inputsFinite: Bool) throws(FormulaError) -> Value {
            if inputsFinite && !v.allFinite {
                throw fail(.evaluation, "overflow: \(label(e)) is too large (or not a number) for a Double")
            }
            return v
        }
        func ev(_ x: Expression) throws(FormulaError) -> Value { try evaluate(x, bindings: bindings, input: input, visit: visit) }

        switch e.node {
        case .number(let v, _):
            return .scalar(v)
        case .symbol(let s):
            guard let v = bindings[s] else { throw fail(.shape, "unknown symbol '\(s)'") }
            return v
        case .negate(let x):
            switch try ev(x) {
            case .scalar(let v): return .scalar(-v)
            case .matrix(let m): return .matrix(m.map { -$0 })
            }
        case .transpose(let x), .call(.transpose, let x):
            switch try ev(x) {
            case .scalar(let v): return .scalar(v)
            case .matrix(let m): return .matrix(m.transposed)
            }
        case .call(let f, let x):
            let v = try ev(x)
            switch (f, v) {
            case (.sum, .scalar(let s)): return .scalar(s)
            case (.sum, .matrix(let m)): return try checked(.scalar(m.values.reduce(0, +)), inputsFinite: v.allFinite)
            case (.tr, .scalar(let s)): return .scalar(s)
            case (.tr, .matrix(let m)):
                guard m.rows == m.cols else { throw fail(.shape, "tr needs a square matrix, got \(m.rows)×\(m.cols)") }
                var t = 0.0
                for i in 0..<m.rows { t += m[i, i] }
                return try checked(.scalar(t), inputsFinite: v.allFinite)
            case (.relu, .scalar(let s)): return .scalar(max(s, 0))
            case (.relu, .matrix(let m)): return .matrix(m.map { max($0, 0) })
            case (.step, .scalar(let s)): return .scalar(s > 0 ? 1 : 0)
            case (.step, .matrix(let m)): return .matrix(m.map { $0 > 0 ? 1 : 0 })
            case (.transpose, _): return v   // handled above
            }
        case .power(let b, let x):
            guard case .scalar(let base) = try ev(b), case .scalar(let exponent) = try ev(x) else {
                throw fail(.shape, "^ raises scalars to powers")
            }
            if base == 0 && exponent < 0 { throw fail(.evaluation, "division by zero: \(label(b)) is 0 and the exponent is negative") }
            let r = pow(base, exponent)
            if r.isNaN && base < 0 { throw fail(.evaluation, "\(label(b)) is negative and the exponent \(label(x)) is not an integer: not a real number") }
            return try checked(.scalar(r), inputsFinite: base.isFinite && exponent.isFinite)
        case .binary(let op, let l, let r):
            let a = try ev(l), b = try ev(r)
            let finite = a.allFinite && b.allFinite
            switch op {
            case .add, .subtract:
                let sign: Double = op == .add ? 1 : -1
                switch (a, b) {
                case (.scalar(let x), .scalar(let y)): return try checked(.scalar(x + sign * y), inputsFinite: finite)
                case (.matrix(let x), .matrix(let y)) where x.rows == y.rows && x.cols == y.cols:
                    var out = x
                    for i in out.values.indices { out.values[i] += sign * y.values[i] }
                    return try checked(.matrix(out), inputsFinite: finite)
                default:
                    throw fail(.shape, "cannot \(op == .add ? "add" : "subtract") \(a.shapeDescription) and \(b.shapeDescription)")
                }
            case .multiply, .hadamard:
                switch (a, b) {
                case (.scalar(let x), .scalar(let y)): return try checked(.scalar(x * y), inputsFinite: finite)
                case (.scalar(let x), .matrix(let m)), (.matrix(let m), .scalar(let x)):
                    return try checked(.matrix(m.map { x * $0 }), inputsFinite: finite)
                case (.matrix(let x), .matrix(let y)):
                    if op == .multiply {
                        guard x.cols == y.rows else { throw fail(.shape, "cannot multiply \(x.rows)×\(x.cols) by \(y.rows)×\(y.cols)") }
                        return try checked(.matrix(x.multiplied(by: y)), inputsFinite: finite)
                    }
                    guard x.rows == y.rows && x.cols == y.cols else {
                        throw fail(.shape, "elementwise product of \(x.rows)×\(x.cols) and \(y.rows)×\(y.cols)")
                    }
                    var out = x
                    for i in out.values.indices { out.values[i] *= y.values[i] }
                    return try checked(.matrix(out), inputsFinite: finite)
                }
            case .divide, .elementwiseDivide:
                switch (a, b) {
                case (_, .scalar(let y)):
                    if y == 0 {
                        if case .number = r.node { throw fail(.evaluation, "division by zero") }
                        throw fail(.evaluation, "division by zero: \(label(r)) is 0")
                    }
                    switch a {
                    case .scalar(let x): return try checked(.scalar(x / y), inputsFinite: finite)
                    case .matrix(let m): return try checked(.matrix(m.map { $0 / y }), inputsFinite: finite)
                    }
                case (.scalar(let x), .matrix(let y)) where op == .elementwiseDivide:
                    if let k = y.values.firstIndex(of: 0) {
                        throw fail(.evaluation, "division by zero: entry (\(k / y.cols + 1), \(k % y.cols + 1)) of \(label(r)) is 0")
                    }
                    return try checked(.matrix(y.map { x / $0 }), inputsFinite: finite)
                case (.matrix(let x), .matrix(let y)) where op == .elementwiseDivide:
                    guard x.rows == y.rows && x.cols == y.cols else {
                        throw fail(.shape, "elementwise division of \(x.rows)×\(x.cols) by \(y.rows)×\(y.cols)")
                    }
                    if let k = y.values.firstIndex(of: 0) {
                        throw fail(.evaluation, "division by zero: entry (\(k / y.cols + 1), \(k % y.cols + 1)) of \(label(r)) is 0")
                    }
                    var out = x
                    for i in out.values.indices { out.values[i] /= y.values[i] }
                    return try checked(.matrix(out), inputsFinite: finite)
                default:
                    throw fail(.shape, "cannot divide by a \(b.shapeDescription) matrix; / divides by a scalar")
                }
            }
        }
    }
}
