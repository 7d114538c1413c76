import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A set of output files that change together: after any failure, signal or crash the
/// targets hold either all their previous contents or all the new ones.
///
///     let tx = try OutputTransaction(inputs: [contentPath] + stylePaths)
///     try tx.checkTargets([png, json])     // early: before the long work
///     …
///     try tx.stage(pngBytes, at: png)
///     try tx.stage(jsonBytes, at: json)
///     try tx.commit()                      // or let it go: unstaged temp files are removed
///
/// Contract:
/// - `stage` writes the bytes to a temp file beside the target, named
///   `.<name>.nst-tmp-<pid>-<64 random bits>` and opened `O_CREAT|O_EXCL|O_NOFOLLOW` (a
///   planted file or symlink makes it fail; it is never followed or truncated), then
///   fsyncs it. The targets are not touched.
/// - `commit` makes the set change: with two or more files (which must share a folder) it
///   first writes a journal `.nst-commit-<pid>-<random>` (the temp → target renames as names
///   in that folder, mode 0600, fsynced and renamed into place: the commit point), then
///   renames each temp file over its target, fsyncs the folder and removes the journal. A
///   crash before the journal exists leaves every old file; a crash after it is completed by
///   `recover`, which every later transaction writing into that folder runs first — so a
///   SIGKILL between two renames can leave a mixed set only until the next nst run that
///   writes there. `recover` replays only journals that pass `CommitJournal`'s trust rule
///   (the user's own, in the folder they name, renaming only nst's temp files onto siblings).
/// - Every failure (and `rollback`, and deinit without commit) removes the temp files.
/// - A target that is the same file as an input (same device and inode, so symlinks and
///   hard links count, or the same resolved path), a folder, a name longer than the file
///   system allows (255 bytes) or a path longer than PATH_MAX is refused before anything is
///   written.
/// Errors are `CLIError`: kind `.usage` for a target that is an input, `.io` otherwise.
/// Not thread-safe: one transaction belongs to one thread.
public final class OutputTransaction {
    /// A staged file: its temp path, its target, and the temp file's descriptor, held open
    /// with a shared `flock` until the commit or the rollback, so another nst (in another pid
    /// namespace too) can tell it is still being written.
    private struct Staged { let temp: String; let target: String; let lock: Int32 }
    private struct FileID: Equatable { let device: UInt64; let inode: UInt64; let name: String }

    private let inputs: [FileID]
    private var staged: [Staged] = []
    private var recovered: Set<String> = []
    private var committed = false

    /// `inputs`: files the command reads; none of them may be a target. Inputs that do not
    /// exist are ignored (reading them fails elsewhere, with its own error).
    public init(inputs: [String] = []) {
        self.inputs = inputs.compactMap { p in Self.fileID(p).map { FileID(device: $0.device, inode: $0.inode, name: p) } }
    }

    deinit { rollback() }

    /// Refuses targets that are inputs or folders, before any work is done.
    public func checkTargets(_ targets: [String]) throws(CLIError) {
        for t in targets { try checkTarget(t) }
    }

    /// `checkTargets`, then creates the targets' missing folders and proves each folder
    /// writable by creating and removing a temp file in it, so a run that cannot write its
    /// results fails before the work instead of after it. (A full disk can still fail later:
    /// an empty file takes no space.)
    public func prepareTargets(_ targets: [String]) throws(CLIError) {
        try checkTargets(targets)
        for dir in Set(targets.map(Self.folder(of:))) {
            try Self.createFolders(dir)
            let probe = Self.tempPath(for: dir + "/probe")
            let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw CLIError.io("cannot write into the output folder", file: dir, errno: errno) }
            close(fd)
            unlink(probe)
        }
    }

    /// One file written whole or not at all: a one-file set, staged and committed. The
    /// folder must exist.
    public static func write(_ bytes: [UInt8], to target: String, permissions: mode_t = 0o666,
                             pieceDelayMs: Int = 0) throws(CLIError) {
        let tx = OutputTransaction()
        try tx.stage(bytes, at: target, permissions: permissions, pieceDelayMs: pieceDelayMs)
        try tx.commit()
    }

    /// Writes `bytes` to a fresh temp file beside `target` (created with `permissions`, less
    /// the umask) and fsyncs it. `pieceDelayMs` > 0 writes 64-byte pieces that many
    /// milliseconds apart: a test hook, so that a kill can land mid-write.
    public func stage(_ bytes: [UInt8], at target: String, permissions: mode_t = 0o666,
                      pieceDelayMs: Int = 0) throws(CLIError) {
        precondition(!committed, "stage after commit")
        try checkTarget(target)
        let dir = Self.folder(of: target)
        if !recovered.contains(dir) { Self.recover(folder: dir); recovered.insert(dir) }
        let temp = Self.tempPath(for: target)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, permissions)
        guard fd >= 0 else { let e = errno; rollback(); throw CLIError.io("cannot write the output", file: target, errno: e) }
        flock(fd, LOCK_SH)
        TemporaryFiles.register(temp)
        staged.append(Staged(temp: temp, target: target, lock: fd))
        var code = FaultInjection.hits(.write) ? ENOSPC : Self.writeAll(fd, bytes, pieceDelayMs: pieceDelayMs)
        if code == 0 { code = FaultInjection.hits(.fsync) ? EIO : (fsync(fd) == 0 ? 0 : errno) }
        if code != 0 { rollback(); throw CLIError.io("cannot write the output", file: target, errno: code) }
    }

    public func stage(_ data: Data, at target: String) throws(CLIError) {
        try stage([UInt8](data), at: target)
    }

    /// Renames every staged file into place (see the type's contract).
    public func commit() throws(CLIError) {
        precondition(!committed, "commit twice")
        guard !staged.isEmpty else { committed = true; return }
        // One commit into a folder at a time, across processes: two runs writing the same set
        // each leave it whole, the later one winning.
        let target = staged[0].target
        let folderLock = open(Self.folder(of: target), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { if folderLock >= 0 { close(folderLock) } }
        if folderLock >= 0 && !Self.lockWithin(folderLock, seconds: Self.folderLockSeconds) {
            rollback()
            throw CLIError("cannot put the output in place", file: target,
                           why: "another process has held the folder's lock for \(Self.folderLockSeconds) s (another nst writing there, or a program holding a flock on the folder)",
                           fix: "wait for it to finish and run the command again", kind: .io)
        }
        // (The folder lock is taken first, outside the clean-up lock, so Ctrl-C is never held
        // up by a wait for another writer.)
        try TemporaryFiles.whileCommitting { () throws(CLIError) in try renameIntoPlace() }
    }

    private func renameIntoPlace() throws(CLIError) {
        var journal: (path: String, lock: Int32)? = nil
        defer { if let journal { close(journal.lock) } }
        if staged.count > 1 {
            do { journal = try writeJournal() } catch { rollback(); throw error }
        }
        for (i, s) in staged.enumerated() {
            let failed = FaultInjection.hits(.rename) ? EIO : (rename(s.temp, s.target) == 0 ? 0 : errno)
            if failed != 0 {
                if i == 0 || journal == nil {
                    if let journal { unlink(journal.path) }
                    rollback()
                    throw CLIError.io("cannot put the output in place", file: s.target, errno: failed)
                }
                // Past the first rename the set is half new: leave the journal and the temp
                // files, so the next run completes it, and say so.
                for rest in staged { TemporaryFiles.unregister(rest.temp); close(rest.lock) }
                staged = []
                throw CLIError("cannot put the output in place", file: s.target, why: String(cString: strerror(failed)),
                               fix: "the other files of the set are already new; run the command again to complete or redo it",
                               kind: .io)
            }
            TemporaryFiles.unregister(s.temp)
            if FaultInjection.hits(.killAfterRename) { kill(getpid(), SIGKILL) }
        }
        for dir in Set(staged.map { Self.folder(of: $0.target) }) { Self.syncFolder(dir) }
        if let journal { unlink(journal.path); Self.syncFolder(Self.folder(of: journal.path)) }
        for s in staged { close(s.lock) }
        committed = true
        staged = []
    }

    /// Removes every staged temp file; the targets keep their previous contents.
    public func rollback() {
        for s in staged { unlink(s.temp); TemporaryFiles.unregister(s.temp); close(s.lock) }
        staged = []
    }

    // MARK: - Journal and recovery

    /// Writes the journal (`CommitJournal`: temp → target name pairs in the targets' one
    /// folder, mode 0600), itself to a temp name renamed into place: the commit point.
    private func writeJournal() throws(CLIError) -> (path: String, lock: Int32) {
        let dir = Self.folder(of: staged[0].target)
        guard staged.allSatisfy({ Self.folder(of: $0.target) == dir }) else {
            rollback()
            throw CLIError("cannot write the output", file: staged[0].target,
                           why: "the files of one set must share a folder", fix: "write them into one folder", kind: .usage)
        }
        let name = CommitJournal.prefix + "\(getpid())-\(Self.randomHex())"
        let path = dir + "/" + name
        let bytes = CommitJournal.encode(staged.map { (Self.name(of: $0.temp), Self.name(of: $0.target)) })
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CLIError.io("cannot write the output", file: staged[0].target, errno: errno) }
        fchmod(fd, 0o600)   // whatever the umask: the trust rule wants no group or other write bit
        flock(fd, LOCK_SH)  // held until the journal is removed: its writer is alive
        var code = StandardStreams.writeAll(fd, bytes)
        if code == 0 && fsync(fd) != 0 { code = errno }
        if code == 0 && rename(temp, path) != 0 { code = errno }
        if code != 0 { close(fd); unlink(temp); throw CLIError.io("cannot write the output", file: staged[0].target, errno: code) }
        Self.syncFolder(dir)
        return (path, fd)
    }

    /// Completes the commits of processes that died between their renames, when their
    /// journal passes `CommitJournal`'s trust rule (anything else is left alone, with a warning
    /// on standard error), and removes the temp files of processes that died before
    /// committing. Journals and temp files of running processes are left alone.
    public static func recover(folder: String) {
        CommitJournal.recover(folder: folder) { _ = StandardStreams.writeError("nst: warning: \($0)\n") }
    }

    // MARK: - Helpers

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], pieceDelayMs: Int) -> Int32 {
        guard pieceDelayMs > 0 else { return StandardStreams.writeAll(fd, bytes) }
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + 64, bytes.count)
            let code = StandardStreams.writeAll(fd, Array(bytes[offset..<end]))
            if code != 0 { return code }
            offset = end
            usleep(UInt32(min(pieceDelayMs, 1000) * 1000))
        }
        return 0
    }

    private func checkTarget(_ target: String) throws(CLIError) {
        try Self.checkName(target)
        var own = stat()
        guard lstat(target, &own) == 0 else {
            // Does not exist yet, so it is no input's inode; an input may still sit at the
            // same resolved path through a link in between (it cannot be read then).
            if let resolved = Self.resolvedPath(target), let input = inputs.first(where: { Self.resolvedPath($0.name) == resolved }) {
                throw CLIError("refusing to write over an input", file: target, why: "it is the same file as the input \(input.name)",
                               fix: "choose another output path", kind: .usage)
            }
            return
        }
        var st = stat()
        let followed = stat(target, &st) == 0
        if followed && (st.st_mode & S_IFMT) == S_IFDIR {
            throw CLIError("cannot write the output", file: target, why: "it is a folder", fix: "give a file name, not a folder", kind: .usage)
        }
        if followed, let input = inputs.first(where: { $0.device == UInt64(st.st_dev) && $0.inode == UInt64(st.st_ino) }) {
            throw CLIError("refusing to write over an input", file: target,
                           why: "it is the same file as the input \(input.name)",
                           fix: "choose another output path", kind: .usage)
        }
        // A new file is renamed into place, which would replace a device, FIFO, socket or
        // symbolic link (dangling or not) itself: `--csv /dev/null` as root would remove
        // /dev/null. Refused.
        if (own.st_mode & S_IFMT) != S_IFREG {
            let isLink = (own.st_mode & S_IFMT) == S_IFLNK
            let kind = isLink ? (followed ? "a symbolic link" : "a dangling symbolic link") : Self.kindName(own.st_mode)
            throw CLIError("refusing to replace \(kind)", file: target,
                           why: "nst writes a new file and renames it over the path, which would replace \(kind) itself",
                           fix: isLink ? "give the path the link points to, or another output path" : "give a regular file's path",
                           kind: .usage)
        }
    }

    static func kindName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        default: return "a special file"
        }
    }

    /// Creates `path` and its missing parents (mode 0777 less the umask). The error names the
    /// part of the path that failed and why, in the system's words: a part that is a file, a
    /// folder nst may not write into.
    public static func createFolders(_ path: String) throws(CLIError) {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue { return }
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + part
            if mkdir(prefix, 0o777) == 0 { continue }
            let code = errno
            var st = stat()
            if code == EEXIST, stat(prefix, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { continue }
            let shown = path.hasPrefix("/") ? prefix : String(prefix.dropFirst(2))
            if code == EEXIST || code == ENOTDIR {
                throw CLIError("cannot create the folder \(CLIError.escaped(path))", file: shown, why: "it is a file, not a folder",
                               fix: "move the file or choose another folder", kind: .io)
            }
            throw CLIError.io("cannot create the folder \(CLIError.escaped(path))", file: shown, errno: code)
        }
    }

    /// How long a commit waits for another writer's lock on the folder (a commit holds it for
    /// a few renames; a lock held longer is not nst's). Anyone who can read the folder can
    /// hold a `flock` on it: that delays a commit by this long and makes it fail, never hang.
    /// It is shorter than `StopSignal.graceSeconds`, so an interrupted run still saves.
    nonisolated(unsafe) static var folderLockSeconds = 10   // (tests shorten it)

    /// Takes an exclusive `flock` on `fd`, trying for up to `seconds`; false if it could not.
    static func lockWithin(_ fd: Int32, seconds: Int) -> Bool {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds) * 1_000_000_000
        while true {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
            if errno != EWOULDBLOCK && errno != EINTR { return true }   // no locking here (some network file systems): go on
            if DispatchTime.now().uptimeNanoseconds >= deadline { return false }
            usleep(20_000)
        }
    }

    /// The longest file name (bytes) nst writes: NAME_MAX on Linux file systems.
    public static let maxNameBytes = 255

    /// Refuses a path whose file name or whole length the file system would refuse, so a
    /// run fails before its work rather than after it.
    public static func checkName(_ target: String) throws(CLIError) {
        let fileName = name(of: target)
        if fileName.utf8.count > maxNameBytes {
            throw CLIError("cannot write the output", file: target,
                           why: "its file name is \(fileName.utf8.count) bytes long, and file systems allow \(maxNameBytes)",
                           fix: "choose a shorter name", kind: .usage)
        }
        // The temp file beside the target has the longer path (its name is at most 134 bytes).
        let tempPathBytes = folder(of: target).utf8.count + 1 + temporaryNamePrefix(for: target).utf8.count + 16
        let longest = max(target.utf8.count, tempPathBytes)
        if longest >= Int(PATH_MAX) {
            throw CLIError("cannot write the output", file: String(target.prefix(80)) + "…",
                           why: "with the temp file written beside it the path is \(longest) bytes long, and the system allows \(PATH_MAX - 1)",
                           fix: "choose a shorter path", kind: .usage)
        }
    }

    /// The canonical path of `path`'s folder joined with its name (the file itself need not
    /// exist), or nil when the folder does not exist.
    static func resolvedPath(_ path: String) -> String? {
        guard let dir = realpath(folder(of: path), nil) else { return nil }
        defer { free(dir) }
        let n = name(of: path)
        guard n != "." && n != ".." else { return nil }
        var resolved = String(cString: dir) + "/" + n
        if let full = realpath(resolved, nil) { resolved = String(cString: full); free(full) }
        return resolved
    }

    private static func fileID(_ path: String) -> (device: UInt64, inode: UInt64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    static func tempPath(for target: String) -> String {
        folder(of: target) + "/" + temporaryNamePrefix(for: target) + randomHex()
    }

    /// How this process's temp files for `target` begin (file names, beside the target).
    public static func temporaryNamePrefix(for target: String) -> String {
        temporaryNamePrefix(forName: name(of: target), pid: getpid())
    }

    /// The temp-name prefix of the file name `name` in process `pid`: `.<name, cut to 100
    /// characters>.nst-tmp-<pid>-`, so a temp name stays far below NAME_MAX.
    static func temporaryNamePrefix(forName name: String, pid: pid_t) -> String {
        "." + String(name.prefix(100)) + ".nst-tmp-\(pid)-"
    }

    static func name(of path: String) -> String { (path as NSString).lastPathComponent }

    static func folder(of path: String) -> String {
        let d = (path as NSString).deletingLastPathComponent
        return d.isEmpty ? "." : d
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    static func randomHex() -> String {
        var g = SystemRandomNumberGenerator()
        let v = g.next() as UInt64
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// The decimal pid right after `marker` in `name`, up to the next "-".
    static func pid(in name: String, after marker: String) -> pid_t? {
        guard let r = name.range(of: marker) else { return nil }
        let digits = name[r.upperBound...].prefix { $0.isNumber }
        return pid_t(digits)
    }

    static func isAlive(_ pid: pid_t) -> Bool {
        pid == getpid() || kill(pid, 0) == 0 || errno == EPERM
    }

    static func syncFolder(_ dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
