/// The formula language's parser: recursive descent over the token list, one function per
/// precedence level, loosest first:
///
///     expression := term (("+" | "-") term)*
///     term       := unary (("*" | "/" | ".*" | "./") unary)*
///     unary      := ("-" | "+") unary | power
///     power      := postfix ("^" unary | superscript)?
///     postfix    := primary ("'" | "^T" | "ᵀ")*
///     primary    := number | symbol | function "(" expression ")" | "(" expression ")"
///
/// So `-F^2` is −(F²), `2^-1` is ½, `a*b'` is a·(bᵀ) and `N^2*M^2` is (N²)·(M²).
/// There is no implicit multiplication: `2F` or `(G - A)F` is an error that says to write `*`.
/// Recursion is depth-checked against `FormulaLimits.maxDepth` (100 000 nested parentheses
/// give an error, not a stack overflow) and so is the height of the tree built by loops.
public enum Formula {
    /// Parse `input` into an expression tree. Errors carry the column and a caret rendering.
    public static func parse(_ input: String, limits: FormulaLimits = .default) throws(FormulaError) -> Expression {
        var p = Parser(tokens: try Lexer.tokenize(input, limits: limits), input: input, limits: limits)
        return try p.parseAll()
    }

    /// Canonical symbol name: `α` and `alpha` are the same symbol; a layer subscript `_l`
    /// (`w_l`, `F_l`, `N_l`) is dropped because every formula is about one layer l.
    public static func canonicalSymbol(_ name: String) -> String {
        var name = name
        while name.count > 2, name.hasSuffix("_l") { name = String(name.dropLast(2)) }
        return name
    }
}

struct Parser {
    let tokens: [Token]
    let input: String
    let limits: FormulaLimits
    var position = 0
    var depth = 0

    init(tokens: [Token], input: String, limits: FormulaLimits) {
        self.tokens = tokens
        self.input = input
        self.limits = limits
    }

    var current: Token { tokens[position] }
    mutating func advance() { if position < tokens.count - 1 { position += 1 } }

    func error(_ message: String, at column: Int) -> FormulaError {
        FormulaError(.parse, message, column: column, input: input)
    }

    static func describe(_ k: Token.Kind) -> String {
        switch k {
        case .number(_, let text): return "the number \(text)"
        case .identifier(let s): return "'\(s)'"
        case .plus: return "'+'"
        case .minus: return "'-'"
        case .star: return "'*'"
        case .slash: return "'/'"
        case .dotStar: return "'.*'"
        case .dotSlash: return "'./'"
        case .caret: return "'^'"
        case .transpose: return "a transpose mark"
        case .superscript: return "a superscript power"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .comma: return "','"
        case .end: return "the end of the formula"
        }
    }

    /// Builds a node, refusing trees taller than the limit (long chains like F+F+…+F).
    func make(_ node: Expression.Node, _ column: Int) throws(FormulaError) -> Expression {
        let e = Expression(node, column: column)
        if e.height > limits.maxDepth {
            throw error("the formula nests more than \(limits.maxDepth) levels deep; simplify it", at: column)
        }
        return e
    }

    mutating func enter(_ column: Int) throws(FormulaError) {
        depth += 1
        if depth > limits.maxDepth {
            throw error("the formula nests more than \(limits.maxDepth) levels deep (parentheses or signs); simplify it", at: column)
        }
    }

    mutating func parseAll() throws(FormulaError) -> Expression {
        if case .end = current.kind { throw error("the formula is empty", at: current.column) }
        let e = try parseExpression()
        switch current.kind {
        case .end: return e
        case .rightParen: throw error("unmatched ')': no '(' opens it", at: current.column)
        default: throw error("unexpected \(Self.describe(current.kind)) after a complete formula", at: current.column)
        }
    }

    mutating func parseExpression() throws(FormulaError) -> Expression {
        var left = try parseTerm()
        while true {
            let op: Expression.BinaryOperator
            switch current.kind {
            case .plus: op = .add
            case .minus: op = .subtract
            default: return left
            }
            let column = current.column
            advance()
            let right = try parseTerm()
            left = try make(.binary(op, left, right), column)
        }
    }

    mutating func parseTerm() throws(FormulaError) -> Expression {
        var left = try parseUnary()
        while true {
            let op: Expression.BinaryOperator
            switch current.kind {
            case .star: op = .multiply
            case .slash: op = .divide
            case .dotStar: op = .hadamard
            case .dotSlash: op = .elementwiseDivide
            case .number, .identifier, .leftParen:
                throw error("missing operator before \(Self.describe(current.kind)): write * for a product (there is no implicit multiplication)", at: current.column)
            default: return left
            }
            let column = current.column
            advance()
            if op == .multiply, case .star = current.kind, current.column == column + 1 {
                throw error("'**' is not an operator: for a power of scalars write ^ (N^2), for an elementwise product .* (F.*F)", at: column)
            }
            let right = try parseUnary()
            left = try make(.binary(op, left, right), column)
        }
    }

    mutating func parseUnary() throws(FormulaError) -> Expression {
        let column = current.column
        try enter(column)
        defer { depth -= 1 }
        switch current.kind {
        case .minus:
            advance()
            return try make(.negate(try parseUnary()), column)
        case .plus:
            advance()
            return try parseUnary()
        default:
            return try parsePower()
        }
    }

    mutating func parsePower() throws(FormulaError) -> Expression {
        let base = try parsePostfix()
        switch current.kind {
        case .caret:
            let column = current.column
            advance()
            if case .end = current.kind { throw error("'^' needs an exponent, as in N^2", at: column) }
            let exponent = try parseUnary()
            return try make(.power(base, exponent), column)
        case .superscript(let n):
            let column = current.column
            advance()
            let exponent = try make(.number(Double(n), text: String(n)), column)
            return try make(.power(base, exponent), column)
        default:
            return base
        }
    }

    mutating func parsePostfix() throws(FormulaError) -> Expression {
        var e = try parsePrimary()
        while case .transpose = current.kind {
            e = try make(.transpose(e), current.column)
            advance()
        }
        return e
    }

    mutating func parsePrimary() throws(FormulaError) -> Expression {
        let token = current
        switch token.kind {
        case .number(let v, let text):
            advance()
            return try make(.number(v, text: text), token.column)
        case .identifier(let name):
            advance()
            let canonical = Formula.canonicalSymbol(name)
            let function = Expression.Function(rawValue: canonical == "trace" ? "tr" : canonical)
            if case .leftParen = current.kind {
                guard let function else {
                    let known = Expression.Function.allCases.map(\.rawValue).joined(separator: ", ")
                    if SymbolTable.standard().shapes[canonical] != nil {
                        throw error("'\(name)' is a symbol, not a function: for a product write \(name)*(…)", at: token.column)
                    }
                    throw error("'\(name)' is not a function of the language; its functions are \(known)", at: token.column)
                }
                let open = current.column
                advance()
                let argument = try parseExpression()
                if case .comma = current.kind {
                    throw error("\(function.rawValue) takes one argument", at: current.column)
                }
                guard case .rightParen = current.kind else {
                    throw error("expected ')' to close \(function.rawValue)( at column \(open), found \(Self.describe(current.kind))", at: current.column)
                }
                advance()
                return try make(.call(function, argument), token.column)
            }
            if let function {
                throw error("\(function.rawValue) is a function: write \(function.rawValue)(X)", at: token.column)
            }
            return try make(.symbol(canonical), token.column)
        case .leftParen:
            advance()
            if case .rightParen = current.kind { throw error("empty parentheses", at: current.column) }
            let inner = try parseExpression()
            guard case .rightParen = current.kind else {
                throw error("expected ')' to close '(' at column \(token.column), found \(Self.describe(current.kind))", at: current.column)
            }
            advance()
            return inner
        case .end:
            throw error("the formula ends where a value was expected", at: token.column)
        case .transpose:
            throw error("a transpose mark needs something before it, as in F'", at: token.column)
        case .superscript:
            throw error("a superscript power needs a base, as in N²", at: token.column)
        default:
            throw error("expected a value (a number, a symbol such as F, or '('), found \(Self.describe(token.kind))", at: token.column)
        }
    }
}

extension Formula {
    /// The formula in Unicode maths (`(G − A)·F / (N²·M²)`), or nil when it does not parse:
    /// for rendering typed or stored formulas (the quiz's keys, say).
    public static func unicode(_ input: String) -> String? {
        (try? parse(input))?.unicode
    }
}
