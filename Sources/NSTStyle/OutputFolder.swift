import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A folder whose files are replaced together: after `replace`, the folder holds either
/// its previous complete set or the new complete set, whatever happens meanwhile (an error,
/// a full disk, SIGKILL).
///
/// The new set is written into a fresh sibling folder (unpredictable name, mode 0700, each
/// file created O_EXCL|O_NOFOLLOW and fsynced), which then takes the folder's place in one
/// `renameat2(RENAME_EXCHANGE)`; the old set, now at the sibling's name, is removed. Where the
/// file system cannot exchange, the old folder is renamed aside first, and a later `replace`
/// or `recover` puts it back if the process died between the two renames.
///
/// The folder belongs to its writer: `replace` refuses a folder that holds anything but
/// `ownedNames`, so no file of the user's is ever removed with the old set.
public struct OutputFolder: Sendable {
    public let url: URL
    /// The names the writer may replace; any other entry makes `replace` refuse the folder.
    public let ownedNames: Set<String>

    public init(url: URL, ownedNames: Set<String>) {
        self.url = url.standardizedFileURL
        self.ownedNames = ownedNames
    }

    /// Why the folder cannot be used, before any work is done (so a long run does not end in
    /// an error it could have given at the start): it is a file, it holds foreign files, or
    /// it contains one of `inputs`.
    public func check(inputs: [URL]) throws {
        let fm = FileManager.default
        recover()
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: url.path, isDirectory: &isDir) {
            guard isDir.boolValue else {
                throw OutputFolderError(what: "--output-dir \(url.path)", why: "it is a file, not a folder", fix: "give a folder path with --output-dir")
            }
            let foreign = try fm.contentsOfDirectory(atPath: url.path).filter { !ownedNames.contains($0) }.sorted()
            if !foreign.isEmpty {
                throw OutputFolderError(what: "--output-dir \(url.path)", why: "it holds files this command did not write (\(foreign.prefix(3).joined(separator: ", "))\(foreign.count > 3 ? ", …" : "")), and the whole folder is replaced",
                                        fix: "choose an empty or new folder with --output-dir")
            }
        }
        let folder = url.resolvingSymlinksInPath().path + "/"
        for input in inputs where input.standardizedFileURL.resolvingSymlinksInPath().path.hasPrefix(folder) {
            throw OutputFolderError(what: "--output-dir \(url.path)", why: "it contains the input \(input.path), which replacing the folder would delete",
                                    fix: "choose another --output-dir")
        }
    }

    /// Replaces the folder's contents with `files` (name → bytes) as one step.
    public func replace(with files: [(name: String, bytes: [UInt8])]) throws {
        try replace(with: files, canExchange: true)
    }

    /// `canExchange: false` takes the two-rename path (for tests of file systems without
    /// RENAME_EXCHANGE).
    func replace(with files: [(name: String, bytes: [UInt8])], canExchange: Bool) throws {
        precondition(files.allSatisfy { ownedNames.contains($0.name) }, "a file outside ownedNames")
        try check(inputs: [])
        // Over a file-size limit (ulimit -f) a write then fails with EFBIG, handled below,
        // instead of SIGXFSZ killing the process halfway through the set.
        signal(SIGXFSZ, SIG_IGN)
        let fm = FileManager.default
        let parent = url.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appendingPathComponent("\(stagingPrefix)\(getpid())-\(UUID().uuidString.prefix(12))")
        guard mkdir(staging.path, 0o700) == 0 else { throw error("creating \(staging.path)") }
        var done = false
        defer { if !done { try? fm.removeItem(at: staging) } }
        for file in files { try Self.writeNew(file.bytes, to: staging.appendingPathComponent(file.name)) }
        chmod(staging.path, 0o755)
        if !fm.fileExists(atPath: url.path) {
            guard rename(staging.path, url.path) == 0 else { throw error("moving the new files into \(url.path)") }
        } else if canExchange && Self.exchange(staging.path, url.path) {
            try? fm.removeItem(at: staging)   // the old set now lives here
        } else {
            let aside = backupURL
            guard rename(url.path, aside.path) == 0 else { throw error("setting the old files aside") }
            guard rename(staging.path, url.path) == 0 else {
                let e = error("moving the new files into \(url.path)")
                _ = rename(aside.path, url.path)
                throw e
            }
            try? fm.removeItem(at: aside)
        }
        fsyncDirectory(parent)
        done = true
    }

    /// Where the old set waits while the non-exchanging path swaps folders.
    var backupURL: URL { url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).old") }

    /// Staging folders are named `.NAME.new-PID-RANDOM`.
    var stagingPrefix: String { ".\(url.lastPathComponent).new-" }

    /// Puts back a previous set left aside by a process that died mid-swap, and removes the
    /// staging folders of writers that are no longer running.
    public func recover() {
        let fm = FileManager.default
        if !fm.fileExists(atPath: url.path) && fm.fileExists(atPath: backupURL.path) {
            _ = rename(backupURL.path, url.path)
        }
        let parent = url.deletingLastPathComponent()
        for name in (try? fm.contentsOfDirectory(atPath: parent.path)) ?? [] where name.hasPrefix(stagingPrefix) {
            guard let pid = Int32(name.dropFirst(stagingPrefix.count).prefix { $0 != "-" }) else { continue }
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
                try? fm.removeItem(at: parent.appendingPathComponent(name))
            }
        }
    }

    /// Creates `url` (which must not exist; symlinks are not followed), writes, fsyncs.
    static func writeNew(_ bytes: [UInt8], to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OutputFolderError.errno("creating \(url.path)") }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw OutputFolderError.errno("writing \(url.path)") }
            offset += n
        }
        guard fsync(fd) == 0 else { throw OutputFolderError.errno("writing \(url.path)") }
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

    func fsyncDirectory(_ dir: URL) {
        let fd = open(dir.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    func error(_ what: String) -> OutputFolderError { .errno(what) }
}

/// Why an output folder could not be written: one line, with the path and the fix.
public struct OutputFolderError: Error, CustomStringConvertible, LocalizedError {
    /// What was being done, with the path.
    public var what: String
    public var why: String
    public var fix: String
    public var description: String { "\(what): \(why)\(fix.isEmpty ? "" : "; \(fix)")" }
    public var errorDescription: String? { description }

    static func errno(_ what: String) -> OutputFolderError {
        let code = Glibc.errno
        let fix: String
        switch code {
        case ENOSPC, EDQUOT: fix = "free some disk space or choose another --output-dir"
        case EACCES, EPERM, EROFS: fix = "choose a folder you can write to"
        default: fix = ""
        }
        return OutputFolderError(what: what, why: String(cString: strerror(code)), fix: fix)
    }
}
