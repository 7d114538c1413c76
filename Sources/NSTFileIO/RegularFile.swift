import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file nst reads from a path it was handed (an image, a weight file, a bank, an answers
/// file), opened only if it is a regular file.
///
/// Contract:
/// - `open` opens read-only, close-on-exec and non-blocking, so a FIFO without a writer
///   cannot hang the open, then `fstat`s the descriptor it holds (no race between the check
///   and the read) and keeps it only for a regular file. A folder, FIFO, device or socket is
///   refused as what it is; a socket, which cannot be opened at all, is found by `stat`.
/// - The descriptor is closed when the value is released.
/// - `read` and `read(at:)` retry on EINTR and return what read(2)/pread(2) return otherwise
///   (0 at the end of the file; -1 with `errno` set).
public final class RegularFile {
    /// What the path is instead of a regular file.
    public enum Kind: Sendable, Equatable {
        case folder, fifo, characterDevice, blockDevice, socket, other

        /// With its article, for "… is a FIFO (named pipe), not a regular file".
        public var description: String {
            switch self {
            case .folder: "a folder"
            case .fifo: "a FIFO (named pipe)"
            case .characterDevice: "a character device"
            case .blockDevice: "a block device"
            case .socket: "a socket"
            case .other: "not a regular file"
            }
        }

        init?(mode: mode_t) {
            switch mode & S_IFMT {
            case S_IFREG: return nil
            case S_IFDIR: self = .folder
            case S_IFIFO: self = .fifo
            case S_IFCHR: self = .characterDevice
            case S_IFBLK: self = .blockDevice
            case S_IFSOCK: self = .socket
            default: self = .other
            }
        }
    }

    public enum Refusal: Error, Sendable, Equatable {
        /// open(2) or fstat(2) failed with this errno (ENOENT: no such file).
        case cannotOpen(errno: Int32)
        case notRegular(Kind)

        /// "no such file", "permission denied", "it is a folder, not a regular file"…
        public var reason: String {
            switch self {
            case .cannotOpen(let e): RegularFile.errorText(e)
            case .notRegular(let kind): kind == .other ? "it is not a regular file" : "it is \(kind.description), not a regular file"
            }
        }
    }

    /// An errno in words: "no such file", "permission denied", "input/output error".
    public static func errorText(_ e: Int32) -> String {
        e == ENOENT ? "no such file" : String(cString: strerror(e)).lowercased()
    }

    public let descriptor: Int32
    /// The size `fstat` gave when the file was opened (a file can still grow or shrink).
    public let size: Int

    private init(descriptor: Int32, size: Int) {
        self.descriptor = descriptor
        self.size = size
    }

    deinit { close(descriptor) }

    public static func open(_ path: String) -> Result<RegularFile, Refusal> {
        let fd = systemOpen(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let e = errno
            var st = stat()
            if stat(path, &st) == 0, let kind = Kind(mode: st.st_mode) { return .failure(.notRegular(kind)) }
            return .failure(.cannotOpen(errno: e))
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            return .failure(.cannotOpen(errno: e))
        }
        if let kind = Kind(mode: st.st_mode) {
            close(fd)
            return .failure(.notRegular(kind))
        }
        return .success(RegularFile(descriptor: fd, size: Int(st.st_size)))
    }

    /// The whole file, read with pread(2) (not mapped: a file that shrinks while it is read is
    /// an error, never a SIGBUS). Fails with the errno of a failed read, or with `EIO` when the
    /// file's length changes while it is read.
    public func readAll() -> Result<[UInt8], ReadFailure> {
        var bytes = [UInt8](repeating: 0, count: size)
        var offset = 0
        while offset < size {
            let n = bytes.withUnsafeMutableBytes { read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: $0[offset...])) }
            if n < 0 { return .failure(.errno(errno)) }
            if n == 0 { return .failure(.changed(shorter: true, readBytes: offset)) }
            offset += n
        }
        var probe: UInt8 = 0
        if withUnsafeMutableBytes(of: &probe, { read(at: size, into: $0) }) > 0 { return .failure(.changed(shorter: false, readBytes: size)) }
        return .success(bytes)
    }

    public enum ReadFailure: Error, Sendable {
        case errno(Int32)
        /// The file became shorter (after `readBytes`) or longer while it was read.
        case changed(shorter: Bool, readBytes: Int)
    }

    /// Up to `buffer.count` bytes from the current position.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            #if canImport(Glibc)
            let n = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            #else
            let n = Darwin.read(descriptor, buffer.baseAddress, buffer.count)
            #endif
            if n < 0 && errno == EINTR { continue }
            return n
        }
    }

    /// Up to `buffer.count` bytes from `offset`, leaving the position alone.
    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            let n = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
            if n < 0 && errno == EINTR { continue }
            return n
        }
    }
}

/// open(2), by a name that `RegularFile.open` does not shadow.
private func systemOpen(_ path: String, _ flags: Int32) -> Int32 {
    #if canImport(Glibc)
    return Glibc.open(path, flags)
    #else
    return Darwin.open(path, flags)
    #endif
}
