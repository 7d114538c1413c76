import Foundation
import NSTImage
import _CExampleImages

/// The experiment's two images, built into the binary (`_CExampleImages`): an installed nst
/// runs `nst experiment style-depth` from any folder, with no file beside it. The bytes are
/// the committed files of Examples/images/ (credits in its README.md).
public enum ExampleImage: String, CaseIterable, Sendable {
    case seaTurtle = "sea-turtle.jpg"
    case greatWave = "great-wave.jpg"

    /// The file's bytes, exactly as committed.
    public var bytes: [UInt8] {
        var count = 0
        let start = self == .seaTurtle ? nst_example_sea_turtle_jpg(&count) : nst_example_great_wave_jpg(&count)
        guard let start else { return [] }
        return Array(UnsafeBufferPointer(start: start, count: count))
    }

    /// How sidecars, metrics and errors name it: the file it was built from.
    public var name: String { "Examples/images/\(rawValue) (built in)" }
}

/// An image a command reads: a file the user named, or one built into nst.
public enum ImageInput: Sendable, Equatable {
    case file(String)
    case builtIn(ExampleImage)

    /// The path, or the built-in image's name (what sidecars record and errors print).
    public var name: String {
        switch self {
        case .file(let path): return path
        case .builtIn(let image): return image.name
        }
    }

    /// The file, for the check that an output never overwrites an input; nil when built in.
    public var fileURL: URL? {
        if case .file(let path) = self { return URL(fileURLWithPath: path) }
        return nil
    }

    /// Decodes it. A file that cannot be read is one `CLIError` naming `flag` and the file,
    /// with what to do: check the path, or leave the flag out to use the built-in image.
    public func read(flag: String) throws -> RGBImage {
        switch self {
        case .file(let path):
            return try ImageIO.read(path, flag: flag,
                                    hint: "check the path, or leave out \(flag) to use the built-in image")
        case .builtIn(let image):
            return try ImageIO.decode(image.bytes, path: image.name).image
        }
    }
}
