import Testing
import Foundation
import NSTStyleJobs
import NSTImage

/// The images built into nst are the committed files of Examples/images/, byte for byte, and
/// decode; a missing file names the flag, the file and what to do.
@Suite struct ExampleImageTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test(arguments: ExampleImage.allCases)
    func theBuiltInImageIsTheCommittedFile(_ image: ExampleImage) throws {
        let committed = try Data(contentsOf: Self.root.appendingPathComponent("Examples/images/\(image.rawValue)"))
        #expect(image.bytes.count == committed.count)
        #expect(Data(image.bytes) == committed)
        let decoded = try ImageInput.builtIn(image).read(flag: "--content")
        #expect(decoded.width > 100 && decoded.height > 100)
    }

    @Test func aMissingFileSaysWhatToDo() {
        #expect {
            _ = try ImageInput.file("/no/such/turtle.jpg").read(flag: "--content")
        } throws: { error in
            let text = "\(error)"
            return text.contains("--content") && text.contains("/no/such/turtle.jpg") && text.contains("leave out --content")
        }
    }
}
