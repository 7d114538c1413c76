import Foundation
import Testing
@testable import NSTWeights

/// The default model as `nst model fetch` installed it (scripts/test.sh fetches it before the
/// tests; without it these tests are skipped). The fetch is deterministic, so the file is
/// byte-identical everywhere.
let fetchedDefaultModel: URL? = {
    guard let url = ModelStore.defaultModel(), url.lastPathComponent == "vgg16.safetensors",
          let file = try? SafeTensorsFile.read(url), file.metadata["source"] == ModelImport.detectTumorSource else { return nil }
    return url
}()

@Suite(.enabled(if: fetchedDefaultModel != nil, "no model from `nst model fetch` installed"))
struct InstalledModelTests {
    static var fetched: URL? { fetchedDefaultModel }

    @Test func isTheImageNetVGG16WithCaffePreprocessing() throws {
        let url = try #require(Self.fetched)
        let file = try SafeTensorsFile.read(url)
        let check = try VGGLayout.check(file.tensors, architecture: nil, file: url.path)
        #expect(check.architecture == .vgg16 && check.standardWidths)
        #expect(check.parameterCount == 14_714_688)
        #expect(file.tensors.count == 26)
        #expect(try ModelMetadata(file.metadata, file: url.path) == .caffe(architecture: .vgg16, source: ModelImport.detectTumorSource, license: ModelImport.vggLicense))
        #expect(file.metadata["source.sha256"] == DefaultModel.onnxSHA256)
        // The bytes every fetch has installed (docs/measurements/2026-11-29-model-fetch.md).
        #expect(try SHA256.hex(ofFile: url) == "ba8ef30b1712c594bfffdc41566a4a9081ef93babcfa4fc3a0508829e42d9af8")
    }
}
