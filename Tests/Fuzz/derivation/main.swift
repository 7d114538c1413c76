// Fuzzes NSTFormula's derivation parser: any bytes → DerivationParser.parse → each row printed.
// Properties checked (a failure traps, and libFuzzer saves the input):
//  * nothing crashes, however hostile the input (length, row, depth and sum limits hold);
//  * an error names a line and column inside the input, a message and a fix;
//  * a derivation that parses has 1 … maxRows rows, row 1 has a left-hand side, and every
//    row prints.
import FuzzDriver
import NSTFormula

fuzzMain { bytes in
    let input = String(decoding: bytes, as: UTF8.self)
    let lines = input.split(separator: "\n", omittingEmptySubsequences: false).count
    do throws(DerivationError) {
        let d = try DerivationParser.parse(input)
        precondition(!d.rows.isEmpty && d.rows.count <= DerivationLimits.default.maxRows, "row count \(d.rows.count)")
        precondition(d.rows[0].lhs != nil, "row 1 without a left-hand side")
        _ = d.lhs.display
        for r in d.rows {
            precondition(r.line >= 1 && r.line <= lines, "row \(r.number) on line \(r.line) of \(lines)")
            _ = r.expression.display
        }
    } catch {
        precondition(error.line >= 1 && error.line <= max(1, lines), "error on line \(error.line) of \(lines): \(error)")
        precondition(error.column >= 1, "error at column \(error.column): \(error)")
        precondition(!error.message.isEmpty && !error.fix.isEmpty, "error without a message or a fix: \(error)")
        _ = error.rendered
    }
}
