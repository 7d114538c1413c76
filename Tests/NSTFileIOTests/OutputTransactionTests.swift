import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import NSTFileIO

/// A scratch folder with an "old set" a.png/a.json already in place.
private struct Scratch {
    let dir: String
    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nst-fileio-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data("old png".utf8).write(to: URL(fileURLWithPath: path("a.png")))
        try Data("old json".utf8).write(to: URL(fileURLWithPath: path("a.json")))
    }
    func path(_ name: String) -> String { dir + "/" + name }
    func read(_ name: String) -> String? {
        FileManager.default.contents(atPath: path(name)).map { String(decoding: $0, as: UTF8.self) }
    }
    /// Every entry of the folder (hidden ones included).
    var entries: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() }

    /// Renames this process's journal and temp files, and the names inside the journal, to a
    /// pid that is not running: what a writer killed mid-commit leaves.
    func pretendWriterDied() throws {
        let live = "-\(getpid())-", dead = "-999999999-"
        for e in entries where e.contains(live) {
            if e.hasPrefix(".nst-commit-") {
                var bytes = try #require(FileManager.default.contents(atPath: path(e)))
                bytes = Data(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: live, with: dead).utf8)
                try bytes.write(to: URL(fileURLWithPath: path(e)))
            }
            try FileManager.default.moveItem(atPath: path(e), toPath: path(e.replacingOccurrences(of: live, with: dead)))
        }
    }
}

@Suite(.serialized) struct OutputTransactionTests {
    init() { FaultInjection.install("") }

    @Test func commitReplacesTheWholeSetAndLeavesNoTempFile() throws {
        let s = try Scratch()
        let tx = OutputTransaction()
        try tx.stage(Array("new png".utf8), at: s.path("a.png"))
        try tx.stage(Array("new json".utf8), at: s.path("a.json"))
        #expect(s.read("a.png") == "old png", "staging must not touch the target")
        try tx.commit()
        #expect(s.read("a.png") == "new png" && s.read("a.json") == "new json")
        #expect(s.entries == ["a.json", "a.png"])
    }

    @Test func droppingAnUncommittedTransactionRemovesItsTempFiles() throws {
        let s = try Scratch()
        do {
            let tx = OutputTransaction()
            try tx.stage(Array("new".utf8), at: s.path("a.png"))
            #expect(s.entries.count == 3)
        }
        #expect(s.entries == ["a.json", "a.png"])
        #expect(s.read("a.png") == "old png")
    }

    @Test(arguments: ["write:1", "write:2", "fsync:2", "rename:1"])
    func aFailureAnywhereBeforeTheFirstRenameKeepsTheOldSet(fault: String) throws {
        let s = try Scratch()
        FaultInjection.install(fault)
        defer { FaultInjection.install("") }
        let tx = OutputTransaction()
        #expect(throws: CLIError.self) {
            try tx.stage(Array("new png".utf8), at: s.path("a.png"))
            try tx.stage(Array("new json".utf8), at: s.path("a.json"))
            try tx.commit()
        }
        #expect(s.read("a.png") == "old png" && s.read("a.json") == "old json")
        #expect(s.entries == ["a.json", "a.png"], "temp files or a journal left: \(s.entries)")
    }

    @Test func aFullDiskIsAnIOErrorNamingTheFileAndTheFix() throws {
        let s = try Scratch()
        FaultInjection.install("write:1")
        defer { FaultInjection.install("") }
        do {
            try OutputTransaction().stage(Array("x".utf8), at: s.path("a.png"))
            Issue.record("no error")
        } catch {
            #expect(error.kind == .io && error.exitStatus == 74)
            #expect(error.description == "nst: error: cannot write the output (\(s.path("a.png"))): No space left on device; free some disk space or write to another disk")
        }
    }

    @Test func aFailedSecondRenameLeavesAJournalThatTheNextTransactionCompletes() throws {
        let s = try Scratch()
        FaultInjection.install("rename:2")
        let tx = OutputTransaction()
        try tx.stage(Array("new png".utf8), at: s.path("a.png"))
        try tx.stage(Array("new json".utf8), at: s.path("a.json"))
        #expect(throws: CLIError.self) { try tx.commit() }
        FaultInjection.install("")
        #expect(s.read("a.png") == "new png" && s.read("a.json") == "old json")
        #expect(s.entries.contains { $0.hasPrefix(".nst-commit-") })
        // Our own journal is left alone while we live; pretend we died by renaming its pid.
        OutputTransaction.recover(folder: s.dir)
        #expect(s.read("a.json") == "old json", "a living writer's journal was replayed")
        try s.pretendWriterDied()
        var warnings: [String] = []
        CommitJournal.recover(folder: s.dir) { warnings.append($0) }
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(s.read("a.png") == "new png" && s.read("a.json") == "new json")
        #expect(s.entries == ["a.json", "a.png"], "\(s.entries)")
    }

    /// A journal of a half-done commit in `s`, written by a dead writer, ready to be replayed.
    private func halfDoneCommit(_ s: Scratch) throws {
        FaultInjection.install("rename:2")
        defer { FaultInjection.install("") }
        let tx = OutputTransaction()
        try tx.stage(Array("new png".utf8), at: s.path("a.png"))
        try tx.stage(Array("new json".utf8), at: s.path("a.json"))
        #expect(throws: CLIError.self) { try tx.commit() }
        try s.pretendWriterDied()
    }

    @Test func theJournalNamesFilesInItsFolderOnlyAndIsPrivate() throws {
        let s = try Scratch()
        try halfDoneCommit(s)
        let journal = try #require(s.entries.first { $0.hasPrefix(".nst-commit-") })
        let bytes = try #require(FileManager.default.contents(atPath: s.path(journal)))
        #expect(!bytes.contains(UInt8(ascii: "/")), "a journal holds names, not paths")
        var st = stat()
        #expect(stat(s.path(journal), &st) == 0 && st.st_mode & 0o777 == 0o600)
    }

    /// Each way a journal can be untrustworthy: it is left alone (and so is every file it
    /// names), with a warning that names it.
    @Test(arguments: ["absolute paths", "not a temp name", "another pid's temp", "outside the folder", "group-writable",
                      "another user's", "a symlink", "a folder as target", "torn"])
    func anUntrustworthyJournalIsLeftAloneWithAWarning(plant: String) throws {
        let s = try Scratch()
        let outside = try Scratch()
        try Data("precious".utf8).write(to: URL(fileURLWithPath: s.path("thesis.txt")))
        try Data("junk".utf8).write(to: URL(fileURLWithPath: s.path("junk.txt")))
        let dead = "999999999"
        let temp = ".thesis.txt.nst-tmp-\(dead)-0123456789abcdef"
        try Data("junk".utf8).write(to: URL(fileURLWithPath: s.path(temp)))
        let journal = s.path(".nst-commit-\(dead)-fedcba9876543210")
        func pairs(_ p: [(String, String)]) -> Data { Data(p.flatMap { Array($0.0.utf8) + [0] + Array($0.1.utf8) + [0] }) }
        var content = pairs([(temp, "thesis.txt")])
        switch plant {
        case "absolute paths": content = pairs([(s.path("junk.txt"), s.path("thesis.txt"))])
        case "not a temp name": content = pairs([("junk.txt", "thesis.txt")])
        case "another pid's temp":
            let other = ".thesis.txt.nst-tmp-999999998-0123456789abcdef"
            try Data("junk".utf8).write(to: URL(fileURLWithPath: s.path(other)))
            content = pairs([(other, "thesis.txt")])
        case "outside the folder": content = pairs([(temp, "../" + (outside.dir as NSString).lastPathComponent + "/a.png")])
        case "torn": content = Data(Array(temp.utf8) + [0] + Array("thesis".utf8))
        case "a folder as target":
            try FileManager.default.createDirectory(atPath: s.path("dir"), withIntermediateDirectories: false)
            let t = ".dir.nst-tmp-\(dead)-0123456789abcdef"
            try Data("junk".utf8).write(to: URL(fileURLWithPath: s.path(t)))
            content = pairs([(t, "dir")])
        default: break
        }
        if plant == "a symlink" {
            let real = outside.path("journal")
            try content.write(to: URL(fileURLWithPath: real))
            chmod(real, 0o600)
            try FileManager.default.createSymbolicLink(atPath: journal, withDestinationPath: real)
        } else {
            try content.write(to: URL(fileURLWithPath: journal))
            chmod(journal, plant == "group-writable" ? 0o620 : 0o600)
        }
        if plant == "another user's" {
            try #require(geteuid() == 0, "changing a file's owner needs root (CI runs as root)")
            #expect(chown(journal, 65534, 65534) == 0)
        }
        var warnings: [String] = []
        CommitJournal.recover(folder: s.dir) { warnings.append($0) }
        #expect(s.read("thesis.txt") == "precious", "\(plant): a file nst did not write was replaced")
        #expect(outside.read("a.png") == "old png", "\(plant): a file outside the folder was replaced")
        #expect(warnings.count == 1 && warnings[0].contains(".nst-commit-\(dead)-fedcba9876543210"), "\(plant): \(warnings)")
        #expect(s.entries.contains((journal as NSString).lastPathComponent), "\(plant): the journal itself was removed")
        #expect(s.entries.contains(temp), "\(plant): the temp file of a journal left alone was removed")
    }

    /// A writer in another pid namespace looks dead by its pid; the flock it holds on its
    /// journal and temp files says otherwise, and recovery leaves them alone, silently.
    @Test func aWriterThatHoldsItsLocksIsAliveWhateverItsPid() throws {
        let s = try Scratch()
        try halfDoneCommit(s)
        let names = s.entries.filter { $0.contains("-999999999-") }
        #expect(names.count == 2, "\(names)")   // the journal and the second temp file
        // Close-on-exec: a process another test spawns meanwhile must not inherit the lock.
        let held = names.map { open(s.path($0), O_RDONLY | O_CLOEXEC) }
        for fd in held { #expect(flock(fd, LOCK_SH) == 0) }
        var warnings: [String] = []
        CommitJournal.recover(folder: s.dir) { warnings.append($0) }
        #expect(warnings.isEmpty && s.read("a.json") == "old json")
        #expect(Set(s.entries.filter { $0.contains("-999999999-") }) == Set(names))
        for fd in held { close(fd) }
        CommitJournal.recover(folder: s.dir) { warnings.append($0) }
        #expect(warnings.isEmpty && s.read("a.json") == "new json" && s.entries == ["a.json", "a.png"], "\(s.entries)")
    }

    /// A folder lock held by someone else delays a commit, never hangs it: after the wait the
    /// commit fails, naming the cause, and leaves the old set and no temp file.
    @Test func aFolderLockHeldForeverEndsTheCommitWithAnError() throws {
        let s = try Scratch()
        let holder = open(s.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(holder) }
        #expect(flock(holder, LOCK_EX) == 0)
        let usualWait = OutputTransaction.folderLockSeconds
        OutputTransaction.folderLockSeconds = 1
        defer { OutputTransaction.folderLockSeconds = usualWait }
        let tx = OutputTransaction()
        try tx.stage(Array("new png".utf8), at: s.path("a.png"))
        do {
            try tx.commit()
            Issue.record("committed while another process held the folder's lock")
        } catch {
            #expect(error.kind == .io && error.why.contains("held the folder's lock"), "\(error)")
        }
        #expect(s.read("a.png") == "old png" && s.entries == ["a.json", "a.png"], "\(s.entries)")
    }

    /// Outputs that exist but are not regular files are refused, never renamed over.
    @Test func aDeviceFIFOOrSymlinkAtTheOutputIsRefused() throws {
        let s = try Scratch()
        #expect(mkfifo(s.path("fifo.csv"), 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: s.path("link.png"), withDestinationPath: s.path("a.png"))
        try FileManager.default.createSymbolicLink(atPath: s.path("dangling.png"), withDestinationPath: s.path("nowhere/x.png"))
        var devices = ["fifo.csv": "a FIFO", "link.png": "a symbolic link", "dangling.png": "a dangling symbolic link"]
        if geteuid() == 0, mknod(s.path("null.json"), S_IFCHR | 0o666, dev_t(0x103)) == 0 { devices["null.json"] = "a character device" }
        for (name, kind) in devices {
            do {
                try OutputTransaction.write(Array("x".utf8), to: s.path(name))
                Issue.record("\(name) was replaced")
            } catch {
                #expect(error.kind == .usage && error.what == "refusing to replace \(kind)", "\(error)")
            }
            var st = stat()
            #expect(lstat(s.path(name), &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG, "\(name)")
        }
        #expect(s.read("a.png") == "old png")
    }

    /// The temp path is longer than the target's: a target whose temp path would pass
    /// PATH_MAX is refused before anything is written.
    @Test func aPathTooLongForItsTempFileIsRefused() throws {
        let deep = "/" + Array(repeating: String(repeating: "d", count: 200), count: 20).joined(separator: "/") + "/" + String(repeating: "f", count: 60)
        #expect(deep.utf8.count < Int(PATH_MAX))
        #expect(throws: CLIError.self) { try OutputTransaction.checkName(deep) }
        try OutputTransaction.checkName("/tmp/" + String(repeating: "f", count: 255))
    }

    /// The temp files an interrupt would remove are exactly those staged and not yet renamed
    /// into place or rolled back.
    @Test func stagedTempFilesAreRegisteredUntilCommittedOrRolledBack() throws {
        let s = try Scratch()
        let tx = OutputTransaction()
        try tx.stage(Array("new".utf8), at: s.path("a.png"))
        let temp = try #require(s.entries.first { $0.contains(".nst-tmp-") })
        #expect(TemporaryFiles.registered.contains(s.path(temp)))
        try tx.commit()
        #expect(!TemporaryFiles.registered.contains(s.path(temp)))
        let other = OutputTransaction()
        try other.stage(Array("newer".utf8), at: s.path("a.json"))
        let temp2 = try #require(s.entries.first { $0.contains(".nst-tmp-") })
        other.rollback()
        #expect(!TemporaryFiles.registered.contains(s.path(temp2)))
    }

    /// Temp-file clean-up never removes what is not a regular file of the user's with nst's
    /// exact temp pattern.
    @Test func recoveryRemovesOnlyTheUsersOwnTempFiles() throws {
        let s = try Scratch()
        let theirs = s.path(".a.png.nst-tmp-999999999-0123456789abcdef")
        try Data("theirs".utf8).write(to: URL(fileURLWithPath: theirs))
        try #require(geteuid() == 0, "changing a file's owner needs root (CI runs as root)")
        #expect(chown(theirs, 65534, 65534) == 0)
        let near = s.path(".a.png.nst-tmp-999999999-0123456789abcdeg")
        try Data("mine".utf8).write(to: URL(fileURLWithPath: near))
        OutputTransaction.recover(folder: s.dir)
        #expect(s.read(".a.png.nst-tmp-999999999-0123456789abcdef") == "theirs")
        #expect(s.read(".a.png.nst-tmp-999999999-0123456789abcdeg") == "mine")
    }

    @Test func recoveryRemovesTempFilesOfDeadProcessesOnly() throws {
        let s = try Scratch()
        _ = FileManager.default.createFile(atPath: s.path(".a.png.nst-tmp-999999999-0123456789abcdef"), contents: Data("x".utf8))
        _ = FileManager.default.createFile(atPath: s.path(".a.png.nst-tmp-\(getpid())-0123456789abcdef"), contents: Data("x".utf8))
        _ = FileManager.default.createFile(atPath: s.path("notes.nst-tmp-1.txt"), contents: Data("mine".utf8))
        OutputTransaction.recover(folder: s.dir)
        #expect(s.entries == [".a.png.nst-tmp-\(getpid())-0123456789abcdef", "a.json", "a.png", "notes.nst-tmp-1.txt"])
    }

    @Test func tempNamesAreUnpredictableAndBesideTheTarget() {
        let a = OutputTransaction.tempPath(for: "/x/y/out.png"), b = OutputTransaction.tempPath(for: "/x/y/out.png")
        #expect(a != b)
        #expect(a.hasPrefix("/x/y/.out.png.nst-tmp-\(getpid())-") && a.count == "/x/y/.out.png.nst-tmp-\(getpid())-".count + 16)
    }

    @Test func aPlantedSymlinkAtTheTempNameIsNeverFollowed() throws {
        // O_EXCL|O_NOFOLLOW: even a symlink at the exact temp name makes open fail instead of
        // writing through it. Simulated by planting links at many guessed names is pointless
        // (the name has 64 random bits), so check the flags' effect on a planted name directly.
        let s = try Scratch()
        let victim = s.path("victim"), link = s.path(".planted")
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: victim)
        let fd = open(link, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
        #expect(fd == -1 && errno == EEXIST)
        #expect(s.read("victim") == "precious")
    }

    @Test func anOutputThatIsAnInputIsRefusedThroughSymlinksAndHardLinks() throws {
        let s = try Scratch()
        let input = s.path("a.png")
        try FileManager.default.createSymbolicLink(atPath: s.path("link.png"), withDestinationPath: input)
        try FileManager.default.linkItem(atPath: input, toPath: s.path("hard.png"))
        let tx = OutputTransaction(inputs: [input])
        for target in [input, s.path("link.png"), s.path("hard.png"), s.dir + "/./a.png"] {
            do {
                try tx.checkTargets([target])
                Issue.record("\(target) accepted")
            } catch {
                #expect(error.kind == .usage && error.description.contains("refusing to write over an input"))
            }
        }
        try tx.checkTargets([s.path("other.png")])
        #expect(s.read("a.png") == "old png")
    }

    @Test func aFolderAsTargetIsRefusedBeforeWriting() throws {
        let s = try Scratch()
        try FileManager.default.createDirectory(atPath: s.path("out.json"), withIntermediateDirectories: false)
        #expect(throws: CLIError.self) { try OutputTransaction().checkTargets([s.path("out.json")]) }
    }
}

@Suite struct CLIErrorTests {
    @Test func oneLineWithFilePlaceAndFix() {
        let e = CLIError("cannot read the bank", file: "q.txt", line: 3, column: 7, why: "unknown field", fix: "see docs/quiz.md")
        #expect(e.description == "nst: error: cannot read the bank (q.txt:3:7): unknown field; see docs/quiz.md")
        #expect(e.exitStatus == 1)
        #expect(CLIError("x", why: "y", fix: "", kind: .usage).description == "nst: error: x: y")
        #expect(CLIError("x", why: "y", fix: "", kind: .usage).exitStatus == 64)
    }

    @Test func controlCharactersInPathsAreEscaped() {
        let e = CLIError("cannot read the image", file: "a\nb\u{1B}[31m.png", why: "no such file", fix: "check the path")
        #expect(!e.description.contains("\n") && !e.description.contains("\u{1B}"))
        #expect(e.description.contains("a\\nb\\u{1B}[31m.png"))
    }
}

@Suite struct StandardStreamsTests {
    @Test func aProgressStreamStopsAfterItsFirstFailure() throws {
        signal(SIGPIPE, SIG_IGN)
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        close(fds[0])   // no reader: every write gets EPIPE
        let p = ProgressStream(fd: fds[1])
        p.write("iter=1\n")
        #expect(p.failedWith == EPIPE)
        p.write("iter=2\n")   // silently skipped
        #expect(p.failedWith == EPIPE)
        close(fds[1])
    }

    @Test func writeAllReportsAFullDevice() throws {
        let fd = open("/dev/full", O_WRONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        #expect(StandardStreams.writeAll(fd, Array("x".utf8)) == ENOSPC)
    }
}
