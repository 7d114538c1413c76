// Fuzz target for the safetensors reader: any bytes either parse into tensors whose values
// match their shapes, or throw one WeightFileError line naming the file.
import Foundation
import FuzzDriver
import NSTWeights

fuzzMain { bytes in
    do {
        let file = try SafeTensorsFile.parse(Data(bytes), file: fuzzFile)
        for (_, t) in file.tensors {
            precondition(t.shape.allSatisfy { $0 >= 0 })
            precondition(t.values.count == t.shape.reduce(1, *), "values do not match the shape")
        }
    } catch let e as WeightFileError {
        expectOneLineNamingFile(e.description)
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
}
