// The part every fuzz target shares: libFuzzer's entry points and the "one line naming the
// file" check on error messages.
//
// A target's main.swift calls `fuzzMain { bytes in … }`. That hands control to libFuzzer's
// LLVMFuzzerRunDriver (SwiftPM's usual -parse-as-library recipe does not link here; a Swift
// `main` calling the driver does). LLVMFuzzerTestOneInput is also exported, as libFuzzer's own
// main expects. Given file arguments instead of a corpus directory, libFuzzer replays them once:
// that is how a crash is re-run (`.build-fuzz/debug/fuzz-png Tests/Fuzz/artifacts/png/crash-…`).
import Foundation

/// The label fuzz targets give their input; error messages must start with it.
public let fuzzFile = "input"

nonisolated(unsafe) private var check: ([UInt8]) -> Void = { _ in }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    check(size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : [])
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// Runs libFuzzer with the command line's options and corpus directories, calling `body` on
/// every input. `body` traps (precondition) when a property fails; libFuzzer saves the input.
public func fuzzMain(_ body: @escaping ([UInt8]) -> Void) -> Never {
    check = body
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzTestOneInput(data, size) })
}

/// An error's text must be one line that starts with `input: ` (the file the user named).
public func expectOneLineNamingFile(_ text: String, _ what: String = "error") {
    precondition(text.hasPrefix(fuzzFile + ": ") || text.hasPrefix(fuzzFile + ":"), "\(what) does not name the file: \(text)")
    precondition(!text.contains("\n"), "\(what) is not one line: \(text)")
}
