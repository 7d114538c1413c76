import Foundation
import NSTFileIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a small text file (a bank, an answers file) without trusting it: only a regular
/// file is read (`RegularFile`: a FIFO would block, a device such as /dev/zero never ends),
/// and never more than `maxBytes` + 1 bytes. The reason for a refusal is the true one: "is a
/// FIFO", "is a character device", "is a folder", "no such file", "permission denied".
public enum BoundedFile {
    public struct Problem: Error, Sendable, Equatable {
        public var message: String
        /// The file is larger than the limit (the caller says how to raise it).
        public var tooLarge = false
    }

    public static func read(_ path: String, maxBytes: Int) -> Result<Data, Problem> {
        let file: RegularFile
        switch RegularFile.open(path) {
        case .success(let f): file = f
        case .failure(let refusal): return .failure(Problem(message: refusal.reason))
        }
        if file.size > maxBytes {
            return .failure(Problem(message: "file is \(file.size) bytes, over the limit of \(maxBytes) bytes", tooLarge: true))
        }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while data.count <= maxBytes {
            let n = buffer.withUnsafeMutableBytes { file.read(into: $0) }
            if n < 0 { return .failure(Problem(message: RegularFile.errorText(errno))) }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        if data.count > maxBytes {
            return .failure(Problem(message: "file is over the limit of \(maxBytes) bytes", tooLarge: true))
        }
        return .success(data)
    }
}

/// read(2) and write(2), by names that methods called `read`/`write` do not shadow.
func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, buffer, count)
    #else
    return Darwin.read(fd, buffer, count)
    #endif
}

func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
