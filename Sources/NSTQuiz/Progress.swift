import Foundation
import NSTFileIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A student's progress through one bank: saved after every answer and every hint.
public struct Progress: Codable, Sendable, Equatable {
    public struct QuestionState: Codable, Sendable, Equatable {
        /// Graded attempts used (formula questions allow several; parse errors are not counted).
        public var attempts: Int = 0
        public var hintsShown: Int = 0
        /// Finished: solved, out of attempts, graded once (non-formula), or given up.
        public var done: Bool = false
        public var gaveUp: Bool = false
        public var lastAnswer: String?
        public var grade: Grade?
        /// The score the student gave themselves after seeing the model answer's key ideas.
        public var selfScore: Double?
        public init() {}
    }

    /// Largest counts and revision a real progress file can hold; anything beyond was not
    /// written by nst (and would overflow arithmetic or index out of range).
    static let maxCount = 10_000
    static let maxRevision = 1 << 40

    /// Why these values cannot come from a real session, or nil when they can.
    public func implausibility() -> String? {
        if format != 1 { return "format \(format) is not 1" }
        if !(0...Self.maxRevision).contains(revision) { return "revision \(revision) is out of range" }
        for (key, q) in questions {
            guard let n = Int(key), (1...9999).contains(n) else { return "`\(key)` is not a question number" }
            if !(0...Self.maxCount).contains(q.attempts) { return "question \(key): attempts \(q.attempts) is out of range" }
            if !(0...Self.maxCount).contains(q.hintsShown) { return "question \(key): hintsShown \(q.hintsShown) is out of range" }
            if let g = q.grade {
                guard g.max.isFinite, g.max > 0, g.max <= 1000, g.score.isFinite, g.score >= 0, g.score <= g.max else {
                    return "question \(key): score \(g.score) of \(g.max) is out of range"
                }
            }
            if let m = q.selfScore, !(m.isFinite && m >= 0 && m <= 1000) { return "question \(key): selfScore \(m) is out of range" }
            if let a = q.lastAnswer, a.utf8.count > 1 << 20 { return "question \(key): the saved answer is over 1 MiB" }
        }
        return nil
    }

    public var format: Int = 1
    public var bank: String
    /// Incremented by every save; a save that finds a revision it did not write knows that
    /// another process saved in between.
    public var revision: Int = 0
    public var questions: [String: QuestionState] = [:]

    public init(bank: String) { self.bank = bank }

    public subscript(number: Int) -> QuestionState {
        get { questions[String(number)] ?? QuestionState() }
        set { questions[String(number)] = newValue }
    }
}

/// Where progress lives and how it is written.
///
/// File: `$XDG_STATE_HOME/nst/progress/<bank id>.json`, or `~/.local/state/nst/progress/…`
/// when XDG_STATE_HOME is unset or not absolute (as the XDG spec says).
///
/// Atomic: the new state is written to a temporary file in the same folder, flushed to
/// disk (fsync), then renamed over the old file — rename is atomic on POSIX, so a reader
/// (or a crash, or SIGKILL, at any instant) sees either the old state or the new one.
///
/// Corrupt files (not JSON, wrong format, another bank) are renamed aside to
/// `<name>.corrupt-<unix time>` with a warning and the quiz starts fresh; nothing is deleted.
///
/// Two processes on the same bank: last writer wins, with a warning. Before each save the
/// file is read again; if its revision is not the one this process last read or wrote,
/// another process saved in between: the warning says so, and questions the other process
/// finished that this one has no record of are merged in (so the other's answers are not
/// lost); for questions both touched, this process's state wins.
public final class ProgressStore: @unchecked Sendable {
    public let url: URL
    public private(set) var warnings: [String] = []
    private var knownRevision: Int = 0
    /// A pause after each piece of a save (`OutputTransaction.stage`): 0 but in the test that
    /// kills a save half-way (nst passes NST_QUIZ_SLOW_SAVE_MS, at most 1000).
    public let pieceDelayMs: Int

    public init(url: URL, pieceDelayMs: Int = 0) {
        self.url = url
        self.pieceDelayMs = min(max(pieceDelayMs, 0), 1000)
    }

    /// The state folder the environment (XDG_STATE_HOME, HOME) names.
    public static func stateDirectory(environment: [String: String]) -> URL {
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg).appendingPathComponent("nst")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".local/state/nst")
    }

    public static func forBank(_ id: String, environment: [String: String], pieceDelayMs: Int = 0) -> ProgressStore {
        ProgressStore(url: stateDirectory(environment: environment).appendingPathComponent("progress").appendingPathComponent(id + ".json"),
                      pieceDelayMs: pieceDelayMs)
    }

    func warn(_ s: String) { warnings.append(s) }

    /// Reads the saved progress, or a fresh one. A corrupt file is set aside with a warning.
    public func load(bank: String) -> Progress {
        // Temp files of processes killed mid-save are removed, not read.
        OutputTransaction.recover(folder: url.deletingLastPathComponent().path)
        guard FileManager.default.fileExists(atPath: url.path) else { knownRevision = 0; return Progress(bank: bank) }
        var why = "it is not a progress file of this bank"
        switch BoundedFile.read(url.path, maxBytes: 64 << 20) {
        case .failure(let problem): why = problem.message
        case .success(let data):
            if let p = try? JSONDecoder().decode(Progress.self, from: data), p.bank == bank {
                if let problem = p.implausibility() { why = problem }
                else { knownRevision = p.revision; return p }
            }
        }
        let aside = Self.uniqueAsideName(for: url.path)
        if rename(url.path, aside) == 0 {
            warn("warning: the progress file \(url.path) could not be read (\(why)); it was moved to \(aside) and the quiz starts afresh")
        } else {
            warn("warning: the progress file \(url.path) could not be read nor moved aside (\(String(cString: strerror(errno)))); starting afresh")
        }
        knownRevision = 0
        return Progress(bank: bank)
    }

    /// `<path>.corrupt-<unix time>-<pid>-<random>`: two files set aside in the same second
    /// (by one process or two) never collide.
    static func uniqueAsideName(for path: String) -> String {
        var name: String
        repeat {
            name = path + ".corrupt-\(Int(Date().timeIntervalSince1970))-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        } while FileManager.default.fileExists(atPath: name)
        return name
    }

    /// Saves atomically (temp + fsync + rename). Returns the state as saved (merged with a
    /// concurrent writer's, if any). Throws when the folder cannot be written.
    @discardableResult
    public func save(_ progress: Progress) throws -> Progress {
        var p = progress
        if let data = FileManager.default.contents(atPath: url.path),
           let other = try? JSONDecoder().decode(Progress.self, from: data), other.bank == p.bank, other.implausibility() == nil,
           other.revision != knownRevision {
            var merged: [Int] = []
            for (k, v) in other.questions where p.questions[k] == nil { p.questions[k] = v; if v.done, let n = Int(k) { merged.append(n) } }
            warn("warning: another nst quiz process saved progress to \(url.path) meanwhile; this session's answers win"
                 + (merged.isEmpty ? "" : ", and its answers to question(s) \(merged.sorted().map(String.init).joined(separator: ", ")) are kept"))
            p.revision = max(p.revision, other.revision)
        }
        p.revision += 1
        let enc = JSONFormat.encoder()
        try Self.writeAtomically(try enc.encode(p), to: url, pieceDelayMs: pieceDelayMs)
        knownRevision = p.revision
        return p
    }

    /// Deletes the progress file (`--reset`). Returns whether there was one.
    @discardableResult
    public func reset() throws -> Bool {
        guard FileManager.default.fileExists(atPath: url.path) else { return false }
        guard unlink(url.path) == 0 else { throw ProgressError.write(url.path, String(cString: strerror(errno))) }
        knownRevision = 0
        return true
    }

    /// Writes `data` whole or not at all (NSTFileIO's one-file transaction: a private temp
    /// file beside `url`, fsynced, renamed over it, the folder fsynced), creating the folder
    /// first. The file is readable by its owner only. `pieceDelayMs`: see
    /// `OutputTransaction.stage` (see `ProgressStore.pieceDelayMs`).
    public static func writeAtomically(_ data: Data, to url: URL, pieceDelayMs: Int = 0) throws {
        try makeDirectories(url.deletingLastPathComponent().path)
        do {
            try OutputTransaction.write([UInt8](data), to: url.path, permissions: 0o600, pieceDelayMs: pieceDelayMs)
        } catch {
            throw ProgressError.write(error.file ?? url.path, error.why.lowercased())
        }
    }
}

/// `mkdir -p`, with the failing folder and the system's reason in the error.
func makeDirectories(_ path: String) throws {
    var st = stat()
    if stat(path, &st) == 0 {
        if (st.st_mode & S_IFMT) == S_IFDIR { return }
        throw ProgressError.write(path, "it exists and is not a folder")
    }
    let parent = (path as NSString).deletingLastPathComponent
    if !parent.isEmpty && parent != path { try makeDirectories(parent) }
    if mkdir(path, 0o755) != 0 && errno != EEXIST { throw ProgressError.write(path, String(cString: strerror(errno)).lowercased()) }
}

public enum ProgressError: Error, CustomStringConvertible, LocalizedError {
    case write(String, String)
    public var description: String {
        switch self { case .write(let path, let why): return "cannot save progress to \(path): \(why) (set XDG_STATE_HOME to a writable folder)" }
    }
    public var errorDescription: String? { description }
}
