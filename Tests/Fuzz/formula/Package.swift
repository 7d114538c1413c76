// swift-tools-version: 6.0
//
// libFuzzer target for the formula language: parser + shape checker + evaluator + printers.
// A package of its own so the main package's `swift build` / `swift test` never see it;
// Sources/NSTFormula is a symlink to the real module. Build and run with Tests/Fuzz/formula/run.sh.
import PackageDescription

let package = Package(
    name: "FormulaFuzz",
    targets: [
        .target(name: "NSTFormula"),
        .executableTarget(name: "FormulaFuzz", dependencies: ["NSTFormula"]),
    ]
)
