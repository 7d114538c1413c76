import FuzzDriver
import NSTImage

/// Small limits keep the image fuzzers on parsing rather than on allocating big (valid) images.
public let fuzzImageLimits = ImageLimits(maxSide: 2048, maxPixels: 1 << 20, maxFileBytes: 1 << 20)

/// Decodes `bytes`. On success: positive size, one RGB triple per pixel, every value in 0…1,
/// and writing the image as PNG and reading it back gives the same pixels. On failure: an
/// ImageError of one line naming the file.
public func checkImage(_ bytes: [UInt8]) {
    do {
        let (image, _) = try ImageIO.decode(bytes, path: fuzzFile, limits: fuzzImageLimits)
        precondition(image.width > 0 && image.height > 0 && image.pixels.count == 3 * image.width * image.height)
        precondition(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, "pixel outside 0…1")
        let again = try ImageIO.decode(try ImageIO.encodePNG(image), path: "round-trip", limits: fuzzImageLimits).image
        precondition(again == image, "PNG round trip changed the pixels")
    } catch let e as ImageError {
        expectOneLineNamingFile(e.description)
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
}
