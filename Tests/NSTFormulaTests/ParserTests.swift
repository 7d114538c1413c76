import Testing
@testable import NSTFormula

/// Good input: how it is read (canonical ASCII, Unicode) and its shape.
@Suite("Formula parsing: good input")
struct GoodInputTests {
    struct Case: CustomStringConvertible, Sendable {
        var input: String
        var ascii: String
        var unicode: String
        var shape: String
        var description: String { input }
    }

    static let cases: [Case] = [
        Case(input: "F - P", ascii: "F - P", unicode: "F − P", shape: "N×M"),
        Case(input: "F−P", ascii: "F - P", unicode: "F − P", shape: "N×M"),
        Case(input: "(G - A)*F/(N^2*M^2)", ascii: "(G - A)*F / (N^2*M^2)", unicode: "(G − A)·F / (N²·M²)", shape: "N×M"),
        Case(input: "(G − A)·F / (N²·M²)", ascii: "(G - A)*F / (N^2*M^2)", unicode: "(G − A)·F / (N²·M²)", shape: "N×M"),
        Case(input: "(F'*(G-A))'/(N^2*M^2)", ascii: "(F'*(G - A))' / (N^2*M^2)", unicode: "(Fᵀ·(G − A))ᵀ / (N²·M²)", shape: "N×M"),
        Case(input: "F^T*(G - A)", ascii: "F'*(G - A)", unicode: "Fᵀ·(G − A)", shape: "M×N"),
        Case(input: "Fᵀ×(G − A)", ascii: "F'*(G - A)", unicode: "Fᵀ·(G − A)", shape: "M×N"),
        Case(input: "transpose(F)", ascii: "transpose(F)", unicode: "transpose(F)", shape: "M×N"),
        Case(input: "F''", ascii: "F''", unicode: "Fᵀᵀ", shape: "N×M"),
        Case(input: "alpha*(F - P)", ascii: "alpha*(F - P)", unicode: "α·(F − P)", shape: "N×M"),
        Case(input: "α*β*η*w_l", ascii: "alpha*beta*eta*w", unicode: "α·β·η·w", shape: "scalar"),
        Case(input: "F_l - P_l", ascii: "F - P", unicode: "F − P", shape: "N×M"),
        Case(input: "F .* step(F)", ascii: "F .* step(F)", unicode: "F ⊙ step(F)", shape: "N×M"),
        Case(input: "F⊙relu(P)", ascii: "F .* relu(P)", unicode: "F ⊙ relu(P)", shape: "N×M"),
        Case(input: "F ./ (P + F)", ascii: "F ./ (P + F)", unicode: "F ./ (P + F)", shape: "N×M"),
        Case(input: "sum((F - P).*(F - P))/2", ascii: "sum((F - P) .* (F - P)) / 2", unicode: "sum((F − P) ⊙ (F − P)) / 2", shape: "scalar"),
        Case(input: "tr(G)", ascii: "tr(G)", unicode: "tr(G)", shape: "scalar"),
        Case(input: "trace(A)", ascii: "tr(A)", unicode: "tr(A)", shape: "scalar"),
        Case(input: "-F", ascii: "-F", unicode: "−F", shape: "N×M"),
        Case(input: "--F", ascii: "-(-F)", unicode: "−(−F)", shape: "N×M"),
        Case(input: "+F", ascii: "F", unicode: "F", shape: "N×M"),
        Case(input: "-N^2", ascii: "-N^2", unicode: "−N²", shape: "scalar"),
        Case(input: "(-N)^2", ascii: "(-N)^2", unicode: "(−N)²", shape: "scalar"),
        Case(input: "2^-1", ascii: "2^(-1)", unicode: "2⁻¹", shape: "scalar"),
        Case(input: "N⁻¹", ascii: "N^(-1)", unicode: "N⁻¹", shape: "scalar"),
        Case(input: "2^3^2", ascii: "2^(3^2)", unicode: "2^(3²)", shape: "scalar"),
        Case(input: "N^(1/2)", ascii: "N^(1 / 2)", unicode: "N^(1 / 2)", shape: "scalar"),
        Case(input: "a - (b - c)".replacingOccurrences(of: "a", with: "F").replacingOccurrences(of: "b", with: "P").replacingOccurrences(of: "c", with: "F"),
             ascii: "F - (P - F)", unicode: "F − (P − F)", shape: "N×M"),
        Case(input: "F*(F'*F)", ascii: "F*(F'*F)", unicode: "F·(Fᵀ·F)", shape: "N×M"),
        Case(input: "0.5*F + 1e-3*P", ascii: "0.5*F + 1e-3*P", unicode: "0.5·F + 1e-3·P", shape: "N×M"),
        Case(input: ".5*F", ascii: ".5*F", unicode: ".5·F", shape: "N×M"),
        Case(input: "2.*F", ascii: "2 .* F", unicode: "2 ⊙ F", shape: "N×M"),
        Case(input: "F/2/2", ascii: "F / 2 / 2", unicode: "F / 2 / 2", shape: "N×M"),
        Case(input: "F/(2*2)", ascii: "F / (2*2)", unicode: "F / (2·2)", shape: "N×M"),
        Case(input: "\tF\n-\u{00A0}P ", ascii: "F - P", unicode: "F − P", shape: "N×M"),
        Case(input: "F*-P'", ascii: "F*(-P')", unicode: "F·(−Pᵀ)", shape: "N×N"),
    ]

    @Test(arguments: cases)
    func reads(_ c: Case) throws {
        let e = try Formula.parse(c.input)
        #expect(e.ascii == c.ascii)
        #expect(e.unicode == c.unicode)
        let shape = try Formula.inferShape(e, symbols: .standard(), input: c.input)
        #expect(shape.symbolic == c.shape)
        // Both printings read back as the same tree.
        #expect(try Formula.parse(e.unicode).ascii == e.ascii)
        #expect(try Formula.parse(e.ascii).unicode == e.unicode)
    }
}

/// Malformed input: the stage that refuses it, the column, and words of the message.
@Suite("Formula parsing: malformed input")
struct MalformedInputTests {
    struct Case: CustomStringConvertible, Sendable {
        var input: String
        var kind: FormulaError.Kind
        var column: Int
        var words: String
        var description: String { input.count > 40 ? String(input.prefix(40)) + "…" : input }
    }

    static let cases: [Case] = [
        Case(input: "", kind: .parse, column: 1, words: "empty"),
        Case(input: "   ", kind: .parse, column: 4, words: "empty"),
        Case(input: "F -", kind: .parse, column: 4, words: "ends where a value was expected"),
        Case(input: "(F - P", kind: .parse, column: 7, words: "expected ')' to close '(' at column 1"),
        Case(input: "F - P)", kind: .parse, column: 6, words: "unmatched ')'"),
        Case(input: "2F", kind: .parse, column: 2, words: "no implicit multiplication"),
        Case(input: "(G - A)F", kind: .parse, column: 8, words: "write * for a product"),
        Case(input: "alpha(F - P)", kind: .parse, column: 1, words: "'alpha' is a symbol, not a function: for a product write alpha*(…)"),
        Case(input: "F(G)", kind: .parse, column: 1, words: "for a product write F*(…)"),
        Case(input: "relu F", kind: .parse, column: 1, words: "relu is a function: write relu(X)"),
        Case(input: "sum(F, P)", kind: .parse, column: 6, words: "takes one argument"),
        Case(input: "F + * P", kind: .parse, column: 5, words: "expected a value"),
        Case(input: "()", kind: .parse, column: 2, words: "empty parentheses"),
        Case(input: "'F", kind: .parse, column: 1, words: "transpose mark needs something before it"),
        Case(input: "²", kind: .parse, column: 1, words: "needs a base"),
        Case(input: "F . P", kind: .parse, column: 3, words: "a lone '.'"),
        Case(input: "F # P", kind: .parse, column: 3, words: "unexpected character '#'"),
        Case(input: "F\u{0}P", kind: .parse, column: 2, words: "U+0000"),
        Case(input: "F \u{FFFD}", kind: .parse, column: 3, words: "U+FFFD"),
        Case(input: "[F]", kind: .parse, column: 1, words: "use ( ) for grouping"),
        Case(input: "1e999*F", kind: .parse, column: 1, words: "too large for a Double"),
        Case(input: "N^", kind: .parse, column: 2, words: "needs an exponent"),
        Case(input: "F*(G - A)", kind: .shape, column: 2, words: "cannot multiply F (N×M) by (G − A) (N×N)"),
        Case(input: "F + G", kind: .shape, column: 3, words: "cannot add F (N×M) and G (N×N)"),
        Case(input: "F - 1", kind: .shape, column: 3, words: "cannot subtract the scalar 1 from F (N×M)"),
        Case(input: "F / G", kind: .shape, column: 3, words: "cannot divide by G (N×N)"),
        Case(input: "F^2", kind: .shape, column: 2, words: "^ raises scalars to powers"),
        Case(input: "F^1e308", kind: .shape, column: 2, words: "^ raises scalars to powers"),
        Case(input: "N^F", kind: .shape, column: 2, words: "exponent F (N×M) must be a scalar"),
        Case(input: "tr(F)", kind: .shape, column: 1, words: "tr needs a square matrix"),
        Case(input: "F .* G", kind: .shape, column: 3, words: "elementwise product of F (N×M) and G (N×N)"),
        Case(input: "F - Q", kind: .shape, column: 5, words: "unknown symbol 'Q'"),
        Case(input: "f - P", kind: .shape, column: 1, words: "did you mean F?"),
        Case(input: "GF", kind: .shape, column: 1, words: "for a product write G*F"),
        Case(input: "F^ T", kind: .shape, column: 4, words: "for the transpose write"),
        Case(input: "F'*F*F", kind: .shape, column: 5, words: "cannot multiply"),
        // Fix hints (issue 19).
        Case(input: "w₁*F", kind: .parse, column: 1, words: "w₁ is layer 1's; the formula is for any layer l: write w (or w_l)"),
        Case(input: "α₂*F", kind: .parse, column: 1, words: "α₂ is layer 2's; the formula is for any layer l: write alpha (or alpha_l)"),
        Case(input: "w_1*F", kind: .shape, column: 1, words: "w_1 is layer 1's; the formula is for any layer l: write w (or w_l)"),
        Case(input: "F**2", kind: .parse, column: 2, words: "'**' is not an operator: for a power of scalars write ^ (N^2), for an elementwise product .* (F.*F)"),
        Case(input: "sin(F)", kind: .parse, column: 1, words: "'sin' is not a function of the language; its functions are sum, relu, step, tr, transpose"),
        Case(input: "exp(F - P)", kind: .parse, column: 1, words: "its functions are"),
    ]

    @Test func unknownFunctionsAreNotCalledSymbols() throws {
        do { _ = try Formula.parse("sin(F)"); Issue.record("accepted") } catch {
            #expect(!error.message.contains("product"), "\(error.message)")
            #expect(!error.message.contains("symbol"), "\(error.message)")
        }
    }

    @Test func layerMarksCopiedFromPromptsAreRead() throws {
        for (input, ascii) in [("Fˡ - Pˡ", "F - P"), ("wₗ*Fˡ", "w*F"), ("α_l*(F - P)", "alpha*(F - P)"), ("αˡ*β_l*η*F", "alpha*beta*eta*F"),
                               ("alpha_l*w_l*F", "alpha*w*F")] {
            let e = try Formula.parse(input)
            #expect(e.ascii == ascii, "\(input) → \(e.ascii)")
            _ = try Formula.inferShape(e, symbols: .standard(), input: input)
        }
    }

    @Test(arguments: cases)
    func refused(_ c: Case) {
        do {
            let e = try Formula.parse(c.input)
            _ = try Formula.inferShape(e, symbols: .standard(), input: c.input)
            Issue.record("accepted \(c.input)")
        } catch {
            #expect(error.kind == c.kind, "\(error)")
            #expect(error.column == c.column, "\(error)")
            #expect(error.message.contains(c.words), "\(error.message)")
            // The rendering shows the input and a caret under the column.
            let lines = error.rendered.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 3)
            if c.input.unicodeScalars.count < 60 {
                #expect(lines[1].unicodeScalars.count == c.column, "caret at \(lines[1].unicodeScalars.count)")
            }
        }
    }

    @Test func shapeErrorSpeaksInSizesWhenBound() throws {
        let input = "F*(G - A)"
        let e = try Formula.parse(input)
        #expect(throws: FormulaError.self) { try Formula.inferShape(e, symbols: .standard(n: 64, m: 25), input: input) }
        do { _ = try Formula.inferShape(e, symbols: .standard(n: 64, m: 25), input: input) } catch {
            #expect(error.message.hasPrefix("cannot multiply F (N×M = 64×25) by (G − A) (N×N = 64×64)"))
            #expect(error.message.contains("(G − A)·F would be defined"))
            #expect(error.rendered == "F*(G - A)\n ^\ncolumn 2: \(error.message)")
        }
    }
}

/// Hostile input (issue 7): limits, not crashes.
@Suite("Formula limits")
struct LimitTests {
    func error(_ input: String, limits: FormulaLimits = .default) -> FormulaError? {
        do { _ = try Formula.parse(input, limits: limits); return nil } catch { return error }
    }

    @Test func hundredThousandNestedParenthesesAreRefusedNotOverflowed() {
        let deep = String(repeating: "(", count: 100_000) + "F" + String(repeating: ")", count: 100_000)
        let tooLong = error(deep)
        #expect(tooLong?.message.contains("the limit is 2000") == true)
        // Even with the length limit raised, depth is checked before the stack can overflow.
        let tooDeep = error(deep, limits: FormulaLimits(maxLength: 300_000))
        #expect(tooDeep?.message.contains("nests more than 100 levels") == true)
        #expect(tooDeep?.column == 101)
    }

    @Test func longChainsAndSignsAreDepthChecked() {
        let chain = Array(repeating: "F", count: 500).joined(separator: "+")
        #expect(error(chain)?.message.contains("nests more than 100 levels") == true)
        #expect(error(String(repeating: "-", count: 1000) + "F")?.message.contains("nests more than") == true)
        #expect(error(Array(repeating: "F", count: 90).joined(separator: "+")) == nil)
    }

    @Test func oneMegabyteIsRefusedWithAWindowedRendering() {
        let big = String(repeating: "F+", count: 500_000) + "F"
        let e = error(big)
        #expect(e?.column == 2001)
        #expect((e?.rendered.count ?? 0) < 300)
    }

    @Test func invalidUTF8IsRefused() {
        let bytes: [UInt8] = [0x46, 0x20, 0xFF, 0xFE, 0x2D, 0x20, 0x50]
        let s = String(decoding: bytes, as: UTF8.self)
        #expect(error(s)?.message.contains("U+FFFD") == true)
    }
}

/// Inputs the fuzzer (`scripts/fuzz.sh formula`) found breaking a property; each stays a test.
@Suite("Fuzzer regressions")
struct FuzzRegressionTests {
    static let inputs: [String] = [
        "-N^-2^3^-N^-0 + 2^36 ^5 -0",   // −0 printed as the superscript ⁰ lost its sign
        "i^T_l",                       // exponent symbol T_l → T printed as ^T, a transpose
        "ii^\t\t\tT^T\t",              // exponent (T)ᵀ printed as ^Tᵀ
        "F_l_l-F - eta_l-F ",          // F_l_l → F_l, which read back as F
        "sum_l-F - et/4",              // sum_l became a symbol named like a function
    ]

    /// A formula that parses prints, in Unicode and in ASCII, as text that reads back as the same tree.
    @Test(arguments: inputs)
    func printsReadBack(_ input: String) {
        guard let e = try? Formula.parse(input) else { return }
        for printed in [e.unicode, e.ascii] {
            #expect((try? Formula.parse(printed))?.ascii == e.ascii, "\(input) → \(printed)")
        }
    }

    @Test func canonicalSymbolsAreIdempotent() throws {
        for name in ["F_l_l", "w_l", "_l_l", "sum_l", "T_l"] {
            let c = Formula.canonicalSymbol(name)
            #expect(Formula.canonicalSymbol(c) == c)
        }
        #expect(throws: FormulaError.self) { try Formula.parse("sum_l - F") }
        #expect(try Formula.parse("sum_l(F)").ascii == "sum(F)")
    }
}

@Suite("Rendering helper")
struct RenderingTests {
    @Test func unicodeRendersOrGivesNil() {
        #expect(Formula.unicode("(G - A)*F/(N^2*M^2)") == "(G − A)·F / (N²·M²)")
        #expect(Formula.unicode("F'*(G - A)/(N^2*M^2)") == "Fᵀ·(G − A) / (N²·M²)")
        #expect(Formula.unicode("F - eta*alpha*(F - P)") == "F − η·α·(F − P)")
        #expect(Formula.unicode("2F") == nil)
    }
}
