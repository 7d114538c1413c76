import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A folder whose files are replaced together, for a command that owns the whole folder (the
/// experiment's images, figure, metrics and report): after `replace`, the folder holds
/// either its previous complete set or the new complete set, whatever happens meanwhile — an
/// error, a full disk, SIGKILL at any instruction — with nothing to complete afterwards.
/// (`OutputTransaction` is the tool for files that share a folder with the user's own.)
///
/// Contract:
/// - The new set is written into a fresh sibling folder `.NAME.new-PID-RANDOM` (mode 0700
///   while written; each file created O_EXCL|O_NOFOLLOW, then fsynced), which then takes
///   the folder's place in one `renameat2(RENAME_EXCHANGE)`; the old set, now at the
///   sibling's name, is removed. Where the file system cannot exchange, the old folder is
///   renamed aside to `.NAME.old` first, and a later `check`/`replace` puts it back if the
///   process died between the two renames.
/// - `check` refuses a path that is a file, a folder holding anything but `ownedNames` (so
///   no file of the user's is ever removed with the old set), and a folder containing one of
///   the command's inputs. Call it before the long work; `replace` calls it again.
/// - Staging folders left by writers that are no longer running are removed.
/// Errors are `CLIError`: `.usage` for a folder that cannot be used, `.io` for a failed write.
public struct OutputFolder: Sendable {
    public let url: URL
    /// The names the command may write; any other entry makes `check` refuse the folder.
    public let ownedNames: Set<String>

    public init(url: URL, ownedNames: Set<String>) {
        self.url = url.standardizedFileURL
        self.ownedNames = ownedNames
    }

    public func check(inputs: [URL]) throws(CLIError) {
        try OutputTransaction.checkName(url.path)
        // The longest path written: a file of the set inside the staging folder beside `url`.
        let longestName = ownedNames.map(\.utf8.count).max() ?? 0
        let stagingPath = url.deletingLastPathComponent().path.utf8.count + 1 + stagingPrefix.utf8.count + 10 + 1 + 16 + 1 + longestName
        if max(stagingPath, url.path.utf8.count + 1 + longestName) >= Int(PATH_MAX) {
            throw CLIError("cannot use the output folder", file: String(url.path.prefix(80)) + "…",
                           why: "with the files written inside it, the paths would be longer than the system allows (\(PATH_MAX - 1) bytes)",
                           fix: "choose a shorter path", kind: .usage)
        }
        recover()
        let fm = FileManager.default
        var own = stat()
        if lstat(url.path, &own) == 0, (own.st_mode & S_IFMT) == S_IFLNK {
            var target = stat()
            let dangling = stat(url.path, &target) != 0
            throw CLIError("cannot use the output folder", file: url.path,
                           why: dangling ? "it is a dangling symbolic link" : "it is a symbolic link, and the whole folder is replaced",
                           fix: dangling ? "remove the link or give another --output" : "give the folder it points to (\(CLIError.escaped(url.resolvingSymlinksInPath().path))) with --output",
                           kind: .usage)
        }
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: url.path, isDirectory: &isDir) {
            guard isDir.boolValue else {
                throw CLIError("cannot use the output folder", file: url.path, why: "it is a file",
                               fix: "give a folder with --output", kind: .usage)
            }
            let entries: [String]
            do { entries = try fm.contentsOfDirectory(atPath: url.path) } catch { throw CLIError.foundation(error, what: "cannot read the output folder") }
            // An entry with an owned name counts as nst's only when it is a regular file: a
            // folder or link named figure.png is the user's, and would go with the old set.
            let foreign = entries.filter { name in
                var st = stat()
                return !ownedNames.contains(name) || lstat(url.appendingPathComponent(name).path, &st) != 0 || (st.st_mode & S_IFMT) != S_IFREG
            }.sorted()
            if !foreign.isEmpty {
                throw CLIError("cannot use the output folder", file: url.path,
                               why: "it holds files this command did not write (\(foreign.prefix(3).joined(separator: ", "))\(foreign.count > 3 ? ", …" : "")), and the whole folder is replaced",
                               fix: "choose an empty or new folder with --output", kind: .usage)
            }
        }
        try checkWritable()
        let folder = url.resolvingSymlinksInPath().path + "/"
        for input in inputs where input.standardizedFileURL.resolvingSymlinksInPath().path.hasPrefix(folder) {
            throw CLIError("cannot use the output folder", file: url.path,
                           why: "it contains the input \(input.path), which replacing the folder would delete",
                           fix: "choose another --output", kind: .usage)
        }
    }

    /// Proves, before the long work, that the new set can be staged: the nearest existing
    /// folder above `url` must let nst create (and remove) a folder in it.
    func checkWritable() throws(CLIError) {
        var parent = url.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: parent.path) && parent.path != "/" { parent = parent.deletingLastPathComponent() }
        let probe = parent.appendingPathComponent("\(stagingPrefix)\(getpid())-\(OutputTransaction.randomHex())")
        guard mkdir(probe.path, 0o700) == 0 else {
            throw CLIError.io("cannot write the output folder \(CLIError.escaped(url.path))", file: parent.path, errno: errno)
        }
        rmdir(probe.path)
    }

    /// Replaces the folder's contents with `files` (name → bytes) as one step.
    public func replace(with files: [(name: String, bytes: [UInt8])]) throws(CLIError) {
        try replace(with: files, canExchange: true)
    }

    /// `canExchange: false` takes the two-rename path (for tests of file systems without
    /// RENAME_EXCHANGE).
    func replace(with files: [(name: String, bytes: [UInt8])], canExchange: Bool) throws(CLIError) {
        precondition(files.allSatisfy { ownedNames.contains($0.name) }, "a file outside ownedNames")
        try check(inputs: [])
        let parent = url.deletingLastPathComponent()
        try OutputTransaction.createFolders(parent.path)
        let staging = parent.appendingPathComponent("\(stagingPrefix)\(getpid())-\(OutputTransaction.randomHex())")
        guard mkdir(staging.path, 0o700) == 0 else { throw CLIError.io("cannot write into the output folder's parent", file: parent.path, errno: errno) }
        // Held until the swap is done: another nst (in another pid namespace too) sees the
        // staging folder is in use and leaves it.
        let stagingLock = open(staging.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if stagingLock >= 0 { flock(stagingLock, LOCK_SH) }
        defer { if stagingLock >= 0 { close(stagingLock) } }
        var done = false
        defer { if !done { try? FileManager.default.removeItem(at: staging) } }
        for file in files {
            // Errors name the file as the user will find it, never the hidden staging folder.
            do { try Self.writeNew(file.bytes, to: staging.appendingPathComponent(file.name)) }
            catch { var e = error; e.file = url.appendingPathComponent(file.name).path; throw e }
        }
        chmod(staging.path, 0o755)
        if !FileManager.default.fileExists(atPath: url.path) {
            guard rename(staging.path, url.path) == 0 else { throw CLIError.io("cannot put the output in place", file: url.path, errno: errno) }
        } else if canExchange && Self.exchange(staging.path, url.path) {
            try? FileManager.default.removeItem(at: staging)   // the old set now lives here
        } else {
            guard rename(url.path, backupURL.path) == 0 else { throw CLIError.io("cannot set the old output aside", file: url.path, errno: errno) }
            guard rename(staging.path, url.path) == 0 else {
                let e = CLIError.io("cannot put the output in place", file: url.path, errno: errno)
                _ = rename(backupURL.path, url.path)
                throw e
            }
            try? FileManager.default.removeItem(at: backupURL)
        }
        OutputTransaction.syncFolder(parent.path)
        done = true
    }

    /// Where the old set waits while the non-exchanging path swaps folders.
    var backupURL: URL { url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent.prefix(100)).old") }

    /// Staging folders are named `.NAME.new-PID-RANDOM`.
    /// (The name is cut to 100 characters, so a folder name up to the file system's limit
    /// still has a staging name that fits.)
    var stagingPrefix: String { ".\(url.lastPathComponent.prefix(100)).new-" }

    /// Puts back a previous set left aside by a process that died mid-swap, and removes the
    /// staging folders of writers that are no longer running.
    ///
    /// What it trusts: a set-aside folder is put back only when `trustedSetAside` vouches for it — a
    /// real folder (not a link) owned by this user, holding only `ownedNames` as regular files
    /// owned by this user, and the same folder (device and inode) after the rename as before.
    /// Anything else (a folder another user planted in a writable parent, a link) is left
    /// where it is, untouched.
    public func recover() {
        let fm = FileManager.default
        if !fm.fileExists(atPath: url.path), let trusted = trustedSetAside() { putBackSetAside(trusted) }
        let parent = url.deletingLastPathComponent()
        for name in (try? fm.contentsOfDirectory(atPath: parent.path)) ?? [] where name.hasPrefix(stagingPrefix) {
            guard let pid = OutputTransaction.pid(in: name, after: stagingPrefix), !OutputTransaction.isAlive(pid) else { continue }
            // Only the user's own folders, and only when no writer holds their lock.
            let path = parent.appendingPathComponent(name).path
            let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { continue }
            var st = stat()
            let mine = fstat(fd, &st) == 0 && st.st_uid == geteuid() && !CommitJournal.isLocked(fd)
            close(fd)
            if mine { try? fm.removeItem(atPath: path) }
        }
    }

    /// The identity (device, inode) of `backupURL` when it is a set this user's nst left
    /// aside (see `recover`); nil otherwise.
    func trustedSetAside() -> (device: UInt, inode: UInt)? {
        let fd = open(backupURL.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == geteuid(),
              let entries = try? FileManager.default.contentsOfDirectory(atPath: backupURL.path) else { return nil }
        let onlyOwnFiles = entries.allSatisfy { name in
            var es = stat()
            return ownedNames.contains(name) && fstatat(fd, name, &es, AT_SYMLINK_NOFOLLOW) == 0
                && (es.st_mode & S_IFMT) == S_IFREG && es.st_uid == geteuid()
        }
        return onlyOwnFiles ? (UInt(st.st_dev), UInt(st.st_ino)) : nil
    }

    /// Renames the set-aside folder into place, and back again when what arrived is not the
    /// folder `trustedSetAside` examined (another was swapped in between).
    func putBackSetAside(_ trusted: (device: UInt, inode: UInt)) {
        guard rename(backupURL.path, url.path) == 0 else { return }
        var arrived = stat()
        if lstat(url.path, &arrived) != 0 || UInt(arrived.st_dev) != trusted.device || UInt(arrived.st_ino) != trusted.inode {
            _ = rename(url.path, backupURL.path)
        }
    }

    /// Creates `url` (which must not exist; symlinks are not followed), writes, fsyncs.
    static func writeNew(_ bytes: [UInt8], to url: URL) throws(CLIError) {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CLIError.io("cannot write the output", file: url.path, errno: errno) }
        var code = FaultInjection.hits(.write) ? ENOSPC : StandardStreams.writeAll(fd, bytes)
        if code == 0 { code = FaultInjection.hits(.fsync) ? EIO : (fsync(fd) == 0 ? 0 : errno) }
        if close(fd) != 0 && code == 0 { code = errno }
        if code != 0 { throw CLIError.io("cannot write the output", file: url.path, errno: code) }
    }

    /// renameat2(RENAME_EXCHANGE), looked up at run time (Glibc's module does not export it);
    /// false where the kernel, the C library or the file system cannot exchange.
    static func exchange(_ a: String, _ b: String) -> Bool {
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return false }
        let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
        let renameExchange: UInt32 = 1 << 1
        return renameat2(AT_FDCWD, a, AT_FDCWD, b, renameExchange) == 0
    }
}
