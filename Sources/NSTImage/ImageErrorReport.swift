import Foundation
import NSTFileIO

extension ImageError {
    /// The one-line error a command reports for this image problem: what failed, the file,
    /// why, and the usual fix.
    public var cliError: CLIError {
        let (what, fix): (String, String)
        switch kind {
        case .cannotOpen: (what, fix) = ("cannot read the image", "check the path")
        case .writeFailed: (what, fix) = ("cannot write the image", "choose another output path")
        case .notAnImage, .unsupportedFormat: (what, fix) = ("cannot read the image", "give a PNG or JPEG file")
        case .isDirectory, .notRegularFile: (what, fix) = ("cannot read the image", "give an image file")
        case .tooLarge, .fileTooLarge: (what, fix) = ("cannot read the image", "")
        default: (what, fix) = ("cannot read the image", "re-export or re-download it")
        }
        var why = problem
        if case .cannotOpen(let reason) = kind { why = reason }
        return CLIError(what, file: path, why: why, fix: fix)
    }
}

extension ImageIO {
    /// Reads the image a command-line flag names; a failure is one `CLIError` naming the
    /// flag and the file ("cannot read the --content image (a.png): …"). `hint` replaces the
    /// fix when the file cannot be opened.
    public static func read(_ path: String, flag: String, hint: String = "") throws -> RGBImage {
        do {
            return try read(URL(fileURLWithPath: path))
        } catch let e as ImageError {
            var error = e.cliError
            error.what = "cannot read the \(flag) image"
            if case .cannotOpen = e.kind, !hint.isEmpty { error.fix = hint }
            throw error
        }
    }
}
