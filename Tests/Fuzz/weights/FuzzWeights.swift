// libFuzzer entry point for the weight-file readers (safetensors, ONNX/protobuf, zip+inflate).
// Not part of the SwiftPM build: Tests/Fuzz/weights/run.sh compiles it together with
// Sources/NSTWeights using `swiftc -sanitize=fuzzer,address` (libFuzzer supplies main).
// Every input must either parse or throw; a trap, overflow or memory error is a finding.
import Foundation

/// Which reader to fuzz: NST_FUZZ_TARGET = safetensors | onnx | zip.
let fuzzTarget = ProcessInfo.processInfo.environment["NST_FUZZ_TARGET"] ?? "safetensors"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let data = bytes.map { Data(bytes: $0, count: size) } ?? Data()
    switch fuzzTarget {
    case "onnx": _ = try? ONNXModel.parse(data, file: "fuzz")
    case "zip": _ = try? ZipArchive(data: data, file: "fuzz").extract(DefaultModel.onnxMember)
    default: _ = try? SafeTensorsFile.parse(data, file: "fuzz")
    }
    return 0
}
