import ArgumentParser
import Foundation
import NSTQuiz
import NSTCheckGrader
import NSTTerminal
import NSTImage
import NSTFileIO
import NSTStyleJobs

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
        beta eta, + - * / ^, ' for transpose; Fˡ, wₗ, α_l are read too) and
        are checked numerically. The formula is echoed as read before grading;
        one that cannot be read costs no attempt. True/false and choice ask the
        verdict at answer>, then the reason at why>. Text answers and reasons
        may span lines and end with an empty line; their scores come from
        matching key ideas and are suggestions: after the model answer you may
        mark which ideas you really covered (the summary shows both scores).
        Line editing and history (Up recalls the last attempt) in a terminal.

        Progress is saved after every answer in $XDG_STATE_HOME/nst/progress/
        (default ~/.local/state/nst/progress/) and resumed next time. Two quizzes
        on one bank at once: the last to save wins, with a warning.
        The default bank, Quizzes/neural-style-transfer.quiz, is built into nst;
        --bank FILE uses another.

        Examples:
          nst quiz                          take the quiz (or continue it)
          nst quiz --only 5,7               only questions 5 and 7
          nst quiz --shuffle --seed 3       a fixed shuffled order
          nst quiz --list                   each question's status and score
          nst quiz --review                 the answers that lost points
          nst quiz --reset --yes            start again without asking
          nst quiz --answers a.answers      grade a file (docs/quiz.md)
          nst quiz --answers a.answers --json
          nst quiz --answers class/ --csv grades.csv   a folder, as a gradebook
        """
    )

    @Option(name: .long, help: ArgumentHelp("The question bank. (default: the built-in Quizzes/neural-style-transfer.quiz)", valueName: "file"))
    var bank: String?

    @Option(name: .long, help: ArgumentHelp("Ask only these questions, e.g. 5,7.", valueName: "list"))
    var only: String?

    @Flag(name: .long, help: "Ask the questions in a shuffled order.")
    var shuffle = false

    @Option(name: .long, help: "Seed of the shuffled order (with --shuffle; default: a random seed, printed).")
    var seed: UInt64?

    @Flag(name: .long, help: "Show the finished questions that lost points, with the model answers.")
    var review = false

    @Flag(name: .long, help: "List every question with its status and score, then exit.")
    var list = false

    @Flag(name: .long, help: "Forget the saved progress for this bank (asks first), then exit.")
    var reset = false

    @Flag(name: .long, help: "With --reset: do not ask.")
    var yes = false

    @Option(name: .long, help: ArgumentHelp("The folder of question 12's images (a run's folder or its parent), if not the one `nst experiment style-depth` writes by default.", valueName: "dir"))
    var images: String?

    @Option(name: .long, parsing: .upToNextOption,
            help: ArgumentHelp("Grade answers files (or every .answers file in a folder) instead of asking; no progress is saved.", valueName: "file"))
    var answers: [String] = []

    @Flag(name: .long, help: "With --answers: print the report as JSON.")
    var json = false

    @Option(name: .long, help: ArgumentHelp("With --answers: also write a gradebook (one row per file) to this CSV file.", valueName: "file"))
    var csv: String?

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
        if (json || csv != nil) && answers.isEmpty { throw ValidationError("--json and --csv go with --answers FILE.") }
        if !answers.isEmpty && (review || reset || shuffle || list || only != nil || images != nil) {
            throw ValidationError("--answers grades files; it does not combine with --review, --reset, --list, --shuffle, --only or --images.")
        }
        if [review, reset, list].filter({ $0 }).count > 1 { throw ValidationError("Use one of --review, --reset and --list.") }
        if yes && !reset { throw ValidationError("--yes goes with --reset.") }
        if seed != nil && !shuffle { throw ValidationError("--seed goes with --shuffle.") }
        if maxBankBytes < 1 { throw ValidationError("--max-bank-bytes must be positive.") }
    }

    /// Where `nst experiment style-depth` writes by default: question 12 looks there first.
    var defaultImagesFolder: URL {
        StyleDepthExperiment.defaultOutputFolder(dataFolder: UserDataFolder.url(environment: ProcessEnvironment.values), grid: false)
    }

    func run() throws {
        let loadedBank = try BankLocator.load(bank, maxBytes: maxBankBytes)
        if let only = onlyNumbers {
            let missing = only.filter { loadedBank.question($0) == nil }
            if !missing.isEmpty {
                throw CLIError("--only: the bank has no question \(missing.map(String.init).joined(separator: ", "))", why: "it has \(loadedBank.questions.map { String($0.number) }.joined(separator: ","))", fix: "", kind: .usage)
            }
        }
        let grader = QuizGrader(formula: CheckerGrader())

        if !answers.isEmpty {
            if let csv {
                try AnswersBatch.checkGradebook(csv, answers: answers, bank: loadedBank)
                TemporaryFiles.removeOnInterrupt(message: "interrupted; the gradebook was not written")
            }
            let batch = AnswersBatch.grade(paths: answers, bank: loadedBank, grader: grader, maxBytes: maxBankBytes)
            let single = answers.count == 1 && !BankLocator.isDirectory(answers[0])
            if single, let failure = batch.failures.first { throw failure }
            for d in batch.failures { FileHandle.standardError.write(Data("\(d)\n".utf8)) }
            if let text = batch.output(json: json, single: single) { print(text) }
            if let csv { try batch.writeGradebook(bank: loadedBank, to: csv) }
            if !batch.failures.isEmpty {
                throw CLIError("\(batch.failures.count) of the answers files could not be read", why: "", fix: "see the errors above")
            }
            return
        }

        let store = ProgressStore.forBank(loadedBank.id, environment: ProcessEnvironment.values,
                                          pieceDelayMs: ProcessEnvironment.progressSavePauseMs)
        if reset {
            guard FileManager.default.fileExists(atPath: store.url.path) else { print("No saved progress for \(loadedBank.id)."); return }
            if !yes {
                let console = StandardConsole(lineEditing: ProcessEnvironment.lineEditing)
                let answer = console.readLine(prompt: "Forget all saved progress for \(loadedBank.id) (\(store.url.path))? Type yes to confirm: ")
                guard ["y", "yes"].contains(answer?.trimmingCharacters(in: .whitespaces).lowercased() ?? "") else {
                    print("Not reset; the progress is kept.")
                    throw ExitCode(1)
                }
            }
            _ = try store.reset()
            print("Progress for \(loadedBank.id) cleared (\(store.url.path)).")
            return
        }
        // In a terminal, text is wrapped to its width at spaces (never mid-word).
        let console = StandardConsole(wrapWidth: Terminal.isTTY(STDOUT_FILENO) ? Terminal.width(environment: ProcessEnvironment.values) : nil,
                                      lineEditing: ProcessEnvironment.lineEditing)
        if let images {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: images, isDirectory: &isFolder), isFolder.boolValue else {
                throw CLIError("--images: no such folder", file: images, why: FileManager.default.fileExists(atPath: images) ? "it is a file" : "it does not exist",
                               fix: "give the folder `nst experiment style-depth` wrote (its -o) or the folder above it, or leave out --images to look in \(CLIError.escaped(defaultImagesFolder.path))",
                               kind: .usage)
            }
        }
        var shuffleSeed: UInt64?
        if shuffle {
            shuffleSeed = seed ?? UInt64.random(in: 0...999_999)
            if seed == nil { console.write("Shuffled with seed \(shuffleSeed!) (repeat the order with --shuffle --seed \(shuffleSeed!)).") }
        }
        let session = QuizSession(bank: loadedBank, grader: grader, store: store, console: console,
                                  options: .init(only: onlyNumbers, shuffleSeed: shuffleSeed, imagesDirectory: images,
                                                defaultImageFolders: [UserDataFolder.url(environment: ProcessEnvironment.values).path],
                                                resumeCommand: bank.map { "nst quiz --bank \(shellQuoted($0))" } ?? "nst quiz"),
                                  renderImages: QuizImages.forThisTerminal().render, pretty: CheckerGrader.pretty)
        if review { _ = session.review(); return }
        if list { console.write(session.list()); return }
        _ = session.run()
        if session.saveFailed { throw ExitCode(1) }
    }
}

/// Question 12's images. In a terminal with a graphics protocol (kitty, iTerm2, sixel:
/// `TerminalImageProtocol.detect`), each image pixel for pixel; elsewhere in text cells, both
/// whole and then enlarged where they differ most (`ImageComparison.cells`). Then each image's
/// `file://` link, to open it at full size. Not on a terminal: one line per image with its
/// path, which is also the fallback for an image that cannot be read.
struct QuizImages {
    var graphics: TerminalImageProtocol
    var mode: TerminalColorMode
    var width: Int

    /// What the environment says about the terminal (read here, in the command line only).
    static func forThisTerminal() -> QuizImages {
        let environment = ProcessEnvironment.values
        return QuizImages(graphics: .detect(environment: environment), mode: Terminal.colorMode(environment: environment),
                          width: min(Terminal.width(environment: environment), 160))
    }

    func render(_ images: [ImageAttachment]) -> String {
        guard Terminal.isTTY(STDOUT_FILENO) else { return QuizSession.imagePaths(images) }
        var items: [(image: RGBImage, label: String, png: [UInt8])] = []
        var unreadable: [String] = []
        for a in images {
            do {
                let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: a.path)))
                items.append((try ImageIO.decode(bytes, path: a.path).image, a.label, bytes))
            } catch { unreadable.append("  [\(a.label)] \(a.path): \(error)") }
        }
        var out = ""
        switch graphics {
        case .cells:
            out = ImageComparison.cells(items.map { ($0.image, $0.label) }, width: width, mode: mode)
        case .kitty, .iterm2, .sixel:
            for item in items {
                switch graphics {
                case .kitty: out += TerminalGraphics.kitty(png: item.png)
                case .iterm2: out += TerminalGraphics.iterm2(png: item.png, name: item.label + ".png")
                default: out += TerminalGraphics.sixel(item.image)
                }
                out += "[\(item.label)] \(item.image.width)×\(item.image.height), full size\n"
            }
        }
        if out.hasSuffix("\n") { out.removeLast() }
        let links = images.map { "  [\($0.label)] \(URL(fileURLWithPath: $0.path).absoluteString)" }.joined(separator: "\n")
        return ([out, "Open them at full size:", links] + unreadable).filter { !$0.isEmpty }.joined(separator: "\n")
    }
}
