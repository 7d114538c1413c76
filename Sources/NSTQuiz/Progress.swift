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
        public init() {}
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
        guard let data = FileManager.default.contents(atPath: url.path) else { knownRevision = 0; return Progress(bank: bank) }
        if let p = try? JSONDecoder().decode(Progress.self, from: data), p.format == 1, p.bank == bank {
            knownRevision = p.revision
            return p
        }
        let aside = url.path + ".corrupt-\(Int(Date().timeIntervalSince1970))"
        if rename(url.path, aside) == 0 {
            warn("warning: the progress file \(url.path) could not be read; it was moved to \(aside) and the quiz starts afresh")
        } else {
            warn("warning: the progress file \(url.path) could not be read nor moved aside (\(String(cString: strerror(errno)))); starting afresh")
        }
        knownRevision = 0
        return Progress(bank: bank)
    }

    /// Saves atomically (temp + fsync + rename). Returns the state as saved (merged with a
    /// concurrent writer's, if any). Throws when the folder cannot be written.
    @discardableResult
    public func save(_ progress: Progress) throws -> Progress {
        var p = progress
        if let data = FileManager.default.contents(atPath: url.path),
           let other = try? JSONDecoder().decode(Progress.self, from: data), other.bank == p.bank, other.revision != knownRevision {
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
        try FileManager.default.removeItem(at: url)
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
            if let pid = Int32(n.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH {
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
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tmp = dir.appendingPathComponent("." + url.lastPathComponent + ".tmp-\(getpid())")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ProgressError.write(tmp.path, String(cString: strerror(errno))) }
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

public enum ProgressError: Error, CustomStringConvertible, LocalizedError {
    case write(String, String)
    public var description: String {
        switch self { case .write(let path, let why): return "cannot save progress to \(path): \(why) (set XDG_STATE_HOME to a writable folder)" }
    }
    public var errorDescription: String? { description }
}
