// The question bank: what a `.quiz` file holds once parsed (the format is in Quizzes/FORMAT.md).

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
public struct RubricIdea: Sendable, Equatable, Codable {
    /// The phrases that express the idea; the first one names it in feedback.
    public var phrases: [String]
    public var name: String { phrases.first ?? "" }
    public init(phrases: [String]) { self.phrases = phrases }
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
    /// Where the printed (seed) key is wrong or loose, when it is.
    public var seedNote: String
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
    public var images: [ImageAttachment]
    /// Where the `== question N ==` header is.
    public var location: SourceLocation

    public init(number: Int, kind: QuestionKind, location: SourceLocation) {
        self.number = number; self.kind = kind; self.location = location
        title = ""; points = 1; prompt = ""; hints = []; model = ""; explanation = ""; seedNote = ""
        attempts = kind == .formula ? 3 : 1; answers = []; options = []; rubric = []; images = []
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
