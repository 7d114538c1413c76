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

/// Reads a whole file for parsing. Large files are memory-mapped (no copy into the heap);
/// a missing or unreadable file becomes a `WeightFileError` naming it.
func readFileBytes(_ url: URL) throws -> Data {
    let path = url.path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw WeightFileError(file: path, "no such file")
    }
    if isDirectory.boolValue { throw WeightFileError(file: path, "is a directory, not a file") }
    do {
        return try Data(contentsOf: url, options: .alwaysMapped)
    } catch {
        throw WeightFileError(file: path, "cannot be read (\(error.localizedDescription))")
    }
}

/// Atomic file replacement through NSTFileIO's one-file transaction: the bytes go to a
/// temporary file in the same directory, are flushed to disk, and only then renamed over
/// `url`. A crash or Ctrl-C leaves either the old file or the new one, never a half-written one.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw WeightFileError(file: directory.path, "cannot create this directory (\((error as NSError).localizedFailureReason ?? error.localizedDescription))")
        }
        do {
            try OutputTransaction.write([UInt8](data), to: url.path, permissions: 0o644)
        } catch {
            throw WeightFileError(file: error.file ?? url.path, "\(error.what): \(error.why)")
        }
    }
}
