import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The temp files this process has created and not yet renamed into place or removed
/// (`OutputTransaction` registers each one), so that a command interrupted by Ctrl-C or
/// SIGTERM removes them before it exits instead of leaving hidden files behind.
///
/// `removeOnInterrupt(message:)` hands SIGINT and SIGTERM to a dispatch source: the handler
/// takes the same lock `OutputTransaction.commit` holds while it renames, so an interrupted
/// commit either has not begun (every temp file is removed, every target keeps its old
/// contents) or has finished; then it prints `nst: <message>` and exits with 128 + signal.
/// Commands with a long computation (transfer, the experiment) use their own stop flag
/// instead, and commit what they have.
public enum TemporaryFiles {
    private static let lock = NSRecursiveLock()   // a commit that fails rolls back inside its own lock
    nonisolated(unsafe) private static var paths: Set<String> = []
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func register(_ path: String) { lock.lock(); paths.insert(path); lock.unlock() }
    static func unregister(_ path: String) { lock.lock(); paths.remove(path); lock.unlock() }

    /// Runs `body` (a commit's renames) so that no interruption cleans up in the middle of it.
    static func whileCommitting<T>(_ body: () throws(CLIError) -> T) throws(CLIError) -> T {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }

    /// A fresh folder only this user can enter (mkdtemp: a new name, mode 0700) in the
    /// temporary folder (`$TMPDIR`), named `<prefix>XXXXXX`; nil when none can be made.
    public static func makePrivateFolder(prefix: String) -> URL? {
        var template = Array((FileManager.default.temporaryDirectory.path + "/" + prefix + "XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else { return nil }
        return URL(fileURLWithPath: String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// The registered temp files (for tests).
    static var registered: Set<String> { lock.lock(); defer { lock.unlock() }; return paths }

    /// Removes every registered temp file (waiting for a commit under way to finish, and
    /// letting none start), prints `nst: <message>` and exits with `status`.
    public static func removeAllAndExit(message: String, status: Int32) -> Never {
        lock.lock()                       // held until exit: no commit starts or half-runs
        for p in paths { unlink(p) }
        _ = StandardStreams.writeError("nst: \(message)\n")
        _exit(status)
    }

    /// From now on SIGINT and SIGTERM remove every registered temp file, print
    /// `nst: <message>` on standard error and exit with 128 + signal (130, 143).
    public static func removeOnInterrupt(message: String) {
        lock.lock(); defer { lock.unlock() }
        guard sources.isEmpty else { return }
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)          // delivered to the dispatch source instead
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { removeAllAndExit(message: message, status: 128 + sig) }
            source.resume()
            sources.append(source)
        }
    }
}
