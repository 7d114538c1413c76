import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import NSTFileIO

/// OutputFolder: the folder holds its old complete set or its new one, never a mix, and no
/// file of the user's is ever removed.
@Suite("OutputFolder")
struct OutputFolderTests {
    let names: Set<String> = ["a.txt", "b.txt"]

    func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nst-outputfolder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func contents(_ dir: URL) throws -> [String: String] {
        var out: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            out[name] = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
        }
        return out
    }

    func files(_ tag: String) -> [(name: String, bytes: [UInt8])] {
        [("a.txt", Array("a \(tag)".utf8)), ("b.txt", Array("b \(tag)".utf8))]
    }

    @Test(arguments: [true, false])
    func replacesTheWholeSetAndLeavesNoStagingBehind(canExchange: Bool) throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = OutputFolder(url: root.appendingPathComponent("out"), ownedNames: names)
        try folder.replace(with: files("1"), canExchange: canExchange)
        #expect(try contents(folder.url) == ["a.txt": "a 1", "b.txt": "b 1"])
        try folder.replace(with: files("2"), canExchange: canExchange)
        #expect(try contents(folder.url) == ["a.txt": "a 2", "b.txt": "b 2"])
        // Only the folder itself is left in the parent: no staging folder, no set-aside copy.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["out"])
    }

    @Test func refusesAFolderWithForeignFilesAndKeepsThem() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = OutputFolder(url: root.appendingPathComponent("out"), ownedNames: names)
        try FileManager.default.createDirectory(at: folder.url, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: folder.url.appendingPathComponent("notes.txt"))
        #expect(throws: CLIError.self) { try folder.replace(with: files("1")) }
        do { try folder.check(inputs: []) } catch {
            #expect(error.description.contains("notes.txt") && error.description.contains("--output"))
        }
        #expect(try contents(folder.url) == ["notes.txt": "mine"])
    }

    @Test func refusesAFolderThatContainsAnInput() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = OutputFolder(url: root.appendingPathComponent("out"), ownedNames: names.union(["photo.png"]))
        try FileManager.default.createDirectory(at: folder.url, withIntermediateDirectories: true)
        let input = folder.url.appendingPathComponent("photo.png")
        try Data("png".utf8).write(to: input)
        // Reached through another spelling of the same path.
        let other = URL(fileURLWithPath: root.path + "/./out/../out/photo.png")
        #expect(throws: CLIError.self) { try folder.check(inputs: [other]) }
    }

    @Test func refusesAFile() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("out")
        try Data("x".utf8).write(to: path)
        #expect(throws: CLIError.self) { try OutputFolder(url: path, ownedNames: names).check(inputs: []) }
    }

    @Test func recoversASetLeftAsideAndRemovesDeadWritersStaging() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = OutputFolder(url: root.appendingPathComponent("out"), ownedNames: names)
        try folder.replace(with: files("old"))
        // A writer killed between its two renames: the old set aside, no folder.
        #expect(rename(folder.url.path, folder.backupURL.path) == 0)
        // A writer killed while staging (a pid that cannot be running).
        let stale = root.appendingPathComponent("\(folder.stagingPrefix)999999999-abc")
        try FileManager.default.createDirectory(at: stale, withIntermediateDirectories: true)
        folder.recover()
        #expect(try contents(folder.url) == ["a.txt": "a old", "b.txt": "b old"])
        #expect(!FileManager.default.fileExists(atPath: stale.path))
    }

    /// A `.NAME.old` nst did not leave is never moved into place: a planted folder holding
    /// other files, a symbolic link to a folder, a folder holding a link, and (where the test
    /// runs as root and can give it away) a folder another user owns.
    @Test(arguments: ["foreign file", "link to folder", "link inside", "other owner"])
    func leavesAnUntrustedSetAsideAlone(kind: String) throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = OutputFolder(url: root.appendingPathComponent("out"), ownedNames: names)
        let planted = folder.backupURL
        let fm = FileManager.default
        switch kind {
        case "foreign file":
            try fm.createDirectory(at: planted, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: planted.appendingPathComponent("a.txt"))
            try Data("x".utf8).write(to: planted.appendingPathComponent("evil.sh"))
        case "link to folder":
            let elsewhere = root.appendingPathComponent("elsewhere")
            try fm.createDirectory(at: elsewhere, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: elsewhere.appendingPathComponent("a.txt"))
            try fm.createSymbolicLink(atPath: planted.path, withDestinationPath: elsewhere.path)
        case "link inside":
            try fm.createDirectory(at: planted, withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: planted.appendingPathComponent("a.txt").path, withDestinationPath: "/etc/passwd")
        default:
            guard geteuid() == 0 else { return }   // only root can make a folder another user owns
            try fm.createDirectory(at: planted, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: planted.appendingPathComponent("a.txt"))
            #expect(chown(planted.path, 65534, 65534) == 0)
        }
        folder.recover()
        #expect(!fm.fileExists(atPath: folder.url.path))
        var st = stat()
        #expect(lstat(planted.path, &st) == 0, "the planted entry is left where it was")
        // A new set is still written, beside the planted entry.
        try folder.replace(with: files("new"))
        #expect(try contents(folder.url) == ["a.txt": "a new", "b.txt": "b new"])
    }

    @Test func aWriteThatFailsMidwayLeavesTheOldSetAndNoStaging() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let owned = names.union(["missing-folder/c.txt"])
        let folder = OutputFolder(url: root.appendingPathComponent("out"), ownedNames: owned)
        try folder.replace(with: files("old"))
        // The first file is written, the second cannot be created (its folder does not exist).
        let bad = files("new") + [("missing-folder/c.txt", Array("c".utf8))]
        #expect(throws: CLIError.self) { try folder.replace(with: bad) }
        #expect(try contents(folder.url) == ["a.txt": "a old", "b.txt": "b old"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["out"])
    }
}
