import Foundation
import NSTFileIO

/// Every reader in NSTWeights fails with this error: one line that names the file and the
/// exact problem, e.g. `model.safetensors: tensor "features.0.weight": data_offsets [0, 12]
/// hold 12 bytes but F32 × [64, 3, 3, 3] needs 6912`.
public struct WeightFileError: Error, LocalizedError, CustomStringConvertible, Equatable {
    /// The file as the user named it (a path), or a label such as "<memory>" in tests.
    public var file: String
    /// What is wrong, in one line, without the file name.
    public var problem: String

    public init(file: String, _ problem: String) {
        self.file = file
        self.problem = Self.oneLine(problem)
    }

    /// `s` with control characters and line/paragraph separators written as Swift escapes
    /// (`\n`, `\u{1B}`): names read from a file (a tensor, a zip member) may hold a newline,
    /// and the message must stay one line whatever the file holds.
    static func oneLine(_ s: String) -> String { CLIError.escaped(s) }

    public var description: String { "\(file): \(problem)" }
    public var errorDescription: String? { description }
}

/// Opens a weight file (or a wheel) the user named, as a regular file only: a FIFO or device
/// is refused as what it is instead of blocking or reading without end.
func openWeightFile(_ path: String, shownAs shown: String? = nil) throws -> RegularFile {
    let name = shown ?? path
    switch RegularFile.open(path) {
    case .success(let file): return file
    case .failure(.cannotOpen(let e)):
        throw WeightFileError(file: name, e == ENOENT ? "no such file" : "cannot be read (\(RegularFile.errorText(e)))")
    case .failure(.notRegular(.folder)): throw WeightFileError(file: name, "is a directory, not a file")
    case .failure(.notRegular(let kind)): throw WeightFileError(file: name, "is \(kind.description), not a regular file; give a weight file")
    }
}

/// Reads a whole file for parsing, with read(2) into memory: a mapping would turn a file that
/// shrinks while it is read (another process truncating it) into SIGBUS, while read simply
/// returns less. A file whose length changes while it is read, or a missing or unreadable
/// one, becomes a `WeightFileError` naming it.
func readFileBytes(_ url: URL) throws -> Data {
    let path = url.path
    let file = try openWeightFile(path)
    switch file.readAll() {
    case .success(let bytes): return Data(bytes)
    case .failure(.errno(let e)): throw WeightFileError(file: path, "cannot be read (\(RegularFile.errorText(e)))")
    case .failure(.changed(shorter: true, let n)):
        throw WeightFileError(file: path, "became shorter while it was read (\(n) of \(file.size) bytes); is another program writing it?")
    case .failure(.changed(shorter: false, _)):
        throw WeightFileError(file: path, "became longer while it was read; is another program writing it?")
    }
}

/// Atomic file replacement through NSTFileIO's one-file transaction: the bytes go to a
/// temporary file in the same directory, are flushed to disk, and only then renamed over
/// `url`. A crash or Ctrl-C leaves either the old file or the new one, never a half-written one.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        // A failed write is the output's problem, not the weights': the I/O error as it is (exit 74).
        try OutputTransaction.createFolders(directory.path)
        try OutputTransaction.write([UInt8](data), to: url.path, permissions: 0o644)
    }
}
