import Foundation
@testable import NSTImage

/// A committed fixture (Tests/NSTImageTests/Fixtures, written by make_fixtures.py).
func fixture(_ name: String) -> URL {
    Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(name)
}

/// The experiment's images, committed in Examples/images/.
func exampleImage(_ name: String) -> URL? {
    var dir = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { dir = dir.deletingLastPathComponent() }
    let url = dir.appendingPathComponent("Examples/images").appendingPathComponent(name)
    return FileManager.default.fileExists(atPath: url.path) ? url : nil
}

/// Reads a fixture expecting failure; returns the error.
func readError(_ name: String, limits: ImageLimits = ImageLimits()) -> ImageError? {
    do {
        _ = try ImageIO.read(fixture(name), limits: limits)
        return nil
    } catch let e as ImageError {
        return e
    } catch {
        return nil
    }
}

func approx(_ a: RGBColor, _ b: RGBColor, tolerance: Float) -> Bool {
    abs(a.red - b.red) <= tolerance && abs(a.green - b.green) <= tolerance && abs(a.blue - b.blue) <= tolerance
}

func rgb8(_ r: Int, _ g: Int, _ b: Int) -> RGBColor {
    RGBColor(Float(r) / 255, Float(g) / 255, Float(b) / 255)
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("nst-image-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
