import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The commit journal of a multi-file `OutputTransaction`, and the rule that decides whether a
/// journal found on disk may be replayed.
///
/// A journal is the file `.nst-commit-<pid>-<16 hex>` in the folder of the set it commits. It
/// lists `temp NUL target NUL` pairs of *file names in that folder* (never paths): each temp
/// name is the one `OutputTransaction.tempPath(for:)` gives the target in process `<pid>`.
///
/// **The trust rule.** `recover(folder:)` replays a journal only when every one of these holds;
/// anything else is left where it is, untouched, with a warning on standard error:
/// - its writer is no longer running: the pid in its name is not a live process here, and no
///   process holds the `flock` its writer keeps on it while committing (so a writer in another
///   pid namespace that shares the folder counts as alive);
/// - it is a regular file (not a link), owned by the user running nst, and not writable by
///   its group or by others;
/// - it is at most 64 KiB and parses into whole pairs;
/// - every target is a plain name (no `/`, not `.` or `..`), so it names a file in the
///   journal's own folder;
/// - every temp name is exactly `.<target>.nst-tmp-<pid>-<16 hex>` (the target's name cut as
///   `tempPath` cuts it), with the journal's own pid, and is, where it still exists, a regular
///   file owned by the user;
/// - every target that exists is not a folder.
/// All names are resolved against a descriptor of the folder opened once (`renameat`), so no
/// path outside the folder is ever touched. Temp files of dead writers are removed only when
/// their name has the exact pattern, they are regular files owned by the user, no process
/// holds their `flock` (a writer keeps one on each until it commits), and no journal of the
/// same writer was left alone.
///
/// What this trusts: the file owner and mode the kernel reports, and that no other process of
/// the same user forges journals (such a process can already write every file nst could).
enum CommitJournal {
    static let prefix = ".nst-commit-"
    static let maxBytes = 64 * 1024

    /// The journal's bytes for `pairs` of (temp name, target name) in one folder.
    static func encode(_ pairs: [(temp: String, target: String)]) -> [UInt8] {
        var bytes: [UInt8] = []
        for p in pairs { bytes += Array(p.temp.utf8) + [0] + Array(p.target.utf8) + [0] }
        return bytes
    }

    /// The pid in a journal's name `.nst-commit-<pid>-<16 hex>` (or `….tmp`), nil for any other name.
    static func writerPID(ofJournalNamed name: String, temporary: Bool = false) -> pid_t? {
        guard name.hasPrefix(prefix) else { return nil }
        var rest = Substring(name.dropFirst(prefix.count))
        if temporary {
            guard rest.hasSuffix(".tmp") else { return nil }
            rest = rest.dropLast(4)
        }
        return pidAndHex(rest)
    }

    /// The pid in a temp file's name `.<anything>.nst-tmp-<pid>-<16 hex>`, nil for any other name.
    static func writerPID(ofTempNamed name: String) -> pid_t? {
        guard name.hasPrefix("."), let r = name.range(of: ".nst-tmp-", options: .backwards) else { return nil }
        return pidAndHex(name[r.upperBound...])
    }

    /// `<decimal pid>-<16 lowercase hex>` and nothing else.
    private static func pidAndHex(_ s: Substring) -> pid_t? {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 10, parts[0].allSatisfy({ ("0"..."9").contains($0) }),
              parts[1].count == 16, parts[1].allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }),
              let pid = pid_t(parts[0]), pid > 0 else { return nil }
        return pid
    }

    /// Why the journal `name` (already opened as `fd`, written by the dead process `pid`) may
    /// not be replayed, or its pairs when it may.
    static func trustedPairs(fd: Int32, pid: pid_t, folderFD: Int32) -> Result<[(temp: String, target: String)], Distrust> {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return .failure(.init("it cannot be examined")) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { return .failure(.init("it is not a regular file")) }
        guard st.st_uid == geteuid() else { return .failure(.init("it belongs to another user (uid \(st.st_uid))")) }
        guard st.st_mode & 0o022 == 0 else { return .failure(.init("its group or others can write it (mode \(String(st.st_mode & 0o777, radix: 8)))")) }
        guard Int(st.st_size) <= maxBytes else { return .failure(.init("it is larger than a journal can be")) }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        guard bytes.isEmpty || pread(fd, &bytes, bytes.count, 0) == bytes.count else { return .failure(.init("it cannot be read")) }
        guard bytes.last == 0 || bytes.isEmpty else { return .failure(.init("it does not end where a journal ends")) }
        let fields = bytes.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
        guard !fields.isEmpty, fields.count % 2 == 0 else { return .failure(.init("it does not list whole rename pairs")) }
        var pairs: [(temp: String, target: String)] = []
        for i in stride(from: 0, to: fields.count, by: 2) {
            let temp = fields[i], target = fields[i + 1]
            guard isPlainName(target) else { return .failure(.init("it names a file outside its folder")) }
            let expected = OutputTransaction.temporaryNamePrefix(forName: target, pid: pid)
            guard temp.hasPrefix(expected), writerPID(ofTempNamed: temp) == pid, temp.utf8.count == expected.utf8.count + 16 else {
                return .failure(.init("it renames a file nst did not write"))
            }
            var ts = stat()
            if fstatat(folderFD, temp, &ts, AT_SYMLINK_NOFOLLOW) == 0 {
                guard (ts.st_mode & S_IFMT) == S_IFREG, ts.st_uid == geteuid() else { return .failure(.init("it renames a file nst did not write")) }
            }
            var gs = stat()
            if fstatat(folderFD, target, &gs, AT_SYMLINK_NOFOLLOW) == 0, (gs.st_mode & S_IFMT) == S_IFDIR {
                return .failure(.init("it would rename over a folder"))
            }
            pairs.append((temp, target))
        }
        return .success(pairs)
    }

    struct Distrust: Error { let reason: String; init(_ r: String) { reason = r } }

    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && name.utf8.count <= 255
    }

    /// Completes the commits of writers that died between their renames, when their journal
    /// passes the trust rule, and removes the temp files (and unfinished journals) of dead
    /// writers. Journals and temp files of running processes are left alone.
    static func recover(folder: String, warn: (String) -> Void) {
        let folderFD = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folderFD >= 0 else { return }
        defer { close(folderFD) }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        var changed = false
        var leftAlone: Set<pid_t> = []   // writers whose journal was not replayed: their temp files stay
        for name in names.sorted() {
            guard let pid = writerPID(ofJournalNamed: name), !OutputTransaction.isAlive(pid) else { continue }
            let fd = openat(folderFD, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else {
                leftAlone.insert(pid)
                warn("left alone \(CLIError.escaped(folder + "/" + name)): it cannot be opened as a commit journal")
                continue
            }
            defer { close(fd) }
            if isLocked(fd) { continue }   // its writer is committing, seen from another pid namespace
            switch trustedPairs(fd: fd, pid: pid, folderFD: folderFD) {
            case .failure(let why):
                leftAlone.insert(pid)
                warn("left alone \(CLIError.escaped(folder + "/" + name)), which looks like an interrupted nst commit: \(why.reason); remove it if you do not know where it came from")
            case .success(let pairs):
                for p in pairs where faccessat(folderFD, p.temp, F_OK, AT_SYMLINK_NOFOLLOW) == 0 {
                    renameat(folderFD, p.temp, folderFD, p.target)
                }
                unlinkat(folderFD, name, 0)
                changed = true
            }
        }
        for name in names {
            let pid = writerPID(ofTempNamed: name) ?? writerPID(ofJournalNamed: name, temporary: true)
            guard let pid, !OutputTransaction.isAlive(pid), !leftAlone.contains(pid) else { continue }
            let fd = openat(folderFD, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var st = stat()
            guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_uid == geteuid(), !isLocked(fd) else { continue }
            unlinkat(folderFD, name, 0)
            changed = true
        }
        if changed { fsync(folderFD) }
    }

    /// Whether another open file description holds a `flock` on `fd`'s file (its writer is
    /// alive, whatever its pid says). Takes and drops an exclusive lock when none does.
    static func isLocked(_ fd: Int32) -> Bool {
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { flock(fd, LOCK_UN); return false }
        return errno == EWOULDBLOCK
    }
}
