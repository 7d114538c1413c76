import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checked writes to standard output and standard error.
///
/// Contract:
/// - `prepareProcess()` runs once at start-up, before anything is opened. It ignores SIGPIPE
///   and SIGXFSZ, so a closed pipe or `ulimit -f` comes back from write(2) as EPIPE/EFBIG
///   instead of killing the process, and it puts /dev/null, opened read-only, on any of
///   descriptors 0–2 that the parent closed: a file nst opens later can then never become
///   "standard output", and writes to the closed stream still fail (EBADF), as they should.
/// - `writeOut` writes every byte or throws a `CLIError` of kind `.io` (exit 74).
/// - `writeError` never throws and never traps: it returns false when standard error is
///   gone, because there is then nowhere left to report anything.
public enum StandardStreams {
    public static func prepareProcess() {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
        for fd in Int32(0)...2 where fcntl(fd, F_GETFD) == -1 && errno == EBADF {
            let opened = open("/dev/null", O_RDONLY)
            if opened >= 0 && opened != fd { close(opened) }   // a lower one was closed too: it got that
        }
    }

    /// Flushes what `print` buffered and reports a write to standard output that failed:
    /// `print` ignores its own errors (a full disk, `> /dev/full`, a closed stdout), so the
    /// root command calls this once after a command succeeds.
    public static func finishStandardOutput() throws(CLIError) {
        // fflush(NULL) flushes every output stream; standard error is unbuffered, so a
        // failure here is standard output's. A stream whose earlier write failed fails again.
        errno = 0
        if fflush(nil) != 0 {
            throw CLIError.io("cannot write to standard output", file: nil, errno: errno == 0 ? EIO : errno)
        }
    }

    /// Writes all of `text` to standard output. With `readerMayStop`, a reader that closed
    /// the pipe (EPIPE: `nst show … | head -1`) is not an error: it has what it wanted.
    public static func writeOut(_ text: String, readerMayStop: Bool = false) throws(CLIError) {
        let code = writeAll(STDOUT_FILENO, Array(text.utf8))
        if code == EPIPE && readerMayStop { return }
        if code != 0 { throw CLIError.io("cannot write to standard output", file: nil, errno: code) }
    }

    /// Writes all of `text` to standard error; false if that failed.
    @discardableResult
    public static func writeError(_ text: String) -> Bool {
        writeAll(STDERR_FILENO, Array(text.utf8)) == 0
    }

    /// Writes every byte (retrying after EINTR and partial writes); 0 or the errno value.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if n == 0 { return EIO }
            offset += n
        }
        return 0
    }
}

/// A stream for progress lines that may go away: after its first failed write (EPIPE from
/// `| head`, EBADF from `2>&-`, ENOSPC) it writes nothing more and records the failure, so
/// the work goes on without its progress. Safe to use from any thread.
public final class ProgressStream: @unchecked Sendable {
    public let fd: Int32
    private let lock = NSLock()
    private var failure: Int32 = 0

    public init(fd: Int32 = STDERR_FILENO) { self.fd = fd }

    public func write(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        guard failure == 0 else { return }
        failure = StandardStreams.writeAll(fd, Array(text.utf8))
    }

    /// The errno value of the first failed write, 0 while every write has succeeded.
    public var failedWith: Int32 {
        lock.lock(); defer { lock.unlock() }
        return failure
    }
}
