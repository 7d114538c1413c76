import Foundation
import Testing
@testable import NSTWeights

/// Inputs the fuzzers (`scripts/fuzz.sh safetensors onnx zip`) found breaking a property;
/// each stays a test.
@Suite struct WeightFuzzRegressionTests {
    /// Found by the zip target: a central-directory member name holding a newline was
    /// printed raw, so the error took two lines. Names are now escaped (`\n`).
    @Test func zipMemberNameWithANewlineStaysOneLine() throws {
        let data = try Data(contentsOf: fixture("fuzz-zip-member-name-newline.zip"))
        do {
            _ = try ZipArchive(data: data, file: "crash.zip").extract(DefaultModel.onnxMember)
            Issue.record("a corrupt archive was accepted")
        } catch let e as WeightFileError {
            #expect(!e.description.contains("\n") && e.description.hasPrefix("crash.zip: "), "\(e.description)")
            #expect(e.description.contains("\\n"), "the newline is shown escaped: \(e.description)")
        }
    }

    /// Found by the ONNX target: the same with an initializer name.
    @Test func onnxInitializerNameWithANewlineStaysOneLine() throws {
        let data = try Data(contentsOf: fixture("fuzz-onnx-initializer-name-newline.onnx"))
        do {
            _ = try ONNXModel.parse(data, file: "crash.onnx")
            Issue.record("a corrupt model was accepted")
        } catch let e as WeightFileError {
            #expect(!e.description.contains("\n") && e.description.hasPrefix("crash.onnx: initializer "), "\(e.description)")
        }
    }

    /// The same class of bug in the safetensors reader (found by reading the code after the
    /// zip finding): a JSON-escaped newline in a tensor name.
    @Test func safetensorsTensorNameWithANewlineStaysOneLine() {
        let data = craftSafeTensors(header: #"{"a\nb":{"dtype":"X","shape":[],"data_offsets":[0,0]}}"#)
        let problem = parseProblem(data)
        #expect(problem.contains(#"tensor "a\nb": unknown dtype "X""#), "\(problem)")
    }

    @Test func oneLineEscapesOnlyWhatBreaksALine() {
        #expect(WeightFileError.oneLine("plain “text” é") == "plain “text” é")
        #expect(WeightFileError.oneLine("a\nb\rc\u{1B}d\u{2028}e") == #"a\nb\rc\u{1B}d\u{2028}e"#)
    }
}
