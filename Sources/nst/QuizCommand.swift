import ArgumentParser
import Foundation
import NSTQuiz
import NSTCheck
import NSTTerminal
import NSTImage

struct QuizCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quiz",
        abstract: "Take the twelve-question quiz on neural style transfer.",
        discussion: """
        One question at a time. At the answer> prompt type your answer, or:
          hint     the next hint (in layers: the last nearly gives it away)
          skip     leave the question for next time
          giveup   0 points for it, and see the model answer
          quit     stop here (progress is kept)
        Formula answers use the language of `nst check` (F P G A N M w alpha
        beta eta, + - * / ^, ' for transpose) and are checked numerically. The
        formula is echoed as read before grading; one that cannot be read costs
        no attempt. Text answers are judged against a rubric of key ideas.

        Progress is saved after every answer in $XDG_STATE_HOME/nst/progress/
        (default ~/.local/state/nst/progress/) and resumed next time. Two quizzes
        on one bank at once: the last to save wins, with a warning.
        The default bank is Quizzes/neural-style-transfer.quiz, looked up in the
        working directory, then beside the nst executable.

        Examples:
          nst quiz                          take the quiz (or continue it)
          nst quiz --only 5,7               only questions 5 and 7
          nst quiz --shuffle --seed 3       a fixed shuffled order
          nst quiz --review                 the answers that lost points
          nst quiz --answers a.answers      grade a file (Quizzes/FORMAT.md)
          nst quiz --answers a.answers --json
        """
    )

    @Option(name: .long, help: ArgumentHelp("The question bank. (default: Quizzes/neural-style-transfer.quiz)", valueName: "file"))
    var bank: String?

    @Option(name: .long, help: ArgumentHelp("Ask only these questions, e.g. 5,7.", valueName: "list"))
    var only: String?

    @Flag(name: .long, help: "Ask the questions in a shuffled order.")
    var shuffle = false

    @Option(name: .long, help: "Seed of the shuffled order (with --shuffle; default: a random seed, printed).")
    var seed: UInt64?

    @Flag(name: .long, help: "Show the finished questions that lost points, with the model answers.")
    var review = false

    @Flag(name: .long, help: "Forget the saved progress for this bank, then exit.")
    var reset = false

    @Option(name: .long, help: ArgumentHelp("Grade an answers file instead of asking (no progress is saved).", valueName: "file"))
    var answers: String?

    @Flag(name: .long, help: "With --answers: print the report as JSON.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("Refuse bank and answers files larger than this.", valueName: "bytes"))
    var maxBankBytes: Int = 1 << 20

    var onlyNumbers: [Int]? {
        guard let only else { return nil }
        return only.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    func validate() throws {
        if let only {
            let parts = only.split(separator: ",", omittingEmptySubsequences: false)
            for p in parts where Int(p.trimmingCharacters(in: .whitespaces)).map({ $0 < 1 }) ?? true {
                throw ValidationError("--only takes question numbers separated by commas, e.g. --only 5,7 (got `\(p)`).")
            }
        }
        if json && answers == nil { throw ValidationError("--json goes with --answers FILE.") }
        if answers != nil && (review || reset || shuffle || only != nil) {
            throw ValidationError("--answers grades a file; it does not combine with --review, --reset, --shuffle or --only.")
        }
        if review && reset { throw ValidationError("Use --review or --reset, not both.") }
        if seed != nil && !shuffle { throw ValidationError("--seed goes with --shuffle.") }
        if maxBankBytes < 1 { throw ValidationError("--max-bank-bytes must be positive.") }
    }

    func run() throws { try Self.reporting(runQuiz) }

    func runQuiz() throws {
        let bankURL = try BankLocator.locate(bank)
        let parsed = BankParser(maxBytes: maxBankBytes).parse(contentsOf: bankURL, displayName: bank ?? BankLocator.display(bankURL))
        guard let loadedBank = parsed.bank else {
            for d in parsed.diagnostics { FileHandle.standardError.write(Data("\(d)\n".utf8)) }
            throw ExitCode(2)
        }
        if let only = onlyNumbers {
            let missing = only.filter { loadedBank.question($0) == nil }
            if !missing.isEmpty {
                throw QuizCLIError("--only: the bank has no question \(missing.map(String.init).joined(separator: ", ")) (it has \(loadedBank.questions.map { String($0.number) }.joined(separator: ",")))." )
            }
        }
        let grader = QuizGrader(formula: CheckerGrader())

        if let answers {
            let url = URL(fileURLWithPath: answers)
            let file: AnswersFile
            do {
                guard let data = FileManager.default.contents(atPath: url.path) else {
                    throw FileDiagnostic(SourceLocation(file: answers, line: 0, column: 0), "cannot read the answers file",
                                         fix: "check the path; the format is in Quizzes/FORMAT.md")
                }
                file = try AnswersFile.parse(data: data, file: answers, bank: loadedBank, maxBytes: maxBankBytes)
            } catch let d as FileDiagnostic {
                FileHandle.standardError.write(Data("\(d)\n".utf8))
                throw ExitCode(2)
            }
            let report = Report.grade(file, bank: loadedBank, grader: grader)
            print(json ? report.json() : report.text())
            return
        }

        let store = ProgressStore.forBank(loadedBank.id)
        if reset {
            print(try store.reset() ? "Progress for \(loadedBank.id) cleared (\(store.url.path))." : "No saved progress for \(loadedBank.id).")
            return
        }
        let console = StandardConsole()
        var shuffleSeed: UInt64?
        if shuffle {
            shuffleSeed = seed ?? UInt64.random(in: 0...999_999)
            if seed == nil { console.write("Shuffled with seed \(shuffleSeed!) (repeat the order with --shuffle --seed \(shuffleSeed!)).") }
        }
        let session = QuizSession(bank: loadedBank, grader: grader, store: store, console: console,
                                  options: .init(only: onlyNumbers, shuffleSeed: shuffleSeed),
                                  renderImages: QuizImages.render, pretty: CheckerGrader.pretty)
        if review { _ = session.review(); return }
        _ = session.run()
    }
}

/// Finds the default bank: Quizzes/neural-style-transfer.quiz in the working directory or
/// beside the executable (up its parent folders, as in a checkout's .build/debug/nst, or
/// share/nst/Quizzes for an installed copy).
enum BankLocator {
    static let defaultName = "neural-style-transfer.quiz"

    static func candidates() -> [URL] {
        var list = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Quizzes/\(defaultName)")]
        if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            var dir = exe.deletingLastPathComponent()
            for _ in 0..<5 {
                list.append(dir.appendingPathComponent("Quizzes/\(defaultName)"))
                list.append(dir.appendingPathComponent("share/nst/Quizzes/\(defaultName)"))
                if dir.path == "/" { break }
                dir = dir.deletingLastPathComponent()
            }
        }
        var seen = Set<String>()
        return list.filter { seen.insert($0.standardizedFileURL.path).inserted }
    }

    static func locate(_ explicit: String?) throws -> URL {
        if let explicit {
            guard FileManager.default.fileExists(atPath: explicit) else {
                throw QuizCLIError("\(explicit): no such bank file (a bank is a .quiz text file, e.g. Quizzes/\(defaultName))")
            }
            return URL(fileURLWithPath: explicit)
        }
        let c = candidates()
        if let found = c.first(where: { FileManager.default.fileExists(atPath: $0.path) }) { return found }
        throw QuizCLIError("""
            The question bank was not found. Looked for:
            \(c.map { "  " + $0.path }.joined(separator: "\n"))
            Run nst from the project folder, or pass --bank Quizzes/\(defaultName).
            """)
    }

    /// A path relative to the working directory when it is under it.
    static func display(_ url: URL) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        return url.path.hasPrefix(cwd) ? String(url.path.dropFirst(cwd.count)) : url.path
    }
}

/// Question 12's images: drawn side by side in the terminal (NSTTerminal's half-block
/// renderer, as `nst show` does) when standard output is one; else one line per image with
/// its path, which is also the fallback for an image that cannot be read.
enum QuizImages {
    static func render(_ images: [ImageAttachment]) -> String {
        guard Terminal.isTTY(STDOUT_FILENO) else { return QuizSession.imagePaths(images) }
        var items: [(image: RGBImage, label: String)] = []
        var unreadable: [String] = []
        for a in images {
            do { items.append((try ImageIO.read(URL(fileURLWithPath: a.path)), a.label)) }
            catch { unreadable.append("  [\(a.label)] \(a.path): \(error)") }
        }
        let renderer = TerminalImageRenderer(mode: Terminal.colorMode())
        let width = min(Terminal.width(), 160)
        var out = renderer.renderSideBySide(items, width: width, maxRows: 24)
        if out.hasSuffix("\n") { out.removeLast() }
        let paths = QuizSession.imagePaths(images)
        return ([out, paths] + unreadable).filter { !$0.isEmpty }.joined(separator: "\n")
    }
}

/// A one-line error for the user (printed as `error: …`, exit status 2), without the usage
/// text ArgumentParser adds to validation errors.
struct QuizCLIError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

extension QuizCommand {
    /// Runs `body`, turning QuizCLIError into `error: …` on stderr and exit status 2.
    static func reporting(_ body: () throws -> Void) throws {
        do { try body() } catch let e as QuizCLIError {
            FileHandle.standardError.write(Data("error: \(e.description)\n".utf8))
            throw ExitCode(2)
        }
    }
}
