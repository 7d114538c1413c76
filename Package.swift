// swift-tools-version: 6.0
//
// nst — neural style transfer, taught: a quiz, a gradient-formula checker and the real
// engine (VGG on OpenBLAS) in one command-line tool.
//
// Modules depend one way:
//   _CBLAS, _CMalloc → NSTTensor → NSTLayers → NSTVGG → NSTStyle
//   NSTGradCheck (finite differences; no dependencies)
//   NSTWeights (safetensors / ONNX / HDF5 readers; no BLAS)
//   NSTImage (PNG / JPEG / resize) → NSTFileIO       NSTTerminal (progress, image cells) → NSTImage
//   NSTFormula (the formula language; knows nothing of BLAS)
//   NSTFileIO (safe output sets, checked stdout/stderr, the one-line CLIError; Foundation only)
//   NSTCheck → NSTFormula, NSTLayers, NSTVGG (binds formulas to the engine's losses)
//   NSTQuiz → NSTCheck, NSTTerminal (knows the checker, not the engine)
//   nst (thin CLI) → everything
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

        .systemLibrary(name: "_CMalloc", path: "Sources/_CMalloc"),   // libc's <malloc.h>

        .target(name: "NSTTensor", dependencies: ["_CBLAS", "_CMalloc"]),
        .target(name: "NSTGradCheck"),
        .target(name: "NSTLayers", dependencies: ["NSTTensor"]),
        .target(name: "NSTWeights", dependencies: ["_CHDF5", "_CZlib"]),
        .target(name: "NSTVGG", dependencies: ["NSTLayers", "NSTWeights"]),
        .target(name: "NSTImage", dependencies: ["_CPNG", "_CTurboJPEG", "NSTFileIO"]),
        .target(name: "NSTTerminal", dependencies: ["NSTImage"]),
        .target(name: "NSTStyle", dependencies: ["NSTVGG", "NSTImage", "NSTFileIO"]),
        .target(name: "NSTFormula"),
        .target(name: "NSTFileIO"),
        .target(name: "NSTCheck", dependencies: ["NSTFormula", "NSTLayers", "NSTVGG", "NSTWeights", "NSTImage", "NSTGradCheck"]),
        .target(name: "NSTQuiz", dependencies: ["NSTCheck", "NSTTerminal"]),
        .executableTarget(name: "nst", dependencies: [
            "NSTStyle", "NSTCheck", "NSTQuiz", "NSTTerminal", "NSTWeights", "NSTFileIO",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Fuzz targets: a package of their own in Tests/Fuzz (scripts/fuzz.sh), never built here.

        .testTarget(name: "NSTTensorTests", dependencies: ["NSTTensor", "NSTGradCheck"]),
        .testTarget(name: "NSTLayersTests", dependencies: ["NSTLayers", "NSTGradCheck"]),
        .testTarget(name: "NSTWeightsTests", dependencies: ["NSTWeights"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NSTVGGTests", dependencies: ["NSTVGG", "NSTGradCheck", "NSTImage"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NSTImageTests", dependencies: ["NSTImage", "NSTTerminal"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NSTStyleTests", dependencies: ["NSTStyle", "NSTGradCheck"]),
        .testTarget(name: "NSTFormulaTests", dependencies: ["NSTFormula"]),
        .testTarget(name: "NSTFileIOTests", dependencies: ["NSTFileIO"]),
        .testTarget(name: "NSTCheckTests", dependencies: ["NSTCheck"]),
        .testTarget(name: "NSTQuizTests", dependencies: ["NSTQuiz"]),
        // End-to-end: runs the built `nst` binary as a user would.
        .testTarget(name: "NSTCLITests", dependencies: ["nst"]),
    ]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + engineSettings
}
