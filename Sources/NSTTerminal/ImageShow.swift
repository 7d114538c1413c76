import Foundation
import NSTImage

/// What `nst show` prints for some image files: the readable ones side by side (half-block
/// cells), or, when not drawing, one line per image, `PATH WIDTH×HEIGHT FORMAT`. Files that
/// cannot be read are returned with their error; the others are still shown.
public enum ImageShow {
    public static func render(paths: [String], limits: ImageLimits, draw: Bool, mode: TerminalColorMode,
                              width: Int, maxRows: Int?) -> (text: String, failures: [Error]) {
        var shown: [(image: RGBImage, label: String)] = []
        var listed = ""
        var failures: [Error] = []
        for path in paths {
            do {
                let (image, format) = try ImageIO.readWithFormat(URL(fileURLWithPath: path), limits: limits)
                let size = "\(image.width)×\(image.height)"
                listed += "\(path) \(size) \(format.name)\n"
                shown.append((image, "\((path as NSString).lastPathComponent) \(size)"))
            } catch {
                failures.append(error)
            }
        }
        let text = draw ? TerminalImageRenderer(mode: mode).renderSideBySide(shown, width: width, maxRows: maxRows) : listed
        return (text, failures)
    }
}
