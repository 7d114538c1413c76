/// Reads a derivation — a chain of equalities LHS = e1 = e2 = … — in the quiz's LaTeX or in
/// nst's plain form (docs/derivations.md gives the notation):
///
///     $$\begin{aligned} \frac{\partial L_{content}^l}{\partial F_{i^*j^*}^l} &= F_{i^*j^*}^l - P_{i^*j^*}^l \\ &= … \end{aligned}$$
///
///     dL_content_l/dF[i*,j*] = d/dF[i*,j*] (1/2 sum(i,j: (F[i,j] - P[i,j])^2))
///     = F[i*,j*] - P[i*,j*]
///
/// Row k is the k-th `\\`-separated row of the `aligned` block, or the k-th (non-blank,
/// non-comment) line of a plain file; row 1 holds the LHS. Both notations share one grammar,
/// loosest first:
///
///     expression := term (("+" | "-") term)*
///     term       := ("-" | "+") term | product
///     product    := factor (("*" | "\cdot" | "/" | ".*" | juxtaposition) factor)* [operator product]
///     operator   := "\sum_{…}" | "\frac{\partial}{\partial X}" | "∂/∂X" | "d/dX" | "\partial_{X}"
///     factor     := primary (scripts | "'" | "ᵀ")*
///
/// An operator (a sum or a derivative without a numerator) applies to the rest of its
/// product, as in written maths: `\frac12 \sum_{i,j} (F_{ij} - P_{ij})^2` sums the square.
/// Every input is bounded by `DerivationLimits`; errors carry the row, the input's line and
/// column, what was expected and a fix.
public enum DerivationParser {
    public static func parse(_ input: String, limits: DerivationLimits = .default) throws(DerivationError) -> Derivation {
        let source = Source(input)
        if source.scalars.count > limits.maxLength {
            throw source.error(row: nil, at: limits.maxLength, "the derivation is \(source.scalars.count) characters long; the limit is \(limits.maxLength)",
                               fix: "shorten it (a derivation has a few rows of at most \(limits.maxRowLength) characters)")
        }
        let (notation, spans) = try source.rows(limits: limits)
        if spans.isEmpty {
            throw source.error(row: nil, at: source.scalars.count, "the derivation is empty",
                               fix: "write LHS = e1 on the first line and = e_k on each further line, or paste a $$\\begin{aligned} … \\end{aligned}$$ block")
        }
        if spans.count > limits.maxRows {
            throw source.error(row: limits.maxRows + 1, at: spans[limits.maxRows].lowerBound, "the derivation has \(spans.count) rows; the limit is \(limits.maxRows)",
                               fix: "check a shorter chain of equalities")
        }
        let ids = IDCounter()
        var rows: [DerivationRow] = []
        for (k, span) in spans.enumerated() {
            let number = k + 1
            if span.count > limits.maxRowLength {
                throw source.error(row: number, at: span.lowerBound + limits.maxRowLength, "row \(number) is \(span.count) characters long; the limit is \(limits.maxRowLength)",
                                   fix: "split it into more rows")
            }
            // The row's top-level '=' (outside brackets).
            var depth = 0
            var equals: [Int] = []
            for i in span {
                switch source.scalars[i] {
                case "(", "{", "[": depth += 1
                case ")", "}", "]": depth -= 1
                case "=" where depth == 0: equals.append(i)
                default: break
                }
            }
            guard let eq = equals.first else {
                throw source.error(row: number, at: span.lowerBound,
                                   number == 1 ? "row 1 has no '=': it must be LHS = e1" : "row \(number) has no '='",
                                   fix: number == 1 ? "write the quantity, then = and its first expression, as in \\frac{\\partial L_{total}}{\\partial F_{i^*j^*}^l} &= …"
                                                    : "start the row with = (or &= in an aligned block)")
            }
            if equals.count > 1 {
                throw source.error(row: number, at: equals[1], "row \(number) has more than one '='",
                                   fix: "put each expression of the chain on its own row (\\\\ in LaTeX, a new line starting with = in the plain form)")
            }
            let left = span.lowerBound..<eq, right = (eq + 1)..<span.upperBound
            var lhs: DerivationExpression?
            if number == 1 {
                if source.isBlank(left) {
                    throw source.error(row: 1, at: eq, "row 1 has nothing before '='",
                                       fix: "name the quantity first, as in dL_total/dF[i*,j*] = … or \\frac{\\partial L_{total}}{\\partial F_{i^*j^*}^l} &= …")
                }
                lhs = try parseExpression(source, left, row: 1, limits: limits, ids: ids)
            } else if !source.isBlank(left) {
                throw source.error(row: number, at: left.lowerBound, "row \(number) has something before '=': each row after the first continues the chain",
                                   fix: "start the row with = (or &= in an aligned block); a new left-hand side starts a new derivation")
            }
            if source.isBlank(right) {
                throw source.error(row: number, at: eq, "row \(number) has nothing after '='", fix: "write the row's expression after =")
            }
            let expression = try parseExpression(source, right, row: number, limits: limits, ids: ids)
            let firstVisible = span.first { !source.isBlank($0..<($0 + 1)) } ?? span.lowerBound
            rows.append(DerivationRow(number: number, line: source.lines[firstVisible], text: source.text(span).trimmingCharacters(),
                                      lhs: lhs, expression: expression))
        }
        return Derivation(notation: notation, rows: rows)
    }

    static func parseExpression(_ source: Source, _ span: Range<Int>, row: Int, limits: DerivationLimits, ids: IDCounter) throws(DerivationError) -> DerivationExpression {
        let tokens = try DerivationLexer(source: source, span: span, row: row).tokenize()
        var parser = RowParser(tokens: tokens, source: source, row: row, limits: limits, ids: ids)
        return try parser.parseAll()
    }
}

final class IDCounter: @unchecked Sendable {
    var next = 0
    func take() -> Int { next += 1; return next }
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace || c == "&" { s = s.dropFirst() }
        while let c = s.last, c.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}

// MARK: - The input and its rows

struct Source {
    let scalars: [Unicode.Scalar]
    /// 1-based line and column of each scalar (and of the end).
    let lines: [Int]
    let columns: [Int]
    let lineTexts: [String]

    init(_ input: String) {
        scalars = Array(input.unicodeScalars)
        var lines: [Int] = [], columns: [Int] = [], texts: [String] = []
        var line = 1, column = 1, current = ""
        for s in scalars {
            lines.append(line); columns.append(column)
            if s == "\n" { line += 1; column = 1; texts.append(current); current = "" } else { column += 1; current.unicodeScalars.append(s) }
        }
        texts.append(current)
        lines.append(line); columns.append(column)
        self.lines = lines
        self.columns = columns
        self.lineTexts = texts
    }

    func text(_ r: Range<Int>) -> String {
        var s = ""
        s.unicodeScalars.append(contentsOf: scalars[r])
        return s
    }

    func isBlank(_ r: Range<Int>) -> Bool {
        r.allSatisfy { i in
            let s = scalars[i]
            return s == " " || s == "\t" || s == "\n" || s == "\r" || s == "&" || s == "$" || s == "\u{00A0}"
        }
    }

    func matches(_ word: String, at i: Int) -> Bool {
        let w = Array(word.unicodeScalars)
        guard i + w.count <= scalars.count else { return false }
        return scalars[i..<(i + w.count)].elementsEqual(w)
    }

    func error(row: Int?, at index: Int, _ message: String, fix: String) -> DerivationError {
        let i = max(0, min(index, scalars.count))
        let line = lines[i], column = columns[i]
        var text = line - 1 < lineTexts.count ? lineTexts[line - 1] : ""
        var caretColumn = column
        let window = 70
        var scalarsOfLine = Array(text.unicodeScalars)
        if scalarsOfLine.count > window {
            let start = max(0, min(column - 1 - window / 2, scalarsOfLine.count - window))
            scalarsOfLine = Array(scalarsOfLine[start..<min(scalarsOfLine.count, start + window)])
            text = (start > 0 ? "…" : "") + String(String.UnicodeScalarView(scalarsOfLine)) + "…"
            caretColumn = column - start + (start > 0 ? 1 : 0)
        }
        let visible = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\u{2423}" : $0 }))
        let excerpt = "    " + visible + "\n    " + String(repeating: " ", count: max(0, caretColumn - 1)) + "^"
        return DerivationError(row: row, line: line, column: column, message: message, fix: fix, excerpt: excerpt)
    }

    static let environments = ["aligned", "align*", "align", "split", "gathered", "eqnarray*", "eqnarray"]

    /// The rows' spans and the notation: the rows of the first `\begin{aligned}` block, or
    /// the non-blank, non-comment lines.
    func rows(limits: DerivationLimits) throws(DerivationError) -> (Derivation.Notation, [Range<Int>]) {
        // A LaTeX environment.
        var i = 0
        while i < scalars.count {
            if matches("\\begin{", at: i) {
                let nameStart = i + 7
                guard let close = (nameStart..<scalars.count).first(where: { scalars[$0] == "}" }) else {
                    throw error(row: nil, at: i, "\\begin{ is not closed", fix: "write \\begin{aligned}")
                }
                let name = text(nameStart..<close)
                guard Self.environments.contains(name) else {
                    throw error(row: nil, at: nameStart, "\\begin{\(name)} is not a block of equalities nst reads",
                                fix: "use \\begin{aligned} … \\end{aligned} (align, align*, split and gathered also work)")
                }
                let end = "\\end{\(name)}"
                var j = close + 1
                while j < scalars.count, !matches(end, at: j) { j += 1 }
                if j >= scalars.count {
                    throw error(row: nil, at: scalars.count, "\\begin{\(name)} has no \\end{\(name)}", fix: "close the block with \(end)")
                }
                var spans: [Range<Int>] = []
                var start = close + 1, k = close + 1, depth = 0
                while k < j {
                    let s = scalars[k]
                    if s == "{" { depth += 1 } else if s == "}" { depth -= 1 }
                    if s == "\\", k + 1 < j, scalars[k + 1] == "\\", depth == 0 {
                        spans.append(start..<k)
                        k += 2
                        // \\[4pt]: vertical space after a row break.
                        var m = k
                        while m < j, scalars[m] == " " || scalars[m] == "\n" { m += 1 }
                        if m < j, scalars[m] == "[", let c = (m..<j).first(where: { scalars[$0] == "]" }) { k = c + 1 }
                        start = k
                        if spans.count > limits.maxRows { return (.latex, spans) }
                        continue
                    }
                    k += 1
                }
                spans.append(start..<j)
                return (.latex, spans.filter { !isBlank($0) })
            }
            i += 1
        }
        // The plain form: one row a line.
        var spans: [Range<Int>] = []
        var start = 0
        for k in 0...scalars.count where k == scalars.count || scalars[k] == "\n" {
            var r = start..<k
            start = k + 1
            // Trailing \\ (a row break copied from LaTeX) and $ signs are not part of the row.
            while let last = r.last, scalars[last] == " " || scalars[last] == "\r" || scalars[last] == "\t" { r = r.lowerBound..<last }
            if r.count >= 2, scalars[r.upperBound - 1] == "\\", scalars[r.upperBound - 2] == "\\" { r = r.lowerBound..<(r.upperBound - 2) }
            if isBlank(r) { continue }
            let first = r.first(where: { scalars[$0] != " " && scalars[$0] != "\t" })!
            if scalars[first] == "#" || scalars[first] == "%" { continue }
            spans.append(r)
            if spans.count > limits.maxRows { break }
        }
        return (.plain, spans)
    }
}

// MARK: - Tokens

struct DToken: Equatable {
    enum Kind: Equatable {
        case number(Double, String)
        /// A single letter, or a known word (alpha, content, sum …).
        case word(String)
        case frac, sum, partial
        /// \vec{…}: an argument of a loss, as in L_{content}(\vec{p}, \vec{x}).
        case vector
        case lbrace, rbrace, lparen, rparen, lbrack, rbrack
        case underscore, caret, plus, minus, star, slash, dotStar, prime, comma, colon, equals
        case superscript(Int)
        /// ˡ and ₗ: a layer mark copied from rendered maths.
        case layerSuperscript, layerSubscript
        case end
    }
    var kind: Kind
    /// Index of the token's first scalar in the source.
    var index: Int
}

struct DerivationLexer {
    let source: Source
    let span: Range<Int>
    let row: Int

    static let words: Set<String> = ["alpha", "beta", "eta", "delta", "sum", "content", "style", "total", "in"]
    static let greek: [Unicode.Scalar: String] = ["α": "alpha", "β": "beta", "η": "eta", "δ": "delta", "ℓ": "l"]
    static let superscriptDigits: [Unicode.Scalar: Int] = [
        "⁰": 0, "¹": 1, "²": 2, "³": 3, "⁴": 4, "⁵": 5, "⁶": 6, "⁷": 7, "⁸": 8, "⁹": 9,
    ]
    /// Commands that only space or size: skipped.
    static let ignored: Set<String> = ["left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
                                       "Biggl", "Biggr", "quad", "qquad", "displaystyle", "textstyle", "limits", "nolimits", ",", ";", ":", "!", " "]
    /// Commands whose braced argument is a name: \text{content}, \mathrm{T}, \mathcal{L}.
    static let naming: Set<String> = ["text", "mathrm", "mathit", "operatorname", "mathsf", "textrm", "mathbf", "boldsymbol", "mathcal", "textit", "mathnormal", "bm"]

    func fail(_ i: Int, _ message: String, fix: String) -> DerivationError {
        source.error(row: row, at: i, message, fix: fix)
    }

    func isLetter(_ s: Unicode.Scalar) -> Bool { (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") }
    func isDigit(_ s: Unicode.Scalar) -> Bool { s >= "0" && s <= "9" }

    /// Whether only a trailing equation number, comma or full stop is left from `i`:
    /// `\quad (6)`, `, ` or `.`.
    func onlyTrailer(from i: Int) -> Bool {
        var k = i
        let s = source.scalars
        func skipSpace() { while k < span.upperBound, s[k] == " " || s[k] == "\n" || s[k] == "\t" || s[k] == "\r" || s[k] == "$" || s[k] == "&" { k += 1 } }
        skipSpace()
        if k < span.upperBound, s[k] == "(" {
            var m = k + 1
            while m < span.upperBound, isDigit(s[m]) { m += 1 }
            guard m > k + 1, m < span.upperBound, s[m] == ")" else { return false }
            k = m + 1
        }
        skipSpace()
        while k < span.upperBound, s[k] == "," || s[k] == "." { k += 1; skipSpace() }
        return k >= span.upperBound
    }

    func tokenize() throws(DerivationError) -> [DToken] {
        let s = source.scalars
        var out: [DToken] = []
        var i = span.lowerBound
        let end = span.upperBound
        func add(_ k: DToken.Kind, _ length: Int = 1) { out.append(DToken(kind: k, index: i)); i += length }
        while i < end {
            let c = s[i]
            switch c {
            case " ", "\t", "\n", "\r", "&", "$", "\u{00A0}", "\u{2009}", "\u{202F}": i += 1
            case ",", ".":
                if c == ".", i + 1 < end, s[i + 1] == "*" { add(.dotStar, 2); continue }
                if c == ".", i + 1 < end, isDigit(s[i + 1]) { out.append(try number(&i)); continue }
                if onlyTrailer(from: i) { i = end; continue }
                if c == "," { add(.comma) } else {
                    throw fail(i, "a lone '.'", fix: "write .* for the elementwise product, or remove the full stop")
                }
            case "+": add(.plus)
            case "-", "−", "–": add(.minus)
            case "*", "·", "×", "⋅", "∗": add(.star)
            case "/", "÷": add(.slash)
            case "⊙", "∘": add(.dotStar)
            case "'", "′", "’", "ᵀ", "⊤": add(.prime)
            case "(": add(.lparen)
            case ")": add(.rparen)
            case "{": add(.lbrace)
            case "}": add(.rbrace)
            case "[": add(.lbrack)
            case "]": add(.rbrack)
            case "_": add(.underscore)
            case "^": add(.caret)
            case ":": add(.colon)
            case "=": add(.equals)
            case "∂": add(.partial)
            case "Σ", "∑": add(.sum)
            case "∈": out.append(DToken(kind: .word("in"), index: i)); i += 1
            case "ˡ": add(.layerSuperscript)
            case "ₗ": add(.layerSubscript)
            case "½": out.append(DToken(kind: .number(0.5, "½"), index: i)); i += 1
            case "⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹":
                let start = i
                var v = 0, n = 0
                while i < end, let d = Self.superscriptDigits[s[i]] {
                    if n >= 4 { throw fail(start, "superscript power too long", fix: "write ^{…}") }
                    v = v * 10 + d; n += 1; i += 1
                }
                out.append(DToken(kind: .superscript(v), index: start))
            case "\\":
                try command(&i, &out)
            default:
                if isDigit(c) {
                    out.append(try number(&i))
                } else if let w = Self.greek[c] {
                    add(.word(w))
                } else if isLetter(c) {
                    let start = i
                    var word = ""
                    while i < end, isLetter(s[i]) { word.unicodeScalars.append(s[i]); i += 1 }
                    if Self.words.contains(word) {
                        out.append(DToken(kind: .word(word), index: start))
                    } else {
                        for (k, letter) in word.unicodeScalars.enumerated() {
                            out.append(DToken(kind: .word(String(letter)), index: start + k))
                        }
                    }
                } else {
                    throw fail(i, "unexpected character \(FormulaError.name(c))",
                               fix: "remove it; derivations use LaTeX (\\frac, \\sum, \\partial, _{ }, ^{ }) or the plain form (F[i,j], sum(i,j: …), d/dF[i*,j*] (…))")
                }
            }
        }
        out.append(DToken(kind: .end, index: end))
        return out
    }

    func number(_ i: inout Int) throws(DerivationError) -> DToken {
        let s = source.scalars
        let start = i
        var text = ""
        while i < span.upperBound, isDigit(s[i]) { text.unicodeScalars.append(s[i]); i += 1 }
        if i < span.upperBound, s[i] == ".", i + 1 < span.upperBound, isDigit(s[i + 1]) {
            text.append("."); i += 1
            while i < span.upperBound, isDigit(s[i]) { text.unicodeScalars.append(s[i]); i += 1 }
        }
        if text.hasPrefix(".") { text = "0" + text }
        guard text.count <= 30, let v = Double(text), v.isFinite else {
            throw fail(start, "'\(text)' is not a number nst can use", fix: "write a shorter number")
        }
        return DToken(kind: .number(v, text), index: start)
    }

    func command(_ i: inout Int, _ out: inout [DToken]) throws(DerivationError) {
        let s = source.scalars
        let start = i
        i += 1
        guard i < span.upperBound else { throw fail(start, "a lone '\\' at the end of the row", fix: "remove it") }
        var name = ""
        if isLetter(s[i]) {
            while i < span.upperBound, isLetter(s[i]) { name.unicodeScalars.append(s[i]); i += 1 }
        } else {
            name.unicodeScalars.append(s[i]); i += 1
        }
        func add(_ k: DToken.Kind) { out.append(DToken(kind: k, index: start)) }
        /// The braced argument's text (one scalar when unbraced).
        func argument() throws(DerivationError) -> String {
            while i < span.upperBound, s[i] == " " { i += 1 }
            guard i < span.upperBound else { throw fail(start, "\\\(name) needs an argument", fix: "write \\\(name){…}") }
            if s[i] != "{" { let t = String(Character(s[i])); i += 1; return t }
            var depth = 0, text = ""
            let open = i
            while i < span.upperBound {
                if s[i] == "{" { depth += 1; if depth == 1 { i += 1; continue } }
                if s[i] == "}" { depth -= 1; if depth == 0 { i += 1; return text } }
                text.unicodeScalars.append(s[i]); i += 1
            }
            throw fail(open, "'{' is not closed", fix: "add the matching }")
        }
        switch name {
        case "frac", "dfrac", "tfrac": add(.frac)
        case "sum": add(.sum)
        case "partial": add(.partial)
        case "alpha", "beta", "eta", "delta", "in": add(.word(name))
        case "ell": add(.word("l"))
        case "cdot", "times", "ast", "star", "bullet": add(.star)
        case "odot", "circ": add(.dotStar)
        case "top", "intercal", "mathsf{T}": add(.word("T"))
        case "prime": add(.prime)
        case "{": add(.lbrace)    // \{ … \}: braces as brackets
        case "}": add(.rbrace)
        case "vec", "mathbf{x}", "overrightarrow":
            _ = try argument()
            add(.vector)
        case "tag", "label", "nonumber", "notag":
            if name == "tag" || name == "label" { _ = try argument() }
        case "\\":
            throw fail(start, "a row break \\\\ outside an aligned block", fix: "put the rows in $$\\begin{aligned} … \\end{aligned}$$, or write one row a line")
        default:
            if Self.ignored.contains(name) {
                if name == "left" || name == "right", i < span.upperBound, s[i] == "." { i += 1 }
                if name == "quad" || name == "qquad", onlyTrailer(from: i) { i = span.upperBound }
                return
            }
            if Self.naming.contains(name) {
                let raw = try argument()
                let text = raw.filter { !$0.isWhitespace }
                if text.isEmpty { return }
                // \text{(by eq. 6)}: a remark, not a name.
                if name.hasPrefix("text") && (raw.contains(" ") || !text.unicodeScalars.allSatisfy({ isLetter($0) })) { return }
                if text.unicodeScalars.allSatisfy({ isLetter($0) }) {
                    add(.word(text.count == 1 || Self.words.contains(text) ? text : text))
                    return
                }
                throw fail(start, "\\\(name){\(text)} is not a name nst knows", fix: "use a letter or one of content, style, total")
            }
            if ["nabla", "sigma", "lambda", "gamma", "theta", "mu", "epsilon", "omega", "phi", "psi", "rho", "tau", "pi", "sqrt", "log", "exp", "int", "prod", "lim", "max", "min"].contains(name) {
                throw fail(start, "\\\(name) is not part of the derivation notation",
                           fix: "write the gradient with \\frac{\\partial …}{\\partial F_{i^*j^*}^l}, sums \\sum, δ, α, β, η, w_l, N_l, M_l (see docs/derivations.md)")
            }
            throw fail(start, "unknown command \\\(name)", fix: "derivations use \\frac, \\partial, \\sum, \\delta, \\alpha, \\beta, \\eta, \\left( \\right), \\cdot and ^{T} (see docs/derivations.md)")
        }
    }
}

// MARK: - The parser

struct RowParser {
    let tokens: [DToken]
    let source: Source
    let row: Int
    let limits: DerivationLimits
    let ids: IDCounter
    var position = 0
    var depth = 0
    /// Index variables bound by enclosing sums (their count is limited).
    var boundIndices = 0
    var inDerivative = false
    /// Layer variables bound by enclosing Σ_{k∈L} (besides l).
    var layerVariables: Set<String> = []

    init(tokens: [DToken], source: Source, row: Int, limits: DerivationLimits, ids: IDCounter) {
        self.tokens = tokens
        self.source = source
        self.row = row
        self.limits = limits
        self.ids = ids
    }

    var current: DToken { tokens[position] }
    var kind: DToken.Kind { tokens[position].kind }
    func peek(_ k: Int = 1) -> DToken.Kind { tokens[min(position + k, tokens.count - 1)].kind }
    mutating func advance() { if position < tokens.count - 1 { position += 1 } }

    func column(_ t: DToken) -> Int { source.columns[min(t.index, source.columns.count - 1)] }

    func fail(_ message: String, fix: String, at token: DToken? = nil) -> DerivationError {
        source.error(row: row, at: (token ?? current).index, message, fix: fix)
    }

    func make(_ node: DerivationExpression.Node, _ token: DToken) throws(DerivationError) -> DerivationExpression {
        let e = DerivationExpression(node, column: column(token), id: ids.take())
        if e.height > limits.maxDepth {
            throw fail("row \(row) nests more than \(limits.maxDepth) levels deep", fix: "simplify the row", at: token)
        }
        return e
    }

    static func describe(_ k: DToken.Kind) -> String {
        switch k {
        case .number(_, let t): return "the number \(t)"
        case .word(let w): return "'\(w)'"
        case .frac: return "\\frac"
        case .sum: return "a sum"
        case .partial: return "∂"
        case .vector: return "\\vec"
        case .lbrace: return "'{'"
        case .rbrace: return "'}'"
        case .lparen: return "'('"
        case .rparen: return "')'"
        case .lbrack: return "'['"
        case .rbrack: return "']'"
        case .underscore: return "'_'"
        case .caret: return "'^'"
        case .plus: return "'+'"
        case .minus: return "'-'"
        case .star: return "'*'"
        case .slash: return "'/'"
        case .dotStar: return "'.*'"
        case .prime: return "a transpose mark"
        case .comma: return "','"
        case .colon: return "':'"
        case .equals: return "'='"
        case .superscript: return "a superscript power"
        case .layerSuperscript, .layerSubscript: return "a layer mark"
        case .end: return "the end of the row"
        }
    }

    mutating func enter() throws(DerivationError) {
        depth += 1
        if depth > limits.maxDepth { throw fail("row \(row) nests more than \(limits.maxDepth) levels deep", fix: "simplify the row") }
    }

    mutating func expect(_ k: DToken.Kind, _ what: String, fix: String) throws(DerivationError) {
        guard kind == k else { throw fail("expected \(what), found \(Self.describe(kind))", fix: fix) }
        advance()
    }

    mutating func parseAll() throws(DerivationError) -> DerivationExpression {
        if case .end = kind { throw fail("the expression is empty", fix: "write an expression") }
        let e = try parseExpression()
        switch kind {
        case .end: return e
        case .rparen, .rbrace, .rbrack:
            throw fail("unmatched \(Self.describe(kind)): nothing opens it", fix: "remove it or add the opening bracket")
        default:
            throw fail("unexpected \(Self.describe(kind)) after a complete expression", fix: "join it with an operator (+, −, ·) or remove it")
        }
    }

    mutating func parseExpression() throws(DerivationError) -> DerivationExpression {
        try enter(); defer { depth -= 1 }
        var left = try parseTerm()
        while true {
            let op: DerivationExpression.Operator
            switch kind {
            case .plus: op = .add
            case .minus: op = .subtract
            default: return left
            }
            let t = current
            advance()
            let right = try parseTerm()
            left = try make(.binary(op, left, right), t)
        }
    }

    mutating func parseTerm() throws(DerivationError) -> DerivationExpression {
        try enter(); defer { depth -= 1 }
        let t = current
        switch kind {
        case .minus:
            advance()
            return try make(.negate(try parseTerm()), t)
        case .plus:
            advance()
            return try parseTerm()
        default:
            return try parseProduct()
        }
    }

    /// Whether the current token opens an operator that applies to the rest of the product.
    func atOperator() -> Bool {
        switch kind {
        case .sum, .word("sum"):
            // sum(i, j: …) is closed by its parenthesis, a factor like any other.
            return peek() != .lparen
        case .frac:
            // \frac{\partial}{\partial X}
            if peek() == .lbrace, peek(2) == .partial, peek(3) == .rbrace { return true }
            return false
        case .partial:
            return peek() == .slash || peek() == .underscore
        case .word("d"):
            return peek() == .slash
        default: return false
        }
    }

    func startsFactor() -> Bool {
        switch kind {
        case .number, .frac, .sum, .partial, .lparen, .lbrace, .lbrack: return true
        case .word(let w): return w != "in"
        default: return false
        }
    }

    mutating func parseProduct() throws(DerivationError) -> DerivationExpression {
        try enter(); defer { depth -= 1 }
        if atOperator() { return try parseOperator() }
        var left = try parseFactor()
        while true {
            let t = current
            var op: DerivationExpression.Operator = .multiply
            switch kind {
            case .star: op = .multiply; advance()
            case .slash: op = .divide; advance()
            case .dotStar: op = .hadamard; advance()
            default:
                if !startsFactor() { return left }
            }
            if atOperator() {
                let right = try parseOperator()
                return try make(.binary(op, left, right), t)
            }
            let right: DerivationExpression
            if case .minus = kind, op != .multiply || t.kind == .star {
                // a · −b
                let m = current
                advance()
                right = try make(.negate(try parseFactor()), m)
            } else {
                right = try parseFactor()
            }
            left = try make(.binary(op, left, right), t)
        }
    }

    /// A sum or a derivative operator, applied to the rest of the product.
    mutating func parseOperator() throws(DerivationError) -> DerivationExpression {
        let t = current
        switch kind {
        case .sum, .word("sum"):
            advance()
            return try parseSum(t)
        default:
            let wrt = try parseOperatorHead()
            return try derivative(wrt, t) { (p: inout RowParser) throws(DerivationError) in try p.parseOperand() }
        }
    }

    /// The operand of an operator: the rest of the product (a signed term).
    mutating func parseOperand() throws(DerivationError) -> DerivationExpression {
        if case .end = kind { throw fail("an operator needs something to apply to", fix: "write the expression after the sum or derivative") }
        return try parseTerm()
    }

    /// `\frac{\partial}{\partial X}`, `∂/∂X`, `d/dX`, `\partial_{X}` → X.
    mutating func parseOperatorHead() throws(DerivationError) -> Quantity {
        switch kind {
        case .frac:
            advance(); advance(); advance(); advance()   // \frac { \partial }
            try expect(.lbrace, "'{' opening the denominator", fix: "write \\frac{\\partial}{\\partial F_{i^*j^*}^l}")
            try expect(.partial, "\\partial in the denominator", fix: "write \\frac{\\partial}{\\partial F_{i^*j^*}^l}")
            let q = try parseVariable()
            try expect(.rbrace, "'}' closing the denominator", fix: "write \\frac{\\partial}{\\partial F_{i^*j^*}^l}")
            return q
        case .partial where peek() == .underscore:
            advance(); advance()
            if case .lbrace = kind {
                advance()
                let q = try parseVariable()
                try expect(.rbrace, "'}' closing the subscript of \\partial", fix: "write \\partial_{F_{i^*j^*}^l}")
                return q
            }
            return try parseVariable()
        default:
            // ∂/∂X or d/dX
            let isD = kind == .word("d")
            advance()
            try expect(.slash, "'/'", fix: "write d/dF[i*,j*] (…)")
            if isD { try expect(.word("d"), "'d' before the variable", fix: "write d/dF[i*,j*] (…)") }
            else { try expect(.partial, "'∂' before the variable", fix: "write ∂/∂F[i*,j*] (…)") }
            return try parseVariable()
        }
    }

    /// The variable of a derivative: an entry of F (or P, G, A) of a layer, or the matrix.
    mutating func parseVariable() throws(DerivationError) -> Quantity {
        let t = current
        let e = try parseFactor()
        guard case .quantity(let q) = e.node, q.name.isMatrix, q.step == nil || q.step == 0 else {
            throw fail("a derivative is taken with respect to an entry of a layer's matrix, not \(e.display)",
                       fix: "write \\partial F_{i^*j^*}^l (plain: dF[i*,j*])", at: t)
        }
        var v = q
        v.step = nil
        return v
    }

    mutating func derivative(_ wrt: Quantity, _ t: DToken, body: (inout RowParser) throws(DerivationError) -> DerivationExpression) throws(DerivationError) -> DerivationExpression {
        if inDerivative {
            throw fail("a derivative inside a derivative", fix: "differentiate once: nst checks first derivatives", at: t)
        }
        inDerivative = true
        defer { inDerivative = false }
        let b = try body(&self)
        return try make(.derivative(with: wrt, of: b), t)
    }

    /// After Σ: `_{i,j}`, `_k`, `_{l \in L}`, `_{i=1}^{N}`, or plain `(i, j: body)`.
    mutating func parseSum(_ t: DToken) throws(DerivationError) -> DerivationExpression {
        var names: [String] = []
        var plainBody = false
        if case .underscore = kind {
            advance()
            let group = try rawGroup()
            names = try sumNames(group, t)
            if case .caret = kind { advance(); _ = try rawGroup() }   // an upper bound: ranges come from the indices' use
        } else if case .lparen = kind {
            advance()
            var group: [DToken] = []
            while true {
                if case .colon = kind { advance(); break }
                if case .end = kind { throw fail("expected ':' after the indices of sum(", fix: "write sum(i, j: expression)") }
                group.append(current); advance()
            }
            names = try sumNames(group, t)
            plainBody = true
        } else {
            throw fail("a sum needs its indices", fix: "write \\sum_{i,j} …, \\sum_{l \\in L} … (plain: sum(i, j: …), sum(l: …))")
        }
        if names.count == 1, let name = names.first, name == "l" || name == "l'" || name.hasPrefix("layer:") {
            let variable = name.hasPrefix("layer:") ? String(name.dropFirst(6)) : name
            let saved = layerVariables
            layerVariables.insert(variable)
            defer { layerVariables = saved }
            let body = plainBody ? try parsePlainSumBody() : try parseOperand()
            return try make(.layerSum(variable, body), t)
        }
        if names.contains(where: { $0.hasPrefix("l") }) {
            throw fail("a sum over layers and indices at once", fix: "write \\sum_{l \\in L} \\sum_{i,j} …", at: t)
        }
        boundIndices += names.count
        defer { boundIndices -= names.count }
        if boundIndices > limits.maxSumIndices {
            throw fail("sums nest over more than \(limits.maxSumIndices) indices", fix: "a gradient of these losses needs at most three (i, j, k)", at: t)
        }
        let body = plainBody ? try parsePlainSumBody() : try parseOperand()
        return try make(.sum(names, body), t)
    }

    mutating func parsePlainSumBody() throws(DerivationError) -> DerivationExpression {
        let body = try parseExpression()
        try expect(.rparen, "')' closing sum(", fix: "write sum(i, j: expression)")
        return body
    }

    /// The names a sum binds: indices i, j, k (starred ones are free, not summed) or the layer l.
    func sumNames(_ group: [DToken], _ t: DToken) throws(DerivationError) -> [String] {
        var names: [String] = []
        var k = 0
        while k < group.count {
            switch group[k].kind {
            case .word("in"):
                // k ∈ L: a sum over layers, whatever the variable's name.
                if let last = names.last, !last.hasPrefix("l") { names[names.count - 1] = "layer:" + last }
                k += 2
            case .word("l") where k + 1 < group.count && group[k + 1].kind == .prime:
                names.append("l'")
                k += 2
            case .word("l") where k + 2 < group.count && group[k + 1].kind == .caret && group[k + 2].kind == .prime:
                names.append("l'")
                k += 3
            case .word(let w) where w.count == 1 && w >= "a" && w <= "z":
                if k + 1 < group.count, group[k + 1].kind == .caret || group[k + 1].kind == .star {
                    throw fail("a sum over the starred index \(w)*", fix: "i* and j* are the entry being differentiated, never summed; sum over i, j or k", at: group[k])
                }
                if names.contains(w) { throw fail("the sum names \(w) twice", fix: "name each index once", at: group[k]) }
                names.append(w)
                k += 1
                if k < group.count, group[k].kind == .equals {
                    // i = 1 … : the range follows from the index's use.
                    while k < group.count, group[k].kind != .comma { k += 1 }
                }
            case .comma: k += 1
            default:
                throw fail("expected an index (i, j, k) or l ∈ L under the sum, found \(Self.describe(group[k].kind))",
                           fix: "write \\sum_{i,j}, \\sum_k or \\sum_{l \\in L}", at: group[k])
            }
        }
        if names.isEmpty { throw fail("a sum with no index", fix: "write \\sum_{i,j} …, or \\sum_{l \\in L} …", at: t) }
        return names
    }

    /// The tokens of a script or a group: `{…}` (without the braces), `(…)` (plain), or one token.
    mutating func rawGroup() throws(DerivationError) -> [DToken] {
        let t = current
        switch kind {
        case .lbrace, .lparen:
            let (open, close): (DToken.Kind, DToken.Kind) = kind == .lbrace ? (.lbrace, .rbrace) : (.lparen, .rparen)
            var depth = 0
            var out: [DToken] = []
            while true {
                if current.kind == open { depth += 1; if depth == 1 { advance(); continue } }
                if current.kind == close { depth -= 1; if depth == 0 { advance(); return out } }
                if case .end = kind { throw fail("\(Self.describe(open)) is not closed", fix: "add the matching \(Self.describe(close))", at: t) }
                out.append(current); advance()
            }
        case .end:
            throw fail("a script needs something after _ or ^", fix: "write _{…} or ^{…}")
        case .caret, .underscore:
            throw fail("a script cannot start with \(Self.describe(kind))", fix: "write _{…} or ^{…}")
        default:
            advance()
            return [t]
        }
    }

    /// A sub-parser on a script's tokens (an exponent, say).
    func subparse(_ group: [DToken], what: String) throws(DerivationError) -> DerivationExpression {
        guard let first = group.first else { throw fail("empty \(what)", fix: "write the \(what) inside the braces") }
        var p = RowParser(tokens: group + [DToken(kind: .end, index: group.last!.index + 1)], source: source, row: row, limits: limits, ids: ids)
        p.depth = depth
        p.inDerivative = inDerivative
        p.boundIndices = boundIndices
        p.layerVariables = layerVariables
        _ = first
        return try p.parseAll()
    }

    mutating func parseFactor() throws(DerivationError) -> DerivationExpression {
        try enter(); defer { depth -= 1 }
        let t = current
        var e = try parsePrimary()
        // Postfix marks on any value: transposes, powers, steps.
        while true {
            switch kind {
            case .prime:
                advance()
                e = try make(.transpose(e), t)
            case .superscript(let n):
                advance()
                e = try make(.power(e, try make(.number(Double(n)), t)), t)
            case .underscore, .lbrack:
                // ((G − A)F)_{i^*j^*}, (…)[i*,j*]: an entry of a matrix expression. A bracket
                // is an entry only right after a closing bracket (no space): `(…)[i,j]`;
                // otherwise it opens a group multiplied in, as in `w_l \left[ … \right]`.
                if kind == .lbrack {
                    let previous = tokens[max(0, position - 1)]
                    let closes = previous.kind == .rparen || previous.kind == .rbrack || previous.kind == .rbrace
                    if !(closes && previous.index + 1 == current.index) { return e }
                }
                let mark = current
                let group: [DToken]
                if kind == .lbrack {
                    advance()
                    var g: [DToken] = []
                    while kind != .rbrack {
                        if case .end = kind { throw fail("'[' is not closed", fix: "write (…)[i,j]", at: mark) }
                        g.append(current); advance()
                    }
                    advance()
                    group = g
                } else {
                    advance()
                    group = try rawGroup()
                }
                let ix = try indices(group, of: "(…)")
                guard ix.count == 2 else {
                    throw fail("an entry takes two indices, not \(ix.count)", fix: "write ((G^l - A^l) F^l)_{i^*j^*}", at: mark)
                }
                e = try make(.entry(e, ix[0], ix[1]), mark)
            case .caret:
                let caret = current
                advance()
                let group = try rawGroup()
                e = try applySuperscript(e, group, caret)
            default:
                return e
            }
        }
    }

    static func isTranspose(_ g: [DToken]) -> Bool { g.count == 1 && g[0].kind == .word("T") }
    static func stepOf(_ g: [DToken]) -> Int? {
        if g.count == 1, g[0].kind == .word("t") { return 0 }
        if g.count == 3, g[0].kind == .word("t"), g[1].kind == .plus, case .number(1, _) = g[2].kind { return 1 }
        return nil
    }

    /// `X^T`, `(F)^t`, `(F)^{t+1}`, or a power.
    mutating func applySuperscript(_ e: DerivationExpression, _ group: [DToken], _ caret: DToken) throws(DerivationError) -> DerivationExpression {
        if Self.isTranspose(group) { return try make(.transpose(e), caret) }
        if let step = Self.stepOf(group) {
            guard case .quantity(var q) = e.node, q.name.isMatrix else {
                throw fail("^t and ^{t+1} mark the step of F, not of \(e.display)", fix: "write (F_{i^*j^*}^l)^{t+1} for F after the step", at: caret)
            }
            q.step = step
            return try make(.quantity(q), caret)
        }
        if group.count == 1, case .star = group[0].kind {
            throw fail("a star on \(e.display)", fix: "stars mark the indices i* and j*: write F_{i^*j^*}^l", at: caret)
        }
        let exponent = try subparse(group, what: "exponent")
        return try make(.power(e, exponent), caret)
    }

    mutating func parsePrimary() throws(DerivationError) -> DerivationExpression {
        let t = current
        switch kind {
        case .number(let v, let text):
            advance()
            return try make(.number(v == 0.5 && text == "½" ? 0.5 : v), t)
        case .lparen, .lbrace, .lbrack:
            let close: DToken.Kind = kind == .lparen ? .rparen : kind == .lbrace ? .rbrace : .rbrack
            advance()
            if kind == close { throw fail("empty brackets", fix: "write an expression inside them or remove them") }
            let inner = try parseExpression()
            guard kind == close else {
                throw fail("expected \(Self.describe(close)) to close \(Self.describe(t.kind)) at column \(column(t)), found \(Self.describe(kind))",
                           fix: "add \(Self.describe(close)) or remove the opening bracket")
            }
            advance()
            return inner
        case .frac:
            advance()
            if case .number(_, let text) = kind, text.count == 2, let a = Double(String(text.first!)), let b = Double(String(text.last!)) {
                // \frac12
                advance()
                return try make(.binary(.divide, try make(.number(a), t), try make(.number(b), t)), t)
            }
            guard case .lbrace = kind else { throw fail("expected '{' after \\frac", fix: "write \\frac{numerator}{denominator}") }
            if peek() == .partial {
                // \frac{\partial Y}{\partial X}
                advance(); advance()
                let numerator = try withDerivative(t) { (p: inout RowParser) throws(DerivationError) in
                    let y = try p.parseExpression()
                    try p.expect(.rbrace, "'}' closing the numerator", fix: "write \\frac{\\partial L_{total}}{\\partial F_{i^*j^*}^l}")
                    return y
                }
                try expect(.lbrace, "'{' opening the denominator", fix: "write \\frac{\\partial L_{total}}{\\partial F_{i^*j^*}^l}")
                try expect(.partial, "\\partial in the denominator", fix: "write \\frac{\\partial …}{\\partial F_{i^*j^*}^l}")
                let wrt = try parseVariable()
                try expect(.rbrace, "'}' closing the denominator", fix: "write \\frac{\\partial …}{\\partial F_{i^*j^*}^l}")
                return try make(.derivative(with: wrt, of: numerator), t)
            }
            advance()
            let numerator = try parseExpression()
            try expect(.rbrace, "'}' closing the numerator", fix: "write \\frac{numerator}{denominator}")
            try expect(.lbrace, "'{' opening the denominator", fix: "write \\frac{numerator}{denominator}")
            let denominator = try parseExpression()
            try expect(.rbrace, "'}' closing the denominator", fix: "write \\frac{numerator}{denominator}")
            return try make(.binary(.divide, numerator, denominator), t)
        case .partial, .word("d"):
            // ∂Y/∂X, dY/dX (an operator ∂/∂X is handled by the product).
            if atOperator() { return try parseOperator() }
            let isD = kind == .word("d")
            advance()
            let numerator = try withDerivative(t) { (p: inout RowParser) throws(DerivationError) in try p.parseFactor() }
            try expect(.slash, "'/' after the numerator of a derivative", fix: isD ? "write dL_total/dF[i*,j*]" : "write ∂L_total/∂F[i*,j*]")
            if isD { try expect(.word("d"), "'d' before the variable", fix: "write dL_total/dF[i*,j*]") }
            else { try expect(.partial, "'∂' before the variable", fix: "write ∂L_total/∂F[i*,j*]") }
            let wrt = try parseVariable()
            return try make(.derivative(with: wrt, of: numerator), t)
        case .sum, .word("sum"):
            return try parseOperator()
        case .word(let w):
            advance()
            return try parseSymbol(w, t)
        case .end:
            throw fail("the row ends where a value was expected", fix: "complete the expression")
        default:
            throw fail("expected a value (a number, a symbol such as F_{ij}^l, \\frac, \\sum or '('), found \(Self.describe(kind))",
                       fix: "remove \(Self.describe(kind)) or put a value before it")
        }
    }

    mutating func withDerivative(_ t: DToken, _ body: (inout RowParser) throws(DerivationError) -> DerivationExpression) throws(DerivationError) -> DerivationExpression {
        if inDerivative { throw fail("a derivative inside a derivative", fix: "differentiate once: nst checks first derivatives", at: t) }
        inDerivative = true
        defer { inDerivative = false }
        return try body(&self)
    }

    // MARK: Symbols

    static let symbolNames: Set<String> = ["F", "P", "G", "A", "N", "M", "w", "E", "L", "alpha", "beta", "eta", "delta"]

    /// A layer script: `l`, `l'` (`l^\prime`), a layer variable a Σ_{k∈L} binds, or a number.
    func isLayerToken(_ g: [DToken]) -> LayerReference? {
        if g.count == 2, g[0].kind == .word("l"), g[1].kind == .prime { return .variable("l'") }
        if g.count == 3, g[0].kind == .word("l"), g[1].kind == .caret, g[2].kind == .prime { return .variable("l'") }
        guard g.count == 1 else { return nil }
        switch g[0].kind {
        case .word("l"): return .variable("l")
        case .word(let v) where layerVariables.contains(v): return .variable(v)
        case .number(let v, let text) where v >= 1 && v <= 99 && v == v.rounded() && !text.contains("."): return .number(Int(v))
        default: return nil
        }
    }

    /// Index names from a script: `ij`, `i,j`, `i^*j^*`, `i i^*`, `i*, j*`.
    func indices(_ g: [DToken], of symbol: String) throws(DerivationError) -> [String] {
        var out: [String] = []
        var k = 0
        while k < g.count {
            switch g[k].kind {
            case .comma: k += 1
            case .word(let w) where w.count == 1 && w >= "a" && w <= "z" && w != "l" && w != "t" && w != "d":
                var name = w
                k += 1
                if k < g.count, g[k].kind == .star { name += "*"; k += 1 }
                else if k + 1 < g.count, g[k].kind == .caret, g[k + 1].kind == .star { name += "*"; k += 2 }
                else if k + 3 < g.count + 1, k + 1 < g.count, g[k].kind == .caret, g[k + 1].kind == .lbrace,
                        k + 3 < g.count, g[k + 2].kind == .star, g[k + 3].kind == .rbrace { name += "*"; k += 4 }
                out.append(name)
            default:
                throw fail("expected an index (i, j, k, i*, j*) in the subscript of \(symbol), found \(Self.describe(g[k].kind))",
                           fix: "write \(symbol)_{ij}^l or \(symbol)_{i^*j^*}^l (plain: \(symbol)[i,j])", at: g[k])
            }
        }
        return out
    }

    /// A symbol with its scripts: `F_{ij}^l`, `F^l_{i^*j^*}`, `F[i,j]`, `w_l`, `N_l^2`,
    /// `L_{content}^l`, `E_l`, `\delta_{ii^*}`, `\alpha`.
    mutating func parseSymbol(_ w: String, _ t: DToken) throws(DerivationError) -> DerivationExpression {
        guard Self.symbolNames.contains(w) else {
            let fix: String
            switch w {
            case "i", "j", "k": fix = "\(w) is an index: use it in an entry such as F_{\(w)j}^l, or sum over it"
            case "l": fix = "l is the layer: write it as a script, as in F^l, w_l, N_l"
            case "t": fix = "t marks the step: write (F_{i^*j^*}^l)^t"
            case "T": fix = "for a transpose write (F^l)^T"
            case "x", "p", "a": fix = "the images are arguments of a loss: write L_{content}(\\vec{p}, \\vec{x}), or leave them out"
            default: fix = "the symbols are F, P, G, A, N, M, w, α, β, η, δ, E, L_{content}, L_{style}, L_{total} (see docs/derivations.md)"
            }
            throw fail("unknown symbol '\(w)'", fix: fix, at: t)
        }
        // Collect the scripts in order.
        var subs: [[DToken]] = [], sups: [[DToken]] = [], brackets: [[DToken]] = []
        var supFirstOrder: [Bool] = []   // for each superscript: did it come before any index?
        var sawIndices = false
        var extraSuperscripts: [(DToken, [DToken])] = []
        loop: while true {
            switch kind {
            case .underscore:
                advance()
                let g = try rawGroup()
                subs.append(g)
                if isLayerToken(g) == nil { sawIndices = true }
            case .caret:
                let caret = current
                let save = position
                advance()
                let g = try rawGroup()
                // T, t and t+1 are marks on the value, applied after the symbol.
                if Self.isTranspose(g) || Self.stepOf(g) != nil {
                    position = save
                    break loop
                }
                sups.append(g); supFirstOrder.append(!sawIndices)
                _ = caret
                extraSuperscripts.append((caret, g))
            case .layerSuperscript:
                advance(); sups.append([DToken(kind: .word("l"), index: current.index)]); supFirstOrder.append(true)
            case .layerSubscript:
                advance(); subs.append([DToken(kind: .word("l"), index: current.index)])
            case .lbrack where ["F", "P", "G", "A", "delta"].contains(w):
                advance()
                var g: [DToken] = []
                while kind != .rbrack {
                    if case .end = kind { throw fail("'[' is not closed", fix: "write \(w)[i,j]", at: t) }
                    g.append(current); advance()
                }
                advance()
                brackets.append(g); sawIndices = true
            case .lparen where w == "delta":
                let g = try rawGroup()
                brackets.append(g)
            default:
                break loop
            }
        }
        var powers: [DerivationExpression] = []
        var quantity: Quantity
        func layerOrFail(_ g: [DToken], _ symbol: String) throws(DerivationError) -> LayerReference {
            if let l = isLayerToken(g) { return l }
            throw fail("expected a layer (l or a number) as the script of \(symbol)", fix: "write \(symbol)_l", at: g.first ?? t)
        }
        switch w {
        case "F", "P", "G", "A":
            var layer: LayerReference?
            var idx: [String]?
            for g in subs {
                if let l = isLayerToken(g), layer == nil { layer = l; continue }
                if idx != nil { throw fail("\(w) has two index subscripts", fix: "write \(w)_{ij}^l", at: g.first ?? t) }
                idx = try indices(g, of: w)
            }
            for g in brackets {
                if idx != nil { throw fail("\(w) has indices twice", fix: "write \(w)[i,j]", at: g.first ?? t) }
                idx = try indices(g, of: w)
            }
            for (k, g) in sups.enumerated() {
                if g.count == 1, g[0].kind == .star {
                    throw fail("a star on \(w)", fix: "stars mark the indices i* and j*: write \(w)_{i^*j^*}^l", at: g[0])
                }
                _ = supFirstOrder[k]
                if let l = isLayerToken(g), layer == nil {
                    layer = l
                } else {
                    powers.append(try subparse(g, what: "exponent"))
                }
            }
            let ix = idx ?? []
            if !(ix.isEmpty || ix.count == 2) {
                throw fail("\(w) takes two indices (row, column), not \(ix.count)", fix: "write \(w)_{ij}^l, or \(w)^l for the matrix", at: t)
            }
            quantity = Quantity(Quantity.Name(rawValue: w)!, layer: layer ?? .variable("l"), indices: ix)
        case "N", "M", "w", "E":
            var layer: LayerReference?
            for g in subs {
                if layer != nil { throw fail("\(w) has two layer subscripts", fix: "write \(w)_l", at: g.first ?? t) }
                layer = try layerOrFail(g, w)
            }
            for g in sups {
                if layer == nil, let l = isLayerToken(g), case .variable = l { layer = l; continue }
                powers.append(try subparse(g, what: "exponent"))
            }
            let name: Quantity.Name = w == "E" ? .styleLayer : Quantity.Name(rawValue: w)!
            quantity = Quantity(name, layer: layer ?? .variable("l"))
        case "L":
            var kindWord: String?
            var layer: LayerReference?
            for g in subs + sups {
                var rest = g.filter { $0.kind != .comma }
                if let first = rest.first, case .word(let word) = first.kind, ["content", "style", "total"].contains(word) {
                    if kindWord != nil { throw fail("L has two names", fix: "write L_{content}, L_{style} or L_{total}", at: first) }
                    kindWord = word
                    rest.removeFirst()
                    // L_{content,l}, L_{content}^l: a layer after the name.
                    if rest.isEmpty { continue }
                    if rest.count >= 1, rest[0].kind == .underscore { rest.removeFirst() }
                }
                if rest.isEmpty { continue }
                guard let l = isLayerToken(rest), layer == nil else {
                    if kindWord != nil, layer != nil {
                        powers.append(try subparse(rest, what: "exponent")); continue
                    }
                    throw fail("expected content, style or total (and a layer l) as the script of L", fix: "write L_{content}^l, L_{content}, L_{style} or L_{total}", at: rest.first ?? t)
                }
                layer = l
            }
            guard let kindWord else {
                throw fail("L alone does not name a loss", fix: "write L_{content}^l, L_{content}, L_{style} or L_{total}", at: t)
            }
            switch (kindWord, layer) {
            case ("content", nil): quantity = Quantity(.contentTotal)
            case ("content", let l?): quantity = Quantity(.contentLayer, layer: l)
            case ("style", nil): quantity = Quantity(.styleTotal)
            case ("style", let l?): quantity = Quantity(.styleLayer, layer: l)
            case ("total", nil): quantity = Quantity(.total)
            default:
                throw fail("L_{total} has no layer", fix: "write L_{total}", at: t)
            }
        case "alpha", "beta", "eta":
            for g in subs where !(g.count == 1 && (g[0].kind == .word("t") || g[0].kind == .word("l"))) {
                throw fail("\(w) takes no subscript", fix: "write \\\(w)", at: g.first ?? t)
            }
            for g in sups { powers.append(try subparse(g, what: "exponent")) }
            quantity = Quantity(Quantity.Name(rawValue: w)!)
        default:   // delta
            let groups = subs + brackets
            guard groups.count == 1 else {
                throw fail("δ takes one pair of indices", fix: "write \\delta_{ii^*} (plain: delta(i, i*))", at: t)
            }
            let ix = try indices(groups[0], of: "δ")
            guard ix.count == 2 else {
                throw fail("δ takes two indices, not \(ix.count)", fix: "write \\delta_{ii^*} (plain: delta(i, i*))", at: t)
            }
            var e = try make(.delta(ix[0], ix[1]), t)
            for g in sups { e = try make(.power(e, try subparse(g, what: "exponent")), t) }
            return e
        }
        var e = try make(.quantity(quantity), t)
        for p in powers { e = try make(.power(e, p), t) }
        // L_{content}(\vec{p}, \vec{x}): the images a loss depends on, not a product.
        if quantity.name.isLoss, case .lparen = kind {
            let save = position
            let g = try rawGroup()
            if g.contains(where: { $0.kind == .vector }) || g.allSatisfy({ if case .word(let x) = $0.kind { return ["p", "x", "a"].contains(x) } else { return $0.kind == .comma } }) {
                return e
            }
            position = save
        }
        return e
    }
}
