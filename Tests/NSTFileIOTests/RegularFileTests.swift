import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import NSTFileIO

/// RegularFile: a regular file opens with its size and reads from any offset; anything else is
/// refused as what it is, at once (a FIFO with no writer must not block).
@Suite("RegularFile")
struct RegularFileTests {
    func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nst-regularfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func refusal(_ path: String) -> RegularFile.Refusal? {
        if case .failure(let r) = RegularFile.open(path) { return r }
        return nil
    }

    @Test func aRegularFileOpensWithItsSizeAndReadsFromAnyOffset() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("f.txt").path
        try Data("hello, world".utf8).write(to: URL(fileURLWithPath: path))
        let file = try RegularFile.open(path).get()
        #expect(file.size == 12)
        var buffer = [UInt8](repeating: 0, count: 5)
        #expect(buffer.withUnsafeMutableBytes { file.read(at: 7, into: $0) } == 5)
        #expect(String(decoding: buffer, as: UTF8.self) == "world")
        // read(at:) leaves the position alone: a plain read still starts at 0.
        #expect(buffer.withUnsafeMutableBytes { file.read(into: $0) } == 5)
        #expect(String(decoding: buffer, as: UTF8.self) == "hello")
        #expect(buffer.withUnsafeMutableBytes { file.read(at: 12, into: $0) } == 0)
    }

    @Test func aMissingFileAndAnUnreadableOneSayWhy() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("none").path
        #expect(refusal(missing) == .cannotOpen(errno: ENOENT))
        #expect(refusal(missing)?.reason == "no such file")
        // Through a file where a folder is expected: ENOTDIR, in words.
        let file = dir.appendingPathComponent("f").path
        try Data().write(to: URL(fileURLWithPath: file))
        #expect(refusal(file + "/x")?.reason == "not a directory")
    }

    @Test func foldersFIFOsDevicesAndSocketsAreRefusedAsWhatTheyAre() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(refusal(dir.path) == .notRegular(.folder))
        #expect(refusal(dir.path)?.reason == "it is a folder, not a regular file")
        let fifo = dir.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(refusal(fifo) == .notRegular(.fifo))   // no writer: returns at once
        #expect(refusal("/dev/null") == .notRegular(.characterDevice))
        #expect(refusal("/dev/null")?.reason == "it is a character device, not a regular file")
        // A socket cannot be opened at all; stat names it.
        let socketPath = dir.appendingPathComponent("s").path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in socketPath.utf8.prefix(raw.count - 1).enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0, "bind \(socketPath): \(String(cString: strerror(errno)))")
        #expect(refusal(socketPath) == .notRegular(.socket))
    }
}
