import Foundation

extension Checker {
    /// A number for a report: 3 significant digits, scientific when tiny or huge.
    static func short(_ x: Double) -> String {
        if x == 0 { return "0" }
        if abs(x) >= 0.01 && abs(x) < 1000 { return String(format: "%.3g", x) }
        return String(format: "%.2e", x)
    }
}
