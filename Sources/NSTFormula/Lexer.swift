/// Tokens of the formula language. ASCII has a Unicode alternative for every operator
/// (`−` for `-`, `·` `×` for `*`, `⊙` for `.*`, `ᵀ` `′` for `'`, `²` for `^2`, `α β η` for
/// `alpha beta eta`), so a formula copied from rendered maths reads back.
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case number(Double, text: String)
        case identifier(String)
        case plus, minus, star, slash
        case dotStar, dotSlash          // elementwise .* (⊙) and ./
        case caret                      // ^ (power of scalars)
        case transpose                  // ' ′ ᵀ ^T
        case superscript(Int)           // ² ³ ⁻¹ … : a power written in superscript digits
        case leftParen, rightParen, comma
        case end
    }
    var kind: Kind
    /// 1-based column of the first scalar of the token.
    var column: Int
}

/// Limits that protect the machine from hostile input (issue 7): a formula longer than
/// `maxLength` Unicode scalars or nesting deeper than `maxDepth` is refused with a clear
/// error before any recursion can exhaust the stack.
public struct FormulaLimits: Sendable, Equatable {
    /// Longest formula accepted, in Unicode scalars. A gradient formula is rarely over 100.
    public var maxLength: Int
    /// Deepest nesting of parentheses, unary signs and operators in the tree.
    public var maxDepth: Int
    public init(maxLength: Int = 2000, maxDepth: Int = 100) {
        self.maxLength = maxLength
        self.maxDepth = maxDepth
    }
    public static let `default` = FormulaLimits()
}

enum Lexer {
    static let greek: [Unicode.Scalar: String] = ["α": "alpha", "β": "beta", "η": "eta"]
    static let superscriptDigits: [Unicode.Scalar: Int] = [
        "⁰": 0, "¹": 1, "²": 2, "³": 3, "⁴": 4, "⁵": 5, "⁶": 6, "⁷": 7, "⁸": 8, "⁹": 9,
    ]

    static func isIdentifierStart(_ s: Unicode.Scalar) -> Bool {
        (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || s == "_"
    }
    static func isIdentifierPart(_ s: Unicode.Scalar) -> Bool {
        isIdentifierStart(s) || isDigit(s)
    }
    static func isDigit(_ s: Unicode.Scalar) -> Bool { s >= "0" && s <= "9" }

    static func tokenize(_ input: String, limits: FormulaLimits = .default) throws(FormulaError) -> [Token] {
        let s = Array(input.unicodeScalars)
        func fail(_ message: String, _ index: Int) -> FormulaError {
            FormulaError(.parse, message, column: index + 1, input: input)
        }
        if s.count > limits.maxLength {
            throw FormulaError(.parse, "the formula is \(s.count) characters long; the limit is \(limits.maxLength)",
                               column: limits.maxLength + 1, input: input)
        }
        var tokens: [Token] = []
        var i = 0
        while i < s.count {
            let c = s[i]
            let start = i
            func add(_ k: Token.Kind, length: Int = 1) { tokens.append(Token(kind: k, column: start + 1)); i += length }
            switch c {
            case " ", "\t", "\n", "\r", "\u{00A0}", "\u{2009}", "\u{202F}":
                i += 1
            case "+": add(.plus)
            case "-", "−", "–": add(.minus)
            case "*", "·", "×", "∗", "⋅": add(.star)
            case "/", "÷", "∕": add(.slash)
            case "⊙", "∘": add(.dotStar)
            case "'", "′", "’", "ᵀ", "⊤": add(.transpose)
            case "(": add(.leftParen)
            case ")": add(.rightParen)
            case ",": add(.comma)
            case "^":
                // ^T is the transpose when T stands alone (T is not a symbol of the language).
                if i + 1 < s.count, s[i + 1] == "T", !(i + 2 < s.count && isIdentifierPart(s[i + 2])) {
                    add(.transpose, length: 2)
                } else {
                    add(.caret)
                }
            case ".":
                if i + 1 < s.count, s[i + 1] == "*" { add(.dotStar, length: 2) }
                else if i + 1 < s.count, s[i + 1] == "/" { add(.dotSlash, length: 2) }
                else if i + 1 < s.count, isDigit(s[i + 1]) { tokens.append(try number(s, &i, input)) }
                else { throw fail("a lone '.': write .* or ⊙ for the elementwise product, ./ for elementwise division", i) }
            case "⁻", "⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹":
                var sign = 1
                if c == "⁻" { sign = -1; i += 1 }
                var value = 0, digits = 0
                while i < s.count, let d = superscriptDigits[s[i]] {
                    if digits >= 6 { throw fail("superscript exponent too long", start) }
                    value = value * 10 + d; digits += 1; i += 1
                }
                if digits == 0 { throw fail("'⁻' must be followed by superscript digits, as in N⁻¹", start) }
                tokens.append(Token(kind: .superscript(sign * value), column: start + 1))
            default:
                if isDigit(c) {
                    tokens.append(try number(s, &i, input))
                } else if let name = greek[c] {
                    i += 1
                    // α_l, αˡ, αₗ: the layer's mark after a Greek letter, as after a Latin name.
                    if i + 1 < s.count, s[i] == "_", s[i + 1] == "l", !(i + 2 < s.count && isIdentifierPart(s[i + 2])) { i += 2 }
                    try layerMark(s, &i, name: name, start: start, input)
                    tokens.append(Token(kind: .identifier(name), column: start + 1))
                } else if isIdentifierStart(c) {
                    var name = ""
                    while i < s.count, isIdentifierPart(s[i]) { name.unicodeScalars.append(s[i]); i += 1 }
                    try layerMark(s, &i, name: name, start: start, input)
                    tokens.append(Token(kind: .identifier(name), column: start + 1))
                } else if c == "[" || c == "{" {
                    throw fail("use ( ) for grouping, not \(c)", i)
                } else {
                    throw fail("unexpected character \(FormulaError.name(c))", i)
                }
            }
        }
        tokens.append(Token(kind: .end, column: s.count + 1))
        return tokens
    }

    /// Subscript digits (U+2080–2089).
    static func isSubscriptDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x2080 && c.value <= 0x2089 }

    /// After a name: skips the layer marks copied from rendered maths (`Fˡ`, `wₗ`: layer l,
    /// which every symbol already means), and refuses a numbered layer (`w₁`) with its fix.
    static func layerMark(_ s: [Unicode.Scalar], _ i: inout Int, name: String, start: Int, _ input: String) throws(FormulaError) {
        while i < s.count, s[i] == "ˡ" || s[i] == "ₗ" { i += 1 }
        if i < s.count, isSubscriptDigit(s[i]) {
            var digits = ""
            while i < s.count, isSubscriptDigit(s[i]) { digits.append(Character(Unicode.Scalar(s[i].value - 0x2080 + 0x30)!)); i += 1 }
            var typed = ""
            typed.unicodeScalars.append(contentsOf: s[start..<i])
            let shown = name.hasSuffix("_") ? String(name.dropLast()) : name
            throw FormulaError(.parse, "\(typed) is layer \(digits)'s; the formula is for any layer l: write \(shown) (or \(shown)_l)", column: start + 1, input: input)
        }
    }

    /// digits [. digits] [e [+-] digits], also `.5`; `2.*F` reads as 2 .* F.
    static func number(_ s: [Unicode.Scalar], _ i: inout Int, _ input: String) throws(FormulaError) -> Token {
        let start = i
        var text = ""
        func take() { text.unicodeScalars.append(s[i]); i += 1 }
        while i < s.count, isDigit(s[i]) { take() }
        if i < s.count, s[i] == ".", !(i + 1 < s.count && (s[i + 1] == "*" || s[i + 1] == "/")) {
            take()
            while i < s.count, isDigit(s[i]) { take() }
        }
        if i < s.count, s[i] == "e" || s[i] == "E" {
            var j = i + 1
            if j < s.count, s[j] == "+" || s[j] == "-" { j += 1 }
            if j < s.count, isDigit(s[j]) {
                while i < j { take() }
                while i < s.count, isDigit(s[i]) { take() }
            }
        }
        guard let value = Double(text) else {
            throw FormulaError(.parse, "'\(text)' is not a number", column: start + 1, input: input)
        }
        guard value.isFinite else {
            throw FormulaError(.parse, "the number \(text) is too large for a Double (max ≈ 1.8e308)", column: start + 1, input: input)
        }
        return Token(kind: .number(value, text: text), column: start + 1)
    }
}
