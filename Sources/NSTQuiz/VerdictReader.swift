import Foundation

/// Reads which verdict a true/false answer asserts, and which option a choice answer
/// chooses — from an explicit first line (`answer: false`, `choice: first`) or from the
/// phrasing. When the phrasing does not settle it, the reader says so (`value == nil`,
/// `chosen` empty) rather than guess.
public enum VerdictReader {
    public struct TrueFalse: Sendable, Equatable {
        public var value: Bool?
        /// What the answer gives as its reasons (the whole answer for free phrasing).
        public var explanation: String
        /// The verdict came from an `answer:` line.
        public var explicit: Bool
        /// The phrasing states it plainly (`False.`, `the statement is false`).
        public var sure: Bool
        /// The phrasing says both.
        public var conflicting: Bool
    }

    public struct Choice: Sendable, Equatable {
        public var chosen: [String]
        public var explanation: String
        public var explicit: Bool
        public var sure: Bool
        public var conflicting: Bool
    }

    /// `answer: true` / `verdict: false` / `choice: first` on the first non-blank line.
    static func explicitLine(_ answer: String, names: [String]) -> (value: String, rest: String)? {
        let lines = answer.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let first = lines.firstIndex(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else { return nil }
        let line = lines[first].trimmingCharacters(in: .whitespaces)
        guard let colon = line.firstIndex(of: ":") else { return nil }
        let key = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        guard names.contains(key) else { return nil }
        let after = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        let value = after.prefix { $0.isLetter || $0.isNumber }.lowercased()
        let sameLine = after.dropFirst(value.count).trimmingCharacters(in: CharacterSet(charactersIn: " .,;:—–-"))
        let rest = ([sameLine] + lines[(first + 1)...]).joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return (value, rest)
    }

    // MARK: true / false

    static let explicitValues: [String: Bool] = ["true": true, "false": false, "t": true, "f": false]

    /// The verdict of an answer that opens with a capital `T` or `F` standing alone (followed
    /// by punctuation, a dash or the end), or nil.
    static func openingLetter(_ answer: String) -> Bool? {
        let a = Array(answer.trimmingCharacters(in: .whitespacesAndNewlines))
        guard let c = a.first, c == "T" || c == "F" else { return nil }
        if a.count > 1 {
            let next = a[1]
            // (A hyphen must stand apart: "T-SNE" is a word, "T - any painting" a verdict.)
            guard ".,:;!)/—–\n".contains(next) || (next == " " && a.dropFirst(1).first { $0 != " " }.map { ".,:;!/—–-".contains($0) } ?? true)
            else { return nil }
        }
        return c == "T"
    }

    /// An opening clause that answers a statement of what can, must or does happen by
    /// repeating its verb ("Of course it can.", "Yes, that works.", "It does not.", "You
    /// needn't."): true when affirmed, false when denied. Only a clause made of an optional
    /// affirmation, a pronoun, an auxiliary, an optional `not` and an optional `fine`/`well`,
    /// and only with the statement's own verb: `can` (or `works`) for "… can come from …",
    /// `need`/`have` (denied) for "you must …"; "It can." says nothing of "you must train it".
    static let openingAffirmers: [[String]] = [["of", "course"], ["yes"], ["sure"], ["absolutely"], ["definitely"], ["certainly"], ["indeed"]]
    static let openingSubjects: Set<String> = ["it", "that", "this", "you", "one", "we", "they"]
    static let openingVerbs: Set<String> = ["can", "could", "does", "do", "will", "works", "work", "is", "must", "may", "need", "needs", "has", "have"]
    static func repeatedVerb(_ clause: [String], statement: Set<String>) -> Bool? {
        var c = clause[...]
        var affirmed = false
        for a in openingAffirmers where c.starts(with: a) { c = c.dropFirst(a.count); affirmed = true; break }
        guard let subject = c.first, openingSubjects.contains(subject) else { return nil }
        c = c.dropFirst()
        guard var verb = c.first, openingVerbs.contains(verb) else { return nil }
        c = c.dropFirst()
        var denied = false
        if let n = c.first, ["not", "never"].contains(n) { denied = true; c = c.dropFirst() }
        // "You don't have to.", "You do not need to.": the verb is `have`/`need`.
        if ["do", "does"].contains(verb), denied, let h = c.first, ["have", "need"].contains(h) {
            verb = h; c = c.dropFirst(); if c.first == "to" { c = c.dropFirst() }
        }
        // A statement of what must be done is answered by `need`/`have` (denied) or `must`;
        // `can` there is some other clause's ("a network that *can* do style transfer").
        let obligation = statement.contains("must")
        if verb == "need" || verb == "needs" || verb == "have" || verb == "has" {
            guard denied, !statement.isDisjoint(with: ["must", "need", "needs", "have", "has"]) else { return nil }
        } else if obligation { guard verb == "must" else { return nil }
        } else if verb == "works" || verb == "work" {
            guard statement.contains("can") else { return nil }
        } else if !statement.contains(verb) { return nil }
        c = c.drop { ["just", "fine", "well", "perfectly", "too", "indeed", "so"].contains($0) }
        guard c.isEmpty, !(affirmed && denied) else { return nil }
        return !denied
    }

    /// `statement`: the question's prompt; an opening clause that repeats its verb ("Of course
    /// it can.") is read only when given, and only with a verb the statement uses.
    ///
    /// Two readings are never plain: an opening that turns a yes round ("Yeah, right.",
    /// "Yeah, no.") reads no verdict, and a verdict taken back ("T… no wait, F", "True –
    /// just kidding, false") is the one after the take-back, for review.
    public static func trueFalse(_ answer: String, statement: String? = nil) -> TrueFalse {
        let read = trueFalseAsPhrased(answer, statement: statement)
        guard !read.explicit else { return read }
        let text = AnswerText(answer)
        let w = text.texts
        if w.count >= 2, ["yeah", "yes", "yep", "yup", "sure", "oh"].contains(w[0]), ["right", "no", "nah", "nope", "sure"].contains(w[1]) {
            return TrueFalse(value: nil, explanation: answer, explicit: false, sure: false, conflicting: false)
        }
        if let after = takenBack(answer) {
            let corrected = trueFalseAsPhrased(after, statement: statement)
            if let v = corrected.value ?? read.value {
                return TrueFalse(value: v, explanation: answer, explicit: false, sure: false, conflicting: false)
            }
        }
        return read
    }

    /// Words that take back what was just said: "wait", "just kidding", "scratch that", "I
    /// take it back", "I mean", "sorry", "oops", "on second thought", "actually no", "… no".
    /// The answer after its last take-back, as written, or nil when it takes nothing back.
    static func takenBack(_ answer: String) -> String? {
        let takeBack = /(?i)(\b(wait|kidding|scratch that|take it back|i mean|sorry|oops|second thought|actually,? no|correction)\b|(\.\.\.|…)\s*no\b)/
        guard let last = answer.matches(of: takeBack).last else { return nil }
        return String(answer[last.range.upperBound...]).trimmingCharacters(in: CharacterSet(charactersIn: " ,.:;!—–-…\n"))
    }

    static func trueFalseAsPhrased(_ answer: String, statement: String? = nil) -> TrueFalse {
        // (`answer: T`, `answer: F`: the one-letter verdict a true/false form uses.)
        if let e = explicitLine(answer, names: ["answer", "verdict"]), let v = explicitValues[e.value] {
            return TrueFalse(value: v, explanation: e.rest, explicit: true, sure: true, conflicting: false)
        }
        let text = AnswerText(answer)
        let w = text.texts
        // A capital T or F alone opening the answer ("T. Any painting works", "F — nothing is
        // trained"): the one-letter verdict, stated plainly.
        let letter = openingLetter(answer)
        if let v = letter, !text.words.dropFirst().contains(where: { ["true", "false", "untrue", "t", "f"].contains($0.text) }) {
            return TrueFalse(value: v, explanation: answer, explicit: false, sure: true, conflicting: false)
        }
        // Candidate assertions with their strength: 2 plain (`False.`, `the statement is
        // false`, `I'd say true`), 1 in passing, 0 when only quoted (`it is true that …`).
        var strong: [Bool] = [], medium: [Bool] = []
        // An opening clause that answers the question as asked ("True or false: …?"): "Not
        // really, …", "Not at all:", "Of course not.", "Absolutely." It is the whole clause,
        // so "Not really sure, …" and "Of course the network …" say nothing of the kind.
        let opening = text.words.prefix { $0.clause == text.words.first?.clause }.map(\.text)
        let openingVerdicts: [[String]: Bool] = [
            ["not", "really"]: false, ["not", "at", "all"]: false, ["of", "course", "not"]: false, ["absolutely", "not"]: false,
            ["definitely", "not"]: false, ["certainly", "not"]: false, ["no", "way"]: false,
            ["of", "course"]: true, ["absolutely"]: true, ["definitely"]: true, ["certainly"]: true, ["exactly"]: true]
        var i = 0
        if let v = letter { strong.append(v); i = 1 }
        else if let v = openingVerdicts[opening] ?? statement.flatMap({ repeatedVerb(opening, statement: Set(AnswerText($0).texts)) }) {
            strong.append(v); i = opening.count
        }
        while i < w.count {
            let word = w[i]
            var value: Bool?
            if word == "true" { value = true } else if word == "false" || word == "untrue" { value = false }
            // "The statement is wrong", "The claim is not correct", "It is not right": a
            // judgement of the statement (`not` is turned round below). `it`, `this`, `that`
            // are the statement only in the answer's first sentence.
            else if ["wrong", "incorrect", "correct", "right", "accurate", "inaccurate"].contains(word) {
                let k = i >= 1 && w[i - 1] == "not" ? i - 1 : i
                if k >= 2, ["is", "s"].contains(w[k - 1]),
                   ["statement", "claim", "assertion"].contains(w[k - 2])
                    || (["it", "this", "that"].contains(w[k - 2]) && text.words[i].sentence == 0 && (["wrong", "incorrect"].contains(word) || k < i)) {
                    value = ["correct", "right", "accurate"].contains(word)
                }
            }
            // A bare verdict opening the answer: "Wrong.", "Correct statement.", "Yes, …", "No, …".
            // "I agree: …", "I disagree, …": the opening words say how the claim is judged.
            // ("I disagree with the statement – …", "I agree with that.": the same, said of it.)
            if value == nil, i == 1, w[0] == "i", ["agree", "disagree"].contains(word) {
                var end = i + 1
                if end + 1 < w.count, w[end] == "with", ["statement", "claim", "this", "that", "it"].contains(w[end + 1])
                    || end + 2 < w.count && w[end] == "with" && w[end + 1] == "the" && ["statement", "claim"].contains(w[end + 2]) {
                    end += w[end + 1] == "the" ? 3 : 2
                }
                if end >= w.count || text.words[end].clause != text.words[i].clause {
                    strong.append(word == "agree"); i = end; continue
                }
            }
            // "That's right, …", "This is wrong.": a short opening clause judging the claim.
            if value == nil, i == 2, ["that", "this", "it"].contains(w[0]), ["s", "is"].contains(w[1]),
               ["right", "correct", "wrong", "incorrect"].contains(word),
               i + 1 >= w.count || text.words[i + 1].clause != text.words[i].clause, text.words[0].clause == text.words[i].clause {
                strong.append(["right", "correct"].contains(word)); i += 1; continue
            }
            if value == nil, i == 0, i + 1 >= w.count || text.words[i + 1].clause != text.words[i].clause
                || (i + 2 >= w.count || text.words[i + 2].clause != text.words[i].clause) && ["statement", "claim"].contains(w[i + 1]) {
                if ["yes", "yep", "yup", "yeah", "correct", "right", "agreed", "indeed", "agree"].contains(word) { value = true }
                if ["no", "nope", "nah", "wrong", "incorrect", "disagree"].contains(word) { value = false }
                if value != nil { strong.append(value!); i += 1; continue }
            }
            guard var v = value else { i += 1; continue }
            // "Some say false", "False is what my friend thinks": someone else's verdict.
            if reportedVerdict(text, at: i) { i += 1; continue }
            // "true or false", "true/false": the question's words, not an answer.
            if (word == "true" && i + 2 < w.count && ["or", "and"].contains(w[i + 1]) && w[i + 2] == "false")
                || (word == "true" && i + 1 < w.count && w[i + 1] == "false") { i += 3; continue }
            let before = i >= 1 ? w[i - 1] : ""
            let before2 = i >= 2 ? w[i - 2] : ""
            if before == "not" || before == "never" || (before2 == "not" && ["entirely", "really", "quite", "completely"].contains(before)) {
                v.toggle()
            }
            let next = i + 1 < w.count ? w[i + 1] : ""
            let sentenceStart = i == 0 || text.words[i - 1].sentence != text.words[i].sentence
                || (i == 1 && ["not"].contains(w[0]))
            let endsClause = i + 1 >= w.count || text.words[i + 1].clause != text.words[i].clause
            // "It is not true that you need …": the claim that follows is denied, which says
            // how the statement is judged only in passing (a person should look).
            if next == "that", before == "not", word == "true" { medium.append(false); i += 1; continue }
            if next == "that" || next == "for" { i += 1; continue }  // "it is true that…", "true for…"
            // A verdict asked rather than said ("Maybe true?") is said only in passing.
            let asked = text.questions.contains(text.words[i].sentence)
            if !asked, endsClause || sentenceStart && endsClause || ["statement", "claim", "answer"].contains(before2)
                || ["statement", "claim"].contains(next) || ["statement", "claim", "answer", "say", "think", "guess"].contains(before)
                || (i == 0) {
                strong.append(v)
            } else {
                medium.append(v)
            }
            i += 1
        }
        func decide(_ values: [Bool]) -> Bool? { Set(values).count == 1 ? values.first : nil }
        if !strong.isEmpty {
            let v = decide(strong)
            return TrueFalse(value: v, explanation: answer, explicit: false, sure: v != nil && decide(strong + medium) != nil,
                             conflicting: v == nil)
        }
        let v = decide(medium)
        return TrueFalse(value: v, explanation: answer, explicit: false, sure: false, conflicting: v == nil && !medium.isEmpty)
    }

    /// Whether the verdict word at `i` is reported as someone else's: a reporting verb in the
    /// three words before it with a reporter just before that ("some *say* false", "most
    /// people would *think* true"), or "… is what my friend says" after it, in its sentence.
    static func reportedVerdict(_ text: AnswerText, at i: Int) -> Bool {
        let w = text.texts, sentence = text.words[i].sentence
        func inSentence(_ k: Int) -> Bool { k >= 0 && k < w.count && text.words[k].sentence == sentence }
        for v in stride(from: i - 1, through: max(0, i - 3), by: -1) where inSentence(v) && AnswerText.reportingVerbs.contains(w[v]) {
            if (max(0, v - 3)..<v).contains(where: { inSentence($0) && AnswerText.reporters.contains(w[$0]) }) { return true }
        }
        if inSentence(i + 2), w[i + 1] == "is" || w[i + 1] == "s", w[i + 2] == "what" {
            return (i + 3..<min(w.count, i + 7)).contains { inSentence($0) && AnswerText.reportingVerbs.contains(w[$0]) }
        }
        return false
    }

    // MARK: choice

    /// How an answer may name an option by its place (images are shown one above the other).
    static let ordinals: [[String]] = [["first", "1st", "former", "upper", "top"], ["second", "2nd", "latter", "lower", "bottom"], ["third", "3rd"], ["fourth", "4th"]]
    static let cardinals = ["one", "two", "three", "four"]
    static let numberWords: Set<String> = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "few", "layers", "style"]
    static let leadingFiller: Set<String> = ["the", "a", "an", "i", "d", "would", "say", "think", "my", "answer", "is", "it", "s",
                                             "option", "image", "picture", "choose", "pick", "guess", "go", "with", "for", "m", "choice",
                                             "probably", "maybe", "definitely", "clearly", "surely", "obviously", "likely", "number", "one", "on"]

    /// Indices where each option is mentioned: its name, its ordinal (`first`, `1st`),
    /// `image 1`, `image one`; not `first 3 layers` (an ordinal of layers, not of images).
    static func mentions(_ text: AnswerText, options: [ChoiceOption]) -> [(index: Int, option: String)] {
        let w = text.texts
        var out: [(Int, String)] = []
        for i in w.indices {
            let next = i + 1 < w.count ? w[i + 1] : ""
            for (k, o) in options.enumerated() {
                var aliases: Set<String> = [o.name]
                if k < ordinals.count { aliases.formUnion(ordinals[k]) }
                if aliases.contains(w[i]) {
                    // ("The first. Layers conv4_1 …": a word in the next clause counts nothing.)
                    let sameClause = i + 1 < w.count && text.words[i + 1].clause == text.words[i].clause
                    if sameClause && (numberWords.contains(next) || next.allSatisfy(\.isNumber) && !next.isEmpty) { continue }
                    out.append((i, o.name))
                } else if w[i] == String(k + 1) || (k < cardinals.count && w[i] == cardinals[k]),
                          i > 0, ["image", "picture", "option", "number", "no"].contains(w[i - 1]) {
                    out.append((i, o.name))
                }
            }
        }
        // An option's own text ("conv4_2", "the first image") names it too.
        for o in options {
            let words = AnswerText(o.text).texts
            guard !words.isEmpty else { continue }
            for hit in text.occurrences(of: words.joined(separator: " ")) where !out.contains(where: { $0.0 >= hit.start && $0.0 < hit.end }) {
                out.append((hit.start, o.name))
            }
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// Number words and digits: in a reason ("three big swirls") they count things in the
    /// image, and only say how many layers when `layers` (or `style`, `conv`) follows.
    static let countWords: Set<String> = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    static func countsSomethingElse(_ text: AnswerText, _ o: (start: Int, end: Int)) -> Bool {
        let last = text.words[o.end - 1].text
        guard countWords.contains(last) || last.allSatisfy(\.isNumber) else { return false }
        guard o.end < text.count, text.words[o.end].clause == text.words[o.end - 1].clause else { return false }
        return !["layers", "layer", "style", "conv", "convolutional", "of", "deep", "deeper", "shallow"].contains(text.words[o.end].text)
    }

    /// Options named by capital letters in their order ("B, not A", "option C"): a capital
    /// A–D standing alone before punctuation or the end, or after `option`, becomes the
    /// option's name. (A capital starting a sentence, "A deeper layer", is a word.)
    static func lettersAsOptions(_ answer: String, names: [String]) -> String {
        guard names.count >= 2 else { return answer }
        let chars = Array(answer)
        var out = ""
        for (i, c) in chars.enumerated() {
            guard let k = "ABCD".firstIndex(of: c).map({ "ABCD".distance(from: "ABCD".startIndex, to: $0) }), k < names.count,
                  i == 0 || !(chars[i - 1].isLetter || chars[i - 1].isNumber) else { out.append(c); continue }
            let after = chars[(i + 1)...].first { $0 != " " }
            let before = String(chars[..<i]).lowercased().trimmingCharacters(in: .whitespaces)
            let alone = after == nil || ",.;:)!?".contains(after!)
            let named = before.hasSuffix("option") || before.hasSuffix("image") || before.hasSuffix("picture")
            if (i + 1 >= chars.count || !(chars[i + 1].isLetter || chars[i + 1].isNumber)) && (alone || named) { out += names[k] }
            else { out.append(c) }
        }
        return out
    }

    /// A choice taken back ("The second – wait, no, the first", "Image two – just kidding,
    /// image one") is the option named after the take-back, for review; a choice only asked
    /// ("The first?") is not plain.
    public static func choice(_ answer: String, question q: Question) -> Choice {
        let names = q.options.map(\.name)
        let prepared = q.options.contains(where: { $0.name.count == 1 }) ? answer : lettersAsOptions(answer, names: names)
        var read = choiceAsPhrased(prepared, question: q)
        guard !read.explicit else { return read }
        if let after = takenBack(prepared), let next = mentions(AnswerText(after), options: q.options).first {
            if read.chosen != [next.option] || read.sure {
                return Choice(chosen: [next.option], explanation: answer, explicit: false, sure: false, conflicting: false)
            }
        }
        let text = AnswerText(prepared)
        let asked = mentions(text, options: q.options).filter { read.chosen.contains($0.option) }
        if read.sure, !asked.isEmpty, asked.allSatisfy({ text.questions.contains(text.words[$0.index].sentence) }) { read.sure = false }
        return read
    }

    /// `answer` with option letters already read as names (`lettersAsOptions`).
    static func choiceAsPhrased(_ answer: String, question q: Question) -> Choice {
        let names = q.options.map(\.name)
        if let e = explicitLine(answer, names: ["choice", "answer"]) {
            let chosen = e.value.split(separator: " ").map(String.init).filter { names.contains($0) }
            let ordinal = ordinals.firstIndex { $0.contains(e.value) }.flatMap { $0 < names.count ? names[$0] : nil }
            if let c = chosen.first ?? ordinal {
                // Further names on the line ("choice: first and second").
                var all = [c]
                let rest = AnswerText(String(answer.prefix { $0 != "\n" })).texts
                for word in rest where names.contains(word) && !all.contains(word) { all.append(word) }
                return Choice(chosen: all, explanation: e.rest, explicit: true, sure: true, conflicting: false)
            }
        }
        let text = AnswerText(answer)
        let w = text.texts
        let found = mentions(text, options: q.options)
        // Votes from what the answer says of each option: a chosen-words phrase said of an
        // option chooses it, an other-words phrase rejects it (negation flips both).
        var votesFor: [String: Int] = [:], votesAgainst: [String: Int] = [:]
        for (phrases, choosing) in [(q.chosenWords, true), (q.otherWords, false)] {
            for phrase in phrases {
                for o in text.occurrences(of: phrase) where !countsSomethingElse(text, o) {
                    let sentence = text.words[o.start].sentence
                    let inSentence = found.filter { text.words[$0.index].sentence == sentence && ($0.index < o.start || $0.index >= o.end) }
                    let before = inSentence.filter { $0.index < o.start }.last
                    let after = inSentence.first { $0.index >= o.end }
                    guard let m = before ?? after else { continue }
                    let says = text.isNegated(start: o.start, end: o.end) ? !choosing : choosing
                    if says { votesFor[m.option, default: 0] += 1 } else { votesAgainst[m.option, default: 0] += 1 }
                }
            }
        }
        // "Not the second one", "B, not A": an option named right after `not` is rejected.
        for m in found where m.index >= 1 {
            let lookBack = (max(0, m.index - 2)..<m.index).filter { text.words[$0].clause == text.words[m.index].clause }
            if lookBack.contains(where: { ["not", "never"].contains(w[$0]) }) { votesAgainst[m.option, default: 0] += 1 }
        }
        if q.options.count == 2 {
            for (o, n) in votesAgainst { let other = names.first { $0 != o }!; votesFor[other, default: 0] += n }
        }
        let favoured = names.filter { (votesFor[$0] ?? 0) > 0 && (q.options.count == 2 || (votesAgainst[$0] ?? 0) == 0) }
        // The leading words: "First.", "I'd say the second …", "first and second".
        var leading: [String] = []
        var j = 0
        // (A filler word that names an option here, "Picture *one*.", ends the filler.)
        while j < w.count, leadingFiller.contains(w[j]), !found.contains(where: { $0.index == j }) { j += 1 }
        let firstMention = found.first { $0.index == j }
        if let m = firstMention {
            leading.append(m.option)
            var k = j + 1
            while k + 1 < w.count, w[k] == "and", let next = found.first(where: { $0.index == k + 1 }) { leading.append(next.option); k += 2 }
        }
        if favoured.count == 1 && q.answers.count <= 1 {
            // A leading option that is the subject of a sentence ("Image two used three layers;
            // …") is not a choice by itself: only one standing alone ("Second. …") must agree.
            let leadingAlone = j + 1 >= w.count || text.words[j + 1].clause != text.words[j].clause
                || (j + 2 >= w.count || text.words[j + 2].clause != text.words[j].clause) && ["one", "image", "picture", "option"].contains(w[j + 1])
            let agrees = leading.isEmpty || leading == favoured || !leadingAlone
            return Choice(chosen: favoured, explanation: answer, explicit: false, sure: agrees, conflicting: false)
        }
        if favoured.count > 1 {
            return Choice(chosen: [], explanation: answer, explicit: false, sure: false, conflicting: true)
        }
        // A conclusion ("So: picture 1.", "Therefore the first one."): a sentence opening with
        // `so`, `therefore`, `hence`, `thus` that names one option and nothing else.
        let conclusion: String? = {
            guard let lastSentence = text.words.last?.sentence else { return nil }
            let ws = text.words.indices.filter { text.words[$0].sentence == lastSentence }
            guard let first = ws.first, ["so", "therefore", "hence", "thus"].contains(w[first]) else { return nil }
            let named = found.filter { ws.contains($0.index) }
            guard named.count == 1, ws.dropFirst().allSatisfy({ $0 == named[0].index || leadingFiller.contains(w[$0]) }) else { return nil }
            return named[0].option
        }()
        if let c = conclusion, favoured.isEmpty || favoured == [c] {
            return Choice(chosen: [c], explanation: answer, explicit: false, sure: leading.isEmpty || leading == [c], conflicting: false)
        }
        if !leading.isEmpty {
            // Only the leading word: plain when it stands alone ("First." / "first, because").
            // "The first one.", "the first image, because": the option's noun may follow.
            var end = j + 1
            if end < w.count, ["one", "image", "picture", "option"].contains(w[end]), text.words[end].clause == text.words[j].clause { end += 1 }
            let alone = end >= w.count || text.words[end].clause != text.words[j].clause || leading.count > 1
            return Choice(chosen: leading, explanation: answer, explicit: false, sure: alone, conflicting: false)
        }
        return Choice(chosen: [], explanation: answer, explicit: false, sure: false, conflicting: false)
    }
}
