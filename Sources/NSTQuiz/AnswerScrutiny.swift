import Foundation

/// A second look at a worded grade: whether the claims that earned it are claims about the
/// question's subject, made as sentences, with their roles, and left standing by the answer.
///
/// The rubric matcher credits an idea where its words occur asserted. Words can occur
/// asserted and still say nothing about the question. This pass finds the sentences whose
/// claims do not count:
///  - **off the subject**: three nouns or more, a fifth of the answer's words of substance,
///    that neither the question's own text nor any explanation uses ("my grandmother's
///    quilts", "the zoo"): the sentences holding them;
///  - **not well formed**: a determiner with no noun after it ("the texture of *the
///    regardless* of where", "the match of *the minimised*"), the mark of keywords strung
///    into the shape of a sentence;
///  - **refuted**: followed by a sentence that only calls it false ("… Wrong. It copies …");
///  - **denied across an aside**: `not`, a comma and an aside ("It is not, as one might
///    conclude from …, comparing … and minimised") deny the clause after the aside;
///  - **swapped roles**: where the key ideas name both roles (content, style), an idea said
///    of the other role ("for style, read conv4_2's maps"), charged like a misconception;
/// and, for the verdict of true/false and choice questions:
///  - **contradictory verdicts** ("true false true false", "first or second"): no verdict;
///  - **a verdict restated**: corrected after its explicit line ("choice: first / Sorry, I
///    mean the second", "answer: false / Actually it is true"), or stated by denying the
///    other ("I can't say it's false");
///  - **a choice argued against by its own reasons** (the key ideas said of the other option).
///
/// Contract: the grade is re-computed without the sentences that do not count, and is then a
/// suggestion with `needsReview`; a finding that changes no score leaves the grade as it was.
/// Two findings only add `needsReview` to an unchanged score: a partial score where a missed
/// idea may be said in other words (`unexplainedReview`), and a credited answer with several
/// nouns foreign to the question (`weakSubjectReview`). No path here makes a grade sure.
struct AnswerScrutiny {
    let grader: QuizGrader
    let question: Question

    /// One reason why part of the answer does not count, said to the student.
    struct Finding { var note: String; var withdrawn: Set<Int> }

    func review(_ graded: Grade, answer: String) -> Grade {
        guard question.kind != .formula, graded.verdict != .unanswered else { return graded }
        // The explicit first line (`answer: false`, `choice: first`) stays as written; the rest
        // is scrutinised.
        let names = question.kind == .choice ? ["choice", "answer"] : ["answer", "verdict"]
        let lines = answer.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let explicitLine = question.kind != .text ? VerdictReader.explicitLine(answer, names: names) : nil
        let explicit = explicitLine != nil
        let header = explicit ? lines.first { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? "" : ""
        let body = explicitLine?.rest ?? answer
        let text = AnswerText(body)

        if question.kind == .truefalse, !explicit, Self.contradictoryVerdicts(text) {
            return Grade(score: 0, max: question.points, verdict: .review,
                         feedback: "It gives both verdicts, true and false, and no reasons to choose between them: needs review. "
                             + "To be read automatically, start with `answer: true` or `answer: false`.", needsReview: true)
        }
        if question.kind == .choice, let g = reviewChoice(graded, header: explicit ? header : nil, text: text) { return g }
        if question.kind == .truefalse, let v = restatedVerdict(text, explicit: explicit, header: header) {
            var g = grader.gradeAsWritten(question, answer: "answer: \(v)\n" + body)
            g.needsReview = true
            g.suggested = true
            g.feedback += " (The verdict was read from “" + (explicit ? "a correction" : "a denial of the other verdict") + "”: a person will check it.)"
            return g
        }

        var findings: [Finding] = []
        if let f = refutedSentences(text) { findings.append(f) }
        if let f = deniedAcrossAside(text, raw: body) { findings.append(f) }
        if let f = illFormedSentences(text) { findings.append(f) }
        let subject = offSubject(text)
        if let f = subject.strong { findings.append(f) }
        let swapped = swappedRoles(text)
        if let f = swapped.finding { findings.append(f) }
        let withdrawn = findings.reduce(into: Set<Int>()) { $0.formUnion($1.withdrawn) }

        var out = graded
        if !withdrawn.isEmpty {
            let rest = Self.rebuild(text, without: withdrawn)
            let regraded = grader.gradeAsWritten(question, answer: explicit ? header + "\n" + rest : rest)
            // Nothing that earned anything was withdrawn: the grade stands as it was.
            if regraded.score == graded.score && regraded.verdict == graded.verdict && swapped.ideas == 0 {
                return unexplainedReview(weakSubjectReview(graded, subject.weak), text)
            }
            out = regraded
            if out.verdict == .unanswered {
                out = Grade(score: 0, max: question.points, verdict: .incorrect, feedback: "", needsReview: true, suggested: true)
            }
            out.feedback = ([out.feedback] + findings.map(\.note)).filter { !$0.isEmpty }.joined(separator: " ")
            out.needsReview = true
            out.suggested = true
            // A role swapped is a misconception: at most half, one idea less per swap.
            if swapped.ideas > 0 {
                let perIdea = question.points / Double(max(question.rubric.count, 1))
                out.score = QuizGrader.round2(max(0, min(out.score, question.points / 2) - perIdea * Double(swapped.ideas)))
                out.verdict = out.score > 0 ? .partial : .incorrect
            }
            return out
        }
        return unexplainedReview(weakSubjectReview(out, subject.weak), text)
    }

    /// A partial score with evidence that a missed idea may be said in the student's own words
    /// is only a suggestion: in a short answer (under 12 words outside lists), two words of
    /// substance (not hedging or filler: `RubricMatcher.lightWords`) that no idea's phrasing accounts for ("*ties* the output to the photo's
    /// layout"); in a longer one, a word of a missed idea's label said outside every phrasing
    /// ("anchor the result to the *photograph*" for "compares … with the photograph").
    func unexplainedReview(_ g: Grade, _ text: AnswerText) -> Grade {
        guard !g.needsReview, g.score > 0, g.score < g.max, !question.rubric.isEmpty else { return g }
        let r = RubricMatcher.judge(text, rubric: question.rubric, wrong: question.wrongIdeas)
        guard !r.matched.isEmpty, !r.missed.isEmpty, r.wrong.isEmpty, r.negated.isEmpty, !r.keywordList else { return g }
        var covered = Set<Int>()
        for phrase in question.rubric.flatMap(\.phrases) + question.wrongIdeas.flatMap(\.phrases) {
            for o in text.occurrences(of: phrase) { covered.formUnion(o.start..<o.end) }
        }
        if r.sentenceWords >= 12 {
            // A longer answer: it speaks, outside any idea's phrasing, of what a missed idea is
            // about (a word of its label that is not a word of any explanation).
            let outside = Set(text.words.indices.filter { !covered.contains($0) }.map { text.words[$0].text })
            let missedLabels = question.rubric.filter { r.missed.contains($0.name) }.map { AnswerText($0.name).texts }
            let spoken = missedLabels.map { label in
                Set(label.filter { !AnswerText.functionWords.contains($0) && !Self.known($0, []) && outside.contains($0) })
            }
            guard let about = spoken.first(where: { !$0.isEmpty }) else { return g }
            var out = g
            out.needsReview = true
            out.suggested = true
            out.feedback += " It speaks of " + about.sorted().prefix(3).map { "“\($0)”" }.joined(separator: ", ")
                + " in words the key ideas do not list: it may say a missed idea in its own words, and a person will look."
            return out
        }
        // (The other verdict words, "true", "yes", "nah", "first" …, are light words.)
        let verdictWords: Set<String> = ["no", "choice"]
        let unexplained = text.words.indices.filter { i in
            let t = text.words[i].text
            return !covered.contains(i) && !AnswerText.functionWords.contains(t) && !RubricMatcher.listNouns.contains(t)
                && !RubricMatcher.lightWords.contains(t) && !verdictWords.contains(t) && t.count > 2
        }
        guard unexplained.count >= 2 else { return g }
        var out = g
        out.needsReview = true
        out.suggested = true
        out.feedback += " Some of its words (" + unexplained.prefix(3).map { "“\(text.words[$0].text)”" }.joined(separator: ", ")
            + ") may say a missed idea in other words: a person will look."
        return out
    }

    /// Three nouns foreign to the question or more, in an answer too long for them to make it
    /// off the subject, beside credited ideas: the credit stands, but a person should look.
    func weakSubjectReview(_ g: Grade, _ weak: Finding?) -> Grade {
        guard let weak, g.score > 0, !g.needsReview else { return g }
        var out = g
        out.needsReview = true
        out.suggested = true
        out.feedback += " " + weak.note
        return out
    }

    // MARK: sentences that do not count

    /// The word indices of sentence `s`.
    static func sentence(_ text: AnswerText, _ s: Int) -> [Int] { text.words.indices.filter { text.words[$0].sentence == s } }

    /// A sentence that only calls something false ("Wrong.", "That is not true.", "Nonsense!")
    /// refutes the sentence before it.
    func refutedSentences(_ text: AnswerText) -> Finding? {
        guard let last = text.words.last?.sentence, last >= 1 else { return nil }
        let verdictOnly: Set<String> = ["wrong", "false", "incorrect", "untrue", "nonsense", "rubbish", "nope", "no", "not", "true", "that",
                                        "this", "is", "s", "it", "all", "completely", "totally", "simply", "plainly", "of", "course", "so",
                                        "quite", "entirely", "really", "they", "are", "he", "she", "was", "were", "re"]
        var withdrawn = Set<Int>()
        let bySentence = Dictionary(grouping: text.words.indices, by: { text.words[$0].sentence })
        for s in 1...last {
            let ws = bySentence[s] ?? []
            let words = ws.map { text.words[$0].text }
            guard !words.isEmpty, words.count <= 5, words.allSatisfy(verdictOnly.contains) else { continue }
            // "Wrong.", "Not true.", "That is false." — not "True." (a verdict for, not against).
            // ("It is not false." affirms.)
            let falsity = words.contains { ["wrong", "false", "incorrect", "untrue", "nonsense", "rubbish", "nope"].contains($0) }
            let denies = falsity != words.contains("not") && (falsity || words.contains("true"))
            guard denies else { continue }
            withdrawn.formUnion(bySentence[s - 1] ?? [])
        }
        guard !withdrawn.isEmpty else { return nil }
        return Finding(note: "A sentence it then calls wrong is not its claim: it earns nothing.", withdrawn: withdrawn)
    }

    /// "It is not, as one might conclude …, comparing … and minimised": `not` or `never` and
    /// a comma opening an aside denies the aside and the clause after it (with the clauses
    /// that continue it with `and`, `or`, `nor`), up to a contrast.
    func deniedAcrossAside(_ text: AnswerText, raw: String) -> Finding? {
        guard raw.range(of: #"\b(not|never|n't)\s*,"#, options: [.regularExpression, .caseInsensitive]) != nil else { return nil }
        var withdrawn = Set<Int>()
        let w = text.words
        let contrasts: Set<String> = ["but", "instead", "rather", "however", "though", "although", "yet"]
        for i in w.indices where ["not", "never"].contains(w[i].text) {
            let closesClause = i + 1 < w.count && w[i + 1].clause != w[i].clause && w[i + 1].sentence == w[i].sentence
            guard closesClause, i >= 1, !["or", "if", "whether"].contains(w[i - 1].text) else { continue }
            var j = i + 1, clausesStarted = 0
            while j < w.count, w[j].sentence == w[i].sentence {
                if j > i + 1 && contrasts.contains(w[j].text) { break }
                if w[j].clause != w[j - 1].clause {
                    clausesStarted += 1
                    // The aside, then the denied clause, then only its continuations.
                    if clausesStarted > 2 && !["and", "or", "nor"].contains(w[j].text) { break }
                }
                withdrawn.insert(j); j += 1
            }
        }
        guard !withdrawn.isEmpty else { return nil }
        return Finding(note: "A negation stands before an aside (“it is not, …, X”): what follows it is denied, and earns nothing.",
                       withdrawn: withdrawn)
    }

    /// Determiners, and what may not follow one directly: a word that never heads a noun
    /// phrase ("the regardless", "the no"), or a participle that ends its sentence or is followed
    /// by `of` ("the match of the minimised").
    /// (Not `these`, `those`, `his`, `her`, which stand alone as pronouns: "those of the photo".)
    static let determiners: Set<String> = ["the", "a", "an", "its", "their", "my", "our", "your"]
    /// (Not `while`, `so`, `then`, `before`, `after`: "a while", "the so-called", "the then-current".)
    static let neverNominal: Set<String> = AnswerText.functionWords.union(AnswerText.negators)
        .union(["regardless", "irrespective", "why", "every", "each", "once", "any", "some"])
        .subtracting(["while", "so", "then", "before", "after", "s", "d", "m"])

    func illFormedSentences(_ text: AnswerText) -> Finding? {
        let w = text.words
        var bad = Set<Int>()
        for i in w.indices.dropLast() where Self.determiners.contains(w[i].text) && w[i + 1].sentence == w[i].sentence {
            let next = w[i + 1].text
            var odd = Self.neverNominal.contains(next) && w[i + 1].clause == w[i].clause
            // A participle with nothing after it in the sentence, or `of` ("the minimised."),
            // not "the trained, frozen network".
            if !odd, next.hasSuffix("ed"), next.count > 4 {
                odd = i + 2 >= w.count || w[i + 2].sentence != w[i + 1].sentence || w[i + 2].text == "of"
            }
            if odd { bad.insert(w[i].sentence) }
        }
        guard !bad.isEmpty else { return nil }
        let withdrawn = Set(w.indices.filter { bad.contains(w[$0].sentence) })
        return Finding(note: "A sentence strings key words together without saying anything of them (“the … of the minimised”): it earns nothing.",
                       withdrawn: withdrawn)
    }

    // MARK: the subject

    /// The words of the question's own text (prompt, hints, ideas, misconceptions, model answer,
    /// explanation, options): what an answer about its subject talks of.
    /// Cached under all the text it is made of, so two questions that differ only in their
    /// ideas, hints or options never share a lexicon.
    static func lexicon(_ q: Question) -> Set<String> {
        let parts = lexiconSources(q)
        return lexicons.value(parts.joined(separator: "\u{0}")) { Set(parts.flatMap { AnswerText($0).texts }) }
    }

    /// Question lexicons, computed once per question.
    static let lexicons = Memo<Set<String>>(limit: 10_000)

    /// The texts of a question whose words make its lexicon.
    static func lexiconSources(_ q: Question) -> [String] {
        [q.title, q.prompt, q.model, q.explanation, q.printedKeyError] + q.hints
            + q.rubric.flatMap { $0.phrases + [$0.name] } + q.wrongIdeas.flatMap { $0.phrases + [$0.label, $0.feedback] }
            + q.options.map(\.text) + q.chosenWords + q.otherWords
    }

    /// Nouns of any explanation (quantities, ordinals, parts of an argument, pictures and
    /// their parts, computation and learning): not foreign to any question.
    static let generalNouns: Set<String> = Set("""
        one two three four five six seven eight nine ten hundred hundreds thousand thousands dozen half pair couple few handful lot
        bit part piece set number amount kind sort type way first second third fourth fifth sixth last next other another same whole
        entire single answer question idea point fact case reason thing something anything everything nothing matter sense view
        role job purpose aim goal task effect result end start beginning step stage level time moment place side term word name
        example instance detail description summary table list order sequence process procedure method approach algorithm
        technique trick rule version paper author authors course lecture lectures slide slides notes note textbook book instinct
        guess opinion mind problem solution error difference change short long new old big small large little great good bad real
        true false right wrong own main key usual normal ordinary common general simple basic different similar certain particular
        specific exact rough fixed free full empty high low early late wide narrow broad fine coarse final initial current previous
        original actual output input picture artwork canvas photo image painting drawing sketch scene subject object shape colour
        color line edge region area patch window unit block value vector matrix sum product score function variable parameter data
        dataset training learning model network net neuron layer map detector representation recogniser recognizer classifier
        computer machine program code people person student students teacher human eye eyes world thing kind look work use run
        pass copy version texture pattern style content loss gradient optimiser optimizer optimisation optimization statistic
        surface arrangement placement composition structure detail meaning idea sense quality amount size scale depth strength
        all both such much more most less enough penalty cost objective criterion subject procedure squared verdict prediction
        label class category target reference anchor gap distance measure measurement mismatch error sum average mean total
        """.split(whereSeparator: \.isWhitespace).map(String.init))

    static func known(_ w: String, _ lexicon: Set<String>) -> Bool {
        if lexicon.contains(w) || Self.generalNouns.contains(w) || AnswerText.functionWords.contains(w) || w.count <= 2
            || w.allSatisfy(\.isNumber) || w.contains(where: \.isNumber) { return true }
        for suffix in ["s", "es", "ed", "d", "ing", "ly", "er", "ers"] where w.hasSuffix(suffix) && w.count > suffix.count + 2 {
            let stem = String(w.dropLast(suffix.count))
            if lexicon.contains(stem) || lexicon.contains(stem + "e") || Self.generalNouns.contains(stem) { return true }
        }
        return false
    }

    /// Words of the answer in a noun's place (after a determiner, a possessive `'s`, or `of`,
    /// `in`, `at`) that neither the question's text nor any explanation uses: what the
    /// sentence is about, when it is about something else.
    func foreignNouns(_ text: AnswerText) -> [Int] {
        let lexicon = Self.lexicon(question)
        let w = text.words
        let opening: Set<String> = Self.determiners.union(["his", "her", "this", "these", "those", "some", "any", "each", "every", "several", "many", "s"])
        return w.indices.filter { i in
            guard !Self.known(w[i].text, lexicon), i >= 1, w[i - 1].clause == w[i].clause else { return false }
            // A modifier ("the *desired* content", "the *neural* style"): the noun it modifies
            // is the one that says what the sentence is about.
            if i + 1 < w.count, w[i + 1].clause == w[i].clause, !AnswerText.functionWords.contains(w[i + 1].text),
               ["ed", "al", "ive", "ic", "ous", "ful", "able", "ible", "ing"].contains(where: { w[i].text.hasSuffix($0) }) { return false }
            if opening.contains(w[i - 1].text) { return true }
            // "of cake", "in grams", "of developing" (not "… in judged terms").
            if ["of", "in", "at"].contains(w[i - 1].text) { return !w[i].text.hasSuffix("ed") }
            // A determiner and a foreign word or a participle between ("the camera app", "the
            // generated report"); not "the network responds".
            guard i >= 2, w[i - 2].clause == w[i].clause, Self.determiners.contains(w[i - 2].text) else { return false }
            let middle = w[i - 1].text
            return !Self.known(middle, lexicon) || ["ed", "en", "ing"].contains { middle.hasSuffix($0) && middle.count > $0.count + 2 }
        }
    }

    /// Strong: three foreign nouns or more, a fifth of the answer's words of substance or more:
    /// the sentences holding them are about something else, and earn nothing. Weak: three
    /// in a longer answer: the credit stands, but a person should look.
    func offSubject(_ text: AnswerText) -> (strong: Finding?, weak: Finding?) {
        let foreign = foreignNouns(text)
        guard !foreign.isEmpty else { return (nil, nil) }
        let substance = text.words.filter { !AnswerText.functionWords.contains($0.text) }.count
        let distinct = Set(foreign.map { text.words[$0].text })
        let named = distinct.sorted().prefix(4).map { "“\($0)”" }.joined(separator: ", ")
        if distinct.count >= 3, Double(distinct.count) >= 0.2 * Double(max(substance, 1)) {
            let sentences = Set(foreign.map { text.words[$0].sentence })
            let withdrawn = Set(text.words.indices.filter { sentences.contains(text.words[$0].sentence) })
            return (Finding(note: "It speaks of things the question is not about (\(named)): claims about them earn nothing, and a person will look.",
                            withdrawn: withdrawn), nil)
        }
        if distinct.count >= 3 {
            return (nil, Finding(note: "It speaks of things the question does not mention (\(named)); a person will check that its claims are about the question.",
                                 withdrawn: []))
        }
        return (nil, nil)
    }

    // MARK: roles

    /// The two roles style transfer gives an image and its features.
    static let roles = ["content", "style"]

    /// Where a question has key ideas for both roles (labels naming one of them: "content from
    /// one deep layer", "style from Gram matrices"), an idea's words said of the other role
    /// ("for style, read conv4_2's maps") are a swap: withdrawn, and counted as a misconception.
    /// An occurrence is said of the other role when the role words of its clause (or, with none
    /// there, of its sentence) all name the other role.
    func swappedRoles(_ text: AnswerText) -> (finding: Finding?, ideas: Int) {
        func role(_ label: String) -> String? {
            let named = Self.roles.filter { AnswerText(label).texts.contains($0) }
            return named.count == 1 ? named[0] : nil
        }
        let roled = question.rubric.compactMap { idea in role(idea.name).map { (idea, $0) } }
        guard Set(roled.map(\.1)).count == 2 else { return (nil, 0) }
        let w = text.words
        var withdrawn = Set<Int>(), swappedIdeas = 0
        for (idea, own) in roled {
            var swapped = false
            for phrase in idea.phrases where !AnswerText(phrase).texts.contains(where: Self.roles.contains) {
                for o in text.occurrences(of: phrase) {
                    let inSentence = w.indices.filter { w[$0].sentence == w[o.start].sentence && Self.roles.contains(w[$0].text) && !(o.start..<o.end).contains($0) }
                    let inClause = inSentence.filter { w[$0].clause == w[o.start].clause }
                    let said = (inClause.isEmpty ? inSentence : inClause).map { w[$0].text }
                    if !said.isEmpty, !said.contains(own) { swapped = true; withdrawn.formUnion(o.start..<o.end) }
                }
            }
            if swapped { swappedIdeas += 1 }
        }
        guard swappedIdeas > 0 else { return (nil, 0) }
        return (Finding(note: "It gives \(swappedIdeas == 1 ? "a key idea" : "key ideas") the other role (content for style, or style for content): that is a misconception, and caps the score.",
                        withdrawn: withdrawn), swappedIdeas)
    }

    // MARK: verdicts

    /// A true/false verdict the answer states other than plainly: corrected after an explicit
    /// line ("answer: false / Actually it is true: …"), or the other verdict denied as a saying
    /// ("I can't say it's false", "I would never say true"). Nil when there is none, or when
    /// it agrees with the verdict already read.
    func restatedVerdict(_ text: AnswerText, explicit: Bool, header: String) -> String? {
        let w = text.texts
        let verdicts: Set<String> = ["true", "false"]
        if explicit {
            let said = AnswerText(header).texts.first { verdicts.contains($0) }
            let ends = Self.endsInFirstSentence(of: Self.corrections + [["actually"], ["in", "fact"]], in: text)
            guard let v = w.indices.first(where: { i in verdicts.contains(w[i]) && ends.contains { i >= $0 && i <= $0 + 3 } }).map({ w[$0] }),
                  v != said, !(w.indices.contains { w[$0] == v && $0 >= 1 && ["not", "never"].contains(w[$0 - 1]) }) else { return nil }
            return v
        }
        // "can't say it's false", "would never say true", "wouldn't call it true".
        for i in w.indices where verdicts.contains(w[i]) {
            let window = w[max(0, i - 5)..<i]
            guard let verb = window.lastIndex(where: { ["say", "call", "claim", "answer"].contains($0) }),
                  w[max(0, verb - 2)..<verb].contains(where: { ["not", "never"].contains($0) }),
                  w[verb + 1..<i].allSatisfy({ ["it", "s", "is", "that", "this", "the", "statement"].contains($0) }) else { continue }
            let v = w[i] == "true" ? "false" : "true"
            // Only when it is the answer's one verdict word (others are the reader's to weigh).
            guard !w.indices.contains(where: { $0 != i && verdicts.contains(w[$0]) }) else { return nil }
            return v
        }
        return nil
    }

    /// Verdict words and nothing else ("true false true false", "false true"), both ways.
    static func contradictoryVerdicts(_ text: AnswerText) -> Bool {
        let filler: Set<String> = ["true", "false", "or", "and", "then", "maybe", "also", "but", "yes", "no"]
        let w = text.texts
        return !w.isEmpty && w.allSatisfy(filler.contains) && w.contains("true") && w.contains("false")
            && !(w == ["true", "or", "false"])
    }

    /// Words that take a choice back ("Sorry, I mean the second", "correction: the second").
    static let corrections: [[String]] = [["i", "mean"], ["i", "meant"], ["sorry"], ["correction"], ["scratch", "that"],
                                          ["on", "second", "thought"], ["i", "take", "it", "back"], ["no", "wait"], ["make", "that"]]

    /// Where each occurrence of `phrases` that starts in the first sentence ends (the index
    /// after its last word), phrase by phrase.
    static func endsInFirstSentence(of phrases: [[String]], in text: AnswerText) -> [Int] {
        let w = text.texts
        let firstSentence = Set(sentence(text, 0))
        return phrases.flatMap { phrase in
            w.indices.filter { i in firstSentence.contains(i) && i + phrase.count <= w.count && Array(w[i..<i + phrase.count]) == phrase }
                .map { $0 + phrase.count }
        }
    }

    func reviewChoice(_ graded: Grade, header: String?, text: AnswerText) -> Grade? {
        let q = question
        let names = q.options.map(\.name)
        let mentions = VerdictReader.mentions(text, options: q.options)
        let w = text.texts
        // "first or second": two options offered as alternatives, and nothing chosen.
        if header == nil, mentions.count >= 2, let a = mentions.first, let b = mentions.dropFirst().first, a.option != b.option,
           b.index == a.index + 2 || (b.index == a.index + 3 && ["one", "image", "picture"].contains(w[a.index + 1])),
           w[b.index - 1] == "or", text.count <= 6 {
            return Grade(score: 0, max: q.points, verdict: .review,
                         feedback: "It names two options as alternatives and chooses neither: needs review.", needsReview: true)
        }
        let chosen: String? = {
            guard let header else { return nil }
            let h = AnswerText(header).texts
            return names.first { h.contains($0) } ?? VerdictReader.ordinals.indices.first { k in k < names.count && h.contains { VerdictReader.ordinals[k].contains($0) } }.map { names[$0] }
        }()
        guard let chosen else { return nil }
        // A correction in the first sentence of the reasons, naming another option.
        // The option must follow the correction closely ("Sorry, I mean the second").
        let correctionEnds = Self.endsInFirstSentence(of: Self.corrections, in: text)
        if let other = mentions.first(where: { m in m.option != chosen && correctionEnds.contains { m.index >= $0 && m.index <= $0 + 4 } }) {
            let right = q.answers.contains(other.option)
            return Grade(score: right ? graded.score : 0, max: q.points, verdict: right ? graded.verdict : .incorrect,
                         feedback: "It takes its choice back for \(other.option)" + (right ? "; " + graded.feedback
                             : ", which is not right: the right answer is \(q.answers.joined(separator: " and ")). ")
                             + " A person will check the correction.", needsReview: true, suggested: true)
        }
        // The key ideas said of an option not chosen (and not denied of it) argue for that option.
        let saidOf = optionsKeyIdeasAreSaidOf(text, mentions: mentions)
        let forOther = saidOf.filter { $0 != chosen }.count
        let forChosen = saidOf.filter { $0 == chosen }.count
        if forOther > 0, forChosen == 0, graded.score > 0 {
            return Grade(score: 0, max: q.points, verdict: .review,
                         feedback: "It chooses \(chosen), but its reasons give the key ideas to another option: they argue against its choice. Needs review.",
                         needsReview: true, suggested: true)
        }
        return nil
    }

    /// For each occurrence of a rubric phrase, not denied, the option it is said of: the
    /// nearest option named before it in its clause ("the second has the large crests"; not
    /// "unlike the second, it has …"), in a sentence that does not say of it what is said of
    /// an option not chosen ("the second used only three layers").
    func optionsKeyIdeasAreSaidOf(_ text: AnswerText, mentions: [(index: Int, option: String)]) -> [String] {
        var out: [String] = []
        for idea in question.rubric {
            for phrase in idea.phrases {
                for o in text.occurrences(of: phrase) {
                    let sentence = text.words[o.start].sentence
                    guard let m = mentions.filter({ $0.index < o.start && text.words[$0.index].sentence == sentence }).last,
                          !text.isNegated(start: o.start, end: o.end) else { continue }
                    guard text.words[m.index].clause == text.words[o.start].clause,
                          !question.otherWords.contains(where: { p in text.occurrences(of: p).contains { text.words[$0.start].sentence == sentence } })
                    else { continue }
                    out.append(m.option)
                }
            }
        }
        return out
    }

    // MARK: rebuilding the answer

    /// The answer's words without `withdrawn`, with its clause and sentence breaks.
    static func rebuild(_ text: AnswerText, without withdrawn: Set<Int>) -> String {
        var out = ""
        var previous: AnswerText.Word?
        for (i, word) in text.words.enumerated() where !withdrawn.contains(i) {
            if let p = previous {
                if p.sentence != word.sentence { out += text.questions.contains(p.sentence) ? "? " : ". " }
                else if p.clause != word.clause { out += ", " }
                else { out += " " }
            }
            out += word.text
            previous = word
        }
        if let p = previous { out += text.questions.contains(p.sentence) ? "?" : "." }
        return out
    }
}
