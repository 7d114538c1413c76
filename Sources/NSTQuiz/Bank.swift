// The question bank: what a `.quiz` file holds once parsed (the format is in docs/quiz.md).

/// The four kinds of question a bank can hold.
public enum QuestionKind: String, CaseIterable, Sendable, Codable {
    /// A gradient or update formula, graded numerically by NSTCheck against `target`.
    case formula
    /// "true" or "false", followed by an explanation judged by the question's rubric.
    case truefalse
    /// One (or several) named options are right; an optional rubric judges the justification.
    case choice
    /// Free text judged against a rubric of key ideas.
    case text
}

/// One key idea of a rubric: any of its phrases found in the answer counts as the idea.
/// Phrases are matched after normalisation (case, accents, punctuation); a word ending in
/// `*` matches any word that starts with it (`minimi*` matches minimise, minimizing, …).
/// Written `rubric: label = phrase | phrase …`; without `label =`, the first phrase names it.
public struct RubricIdea: Sendable, Equatable, Codable {
    /// The phrases that express the idea.
    public var phrases: [String]
    /// What feedback calls the idea ("compares feature maps").
    public var label: String?
    public var name: String { label ?? (phrases.first ?? "").replacingOccurrences(of: "*", with: "…") }
    public init(phrases: [String], label: String? = nil) { self.phrases = phrases; self.label = label }
}

/// A misconception a worded question expects (`wrong:` in a bank): asserted in an answer
/// (not denied, not merely listed), it caps the score at half the points, is named in the
/// feedback with `feedback`, and sends the grade to review.
public struct WrongIdea: Sendable, Equatable, Codable {
    public var label: String
    public var phrases: [String]
    /// What to tell the student (why it is wrong).
    public var feedback: String
    public init(label: String, phrases: [String], feedback: String) { self.label = label; self.phrases = phrases; self.feedback = feedback }
}

/// An anticipated wrong formula and what to tell the student about it.
/// `symbol` → `replacement`: the answer uses a wrong symbol (`w_1` for `w`); the message is
/// shown and the checker grades the answer with the symbol replaced, so its own diagnosis
/// (a transpose, a lost −η …) still reaches the student. Without a replacement, `symbol`
/// is a whole formula and the message is shown when the answer reads the same.
public struct AnticipatedMistake: Sendable, Equatable, Codable {
    public var pattern: String
    public var replacement: String?
    public var message: String
    public init(pattern: String, replacement: String?, message: String) {
        self.pattern = pattern; self.replacement = replacement; self.message = message
    }
}

/// An expected grade (`test:` in the bank, a "question test"): a sample answer and the score it must get, as a
/// fraction of the question's points, optionally with words the feedback must contain
/// and whether the grade must (or must not) ask for review. `nst bank lint` runs them.
public struct ExpectedGrade: Sendable, Equatable, Codable {
    public var category: String?
    public var answer: String
    public var minimum: Double
    public var maximum: Double
    public var note: String?
    public var review: Bool?
    public var location: SourceLocation
}

/// An image shown with a question: a label the question refers to and a path
/// (relative paths are resolved against the working directory).
public struct ImageAttachment: Sendable, Equatable, Codable {
    public var label: String
    public var path: String
    public init(label: String, path: String) { self.label = label; self.path = path }
}

/// Where something sits in a bank file (1-based line and column, column in characters).
public struct SourceLocation: Sendable, Equatable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public init(file: String, line: Int, column: Int) { self.file = file; self.line = line; self.column = column }
    /// `file:line:column`; just `file` for problems with the file as a whole (line 0).
    public var description: String { line > 0 ? "\(file):\(line):\(column)" : file }
}

public struct Question: Sendable, Codable {
    public var number: Int
    public var kind: QuestionKind
    /// A few words for headings and reports ("∂L_style/∂Fˡ").
    public var title: String
    public var points: Double
    public var prompt: String
    /// Hints in the order they are revealed: the first is a nudge, the last nearly the answer.
    public var hints: [String]
    /// What a complete answer looks like (shown after solving or giving up).
    public var model: String
    /// Why the answer is what it is.
    public var explanation: String
    /// Where the original printed answer key is wrong or loose, when it is
    /// (`printed-key-error:`; the old name `seed-note:` is still read).
    public var printedKeyError: String
    /// formula: wrong symbols or formulas the author anticipated, with their messages.
    public var mistakes: [AnticipatedMistake]
    /// formula: numbers and function names an answer may not use (refused before grading).
    public var forbidden: [String]
    /// choice: phrases that, said of an option, assert it is the right one ("all five"),
    /// and phrases that assert it is not ("only three").
    public var chosenWords: [String]
    public var otherWords: [String]
    /// The question's tests, run by `nst bank lint`.
    public var tests: [ExpectedGrade]
    /// formula: the NSTCheck target and the key formula in the formula language.
    public var target: String?
    public var key: String?
    /// Where the key's text starts in the bank (for lint errors that point into the key).
    public var keyLocation: SourceLocation?
    /// Graded attempts allowed before the model answer is shown (parse errors do not count).
    public var attempts: Int
    /// truefalse: the right word. choice: the names of the right options.
    public var answers: [String]
    /// choice: option name → description shown to the student.
    public var options: [ChoiceOption]
    public var rubric: [RubricIdea]
    /// Misconceptions the answer may assert (worded questions).
    public var wrongIdeas: [WrongIdea]
    public var images: [ImageAttachment]
    /// Where the `== question N ==` header is.
    public var location: SourceLocation

    public init(number: Int, kind: QuestionKind, location: SourceLocation) {
        self.number = number; self.kind = kind; self.location = location
        title = ""; points = 1; prompt = ""; hints = []; model = ""; explanation = ""; printedKeyError = ""
        mistakes = []; forbidden = []; chosenWords = []; otherWords = []; tests = []
        attempts = kind == .formula ? 3 : 1; answers = []; options = []; rubric = []; wrongIdeas = []; images = []
    }
}

public struct ChoiceOption: Sendable, Equatable, Codable {
    public var name: String
    public var text: String
    public init(name: String, text: String) { self.name = name; self.text = text }
}

public struct Bank: Sendable {
    /// The file it came from, as given (used in messages).
    public var file: String
    public var title: String
    /// Identifies the bank in progress files; from `id:` or the file name's stem.
    public var id: String
    public var questions: [Question]

    public func question(_ number: Int) -> Question? { questions.first { $0.number == number } }
    public var maxScore: Double { questions.reduce(0) { $0 + $1.points } }
}
