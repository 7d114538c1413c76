import Foundation
import NSTFileIO

extension CheckReport {
    /// The report for a terminal (and for plain output): how the formula was read first,
    /// then the verdict, the worst entry, the diagnosis in words, and what was compared.
    public var text: String {
        var lines: [String] = []
        if !echo.isEmpty {
            lines.append("Read as:  " + echo.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n        "))
        }
        if let errorRendering {
            lines.append("")
            lines += errorRendering.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { "    " + $0 }
        }
        lines.append("Verdict:  \(verdict.rawValue.uppercased()) — \(message)")
        if let shape { lines.append("Shape:    \(shape) (expected \(expectedShape))") }
        if let worst, verdict != .invalid {
            lines.append("Worst:    draw \(worst.draw), entry (\(worst.row + 1), \(worst.column + 1)): your answer \(Self.number(worst.answer)), reference \(Self.number(worst.reference))")
        }
        if !diagnosis.isEmpty && verdict != .invalid {
            lines.append("Diagnosis:")
            for d in diagnosis where verdict != .invalid {
                lines.append("  • \(d.kind.rawValue): " + d.message.prefix(1).uppercased() + d.message.dropFirst())
            }
        }
        // Nothing was compared for invalid input or a shape that is not the gradient's.
        guard verdict != .invalid, worst != nil else {
            lines.append("Bindings: \(bindingsDetail)")
            return lines.joined(separator: "\n")
        }
        lines.append("Checked:  \(checkedEntries) entries × \(draws) draws against \(reference)")
        lines.append("          eps \(Self.number(epsilon)) (Richardson-extrapolated central differences; the smallest step), \(dtype), seed \(seed), tolerance \(tolerance)")
        lines.append("Bindings: \(bindingsDetail)")
        return lines.joined(separator: "\n")
    }

    static func number(_ x: Double) -> String {
        Checker.formatted(x, digits: 9, plain: 1e-3..<1e6, scientificDigits: 6)
    }

    /// One JSON object (keys sorted); absent values are `null`.
    public var json: String {
        (try? JSONFormat.string(self, .oneLine)) ?? "{\"verdict\":\"invalid\"}"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(verdict, forKey: .verdict)
        try c.encode(maxRelError, forKey: .maxRelError)
        try c.encode(diagnosis, forKey: .diagnosis)
        try c.encode(shape, forKey: .shape)
        try c.encode(expectedShape, forKey: .expectedShape)
        try c.encode(echo, forKey: .echo)
        try c.encode(message, forKey: .message)
        try c.encode(errorRendering, forKey: .errorRendering)
        try c.encode(errorColumn, forKey: .errorColumn)
        try c.encode(worst, forKey: .worst)
        try c.encode(reference, forKey: .reference)
        try c.encode(target, forKey: .target)
        try c.encode(bindings, forKey: .bindings)
        try c.encode(bindingsDetail, forKey: .bindingsDetail)
        try c.encode(seed, forKey: .seed)
        try c.encode(draws, forKey: .draws)
        try c.encode(epsilon, forKey: .epsilon)
        try c.encode(dtype, forKey: .dtype)
        try c.encode(tolerance, forKey: .tolerance)
        try c.encode(checkedEntries, forKey: .checkedEntries)
    }
}
