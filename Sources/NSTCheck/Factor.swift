/// Names a fitted coefficient as a product of the bindings: 2, ½, N·M, 1/η, α·β …
///
/// A coefficient c_d is fitted in every draw d. It is explained by a sign s and a monomial
/// f = 2^a · N^b · M^c · α^d · β^e · w^f · η^g (small exponents) when c_d = s·f(draw d) in
/// every draw, to `tolerance`. Because α, β, w, η (and N, M) are drawn afresh in each draw,
/// a match in all draws is no coincidence. The simplest match (fewest factors) wins.
struct Factor: Equatable {
    /// Exponents of 2, N, M, alpha, beta, w, eta.
    var exponents: [Int]
    var sign: Double

    static let atoms = ["2", "N", "M", "alpha", "beta", "w", "eta"]
    static let ranges: [ClosedRange<Int>] = [-2...2, -2...2, -2...2, -1...1, -1...1, -1...1, -1...1]

    var isOne: Bool { exponents.allSatisfy { $0 == 0 } }
    var complexity: Int { exponents.reduce(0) { $0 + abs($1) } }

    func value(_ atomValues: [Double]) -> Double {
        var v = sign
        for (e, x) in zip(exponents, atomValues) where e != 0 {
            for _ in 0..<abs(e) { v = e > 0 ? v * x : v / x }
        }
        return v
    }

    /// The simplest factor matching `coefficients` (one per draw), or nil.
    static func match(_ coefficients: [Double], atomValues: [[Double]], tolerance: Double = 1e-6) -> Factor? {
        var best: Factor?
        var exps = [Int](repeating: 0, count: atoms.count)
        func visit(_ i: Int) {
            if i == atoms.count {
                let complexity = exps.reduce(0) { $0 + abs($1) }
                if let b = best, b.complexity <= complexity { return }
                for sign in [1.0, -1.0] {
                    let f = Factor(exponents: exps, sign: sign)
                    var ok = true
                    for (c, values) in zip(coefficients, atomValues) {
                        let v = f.value(values)
                        if abs(c - v) > tolerance * max(abs(c), abs(v)) { ok = false; break }
                    }
                    if ok { best = f; return }
                }
                return
            }
            for e in ranges[i] { exps[i] = e; visit(i + 1) }
            exps[i] = 0
        }
        visit(0)
        return best
    }

    /// The factor without its sign, as a student would write it: `2`, `½`, `N·M`, `1/(N²·M²)`, `η`, `α/β`.
    var magnitudeText: String {
        func power(_ name: String, _ e: Int) -> String {
            let display = ["alpha": "α", "beta": "β", "eta": "η"][name] ?? name
            let sup = ["", "", "²", "³", "⁴"]
            return display + sup[min(abs(e), 4)]
        }
        var num: [String] = [], den: [String] = []
        for (name, e) in zip(Self.atoms, exponents) where e != 0 {
            if name == "2" {
                let v = 1 << abs(e)
                (e > 0 ? { num.append(String(v)) } : { den.append(String(v)) })()
            } else {
                (e > 0 ? { num.append(power(name, e)) } : { den.append(power(name, e)) })()
            }
        }
        if num.isEmpty && den.isEmpty { return "1" }
        if num.isEmpty && den == ["2"] { return "½" }
        if num.isEmpty && den == ["4"] { return "¼" }
        let n = num.isEmpty ? "1" : num.joined(separator: "·")
        if den.isEmpty { return n }
        let d = den.count == 1 ? den[0] : "(" + den.joined(separator: "·") + ")"
        return "\(n)/\(d)"
    }

    /// `2`, `−1`, `−1/η`.
    var text: String { (sign < 0 ? "−" : "") + magnitudeText }

    /// Names bound per draw, with the factor's exponent of each.
    var bindingExponents: [(String, Int)] {
        zip(Self.atoms, exponents).filter { $0.1 != 0 }.map { ($0.0, $0.1) }
    }
}
