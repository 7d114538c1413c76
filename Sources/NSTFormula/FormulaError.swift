/// An error in a formula, pointing at a column of the input.
///
/// `kind` says at which stage the formula failed: it could not be read (`parse`), its
/// shapes cannot combine (`shape`), or a value could not be computed (`evaluation`:
/// division by zero, overflow). `column` is 1-based and counts Unicode scalars, so the
/// caret of `rendered` sits under the offending character.
public struct FormulaError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable { case parse, shape, evaluation }

    public var kind: Kind
    /// One sentence, in the loss's own terms.
    public var message: String
    /// 1-based column (Unicode scalars) of the offending token; 0 when there is no input.
    public var column: Int
    /// The formula as typed.
    public var input: String

    public init(_ kind: Kind, _ message: String, column: Int, input: String) {
        self.kind = kind
        self.message = message
        self.column = column
        self.input = input
    }

    /// The input (a window of it when long), a caret under `column`, then the message:
    ///
    ///     F*(G - A)
    ///      ^
    ///     column 2: cannot multiply F (N×M = 8×12) by (G − A) (N×N = 8×8) …
    public var rendered: String {
        let scalars = Array(input.unicodeScalars)
        let window = 60
        let col = max(1, min(column, scalars.count + 1))
        var start = 0, end = scalars.count
        if scalars.count > window {
            start = max(0, min(col - 1 - window / 2, scalars.count - window))
            end = min(scalars.count, start + window)
        }
        var line = ""
        if start > 0 { line += "…" }
        for s in scalars[start..<end] { line.unicodeScalars.append(Self.visible(s)) }
        if end < scalars.count { line += "…" }
        let pad = (start > 0 ? 1 : 0) + (col - 1 - start)
        let caret = String(repeating: " ", count: max(0, pad)) + "^"
        return "\(line)\n\(caret)\n\(description)"
    }

    public var description: String {
        column > 0 ? "column \(column): \(message)" : message
    }

    /// Control characters (NUL, tabs, newlines) are shown as a space-width placeholder so the
    /// caret stays aligned and the terminal is not disturbed.
    static func visible(_ s: Unicode.Scalar) -> Unicode.Scalar {
        (s.value < 0x20 || s.value == 0x7F) ? "\u{2423}" : s
    }

    /// How a character is named in a message: `'x'`, or `U+0000` for invisible ones.
    static func name(_ s: Unicode.Scalar) -> String {
        if s.value < 0x20 || s.value == 0x7F || s == "\u{FFFD}" || s.properties.generalCategory == .format {
            let hex = String(s.value, radix: 16, uppercase: true)
            return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
        return "'\(s)'"
    }
}
