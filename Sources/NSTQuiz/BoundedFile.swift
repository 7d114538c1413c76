import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a small text file (a bank, an answers file) without trusting it: only a regular
/// file is read (a FIFO would block, a device such as /dev/zero never ends), and never
/// more than `maxBytes` + 1 bytes. The reason for a refusal is the true one: "is a FIFO",
/// "is a device", "is a folder", "no such file", "permission denied".
public enum BoundedFile {
    public struct Problem: Error, Sendable, Equatable {
        public var message: String
        /// The file is larger than the limit (the caller says how to raise it).
        public var tooLarge = false
    }

    public static func read(_ path: String, maxBytes: Int) -> Result<Data, Problem> {
        var st = stat()
        guard stat(path, &st) == 0 else { return .failure(Problem(message: errnoText(errno))) }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: return .failure(Problem(message: "it is a folder, not a file"))
        case S_IFIFO: return .failure(Problem(message: "it is a FIFO (a named pipe), not a regular file"))
        case S_IFCHR, S_IFBLK: return .failure(Problem(message: "it is a device, not a regular file"))
        case S_IFSOCK: return .failure(Problem(message: "it is a socket, not a regular file"))
        default: return .failure(Problem(message: "it is not a regular file"))
        }
        if Int(st.st_size) > maxBytes {
            return .failure(Problem(message: "file is \(st.st_size) bytes, over the limit of \(maxBytes) bytes", tooLarge: true))
        }
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { return .failure(Problem(message: errnoText(errno))) }
        defer { close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while data.count <= maxBytes {
            let n = buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(Problem(message: errnoText(errno)))
            }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        if data.count > maxBytes {
            return .failure(Problem(message: "file is over the limit of \(maxBytes) bytes", tooLarge: true))
        }
        return .success(data)
    }

    static func errnoText(_ e: Int32) -> String {
        if e == ENOENT { return "no such file" }
        return String(cString: strerror(e)).lowercased()
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
