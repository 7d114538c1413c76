import Foundation

/// What the formula checker said about one answer, in the quiz's own terms (so the quiz's
/// session and reports do not depend on the checker's types; NSTCheckGrader adapts NSTCheck).
public struct FormulaOutcome: Sendable, Equatable {
    public enum Verdict: String, Sendable { case correct, incorrect, invalid }
    public struct Diagnosis: Sendable, Equatable, Codable { public var kind: String; public var message: String
        public init(kind: String, message: String) { self.kind = kind; self.message = message } }
    public var verdict: Verdict
    public var diagnoses: [Diagnosis]
    /// The parsed formula in Unicode math with shapes (empty when it did not parse).
    public var echo: String
    /// The checker's one-paragraph summary (for `invalid`: the parse or shape error, with a caret).
    public var message: String
    /// For `invalid`: the 1-based column of the formula where reading it failed, when known.
    public var column: Int?
    public init(verdict: Verdict, diagnoses: [Diagnosis], echo: String, message: String, column: Int? = nil) {
        self.verdict = verdict; self.diagnoses = diagnoses; self.echo = echo; self.message = message; self.column = column
    }
}

/// What a formula is made of, as the formula language's parser reads it.
public struct FormulaParts: Sendable, Equatable {
    /// Numbers as written and as values.
    public var numbers: [(text: String, value: Double)]
    /// Functions called (`sum`, `relu`, …) and symbols used (canonical names).
    public var functions: [String]
    public var symbols: [String]
    /// The formula written back in the language's canonical ASCII form.
    public var canonical: String
    public init(numbers: [(text: String, value: Double)], functions: [String], symbols: [String], canonical: String) {
        self.numbers = numbers; self.functions = functions; self.symbols = symbols; self.canonical = canonical
    }
    public static func == (a: FormulaParts, b: FormulaParts) -> Bool {
        a.canonical == b.canonical && a.functions == b.functions && a.symbols == b.symbols
            && a.numbers.map(\.value) == b.numbers.map(\.value)
    }
}

/// Grades a formula answer against a named target (`content-layer`, …, `update`).
///
/// The quiz knows the checker only through this protocol: the command line passes NSTCheck's
/// adapter (`CheckerGrader`, module NSTCheckGrader), so the quiz itself links no BLAS.
public protocol FormulaGrader: Sendable {
    /// The targets `grade` knows (what a bank's `target:` may name); nil: not known in advance.
    var targetNames: [String]? { get }
    func grade(target: String, answer: String) -> FormulaOutcome
    /// The parts of `answer`, or nil when it does not parse.
    func parts(of answer: String) -> FormulaParts?
    /// `answer` with every use of the symbol `symbol` replaced by `replacement`, in the
    /// language's canonical form; nil when it does not parse.
    func replacingSymbol(_ symbol: String, with replacement: String, in answer: String) -> String?
}

extension FormulaGrader {
    public var targetNames: [String]? { nil }
    public func parts(of answer: String) -> FormulaParts? { nil }
    public func replacingSymbol(_ symbol: String, with replacement: String, in answer: String) -> String? { nil }
}

/// The grade of one answer to one question.
public struct Grade: Sendable, Codable, Equatable {
    public enum Verdict: String, Sendable, Codable {
        /// Full marks.
        case correct
        /// Some credit: part of a rubric, or the right true/false word with an incomplete explanation.
        case partial
        case incorrect
        /// The answer could not be read (a formula that does not parse or whose shapes cannot
        /// combine, a forbidden number). Interactively this costs no attempt; in an answers
        /// file it scores 0.
        case invalid
        /// nst cannot tell what the answer asserts (a true/false or choice answer whose
        /// verdict it cannot find, or finds both ways): a person must decide. Scores 0 until then.
        case review
        case unanswered
    }
    public var score: Double
    public var max: Double
    public var verdict: Verdict
    public var feedback: String
    /// formula: the parsed answer as the checker read it.
    public var echo: String?
    public var diagnosis: [FormulaOutcome.Diagnosis]
    /// Stored optional so that progress files written before it existed still read.
    var reviewFlag: Bool?
    var suggestedFlag: Bool?
    /// Low confidence: a person should look at this answer.
    public var needsReview: Bool { get { reviewFlag ?? false } set { reviewFlag = newValue ? true : nil } }
    /// The score comes from rubric matching of free text: a suggestion, not a verdict.
    public var suggested: Bool { get { suggestedFlag ?? false } set { suggestedFlag = newValue ? true : nil } }

    public init(score: Double, max: Double, verdict: Verdict, feedback: String, echo: String? = nil,
                diagnosis: [FormulaOutcome.Diagnosis] = [], needsReview: Bool = false, suggested: Bool = false) {
        self.score = score; self.max = max; self.verdict = verdict; self.feedback = feedback; self.echo = echo; self.diagnosis = diagnosis
        self.needsReview = needsReview; self.suggested = suggested
    }
}

/// Grades answers to a bank's questions.
///
/// Credit, per kind (every question is worth its `points`, 1 by default):
/// - formula: all or nothing, decided by NSTCheck (numerically, against finite differences),
///   after the notation students copy from the prompt (`Fˡ`, `wₗ`, `α_l`) is normalised.
/// - truefalse: the verdict the answer asserts (an `answer: true` line, or read from the
///   phrasing, negation included). Wrong: 0. Right: half the points, plus the other half
///   times the fraction of rubric ideas the explanation covers.
/// - choice: the option the answer asserts (a `choice: NAME` line, or read from what the
///   phrasing says of each option). With a rubric, scored like truefalse; without, all or nothing.
/// - text: the points times the fraction of rubric ideas covered (`RubricMatcher`).
/// A verdict nst cannot read is `review`, never `incorrect`.
public struct QuizGrader: Sendable {
    public var formula: FormulaGrader
    public init(formula: FormulaGrader) { self.formula = formula }

    public func grade(_ q: Question, answer raw: String) -> Grade {
        let answer = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if answer.isEmpty { return Grade(score: 0, max: q.points, verdict: .unanswered, feedback: "No answer.") }
        return AnswerScrutiny(grader: self, question: q).review(gradeAsWritten(q, answer: answer), answer: answer)
    }

    /// The grade before `AnswerScrutiny` looks at what the claims are about.
    func gradeAsWritten(_ q: Question, answer: String) -> Grade {
        switch q.kind {
        case .formula: return gradeFormula(q, answer: answer)
        case .truefalse: return gradeTrueFalse(q, answer: answer)
        case .choice: return gradeChoice(q, answer: answer)
        case .text: return gradeText(q, answer: answer)
        }
    }

    /// A formula answer's first problem before grading: a forbidden number, function or symbol.
    func forbiddenUse(_ q: Question, _ parts: FormulaParts) -> String? {
        for f in q.forbidden {
            if let value = Double(f) {
                if let n = parts.numbers.first(where: { $0.value == value }) {
                    return "The number \(n.text) is not allowed in this answer: write the formula with the question's symbols (N, M, w, …), not the sizes or values of one example."
                }
            } else if parts.functions.contains(f) || parts.symbols.contains(f) {
                return "`\(f)` is not allowed in this answer: the question asks for the formula without it."
            }
        }
        return nil
    }

    func gradeFormula(_ q: Question, answer: String) -> Grade {
        // Formula answers may span lines in an answers file; the language has no newlines. An
        // answer with '=' is a derivation (a row a line in the plain form, LaTeX as written):
        // it goes to the grader as typed, lines and all.
        let isDerivation = FormulaNotation.isDerivation(answer)
        let oneLine = isDerivation ? answer.trimmingCharacters(in: .whitespacesAndNewlines)
            : FormulaNotation.normalise(answer.split(whereSeparator: \.isNewline).joined(separator: " "))
        let parts = formula.parts(of: oneLine)
        if let parts, let why = forbiddenUse(q, parts) {
            return Grade(score: 0, max: q.points, verdict: .invalid, feedback: why, echo: nil)
        }
        // Anticipated mistakes: say what the author wrote for them, then grade the corrected
        // form so the checker's own diagnosis (a transpose, a lost −η) is still reported.
        var notes: [FormulaOutcome.Diagnosis] = []
        var graded = oneLine
        if let parts {
            // Wrong symbols first; whole anticipated formulas are then compared with the
            // corrected answer (so one pattern covers `w_1` and `w` alike).
            for m in q.mistakes {
                guard let replacement = m.replacement, parts.symbols.contains(m.pattern),
                      let corrected = formula.replacingSymbol(m.pattern, with: replacement, in: graded) else { continue }
                notes.append(.init(kind: "anticipated", message: m.message))
                graded = corrected
            }
            let correctedParts = formula.parts(of: graded)
            for m in q.mistakes where m.replacement == nil {
                if let pattern = formula.parts(of: FormulaNotation.normalise(m.pattern)), pattern == correctedParts {
                    notes.append(.init(kind: "anticipated", message: m.message))
                }
            }
        }
        let o = formula.grade(target: q.target ?? "", answer: graded)
        let echo = o.echo.isEmpty ? nil : o.echo
        let diagnoses = notes + o.diagnoses
        switch o.verdict {
        case .correct where notes.isEmpty:
            return Grade(score: q.points, max: q.points, verdict: .correct, feedback: "Correct. " + o.message, echo: echo, diagnosis: o.diagnoses)
        case .correct:
            var lines = ["Not right."]
            lines += notes.map { "  \($0.kind): \($0.message)" }
            lines.append("  With that corrected, the formula is right.")
            return Grade(score: 0, max: q.points, verdict: .incorrect, feedback: lines.joined(separator: "\n"), echo: echo, diagnosis: diagnoses)
        case .incorrect:
            var lines = ["Not right."]
            lines += diagnoses.map { "  \($0.kind): \($0.message)" }
            // (A derivation's message names its first wrong row: always worth showing.)
            if (o.diagnoses.isEmpty || isDerivation) && !o.message.isEmpty { lines.append("  " + o.message) }
            return Grade(score: 0, max: q.points, verdict: .incorrect, feedback: lines.joined(separator: "\n"), echo: echo, diagnosis: diagnoses)
        case .invalid where !notes.isEmpty:
            // The mistake made it unreadable to the checker (e.g. a shape error after the
            // replacement): the author's message is the useful part.
            let lines = ["Not right."] + notes.map { "  \($0.kind): \($0.message)" } + ["  " + o.message]
            return Grade(score: 0, max: q.points, verdict: .incorrect, feedback: lines.joined(separator: "\n"), echo: echo, diagnosis: diagnoses)
        case .invalid:
            return Grade(score: 0, max: q.points, verdict: .invalid, feedback: o.message, echo: echo, diagnosis: o.diagnoses)
        }
    }

    /// Feedback naming the rubric ideas found, missed and denied, and whether the answer
    /// read as a keyword list.
    static func rubricFeedback(_ r: RubricMatcher.Outcome, what: String) -> String {
        var parts: [String] = []
        if r.missed.isEmpty { parts.append("Your \(what) covers every key idea.") }
        else {
            let have = r.matched.isEmpty ? "none of the key ideas" : r.matched.map { "“\($0)”" }.joined(separator: ", ")
            parts.append("Your \(what) covers \(have); it misses \(r.missed.map { "“\($0)”" }.joined(separator: ", ")).")
        }
        if !r.negated.isEmpty {
            parts.append("It denies \(r.negated.map { "“\($0)”" }.joined(separator: ", ")) (a negated idea earns no credit).")
        }
        if r.unasserted {
            parts.append("Some of its key words are in a question, a claim it reports (“some people think …”), a word it mentions or a supposition, "
                         + "not said as its own: they earn no credit, and a person will look.")
        }
        if r.recited {
            parts.append("It recites many phrasings of the key ideas; a person will check that it explains them.")
        }
        for w in r.wrong {
            parts.append("It says “\(w.label)”, which is wrong: \(w.feedback) (a misconception caps the score at half the points).")
        }
        if r.keywordList {
            parts.append("Part of it reads as a list of keywords, not sentences: keywords without a sentence earn no credit"
                         + (r.terseNotes ? " (it may be terse notes: a person will look)." : "."))
        }
        if r.addressesGrader {
            parts.append("It speaks to the grader (marks, keywords, instructions): those sentences earn nothing, and a person will look.")
        }
        if r.unplacedDenial && r.negated.isEmpty && r.wrong.isEmpty {
            parts.append("It denies something the key ideas do not cover; a person will check what it means.")
        }
        // The one reason for review the parts above do not name.
        if r.needsReview && parts.count == 1 && r.mayParaphraseMissed {
            parts.append("It may say what it misses in words the key ideas do not list: a person will look.")
        }
        return parts.joined(separator: " ")
    }

    /// Words written with a capital inside a sentence (names: "LeCun", "Hokusai"), lower-cased.
    static func capitalisedInside(_ answer: String) -> [String] {
        var out: [String] = [], word = "", sentenceStart = true, startsCapital = false
        for ch in answer + " " {
            if ch.isLetter || ch.isNumber {
                if word.isEmpty { startsCapital = ch.isUppercase }
                word.append(ch); continue
            }
            if !word.isEmpty {
                if startsCapital && !sentenceStart { out.append(word.lowercased()) }
                sentenceStart = false; word = ""
            }
            if ".!?:\n".contains(ch) { sentenceStart = true }
        }
        return out
    }

    static func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }

    func gradeTrueFalse(_ q: Question, answer: String) -> Grade {
        let read = VerdictReader.trueFalse(answer, statement: q.prompt)
        guard let value = read.value else {
            if !read.conflicting, let nothing = saysNothing(q, answer) { return nothing }
            let why = read.conflicting ? "It seems to say both true and false." : "It does not say whether the statement is true or false."
            return Grade(score: 0, max: q.points, verdict: .review,
                         feedback: "\(why) Needs review; to be read automatically, start with `answer: true` or `answer: false`.",
                         needsReview: true)
        }
        let word = value ? "true" : "false"
        guard word == q.answers.first else {
            // Reasons in sentences that assert half the key ideas or more argue for the right
            // verdict: a verdict word in free phrasing may not say what the student means ("Nah –
            // any painting works"). (An `answer:` line says it deliberately.)
            let r = RubricMatcher.judge(read.explanation, rubric: q.rubric, wrong: q.wrongIdeas, subject: q.title)
            let arguedAgainst = !read.explicit && !q.rubric.isEmpty && r.matched.count * 2 >= q.rubric.count
                && r.negated.isEmpty && r.wrong.isEmpty && !r.keywordList && !r.addressesGrader && !r.unasserted
            let sure = (read.explicit || read.sure) && !arguedAgainst
            return Grade(score: 0, max: q.points, verdict: sure ? .incorrect : .review,
                         feedback: "The statement is \(q.answers.first ?? "?"), not \(word)."
                             + (arguedAgainst ? " Its reasons argue for \(q.answers.first ?? "?"): a person will check which it means."
                                : sure ? "" : " (The verdict was not plain: needs review.)"),
                         needsReview: !sure)
        }
        return withRubric(q, prefix: "Yes, \(word).", rest: read.explanation, what: "explanation", sure: read.explicit || read.sure,
                          assertedByVerdict: value ? Self.ideasTheStatementSays(q) : [])
    }

    /// The key ideas a true statement says itself (one of the idea's phrases occurs in the
    /// prompt: "… a painting that *was not in* the network's training data"): answering *true*
    /// asserts them, so they are credited to the right verdict unless the reasons deny them.
    static func ideasTheStatementSays(_ q: Question) -> Set<String> {
        let prompt = AnswerText(q.prompt)
        return Set(q.rubric.filter { idea in idea.phrases.contains { !prompt.occurrences(of: $0).isEmpty } }.map(\.name))
    }

    func gradeChoice(_ q: Question, answer: String) -> Grade {
        let read = VerdictReader.choice(answer, question: q)
        guard !read.chosen.isEmpty else {
            if !read.conflicting, let nothing = saysNothing(q, answer) { return nothing }
            let why = read.conflicting ? "It seems to choose more than one way." : "It does not say which option it chooses."
            return Grade(score: 0, max: q.points, verdict: .review,
                         feedback: "\(why) Needs review; to be read automatically, start with `choice: \(q.options.first?.name ?? "NAME")`.",
                         needsReview: true)
        }
        let sure = read.explicit || read.sure
        guard Set(read.chosen) == Set(q.answers) else {
            return Grade(score: 0, max: q.points, verdict: sure ? .incorrect : .review,
                         feedback: "The right answer is \(q.answers.joined(separator: " and ")), not \(read.chosen.joined(separator: " and "))."
                             + (sure ? "" : " (The choice was not plain: needs review.)"),
                         needsReview: !sure)
        }
        if q.rubric.isEmpty {
            return Grade(score: q.points, max: q.points, verdict: .correct, feedback: "Yes, \(read.chosen.joined(separator: " and ")).", needsReview: !sure)
        }
        // Where the reasons name an option not chosen: what they deny of it speaks for the choice.
        let rejected = Set(VerdictReader.mentions(AnswerText(read.explanation), options: q.options)
            .filter { !read.chosen.contains($0.option) }.map(\.index))
        return withRubric(q, prefix: "Yes, \(read.chosen.joined(separator: " and ")).", rest: read.explanation, what: "justification", sure: sure,
                          rejected: rejected)
    }

    /// An answer with no verdict and no word of any key or wrong idea, short ("Maybe.", "I
    /// cannot see the images") or off the subject at any length (no word of an idea's
    /// phrasing or of the subject's vocabulary: "Both look lovely, I would hang either on my
    /// wall."): a sure 0, since there is nothing a person could credit. Other answers without
    /// a verdict still go to review (they may say it in other words).
    func saysNothing(_ q: Question, _ answer: String) -> Grade? {
        let text = AnswerText(answer)
        let r = RubricMatcher.judge(text, rubric: q.rubric, wrong: q.wrongIdeas)
        guard text.count < 12 || r.offSubject, r.matched.isEmpty, r.negated.isEmpty, !r.keywordList, r.wrong.isEmpty, !r.addressesGrader,
              VerdictReader.mentions(text, options: q.options).isEmpty else { return nil }
        return Grade(score: 0, max: q.points, verdict: .incorrect,
                     feedback: "It gives no verdict and none of the key ideas. (To be read automatically, start with `\(q.kind == .choice ? "choice: \(q.options.first?.name ?? "NAME")" : "answer: true")`.)",
                     suggested: true)
    }

    /// Half the points for the right verdict, half times the rubric fraction for the reasons.
    func withRubric(_ q: Question, prefix: String, rest: String, what: String, sure: Bool, rejected: Set<Int> = [],
                    assertedByVerdict: Set<String> = []) -> Grade {
        var r = RubricMatcher.judge(rest, rubric: q.rubric, wrong: q.wrongIdeas, rejected: rejected, subject: q.title)
        // An idea the verdict asserts is said, when the reasons credit another idea and deny,
        // list and charge nothing (reasons that deny the rest do not stand behind the verdict).
        let reasonsStand = !r.matched.isEmpty && r.negated.isEmpty && r.wrong.isEmpty && !r.keywordList && !r.unasserted
            && !r.addressesGrader && !r.unplacedDenial
        for name in r.absent where reasonsStand && assertedByVerdict.contains(name) {
            r.missed.removeAll { $0 == name }
            r.absent.removeAll { $0 == name }
            r.matched.append(name)
        }
        // A misconception in the reasons leaves the right verdict's half, no more.
        let score = Self.round2(q.points * (r.wrong.isEmpty ? 0.5 + 0.5 * r.fraction : 0.5))
        let verdict: Grade.Verdict = r.missed.isEmpty && r.wrong.isEmpty ? .correct : .partial
        return Grade(score: score, max: q.points, verdict: verdict, feedback: prefix + " " + Self.rubricFeedback(r, what: what)
                         + (sure ? "" : " (The verdict was not stated plainly: a person will check it.)"),
                     needsReview: r.needsReviewBesideVerdict || !sure, suggested: true)
    }

    func gradeText(_ q: Question, answer: String) -> Grade {
        let text = AnswerText(answer)
        let r = RubricMatcher.judge(text, rubric: q.rubric, wrong: q.wrongIdeas, subject: q.title)
        let score = Self.round2(q.points * r.fraction)
        let verdict: Grade.Verdict = score >= q.points ? .correct : (score <= 0 ? .incorrect : .partial)
        // Nothing credited, charged, denied or reported: nothing a person could credit when the
        // answer is off the subject altogether, or a general statement that refers to nothing
        // the question speaks of (no pronoun, no "the" with one of the question's words: "Loss
        // functions are used in machine learning to train models on data."). An answer in the
        // student's own words about the subject refers to it ("*it* scores how …", "*the*
        // generated image"), so it stays with a person.
        let creditsNothing = r.matched.isEmpty && r.wrong.isEmpty && r.negated.isEmpty && !r.addressesGrader && !r.unasserted
            && !r.deniedMisconception && !r.terseNotes
        let lexicon = AnswerScrutiny.lexicon(q)
        // ... and made of general words: own words for an idea ("penalises *departures* from
        // the *snapshot*") are words the question's text does not use, so with three or more
        // of them a person looks. (A name, capitalised inside a sentence, is not such a word.)
        let names = Set(Self.capitalisedInside(answer))
        let ownWords = text.texts.filter { !AnswerScrutiny.known($0, lexicon) && !names.contains($0) && !RubricMatcher.lightWords.contains($0) }
        let general = creditsNothing && !r.keywordList && text.denialIndices().isEmpty
            && !RubricMatcher.refersToQuestion(text, lexicon: lexicon) && Set(ownWords).count <= 2
        let offSubject = (r.offSubject && creditsNothing) || general
        // Nothing credited, in three words of substance or more that the question's text does
        // not use ("Penalises departures from the snapshot …"): it may say the ideas in the
        // student's own words, however short.
        let ownWordsOnly = creditsNothing && !r.keywordList && Set(ownWords).count >= 3
        var feedback = Self.rubricFeedback(r, what: "answer")
        if ownWordsOnly && !r.needsReview && !offSubject {
            feedback += " It uses words the key ideas do not list: a person will check whether it says them in its own words."
        }
        return Grade(score: score, max: q.points, verdict: verdict, feedback: feedback,
                     needsReview: (r.needsReview || ownWordsOnly) && !offSubject, suggested: true)
    }
}

/// Notation students copy from the prompt, rewritten into the formula language before the
/// checker reads it: the layer marks `Fˡ`, `wₗ`, `F^l`, `F_{l}` are dropped (every formula
/// is about one layer l), `α_l` becomes `alpha_l`, subscript digits become `_1` (so `w₁`
/// reads as the symbol `w_1`), and the time marks `ᵗ`, `ᵗ⁺¹` are dropped.
public enum FormulaNotation {
    /// Whether a formula answer is a derivation (LHS = e1 = …, checked row by row): the formula
    /// language has no `=`, so an answer with one is.
    public static func isDerivation(_ answer: String) -> Bool { answer.contains("=") }

    public static func normalise(_ formula: String) -> String {
        var s = formula
        for (greek, name) in [("α", "alpha"), ("β", "beta"), ("η", "eta")] {
            s = s.replacingOccurrences(of: greek + "_", with: name + "_")
            s = s.replacingOccurrences(of: greek + "ₗ", with: name)
            s = s.replacingOccurrences(of: greek + "ˡ", with: name)
        }
        s = s.replacingOccurrences(of: "ᵗ⁺¹", with: "").replacingOccurrences(of: "ᵗ", with: "")
        s = s.replacingOccurrences(of: "ˡ", with: "").replacingOccurrences(of: "ₗ", with: "")
        s = s.replacingOccurrences(of: "_{l}", with: "_l").replacingOccurrences(of: "^{l}", with: "")
        let subscripts: [Character: Character] = ["₀": "0", "₁": "1", "₂": "2", "₃": "3", "₄": "4", "₅": "5", "₆": "6", "₇": "7", "₈": "8", "₉": "9"]
        var out = ""
        var previousSubscript = false
        let chars = Array(s)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if let d = subscripts[c] {
                if !previousSubscript { out.append("_") }
                out.append(d); previousSubscript = true; i += 1; continue
            }
            previousSubscript = false
            // `^l` (the layer written as a power) when l stands alone.
            if c == "^", i + 1 < chars.count, chars[i + 1] == "l",
               !(i + 2 < chars.count && (chars[i + 2].isLetter || chars[i + 2].isNumber || chars[i + 2] == "_")) {
                i += 2; continue
            }
            out.append(c); i += 1
        }
        return out
    }
}
