import Foundation

/// One problem found in a bank (or answers) file: where, what, and how to fix it.
/// Printed as `file:line:column: error: message` followed by `  fix: …`.
public struct FileDiagnostic: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    public enum Severity: String, Sendable { case error, warning }
    public var location: SourceLocation
    public var severity: Severity
    public var message: String
    public var fix: String

    public init(_ location: SourceLocation, _ message: String, fix: String, severity: Severity = .error) {
        self.location = location; self.message = message; self.fix = fix; self.severity = severity
    }
    public var description: String {
        "\(location): \(severity.rawValue): \(message)" + (fix.isEmpty ? "" : "\n  fix: \(fix)")
    }
    public var errorDescription: String? { description }
}

/// The lines of a text file, decoded strictly: invalid UTF-8, NUL bytes and files over a
/// size limit are refused with the place they occur. Shared by the bank and answers parsers.
struct SourceText {
    struct Line { var number: Int; var text: String }
    var lines: [Line] = []

    /// Default limit: 1 MiB. A bank of twelve questions is about 20 KB; the limit only
    /// protects the machine from a mistaken argument (a video, /dev/zero …).
    static let defaultMaxBytes = 1 << 20

    static func decode(_ data: Data, file: String, maxBytes: Int, raiseHint: String) -> Result<SourceText, FileDiagnostic> {
        if data.count > maxBytes {
            return .failure(FileDiagnostic(SourceLocation(file: file, line: 1, column: 1),
                "file is \(data.count) bytes, over the limit of \(maxBytes) bytes",
                fix: "check that this is the right file; \(raiseHint)"))
        }
        var result = SourceText()
        var lineNumber = 1
        var start = data.startIndex
        // An invisible UTF-8 byte-order mark, as some editors write, is not text.
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { start = data.index(start, offsetBy: 3) }
        // Split on line breaks first (\n, \r\n or a lone \r, as old Mac editors write) so that
        // an encoding error can be reported with its line and column.
        while start <= data.endIndex {
            let end = data[start...].firstIndex { $0 == 0x0A || $0 == 0x0D } ?? data.endIndex
            let bytes = data[start..<end]
            if let nul = bytes.firstIndex(of: 0) {
                return .failure(FileDiagnostic(SourceLocation(file: file, line: lineNumber, column: nul - bytes.startIndex + 1),
                    "NUL byte in a text file (byte column \(nul - bytes.startIndex + 1))",
                    fix: "this looks like a binary file; save the file as plain UTF-8 text"))
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                let column = firstInvalidUTF8(bytes)
                return .failure(FileDiagnostic(SourceLocation(file: file, line: lineNumber, column: column),
                    "invalid UTF-8 at byte column \(column)",
                    fix: "save the file as UTF-8 (e.g. `iconv -f LATIN1 -t UTF-8`)"))
            }
            result.lines.append(Line(number: lineNumber, text: text))
            if end == data.endIndex { break }
            start = data.index(after: end)
            if data[end] == 0x0D, start < data.endIndex, data[start] == 0x0A { start = data.index(after: start) }
            lineNumber += 1
        }
        return .success(result)
    }

    /// 1-based byte column of the first byte that is not part of a valid UTF-8 sequence.
    static func firstInvalidUTF8(_ bytes: Data.SubSequence) -> Int {
        let b = Array(bytes)
        var i = 0
        while i < b.count {
            let c = b[i]
            let n: Int
            if c < 0x80 { n = 1 } else if c >= 0xC2 && c <= 0xDF { n = 2 }
            else if c >= 0xE0 && c <= 0xEF { n = 3 } else if c >= 0xF0 && c <= 0xF4 { n = 4 } else { return i + 1 }
            if i + n > b.count { return i + 1 }
            let prefix = Data(b[i..<(i + n)])
            if String(validating: prefix, as: UTF8.self) == nil { return i + 1 }
            i += n
        }
        return max(1, b.count)
    }
}

/// Parses `.quiz` files (docs/quiz.md). Never traps: every problem becomes a
/// `FileDiagnostic`, and parsing goes on after one so that a file's errors come in one go.
public struct BankParser {
    /// Names accepted by `target:` (the grader's `targetNames`); nil accepts any, and lint
    /// then finds an unknown target when it grades the key.
    public var knownTargets: [String]?
    public var maxBytes: Int

    public init(knownTargets: [String]? = nil, maxBytes: Int = 1 << 20) {
        self.knownTargets = knownTargets; self.maxBytes = maxBytes
    }

    public struct Result: Sendable {
        public var bank: Bank?
        public var diagnostics: [FileDiagnostic]
        public var errors: [FileDiagnostic] { diagnostics.filter { $0.severity == .error } }
        /// With errors: the questions that were read without one (so that lint can still
        /// check their keys and tests, and report every error in one pass).
        public var readable: Bank? = nil
    }

    static let bankFields = ["title", "id"]
    static let questionFields = ["kind", "title", "points", "prompt", "hint", "model", "explanation",
                                 "printed-key-error", "seed-note", "target", "key", "attempts", "answer", "option",
                                 "rubric", "wrong", "image", "test", "mistake", "forbid", "chosen-words", "other-words"]
    /// Fields that may appear more than once in a question.
    static let repeatable: Set<String> = ["hint", "answer", "option", "rubric", "wrong", "image", "test", "mistake", "forbid"]

    public func parse(contentsOf url: URL, displayName: String? = nil) -> Result {
        let name = displayName ?? url.path
        switch BoundedFile.read(url.path, maxBytes: maxBytes) {
        case .success(let data): return parse(data: data, file: name)
        case .failure(let problem):
            return Result(bank: nil, diagnostics: [FileDiagnostic(SourceLocation(file: name, line: problem.tooLarge ? 1 : 0, column: problem.tooLarge ? 1 : 0),
                problem.tooLarge ? problem.message : "cannot read the bank: \(problem.message)",
                fix: problem.tooLarge ? "check that this is the right file; raise the limit with --max-bank-bytes"
                                      : "check the path (a bank is a .quiz text file, e.g. Quizzes/neural-style-transfer.quiz)")])
        }
    }

    public func parse(text: String, file: String) -> Result { parse(data: Data(text.utf8), file: file) }

    public func parse(data: Data, file: String) -> Result {
        let source: SourceText
        switch SourceText.decode(data, file: file, maxBytes: maxBytes, raiseHint: "raise the limit with --max-bank-bytes") {
        case .failure(let d): return Result(bank: nil, diagnostics: [d])
        case .success(let s): source = s
        }
        var state = ParseState(file: file, parser: self)
        state.run(source.lines)
        return state.finish(fileStem: Self.stem(of: file))
    }

    static func stem(of file: String) -> String {
        let last = file.split(separator: "/").last.map(String.init) ?? file
        if let dot = last.lastIndex(of: "."), dot != last.startIndex { return String(last[..<dot]) }
        return last
    }
}

/// A field as written: name, value (a block's lines joined with \n) and where it is.
struct RawField {
    var name: String
    var value: String
    var location: SourceLocation      // the field name
    var valueLocation: SourceLocation // the first character of the value (or the block's first line)
}

private struct ParseState {
    let file: String
    let parser: BankParser
    var diagnostics: [FileDiagnostic] = []
    var bankFields: [RawField] = []
    var questions: [(header: SourceLocation, number: Int?, fields: [RawField])] = []

    init(file: String, parser: BankParser) { self.file = file; self.parser = parser }

    func loc(_ line: Int, _ column: Int) -> SourceLocation { SourceLocation(file: file, line: line, column: column) }
    mutating func error(_ line: Int, _ column: Int, _ message: String, fix: String) {
        diagnostics.append(FileDiagnostic(loc(line, column), message, fix: fix))
    }

    mutating func run(_ lines: [SourceText.Line]) {
        var i = 0
        while i < lines.count {
            let line = lines[i]
            let text = line.text
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            i += 1
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if trimmed.hasPrefix("==") { header(line); continue }
            // name: value
            let indent = text.prefix { $0 == " " || $0 == "\t" }.count
            guard let colon = text.firstIndex(of: ":") else {
                error(line.number, indent + 1, "expected `name: value` or a `== question N ==` header",
                      fix: "write a field such as `hint: …`, or put longer text in a block: `prompt: \"\"\"` … `\"\"\"`")
                continue
            }
            let name = text[text.startIndex..<colon].trimmingCharacters(in: .whitespaces)
            let afterColon = text[text.index(after: colon)...]
            let valueIndent = afterColon.prefix { $0 == " " || $0 == "\t" }.count
            let valueColumn = text.distance(from: text.startIndex, to: colon) + 2 + valueIndent
            let value = afterColon.trimmingCharacters(in: .whitespaces)
            let fieldLoc = loc(line.number, indent + 1)
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "-") }) else {
                error(line.number, indent + 1, "`\(name)` is not a field name",
                      fix: "field names are lower-case words such as `prompt`, `hint`, `key` (see docs/quiz.md)")
                continue
            }
            var field: RawField
            if value == "\"\"\"" {
                // A block: lines up to one that holds only """.
                var body: [String] = []
                var closed = false
                var nextHeader: Int?
                while i < lines.count {
                    let l = lines[i]; i += 1
                    let t = l.text.trimmingCharacters(in: .whitespaces)
                    if t == "\"\"\"" { closed = true; break }
                    // A question header inside a block means the block was left open: a
                    // bank's text never holds a line like `== question 3 ==`.
                    if Self.isQuestionHeader(t) { nextHeader = l.number; i -= 1; break }
                    body.append(l.text)
                }
                if let next = nextHeader {
                    error(line.number, valueColumn, "the block `\(name): \"\"\"` opened here is not closed before the next question (line \(next))",
                          fix: "add a line containing only \"\"\" where the \(name) ends, before line \(next)")
                    if !questions.isEmpty { questions[questions.count - 1].number = nil }
                    continue
                }
                if !closed {
                    error(line.number, valueColumn, "the block `\(name): \"\"\"` opened here is never closed",
                          fix: "add a line containing only \"\"\" where the \(name) ends")
                    // The block swallowed the rest of the file: the question it is in would
                    // only add misleading "missing field" errors.
                    if !questions.isEmpty { questions[questions.count - 1].number = nil }
                    return
                }
                field = RawField(name: name, value: Self.dedent(body), location: fieldLoc,
                                 valueLocation: loc(line.number + 1, 1))
            } else {
                field = RawField(name: name, value: value, location: fieldLoc, valueLocation: loc(line.number, valueColumn))
            }
            if questions.isEmpty {
                if BankParser.bankFields.contains(name) { bankFields.append(field) }
                else if BankParser.questionFields.contains(name) {
                    error(line.number, indent + 1, "`\(name)` appears before the first question",
                          fix: "start the question with a header line such as `== question 1 ==`")
                } else { unknownField(field) }
            } else {
                if BankParser.questionFields.contains(name) { questions[questions.count - 1].fields.append(field) }
                else { unknownField(field) }
            }
        }
    }

    static func isQuestionHeader(_ trimmed: String) -> Bool {
        guard trimmed.hasPrefix("=="), trimmed.hasSuffix("=="), trimmed.count >= 4 else { return false }
        let words = trimmed.dropFirst(2).dropLast(2).split(separator: " ")
        return words.count == 2 && words[0].lowercased() == "question"
    }

    mutating func unknownField(_ f: RawField) {
        let all = BankParser.bankFields + BankParser.questionFields
        // Suggestions only for name-sized names (the distance is quadratic in the length).
        let near = f.name.count > 40 ? nil : all.min { editDistance($0, f.name) < editDistance($1, f.name) }
        let hint = near.flatMap { editDistance($0, f.name) <= 2 ? "did you mean `\($0)`? " : nil } ?? ""
        error(f.location.line, f.location.column, "unknown field `\(f.name)`",
              fix: "\(hint)fields are: \(BankParser.questionFields.joined(separator: ", "))")
    }

    mutating func header(_ line: SourceText.Line) {
        let text = line.text
        let indent = text.prefix { $0 == " " || $0 == "\t" }.count
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let fix = "a question starts with a line like `== question 5 ==`"
        guard trimmed.hasSuffix("=="), trimmed.count >= 4 else {
            error(line.number, indent + 1, "malformed header `\(trimmed)`", fix: fix)
            questions.append((loc(line.number, indent + 1), nil, [])); return
        }
        let inner = trimmed.dropFirst(2).dropLast(2).trimmingCharacters(in: .whitespaces)
        let words = inner.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count == 2, words[0].lowercased() == "question" else {
            error(line.number, indent + 1, "malformed header `\(trimmed)`", fix: fix)
            questions.append((loc(line.number, indent + 1), nil, [])); return
        }
        let numberColumn = indent + 1 + (text.trimmingCharacters(in: .whitespaces).range(of: String(words[1])).map {
            trimmed.distance(from: trimmed.startIndex, to: $0.lowerBound) } ?? 0)
        guard let n = Int(words[1]), n >= 1, n <= 9999 else {
            error(line.number, numberColumn, "`\(words[1])` is not a question number", fix: "use a whole number from 1 to 9999")
            questions.append((loc(line.number, indent + 1), nil, [])); return
        }
        if let previous = questions.first(where: { $0.number == n }) {
            error(line.number, numberColumn, "question \(n) is defined twice (first at line \(previous.header.line))",
                  fix: "renumber one of them; each question number appears once")
            questions.append((loc(line.number, indent + 1), nil, [])); return
        }
        questions.append((loc(line.number, indent + 1), n, []))
    }

    /// Removes the indentation common to every non-blank line, and blank lines at both ends.
    static func dedent(_ lines: [String]) -> String {
        var body = lines
        while let f = body.first, f.trimmingCharacters(in: .whitespaces).isEmpty { body.removeFirst() }
        while let l = body.last, l.trimmingCharacters(in: .whitespaces).isEmpty { body.removeLast() }
        let indents = body.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { $0.prefix { $0 == " " || $0 == "\t" }.count }
        let common = indents.min() ?? 0
        return body.map { $0.trimmingCharacters(in: .whitespaces).isEmpty ? "" : String($0.dropFirst(common)) }
            .joined(separator: "\n")
    }

    mutating func finish(fileStem: String) -> BankParser.Result {
        var bank = Bank(file: file, title: fileStem, id: fileStem, questions: [])
        var seenBank: Set<String> = []
        for f in bankFields {
            if !seenBank.insert(f.name).inserted {
                error(f.location.line, f.location.column, "`\(f.name)` is given twice", fix: "keep one `\(f.name):` line")
            }
            if f.name == "title" { bank.title = f.value }
            if f.name == "id" {
                if f.value.isEmpty || !f.value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                    error(f.valueLocation.line, f.valueLocation.column, "`id` must be letters, digits, - or _",
                          fix: "write e.g. `id: neural-style-transfer` (it names the progress file)")
                } else { bank.id = f.value }
            }
        }
        if questions.isEmpty {
            error(1, 1, diagnostics.isEmpty ? "the bank has no questions" : "no questions were read",
                  fix: "add a question: a `== question 1 ==` line followed by `kind:`, `prompt:` and the kind's fields")
        }
        for q in questions {
            guard let n = q.number else { continue }
            if let question = build(number: n, header: q.header, fields: q.fields) { bank.questions.append(question) }
        }
        let hasErrors = diagnostics.contains { $0.severity == .error }
        var result = BankParser.Result(bank: hasErrors ? nil : bank, diagnostics: diagnostics)
        if hasErrors && !bank.questions.isEmpty { result.readable = bank }
        return result
    }

    mutating func build(number: Int, header: SourceLocation, fields: [RawField]) -> Question? {
        let errorsBefore = diagnostics.filter { $0.severity == .error }.count
        var seen: [String: RawField] = [:]
        for f in fields {
            if let first = seen[f.name], !BankParser.repeatable.contains(f.name) {
                error(f.location.line, f.location.column, "`\(f.name)` is given twice in question \(number) (first at line \(first.location.line))",
                      fix: "keep one `\(f.name):`")
            } else if seen[f.name] == nil { seen[f.name] = f }
        }
        guard let kindField = seen["kind"] else {
            error(header.line, header.column, "question \(number) has no `kind:`",
                  fix: "add `kind: formula`, `kind: truefalse`, `kind: choice` or `kind: text` under the header")
            return nil
        }
        guard let kind = QuestionKind(rawValue: kindField.value) else {
            error(kindField.valueLocation.line, kindField.valueLocation.column, "unknown kind `\(kindField.value)`",
                  fix: "use one of: \(QuestionKind.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        var q = Question(number: number, kind: kind, location: header)
        let allowed: Set<String> = {
            let common: Set<String> = ["kind", "title", "points", "prompt", "hint", "model", "explanation",
                                       "printed-key-error", "seed-note", "image", "test"]
            switch kind {
            case .formula: return common.union(["target", "key", "attempts", "mistake", "forbid"])
            case .truefalse: return common.union(["answer", "rubric", "wrong"])
            case .choice: return common.union(["answer", "option", "rubric", "wrong", "chosen-words", "other-words"])
            case .text: return common.union(["rubric", "wrong"])
            }
        }()
        for f in fields where !allowed.contains(f.name) {
            error(f.location.line, f.location.column, "`\(f.name)` does not belong in a \(kind.rawValue) question",
                  fix: "remove it, or change `kind:` (a \(kind.rawValue) question takes: \(allowed.sorted().joined(separator: ", ")))")
        }
        for f in fields where allowed.contains(f.name) {
            let v = f.value, vl = f.valueLocation
            switch f.name {
            case "title": q.title = v
            case "prompt": q.prompt = v
            case "model": q.model = v
            case "explanation": q.explanation = v
            case "printed-key-error": q.printedKeyError = v
            case "seed-note":
                q.printedKeyError = v
                diagnostics.append(FileDiagnostic(f.location, "`seed-note:` is the old name of `printed-key-error:`",
                    fix: "rename the field to `printed-key-error:` (both are read)", severity: .warning))
            case "chosen-words", "other-words":
                let words = splitBar(v).map(\.text).filter { !$0.isEmpty }
                if words.isEmpty { error(vl.line, vl.column, "`\(f.name)` lists no phrases", fix: "write phrases separated by `|`, e.g. `\(f.name): all five | 5 layers`"); continue }
                if f.name == "chosen-words" { q.chosenWords = words } else { q.otherWords = words }
            case "mistake":
                let parts = splitBar(v)
                guard parts.count >= 2, !parts[0].text.isEmpty, !parts[1].text.isEmpty else {
                    error(vl.line, vl.column, "a mistake is `wrong -> right | message` or `wrong formula | message`",
                          fix: "write e.g. `mistake: w_1 -> w | that is layer 1's weight; the gradient of layer l carries wₗ`"); continue
                }
                let message = parts.dropFirst().map(\.text).joined(separator: " | ")
                let sides = parts[0].text.components(separatedBy: "->").map { $0.trimmingCharacters(in: .whitespaces) }
                if sides.count == 2 {
                    let identifier = { (x: String) in !x.isEmpty && x.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } && !(x.first!.isNumber) }
                    guard identifier(sides[0]), identifier(sides[1]) else {
                        error(vl.line, vl.column, "`\(parts[0].text)`: both sides of -> must be symbols, e.g. `w_1 -> w`", fix: "write `mistake: w_1 -> w | message`"); continue
                    }
                    q.mistakes.append(AnticipatedMistake(pattern: sides[0], replacement: sides[1], message: message))
                } else {
                    q.mistakes.append(AnticipatedMistake(pattern: parts[0].text, replacement: nil, message: message))
                }
            case "forbid":
                for part in splitBar(v) where !part.text.isEmpty { q.forbidden.append(part.text) }
            case "test":
                switch ExpectedGradeSyntax.parse(v, location: vl) {
                case .success(let t): q.tests.append(t)
                case .failure(let d): diagnostics.append(d)
                }
            case "hint":
                if v.isEmpty { error(vl.line, vl.column, "empty hint", fix: "write the hint after `hint:` or remove the line") }
                else { q.hints.append(v) }
            case "points":
                if let p = Double(v), p.isFinite, p > 0, p <= 1000 { q.points = p }
                else { error(vl.line, vl.column, "`points` must be a positive number, not `\(v)`", fix: "write e.g. `points: 1`") }
            case "attempts":
                if let a = Int(v), (1...100).contains(a) { q.attempts = a }
                else { error(vl.line, vl.column, "`attempts` must be a whole number from 1 to 100, not `\(v)`", fix: "write e.g. `attempts: 3`") }
            case "target":
                if let known = parser.knownTargets, !known.contains(v) {
                    error(vl.line, vl.column, "unknown target `\(v)`", fix: "use one of: \(known.joined(separator: ", "))")
                } else { q.target = v }
            case "key":
                if v.isEmpty { error(vl.line, vl.column, "empty key", fix: "write the key formula after `key:`, e.g. `key: F - P`") }
                else { q.key = v; q.keyLocation = vl }
            case "answer":
                let a = v.lowercased()
                if kind == .truefalse && a != "true" && a != "false" {
                    error(vl.line, vl.column, "a truefalse answer is `true` or `false`, not `\(v)`", fix: "write `answer: true` or `answer: false`")
                } else if a.isEmpty {
                    error(vl.line, vl.column, "empty answer", fix: "name the right option after `answer:`")
                } else { q.answers.append(a) }
            case "option":
                let parts = splitBar(v)
                guard let name = parts.first?.text.lowercased(), !name.isEmpty, !name.contains(" ") else {
                    error(vl.line, vl.column, "an option is `name | description` with a one-word name",
                          fix: "write e.g. `option: first | the upper image`"); continue
                }
                if q.options.contains(where: { $0.name == name }) {
                    error(vl.line, vl.column, "option `\(name)` is given twice", fix: "give each option its own name")
                }
                q.options.append(ChoiceOption(name: name, text: parts.dropFirst().map(\.text).joined(separator: " | ")))
            case "image":
                let parts = splitBar(v)
                guard parts.count == 2, !parts[0].text.isEmpty, !parts[1].text.isEmpty else {
                    error(vl.line, vl.column, "an image is `label | path`", fix: "write e.g. `image: first | out/style-depth/layers-5.png`"); continue
                }
                q.images.append(ImageAttachment(label: parts[0].text, path: parts[1].text))
            case "rubric", "wrong":
                // A block holds one idea per line (blank lines and `#` comments skipped).
                let lines = v.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                for (k, line) in lines.enumerated() {
                    let text = line.trimmingCharacters(in: .whitespaces)
                    if text.isEmpty || text.hasPrefix("#") { continue }
                    let at = lines.count > 1 ? SourceLocation(file: vl.file, line: vl.line + k, column: 1 + line.prefix { $0 == " " || $0 == "\t" }.count) : vl
                    if f.name == "rubric" { if let idea = parseIdea(text, at: at) { q.rubric.append(idea) } }
                    else if let w = parseWrongIdea(text, at: at) { q.wrongIdeas.append(w) }
                }
            default: break
            }
        }
        // What each kind needs.
        if kind == .formula || kind == .choice && q.rubric.isEmpty, !q.wrongIdeas.isEmpty, let f = fields.first(where: { $0.name == "wrong" }) {
            error(f.location.line, f.location.column, "`wrong:` needs key ideas to cap: question \(number) has no `rubric:`",
                  fix: "add `rubric:` lines, or remove the `wrong:` lines")
        }
        if q.prompt.isEmpty { error(header.line, header.column, "question \(number) has no `prompt:`", fix: "add `prompt: \"\"\"`, the question's text, and a closing `\"\"\"`") }
        switch kind {
        case .formula:
            if q.target == nil && seen["target"] == nil { error(header.line, header.column, "formula question \(number) has no `target:`", fix: "add e.g. `target: content-layer`" + (parser.knownTargets.map { " (one of: \($0.joined(separator: ", ")))" } ?? "")) }
            if q.key == nil && seen["key"] == nil { error(header.line, header.column, "formula question \(number) has no `key:`", fix: "add the key formula, e.g. `key: F - P`") }
        case .truefalse:
            if q.answers.isEmpty && seen["answer"] == nil { error(header.line, header.column, "truefalse question \(number) has no `answer:`", fix: "add `answer: true` or `answer: false`") }
            if q.answers.count > 1 { error(header.line, header.column, "truefalse question \(number) has more than one `answer:`", fix: "keep one") }
            if q.rubric.isEmpty { error(header.line, header.column, "truefalse question \(number) has no `rubric:` for its explanation", fix: "add `rubric:` lines, one key idea each, e.g. `rubric: pretrained | pre-trained`") }
        case .choice:
            if fields.filter({ $0.name == "option" }).count < 2 {
                error(header.line, header.column, "choice question \(number) needs at least two `option:` lines", fix: "add e.g. `option: first | …` and `option: second | …`")
            }
            if q.answers.isEmpty && seen["answer"] == nil { error(header.line, header.column, "choice question \(number) has no right option (`answer:`)", fix: "add `answer: NAME` naming one of the options") }
            for (i, a) in q.answers.enumerated() where !q.options.contains(where: { $0.name == a }) {
                let f = fields.filter { $0.name == "answer" }[i]
                error(f.valueLocation.line, f.valueLocation.column, "`answer: \(a)` names no option",
                      fix: "use one of: \(q.options.map(\.name).joined(separator: ", "))")
            }
        case .text:
            if q.rubric.isEmpty { error(header.line, header.column, "text question \(number) has an empty rubric", fix: "add `rubric:` lines, one key idea each, synonyms separated by `|`") }
        }
        return diagnostics.filter({ $0.severity == .error }).count == errorsBefore ? q : nil
    }

    /// One key idea: `label = phrase | phrase …` (or bare phrases).
    mutating func parseIdea(_ v: String, at vl: SourceLocation) -> RubricIdea? {
        let parts = splitBar(v)
        if let empty = parts.first(where: { $0.text.isEmpty }) {
            error(vl.line, vl.column + empty.offset, "empty phrase in a rubric idea",
                  fix: "write phrases separated by `|`, e.g. `rubric: minimi* | reduce | lower`"); return nil
        }
        if parts.contains(where: { RubricMatcher.tokens($0.text).isEmpty }) {
            error(vl.line, vl.column, "a rubric phrase has no letters or digits", fix: "write words, e.g. `rubric: gram matri* | correlation*`"); return nil
        }
        if let bad = parts.first(where: { $0.text.hasPrefix("**") || $0.text.hasSuffix("**") }) {
            error(vl.line, vl.column + bad.offset, "`**` (a gap of words) must stand between two words of a phrase",
                  fix: "write e.g. `gram ** content`"); return nil
        }
        guard let eq = parts[0].text.firstIndex(of: "=") else { return RubricIdea(phrases: parts.map(\.text)) }
        let label = parts[0].text[..<eq].trimmingCharacters(in: .whitespaces)
        let first = parts[0].text[parts[0].text.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        guard !label.isEmpty, !first.isEmpty, !RubricMatcher.tokens(first).isEmpty else {
            error(vl.line, vl.column, "a rubric idea is `label = phrase | phrase …`", fix: "write e.g. `rubric: a squared error = squar* | sum of squares`"); return nil
        }
        return RubricIdea(phrases: [first] + parts.dropFirst().map(\.text), label: label)
    }

    /// A misconception: `label = phrase | phrase … => feedback`.
    mutating func parseWrongIdea(_ v: String, at vl: SourceLocation) -> WrongIdea? {
        let fix = "write e.g. `wrong: the loss is maximised = maximi* | increas* ** loss => the optimiser lowers the loss`"
        guard let arrow = v.range(of: "=>", options: .backwards) else {
            error(vl.line, vl.column, "a wrong idea is `label = phrase | phrase … => feedback`: the `=> feedback` is missing", fix: fix); return nil
        }
        let feedback = v[arrow.upperBound...].trimmingCharacters(in: .whitespaces)
        let ideaText = String(v[..<arrow.lowerBound]).trimmingCharacters(in: .whitespaces)
        guard !feedback.isEmpty else {
            error(vl.line, vl.column + v.distance(from: v.startIndex, to: arrow.lowerBound), "a wrong idea's feedback after `=>` is empty", fix: fix); return nil
        }
        guard ideaText.contains("="), let idea = parseIdea(ideaText, at: vl), let label = idea.label else {
            if !ideaText.contains("=") { error(vl.line, vl.column, "a wrong idea needs a label: `label = phrase | phrase … => feedback`", fix: fix) }
            return nil
        }
        return WrongIdea(label: label, phrases: idea.phrases, feedback: feedback)
    }

    /// Splits `a | b | c`, keeping each part's column offset from the value's start.
    func splitBar(_ v: String) -> [(text: String, offset: Int)] {
        var parts: [(String, Int)] = []
        var offset = 0
        for piece in v.split(separator: "|", omittingEmptySubsequences: false) {
            let text = piece.trimmingCharacters(in: .whitespaces)
            let lead = text.isEmpty ? 0 : piece.prefix { $0 == " " }.count
            parts.append((text, offset + lead))
            offset += piece.count + 1
        }
        return parts
    }
}

/// Levenshtein distance, for "did you mean" suggestions on short names (also `nst`'s
/// unknown commands).
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    for i in 1...a.count {
        var cur = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        prev = cur
    }
    return prev[b.count]
}
