// Fuzz target for the ONNX reader (its own protobuf decoder): any bytes either parse into
// initializers whose values match their shapes, or throw one WeightFileError line naming the file.
import Foundation
import FuzzDriver
import NSTWeights

fuzzMain { bytes in
    do {
        let model = try ONNXModel.parse(Data(bytes), file: fuzzFile)
        for (_, t) in model.initializers {
            precondition(t.values.count == t.shape.reduce(1, *), "values do not match the shape")
        }
    } catch let e as WeightFileError {
        expectOneLineNamingFile(e.description)
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
}
