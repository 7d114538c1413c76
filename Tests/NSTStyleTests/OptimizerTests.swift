import Testing
import Foundation
import NSTTensor
@testable import NSTStyle

/// Rosenbrock f(x, y) = (1 − x)² + 100 (y − x²)², minimum 0 at (1, 1).
func rosenbrock(_ v: [Double]) -> (value: Double, gradient: [Double]) {
    let x = v[0], y = v[1]
    let f = (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x)
    return (f, [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
}

/// A badly conditioned quadratic ½ Σ c_i (x_i − t_i)², condition number 1000.
func quadratic(_ v: [Double]) -> (value: Double, gradient: [Double]) {
    var f = 0.0
    var g = [Double](repeating: 0, count: v.count)
    for i in v.indices {
        let c = pow(1000, Double(i) / Double(v.count - 1)), t = Double(i) - 3
        f += 0.5 * c * (v[i] - t) * (v[i] - t)
        g[i] = c * (v[i] - t)
    }
    return (f, g)
}

@Suite struct LBFGSTests {
    /// The eight-lane dot product the two-loop recursion runs on: every length, including the
    /// tails shorter than the eight lanes, against a plain sum.
    @Test(arguments: [0, 1, 7, 8, 9, 23, 1000])
    func vectorDotMatchesAPlainSum(_ n: Int) {
        let a = (0..<n).map { Float($0 % 13) - 6.5 }, b = (0..<n).map { Double($0 % 7) / 3 - 1 }
        var plain = 0.0
        for i in 0..<n { plain += Double(a[i]) * b[i] }
        let fast = a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { VectorLoops.dot(a, $0) } }
        #expect(abs(fast - plain) <= 1e-12 * max(1, abs(plain)))
    }

    @Test func rosenbrockConvergesAndDecreasesMonotonically() throws {
        var values: [Double] = []
        var acceptedEvaluations: [Int] = []
        let opt = LBFGS<Double>(historySize: 5, lineSearch: .armijo)
        let r = try opt.minimize([-1.2, 1], maxEvaluations: 400, accepted: { acceptedEvaluations.append($0) }) { x in
            let e = rosenbrock(x)
            values.append(e.value)
            return e
        }
        #expect(abs(r.x[0] - 1) < 1e-4 && abs(r.x[1] - 1) < 1e-4, "ended at \(r.x) after \(r.evaluations) evaluations")
        #expect(r.value < 1e-8)
        // The iterates the optimiser itself says it accepted (by evaluation number) must
        // descend strictly, as Armijo's condition demands; the last is the value it returns.
        let accepted = acceptedEvaluations.map { values[$0 - 1] }
        #expect(accepted.count >= 10, "\(acceptedEvaluations)")
        #expect(zip(accepted, accepted.dropFirst()).allSatisfy { $0 > $1 }, "\(accepted)")
        #expect(accepted.last == r.value)
    }

    @Test func acceptedCallbackNamesExactlyTheIterates() throws {
        // Every evaluation the Armijo search accepted is reported, the rejected trials are
        // not, and the values at the reported evaluations are the iterates' (strictly falling).
        var values: [Double] = []
        var accepted: [Int] = []
        let opt = LBFGS<Double>(historySize: 5, lineSearch: .armijo, learningRate: 4)   // a long first step: trials get rejected
        let r = try opt.minimize([-1.2, 1], maxEvaluations: 120, accepted: { accepted.append($0) }) { x in
            let e = rosenbrock(x); values.append(e.value); return e
        }
        #expect(accepted.first == 1)
        #expect(accepted.count == r.iterations + 1)
        #expect(accepted.count < values.count, "no trial was rejected, so the test proves nothing")
        let iterates = accepted.map { values[$0 - 1] }
        #expect(zip(iterates, iterates.dropFirst()).allSatisfy { $0 > $1 })
        #expect(iterates.last == r.value)
        // Adam has no line search: every evaluation is an iterate.
        var adamAccepted: [Int] = []
        _ = try Adam<Double>(learningRate: 0.01).minimize([-1.2, 1], maxEvaluations: 25, accepted: { adamAccepted.append($0) }) { rosenbrock($0) }
        #expect(adamAccepted == Array(1...25))
    }

    @Test func acceptedValuesDecreaseEveryIteration() throws {
        // With the Armijo search, f at each new iterate is below the previous iterate's.
        var trace: [(x: [Double], f: Double)] = []
        let opt = LBFGS<Double>(historySize: 3)
        _ = try opt.minimize([-1.2, 1], maxEvaluations: 200) { x in
            let e = rosenbrock(x); trace.append((x, e.value)); return e
        }
        // Re-run the same deterministic optimiser for k evaluations and collect endpoints.
        var last = Double.infinity
        for k in stride(from: 1, through: 200, by: 7) {
            let r = try opt.minimize([-1.2, 1], maxEvaluations: k) { rosenbrock($0) }
            #expect(r.value <= last, "value rose to \(r.value) after \(k) evaluations")
            last = r.value
        }
        #expect(trace.count == 200 || trace.last!.f < 1e-10)
    }

    // Steepest descent needs O(κ log 1/ε) ≈ thousands of steps at κ = 1000; L-BFGS ~100.
    @Test func illConditionedQuadraticSolvedInFewIterations() throws {
        let n = 10
        let opt = LBFGS<Double>(historySize: 10, gradientTolerance: 1e-8)
        let r = try opt.minimize([Double](repeating: 0, count: n), maxEvaluations: 200) { quadratic($0) }
        for i in 0..<n { #expect(abs(r.x[i] - (Double(i) - 3)) < 1e-5) }
        #expect(r.evaluations < 150, "\(r.evaluations) evaluations, \(r.iterations) iterations, \(r.reason)")
    }

    @Test func historySizeMatters() throws {
        // More curvature pairs reach a given accuracy on the quadratic in fewer evaluations.
        func evaluationsToReach(_ m: Int) throws -> Int {
            var count = 0
            _ = try LBFGS<Double>(historySize: m).minimize([Double](repeating: 0, count: 10), maxEvaluations: 1000) { x in
                let e = quadratic(x)
                if e.value > 1e-10 { count += 1 }
                return e
            }
            return count
        }
        #expect(try evaluationsToReach(10) < evaluationsToReach(1))
    }

    @Test func fixedStepModeUsesOneEvaluationPerIteration() throws {
        // Well-conditioned quadratic ½‖x − t‖²: a fixed unit quasi-Newton step converges.
        let target: [Double] = [1, 2, 3, 4]
        func f(_ x: [Double]) -> (value: Double, gradient: [Double]) {
            var value = 0.0
            var g = [Double](repeating: 0, count: 4)
            for i in 0..<4 { g[i] = x[i] - target[i]; value += 0.5 * g[i] * g[i] }
            return (value, g)
        }
        let r = try LBFGS<Double>(historySize: 5, lineSearch: .none).minimize([0, 0, 0, 0], maxEvaluations: 30) { f($0) }
        #expect(r.iterations == r.evaluations - 1)
        #expect(r.value < 1e-12)
    }

    @Test func firstTrialStepIsTorchs() throws {
        // f = Σ c_i x_i²/2 from x0 = 1: g = c, ‖g‖₁ = 52.5; the first trial is lr·min(1, 1/‖g‖₁)·(−g)
        // with and without the line search.
        let c: [Double] = [40, -2, 10, 0.5]
        for search in LineSearch.allCases {
            var seen: [[Double]] = []
            _ = try LBFGS<Double>(lineSearch: search, learningRate: 0.5).minimize([1, 1, 1, 1], maxEvaluations: 2) { x in
                seen.append(x)
                return (zip(c, x).reduce(0) { $0 + $1.0 * $1.1 * $1.1 / 2 }, zip(c, x).map { $0 * $1 })
            }
            for i in 0..<4 { #expect(abs(seen[1][i] - (1 - 0.5 / 52.5 * c[i])) < 1e-12, "\(search): x[\(i)] = \(seen[1][i])") }
        }
    }

    @Test func worksInFloat() throws {
        let r = try LBFGS<Float>(historySize: 5).minimize([-1.2, 1], maxEvaluations: 400) { v in
            let e = rosenbrock(v.map(Double.init)); return (e.value, e.gradient.map(Float.init))
        }
        #expect(abs(r.x[0] - 1) < 1e-2 && abs(r.x[1] - 1) < 1e-2)
    }

    @Test func thrownErrorStopsTheRun() throws {
        struct Stop: Error {}
        var calls = 0
        #expect(throws: Stop.self) {
            _ = try LBFGS<Double>().minimize([0, 0], maxEvaluations: 100) { x in
                calls += 1
                if calls == 5 { throw Stop() }
                return rosenbrock(x)
            }
        }
        #expect(calls == 5)
    }

    @Test func neverExceedsTheBudget() throws {
        for budget in [1, 2, 3, 17] {
            var calls = 0
            let r = try LBFGS<Double>().minimize([-1.2, 1], maxEvaluations: budget) { calls += 1; return rosenbrock($0) }
            #expect(calls == budget && r.evaluations == budget)
        }
    }
}

@Suite struct BoundsTests {
    // ½‖x − t‖² with t outside the box [0, 1]²×[−1, 2]: the solution is t clamped.
    static func f(_ x: [Double]) -> (value: Double, gradient: [Double]) {
        let t: [Double] = [3, -2, 0.5, 5]
        var v = 0.0, g = [Double](repeating: 0, count: 4)
        for i in 0..<4 { g[i] = x[i] - t[i]; v += 0.5 * g[i] * g[i] }
        return (v, g)
    }
    static let box = Bounds<Double>(lower: [0, -1], upper: [1, 2], blockSize: 2)

    @Test func lbfgsConvergesToTheProjectedMinimumAndStaysInside() throws {
        var inside = true
        let r = try LBFGS<Double>().minimize([0.5, 0.5, 0, 0], maxEvaluations: 50, bounds: Self.box) { x in
            inside = inside && x[0] >= 0 && x[0] <= 1 && x[1] >= 0 && x[1] <= 1 && x[2] >= -1 && x[2] <= 2 && x[3] >= -1 && x[3] <= 2
            return Self.f(x)
        }
        #expect(inside)
        for (a, b) in zip(r.x, [1.0, 0, 0.5, 2]) { #expect(abs(a - b) < 1e-6, "\(r.x)") }
    }

    @Test func rosenbrockWithTheMinimumOnABound() throws {
        // x ≤ 0.5 cuts off (1, 1): the constrained minimum is (0.5, 0.25), on the bound.
        let box = Bounds<Double>(lower: [-2, -2], upper: [0.5, 2], blockSize: 1)
        var values: [Double] = []
        let r = try LBFGS<Double>(historySize: 5).minimize([-1.2, 1], maxEvaluations: 300, bounds: box) { x in
            let e = rosenbrock(x); values.append(e.value); return e
        }
        #expect(abs(r.x[0] - 0.5) < 1e-6 && abs(r.x[1] - 0.25) < 1e-4, "\(r.x) after \(r.evaluations) (\(r.reason))")
    }

    @Test func adamStaysInside() throws {
        let r = try Adam<Double>(learningRate: 0.1).minimize([0.5, 0.5, 0, 0], maxEvaluations: 300, bounds: Self.box) { Self.f($0) }
        for (a, b) in zip(r.x, [1.0, 0, 0.5, 2]) { #expect(abs(a - b) < 1e-2, "\(r.x)") }
    }
}

@Suite struct AdamTests {
    @Test func quadraticConverges() throws {
        let r = try Adam<Double>(learningRate: 0.1).minimize([0, 0], maxEvaluations: 2000) { x in
            ((x[0] - 3) * (x[0] - 3) + (x[1] + 1) * (x[1] + 1), [2 * (x[0] - 3), 2 * (x[1] + 1)])
        }
        #expect(abs(r.x[0] - 3) < 1e-2 && abs(r.x[1] + 1) < 1e-2, "\(r.x)")
    }

    @Test func rosenbrockGetsClose() throws {
        let r = try Adam<Double>(learningRate: 0.02).minimize([-1.2, 1], maxEvaluations: 5000) { rosenbrock($0) }
        #expect(r.value < 1e-3, "\(r.value) at \(r.x)")
    }

    @Test func firstStepMovesEachCoordinateByTheLearningRate() throws {
        // m̂₁ = g, v̂₁ = g², so the first step is lr·sign(g) (up to ε).
        var seen: [[Double]] = []
        _ = try Adam<Double>(learningRate: 0.5).minimize([1, -2, 3], maxEvaluations: 2) { x in
            seen.append(x); return (0, [10, -0.01, 1e4])
        }
        #expect(abs(seen[1][0] - 0.5) < 1e-6 && abs(seen[1][1] - (-1.5)) < 1e-6 && abs(seen[1][2] - 2.5) < 1e-6)
    }
}

@Suite struct ColorTransferTests {
    @Test func roundTripIsExact() {
        let rgb: [Float] = [0.1, 0.5, 0.9, 1, 0, 0.3]
        let back = ColorTransfer.rgb(fromYIQ: ColorTransfer.yiq(fromRGB: rgb))
        for (a, b) in zip(rgb, back) { #expect(abs(a - b) < 1e-6) }
    }

    @Test func keepsContentChrominanceAndStylisedLuminance() {
        let content: [Float] = [0.8, 0.2, 0.2]   // red
        let stylized: [Float] = [0.3, 0.3, 0.3]  // grey, darker
        let out = ColorTransfer.keepingColors(of: content, luminanceOf: stylized)
        let yo = ColorTransfer.yiq(fromRGB: out), ys = ColorTransfer.yiq(fromRGB: stylized), yc = ColorTransfer.yiq(fromRGB: content)
        #expect(abs(yo[0] - ys[0]) < 1e-5)
        #expect(abs(yo[1] - yc[1]) < 1e-5 && abs(yo[2] - yc[2]) < 1e-5)
        #expect(out[0] > out[1])  // still reddish
    }
}

/// Regression oracle for `LBFGS.minimize`: the exact sequence of evaluated values (as bit
/// patterns), the accepted evaluations and the stop, for runs that take every branch of the
/// loop (backtracking, projection onto bounds, the steepest-descent fallback, the fixed step).
/// The literals below were produced by the implementation before `minimize` was split into
/// named steps; a refactor must reproduce them to the bit. They are not a statement of what
/// is mathematically right (the other tests are): if the algorithm is changed on purpose,
/// take the new literals from the failure messages and say why in the commit.
@Suite struct LBFGSRegressionOracle {
    struct Trace: Equatable, Sendable {
        var values: [UInt64]
        var accepted: [Int]
        var iterations: Int
        var reason: StopReason
    }

    static func boundedRosenbrock<S: TensorScalar>(_: S.Type, lineSearch: LineSearch, learningRate: Double,
                                                   evaluations: Int) throws -> Trace {
        let box = Bounds<S>(lower: [-2, -2], upper: [0.5, 2], blockSize: 1)
        var values: [UInt64] = [], accepted: [Int] = []
        let r = try LBFGS<S>(historySize: 3, lineSearch: lineSearch, learningRate: learningRate)
            .minimize([-1.2, 1], maxEvaluations: evaluations, bounds: box, accepted: { accepted.append($0) }) { v in
                let e = rosenbrock(v.map { Double($0) })
                values.append(e.value.bitPattern)
                return (e.value, e.gradient.map { S($0) })
            }
        return Trace(values: values, accepted: accepted, iterations: r.iterations, reason: r.reason)
    }

    static var cases: [(name: String, run: () throws -> Trace)] { [
        ("double-armijo-lr4", { try boundedRosenbrock(Double.self, lineSearch: .armijo, learningRate: 4, evaluations: 80) }),
        ("float-armijo-lr1", { try boundedRosenbrock(Float.self, lineSearch: .armijo, learningRate: 1, evaluations: 80) }),
        ("double-none-lr1", { try boundedRosenbrock(Double.self, lineSearch: .none, learningRate: 1, evaluations: 30) }),
    ] }

    /// Produced by the implementation before the split (see the suite's comment).
    static let expected: [String: Trace] = [
        "double-armijo-lr4": Trace(values: [
                     0x4038333333333332, 0x4073280000000000, 0x4063d5ce7f6ba3aa, 0x4023ed78b2f57c22,
                     0x404499efd5ed26ea, 0x4010e0d2860e7d07, 0x4015eec2945e0018, 0x40106fb50ce35205,
                     0x40106389b302fb6d, 0x401076b00ec9f114, 0x400fdf3a4865362f, 0x400d76d63cbe0b4e,
                     0x400987bf899d83c8, 0x404764e37b637976, 0x4002a20fae7fd80e, 0x400f4255a17976ad,
                     0x40009be022e3019a, 0x407fa80000000000, 0x400d333ab407388c, 0x3ffed9a8ba4edb4c,
                     0x4055fe411c010a6d, 0x3ffc7de87e969a4a, 0x401124bfd952b1d4, 0x3ff895f94fbe2287,
                     0x3fe3e0733a16d662, 0x3ff228c592b71c09, 0x3fe17f864d41de07, 0x4073280000000000,
                     0x4001d9df13dae344, 0x3fdafca2734fbd23, 0x403c50db73d05f64, 0x3fd80cb464a69e6e,
                     0x3fece6fbdc5eb469, 0x3fd158d6d1b10116, 0x402f1f4d09df02b3, 0x3fd233bac6d0c97e,
                     0x3fd04d0792909cf4, 0x4059c26e91c3e5cc, 0x3ff26b6eda968f4d, 0x3fd00f293536d012,
                     0x4044ede33aee0ba9, 0x3fe4355e88ee7c3e, 0x3fd0136044b73819, 0x3fd0000000000000],
              accepted: [1, 4, 6, 8, 9, 11, 12, 13, 15, 17, 20, 22, 24, 25, 27, 30, 32, 34, 37, 40, 44], iterations: 20, reason: .gradientTolerance),
        "float-armijo-lr1": Trace(values: [
                     0x40383333dfae1624, 0x405c1cac961e34b0, 0x401b15c11b4c9f99, 0x4010d9e1a8ab2fa9,
                     0x40107514e4c6c025, 0x401071712ef9c35a, 0x40105cde6bedf3b3, 0x40102d4758460e65,
                     0x400ebc2e18c90d72, 0x400c61d1ff12f7a4, 0x4007ef0c2ce5f688, 0x4004a6c116a1e535,
                     0x400428ae01ea1469, 0x4001ea270fa3f849, 0x4007cab45f9bc232, 0x40004c8c34bf10f6,
                     0x40000713bf6b3018, 0x3ff7b5eb3edc6fcf, 0x3ff3fa3225b57691, 0x4007954b7431a3a4,
                     0x3ff2ff8b0c4ea701, 0x3ff2009851a5d129, 0x3ff0095245954a9c, 0x3feb245f8abb51f3,
                     0x3fe94d01c5354d6b, 0x3fe4bcc378d6c940, 0x3fe24dc3d4b58f18, 0x3fdbf5dc0a976110,
                     0x3fd924d439628c60, 0x3fd2c81844804900, 0x4023169c590beb88, 0x3fd0e12d6b4a8c40,
                     0x3fdfa51d83d76400, 0x3fd0000000000000],
              accepted: [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 32, 34], iterations: 28, reason: .gradientTolerance),
        "double-none-lr1": Trace(values: [
                     0x4038333333333332, 0x405c1cacf373020e, 0x4032c6154e231386, 0x4056de9ba46955ec,
                     0x4019a65756cb1768, 0x40114e5851d3f4d3, 0x400fd9bcbb49f6c6, 0x400fcc5ed1d705fd,
                     0x400fbf54fcdf5277, 0x400f809f792bde5f, 0x400eda90e3d2006e, 0x400767c25c046e9e,
                     0x402aec24770fdff4, 0x400674c0d0df2c6b, 0x4005aa965d04a9ce, 0x4004d6447fa04a37,
                     0x4003f7f5829da823, 0x400311c70d0004f6, 0x4002279f45b2a408, 0x407fa80000000000,
                     0x4058cca946db519f, 0x40ac320000000000, 0x400b10eaccd06b6a, 0x3fe3d581ba3122cf,
                     0x3fd06d4b681709d2, 0x3fd000a4d1204e27, 0x3fd000293448138a, 0x3fd0000a4d1204e2,
                     0x3fd0000293448139, 0x3fd00000a4d1204e],
              accepted: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30], iterations: 29, reason: .budget),
    ]

    /// The literal of a trace, as `expected` holds it.
    static func literal(_ t: Trace) -> String {
        "Trace(values: [\(t.values.map { "0x" + String($0, radix: 16) }.joined(separator: ", "))], accepted: \(t.accepted), iterations: \(t.iterations), reason: .\(t.reason))"
    }

    @Test func evaluatedValuesAreTheRecordedOnesToTheBit() throws {
        for c in Self.cases {
            let t = try c.run()
            #expect(t == Self.expected[c.name], "\(c.name) now gives \(Self.literal(t))")
        }
        // The runs take the branches the oracle is for: rejected trials, and an end on the bound
        // x = 0.5, where the constrained minimum is f(0.5, 0.25) = 0.25.
        let armijo = Self.expected["double-armijo-lr4"]!
        #expect(armijo.accepted.count < armijo.values.count)
        #expect(armijo.values.last == (0.25).bitPattern)
    }
}
