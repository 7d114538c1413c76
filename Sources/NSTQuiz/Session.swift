import Foundation
import NSTFileIO
import NSTRandom  // SplitMix64, the project's seeded generator

/// Where a session reads answers and writes text (the terminal, a pipe, or a test).
public protocol QuizConsole: AnyObject {
    /// One line without its newline, or nil at end of input.
    func readLine(prompt: String) -> String?
    func write(_ text: String)
    func warn(_ text: String)
}

/// Standard input and output. Prompts are written without a newline and flushed; no
/// escape sequences are used, so a pipe reads the same text a terminal shows.
///
/// Input is read in bounded pieces: a line longer than `maxLineBytes` (a stray binary
/// file, /dev/zero) ends the input with a warning instead of filling memory, and so does
/// more than `maxTotalBytes` in one sitting.
public final class StandardConsole: QuizConsole {
    /// When input is not a terminal, each line read is echoed after the prompt, so the
    /// output reads as a transcript (a terminal echoes typed input itself).
    let echoInput: Bool
    let reader: BoundedLineReader
    /// Line editing and history (libedit) when standard input is a terminal.
    let editor: LineEditor?
    /// The terminal's width, to wrap what is written at spaces (`TextWrap`); nil: unwrapped.
    let wrapWidth: Int?
    /// `lineEditing`: libedit at a terminal's prompt (false: plain reads everywhere).
    public init(echoInput: Bool = isatty(0) == 0, maxLineBytes: Int = 64 * 1024, maxTotalBytes: Int = 16 << 20, wrapWidth: Int? = nil,
                lineEditing: Bool = true) {
        self.echoInput = echoInput
        self.wrapWidth = wrapWidth
        reader = BoundedLineReader(fd: 0, maxLineBytes: maxLineBytes, maxTotalBytes: maxTotalBytes)
        editor = lineEditing && isatty(0) != 0 ? LineEditor() : nil
    }
    public func readLine(prompt: String) -> String? {
        if let editor { return editor.readLine(prompt: prompt) }
        writeOut(prompt)
        let line: String?
        switch reader.next() {
        case .line(let l): line = l
        case .end: line = nil
        case .tooLong(let why): warn("nst: error: \(why); input ignored from here"); line = nil
        }
        if echoInput { writeOut((line ?? "") + "\n") }
        return line
    }
    public func write(_ text: String) { writeOut((wrapWidth.map { TextWrap.wrap(text, width: $0) } ?? text) + "\n") }
    public func warn(_ text: String) { writeAll(2, text + "\n") }
    func writeOut(_ text: String) { writeAll(1, text) }
    /// A failed write (a closed stdout) is ignored here: the quiz's state is saved
    /// separately, and there is nobody to tell.
    func writeAll(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            off += n
        }
    }
}

/// Lines from a file descriptor, never holding more than `maxLineBytes` of one line nor
/// reading more than `maxTotalBytes` in all. Accepts \n, \r\n and a lone \r.
public final class BoundedLineReader {
    public enum Item: Equatable { case line(String), end, tooLong(String) }
    let fd: Int32
    let maxLineBytes: Int
    let maxTotalBytes: Int
    var buffer: [UInt8] = []
    var position = 0
    var total = 0
    var ended = false
    var skipLF = false
    public init(fd: Int32, maxLineBytes: Int, maxTotalBytes: Int) {
        self.fd = fd; self.maxLineBytes = maxLineBytes; self.maxTotalBytes = maxTotalBytes
    }
    public func next() -> Item {
        var line: [UInt8] = []
        while true {
            if position >= buffer.count {
                if ended { return line.isEmpty ? .end : .line(String(decoding: line, as: UTF8.self)) }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { ended = true; continue }
                total += n
                if total > maxTotalBytes { ended = true; return .tooLong("more than \(maxTotalBytes) bytes of input") }
                buffer = Array(chunk[0..<n]); position = 0
            }
            let b = buffer[position]; position += 1
            if skipLF { skipLF = false; if b == 0x0A { continue } }
            if b == 0x0A || b == 0x0D {
                skipLF = b == 0x0D
                return .line(String(decoding: line, as: UTF8.self))
            }
            line.append(b)
            if line.count > maxLineBytes { ended = true; return .tooLong("an input line is longer than \(maxLineBytes) bytes") }
        }
    }
}

/// One sitting of the quiz: asks the unfinished questions in order, one at a time.
///
/// At the `answer>` prompt the student types an answer or a command: `hint` (the next
/// hint layer), `skip` (come back to it next time), `giveup` (0 points, show the model
/// answer), `quit` (stop; progress is kept). End of input behaves like `quit`.
/// True/false and choice questions ask the verdict at `answer>` and the reason at `why>`;
/// text answers and reasons may span lines and end with an empty line.
public final class QuizSession {
    public struct Options: Sendable {
        public var only: [Int]? = nil
        public var shuffleSeed: UInt64? = nil
        /// Where question images are looked for instead of the folder the bank names.
        public var imagesDirectory: String? = nil
        /// Without `imagesDirectory`: folders looked in before the path the bank names (the
        /// folder the experiment writes by default).
        public var defaultImageFolders: [String] = []
        /// The command that continues this quiz (`nst quiz --bank FILE` for a bank of one's own).
        public var resumeCommand = "nst quiz"
        public init(only: [Int]? = nil, shuffleSeed: UInt64? = nil, imagesDirectory: String? = nil, defaultImageFolders: [String] = [],
                    resumeCommand: String = "nst quiz") {
            self.only = only; self.shuffleSeed = shuffleSeed; self.imagesDirectory = imagesDirectory
            self.defaultImageFolders = defaultImageFolders; self.resumeCommand = resumeCommand
        }
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
    /// The last save failed and no later one succeeded: the progress of this sitting exists
    /// only in memory.
    public private(set) var saveFailed = false

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

    /// Saves; a failure is reported once (where, why, that the answers are kept in memory)
    /// and remembered, so that nothing later claims the progress was saved.
    func save() {
        do {
            progress = try store.save(progress)
            if saveFailed { console.warn("Progress saved again to \(store.url.path).") }
            saveFailed = false
        } catch {
            if !saveFailed {
                console.warn("nst: error: \(error); your answers are kept in memory for this sitting")
            }
            saveFailed = true
        }
        for w in store.warnings.dropFirst(reportedWarnings) { console.warn(w) }
        reportedWarnings = store.warnings.count
    }
    private var reportedWarnings = 0

    /// When saving failed: offer to save elsewhere before the sitting ends.
    func offerToSaveElsewhere() {
        while saveFailed {
            console.write("Progress could not be saved to \(store.url.path). Type a file path to save it there, or press Enter (or quit) to stop without saving.")
            guard let path = console.readLine(prompt: "save to> ")?.trimmingCharacters(in: .whitespaces), !path.isEmpty,
                  !["quit", "exit", "q", "n", "no"].contains(path.lowercased()) else {
                console.write("Not saved: the answers of this sitting are lost.")
                return
            }
            do {
                try ProgressStore.writeAtomically(try JSONFormat.encoder().encode(progress), to: URL(fileURLWithPath: path))
                console.write("Progress saved to \(path). To continue from it, copy it to \(store.url.path).")
                return
            } catch {
                console.warn("nst: error: \(error)")
            }
        }
    }

    /// Says where the progress is only when it really is there: nothing is claimed when this
    /// sitting saved nothing and no earlier one did either, or when the last save failed.
    func stopMessage(_ lead: String) -> String {
        if saveFailed { return "\(lead) Progress not saved (see the error above)." }
        guard FileManager.default.fileExists(atPath: store.url.path) else { return "\(lead) Nothing answered yet, so nothing saved." }
        return "\(lead) Progress saved to \(store.url.path); run `\(options.resumeCommand)` again to continue."
    }

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
                if saveFailed { offerToSaveElsewhere(); return .quit }
                console.write(stopMessage("Stopped."))
                return .quit
            case .inputEnded:
                if saveFailed { console.write("\nInput ended."); offerToSaveElsewhere(); return .inputEnded }
                console.write(stopMessage("\nInput ended."))
                return .inputEnded
            }
        }
        console.write(summary(qs))
        if !skipped.isEmpty {
            console.write("Skipped: question\(skipped.count == 1 ? "" : "s") \(skipped.map(String.init).joined(separator: ", ")). Run `nst quiz` again to answer \(skipped.count == 1 ? "it" : "them").")
        }
        if saveFailed { offerToSaveElsewhere() }
        return .finished
    }

    func score(_ qs: [Question]) -> Double { QuizGrader.round2(qs.reduce(0) { $0 + (progress[$1.number].grade?.score ?? 0) }) }
    func selfScore(_ qs: [Question]) -> Double {
        QuizGrader.round2(qs.reduce(0) { $0 + (progress[$1.number].selfScore ?? progress[$1.number].grade?.score ?? 0) })
    }
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
            let mine = s.selfScore.map { "  (self-graded \(Report.fmt($0)))" } ?? ""
            lines.append("  \(number) \(score) \(status)\(mine)")
        }
        lines.append("Total: \(Report.fmt(score(qs)))/\(Report.fmt(maxScore(qs)))")
        if qs.contains(where: { progress[$0.number].selfScore != nil }) {
            lines.append("Self-graded total: \(Report.fmt(selfScore(qs)))/\(Report.fmt(maxScore(qs))) (your own marks where you gave them, the automatic ones elsewhere)")
        }
        if qs.contains(where: { progress[$0.number].done && progress[$0.number].grade?.verdict != .correct }) {
            lines.append("Go over the answers that lost points with `nst quiz --review`.")
        }
        return lines.joined(separator: "\n")
    }

    /// `--list`: every question with its status and score, in the order of this sitting.
    public func list() -> String {
        let qs = order
        var lines: [String] = []
        for q in qs {
            let s = progress[q.number]
            let status: String
            if s.done { status = s.gaveUp ? "gave up" : "done (\(s.grade?.verdict.rawValue ?? "?"))" }
            else if s.attempts > 0 || s.hintsShown > 0 {
                status = "started (\(s.attempts) of \(q.attempts) attempt\(q.attempts == 1 ? "" : "s"), \(s.hintsShown) hint\(s.hintsShown == 1 ? "" : "s"))"
            } else { status = "not started" }
            let score = s.done ? "\(Report.fmt(s.grade?.score ?? 0))/\(Report.fmt(q.points))" : "–/\(Report.fmt(q.points))"
            let mine = s.selfScore.map { " (self-graded \(Report.fmt($0)))" } ?? ""
            let number = "Q\(q.number)".padding(toLength: 4, withPad: " ", startingAt: 0)
            let kind = q.kind.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
            lines.append("\(number) \(kind) \(score.padding(toLength: 7, withPad: " ", startingAt: 0)) \(status)\(mine)" + (q.title.isEmpty ? "" : " · \(q.title)"))
        }
        let done = qs.filter { progress[$0.number].done }.count
        lines.append("\(done) of \(qs.count) done; score \(Report.fmt(score(qs)))/\(Report.fmt(maxScore(qs))).")
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
        case .truefalse: return "Answer `true` or `false`; then give your reason at why> (end it with an empty line)."
        case .choice: return "Answer \(q.options.map { "`\($0.name)`" }.joined(separator: " or ")); then justify it at why> (end it with an empty line)."
        case .text: return "Answer in a sentence or two; several lines are fine. End the answer with an empty line."
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

    /// The paths an image may be at, in the order they are tried: in each folder looked in
    /// (`--images DIR`, else the default folders), by its file name, directly or in a
    /// subfolder named as the bank's (so DIR may be the run's folder or its parent); then,
    /// without `--images`, the path the bank names.
    func candidates(_ image: ImageAttachment) -> [String] {
        let name = (image.path as NSString).lastPathComponent
        let subfolder = ((image.path as NSString).deletingLastPathComponent as NSString).lastPathComponent
        let folders = options.imagesDirectory.map { [$0] } ?? options.defaultImageFolders
        var paths = folders.flatMap { dir in
            [(dir as NSString).appendingPathComponent(name)]
                + (subfolder.isEmpty ? [] : [((dir as NSString).appendingPathComponent(subfolder) as NSString).appendingPathComponent(name)])
        }
        if options.imagesDirectory == nil { paths.append(image.path) }
        // `--images` may name the folder above a run's folder, whatever the run's folder is
        // called (`-o runs/a`, then `--images runs`): its subfolders, newest first.
        if let dir = options.imagesDirectory {
            let fm = FileManager.default
            let subfolders = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).map { (dir as NSString).appendingPathComponent($0) }
                .filter { var isDir: ObjCBool = false; return fm.fileExists(atPath: $0, isDirectory: &isDir) && isDir.boolValue }
            func modified(_ path: String) -> Date { ((try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast }
            let newestFirst = subfolders.sorted { (modified($0), $1) > (modified($1), $0) }
            paths += newestFirst.map { ($0 as NSString).appendingPathComponent(name) }.filter { !paths.contains($0) }
        }
        return paths
    }

    /// The image at the first of its candidate paths that exists (nil when none does).
    func locate(_ image: ImageAttachment) -> ImageAttachment? {
        candidates(image).first { FileManager.default.fileExists(atPath: $0) }.map { ImageAttachment(label: image.label, path: $0) }
    }

    /// The images that exist are rendered; missing ones are named, with the folders looked in
    /// and the command that makes them.
    func imagesText(_ images: [ImageAttachment]) -> String {
        let present = images.compactMap(locate)
        let missing = images.filter { locate($0) == nil }
        var out: [String] = []
        if !present.isEmpty {
            let shown = present.compactMap(blindCopy)
            if shown.count == present.count { out.append(renderImages(shown)) } else {
                // Never the original paths: their names (layers-5.png …) give the answer away.
                out.append("The images for question \(present.map { "“\($0.label)”" }.joined(separator: " and ")) cannot be shown: each must be a PNG or JPEG file of at most \(Self.maxImageBytes >> 20) MiB, and nst must be able to copy it under a neutral name into \(imagesFolder.path) or the temporary folder.")
            }
        }
        if !missing.isEmpty {
            // The paths are not printed: their names (layers-5.png …) would give the answer away.
            var folders: [String] = []
            for path in missing.flatMap(candidates) {
                let folder = (path as NSString).deletingLastPathComponent
                if !folders.contains(folder) { folders.append(folder) }
            }
            out.append("The images for \(missing.map { "“\($0.label)”" }.joined(separator: " and ")) are not generated yet (looked in \(folders.joined(separator: ", "))).")
            out.append("Make them with `nst experiment style-depth` (from any folder; see its --help), or point to where they are with `nst quiz --images DIR`; then come back: type skip for now.")
        }
        return out.joined(separator: "\n")
    }

    /// A copy of the image named after its label only (`…/images/<bank>-first.png`), so a
    /// file name such as layers-5.png does not give the answer away when paths are printed.
    func blindCopy(_ image: ImageAttachment) -> ImageAttachment? {
        guard let data = Self.readImage(image.path) else { return nil }
        let ext = (image.path as NSString).pathExtension
        let safeLabel = String(image.label.map { $0.isLetter || $0.isNumber ? $0 : "-" })
        let name = "\(bank.id)-\(safeLabel)" + (ext.isEmpty ? "" : "." + ext)
        let dest = imagesFolder.appendingPathComponent(name)
        if (try? ProgressStore.writeAtomically(data, to: dest)) != nil { return ImageAttachment(label: image.label, path: dest.path) }
        // The state folder cannot take it: a private temporary folder (mkdtemp) instead.
        guard let temp = TemporaryFiles.makePrivateFolder(prefix: "nst-quiz-images-")?.appendingPathComponent(name) else { return nil }
        return (try? ProgressStore.writeAtomically(data, to: temp)) != nil ? ImageAttachment(label: image.label, path: temp.path) : nil
    }

    /// Where question images are copied under neutral names (beside the progress folder).
    var imagesFolder: URL { store.url.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("images") }

    /// The most bytes of one question image read (the experiment's are well under 1 MiB).
    static let maxImageBytes = 64 << 20

    /// The bytes of `path` when it is a regular file of at most `maxImageBytes` that begins
    /// as a PNG or JPEG does (checked on its first bytes, before the rest is read).
    static func readImage(_ path: String) -> Data? {
        guard case .success(let file) = RegularFile.open(path), file.size >= 8, file.size <= maxImageBytes else { return nil }
        var head = [UInt8](repeating: 0, count: 8)
        guard head.withUnsafeMutableBytes({ file.read(at: 0, into: $0) }) == 8 else { return nil }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard head.elementsEqual(png) || head.prefix(3).elementsEqual([0xFF, 0xD8, 0xFF]),
              case .success(let bytes) = file.readAll() else { return nil }
        return Data(bytes)
    }

    /// Lines up to an empty line (or the end of input), at the continuation prompt.
    func readMore(prompt: String = "  ...> ") -> [String] {
        var lines: [String] = []
        while let l = console.readLine(prompt: prompt) {
            if l.trimmingCharacters(in: .whitespaces).isEmpty { break }
            lines.append(l)
        }
        return lines
    }

    /// The command typed at `answer>`, if the line is one.
    enum Command { case hint, skip, quit, giveUp }
    static func command(_ line: String) -> Command? {
        switch line.lowercased() {
        case "hint": return .hint
        case "skip": return .skip
        case "quit", "exit": return .quit
        case "giveup", "give up": return .giveUp
        default: return nil
        }
    }

    func ask(_ q: Question, index: Int, of total: Int) -> AskResult {
        present(q, index: index, of: total)
        while true {
            guard let raw = console.readLine(prompt: "answer> ") else { return .inputEnded }
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            switch Self.command(line) {
            case .hint?:
                var s = progress[q.number]
                if s.hintsShown < q.hints.count {
                    s.hintsShown += 1
                    progress[q.number] = s
                    console.write("Hint \(s.hintsShown) of \(q.hints.count): \(q.hints[s.hintsShown - 1])")
                    save()
                } else { console.write("No more hints. Type giveup to see the model answer.") }
                continue
            case .skip?:
                console.write("Skipped.")
                return .skipped
            case .quit?:
                save()
                return .quit
            case .giveUp?:
                var s = progress[q.number]
                s.done = true; s.gaveUp = true
                s.grade = Grade(score: 0, max: q.points, verdict: .incorrect, feedback: "Gave up.")
                progress[q.number] = s
                save()
                reveal(q)
                return .answered
            case nil:
                break
            }
            var answer = line
            switch q.kind {
            case .formula:
                // A derivation (its first row has '='): more rows may follow, one a line, up to
                // an empty line or the end of a LaTeX block.
                if FormulaNotation.isDerivation(line), !line.contains("\\end{aligned}") {
                    console.write("A derivation: type the next rows (`= …`, or LaTeX rows), then an empty line.")
                    answer = ([line] + readMore()).joined(separator: "\n")
                }
            case .text:
                answer = ([line] + readMore()).joined(separator: "\n")
                if RubricMatcher.tokens(answer).count == 1 {
                    console.write("Only one word: is that your whole answer? Type y to submit it, anything else to write it again.")
                    guard let yes = console.readLine(prompt: "submit? ") else { return .inputEnded }
                    if !["y", "yes"].contains(yes.trimmingCharacters(in: .whitespaces).lowercased()) {
                        console.write("Write your answer again (end it with an empty line).")
                        continue
                    }
                }
            case .truefalse, .choice:
                let verdict: String?
                if q.kind == .truefalse {
                    verdict = VerdictReader.trueFalse(line, statement: q.prompt).value.map { $0 ? "answer: true" : "answer: false" }
                } else {
                    let c = VerdictReader.choice(line, question: q).chosen
                    verdict = c.isEmpty ? nil : "choice: " + c.joined(separator: " and ")
                }
                guard let verdict else {
                    console.write(q.kind == .truefalse
                        ? "Is that true or false? Type `true` or `false` (the reason comes next, at why>). (No attempt used.)"
                        : "Which option? Type \(q.options.map { "`\($0.name)`" }.joined(separator: " or ")) (the reason comes next, at why>). (No attempt used.)")
                    continue
                }
                console.write("Why? (end with an empty line)")
                let why = readMore(prompt: "why> ")
                // The verdict line's own words count as part of the reason.
                answer = ([verdict, line] + why).joined(separator: "\n")
            }
            let g = grader.grade(q, answer: answer)
            if let echo = g.echo {
                let lines = echo.split(separator: "\n", omittingEmptySubsequences: false)
                console.write((["Read as: " + (lines.first.map(String.init) ?? "")] + lines.dropFirst().map { "  " + $0 }).joined(separator: "\n"))
            }
            var s = progress[q.number]
            s.lastAnswer = answer
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
            console.write("Score: \(Report.fmt(g.score))/\(Report.fmt(q.points))" + (g.suggested ? " (suggested by matching key ideas; you can grade yourself below)." : "."))
            reveal(q)
            // The answer is saved already: input ending at the self-grading prompt only
            // leaves the automatic score.
            if g.suggested, !q.rubric.isEmpty { _ = selfGrade(q) }
            return .answered
        }
    }

    /// Anki-style: after the model answer, the student marks which key ideas they really
    /// covered. Returns false when input ended.
    func selfGrade(_ q: Question) -> Bool {
        var s = progress[q.number]
        guard let g = s.grade else { return true }
        console.write("Key ideas:")
        for (i, idea) in q.rubric.enumerated() { console.write("  \(i + 1). \(idea.name)") }
        console.write("Which did your answer really cover? Type their numbers (e.g. 1 3), all, or none; press Enter to keep the automatic score.")
        while true {
            guard let raw = console.readLine(prompt: "covered> ") else { return false }
            let t = raw.trimmingCharacters(in: .whitespaces).lowercased()
            if t.isEmpty { return true }
            var covered = Set<Int>()
            if t == "all" { covered = Set(1...q.rubric.count) }
            else if t != "none" {
                let parts = t.split(whereSeparator: { $0 == " " || $0 == "," })
                let numbers = parts.compactMap { Int($0) }
                guard numbers.count == parts.count, numbers.allSatisfy({ (1...q.rubric.count).contains($0) }) else {
                    console.write("Type numbers from 1 to \(q.rubric.count), all, none, or press Enter.")
                    continue
                }
                covered = Set(numbers)
            }
            let fraction = Double(covered.count) / Double(q.rubric.count)
            let rightVerdict = q.kind == .text || g.verdict != .incorrect
            let mine: Double = q.kind == .text ? q.points * fraction : (rightVerdict ? q.points * (0.5 + 0.5 * fraction) : 0)
            s.selfScore = QuizGrader.round2(mine)
            progress[q.number] = s
            save()
            console.write("Self-graded: \(Report.fmt(s.selfScore ?? 0))/\(Report.fmt(q.points)) (automatic: \(Report.fmt(g.score))).")
            return true
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
        if !q.printedKeyError.isEmpty { block("About the printed key:", q.printedKeyError) }
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
