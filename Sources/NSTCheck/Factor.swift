import Foundation

/// Names a fitted coefficient as a product of the bindings: 2, ½, N·M, 1/η, α·β …
///
/// A coefficient c_d is fitted in every draw d. It is explained by a sign s and a monomial
/// f = 2^a · 3^b · N^c · M^d · α^e · β^f · w^g · η^h (small exponents) when c_d = s·f(draw d) in
/// every draw, to `tolerance`. Because α, β, w, η (and N, M) are drawn afresh in each draw,
/// a match in all draws is no coincidence. The simplest match (fewest factors) wins.
struct Factor: Equatable {
    /// Exponents of 2, 3, N, M, alpha, beta, w, eta.
    var exponents: [Int]
    var sign: Double

    static let atoms = ["2", "3", "N", "M", "alpha", "beta", "w", "eta"]
    /// Powers of 2 up to 2⁴, of N and M up to the fourth (N·M, M⁴ from a precedence slip), the
    /// weights to the first (α/β when they are swapped).
    static let ranges: [ClosedRange<Int>] = [-4...4, -1...1, -4...4, -4...4, -1...1, -1...1, -1...1, -1...1]

    var isOne: Bool { exponents.allSatisfy { $0 == 0 } }
    var complexity: Int { exponents.reduce(0) { $0 + abs($1) } }

    func value(_ atomValues: [Double]) -> Double {
        var v = sign
        for (e, x) in zip(exponents, atomValues) where e != 0 {
            for _ in 0..<abs(e) { v = e > 0 ? v * x : v / x }
        }
        return v
    }

    /// Every exponent tuple within `ranges`, simplest (fewest factors) first.
    static let candidates: [[Int]] = {
        var out: [[Int]] = [[]]
        for range in ranges { out = out.flatMap { prefix in range.map { prefix + [$0] } } }
        return out.sorted { $0.reduce(0) { $0 + abs($1) } < $1.reduce(0) { $0 + abs($1) } }
    }()

    /// The simplest factor matching `coefficients` (one per draw), or nil. The sign must be
    /// the same in every draw; magnitudes are compared in logarithms, draw 0 first.
    static func match(_ coefficients: [Double], atomValues: [[Double]], tolerance: Double = 1e-6) -> Factor? {
        guard let first = coefficients.first, first != 0, first.isFinite,
              coefficients.allSatisfy({ $0.isFinite && $0 != 0 && ($0 > 0) == (first > 0) }) else { return nil }
        let targets = coefficients.map { log(abs($0)) }
        let logs = atomValues.map { $0.map { log($0) } }
        // A binding that has the same value in every draw cannot be told from a number, so
        // it is never named (2 and 3 are the numbers themselves).
        let constant = (0..<atoms.count).map { k in k >= 2 && atomValues.allSatisfy { $0[k] == atomValues[0][k] } }
        for exponents in candidates {
            if exponents.indices.contains(where: { constant[$0] && exponents[$0] != 0 }) { continue }
            var ok = true
            for d in targets.indices {
                var sum = 0.0
                for (e, l) in zip(exponents, logs[d]) where e != 0 { sum += Double(e) * l }
                // |log c − log f| ≈ relative difference of c and f.
                if abs(sum - targets[d]) > tolerance { ok = false; break }
            }
            if ok { return Factor(exponents: exponents, sign: first > 0 ? 1 : -1) }
        }
        return nil
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
            if name == "2" || name == "3" {
                var v = 1
                for _ in 0..<abs(e) { v *= Int(name)! }
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
