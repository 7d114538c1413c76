// Fuzzes NSTFormula end to end: any bytes → parse → shapes → evaluate → print → reparse.
// Properties checked (a failure traps, and libFuzzer saves the input):
//  * nothing crashes, however hostile the input (depth and length limits hold);
//  * a value that evaluates is finite (overflow and division by zero are errors, not NaN/∞);
//  * a parsed formula printed in Unicode or ASCII reads back as the same tree.
import FuzzDriver
import NSTFormula

let n = 3, m = 4
let symbols = SymbolTable.standard(n: n, m: m)
func matrix(_ rows: Int, _ cols: Int, _ seed: Double) -> Value {
    .matrix(Matrix(rows: rows, cols: cols, values: (0..<(rows * cols)).map { k in
        let v = (Double(k) * 0.37 + seed).truncatingRemainder(dividingBy: 1.9) - 0.6
        return max(0, v)
    }))
}
let F = matrix(n, m, 0.1)
let bindings: [String: Value] = {
    guard case .matrix(let f) = F else { fatalError() }
    return ["F": F, "P": matrix(n, m, 0.7), "A": matrix(n, n, 0.3), "G": .matrix(f.multiplied(by: f.transposed)),
            "N": .scalar(Double(n)), "M": .scalar(Double(m)), "w": .scalar(1.7), "alpha": .scalar(0.4),
            "beta": .scalar(2.2), "eta": .scalar(0.6)]
}()

func isFinite(_ v: Value) -> Bool {
    switch v {
    case .scalar(let x): return x.isFinite
    case .matrix(let m): return m.values.allSatisfy(\.isFinite)
    }
}

fuzzMain { bytes in
    let input = String(decoding: bytes, as: UTF8.self)
    guard let e = try? Formula.parse(input) else { return }
    for printed in [e.unicode, e.ascii] {
        do throws(FormulaError) {
            let again = try Formula.parse(printed)
            precondition(again.ascii == e.ascii, "round trip: \(input) → \(printed) → \(again.ascii)")
        } catch {
            // Printing may add parentheses the limits then refuse; anything else is a bug.
            precondition(error.message.contains("nests more than") || error.message.contains("the limit is"),
                         "printed form does not parse: \(printed): \(error)")
        }
    }
    guard (try? Formula.inferShape(e, symbols: symbols, input: input)) != nil else { return }
    if let v = try? Formula.evaluate(e, bindings: bindings, input: input) {
        precondition(isFinite(v), "non-finite value from \(input)")
    }
}
