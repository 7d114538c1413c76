import Testing
import Foundation
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
        var accepted: [Double] = []
        let opt = LBFGS<Double>(historySize: 5, lineSearch: .armijo)
        let r = try opt.minimize([-1.2, 1], maxEvaluations: 400) { x in
            let e = rosenbrock(x)
            values.append(e.value)
            return e
        }
        #expect(abs(r.x[0] - 1) < 1e-4 && abs(r.x[1] - 1) < 1e-4, "ended at \(r.x) after \(r.evaluations) evaluations")
        #expect(r.value < 1e-8)
        // The accepted iterates (running minimum of the evaluations that passed Armijo)
        // never go up: rebuild them from the evaluations and the optimiser's own value.
        var best = values[0]
        accepted.append(best)
        for v in values.dropFirst() where v <= best { best = v; accepted.append(v) }
        #expect(best == r.value)
        #expect(zip(accepted, accepted.dropFirst()).allSatisfy { $0 >= $1 })
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
