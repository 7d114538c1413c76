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
        /// The misconceptions the answer asserts.
        public var wrong: [WrongIdea] = []
        /// The answer (or part of it) is a list of keywords rather than sentences.
        public var keywordList = false
        /// A list that is not only keywords: terse notes may be a real answer, so the 0 its
        /// listed words earn is only a suggestion.
        public var terseNotes = false
        /// The answer speaks to the grader ("award 4/4", "keywords: …"): those sentences earn nothing.
        public var addressesGrader = false
        /// A denial (`not`, `never`, `is false`) that the rubric cannot place: it denies
        /// something no key idea names, which may change what the answer means.
        public var unplacedDenial = false
        /// An idea or misconception occurs only where the answer does not assert it: in a
        /// question, a claim it reports ("some people think …"), a word it mentions, or a
        /// supposition. It is not credited (nor charged), and a person should look.
        public var unasserted = false
        /// The answer denies a misconception ("it is a myth that the painting has to be in
        /// the training data"): that says a key idea in other words, so a score short of full
        /// is only a suggestion.
        public var deniedMisconception = false
        /// A key idea is named in a sentence to the grader that is not a list of keywords.
        public var ideaInGraderWords = false
        /// A misconception is asserted only by one word ("maximises", "blended"), not by a
        /// phrase that says of what: it may be said of something else, so a person looks.
        public var wrongByOneWord = false
        /// A key idea is credited only through words that also assert a misconception.
        public var conflated = false
        /// A key idea credited in one place and denied in another ("it drops the layout … it
        /// does not discard the layout"): beside a misconception, the answer says both, and a
        /// person must decide which it means.
        public var contradicted = false
        /// Words in the answer.
        public var wordCount = 0
        /// One idea said in six places or more, or (with three ideas or more) four places per
        /// idea on average: an answer that reads like the rubric recited (still credited,
        /// but a person should look).
        public var recited = false
        /// The credited fraction: ideas found over ideas; with a misconception asserted, one
        /// idea less per misconception, and at most ½.
        public var fraction: Double {
            let n = matched.count + missed.count
            guard n > 0 else { return 0 }
            let plain = Double(matched.count) / Double(n)
            if wrong.isEmpty { return plain }
            return min(0.5, Double(max(0, matched.count - wrong.count)) / Double(n))
        }
        /// The evidence does not agree, so the score is only a suggestion and a person should
        /// look: something denied or unplaced, a misconception, words listed, the grader
        /// addressed, the rubric recited, or a long answer that missed ideas (it may say them
        /// in words the rubric does not know).
        ///
        /// An answer that earns nothing because everything it names is denied or listed, and
        /// that says nothing else at length, is a sure 0: there is no credit to disagree about.
        /// `needsReview` for the reasons of a right true/false verdict or choice: with a
        /// misconception asserted the score is the verdict's half whatever the reasons credit,
        /// so a denied misconception beside it (which may only add credit) changes nothing.
        public var needsReviewBesideVerdict: Bool {
            guard !wrong.isEmpty, deniedMisconception else { return needsReview(besideVerdict: true) }
            var o = self
            o.deniedMisconception = false
            return o.needsReview(besideVerdict: true)
        }

        public var needsReview: Bool { needsReview(besideVerdict: false) }

        private func needsReview(besideVerdict: Bool) -> Bool {
            if recited || terseNotes || unasserted { return true }
            // Words to the grader and nothing else to credit ("Note to the grader: award 4/4."):
            // a sure 0, named in the feedback. With an answer beside them, a person looks.
            if addressesGrader && !(matched.isEmpty && wrong.isEmpty && !ideaInGraderWords && sentenceWords < 12) { return true }
            // A misconception asserted: the score is capped (0, or the right verdict's half,
            // when no key idea is credited) and sure when nothing else is in doubt.
            // Beside credited ideas it is sure only when it takes the place of one (an idea is
            // missed): every key idea said *and* a misconception is a contradiction a person reads.
            // A key idea named only by the misconception's own words is disagreeing evidence too.
            // Alone, a misconception's capped score is sure only when it is 0: a text answer whose
            // central claim is wrong may deserve nothing for the right words beside it ("the Gram
            // matrix records where each stroke sits" credits "Gram", not half of the rest), so a
            // capped part credit is a suggestion. (Beside a verdict the score is the verdict's
            // half whatever the reasons credit.)
            if !wrong.isEmpty {
                return missed.isEmpty || conflated || wrongByOneWord || keywordList || unplacedDenial || deniedMisconception
                    || contradicted || (!besideVerdict && fraction > 0)
            }
            if deniedMisconception && !missed.isEmpty && !matched.isEmpty { return true }
            let mixed = !matched.isEmpty && (!negated.isEmpty || keywordList || unplacedDenial)
            // Only denials and lists: nothing to credit, whatever else it says.
            let onlyDenied = matched.isEmpty && (!negated.isEmpty || keywordList)
            return mixed || (mayParaphraseMissed && !onlyDenied)
        }
        /// A long answer that misses an idea may say it in words the rubric does not know:
        /// when it earns under 60 %, or when some of its words are left unexplained (not the
        /// rubric's, the subject's, structure or hedging).
        public var mayParaphraseMissed: Bool {
            !absent.isEmpty && sentenceWords >= 12 && (fraction < 0.6 || unexplainedWords >= 3)
        }
        /// Words that nothing accounts for: not in a key or wrong idea's phrasing, not the
        /// subject's nouns, not structure (`AnswerText.functionWords`) or hedging
        /// (`RubricMatcher.lightWords`), outside lists and words to the grader.
        public var unexplainedWords = 0
        /// No word of the answer belongs to an idea's phrasing or to the subject's vocabulary
        /// (`RubricMatcher.listNouns`, `RubricMatcher.subjectWords`): "Pizza is my favourite food."
        /// A text answer off the subject, with nothing credited or charged, is a sure 0 whatever
        /// its length (`QuizGrader`); a true/false or choice reason is not judged so (a verdict's
        /// reason may be vague and right: "one look is enough").
        public var offSubject = false
        /// Words outside keyword lists and sentences addressed to the grader.
        public var sentenceWords = 0
        /// Labels of the ideas of which the answer says nothing at all (not even denied or listed).
        public var absent: [String] = []
    }

    /// Nouns of the subject that keyword lists are made of besides the rubric's own words
    /// ("Gram *matrix*", "several *layers*", "content *loss*"). Verbs and links are not among
    /// them, so that terse notes ("Gram matrices drop layout, keep texture") still read as
    /// notes, not as a list.
    static let listNouns: Set<String> = ["matrix", "matrices", "layer", "layers", "map", "maps", "loss", "losses", "image", "images",
        "feature", "features", "style", "content", "network", "networks", "pixel", "pixels", "photo", "photograph", "painting",
        "cnn", "vgg", "pass", "scale", "structure", "structures", "deep", "shallow", "spatial", "layout", "position", "positions",
        "target", "iteration", "iterations", "gradient", "weights", "training", "pretrained", "imagenet", "statistics", "texture",
        "textures", "colour", "colours", "color", "colors", "correlation", "correlations", "activation", "activations", "filter",
        "filters", "channel", "channels", "crest", "crests", "swirls", "field", "fields", "receptive", "large", "larger", "small",
        "fine", "several", "multiple", "any", "single", "once", "every", "each", "no", "frozen", "fixed", "brush", "strokes",
        "true", "false", "first", "second"]

    /// Words of the subject besides `listNouns`: an answer with none of them, and no word of
    /// any idea, is off the subject.
    static let subjectWords: Set<String> = ["picture", "pictures", "output", "outputs", "artwork", "art", "canvas", "result",
        "classifier", "optimiser", "optimizer", "optimisation", "optimization", "optimise", "optimize", "gram", "layer",
        "conv", "relu", "neural", "net", "model", "photos", "paintings", "generated", "stylised", "stylized", "transfer",
        "wave", "waves", "turtle", "detail", "details", "shape", "shapes", "pattern", "patterns", "train", "trained",
        "dataset", "data", "triples", "learn", "learned", "learns", "compare", "compares", "match", "matches", "minimise",
        "minimize", "forward", "backward", "backpropagation", "derivative", "gradient", "descent", "update", "updated"]

    /// Pronouns and possessives: an answer about the question's subject refers to it ("*it*
    /// compares", "*its* features", "*you* run the image …").
    static let referringPronouns: Set<String> = ["it", "its", "this", "these", "those", "they", "them", "their",
        "we", "our", "us", "you", "your", "i", "my"]
    /// Determiners that point at a definite thing: "*the* photograph", "*that* score".
    static let definiteDeterminers: Set<String> = ["the", "that", "this", "these", "those"]

    /// Whether `text` refers to something the question speaks of: a pronoun, or a definite
    /// determiner with a word of `lexicon` (the question's own words) among the next two.
    /// A general statement does not ("Loss functions are used in machine learning to train
    /// models on data.", "CNNs were invented by LeCun in the 1980s.").
    static func refersToQuestion(_ text: AnswerText, lexicon: Set<String>) -> Bool {
        let w = text.texts
        return w.indices.contains { i in
            if referringPronouns.contains(w[i]) { return true }
            guard definiteDeterminers.contains(w[i]) else { return false }
            return (i + 1..<min(i + 3, w.count)).contains { lexicon.contains(w[$0]) && !AnswerText.functionWords.contains(w[$0]) }
        }
    }

    /// Words that hedge, link or fill and say nothing of the subject ("I *think* it *just*
    /// …", "it *gets* minimised"): they leave nothing unexplained.
    static let lightWords: Set<String> = ["think", "believe", "guess", "suppose", "probably", "maybe", "perhaps", "possibly",
        "likely", "sure", "certain", "fairly", "quite", "pretty", "completely", "entirely", "really", "just", "only", "also",
        "very", "much", "basically", "mostly", "roughly", "kind", "sort", "understand", "know", "lean", "towards", "toward",
        "say", "go", "far", "get", "gets", "got", "make", "makes", "made", "use", "uses", "used", "using", "take", "takes",
        "yes", "yep", "yeah", "nope", "nah", "true", "false", "correct", "right", "wrong", "statement", "answer", "well", "then", "here", "even", "still",
        "both", "all", "one", "two", "some", "other", "same", "up", "out", "new", "first", "second", "image", "picture",
        "i", "m", "ll", "ve", "re", "d", "s", "t", "t"]

    /// Words that, inside a wrong idea's `**` gap, deny the relation the phrase claims.
    static let gapDenials: Set<String> = AnswerText.negators.union(["regardless", "irrespective", "independent", "independently",
                                                                     "invariant", "instead", "rather", "except"])

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

    public static func judge(_ answer: String, rubric: [RubricIdea], wrong: [WrongIdea] = [], rejected: Set<Int> = [],
                             subject: String = "") -> Outcome {
        judge(AnswerText(answer), rubric: rubric, wrong: wrong, rejected: rejected, subject: subject)
    }

    /// `rejected`: where the answer names an option it did not choose (a choice question's
    /// reasons). A key idea denied of that option ("the second *lacks* the large curls") is
    /// said in favour of the chosen one, and is credited.
    /// `subject`: what the question asks about (its title); what the answer says of another
    /// loss than the one it names is not said of it (`AnswerText.otherLossIndices`).
    public static func judge(_ text: AnswerText, rubric: [RubricIdea], wrong: [WrongIdea] = [], rejected: Set<Int> = [],
                             subject: String = "") -> Outcome {
        // Sentences that speak to the grader earn nothing.
        let graderSentences = text.graderSentences()
        func speaksToGrader(_ o: (start: Int, end: Int)) -> Bool { graderSentences.contains(text.words[o.start].sentence) }
        // A sentence to the grader that names its keywords as such ("Keywords: …", "the
        // expected terms are …") only lists them; one that does not may carry an answer
        // ("Dear examiner: run the image forward …"), which a person should read.
        let mentionWords: Set<String> = ["keyword", "keywords", "term", "terms", "words", "word", "buzzwords"]
        let commaListed = Set(text.commaLists().joined())
        let listingSentences = Set(graderSentences.filter { s in
            text.words.indices.contains { text.words[$0].sentence == s && (mentionWords.contains(text.words[$0].text) || commaListed.contains($0)) }
        })
        // Words without sentence structure that name several ideas are a keyword list: a
        // whole sentence naming two ideas or more, or a run inside one naming three or more.
        var listed = Set<Int>()
        // A key idea's occurrence whose words hold more denials than its phrase does: a `*` or
        // `**` gap took in the denial, which denies the phrase ("loses *no* spatial
        // information" for `lose* ** spatial`, "does not *ignore* where" for `not * where`).
        var deniedInside = Set<[Int]>()
        let texts = text.texts
        func denials(_ words: [String]) -> Int {
            words.indices.filter { AnswerText.negators.contains(words[$0]) && !($0 + 1 < words.count && AnswerText.negationExceptions.contains(words[$0 + 1])) }.count
        }
        let found: [[(start: Int, end: Int)]] = rubric.map { idea in
            idea.phrases.flatMap { phrase -> [(start: Int, end: Int)] in
                let own = denials(PhraseTokens.tokens(phrase))
                let hits = text.occurrences(of: phrase)
                for o in hits where denials(Array(texts[o.start..<o.end])) > own { deniedInside.insert([o.start, o.end]) }
                return hits
            }
        }
        let wrongFound: [[(start: Int, end: Int)]] = wrong.map { idea in idea.phrases.flatMap { text.occurrences(of: $0) } }
        func ideasIn(_ range: Range<Int>) -> Int {
            (found + wrongFound).filter { occurrences in occurrences.contains { range.contains($0.start) && range.contains($0.end - 1) } }.count
        }
        // Places where some idea's words occur, without overlap.
        func placesIn(_ range: Range<Int>) -> Int {
            var covered = Set<Int>(), places = 0
            for o in (found + wrongFound).joined().sorted(by: { $0.start < $1.start })
            where range.contains(o.start) && range.contains(o.end - 1) && !covered.contains(o.start) {
                places += 1; covered.formUnion(o.start..<o.end)
            }
            return places
        }
        // Fragments in a row ("Forward pass. Activations. Gram matrices.") are one list.
        var fragments: [Range<Int>] = []
        for sentence in text.unstructuredSentences(minimum: 1) {
            if let last = fragments.last, last.upperBound == sentence.lowerBound { fragments[fragments.count - 1] = last.lowerBound..<sentence.upperBound }
            else { fragments.append(sentence) }
        }
        // Words that some idea's phrasing covers: in a list of keywords nearly all are; in
        // terse notes ("Gram matrices drop layout, keep texture") verbs and links are not.
        var covered = Set(text.words.indices.filter { Self.listNouns.contains(text.words[$0].text) || text.words[$0].text.allSatisfy(\.isNumber) })
        for o in (found + wrongFound).joined() { covered.formUnion(o.start..<o.end) }
        var out = Outcome(matched: [], missed: [])
        // A list is plainly keywords (a sure 0) when its items are one or two words and
        // three in four are the subject's words, or, without separators, every word is one.
        // Otherwise it may be terse notes, and its 0 is only a suggestion.
        func list(_ range: Range<Int>, items: Bool) {
            listed.formUnion(range)
            let share = Double(range.filter { covered.contains($0) }.count) / Double(range.count)
            var pieces: [Int: Int] = [:]
            for i in range where !["and", "or"].contains(text.words[i].text) {
                pieces[items ? text.words[i].clause : 0, default: 0] += 1
            }
            // (Notes put a verb between nouns in items of four words or more, "Gram matrices drop
            // layout"; a run of eight words or more with no separator and no function word is
            // not notes either, even with a word or two no idea covers.)
            let plain = items ? share >= 0.75 && pieces.values.allSatisfy { $0 <= 3 } : share == 1 || (range.count >= 8 && share >= 0.75)
            if !plain { out.terseNotes = true }
        }
        for run in fragments where ideasIn(run) >= 2 || placesIn(run) >= 3 {
            // One fragment is a sentence without separators; several are items.
            let sentences = Set(run.map { text.words[$0].sentence }).count
            list(run, items: sentences > 1 || text.commaLists().contains { $0.overlaps(run) })
        }
        for run in text.functionFreeRuns() where ideasIn(run) >= 3 { list(run, items: false) }
        // A sentence that is nothing but a comma list ("Start, target, each step, content
        // loss.") is keywords even when it names one idea.
        func wholeSentence(_ r: Range<Int>) -> Bool {
            (r.lowerBound == 0 || text.words[r.lowerBound - 1].sentence != text.words[r.lowerBound].sentence)
                && (r.upperBound == text.count || text.words[r.upperBound].sentence != text.words[r.upperBound - 1].sentence)
        }
        for l in text.commaLists() where ideasIn(l) >= 2 || (ideasIn(l) >= 1 && wholeSentence(l)) { list(l, items: true) }
        out.wordCount = text.count
        out.addressesGrader = !graderSentences.isEmpty
        var phrasesHit = 0
        for occurrences in found {
            // Places, not phrases: overlapping phrasings of the same words count once.
            let places = Set(occurrences.map(\.start)).count
            phrasesHit += places
            if places >= 6 { out.recited = true }
        }
        if rubric.count > 2 && phrasesHit >= 4 * rubric.count { out.recited = true }
        // Words covered by an occurrence, denied or not: a denial among them is placed.
        var placed = Set<Int>()
        let claims = text.unassertedClaims()
        let unasserted = claims.unasserted, rejectedClaims = claims.rejected
        let contrasted = text.contrastedIndices().union(text.otherLossIndices(subjectWords: Set(AnswerText(subject).texts)))
        // An occurrence in a sentence that names a rejected option before it, with no other
        // option named in between.
        func saidOfRejected(_ start: Int) -> Bool {
            guard let r = rejected.filter({ $0 < start && text.words[$0].sentence == text.words[start].sentence }).max() else { return false }
            return !text.words[r + 1..<start].contains { ["first", "second", "1", "2", "former", "latter", "upper", "lower", "top", "bottom"].contains($0.text) }
        }
        // Misconceptions first: a key idea named only by the words that assert one ("how far
        // the output's features are from the *painting's*" names a comparison, with the wrong
        // image) is credited, but the answer needs review (`conflated`).
        var wrongWords = Set<Int>()
        for (idea, occurrences) in zip(wrong, wrongFound) {
            var asserted = false, phrased = false
            for o in occurrences {
                if speaksToGrader(o) { continue }
                if (o.start..<o.end).contains(where: { listed.contains($0) }) { out.keywordList = true; continue }
                placed.formUnion(o.start..<o.end)
                // A misconception the answer reports and then rejects ("people claim you must
                // fine-tune VGG; you don't") is denied.
                if rejectedClaims.contains(o.start) { out.deniedMisconception = true; continue }
                if unasserted.contains(o.start) { out.unasserted = true; continue }
                // Said of the thing set against the subject ("unlike the style loss, which
                // compares with the painting"): not the answer's claim about the subject.
                if contrasted.contains(o.start) { continue }
                // A denial inside the phrase's gap turns it round: "captures texture *regardless
                // of* position" does not claim the position is captured.
                if (o.start + 1..<o.end).contains(where: { Self.gapDenials.contains(text.words[$0].text) }) { continue }
                // A misconception denied is no misconception ("the layout is not kept").
                if text.isNegated(start: o.start, end: o.end) {
                    placed.formUnion(text.clauseIndices(of: o.start)); out.deniedMisconception = true; continue
                }
                asserted = true
                if o.end - o.start >= 2 { phrased = true }
                wrongWords.formUnion(o.start..<o.end)
            }
            if asserted { out.wrong.append(idea) }
            // One word alone ("maximises", "blended") does not say of what: "maximises how
            // similar the features are" is right. Only a phrase that names it makes it sure.
            if asserted && !phrased { out.wrongByOneWord = true }
        }
        var creditedWords = Set<Int>()
        for (idea, occurrences) in zip(rubric, found) {
            var credited = false, denied = false, inList = false, onlyUnasserted = false, overlapping = false
            for o in occurrences {
                if speaksToGrader(o) {
                    if !listingSentences.contains(text.words[o.start].sentence) { out.ideaInGraderWords = true }
                    continue
                }
                if (o.start..<o.end).contains(where: { listed.contains($0) }) { inList = true; continue }
                placed.formUnion(o.start..<o.end)
                // A claim the answer reports or asks and then rejects: denied.
                if rejectedClaims.contains(o.start) { denied = true; continue }
                if unasserted.contains(o.start) || contrasted.contains(o.start) { onlyUnasserted = true; continue }
                if (o.start..<o.end).contains(where: wrongWords.contains) { overlapping = true; continue }
                if text.isNegated(start: o.start, end: o.end) || deniedInside.contains([o.start, o.end]) {
                    // Denied of the option not chosen, it speaks for the chosen one (and the
                    // denial is placed).
                    placed.formUnion(text.clauseIndices(of: o.start))
                    if !saidOfRejected(o.start) { denied = true; continue }
                }
                credited = true
                creditedWords.formUnion(o.start..<o.end)
            }
            if onlyUnasserted && !credited { out.unasserted = true }
            // Only the misconception's words name it: it is credited as before, but the
            // evidence disagrees ("how far the features are from the *painting's*").
            if overlapping && !credited { credited = true; out.conflated = true }
            if credited && denied { out.contradicted = true }
            if credited { out.matched.append(idea.name) }
            else {
                out.missed.append(idea.name)
                if denied { out.negated.append(idea.name) }
                if inList { out.keywordList = true }
                if !denied && !inList { out.absent.append(idea.name) }
            }
        }
        // A denial the rubric cannot place, in a clause where an idea was credited: the
        // negation's scope may reach that idea in a way the matcher does not see.
        out.unplacedDenial = text.denialIndices().contains { d in
            guard !placed.contains(d), !graderSentences.contains(text.words[d].sentence) else { return false }
            let clause = text.clauseIndices(of: d)
            return creditedWords.contains { clause.contains($0) }
        }
        out.sentenceWords = text.words.indices.filter { !listed.contains($0) && !graderSentences.contains(text.words[$0].sentence) }.count
        out.offSubject = !text.words.indices.contains { covered.contains($0) || Self.subjectWords.contains(text.words[$0].text) }
        out.unexplainedWords = text.words.indices.filter { i in
            let w = text.words[i].text
            return !listed.contains(i) && !graderSentences.contains(text.words[i].sentence) && !covered.contains(i)
                && !AnswerText.functionWords.contains(w) && !Self.lightWords.contains(w) && !AnswerText.negators.contains(w)
                && !w.allSatisfy(\.isNumber)
        }.count
        return out
    }
}
