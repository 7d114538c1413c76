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
}

@Suite(.serialized) struct OutputTransactionTests {
    init() { FaultInjection.reset("") }

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
        FaultInjection.reset(fault)
        defer { FaultInjection.reset("") }
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
        FaultInjection.reset("write:1")
        defer { FaultInjection.reset("") }
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
        FaultInjection.reset("rename:2")
        let tx = OutputTransaction()
        try tx.stage(Array("new png".utf8), at: s.path("a.png"))
        try tx.stage(Array("new json".utf8), at: s.path("a.json"))
        #expect(throws: CLIError.self) { try tx.commit() }
        FaultInjection.reset("")
        #expect(s.read("a.png") == "new png" && s.read("a.json") == "old json")
        #expect(s.entries.contains { $0.hasPrefix(".nst-commit-") })
        // Our own journal is left alone while we live; pretend we died by renaming its pid.
        for e in s.entries where e.hasPrefix(".nst-commit-") {
            let dead = e.replacingOccurrences(of: "-\(getpid())-", with: "-999999999-")
            try FileManager.default.moveItem(atPath: s.path(e), toPath: s.path(dead))
        }
        OutputTransaction.recover(folder: s.dir)
        #expect(s.read("a.png") == "new png" && s.read("a.json") == "new json")
        #expect(s.entries == ["a.json", "a.png"], "\(s.entries)")
    }

    @Test func recoveryRemovesTempFilesOfDeadProcessesOnly() throws {
        let s = try Scratch()
        FileManager.default.createFile(atPath: s.path(".a.png.nst-tmp-999999999-0123456789abcdef"), contents: Data("x".utf8))
        FileManager.default.createFile(atPath: s.path(".a.png.nst-tmp-\(getpid())-0123456789abcdef"), contents: Data("x".utf8))
        FileManager.default.createFile(atPath: s.path("notes.nst-tmp-1.txt"), contents: Data("mine".utf8))
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
