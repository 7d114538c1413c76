// swift-tools-version: 6.0
//
// nst — neural style transfer, taught: a quiz, a gradient-formula checker and the real
// engine (VGG on OpenBLAS) in one command-line tool.
//
// Modules depend one way. A → B, C: A imports B and C, exactly the `dependencies` its target
// declares below; the layering, bottom up: tensors and BLAS, layers, VGG, style transfer;
// image I/O alone; the formula language without BLAS; the quiz reaching the checker only
// through a protocol; the CLI on top. This list, docs/modules.md, the README's module table
// and each module's README are tested against the targets below
// (Tests/NSTCLITests/PackageGraphTests.swift), as is each target's list against its imports:
//
//   NSTRandom, NSTGradCheck, NSTVersion, NSTFormula, NSTFileIO     (no dependencies)
//
//   NSTTensor       → _CBLAS, _CMalloc, _CBF16GEMM, NSTRandom
//   NSTLayers       → NSTTensor
//   NSTWeights      → _CHDF5, _CZlib, NSTFileIO                    (no BLAS)
//   NSTVGG          → NSTTensor, NSTLayers, NSTWeights, NSTRandom
//   NSTStyle        → NSTTensor, NSTLayers, NSTVGG, NSTImage, NSTRandom  (the algorithm only: no files, no timing)
//   NSTStyleJobs    → NSTTensor, NSTLayers, NSTVGG, NSTWeights, NSTImage, NSTFileIO, NSTStyle, NSTVersion,
//                     _CExampleImages                              (one command's whole job; the experiment's images)
//   NSTStyleFlags   → NSTStyle, NSTStyleJobs, NSTVGG, NSTLayers, ArgumentParser
//   NSTBench        → NSTTensor, NSTLayers, NSTVGG, NSTWeights, NSTRandom, NSTImage, NSTStyle, NSTStyleJobs
//
//   NSTImage        → _CPNG, _CTurboJPEG, NSTFileIO                (no engine)
//   NSTTerminal     → NSTImage
//
//   NSTCheck        → NSTFormula, NSTTensor, NSTLayers, NSTVGG, NSTWeights, NSTGradCheck, NSTRandom,
//                     NSTFileIO                                    (JSONFormat, for --json)
//   NSTQuiz         → NSTRandom, NSTFileIO, _CEdit                 (no BLAS: formulas go through FormulaGrader)
//   NSTCheckGrader  → NSTQuiz, NSTCheck, NSTFormula, NSTFileIO     (NSTCheck as the quiz's FormulaGrader)
//
//   nst (the CLI)   → NSTTensor, NSTLayers, NSTVGG, NSTWeights, NSTImage, NSTTerminal, NSTStyle, NSTCheck,
//                     NSTStyleJobs, NSTStyleFlags, NSTQuiz, NSTCheckGrader, NSTBench, NSTVersion, NSTFileIO,
//                     ArgumentParser
//
// Every target in Sources/<name> has a README.md; docs/modules.md maps them.
import PackageDescription

// The engine's own loops (Winograd transforms, ReLU, pooling) are compiled for the CPU that
// builds them, as OpenBLAS picks its kernels for the CPU it runs on: the default x86-64
// target allows SSE2 only. Every target gets the flag, not only the engine's: a module that
// specialises engine code (NSTCheck, the CLI) emits its own copy, and the linker may keep
// any one of them. A portable build (to copy the binary to another machine):
// NST_PORTABLE=1 swift build.
#if arch(x86_64)
let engineSettings: [SwiftSetting] = Context.environment["NST_PORTABLE"] == "1" ? [] : [.unsafeFlags(["-target-cpu", "native"])]
#else
let engineSettings: [SwiftSetting] = []
#endif

// The libFuzzer targets (Tests/Fuzz) are declared only when NST_FUZZ=1: they link only with
// -sanitize=fuzzer, which scripts/fuzz.sh passes. A plain `swift build` / `swift test` never
// sees them.
let fuzzing = Context.environment["NST_FUZZ"] == "1"

let package = Package(
    name: "nst",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "nst", targets: ["nst"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries from Debian packages (see README: apt-get install …).
        .systemLibrary(name: "_CBLAS", path: "Sources/_CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "_CPNG", path: "Sources/_CPNG", pkgConfig: "libpng16",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "_CTurboJPEG", path: "Sources/_CTurboJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "_CHDF5", path: "Sources/_CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "_CZlib", path: "Sources/_CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),

        .systemLibrary(name: "_CEdit", path: "Sources/_CEdit", pkgConfig: "libedit",
                       providers: [.apt(["libedit-dev"])]),    // line editing at the quiz prompt

        .systemLibrary(name: "_CMalloc", path: "Sources/_CMalloc"),   // libc's <malloc.h>

        // The bf16 GEMM (AVX512-BF16, fp32 accumulation) behind `--precision bf16`: C with
        // intrinsics, each kernel compiled for AVX512-BF16 on its own (the target runs on any
        // x86-64 CPU and checks the CPU before use). Optimised in every build: at -O0 the
        // intrinsics would keep every accumulator in memory.
        .target(name: "_CBF16GEMM", path: "Sources/_CBF16GEMM", exclude: ["README.md"], cSettings: [.unsafeFlags(["-O3"])]),
        // The experiment's two example images, assembled into the binary (.incbin) so an
        // installed nst runs the experiment from any folder; NSTStyleJobs' ExampleImage reads them.
        .target(name: "_CExampleImages", exclude: ["sea-turtle.jpg", "great-wave.jpg"], cSettings: [.headerSearchPath(".")]),
        .target(name: "NSTRandom"),
        .target(name: "NSTTensor", dependencies: ["_CBLAS", "_CMalloc", "_CBF16GEMM", "NSTRandom"]),
        .target(name: "NSTGradCheck"),
        .target(name: "NSTLayers", dependencies: ["NSTTensor"]),
        .target(name: "NSTWeights", dependencies: ["_CHDF5", "_CZlib", "NSTFileIO"]),
        .target(name: "NSTVGG", dependencies: ["NSTTensor", "NSTLayers", "NSTWeights", "NSTRandom"]),
        .target(name: "NSTImage", dependencies: ["_CPNG", "_CTurboJPEG", "NSTFileIO"]),
        .target(name: "NSTTerminal", dependencies: ["NSTImage"]),
        .target(name: "NSTStyle", dependencies: ["NSTTensor", "NSTLayers", "NSTVGG", "NSTImage", "NSTRandom"]),
        // What runs around the algorithm: one command's whole job, the experiment and its report.
        .target(name: "NSTStyleJobs", dependencies: ["NSTTensor", "NSTLayers", "NSTVGG", "NSTWeights", "NSTImage", "NSTFileIO",
                                                     "NSTStyle", "NSTVersion", "_CExampleImages"]),
        .target(name: "NSTFormula"),
        .target(name: "NSTFileIO"),
        .target(name: "NSTCheck", dependencies: ["NSTFormula", "NSTTensor", "NSTLayers", "NSTVGG", "NSTWeights", "NSTGradCheck", "NSTRandom", "NSTFileIO"]),
        // The bank is embedded in the binary (PackageResources), so an installed nst finds it.
        .target(name: "NSTQuiz", dependencies: ["NSTRandom", "NSTFileIO", "_CEdit"],
                resources: [.embedInCode("Resources/neural-style-transfer.quiz")]),
        .target(name: "NSTCheckGrader", dependencies: ["NSTQuiz", "NSTCheck", "NSTFormula", "NSTFileIO"]),
        .target(name: "NSTBench", dependencies: ["NSTTensor", "NSTLayers", "NSTVGG", "NSTWeights", "NSTRandom", "NSTImage", "NSTStyle", "NSTStyleJobs"]),
        .target(name: "NSTVersion"),
        // The style-transfer commands' flags, grouped as the paper's concepts, and the
        // StyleTransferOptions they give.
        .target(name: "NSTStyleFlags", dependencies: [
            "NSTStyle", "NSTStyleJobs", "NSTVGG", "NSTLayers", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "nst", dependencies: [
            "NSTTensor", "NSTLayers", "NSTVGG", "NSTWeights", "NSTImage", "NSTTerminal",
            "NSTStyle", "NSTStyleJobs", "NSTStyleFlags", "NSTCheck", "NSTQuiz", "NSTCheckGrader", "NSTBench", "NSTVersion", "NSTFileIO",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "NSTTensorTests", dependencies: ["NSTTensor", "NSTRandom"]),
        .testTarget(name: "NSTLayersTests", dependencies: ["NSTTensor", "NSTLayers", "NSTGradCheck", "NSTRandom"]),
        .testTarget(name: "NSTWeightsTests", dependencies: ["NSTWeights"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NSTVGGTests", dependencies: ["NSTTensor", "NSTLayers", "NSTWeights", "NSTVGG", "NSTGradCheck", "NSTRandom"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "NSTImageTests", dependencies: ["NSTImage", "NSTTerminal"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NSTStyleTests", dependencies: ["NSTTensor", "NSTLayers", "NSTWeights", "NSTVGG", "NSTImage",
                                                          "NSTStyle", "NSTStyleJobs", "NSTGradCheck", "NSTRandom"]),
        .testTarget(name: "NSTFormulaTests", dependencies: ["NSTFormula"]),
        .testTarget(name: "NSTFileIOTests", dependencies: ["NSTFileIO"]),
        .testTarget(name: "NSTCheckTests", dependencies: ["NSTFormula", "NSTLayers", "NSTVGG", "NSTCheck"]),
        .testTarget(name: "NSTQuizTests", dependencies: ["NSTQuiz", "NSTCheckGrader"]),
        .testTarget(name: "NSTStyleFlagsTests", dependencies: ["NSTStyle", "NSTStyleJobs", "NSTStyleFlags"]),
        .testTarget(name: "NSTBenchTests", dependencies: ["NSTTensor", "NSTVGG", "NSTImage", "NSTRandom", "NSTStyle", "NSTBench"]),
        // End-to-end: runs the built `nst` binary as a user would (and checks the docs' links).
        .testTarget(name: "NSTCLITests", dependencies: ["nst"]),
    ]
)

if fuzzing {
    /// One executable per fuzz target: Tests/Fuzz/<name>/main.swift, seeds in Tests/Fuzz/corpus/<name>/.
    func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
        .executableTarget(name: "fuzz-\(name)", dependencies: ["FuzzDriver"] + dependencies, path: "Tests/Fuzz/\(name)")
    }
    package.targets += [
        // The libFuzzer entry points and the checks several targets share.
        .target(name: "FuzzDriver", path: "Tests/Fuzz/Driver"),
        .target(name: "ImageChecks", dependencies: ["FuzzDriver", "NSTImage"], path: "Tests/Fuzz/ImageChecks"),
        .target(name: "QuizChecks", dependencies: ["FuzzDriver", "NSTQuiz"], path: "Tests/Fuzz/QuizChecks"),
        fuzzTarget("formula", ["NSTFormula"]),
        fuzzTarget("derivation", ["NSTFormula"]),
        fuzzTarget("bank", ["QuizChecks", "NSTQuiz"]),
        fuzzTarget("answers", ["QuizChecks", "NSTQuiz"]),
        fuzzTarget("safetensors", ["NSTWeights"]),
        fuzzTarget("onnx", ["NSTWeights"]),
        fuzzTarget("zip", ["NSTWeights"]),
        fuzzTarget("png", ["ImageChecks"]),
        fuzzTarget("jpeg", ["ImageChecks"]),
    ]
}

// Every target that lives in Sources/<name> (no path of its own; not the system libraries,
// whose folders hold only a module map and a header) has a README.md for contributors: what
// the module is, what to read first, why it depends on what it does. It is documentation,
// not a source or resource of the target, so SwiftPM is told to leave it alone.
for target in package.targets where target.type != .system && target.name != "_CBF16GEMM" {
    target.swiftSettings = (target.swiftSettings ?? []) + engineSettings
    if target.path == nil && target.type != .test {
        target.exclude.append("README.md")
    }
}
