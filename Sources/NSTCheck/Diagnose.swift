import NSTFormula

/// One way of reading a wrong answer: which transforms were applied and the fitted coefficients.
struct Fit {
    /// The mask step(F) on every term (`all`) or on one term only.
    enum Mask: Equatable { case none, all, term(Int) }
    var mask: Mask
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

        func attempt(mask: Fit.Mask, transposeAnswer: Bool, extras: [Int]) -> Fit? {
            var coefficients: [[Double]] = []
            for i in draws {
                let a = transposeAnswer ? transposedAnswers![i] : answers[i]
                var columns = terms[i].map(\.values) + extras.map { dictionaries[i][$0].values }
                switch mask {
                case .none: break
                case .all: columns = columns.map { zip($0, masks[i]).map(*) }
                case .term(let k): columns[k] = zip(columns[k], masks[i]).map(*)
                }
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
        let termCount = terms.first?.count ?? 0
        let oneTermMasks: [Fit.Mask] = termCount > 1 ? (0..<termCount).map { .term($0) } : []
        let readings: [(Fit.Mask, Bool)] = [(.none, false), (.all, false)] + oneTermMasks.map { ($0, false) }
            + [(.none, true), (.all, true)]
        search: for size in 0...2 {
            for (mask, transposeAnswer) in readings {
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
        switch fit.mask {
        case .none: break
        case .all:
            out.append(Diagnosis(kind: .mask, message: "the answer agrees with the gradient only where F > 0 and is 0 elsewhere: it carries a ReLU mask step(F) that belongs to the gradient with respect to the layer's pre-activation, not to F itself"))
        case .term(let k):
            out.append(Diagnosis(kind: .mask, message: "\(terms[0][k].name) carries a ReLU mask step(F): it agrees only where F > 0 and is 0 elsewhere; the mask belongs to the gradient with respect to the layer's pre-activation, not to F itself"))
        }
        let termCount = terms[0].count
        let columns = (0..<termCount).map { k in fit.coefficients.map { $0[k] } }
        let factors = columns.map { Factor.match($0, atomValues: atomValues) }
        // One term, or every term off by the same factor: speak of the whole answer.
        let uniform = factors.allSatisfy { $0 != nil && $0 == factors[0] } && !columns[0].allSatisfy { abs($0) < 1e-6 }
        if p.isUpdate, termCount == 3, factors[0] == nil || factors[1] == nil,
           let raw = updateInTermsOfFAndP(columns, p: p, atomValues: atomValues) {
            // The step's F and content term read in F and P separately: P − η·(…) has P
            // where F belongs, which the content term's coefficient alone cannot say.
            out += raw
            out += describe(terms[0][2].name, columns[2], factors[2], p: p, whole: false)
        } else if termCount == 1 || uniform {
            out += describe("the answer", columns[0], factors[0], p: p, whole: true)
        } else {
            for k in 0..<termCount {
                out += describe(terms[0][k].name, columns[k], factors[k], p: p, whole: false)
            }
        }
        // The reference's own coefficients on the dictionary: an "extra" term that cancels
        // one of them is a term the answer lacks.
        let own: [[Double]]? = {
            var out: [[Double]] = []
            for i in p.draws.indices {
                let reference = Self.sum(terms[i])
                let fit = LeastSquares(columns: dictionaries[i].map(\.values), target: reference)
                if fit.residualNorm > fitTolerance * max(LeastSquares.norm(reference), 1e-300) { return nil }
                out.append(fit.coefficients)
            }
            return out
        }()
        for (j, index) in fit.extras.enumerated() {
            let coefficients = fit.coefficients.map { $0[termCount + j] }
            let name = dictionaries[0][index].name
            if let own, own.indices.allSatisfy({ i in
                let e = own[i][index], d = coefficients[i]
                return e != 0 && abs(d + e) <= 1e-6 * max(abs(d), abs(e))
            }) {
                let e = own.map { $0[index] }
                let term = Factor.match(e, atomValues: atomValues).map { f in "\(f.sign < 0 ? "−" : "+")\(f.isOne ? "" : "\(f.magnitudeText)·")\(name)" } ?? name
                out.append(Diagnosis(kind: .missingTerm, message: "the answer lacks the gradient's term \(term)"))
                continue
            }
            if let own, own.indices.allSatisfy({ i in
                let e = own[i][index], d = coefficients[i]
                return e != 0 && abs(d + 2 * e) <= 1e-6 * max(abs(d), abs(e))
            }) {
                // +2·P where the gradient has −P: the answer has +P, the term's sign flipped.
                let e = own.map { $0[index] }
                let term = Factor.match(e, atomValues: atomValues).map { f in "\(f.sign < 0 ? "−" : "+")\(f.isOne ? "" : "\(f.magnitudeText)·")\(name)" } ?? name
                out.append(Diagnosis(kind: .sign, message: "the term \(term) of the gradient has the wrong sign in the answer"))
                continue
            }
            if let f = Factor.match(coefficients, atomValues: atomValues) {
                let times = f.isOne ? "" : "\(f.magnitudeText)·"
                out.append(Diagnosis(kind: .extraTerm, message: "the answer has an extra term \(f.sign < 0 ? "−" : "+")\(times)\(name) that the gradient does not have"))
            } else {
                out.append(Diagnosis(kind: .extraTerm, message: "the answer has an extra term ≈ \(short(coefficients[0]))·\(name) (in the first draw) that the gradient does not have"))
            }
        }
        return out
    }

    /// For `update`: with x, y the fitted coefficients of the current F and of the content
    /// term −ηα(F − P), the answer has (x − ηα·y)·F + ηα·y·P where the update has
    /// (1 − ηα)·F + ηα·P. Names each difference as a term the answer lacks (negative) or has
    /// extra (positive); nil when a difference is not a product of the bindings.
    static func updateInTermsOfFAndP(_ columns: [[Double]], p: Problem, atomValues: [[Double]]) -> [Diagnosis]? {
        var deltaF: [Double] = [], deltaP: [Double] = []
        for (i, d) in p.draws.enumerated() {
            let x = columns[0][i], y = columns[1][i], k = d.eta * d.alpha
            deltaF.append((x - k * y) - (1 - k))
            deltaP.append(k * y - k)
        }
        var out: [Diagnosis] = []
        for (name, delta) in [("F", deltaF), ("P", deltaP)] {
            let scale = max(1, delta.map(abs).max() ?? 0)
            if delta.allSatisfy({ abs($0) <= 1e-6 * scale }) { continue }
            guard let f = Factor.match(delta, atomValues: atomValues) else { return nil }
            let times = f.isOne ? "" : "\(f.magnitudeText)·"
            if f.sign < 0 {
                out.append(Diagnosis(kind: .missingTerm, message: "the answer lacks the term +\(times)\(name) of the update (the step starts from the current F: F − η·∂L_total/∂F)"))
            } else {
                out.append(Diagnosis(kind: .extraTerm, message: "the answer has an extra term +\(times)\(name) that the update does not have"))
            }
        }
        return out.isEmpty ? nil : out
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
