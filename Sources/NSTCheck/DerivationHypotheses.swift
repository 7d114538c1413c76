import NSTFormula

/// One way a row may have slipped, as an edit that would undo the slip: the row with
/// `w_l` for `w_1`, F for P, i and j swapped, the parentheses put back, or its M×N value read
/// transposed. The diagnosis of a wrong row tries these edits (one, two, or three of the
/// structural ones together) and names the slips whose undoing makes the row follow.
struct RowEdit {
    var kind: DiagnosisKind
    var message: String
    /// Structural edits (layer weight, parentheses, transpose) may combine with any other.
    var structural: Bool
    /// Reads an M×N row as its transpose instead of editing the tree.
    var transposes: Bool = false
    /// The names from the numbers that read the slip better than this edit does: a swapped
    /// symbol that only flips a sign is a sign; a term that escaped a positive factor only
    /// lost that factor, a scale. When every edit found yields to the numbers' names, those
    /// are given instead.
    var yieldsTo: Set<DiagnosisKind> = []
    var apply: (DerivationExpression) -> DerivationExpression = { $0 }

    /// Order of the names in a report: the slips of notation first, the shape last.
    var priority: Int {
        switch kind {
        case .parentheses: return 0
        case .layerWeight: return 1
        case .wrongSymbol: return 2
        case .index: return 3
        case .hardCoded: return 4
        default: return 5
        }
    }
}

extension DerivationExpression {
    /// The tree with `f`'s replacement for every node it returns one for (outermost first).
    func replacing(_ f: (DerivationExpression) -> DerivationExpression?) -> DerivationExpression {
        if let r = f(self) { return r }
        let n: Node
        switch node {
        case .number, .quantity, .delta: return self
        case .binary(let op, let l, let r): n = .binary(op, l.replacing(f), r.replacing(f))
        case .negate(let e): n = .negate(e.replacing(f))
        case .power(let b, let x): n = .power(b.replacing(f), x.replacing(f))
        case .transpose(let e): n = .transpose(e.replacing(f))
        case .entry(let e, let a, let b): n = .entry(e.replacing(f), a, b)
        case .sum(let ix, let body): n = .sum(ix, body.replacing(f))
        case .layerSum(let v, let body): n = .layerSum(v, body.replacing(f))
        case .derivative(let q, let body): n = .derivative(with: q, of: body.replacing(f))
        }
        return DerivationExpression(n, column: column, id: id)
    }

    func with(_ node: Node) -> DerivationExpression { DerivationExpression(node, column: column, id: id) }

    /// The top-level terms with their signs: a − b + c → [(+, a), (−, b), (+, c)].
    var signedTerms: [(sign: Double, term: DerivationExpression)] {
        switch node {
        case .binary(.add, let l, let r): return l.signedTerms + r.signedTerms
        case .binary(.subtract, let l, let r): return l.signedTerms + r.signedTerms.map { (-$0.sign, $0.term) }
        case .negate(let e): return e.signedTerms.map { (-$0.sign, $0.term) }
        default: return [(1, self)]
        }
    }

    /// The factors of a product chain a·b·c, left to right (a sign pulled out of a negation).
    var factors: (sign: Double, factors: [DerivationExpression]) {
        switch node {
        case .binary(.multiply, let l, let r):
            let a = l.factors, b = r.factors
            return (a.sign * b.sign, a.factors + b.factors)
        case .negate(let e):
            let a = e.factors
            return (-a.sign, a.factors)
        default: return (1, [self])
        }
    }
}

enum RowEdits {
    static func product(_ fs: [DerivationExpression], like e: DerivationExpression) -> DerivationExpression {
        var out = fs[0]
        for f in fs.dropFirst() { out = e.with(.binary(.multiply, out, f)) }
        return out
    }

    static func sum(_ terms: [(sign: Double, term: DerivationExpression)], like e: DerivationExpression) -> DerivationExpression {
        var out = terms[0].sign < 0 ? e.with(.negate(terms[0].term)) : terms[0].term
        for t in terms.dropFirst() { out = e.with(.binary(t.sign < 0 ? .subtract : .add, out, t.term)) }
        return out
    }

    static func short(_ e: DerivationExpression) -> String {
        let s = e.display
        return s.count > 60 ? String(s.prefix(57)) + "…" : s
    }

    /// Every candidate edit of `row`.
    static func candidates(_ row: DerivationExpression) -> [RowEdit] {
        var out: [RowEdit] = []
        let nodes = row.allNodes
        let indexNames = Set(nodes.flatMap { n -> [String] in
            switch n.node {
            case .quantity(let q): return q.indices
            case .delta(let a, let b): return [a, b]
            default: return []
            }
        }).union(["i*", "j*"])
        func at(_ id: Int, _ replacement: @escaping (DerivationExpression) -> DerivationExpression) -> (DerivationExpression) -> DerivationExpression {
            { tree in tree.replacing { $0.id == id ? replacement($0) : nil } }
        }
        let swaps: [Quantity.Name: [Quantity.Name]] = [.F: [.P], .P: [.F], .G: [.A], .A: [.G], .N: [.M], .M: [.N],
                                                        .alpha: [.beta, .eta], .beta: [.alpha, .eta], .eta: [.alpha, .beta],
                                                        .contentLayer: [.styleLayer], .styleLayer: [.contentLayer],
                                                        .contentTotal: [.styleTotal], .styleTotal: [.contentTotal]]
        for n in nodes {
            switch n.node {
            case .quantity(let q):
                // A numbered layer where the layer l belongs.
                if case .number(let k)? = q.layer {
                    var fixed = q
                    fixed.layer = .variable("l")
                    let kind: DiagnosisKind = q.name == .w ? .layerWeight : .index
                    let message = q.name == .w
                        ? "it writes w_\(k) (the weight of layer \(k)) where w_l, the weight of the layer l being differentiated, belongs"
                        : "it writes \(q.display) (layer \(k)) where layer l's \(fixed.display) belongs"
                    out.append(RowEdit(kind: kind, message: message, structural: true, apply: at(n.id) { $0.with(.quantity(fixed)) }))
                }
                for other in swaps[q.name] ?? [] {
                    var fixed = q
                    fixed.name = other
                    if !other.isPerLayer { fixed.layer = nil } else if fixed.layer == nil { fixed.layer = .variable("l") }
                    if !other.isMatrix { fixed.indices = [] }
                    var edit = RowEdit(kind: .wrongSymbol, message: "it writes \(q.display) where \(fixed.display) belongs", structural: false,
                                       apply: at(n.id) { $0.with(.quantity(fixed)) })
                    edit.yieldsTo = [.sign]
                    out.append(edit)
                }
                if q.indices.count == 2 {
                    if q.indices[0] != q.indices[1] {
                        var fixed = q
                        fixed.indices.reverse()
                        out.append(RowEdit(kind: .index, message: "it writes \(q.display) where \(fixed.display) belongs (the indices swapped)", structural: false,
                                           apply: at(n.id) { $0.with(.quantity(fixed)) }))
                    }
                    for position in 0..<2 {
                        for name in indexNames.sorted() where name != q.indices[position] {
                            var fixed = q
                            fixed.indices[position] = name
                            out.append(RowEdit(kind: .index, message: "it writes \(q.display) where \(fixed.display) belongs", structural: false,
                                               apply: at(n.id) { $0.with(.quantity(fixed)) }))
                        }
                    }
                }
            case .sum(let names, let body):
                // A sum over an index that should have stayed the free entry (Σ_i … for i*).
                for name in names {
                    for star in ["i*", "j*"] {
                        let rest = names.filter { $0 != name }
                        out.append(RowEdit(kind: .index, message: "it sums over \(name) where the entry's own index \(star) belongs (a free index summed)", structural: false,
                                           apply: at(n.id) { e in
                                               let renamed = rename(body, [name: star])
                                               return rest.isEmpty ? renamed : e.with(.sum(rest, renamed))
                                           }))
                    }
                }
            case .layerSum(_, let body):
                out.append(RowEdit(kind: .extraTerm, message: "it keeps the sum over l ∈ L, which adds the other layers' terms: once the derivative picks layer l, only layer l's term remains", structural: false,
                                   apply: at(n.id) { _ in body }))
            case .delta(let a, let b):
                for (position, current) in [a, b].enumerated() {
                    for name in indexNames.sorted() where name != current {
                        let fixed = position == 0 ? (name, b) : (a, name)
                        out.append(RowEdit(kind: .index, message: "it writes δ[\(a),\(b)] where δ[\(fixed.0),\(fixed.1)] belongs", structural: false,
                                           apply: at(n.id) { $0.with(.delta(fixed.0, fixed.1)) }))
                    }
                }
            case .number(let v) where v >= 5 && v == v.rounded():
                // A size written as a number.
                let sizes: [(String, [DerivationExpression.Node])] = [("N_l", [.quantity(Quantity(.N, layer: .variable("l")))]),
                                                                       ("M_l", [.quantity(Quantity(.M, layer: .variable("l")))])]
                for (name, nodes) in sizes {
                    for power in [1.0, 2.0] {
                        let text = power == 1 ? name : "\(name)²"
                        out.append(RowEdit(kind: .hardCoded, message: "it writes the number \(Int(v)) where the size \(text) belongs: a formula must hold at every layer", structural: false,
                                           apply: at(n.id) { e in
                                               let base = e.with(nodes[0])
                                               return power == 1 ? base : e.with(.power(base, e.with(.number(2))))
                                           }))
                    }
                }
            default: break
            }
        }
        // One index written for another throughout the row (i for i*, i and j swapped).
        let free = row.freeIndices
        var renamings: [([String: String], String)] = []
        let names = indexNames.sorted()
        if free.contains("i") || free.contains("j") { renamings.append((["i": "i*", "j": "j*"], "i, j where i*, j* belong")) }
        renamings.append((["i*": "j*", "j*": "i*"], "i* and j* swapped"))
        renamings.append((["i": "j", "j": "i"], "i and j swapped"))
        for a in names { for b in names where a != b { renamings.append(([a: b], "\(a) where \(b) belongs")) } }
        for (map, text) in renamings {
            out.append(RowEdit(kind: .index, message: "it writes \(text)", structural: false, apply: { tree in rename(tree, map) }))
        }
        // One symbol for another throughout the row (α and β swapped, P for F everywhere).
        for (a, b) in [(Quantity.Name.alpha, Quantity.Name.beta), (.F, .P), (.G, .A), (.N, .M), (.alpha, .eta), (.beta, .eta)] {
            let used = Set(nodes.compactMap { n -> Quantity.Name? in if case .quantity(let q) = n.node { return q.name }; return nil })
            guard used.contains(a) || used.contains(b) else { continue }
            for map in [[a: b, b: a], [a: b], [b: a]] where map.keys.allSatisfy(used.contains) {
                let text = map.count == 2 ? "\(a.rawValue) and \(b.rawValue) swapped" : "\(map.first!.key.rawValue) where \(map.first!.value.rawValue) belongs"
                out.append(RowEdit(kind: .wrongSymbol, message: "it writes \(text) throughout", structural: false, yieldsTo: [.sign], apply: { tree in
                    tree.replacing { n in
                        guard case .quantity(var q) = n.node, let to = map[q.name] else { return nil }
                        q.name = to
                        return n.with(.quantity(q))
                    }
                }))
            }
        }
        out += regroupings(row)
        out += denominators(row)
        out.append(RowEdit(kind: .transposed, message: "", structural: true, transposes: true))
        return out
    }

    /// The tree with indices renamed by `map` wherever they are free (not bound by a sum).
    static func rename(_ e: DerivationExpression, _ map: [String: String]) -> DerivationExpression {
        func r(_ x: String) -> String { map[x] ?? x }
        switch e.node {
        case .quantity(var q):
            q.indices = q.indices.map(r)
            return e.with(.quantity(q))
        case .delta(let a, let b): return e.with(.delta(r(a), r(b)))
        case .entry(let x, let a, let b): return e.with(.entry(rename(x, map), r(a), r(b)))
        case .sum(let ix, let body):
            var inner = map
            for i in ix { inner[i] = nil }
            return e.with(.sum(ix, rename(body, inner)))
        case .derivative(var q, let body):
            q.indices = q.indices.map(r)
            return e.with(.derivative(with: q, of: rename(body, map)))
        case .number: return e
        case .binary(let op, let a, let b): return e.with(.binary(op, rename(a, map), rename(b, map)))
        case .negate(let x): return e.with(.negate(rename(x, map)))
        case .power(let a, let b): return e.with(.power(rename(a, map), rename(b, map)))
        case .transpose(let x): return e.with(.transpose(rename(x, map)))
        case .layerSum(let v, let body): return e.with(.layerSum(v, rename(body, map)))
        }
    }

    /// Parentheses a denominator should have had: a / b·c read as a / (b·c) (1/N²M² written
    /// in a line), in a term of the row.
    static func denominators(_ row: DerivationExpression) -> [RowEdit] {
        var out: [RowEdit] = []
        let terms = row.signedTerms
        for (k, t) in terms.enumerated() {
            let fs = t.term.factors.factors
            for (q, f) in fs.enumerated() {
                guard case .binary(.divide, _, let den) = f.node, q + 1 < fs.count else { continue }
                for p in (q + 1)..<fs.count {
                    let moved = fs[(q + 1)...p].map(short).joined(separator: "·")
                    out.append(RowEdit(kind: .parentheses, message: "parentheses are missing around the denominator: \(moved) belongs under \(short(den)), not beside the fraction", structural: true, apply: { tree in
                        var terms = tree.signedTerms
                        guard terms.count == row.signedTerms.count else { return tree }
                        let (sign, fs) = terms[k].term.factors
                        guard fs.count > p, case .binary(.divide, let num, let den) = fs[q].node else { return tree }
                        let grouped = fs[q].with(.binary(.divide, num, product([den] + Array(fs[(q + 1)...p]), like: tree)))
                        let newFactors = Array(fs[0..<q]) + [grouped] + Array(fs[(p + 1)...])
                        terms[k] = (terms[k].sign * sign, product(newFactors, like: tree))
                        return sum(terms, like: tree)
                    }))
                }
            }
        }
        return out
    }

    /// Parentheses a minus (or a factor) should have covered: for a term s·f₁⋯f_j·(rest) followed
    /// by terms t₁ … t_p, the reading s·f₁⋯f_j·(rest ± t₁ … ± t_p).
    static func regroupings(_ row: DerivationExpression) -> [RowEdit] {
        // The row's own sum, and every sum inside it (in brackets, under a factor).
        var out: [RowEdit] = []
        for node in row.allNodes {
            let isSum: Bool
            switch node.node {
            case .binary(.add, _, _), .binary(.subtract, _, _): isSum = true
            default: isSum = false
            }
            guard isSum || node.id == row.id else { continue }
            // Only maximal sums: a sum inside a sum is part of its terms.
            if node.id != row.id, row.allNodes.contains(where: { parent in
                switch parent.node {
                case .binary(.add, let l, let r), .binary(.subtract, let l, let r): return l.id == node.id || r.id == node.id
                case .negate(let x): return x.id == node.id && row.id != parent.id
                default: return false
                }
            }) { continue }
            out += regroupings(of: node, in: row)
        }
        return out
    }

    static func regroupings(of sub: DerivationExpression, in row: DerivationExpression) -> [RowEdit] {
        let terms = sub.signedTerms
        guard terms.count >= 2 else { return [] }
        var out: [RowEdit] = []
        let id = sub.id
        for k in 0..<(terms.count - 1) {
            let (innerSign, fs) = terms[k].term.factors
            let sign = terms[k].sign * innerSign
            for j in 0..<fs.count {
                if j == 0 && sign > 0 { continue }   // +(a + b) is a + b
                for p in (k + 1)..<terms.count {
                    let prefixText = j == 0 ? "−" : (sign < 0 ? "−" : "") + fs[0..<j].map(short).joined(separator: "·")
                    let escaped = terms[(k + 1)...p].map { ($0.sign < 0 ? "− " : "+ ") + short($0.term) }.joined(separator: " ")
                    let restText = short(product(Array(fs[j...]), like: row))
                    let message = "parentheses are missing: \(escaped) escaped the \(prefixText) in front of \(restText); \(prefixText)·(\(restText) \(escaped)) would follow from the row before"
                    var edit = RowEdit(kind: .parentheses, message: message, structural: true, apply: { tree in
                        tree.replacing { node in
                            guard node.id == id else { return nil }
                            let terms = node.signedTerms
                            guard terms.count > p else { return node }
                            let (innerSign, fs) = terms[k].term.factors
                            guard fs.count > j else { return node }
                            let rest = product(Array(fs[j...]), like: node)
                            let grouped = sum([(1, rest)] + terms[(k + 1)...p].map { ($0.sign, $0.term) }, like: node)
                            let term = j == 0 ? grouped : product(Array(fs[0..<j]) + [grouped], like: node)
                            return sum(Array(terms[0..<k]) + [(terms[k].sign * innerSign, term)] + Array(terms[(p + 1)...]), like: node)
                        }
                    })
                    // A term that escaped a minus changed its sign; one that escaped a positive
                    // factor only lost the factor, which the numbers may name as a scale.
                    edit.yieldsTo = sign > 0 ? [.sign, .scale] : []
                    out.append(edit)
                }
            }
        }
        return out
    }
}
