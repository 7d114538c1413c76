import NSTFormula

/// One way of reading a wrong answer: which transforms were applied and the fitted coefficients.
struct Fit {
    var mask: Bool
    var transposeAnswer: Bool
    var extras: [Int]                 // indices into the dictionary
    /// coefficients[draw][column]: the reference's terms first, then the extras.
    var coefficients: [[Double]]
}

extension Checker {
    /// Explains a wrong answer from the numbers (see the type's documentation, step 5).
    /// `answers` are the answer's values at each draw's checked entries (already transposed
    /// back when the answer had the transposed shape); `full` the whole answer matrices.
    static func diagnose(_ p: Problem, answers: [[Double]], full: [Matrix], transposedAlready: Bool) -> [Diagnosis] {
        let draws = p.draws.indices
        if answers.allSatisfy({ $0.allSatisfy { $0 == 0 } }) {
            return [Diagnosis(kind: .missingTerm, message: "the answer is 0 at every checked entry; the gradient is not")]
        }
        let terms = draws.map { p.terms($0) }
        let masks = draws.map { p.mask($0) }
        let dictionaries = draws.map { p.dictionary($0) }
        let dictionaryCount = dictionaries.first?.count ?? 0
        // The answer transposed, for square shapes (a transposed answer of a non-square
        // gradient shows in its shape already).
        var transposedAnswers: [[Double]]? = nil
        if !transposedAlready, let m = full.first, m.rows == m.cols, m.rows > 1 {
            transposedAnswers = draws.map { i in p.sample(i).map { full[i].transposed.values[$0] } }
        }

        func attempt(mask: Bool, transposeAnswer: Bool, extras: [Int]) -> Fit? {
            var coefficients: [[Double]] = []
            for i in draws {
                let a = transposeAnswer ? transposedAnswers![i] : answers[i]
                var columns = terms[i].map(\.values) + extras.map { dictionaries[i][$0].values }
                if mask { columns = columns.map { zip($0, masks[i]).map(*) } }
                let fit = LeastSquares(columns: columns, target: a)
                let reference = terms[i].reduce(into: [Double](repeating: 0, count: a.count)) { s, t in
                    for k in s.indices { s[k] += t.values[k] }
                }
                let size = max(LeastSquares.norm(a), LeastSquares.norm(reference), 1e-300)
                if fit.residualNorm > fitTolerance * size { return nil }
                // An extra column the others already span says nothing: refuse the reading.
                if fit.dependent.contains(where: { $0 >= terms[i].count }) { return nil }
                coefficients.append(fit.coefficients)
            }
            return Fit(mask: mask, transposeAnswer: transposeAnswer, extras: extras, coefficients: coefficients)
        }

        /// How far a reading's term coefficients are from 1 (the simplest reading wins).
        func distance(_ f: Fit) -> Double {
            let n = terms[0].count
            return f.coefficients.reduce(0) { s, c in s + (0..<n).reduce(0) { $0 + abs(c[$1] - 1) } }
        }

        var subsets: [[Int]] = [[]]
        subsets += (0..<dictionaryCount).map { [$0] }
        for a in 0..<dictionaryCount { for b in (a + 1)..<max(a + 1, dictionaryCount) { subsets.append([a, b]) } }
        var found: Fit?
        search: for size in 0...2 {
            for (mask, transposeAnswer) in [(false, false), (true, false), (false, true), (true, true)] {
                if transposeAnswer && transposedAnswers == nil { continue }
                let fits = subsets.filter { $0.count == size }.compactMap { attempt(mask: mask, transposeAnswer: transposeAnswer, extras: $0) }
                if let best = fits.min(by: { distance($0) < distance($1) }) { found = best; break search }
            }
        }
        guard let fit = found else { return [unexplained(p, answers: answers, terms: terms)] }
        return interpret(fit, p: p, terms: terms, dictionaries: dictionaries)
    }

    static func interpret(_ fit: Fit, p: Problem, terms: [[Term]], dictionaries: [[Term]]) -> [Diagnosis] {
        var out: [Diagnosis] = []
        let atomValues = p.draws.map(\.atomValues)
        if fit.transposeAnswer {
            out.append(Diagnosis(kind: .transposed, message: "the answer is the transpose of the gradient (same square shape, transposed values)"))
        }
        if fit.mask {
            out.append(Diagnosis(kind: .mask, message: "the answer agrees with the gradient only where F > 0 and is 0 elsewhere: it carries a ReLU mask step(F) that belongs to the gradient with respect to the layer's pre-activation, not to F itself"))
        }
        let termCount = terms[0].count
        let columns = (0..<termCount).map { k in fit.coefficients.map { $0[k] } }
        let factors = columns.map { Factor.match($0, atomValues: atomValues) }
        // One term, or every term off by the same factor: speak of the whole answer.
        let uniform = factors.allSatisfy { $0 != nil && $0 == factors[0] } && !columns[0].allSatisfy { abs($0) < 1e-6 }
        if termCount == 1 || uniform {
            out += describe("the answer", columns[0], factors[0], p: p, whole: true)
        } else {
            for k in 0..<termCount {
                out += describe(terms[0][k].name, columns[k], factors[k], p: p, whole: false)
            }
        }
        for (j, index) in fit.extras.enumerated() {
            let coefficients = fit.coefficients.map { $0[termCount + j] }
            let name = dictionaries[0][index].name
            if let f = Factor.match(coefficients, atomValues: atomValues) {
                let times = f.isOne ? "" : "\(f.magnitudeText)·"
                out.append(Diagnosis(kind: .extraTerm, message: "the answer has an extra term \(f.sign < 0 ? "−" : "+")\(times)\(name) that the gradient does not have"))
            } else {
                out.append(Diagnosis(kind: .extraTerm, message: "the answer has an extra term ≈ \(short(coefficients[0]))·\(name) (in the first draw) that the gradient does not have"))
            }
        }
        return out
    }

    /// Sign and scale of one term (or of the whole answer) from its coefficients over the draws.
    static func describe(_ subject: String, _ c: [Double], _ factor: Factor?, p: Problem, whole: Bool) -> [Diagnosis] {
        let Subject = subject
        // A small coefficient may still be a factor (1/β when β is 10⁶); only one that no
        // factor explains and that is (near) zero says the term is missing.
        if factor == nil, c.allSatisfy({ abs($0) < 1e-6 }) {
            return [Diagnosis(kind: .missingTerm, message: whole ? "the gradient is missing from the answer (no multiple of it is there)" : "\(subject) is missing from the answer")]
        }
        guard let f = factor else {
            let spread = (c.max()! - c.min()!) / max(abs(c.max()!), abs(c.min()!))
            if spread < 1e-6 {
                return [Diagnosis(kind: .scale, message: "\(Subject) is \(short(c[0])) times what it should be (not a simple product of 2, 3, N, M, α, β, w, η)")]
            }
            let list = c.map { short($0) }.joined(separator: ", ")
            return [Diagnosis(kind: .scale, message: "\(Subject) appears with a factor that changes from draw to draw (\(list)): it depends on N, M or the weights in a way the gradient does not")]
        }
        if f.isOne && f.sign > 0 { return [] }
        var out: [Diagnosis] = []
        let reciprocal = Factor(exponents: f.exponents.map { -$0 }, sign: 1)
        if f.sign < 0 {
            var message = "\(Subject) has the wrong sign"
            if f.isOne { message += " (it is −1 times what it should be)" }
            if p.isUpdate, !whole, f.exponents == [0, 0, 0, 0, 0, 0, 0, -1] {
                message += ": it escaped the −η of the step — in F − η·∂L_total/∂F every term of the gradient, this one included, is multiplied by −η"
            }
            out.append(Diagnosis(kind: .sign, message: message))
        }
        if !f.isOne {
            var message = "\(Subject) is \(f.magnitudeText) times what it should be"
            let numericOnly = f.exponents.dropFirst(2).allSatisfy { $0 == 0 }
            if f.exponents.allSatisfy({ $0 <= 0 }) {
                message += numericOnly ? " (a factor \(reciprocal.magnitudeText) too small)" : ": it lacks the factor \(reciprocal.magnitudeText)"
            } else if f.exponents.allSatisfy({ $0 >= 0 }) {
                message += numericOnly ? " (a factor \(f.magnitudeText) too large)" : ": it has an extra factor \(f.magnitudeText)"
            }
            out.append(Diagnosis(kind: .scale, message: message))
        }
        return out
    }

    /// No reading explains the answer: say how far the closest multiple of the gradient is.
    static func unexplained(_ p: Problem, answers: [[Double]], terms: [[Term]]) -> Diagnosis {
        var worstLeft = 0.0
        var scales: [Double] = []
        for (i, a) in answers.enumerated() {
            var r = [Double](repeating: 0, count: a.count)
            for t in terms[i] { for k in r.indices { r[k] += t.values[k] } }
            let rr = LeastSquares.dot(r, r)
            let c = rr > 0 ? LeastSquares.dot(a, r) / rr : 0
            scales.append(c)
            let left = LeastSquares.norm(zip(a, r).map { $0 - c * $1 }) / max(LeastSquares.norm(a), 1e-300)
            worstLeft = max(worstLeft, left)
        }
        let percent = Int((worstLeft * 100).rounded())
        return Diagnosis(kind: .unexplained, message: "the answer is not a multiple or a combination of the gradient's terms (nor with a transpose, a ReLU mask, or extra terms in F, P, G·F, A·F): the closest multiple of the gradient leaves \(percent)% of the answer unexplained")
    }
}
