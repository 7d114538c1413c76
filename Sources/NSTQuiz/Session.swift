import Foundation
import NSTTensor  // SplitMix64, the project's seeded generator (a dependency through NSTCheck)

/// Where a session reads answers and writes text (the terminal, a pipe, or a test).
public protocol QuizConsole: AnyObject {
    /// One line without its newline, or nil at end of input.
    func readLine(prompt: String) -> String?
    func write(_ text: String)
    func warn(_ text: String)
}

/// Standard input and output. Prompts are written without a newline and flushed; no
/// escape sequences are used, so a pipe reads the same text a terminal shows.
public final class StandardConsole: QuizConsole {
    /// When input is not a terminal, each line read is echoed after the prompt, so the
    /// output reads as a transcript (a terminal echoes typed input itself).
    let echoInput: Bool
    public init(echoInput: Bool = isatty(0) == 0) { self.echoInput = echoInput }
    public func readLine(prompt: String) -> String? {
        FileHandle.standardOutput.write(Data(prompt.utf8))
        let line = Swift.readLine(strippingNewline: true)
        if echoInput { FileHandle.standardOutput.write(Data(((line ?? "") + "\n").utf8)) }
        return line
    }
    public func write(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
    public func warn(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
}

/// One sitting of the quiz: asks the unfinished questions in order, one at a time.
///
/// At the `answer>` prompt the student types an answer or a command: `hint` (the next
/// hint layer), `skip` (come back to it next time), `giveup` (0 points, show the model
/// answer), `quit` (stop; progress is kept). End of input behaves like `quit`.
public final class QuizSession {
    public struct Options: Sendable {
        public var only: [Int]? = nil
        public var shuffleSeed: UInt64? = nil
        public init(only: [Int]? = nil, shuffleSeed: UInt64? = nil) { self.only = only; self.shuffleSeed = shuffleSeed }
    }
    public enum Outcome: Equatable { case finished, quit, inputEnded }

    let bank: Bank
    let grader: QuizGrader
    let store: ProgressStore
    let console: QuizConsole
    let options: Options
    /// Renders a question's images (terminal cells when possible, else paths). Given the
    /// attachments that exist on disk; returns the text to print.
    let renderImages: ([ImageAttachment]) -> String
    /// How formulas look to the student (the checker's Unicode form); identity by default.
    let pretty: (String) -> String
    public private(set) var progress: Progress

    public init(bank: Bank, grader: QuizGrader, store: ProgressStore, console: QuizConsole, options: Options = .init(),
                renderImages: @escaping ([ImageAttachment]) -> String = QuizSession.imagePaths,
                pretty: @escaping (String) -> String = { $0 }) {
        self.bank = bank; self.grader = grader; self.store = store; self.console = console; self.options = options
        self.renderImages = renderImages; self.pretty = pretty
        progress = store.load(bank: bank.id)
        for w in store.warnings { console.warn(w) }
    }

    public static func imagePaths(_ images: [ImageAttachment]) -> String {
        images.map { "  [\($0.label)] \($0.path)" }.joined(separator: "\n")
    }

    /// The questions of this sitting, in the order they are asked.
    public var order: [Question] {
        var qs = bank.questions
        if let only = options.only { qs = only.compactMap { bank.question($0) } }
        if let seed = options.shuffleSeed {
            // Fisher–Yates with SplitMix64, so `--shuffle --seed S` always gives the same order.
            var rng = SplitMix64(seed: seed)
            if qs.count > 1 { for i in stride(from: qs.count - 1, to: 0, by: -1) { qs.swapAt(i, Int(rng.next() % UInt64(i + 1))) } }
        }
        return qs
    }

    func save() {
        do { progress = try store.save(progress) } catch { console.warn("error: \(error)") }
        for w in store.warnings.dropFirst(reportedWarnings) { console.warn(w) }
        reportedWarnings = store.warnings.count
    }
    private var reportedWarnings = 0

    public func run() -> Outcome {
        reportedWarnings = store.warnings.count
        let qs = order
        let done = qs.filter { progress[$0.number].done }
        console.write("\(bank.title) — \(qs.count) question\(qs.count == 1 ? "" : "s").")
        console.write("At the answer> prompt: type your answer, or hint, skip, giveup, quit.")
        if !done.isEmpty {
            console.write("Resuming: \(done.count) of \(qs.count) done, score \(Report.fmt(score(qs)))/\(Report.fmt(maxScore(qs))) so far.")
        }
        var skipped: [Int] = []
        for (index, q) in qs.enumerated() where !progress[q.number].done {
            switch ask(q, index: index + 1, of: qs.count) {
            case .answered: break
            case .skipped: skipped.append(q.number)
            case .quit:
                console.write("Stopped. Progress saved to \(store.url.path); run `nst quiz` again to continue.")
                return .quit
            case .inputEnded:
                console.write("\nInput ended. Progress saved to \(store.url.path); run `nst quiz` again to continue.")
                return .inputEnded
            }
        }
        console.write(summary(qs))
        if !skipped.isEmpty {
            console.write("Skipped: question\(skipped.count == 1 ? "" : "s") \(skipped.map(String.init).joined(separator: ", ")). Run `nst quiz` again to answer \(skipped.count == 1 ? "it" : "them").")
        }
        return .finished
    }

    func score(_ qs: [Question]) -> Double { QuizGrader.round2(qs.reduce(0) { $0 + (progress[$1.number].grade?.score ?? 0) }) }
    func maxScore(_ qs: [Question]) -> Double { qs.reduce(0) { $0 + $1.points } }

    public func summary(_ qs: [Question]) -> String {
        var lines = ["", "Score"]
        for q in qs {
            let s = progress[q.number]
            let status: String
            if !s.done { status = "not answered" }
            else if s.gaveUp { status = "gave up" }
            else { status = s.grade?.verdict.rawValue ?? "?" }
            let number = "Q\(q.number)".padding(toLength: 4, withPad: " ", startingAt: 0)
            let score = "\(Report.fmt(s.grade?.score ?? 0))/\(Report.fmt(q.points))".padding(toLength: 8, withPad: " ", startingAt: 0)
            lines.append("  \(number) \(score) \(status)")
        }
        lines.append("Total: \(Report.fmt(score(qs)))/\(Report.fmt(maxScore(qs)))")
        if qs.contains(where: { progress[$0.number].done && progress[$0.number].grade?.verdict != .correct }) {
            lines.append("Go over the answers that lost points with `nst quiz --review`.")
        }
        return lines.joined(separator: "\n")
    }

    enum AskResult { case answered, skipped, quit, inputEnded }

    func header(_ q: Question, index: Int, of total: Int) -> String {
        let kind: String
        switch q.kind {
        case .formula: kind = "formula"
        case .truefalse: kind = "true or false"
        case .choice: kind = "choice"
        case .text: kind = "short answer"
        }
        return "\n── Question \(q.number) (\(index) of \(total)) · \(kind) · \(Report.fmt(q.points)) point\(q.points == 1 ? "" : "s")" + (q.title.isEmpty ? "" : " · \(q.title)") + " ──"
    }

    func instructions(_ q: Question) -> String {
        switch q.kind {
        case .formula:
            return "Type a formula as for `nst check`: F P G A N M w alpha beta eta, + - * / ^,\n"
                + "' for transpose, .* elementwise. \(q.attempts) attempt\(q.attempts == 1 ? "" : "s"); a formula that cannot be read costs none."
        case .truefalse: return "Answer `true` or `false`, then explain why on the same line."
        case .choice: return "Answer \(q.options.map { "`\($0.name)`" }.joined(separator: " or ")), then justify it on the same line."
        case .text: return "Answer in a sentence or two, on one line."
        }
    }

    func present(_ q: Question, index: Int, of total: Int) {
        console.write(header(q, index: index, of: total))
        console.write(q.prompt)
        if !q.options.isEmpty {
            for o in q.options { console.write("  \(o.name): \(o.text)") }
        }
        if !q.images.isEmpty { console.write(imagesText(q.images)) }
        console.write(instructions(q))
        let s = progress[q.number]
        if s.hintsShown > 0 {
            for (i, h) in q.hints.prefix(s.hintsShown).enumerated() { console.write("Hint \(i + 1): \(h)") }
        }
        if s.attempts > 0 { console.write("(\(s.attempts) of \(q.attempts) attempts used before.)") }
    }

    /// The images that exist are rendered; missing ones are named, with the command that makes them.
    func imagesText(_ images: [ImageAttachment]) -> String {
        let present = images.filter { FileManager.default.fileExists(atPath: $0.path) }
        let missing = images.filter { !FileManager.default.fileExists(atPath: $0.path) }
        var out: [String] = []
        if !present.isEmpty { out.append(renderImages(present.map(blindCopy))) }
        if !missing.isEmpty {
            // The paths are not printed: their names (layers-5.png …) would give the answer away.
            let folders = Set(missing.map { ($0.path as NSString).deletingLastPathComponent }).sorted()
            out.append("The images for \(missing.map { "“\($0.label)”" }.joined(separator: " and ")) are not generated yet (looked in \(folders.joined(separator: ", "))).")
            out.append("Make them with `nst experiment style-depth` (see its --help; run it from this folder), then come back: type skip for now.")
        }
        return out.joined(separator: "\n")
    }

    /// A copy of the image named after its label only (`…/images/<bank>-first.png`), so a
    /// file name such as layers-5.png does not give the answer away when paths are printed.
    func blindCopy(_ image: ImageAttachment) -> ImageAttachment {
        let ext = (image.path as NSString).pathExtension
        let dir = store.url.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("images")
        let safeLabel = String(image.label.map { $0.isLetter || $0.isNumber ? $0 : "-" })
        let dest = dir.appendingPathComponent("\(bank.id)-\(safeLabel)" + (ext.isEmpty ? "" : "." + ext))
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let data = try Data(contentsOf: URL(fileURLWithPath: image.path))
            try ProgressStore.writeAtomically(data, to: dest)
            return ImageAttachment(label: image.label, path: dest.path)
        } catch {
            return image
        }
    }

    func ask(_ q: Question, index: Int, of total: Int) -> AskResult {
        present(q, index: index, of: total)
        while true {
            guard let raw = console.readLine(prompt: "answer> ") else { return .inputEnded }
            let line = raw.trimmingCharacters(in: .whitespaces)
            switch line.lowercased() {
            case "":
                continue
            case "hint":
                var s = progress[q.number]
                if s.hintsShown < q.hints.count {
                    s.hintsShown += 1
                    progress[q.number] = s
                    console.write("Hint \(s.hintsShown) of \(q.hints.count): \(q.hints[s.hintsShown - 1])")
                    save()
                } else { console.write("No more hints. Type giveup to see the model answer.") }
                continue
            case "skip":
                console.write("Skipped.")
                return .skipped
            case "quit", "exit":
                save()
                return .quit
            case "giveup", "give up":
                var s = progress[q.number]
                s.done = true; s.gaveUp = true
                s.grade = Grade(score: 0, max: q.points, verdict: .incorrect, feedback: "Gave up.")
                progress[q.number] = s
                save()
                reveal(q)
                return .answered
            default:
                break
            }
            let g = grader.grade(q, answer: line)
            if let echo = g.echo {
                let lines = echo.split(separator: "\n", omittingEmptySubsequences: false)
                console.write((["Read as: " + (lines.first.map(String.init) ?? "")] + lines.dropFirst().map { "  " + $0 }).joined(separator: "\n"))
            }
            var s = progress[q.number]
            s.lastAnswer = line
            if g.verdict == .invalid {
                console.write(g.feedback)
                console.write("(No attempt used; try again.)")
                continue
            }
            s.attempts += 1
            s.grade = g
            console.write(g.feedback)
            if q.kind == .formula && g.verdict != .correct && s.attempts < q.attempts {
                let left = q.attempts - s.attempts
                console.write("\(left) attempt\(left == 1 ? "" : "s") left." + (s.hintsShown < q.hints.count ? " Type hint for a hint." : ""))
                progress[q.number] = s
                save()
                continue
            }
            s.done = true
            progress[q.number] = s
            save()
            console.write("Score: \(Report.fmt(g.score))/\(Report.fmt(q.points)).")
            reveal(q)
            return .answered
        }
    }

    /// After solving or giving up: the model answer, why, and where the printed key went wrong.
    func reveal(_ q: Question) {
        func block(_ title: String, _ text: String) {
            console.write(title)
            console.write(text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n"))
        }
        if q.kind == .formula, let key = q.key {
            block("Model answer:", pretty(key) + (q.model.isEmpty ? "" : "\n" + q.model))
        } else if !q.model.isEmpty { block("Model answer:", q.model) }
        if !q.explanation.isEmpty { block("Why:", q.explanation) }
        if !q.seedNote.isEmpty { block("About the printed key:", q.seedNote) }
    }

    /// `--review`: every finished question that lost points, with the answer given, the
    /// feedback, the model answer and the explanation.
    public func review() -> Int {
        let wrong = order.filter { let s = progress[$0.number]; return s.done && s.grade?.verdict != .correct }
        if wrong.isEmpty { console.write("Nothing to review: no finished question lost points."); return 0 }
        for q in wrong {
            let s = progress[q.number]
            console.write("\n── Question \(q.number) · \(Report.fmt(s.grade?.score ?? 0))/\(Report.fmt(q.points)) ──")
            console.write(q.prompt)
            console.write("Your answer: " + (s.gaveUp ? "(gave up)" : (s.lastAnswer ?? "")))
            if let g = s.grade, !s.gaveUp { console.write("Feedback: " + g.feedback) }
            reveal(q)
        }
        return wrong.count
    }
}
