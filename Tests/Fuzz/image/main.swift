// Fuzz target for the PNG and JPEG readers (ImageIO.decode).
//
// Built by scripts/fuzz.sh with `-sanitize=fuzzer,address -D NST_FUZZ`: main hands control
// to libFuzzer's LLVMFuzzerRunDriver. Built normally (swift build), the same binary replays
// files instead: `nst-fuzz-image FILE|DIR…` decodes each once and checks the invariants, which
// is how crashes found by the fuzzer are re-run.
import Foundation
import NSTImage

/// Small limits keep the fuzzer on parsing rather than on allocating big (valid) images.
let fuzzLimits = ImageLimits(maxSide: 2048, maxPixels: 1 << 20, maxFileBytes: 1 << 20)

/// Decodes `bytes`; on success checks the image's invariants and that writing it as PNG
/// and reading that back gives the same pixels; on failure checks the message is one line.
func checkOne(_ bytes: [UInt8]) {
    do {
        let (image, _) = try ImageIO.decode(bytes, path: "input", limits: fuzzLimits)
        precondition(image.width > 0 && image.height > 0 && image.pixels.count == 3 * image.width * image.height)
        precondition(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, "pixel outside 0…1")
        let again = try ImageIO.decode(try ImageIO.encodePNG(image), path: "round-trip", limits: fuzzLimits).image
        precondition(again == image, "PNG round trip changed the pixels")
    } catch let e as ImageError {
        let text = e.description
        precondition(text.hasPrefix("input: ") && !text.contains("\n"), "bad message: \(text)")
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    checkOne(size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : [])
    return 0
}

#if NST_FUZZ
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzTestOneInput(data, size) })
#else
var files: [String] = []
for arg in CommandLine.arguments.dropFirst() {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: arg, isDirectory: &isDirectory), isDirectory.boolValue {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: arg)) ?? []
        files += names.sorted().map { arg + "/" + $0 }
    } else {
        files.append(arg)
    }
}
if files.isEmpty {
    FileHandle.standardError.write(Data("usage: nst-fuzz-image FILE|DIR… (replays inputs; scripts/fuzz.sh fuzzes)\n".utf8))
    exit(64)
}
for file in files {
    guard let data = FileManager.default.contents(atPath: file) else {
        FileHandle.standardError.write(Data("error: \(file): cannot read\n".utf8))
        exit(1)
    }
    checkOne([UInt8](data))
}
print("replayed \(files.count) inputs without a failure")
#endif
