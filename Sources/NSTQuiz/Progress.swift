import Foundation
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

    public init(url: URL) { self.url = url }

    public static func stateDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg).appendingPathComponent("nst")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".local/state/nst")
    }

    public static func forBank(_ id: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> ProgressStore {
        ProgressStore(url: stateDirectory(environment: environment).appendingPathComponent("progress").appendingPathComponent(id + ".json"))
    }

    func warn(_ s: String) { warnings.append(s) }

    /// Reads the saved progress, or a fresh one. A corrupt file is set aside with a warning.
    public func load(bank: String) -> Progress {
        removeStaleTemporaries()
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
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let slow = ProcessInfo.processInfo.environment["NST_QUIZ_SLOW_SAVE_MS"].flatMap { Int($0) } ?? 0
        try Self.writeAtomically(try enc.encode(p), to: url, pieceDelayMs: min(max(slow, 0), 1000))
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

    /// Temporaries left by a process killed mid-save (named `.<file>.tmp-<pid>`) whose
    /// process is gone.
    func removeStaleTemporaries() {
        let dir = url.deletingLastPathComponent()
        let prefix = "." + url.lastPathComponent + ".tmp-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return }
        for n in names where n.hasPrefix(prefix) {
            if let pid = Int32(n.dropFirst(prefix.count).prefix { $0 != "-" }), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(at: dir.appendingPathComponent(n))
            }
        }
    }

    /// Writes `data` to a temporary file beside `url`, fsyncs it, renames it over `url`, and
    /// fsyncs the folder. `pieceDelayMs` > 0 writes in 64-byte pieces with that many
    /// milliseconds between them: the SIGKILL test sets it (through NST_QUIZ_SLOW_SAVE_MS) for
    /// progress saves, so that a kill lands mid-write.
    public static func writeAtomically(_ data: Data, to url: URL, pieceDelayMs: Int = 0) throws {
        let dir = url.deletingLastPathComponent()
        try makeDirectories(dir.path)
        // An unpredictable name, created exclusively and never through a symlink.
        let tmp = dir.appendingPathComponent("." + url.lastPathComponent + ".tmp-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw ProgressError.write(url.path, String(cString: strerror(errno)).lowercased()) }
        let slowMs = pieceDelayMs
        let chunk = slowMs > 0 ? 64 : max(1, data.count)
        var ok = true
        data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) in
            var off = 0
            while off < buf.count && ok {
                let n = min(chunk, buf.count - off)
                let w = write(fd, buf.baseAddress! + off, n)
                if w <= 0 { ok = false; break }
                off += w
                if slowMs > 0 { usleep(UInt32(slowMs * 1000)) }
            }
        }
        if !ok || fsync(fd) != 0 {
            let e = String(cString: strerror(errno)); close(fd); unlink(tmp.path)
            throw ProgressError.write(tmp.path, e)
        }
        close(fd)
        guard rename(tmp.path, url.path) == 0 else {
            let e = String(cString: strerror(errno)); unlink(tmp.path)
            throw ProgressError.write(url.path, e)
        }
        let dfd = open(dir.path, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
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
