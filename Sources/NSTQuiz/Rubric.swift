import Foundation

/// Judges free text against a rubric of key ideas.
///
/// Phrases are matched on `AnswerText`'s words: a phrase matches when its words occur
/// consecutively within one sentence; a phrase word ending in `*` matches any word starting
/// with it. An idea counts when one of its phrases matches and that occurrence is
///  - not denied within its clause (`not`, `no`, `never`, `without`, `nothing`, `ignore` …
///    earlier in the clause, or `X is not …` right after it), and
///  - not part of a keyword list: a sentence without the words that give sentences their
///    structure (articles, pronouns, auxiliaries, prepositions) naming two ideas or more,
///    or a run of five or more such words within a clause naming three or more.
///
/// Credit is the fraction of ideas counted. This is still word matching, not
/// understanding: the outcome says when it is unsure (`needsReview`) so that a person
/// looks, and the model answer is always shown afterwards.
public enum RubricMatcher {
    public struct Outcome: Sendable, Equatable {
        /// Labels of the ideas found.
        public var matched: [String]
        /// Labels of the ideas not found.
        public var missed: [String]
        /// Labels of ideas whose only occurrences were denied (counted as missed).
        public var negated: [String] = []
        /// The answer (or part of it) is a list of keywords rather than sentences.
        public var keywordList = false
        /// Words in the answer.
        public var wordCount = 0
        /// One idea said in six places or more, or (with three ideas or more) four places per
        /// idea on average: an answer that reads like the rubric recited (still credited,
        /// but a person should look).
        public var recited = false
        public var fraction: Double { matched.count + missed.count == 0 ? 0 : Double(matched.count) / Double(matched.count + missed.count) }
        /// Low confidence: something was denied, or words were listed, or a long answer
        /// missed ideas (it may say them in words the rubric does not know).
        public var needsReview: Bool { !negated.isEmpty || keywordList || recited || (fraction < 1 && wordCount >= 12) }
    }

    /// The normalised words of `text` (`keepStar` keeps `*` for phrase wildcards).
    public static func tokens(_ text: String, keepStar: Bool = false) -> [String] {
        let folded = text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: Locale(identifier: "en_US_POSIX"))
        var words: [String] = []
        var current = ""
        for ch in folded {
            if ch.isLetter || ch.isNumber || (keepStar && ch == "*") { current.append(ch) }
            else if !current.isEmpty { words.append(current); current = "" }
        }
        if !current.isEmpty { words.append(current) }
        return words.map { $0.lowercased() }
    }

    static func wordMatches(_ pattern: String, _ word: String) -> Bool {
        if pattern.hasSuffix("*") {
            let stem = pattern.dropLast()
            return stem.isEmpty || word.hasPrefix(stem)
        }
        return pattern == word
    }

    public static func judge(_ answer: String, rubric: [RubricIdea]) -> Outcome {
        judge(AnswerText(answer), rubric: rubric)
    }

    public static func judge(_ text: AnswerText, rubric: [RubricIdea]) -> Outcome {
        // Words without sentence structure that name several ideas are a keyword list: a
        // whole sentence naming two ideas or more, or a run inside one naming three or more.
        var listed = Set<Int>()
        let found: [[(start: Int, end: Int)]] = rubric.map { idea in idea.phrases.flatMap { text.occurrences(of: $0) } }
        func ideasIn(_ range: Range<Int>) -> Int {
            found.filter { occurrences in occurrences.contains { range.contains($0.start) && range.contains($0.end - 1) } }.count
        }
        for sentence in text.unstructuredSentences() where ideasIn(sentence) >= 2 { listed.formUnion(sentence) }
        for run in text.functionFreeRuns() where ideasIn(run) >= 3 { listed.formUnion(run) }
        var out = Outcome(matched: [], missed: [])
        out.wordCount = text.count
        var phrasesHit = 0
        for occurrences in found {
            // Places, not phrases: overlapping phrasings of the same words count once.
            let places = Set(occurrences.map(\.start)).count
            phrasesHit += places
            if places >= 6 { out.recited = true }
        }
        if rubric.count > 2 && phrasesHit >= 4 * rubric.count { out.recited = true }
        for (idea, occurrences) in zip(rubric, found) {
            var credited = false, denied = false, inList = false
            for o in occurrences {
                if (o.start..<o.end).contains(where: { listed.contains($0) }) { inList = true; continue }
                if text.isNegated(start: o.start, end: o.end) { denied = true; continue }
                credited = true
            }
            if credited { out.matched.append(idea.name) }
            else {
                out.missed.append(idea.name)
                if denied { out.negated.append(idea.name) }
                if inList { out.keywordList = true }
            }
        }
        return out
    }
}
