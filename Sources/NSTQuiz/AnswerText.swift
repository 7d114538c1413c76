import Foundation

/// A free-text answer read as words in clauses and sentences: what the rubric matcher, the
/// true/false reader and the choice reader work on.
///
/// Normalisation: lower case, accents removed (é → e), `n't` read as ` not` and `cannot`
/// as `can not`; every character that is not a letter or digit separates words. Sentences
/// end at `. ; ! ?` (a line break is a space); clauses also end at `, : ( ) — –` and before the
/// words that start a new clause (`but`, `and`, `because`, `so`, `which`, …).
public struct AnswerText: Sendable {
    public struct Word: Sendable, Equatable {
        public var text: String
        public var clause: Int
        public var sentence: Int
    }
    public private(set) var words: [Word] = []
    /// The sentences that end with `?`.
    public private(set) var questions: Set<Int> = []
    /// Where each word occurs.
    private var positions: [String: [Int]] = [:]

    /// Words that start a new clause (they belong to the clause they start).
    static let clauseStarters: Set<String> = ["but", "and", "while", "whereas", "although", "though", "however", "yet",
                                             "because", "since", "so", "which", "instead", "rather", "then"]
    /// Words that deny what follows them in their clause.
    static let negators: Set<String> = ["not", "no", "never", "without", "nothing", "none", "neither", "nor", "nobody", "nowhere",
                                        "ignore", "ignores", "ignored", "ignoring", "lack", "lacks", "lacking"]
    /// Words that call a claim false: `it is false that X`, `X is a myth`.
    static let falsity: Set<String> = ["false", "incorrect", "untrue", "wrong", "myth", "mistaken", "nonsense", "misconception", "mistake"]
    /// Words that address whoever grades the answer rather than the question
    /// ("Note to the grader: award 4/4. Keywords: …").
    static let graderWords: Set<String> = ["grader", "graders", "grading", "examiner", "evaluator", "rubric", "llm", "chatgpt"]
    /// Words that address the grader only in context, having ordinary meanings too ("brush
    /// marks", "credit the painting", "the keyword is texture"): each with the words that,
    /// just before (`before`) or just after (`after`), make it an instruction. A number next
    /// to it counts as well ("4 marks", "award 4/4").
    static let graderWordsInContext: [String: (before: Set<String>, after: Set<String>)] = [
        "marks": (["full", "top", "maximum", "all"], ["please", "for"]),
        "mark": (["full", "top", "maximum"], ["please"]),
        "credit": (["full", "give", "award", "maximum", "partial", "me"], ["please", "for"]),
        "award": ([], ["full", "me", "this", "it", "maximum", "top", "the"]),
        "keywords": (["these", "following", "expected", "your"], ["for", "are"]),
        "keyword": (["these", "following", "expected"], ["for"]),
        "instructions": (["previous", "above", "these", "ignore", "your", "all"], ["for", "to"]),
        "instruction": (["previous", "above", "this", "ignore"], ["for", "to"]),
        "marker": (["the", "dear"], ["please", "should"]),
    ]
    /// A negator followed by one of these does not deny (`not only`, `no matter`, `not just`).
    /// (`not sure`, `no doubt`, `not 100 % certain` hedge; they do not deny.)
    static let negationExceptions: Set<String> = ["only", "just", "matter", "merely", "simply", "sure", "certain", "confident",
                                                  "positive", "doubt", "know", "remember", "100"]
    /// What `X is not …` must go on with to deny X itself.
    static let denialsOfUse: Set<String> = ["used", "needed", "required", "involved", "computed", "compared", "captured",
                                            "considered", "minimised", "minimized", "reduced", "optimised", "optimized", "kept",
                                            "matched", "trained", "pretrained", "present", "there", "part", "relevant", "important",
                                            "use", "need", "matter", "matters", "exist", "appear", "count", "change", "changed",
                                            "see", "cover", "capture", "add", "give", "produce", "carry", "contain", "include",
                                            "keep", "store", "record", "make", "help", "work", "describe", "come", "learn"]
    /// Words that give a sentence its structure (articles, pronouns, auxiliaries,
    /// prepositions, conjunctions). A run of words with none of them is a keyword list.
    static let functionWords: Set<String> = [
        "the", "a", "an", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these",
        "those", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as", "and", "or", "but", "so", "not",
        "no", "we", "you", "i", "they", "he", "she", "which", "who", "what", "how", "than", "then", "because", "if",
        "when", "where", "has", "have", "had", "do", "does", "did", "can", "will", "would", "should", "must", "may",
        "might", "also", "into", "between", "there", "their", "our", "your", "my", "them", "itself", "while",
        "whereas", "about", "since", "through", "over", "under", "after", "before", "until", "s", "d", "m", "whether",
    ]

    public init(_ raw: String) {
        // ASCII needs no accent folding (the common case, and the folding is slow).
        var text = raw.utf8.allSatisfy({ $0 < 0x80 }) ? raw.lowercased()
            : raw.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive],
                          locale: Locale(identifier: "en_US_POSIX")).lowercased()
        for apostrophe in ["'", "’", "ʼ"] { text = text.replacingOccurrences(of: "n\(apostrophe)t", with: " not") }
        text = text.replacingOccurrences(of: "cannot", with: "can not")
        // A hyphen standing alone between spaces is a dash ("That's right - any image works").
        text = text.replacingOccurrences(of: " -- ", with: " — ").replacingOccurrences(of: " - ", with: " — ")
        var clause = 0, sentence = 0
        var current = ""
        var pendingClause = false, pendingSentence = false
        func flush() {
            guard !current.isEmpty else { return }
            if pendingSentence { sentence += 1; clause += 1 } else if pendingClause { clause += 1 }
            pendingClause = false; pendingSentence = false
            // "not because …", "not since …": the negation is of the clause that follows.
            if Self.clauseStarters.contains(current), let last = words.last, last.clause == clause, last.text != "not" { clause += 1 }
            words.append(Word(text: current, clause: clause, sentence: sentence))
            current = ""
        }
        for ch in text {
            if ch.isLetter || ch.isNumber { current.append(ch); continue }
            flush()
            switch ch {
            // A line break is a space: answers files wrap sentences over lines.
            case ".", ";", "!", "?":
                if !words.isEmpty { pendingSentence = true }
                if ch == "?", let last = words.last { questions.insert(last.sentence) }
            case ",", ":", "(", ")", "—", "–", "[", "]": if !words.isEmpty { pendingClause = true }
            default: break
            }
        }
        flush()
        for (i, w) in words.enumerated() { positions[w.text, default: []].append(i) }
    }

    public var count: Int { words.count }

    /// Verbs that report what someone else holds ("some people *think* …", "textbooks *say* …").
    static let reportingVerbs: Set<String> = ["say", "says", "said", "claim", "claims", "claimed", "think", "thinks", "believe",
                                              "believes", "argue", "argues", "assume", "assumes", "insist", "insists", "suggest",
                                              "suggests", "write", "writes", "wrote", "maintain", "maintains", "reckon", "reckons"]
    /// Who such a verb reports: anyone but the one answering (or the paper, which the answer may quote).
    static let reporters: Set<String> = ["people", "some", "many", "others", "someone", "somebody", "friend", "friends", "textbook",
                                         "textbooks", "critics", "critic", "tutorial", "tutorials", "they", "he", "she", "students",
                                         "teacher", "teachers", "experts", "folks", "sources", "blogs", "blog", "books", "articles",
                                         "classmate", "classmates", "colleague", "colleagues", "internet", "websites", "commenters", "one", "somebody", "wikipedia", "reddit", "professor", "lecturer",
                                         "instructor", "everyone", "everybody"]
    /// Words between a reporter and its verb ("people *often* say").
    static let reportingAdverbs: Set<String> = ["often", "usually", "sometimes", "also", "may", "might", "will", "would", "still",
                                                "commonly", "always", "wrongly", "mistakenly", "falsely", "even", "do", "does", "could"]
    /// Words that start the answer's own view again after a reported or supposed claim.
    static let contrasts: Set<String> = ["but", "however", "yet", "whereas", "although", "though", "actually", "really", "instead"]

    /// The words the answer does not assert as its own: questions ("Does it compare features?"),
    /// claims it reports ("some people think X, but …", "my friend claims X"), words it
    /// mentions rather than uses ("the word *features* appears …", "the terms X come from"),
    /// and suppositions ("hypothetically, if it compared …, it would …"). A reported, mentioned
    /// or supposed claim runs from its marker to the end of the sentence or to the next clause
    /// that turns against it (`but`, `however`, `actually` …).
    public func unassertedIndices() -> Set<Int> { unassertedClaims().unasserted }

    /// Unasserted claims the answer then rejects (a subset of `unassertedIndices()`): a
    /// question answered `No.` / `Not at all` in the next sentence, or a reported or supposed
    /// claim followed by a rebuttal (`but he is wrong`, `but actually …`, `that is a myth`,
    /// `there is no such loss`). The answer denies what such a claim says.
    public func rejectedIndices() -> Set<Int> { unassertedClaims().rejected }

    /// Words said of something the answer sets against its subject: a clause opened by
    /// `unlike`, `as opposed to`, `in contrast to`, `contrary to`, with the relative clauses
    /// that follow it ("Unlike the style loss, *which compares with the painting*, this one …").
    public func contrastedIndices() -> Set<Int> {
        var out = Set<Int>()
        var i = 0
        while i < words.count {
            let clause = clauseIndices(of: i)
            let w = words[clause.lowerBound...].prefix(3).map(\.text)
            let opens = w.first == "unlike" || w.starts(with: ["as", "opposed", "to"]) || w.starts(with: ["in", "contrast", "to"])
                || w.starts(with: ["contrary", "to"])
            if opens {
                out.formUnion(clause)
                var next = clause.upperBound
                while next < words.count, words[next].sentence == words[clause.lowerBound].sentence,
                      ["which", "that", "who", "where", "whose"].contains(words[next].text) {
                    let c = clauseIndices(of: next)
                    out.formUnion(c); next = c.upperBound
                }
                i = next
            } else { i = clause.upperBound }
        }
        return out
    }

    /// Losses an answer may name besides the question's own ("the *style* loss", "the
    /// *content* loss").
    static let lossNames: Set<String> = ["style", "content", "total", "pixel", "perceptual", "texture"]

    /// Words said of another loss than the question's: a sentence whose subject is "the W
    /// loss" (or "W loss") with W not among `subjectWords` (the question's title), up to a
    /// clause that turns to something else (`while`, `but`, `whereas` …). "The style loss is
    /// the one that matches the painting; this one compares with the photo" says nothing of
    /// the content loss in its first sentence. Only when `subjectWords` name a loss.
    public func otherLossIndices(subjectWords: Set<String>) -> Set<Int> {
        guard subjectWords.contains("loss") else { return [] }
        var out = Set<Int>()
        var start = 0
        while start < words.count {
            let sentence = words[start].sentence
            var end = start
            while end < words.count, words[end].sentence == sentence { end += 1 }
            var k = start
            if words[k].text == "the", k + 1 < end { k += 1 }
            if k + 1 < end, Self.lossNames.contains(words[k].text), !subjectWords.contains(words[k].text),
               ["loss", "term"].contains(words[k + 1].text) {
                var i = start
                while i < end {
                    if i > start, words[i - 1].clause != words[i].clause,
                       Self.contrasts.contains(words[i].text) || ["while", "whereas", "this", "here"].contains(words[i].text) { break }
                    out.insert(i); i += 1
                }
            }
            start = end
        }
        return out
    }

    /// Words that answer a question with a denial when they open the next sentence.
    static let negativeAnswers: Set<String> = ["no", "not", "nope", "never", "none", "neither", "nothing", "wrong", "false", "nah"]
    /// Words that agree with a claim ("and they are right", "Yes.").
    static let affirmations: Set<String> = ["right", "correct", "true", "agree", "agreed", "indeed", "yes", "yep", "yeah", "rightly", "accurate"]
    /// Words that turn the answer against a claim it reported ("but actually …", "in fact").
    static let rebuttals: Set<String> = ["actually", "really", "fact", "reality", "truth"]

    func unassertedClaims() -> (unasserted: Set<Int>, rejected: Set<Int>) {
        var out = Set<Int>(), rejected = Set<Int>()
        let bySentence = Dictionary(grouping: words.indices, by: { words[$0].sentence })
        func sentenceRange(_ s: Int) -> [Int] { bySentence[s] ?? [] }
        // Whether `window` (the words after a claim) turns against it: a falsity word, a
        // negator or `actually` / `in fact`, and no word that agrees ("not wrong", "right").
        func rebuts(_ window: [Int]) -> Bool {
            let ws = window.map { words[$0].text }
            if ws.contains(where: Self.affirmations.contains) { return false }
            let negates = ws.indices.contains { Self.negators.contains(ws[$0]) && !($0 + 1 < ws.count && Self.negationExceptions.contains(ws[$0 + 1])) }
            let falsity = ws.contains(where: Self.falsity.contains) || ws.contains("nonsense")
            if negates && falsity { return false }   // "that is not wrong"
            return negates || falsity || ws.contains(where: Self.rebuttals.contains)
        }
        // A claim from `start` to the end of its sentence or to the clause that turns against
        // it; that clause (or, if none, the next sentence) says whether it is rejected. A
        // clause that agrees with it ("…, and they are right") makes it the answer's own.
        func claim(from start: Int) {
            var i = start
            let sentence = words[start].sentence
            var span: [Int] = []
            while i < words.count, words[i].sentence == sentence {
                if i > start, Self.contrasts.contains(words[i].text), words[i - 1].clause != words[i].clause { break }
                if i > start, words[i - 1].clause != words[i].clause {
                    let clause = Array(clauseIndices(of: i))
                    if clause.count <= 6, clause.contains(where: { Self.affirmations.contains(words[$0].text) }),
                       !clause.contains(where: { Self.negators.contains(words[$0].text) }) { return }   // endorsed
                }
                span.append(i); i += 1
            }
            out.formUnion(span)
            let window = i < words.count && words[i].sentence == sentence
                ? Array(i..<(sentenceRange(sentence).last! + 1))
                : (i < words.count ? sentenceRange(words[i].sentence) : [])
            if rebuts(window) { rejected.formUnion(span) }
        }
        // A question asks, unless it is a hedged claim ("Maybe it is used in every
        // iteration?", "I think it measures …, and maybe the optimiser reduces that?"): one
        // with a hedge that does not open with an auxiliary or a question word. A question
        // answered by the next sentence is rejected ("No.", "Not at all") or asserted ("Yes").
        let interrogatives: Set<String> = ["is", "are", "was", "were", "do", "does", "did", "can", "could", "should", "would", "will",
                                           "has", "have", "must", "may", "might", "what", "why", "how", "which", "who", "where", "when"]
        let hedges: Set<String> = ["maybe", "perhaps", "probably", "possibly", "presumably", "think", "guess", "believe", "suppose"]
        for q in questions.sorted() {
            let ws = sentenceRange(q)
            guard let first = ws.first else { continue }
            let hedged = ws.contains { hedges.contains(words[$0].text) } && !interrogatives.contains(words[first].text)
            if hedged { continue }
            // The answer: the first sentence after it that is not a question itself.
            var a = q + 1
            while questions.contains(a) { a += 1 }
            let answer = sentenceRange(a)
            let opening = answer.first.map { words[$0].text }
            if ["yes", "yep", "yeah", "indeed"].contains(opening ?? "") { continue }
            out.formUnion(ws)
            // ("Doesn't it compare features? No, it does.": after a negative question "No" is
            // no plain rejection; it stays for a person.)
            let negativeQuestion = ws.contains { Self.negators.contains(words[$0].text) }
            if let o = opening, Self.negativeAnswers.contains(o), !negativeQuestion,
               !(answer.count > 1 && Self.negationExceptions.contains(words[answer[1]].text)) {
                rejected.formUnion(ws)
            }
        }
        for i in words.indices {
            let w = words[i].text
            let prev = i >= 1 && words[i - 1].sentence == words[i].sentence ? words[i - 1].text : ""
            let next = i + 1 < words.count && words[i + 1].sentence == words[i].sentence ? words[i + 1].text : ""
            // ("Think of it as an anchor": a figure of speech, not a report.)
            if Self.reportingVerbs.contains(w), !(["think", "thinks"].contains(w) && next == "of") {
                // The reporter, skipping adverbs: "people often say", "my friend claims".
                var j = i - 1
                while j >= 0, words[j].sentence == words[i].sentence, Self.reportingAdverbs.contains(words[j].text) { j -= 1 }
                let reported = j >= 0 && words[j].sentence == words[i].sentence && Self.reporters.contains(words[j].text)
                // "it is said that", "it is often claimed".
                let passive = ["said", "claimed", "believed", "argued", "assumed", "thought"].contains(w)
                    && (["is", "was", "been", "often", "commonly", "widely", "sometimes"].contains(prev))
                // "I used to think X, but …".
                let former = prev == "to" && i >= 2 && words[i - 2].text == "used"
                if reported || passive || former { claim(from: j >= 0 && reported ? j : i) }
                // "X, or so they say.", "X, people claim.": the report closes the sentence.
                let closes = i + 1 >= words.count || words[i + 1].sentence != words[i].sentence
                if (reported || passive) && closes {
                    var k = i
                    while k > 0, words[k - 1].sentence == words[i].sentence { k -= 1 }
                    claim(from: k)
                }
            }
            if w == "according", next == "to" { claim(from: i) }
            // "A common misconception is that X", "the myth is that X".
            if ["myth", "misconception", "mistake", "fallacy", "belief"].contains(w), ["is", "was"].contains(next),
               i + 2 < words.count, words[i + 2].text == "that" { claim(from: i) }
            // Mention, not use: "the word features", "the key terms content target …".
            if ["word", "words", "term", "terms", "phrase", "phrases", "buzzword", "buzzwords", "jargon", "keyword", "keywords"].contains(w),
               ["the", "these", "those", "such", "key", "technical", "fancy", "magic", "expected", "right", "important"].contains(prev)
                || w.hasPrefix("buzz") { claim(from: i) }
            // Suppositions: "hypothetically", "suppose", "imagine", and "if …, it would …".
            // ("I suppose …" hedges the answer's own claim.)
            if ["hypothetically", "suppose", "supposing", "imagine", "pretend", "pretending"].contains(w), !["i", "we"].contains(prev) { claim(from: i) }
            // "If it compared …, it would …", "It would compare … if it were …": the whole sentence.
            if w == "if" {
                let sentence = sentenceRange(words[i].sentence)
                if sentence.contains(where: { words[$0].text == "would" }), let first = sentence.first { claim(from: first) }
            }
        }
        // "Just kidding": what came before is taken back.
        if let k = words.firstIndex(where: { ["kidding", "joking", "jk"].contains($0.text) }) {
            out.formUnion(words.indices.filter { words[$0].sentence < words[k].sentence || ($0 < k && words[$0].clause < words[k].clause) })
        }
        return (out, rejected.intersection(out))
    }
    public var texts: [String] { words.map(\.text) }

    /// Whether the words at `index` are denied within their clause: a negator earlier in
    /// the clause (not `not only`, `no matter`), or `X (…) is/are/does not` right after the phrase
    /// ending before `end`.
    public func isNegated(start: Int, end: Int) -> Bool {
        guard start < words.count else { return false }
        let clause = words[start].clause
        // A negator denies what follows it closely: up to six words back, within the clause,
        // or ten across a coordination ("never use the final layer *or* the class scores").
        var i = start - 1
        while i >= 0, i >= start - 10, words[i].clause == clause {
            let next = i + 1 < words.count ? words[i + 1].text : ""
            let coordinated = (i + 1..<start).contains { ["or", "nor"].contains(words[$0].text) }
            if Self.negators.contains(words[i].text), start - i <= 6 || coordinated {
                if !Self.negationExceptions.contains(next) { return true }
            }
            // "instead of X", "rather than X".
            if start - i <= 6, (words[i].text == "instead" && next == "of") || (words[i].text == "rather" && next == "than") { return true }
            i -= 1
        }
        // "Gram matrices are not used", "features are never compared".
        let auxiliaries: Set<String> = ["is", "are", "was", "were", "does", "do", "did", "can", "will", "has", "have", "need", "needs"]
        // "It is false that …", "incorrect to say …": a verdict on the clause that follows it.
        var b = start - 1
        while b >= 1, words[b].clause == clause {
            if ["that", "to"].contains(words[b].text), Self.falsity.contains(words[b - 1].text) { return true }
            b -= 1
        }
        // "… is false", "… is a myth": the verdict after the claim, in its clause.
        var f = end
        while f < min(end + 12, words.count), words[f].clause == clause {
            if Self.falsity.contains(words[f].text), f >= 1,
               ["is", "are", "was", "were", "s", "be", "a", "simply", "just", "also", "completely", "plainly", "both"].contains(words[f - 1].text) { return true }
            f += 1
        }
        // "Gram matrices are not used": the auxiliary may come up to two words later, and the
        // denial must be of the thing's use or presence (not "does not need to be designed").
        for j in end..<min(end + 3, words.count) where words[j].clause == clause && auxiliaries.contains(words[j].text) {
            let k = j + 1
            if k < words.count, words[k].clause == clause, words[k].text == "not" || words[k].text == "never" {
                let next = k + 1 < words.count && words[k + 1].clause == clause ? words[k + 1].text : ""
                return next.isEmpty || Self.denialsOfUse.contains(next)
            }
        }
        return false
    }

    /// The sentences without structure: two or more words and no function word, or eight or
    /// more where fewer than one word in eight is one (each as the indices of its words).
    public func unstructuredSentences(minimum: Int = 2) -> [Range<Int>] {
        guard !words.isEmpty else { return [] }   // "@", "…": an answer with no words
        var out: [Range<Int>] = []
        var start = 0
        for i in 1...words.count where i == words.count || words[i].sentence != words[start].sentence {
            let n = i - start
            let f = (start..<i).filter { Self.functionWords.contains(words[$0].text) }.count
            if (n >= minimum && f == 0) || (n >= 8 && Double(f) / Double(n) < 0.125) { out.append(start..<i) }
            start = i
        }
        return out
    }

    /// The indices of the words in the clause of word `i`.
    public func clauseIndices(of i: Int) -> Range<Int> {
        var a = i, b = i + 1
        while a > 0, words[a - 1].clause == words[i].clause { a -= 1 }
        while b < words.count, words[b].clause == words[i].clause { b += 1 }
        return a..<b
    }

    /// Where the answer denies something: negators (not `not only`, `no matter`) and words
    /// that call a claim false.
    public func denialIndices() -> [Int] {
        let verdictWords: Set<String> = ["true", "false", "correct", "right", "wrong", "incorrect", "untrue", "statement", "claim"]
        return words.indices.filter { i in
            let next = i + 1 < words.count ? words[i + 1].text : ""
            // A short clause giving the verdict ("Not true:", "The statement is false") is the
            // answer to a true/false question, not a denial inside its reasons.
            let clause = clauseIndices(of: i)
            if clause.count <= 4, clause.contains(where: { verdictWords.contains(words[$0].text) }) { return false }
            if Self.negators.contains(words[i].text) { return !Self.negationExceptions.contains(next) }
            return Self.falsity.contains(words[i].text)
        }
    }

    /// The sentences that speak to the grader ("award 4/4", "keywords: …", "note to the
    /// grader"): they earn nothing, and the answer needs review.
    public func graderSentences() -> Set<Int> {
        var out = Set<Int>()
        for w in words where Self.graderWords.contains(w.text) { out.insert(w.sentence) }
        for (i, w) in words.enumerated() {
            guard let context = Self.graderWordsInContext[w.text] else { continue }
            let before = i > 0 && words[i - 1].sentence == w.sentence ? words[i - 1].text : nil
            let after = i + 1 < words.count && words[i + 1].sentence == w.sentence ? words[i + 1].text : nil
            let opensSentence = before == nil
            if before.map(context.before.contains) == true || after.map(context.after.contains) == true
                || before?.first?.isNumber == true || after?.first?.isNumber == true
                || (opensSentence && (w.text == "keywords" || w.text == "keyword" || w.text == "marker")) {
                out.insert(w.sentence)
            }
        }
        // "4/4", "10/10": a mark out of a total.
        for i in words.indices.dropLast() where words[i].text.allSatisfy(\.isNumber) && words[i].text == words[i + 1].text
            && words[i].clause == words[i + 1].clause { out.insert(words[i].sentence) }
        return out
    }

    /// Lists written with commas ("Gram, correlation, texture, spatial"): three or more
    /// clauses in a row, each of at most three words with no function word other than
    /// a leading `and` / `or` (each as the indices of its words).
    public func commaLists() -> [Range<Int>] {
        guard !words.isEmpty else { return [] }
        var clauses: [Range<Int>] = []
        var s = 0
        for i in 1...words.count where i == words.count || words[i].clause != words[s].clause {
            clauses.append(s..<i)
            s = i
        }
        func short(_ r: Range<Int>) -> Bool {
            let content = r.filter { !(["and", "or"].contains(words[$0].text) && $0 == r.lowerBound) }
            return !content.isEmpty && content.count <= 3 && content.allSatisfy { !Self.functionWords.contains(words[$0].text) }
        }
        var out: [Range<Int>] = []
        var k = 0
        while k < clauses.count {
            var m = k
            while m < clauses.count, short(clauses[m]), m == k || words[clauses[m].lowerBound].sentence == words[clauses[k].lowerBound].sentence { m += 1 }
            if m - k >= 3 { out.append(clauses[k].lowerBound..<clauses[m - 1].upperBound) }
            k = max(m, k + 1)
        }
        return out
    }

    /// Runs of at least `minimum` consecutive words within one clause and without a
    /// function word ("gram correlation texture spatial minimise"): keyword lists inside a
    /// sentence, when they hold several ideas (the rubric matcher decides).
    public func functionFreeRuns(minimum: Int = 5) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var start: Int?
        for i in 0...words.count {
            let breaks = i == words.count || Self.functionWords.contains(words[i].text)
                || (start != nil && words[i].clause != words[start!].clause)
            if breaks {
                if let s = start, i - s >= minimum { runs.append(s..<i) }
                start = (i < words.count && !Self.functionWords.contains(words[i].text)) ? i : nil
            } else if start == nil { start = i }
        }
        return runs
    }

    /// Where a phrase occurs (start, end) within one sentence; `*` at a word's end matches any
    /// word starting with it, a lone `*` any one word, and `**` up to eight words of the same
    /// clause (`gram ** content`: "the Gram matrix of the deepest layer is the content"), so
    /// that a phrase can state who does what to whom.
    public func occurrences(of phrase: String) -> [(start: Int, end: Int)] {
        let p = PhraseTokens.tokens(phrase)
        guard let head = p.first, head != "**", p.filter({ $0 != "**" }).count <= words.count else { return [] }
        // Candidate starts from the index of words (a class's worth of answers is graded
        // against every phrase of every rubric, so this is the hot loop).
        var starts: [Int]
        if head == "*" { starts = Array(words.indices) }
        else if head.hasSuffix("*") {
            let stem = head.dropLast()
            starts = positions.filter { $0.key.hasPrefix(stem) }.flatMap(\.value).sorted()
        } else { starts = positions[head] ?? [] }
        var found: [(Int, Int)] = []
        for start in starts {
            if let end = matchEnd(p, 1, at: start + 1, sentence: words[start].sentence, clause: words[start].clause, gapped: false) {
                found.append((start, end))
            }
        }
        return found
    }

    /// The end of the shortest match of `p[k...]` starting at word `i` (after `p[0..<k]`
    /// matched), or nil. Words stay in `sentence`; once a `**` is used, in `clause` too.
    private func matchEnd(_ p: [String], _ k: Int, at i: Int, sentence: Int, clause: Int, gapped: Bool) -> Int? {
        if k == p.count { return i }
        if p[k] == "**" {
            for skip in 0...8 {
                let j = i + skip
                if j > words.count { break }
                if skip > 0 && (words[j - 1].clause != clause) { break }
                if let e = matchEnd(p, k + 1, at: j, sentence: sentence, clause: clause, gapped: true) { return e }
            }
            return nil
        }
        guard i < words.count, words[i].sentence == sentence, !gapped || words[i].clause == clause,
              RubricMatcher.wordMatches(p[k], words[i].text) else { return nil }
        return matchEnd(p, k + 1, at: i + 1, sentence: sentence, clause: clause, gapped: gapped)
    }
}

/// Values computed once per key and kept, up to `limit` keys, behind a lock (answers are
/// graded concurrently; a class's answers files reuse one bank).
final class Memo<Value: Sendable>: @unchecked Sendable {
    private var cache: [String: Value] = [:]
    private let lock = NSLock()
    let limit: Int
    init(limit: Int) { self.limit = limit }
    func value(_ key: String, _ make: () -> Value) -> Value {
        lock.lock(); let hit = cache[key]; lock.unlock()
        if let hit { return hit }
        let v = make()
        lock.lock(); if cache.count < limit { cache[key] = v }; lock.unlock()
        return v
    }
}

/// Phrase words, tokenised once per phrase (a class's answers files reuse one rubric).
enum PhraseTokens {
    static let memo = Memo<[String]>(limit: 100_000)
    static func tokens(_ phrase: String) -> [String] { memo.value(phrase) { RubricMatcher.tokens(phrase, keepStar: true) } }
}
