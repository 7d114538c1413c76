import Foundation
import NSTWeights
import Testing

@Suite struct FormatDetectionTests {
    /// A copy of a fixture under a name without an extension, so only its bytes can tell.
    func withoutExtension(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nst-format-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: fixture(name), to: url)
        return url
    }

    @Test func byExtensionThenByContent() throws {
        #expect(try ModelImport.detectFormat(URL(fileURLWithPath: "/nowhere/w.SafeTensors"), file: "w") == .safetensors)
        #expect(try ModelImport.detectFormat(URL(fileURLWithPath: "/nowhere/w.hdf5"), file: "w") == .kerasH5)
        for (name, format) in [("tiny_vgg16.onnx", ModelImport.Format.onnx), ("tiny_vgg19_notop.h5", .kerasH5),
                               ("tiny_vgg16.keras", .keras), ("tiny_vgg16.safetensors", .safetensors)] {
            let url = try withoutExtension(name)
            defer { try? FileManager.default.removeItem(at: url) }
            #expect(try ModelImport.detectFormat(url, file: "weights") == format, "\(name)")
            let (result, kind) = try ModelImport.load(url, file: "weights", format: nil, architecture: nil)
            #expect(kind == format && result.check.parameterCount > 0, "\(name)")
        }
    }

    @Test func unknownBytesAndMissingFilesNameTheFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nst-format-\(UUID().uuidString)")
        try Data("plain text".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect { try ModelImport.detectFormat(url, file: "notes") } throws: { error in
            "\(error)".hasPrefix("notes: unknown format") && "\(error)".contains("--format")
        }
        #expect { try ModelImport.detectFormat(URL(fileURLWithPath: "/nonexistent/w"), file: "/nonexistent/w") } throws: { error in
            "\(error)" == "/nonexistent/w: no such file"
        }
    }
}
