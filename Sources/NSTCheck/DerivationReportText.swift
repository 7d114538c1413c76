import Foundation
import NSTFileIO

extension DerivationReport {
    /// The report for a terminal: one line per row (✓ or ✗ and how nst read it), then for
    /// the first wrong row the two rows side by side, the named difference and a 2×3 example.
    public var text: String {
        var lines: [String] = []
        if verdict == .invalid {
            if let errorRendering { lines.append(errorRendering) }
            lines.append("Verdict:  INVALID — \(message)")
            return lines.joined(separator: "\n")
        }
        if let quantity { lines.append("Quantity: \(quantity)   (\(target.flatMap { CheckTarget(rawValue: $0)?.summary } ?? ""))") }
        for s in steps {
            let mark = s.verdict == .correct ? (s.equalsQuantity ? "✓" : "·") : "✗"
            lines.append("  \(mark) row \(s.line): \(s.readAs)")
            if let note = s.note { lines.append("           \(note)") }
        }
        lines.append("Verdict:  \(verdict.rawValue.uppercased())" + (firstWrongLine.map { " at row \($0)" } ?? "") + " — \(message)")
        if let k = firstWrongLine {
            let step = steps[k - 1]
            lines.append("")
            if k == 1 {
                lines.append("  quantity │ \(quantity ?? "")")
            } else {
                lines.append("  row \(k - 1)    │ \(steps[k - 2].readAs)")
            }
            lines.append("  row \(k)    │ \(step.readAs)")
            if !diagnosis.isEmpty {
                lines.append("Diagnosis:")
                for d in diagnosis { lines.append("  • \(d.kind.rawValue): " + d.message.prefix(1).uppercased() + d.message.dropFirst()) }
            }
            if let c = counterexample {
                lines.append("Example (layer l with N = \(c.n), M = \(c.m)):")
                func show(_ label: String, _ m: [[Double]]?) {
                    guard let m else { lines.append("  \(label): does not fit F's shape"); return }
                    lines.append("  \(label) (\(m.count)×\(m.first?.count ?? 0)):")
                    for r in m { lines.append("    [" + r.map { Self.number($0) }.joined(separator: ", ") + "]") }
                }
                show(c.beforeLabel, c.before)
                show(c.rowLabel, c.row)
                if let note = c.note { lines.append("  (\(note))") }
            }
        }
        lines.append("Checked:  every row as an N×M array on \(draws) draws (seed \(seed)) of three layers, l not the first: \(sizes.joined(separator: "; "))")
        lines.append("          row 1 against \(reference); each further row against the row before, exactly (dual numbers), to \(tolerance)")
        return lines.joined(separator: "\n")
    }

    static func number(_ x: Double) -> String {
        Checker.formatted(x, digits: 4, plain: 1e-3..<1e5, scientificDigits: 3)
    }

    /// One JSON object (keys as `CodingKeys`), sorted keys.
    public var json: String {
        (try? JSONFormat.string(self, .oneLine)) ?? "{}"
    }
}
