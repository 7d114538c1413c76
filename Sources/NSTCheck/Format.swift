import Foundation

extension Checker {
    /// A number for a report: `digits` significant digits when its size is in `plain`, else
    /// scientific with `scientificDigits` after the point.
    static func formatted(_ x: Double, digits: Int, plain: Range<Double>, scientificDigits: Int) -> String {
        if x == 0 { return "0" }
        if plain.contains(abs(x)) { return String(format: "%.\(digits)g", x) }
        return String(format: "%.\(scientificDigits)e", x)
    }

    /// A number in a sentence: 3 significant digits, scientific when tiny or huge.
    static func short(_ x: Double) -> String {
        formatted(x, digits: 3, plain: 0.01..<1000, scientificDigits: 2)
    }
}
