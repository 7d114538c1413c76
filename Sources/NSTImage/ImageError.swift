import Foundation

/// Why an image could not be read or written. `description` is one line that starts with
/// the file's path and says what is wrong and, where there is one, what to do about it.
public struct ImageError: Error, LocalizedError, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// open(2)/read(2) failed; the system's reason (e.g. "No such file or directory").
        case cannotOpen(String)
        case isDirectory
        /// A FIFO, device or socket: named by what it is. Never read (a FIFO would block).
        case notRegularFile(String)
        case empty
        /// The bytes are not PNG or JPEG. `detected` names what they look like, if known.
        case notAnImage(detected: String?)
        /// A known image format nst does not read (GIF, WebP, …).
        case unsupportedFormat(String)
        /// The file ends before the image does.
        case truncated(format: ImageFormat, detail: String)
        /// The decoder rejected the data.
        case corrupt(format: ImageFormat, detail: String)
        /// The header declares a width or height of 0 (or has no usable frame header).
        case zeroSize(format: ImageFormat, width: Int, height: Int)
        /// Bigger than `ImageLimits` allow: refused before any pixel memory is allocated.
        case tooLarge(width: Int, height: Int, limits: ImageLimits)
        /// The file itself is larger than `ImageLimits.maxFileBytes`.
        case fileTooLarge(bytes: Int, limit: Int)
        case writeFailed(String)
    }

    public let path: String
    public let kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public var description: String { "\(path): \(problem)" }
    public var errorDescription: String? { description }

    /// The part after "path: ".
    public var problem: String {
        switch kind {
        case .cannotOpen(let why): return "cannot open the file (\(why))"
        case .isDirectory: return "is a directory, not an image file"
        case .notRegularFile(let what): return "is \(what), not a regular file; nst reads images only from files"
        case .empty: return "the file is empty (0 bytes), not an image"
        case .notAnImage(let detected?): return "not a PNG or JPEG image (it looks like \(detected))"
        case .notAnImage(nil): return "not a PNG or JPEG image (unrecognised first bytes)"
        case .unsupportedFormat(let name):
            return "is a \(name) image; nst reads only PNG and JPEG — convert it first (e.g. `convert FILE out.png`)"
        case .truncated(let format, let detail):
            return "truncated \(format.name) file: it ends before the image does (\(detail))"
        case .corrupt(let format, let detail): return "corrupt \(format.name) file (\(detail))"
        case .zeroSize(let format, let w, let h):
            return "corrupt \(format.name) file: its header declares \(w)×\(h) pixels (an empty image)"
        case .tooLarge(let w, let h, let limits):
            return "image too large: \(w)×\(h) (\(w * h) pixels) exceeds the limit of "
                + "\(limits.maxSide) pixels per side and \(limits.maxPixels) pixels in all; "
                + "raise it with \(ImageLimits.sideVariable)=N / \(ImageLimits.pixelsVariable)=N"
        case .fileTooLarge(let bytes, let limit):
            return "file too large (\(bytes) bytes; the limit is \(limit) bytes; raise it with \(ImageLimits.bytesVariable)=N)"
        case .writeFailed(let why): return "cannot write the PNG (\(why))"
        }
    }
}

/// Limits that protect the machine from huge or hostile images. They are checked against
/// the dimensions declared in the file's header, before any pixel memory is allocated.
///
/// Defaults: 16384 pixels per side, 50 megapixels (600 MB as Float RGB), 256 MB per file.
/// `ImageLimits.default` is what every read uses unless given other limits: the built-in
/// ones until the program sets it once at start (nst sets it from the environment variables
/// `NST_MAX_IMAGE_SIDE`, `NST_MAX_IMAGE_PIXELS` and `NST_MAX_IMAGE_BYTES`, `fromEnvironment`),
/// so every command that reads images can have its limits raised without a flag of its own.
public struct ImageLimits: Equatable, Sendable {
    public var maxSide: Int
    public var maxPixels: Int
    public var maxFileBytes: Int

    public init(maxSide: Int = 16384, maxPixels: Int = 50_000_000, maxFileBytes: Int = 256 << 20) {
        self.maxSide = maxSide
        self.maxPixels = maxPixels
        self.maxFileBytes = maxFileBytes
    }

    public static let sideVariable = "NST_MAX_IMAGE_SIDE"
    public static let pixelsVariable = "NST_MAX_IMAGE_PIXELS"
    public static let bytesVariable = "NST_MAX_IMAGE_BYTES"

    /// The limits of every read not given others (see above). Set once, before any read.
    nonisolated(unsafe) public static var `default` = ImageLimits()

    /// The built-in limits, each overridden by its variable above when it holds a positive integer.
    public static func fromEnvironment(_ env: [String: String]) -> ImageLimits {
        var l = ImageLimits()
        func positive(_ key: String) -> Int? {
            guard let s = env[key], let v = Int(s.trimmingCharacters(in: .whitespaces)), v > 0 else { return nil }
            return v
        }
        if let v = positive(sideVariable) { l.maxSide = v }
        if let v = positive(pixelsVariable) { l.maxPixels = v }
        if let v = positive(bytesVariable) { l.maxFileBytes = v }
        return l
    }

    /// True when a `width × height` image is within the limits (no overflow: sides are
    /// checked before their product).
    public func allows(width: Int, height: Int) -> Bool {
        guard width <= maxSide, height <= maxSide else { return false }
        let (product, overflow) = width.multipliedReportingOverflow(by: height)
        return !overflow && product <= maxPixels
    }
}
