import Foundation

/// Judges free text against a rubric of key ideas.
///
/// Both the answer and every phrase are normalised the same way: lower case, accents
/// removed (é → e), every character that is not a letter or digit turned into a space,
/// so "Gram-matrices", "gram matrices" and "GRAM MATRICES!" read alike. A phrase matches
/// when its words appear consecutively in the answer; a phrase word ending in `*` matches
/// any word starting with it. An idea counts when any of its phrases matches.
///
/// Credit is the fraction of ideas found (each idea weighs the same). This is word
/// matching, not understanding: "does not need training" contains "training" — rubrics are
/// written with phrases that are hard to hit by accident, and the model answer is always
/// shown afterwards so the student can compare.
public enum RubricMatcher {
    public struct Outcome: Sendable, Equatable {
        public var matched: [String]   // names of the ideas found
        public var missed: [String]    // names of the ideas not found
        public var fraction: Double { matched.count + missed.count == 0 ? 0 : Double(matched.count) / Double(matched.count + missed.count) }
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

    /// True when the phrase's words occur consecutively in `words`.
    public static func phraseMatches(_ phrase: String, in words: [String]) -> Bool {
        let p = tokens(phrase, keepStar: true)
        guard !p.isEmpty, p.count <= words.count else { return false }
        for start in 0...(words.count - p.count) {
            var ok = true
            for k in 0..<p.count where !wordMatches(p[k], words[start + k]) { ok = false; break }
            if ok { return true }
        }
        return false
    }

    public static func judge(_ answer: String, rubric: [RubricIdea]) -> Outcome {
        let words = tokens(answer)
        var out = Outcome(matched: [], missed: [])
        for idea in rubric {
            let name = idea.name.replacingOccurrences(of: "*", with: "…")
            if idea.phrases.contains(where: { phraseMatches($0, in: words) }) { out.matched.append(name) }
            else { out.missed.append(name) }
        }
        return out
    }
}
