// swift-tools-version: 6.0
//
// libFuzzer targets for every parser that reads what a user hands nst: a package of its own so
// the main package's `swift build` / `swift test` never build them. Modules/ holds symlinks to
// the real modules in Sources/ (same dependency graph as the main Package.swift). Build and run
// with scripts/fuzz.sh (it adds -sanitize=fuzzer,address; a plain build does not link).
import PackageDescription

/// One executable per fuzz target: Tests/Fuzz/<name>/main.swift, seeds in Tests/Fuzz/corpus/<name>/.
func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: "fuzz-\(name)", dependencies: ["FuzzDriver"] + dependencies, path: name)
}
func module(_ name: String, _ dependencies: [Target.Dependency] = []) -> Target {
    .target(name: name, dependencies: dependencies, path: "Modules/\(name)")
}
func cLibrary(_ name: String, _ pkgConfig: String) -> Target {
    .systemLibrary(name: name, path: "Modules/\(name)", pkgConfig: pkgConfig)
}

let package = Package(
    name: "NSTFuzz",
    targets: [
        cLibrary("_CBLAS", "openblas"), cLibrary("_CPNG", "libpng16"), cLibrary("_CTurboJPEG", "libturbojpeg"),
        cLibrary("_CHDF5", "hdf5"), cLibrary("_CZlib", "zlib"),
        module("NSTTensor", ["_CBLAS"]), module("NSTGradCheck"), module("NSTLayers", ["NSTTensor"]),
        module("NSTWeights", ["_CHDF5", "_CZlib"]), module("NSTVGG", ["NSTLayers", "NSTWeights"]),
        module("NSTImage", ["_CPNG", "_CTurboJPEG"]), module("NSTTerminal", ["NSTImage"]), module("NSTFormula"),
        module("NSTCheck", ["NSTFormula", "NSTLayers", "NSTVGG", "NSTWeights", "NSTImage", "NSTGradCheck"]),
        module("NSTQuiz", ["NSTCheck", "NSTTerminal"]),

        // The libFuzzer entry points and the checks every target shares.
        .target(name: "FuzzDriver", path: "Driver"),
        .target(name: "ImageChecks", dependencies: ["FuzzDriver", "NSTImage"], path: "ImageChecks"),
        .target(name: "QuizChecks", dependencies: ["FuzzDriver", "NSTQuiz"], path: "QuizChecks"),
        fuzzTarget("formula", ["NSTFormula"]),
        fuzzTarget("bank", ["QuizChecks", "NSTQuiz"]),
        fuzzTarget("answers", ["QuizChecks", "NSTQuiz"]),
        fuzzTarget("safetensors", ["NSTWeights"]),
        fuzzTarget("onnx", ["NSTWeights"]),
        fuzzTarget("zip", ["NSTWeights"]),
        fuzzTarget("png", ["ImageChecks"]),
        fuzzTarget("jpeg", ["ImageChecks"]),
    ]
)
