import NSTFormula

/// What a formula could hard-code that no set of draws can test at every size.
enum HardCoding {
    struct LiteralSize {
        var message: String
        /// The number equals the size in every draw: the numbers alone cannot tell it from the symbol.
        var everyDraw: Bool
    }

    /// A relu or step of a scalar that involves a symbol (step(M − 50), relu(N − 9)): it compares
    /// a size or a weight with a constant, which no gradient of these losses does, and which
    /// the draws test only at the sizes they happen to have.
    static func scalarComparison(_ e: Expression, symbols: SymbolTable, input: String) -> FormulaError? {
        var stack = [e]
        while let x = stack.popLast() {
            stack.append(contentsOf: x.children)
            // (−1)^M: the parity of a size, which the draws may not vary.
            if case .power(let base, let exponent) = x.node, exponent.symbols.contains(where: { $0 == "N" || $0 == "M" }),
               isNegativeConstant(base) {
                return FormulaError(.shape, "\(x.unicode) depends on whether \(exponent.unicode) is odd or even, which the gradient does not: write the formula without it", column: x.column, input: input)
            }
            guard case .call(let f, let argument) = x.node, f == .relu || f == .step, !argument.symbols.isEmpty else { continue }
            // relu((M − 1000)·F), step((N·M − 10⁵)·F): a size compared inside a matrix.
            if argument.symbols.contains(where: { $0 == "N" || $0 == "M" }) {
                return FormulaError(.shape, "\(f.rawValue)(\(argument.unicode)) compares sizes (N, M) inside a \(f.rawValue), so the answer changes at sizes the draws may never reach; the gradient has no such comparison: write the formula without it", column: x.column, input: input)
            }
            guard (try? Formula.inferShape(argument, symbols: symbols, input: input))?.isScalar == true else { continue }
            return FormulaError(.shape, "\(f.rawValue)(\(argument.unicode)) compares a scalar with 0, so the answer changes at some size or weight the draws may never reach; the gradient has no such comparison: write the formula without it", column: x.column, input: input)
        }
        return nil
    }

    static func isNegativeConstant(_ e: Expression) -> Bool {
        switch e.node {
        case .number(let v, _): return v < 0
        case .negate(let x): if case .number(let v, _) = x.node { return v > 0 }; return false
        default: return false
        }
    }

    /// Numbers in the formula equal to N, M, N², M², N·M or N²·M² in some draw, or to their
    /// reciprocals (0.000244140625 = 1/64²).
    static func literalSizes(_ e: Expression, draws: [Draw]) -> [LiteralSize] {
        var out: [LiteralSize] = []
        var seen = Set<String>()
        var stack = [e]
        var literals: [(Double, String)] = []
        while let x = stack.popLast() {
            stack.append(contentsOf: x.children.reversed())
            if case .number(let v, let text) = x.node, !seen.contains(text) {
                if v >= 10, v == v.rounded() {
                    seen.insert(text)
                    literals.append((v, text))
                } else if v > 0, v < 0.1, (1 / v).rounded() >= 10, abs(1 / v - (1 / v).rounded()) <= 1e-9 * (1 / v) {
                    seen.insert(text)
                    literals.append(((1 / v).rounded(), text))
                }
            }
        }
        for (v, text) in literals {
            let names: [(String, String, (Draw) -> Double)] = [
                ("N", "N", { Double($0.n) }), ("M", "M", { Double($0.m) }),
                ("N²", "N^2", { Double($0.n * $0.n) }), ("M²", "M^2", { Double($0.m * $0.m) }),
                ("N·M", "N*M", { Double($0.n * $0.m) }), ("N²·M²", "N^2*M^2", { Double($0.n * $0.n * $0.m * $0.m) }),
            ]
            for (name, ascii, value) in names {
                let matching = draws.indices.filter { value(draws[$0]) == v }
                guard !matching.isEmpty else { continue }
                let layers = Set(matching.compactMap { draws[$0].layer }).sorted()
                let whereText = layers.isEmpty ? "" : " at \(layers.joined(separator: ", "))"
                let every = matching.count == draws.count
                let drawsText = every ? "here\(whereText)" : "in draw\(matching.count > 1 ? "s" : "") \(matching.map { String($0 + 1) }.joined(separator: ", "))\(whereText) only"
                let reciprocal = (Double(text) ?? v) < 1
                out.append(LiteralSize(message: reciprocal ? "you wrote \(text); that is 1/\(name) \(drawsText): write 1/\(ascii.contains("*") ? "(\(ascii))" : ascii)"
                                                           : "you wrote \(text); that is \(name) \(drawsText): write \(ascii)", everyDraw: every))
                break
            }
        }
        return out
    }
}

/// The notes that a transpose of a symmetric matrix ((G − A)ᵀ = G − A) was accepted although
/// the numbers cannot tell whether it was meant: one note per distinct transposed expression
/// (nested transposes of the same expression count once), each found while the answer is
/// evaluated, so the cost stays that of one evaluation per draw.
struct SymmetryNotes {
    /// Transposed expressions in order of first appearance, and whether each was symmetric in every draw so far.
    var order: [String] = []
    var symmetric: [String: Bool] = [:]

    mutating func evaluate(_ e: Expression, bindings: [String: Value], input: String) throws(FormulaError) -> Value {
        var last: Value?
        var checkedThisDraw = Set<String>()
        var order = self.order, symmetric = self.symmetric
        let v = try Formula.evaluate(e, bindings: bindings, input: input) { node, value in
            defer { last = value }
            var inner: Expression
            switch node.node {
            case .transpose(let y), .call(.transpose, let y): inner = y
            default: return
            }
            while case .transpose(let y) = inner.node { inner = y }
            while case .call(.transpose, let y) = inner.node { inner = y }
            let label = inner.unicode
            if symmetric[label] == nil { order.append(label); symmetric[label] = true }
            guard symmetric[label] == true, !checkedThisDraw.contains(label) else { return }
            checkedThisDraw.insert(label)
            guard case .matrix(let m)? = last, m.rows == m.cols else { symmetric[label] = false; return }
            let scale = m.values.map(abs).max() ?? 0
            for i in 0..<m.rows { for j in 0..<i where abs(m[i, j] - m[j, i]) > 1e-12 * scale { symmetric[label] = false; return } }
        }
        self.order = order
        self.symmetric = symmetric
        return v
    }

    var notes: [Diagnosis] {
        order.filter { symmetric[$0] == true }.map { label in
            let wrapped = label.count == 1 ? label : "(\(label))"
            return Diagnosis(kind: .indistinguishable, message: "\(wrapped)ᵀ = \(wrapped) because it is symmetric (G and A are), so the numbers cannot tell whether this transpose was meant; it is accepted as written")
        }
    }
}
