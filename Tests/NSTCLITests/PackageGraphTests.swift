import Foundation
import Testing

/// Package.swift declares exactly what each target's files import: no dependency that no file
/// imports, no import that reaches its module only through another target. (SwiftPM's
/// `--explicit-target-dependency-import-check` accepts transitive dependencies, so it cannot
/// check this.)
enum PackageGraph {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Modules that come with the toolchain or the OS; never declared.
    static let platformModules: Set<String> = ["Foundation", "FoundationEssentials", "Glibc", "Darwin", "Dispatch",
                                               "Synchronization", "Testing", "XCTest", "PackageDescription"]

    /// Each `.target` / `.executableTarget` / `.testTarget` of `manifest` with the names in its
    /// `dependencies` list (target names, and product names for `.product(name:…)`).
    static func declaredDependencies(_ manifest: String) -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        let pattern = #"\.(?:target|executableTarget|testTarget)\(\s*name:\s*"([^"]+)"\s*(?:,\s*dependencies:\s*\[([^\]]*)\])?"#
        let regex = try! NSRegularExpression(pattern: pattern)
        let text = manifest as NSString
        for match in regex.matches(in: manifest, range: NSRange(location: 0, length: text.length)) {
            let name = text.substring(with: match.range(at: 1))
            var deps: Set<String> = []
            if match.range(at: 2).location != NSNotFound {
                let list = text.substring(with: match.range(at: 2))
                let quoted = try! NSRegularExpression(pattern: #"(?:\.product\(name:\s*)?"([^"]+)"(?:,\s*package:\s*"[^"]+"\))?"#)
                for m in quoted.matches(in: list, range: NSRange(location: 0, length: (list as NSString).length)) {
                    deps.insert((list as NSString).substring(with: m.range(at: 1)))
                }
            }
            result[name] = deps
        }
        return result
    }

    /// The modules the Swift files under `folder` import (`import X`, `@testable import X`, …).
    static func imports(under folder: URL) -> Set<String> {
        var modules: Set<String> = []
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            guard url.pathExtension == "swift", let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
            for line in text.components(separatedBy: "\n") {
                let modifiers: Set<Substring> = ["public", "package", "internal", "fileprivate", "private"]
                let words = line.split(separator: " ").filter { !$0.hasPrefix("@") && !modifiers.contains($0) }
                if words.count >= 2, words[0] == "import" { modules.insert(String(words[1])) }
            }
        }
        return modules
    }

    /// One line per target whose declared dependencies differ from its imports. An executable
    /// target may be declared by a test target without being imported: the end-to-end tests
    /// run the built `nst`, so they depend on it being built.
    static func mismatches() throws -> [String] {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let declared = declaredDependencies(manifest)
        var problems: [String] = []
        for (target, deps) in declared.sorted(by: { $0.key < $1.key }) {
            let folders = ["Sources", "Tests"].map { root.appendingPathComponent("\($0)/\(target)") }
            guard let folder = folders.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else { continue }
            let imported = imports(under: folder).subtracting(platformModules)
            let executables: Set<String> = ["nst"]
            let unused = deps.subtracting(imported).subtracting(executables)
            let undeclared = imported.subtracting(deps)
            if !unused.isEmpty { problems.append("\(target) declares \(unused.sorted()) but imports none of them") }
            if !undeclared.isEmpty { problems.append("\(target) imports \(undeclared.sorted()) without declaring them") }
        }
        return problems
    }
}

@Suite("Package.swift against the imports")
struct PackageGraphTests {
    @Test func everyTargetDeclaresExactlyWhatItImports() throws {
        let declared = PackageGraph.declaredDependencies(try String(contentsOf: PackageGraph.root.appendingPathComponent("Package.swift"), encoding: .utf8))
        #expect(declared["nst"]?.contains("ArgumentParser") == true && declared["NSTTensor"] == ["_CBLAS", "_CMalloc", "_CBF16GEMM", "NSTRandom"], "\(declared)")
        #expect(declared.count >= 20)
        let problems = try PackageGraph.mismatches()
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    /// The one-way rules of the design: the quiz reaches the checker only through its
    /// FormulaGrader protocol, the formula language knows nothing of BLAS, image I/O stands
    /// alone. (A target's closure: everything it links, through any path.)
    @Test func theQuizTheFormulaLanguageAndImageIODoNotLinkTheEngine() throws {
        let declared = PackageGraph.declaredDependencies(try String(contentsOf: PackageGraph.root.appendingPathComponent("Package.swift"), encoding: .utf8))
        func closure(_ target: String) -> Set<String> {
            var seen: Set<String> = [], stack = [target]
            while let t = stack.popLast() { for d in declared[t] ?? [] where seen.insert(d).inserted { stack.append(d) } }
            return seen
        }
        let engine: Set<String> = ["_CBLAS", "NSTTensor", "NSTLayers", "NSTVGG", "NSTCheck", "NSTStyle"]
        for target in ["NSTQuiz", "NSTFormula", "NSTImage", "NSTFileIO", "NSTWeights"] {
            #expect(declared[target] != nil, "no target \(target)")
            #expect(closure(target).isDisjoint(with: engine), "\(target) links \(closure(target).intersection(engine).sorted())")
        }
        // The check can fail: the bridge to the checker does link the engine.
        #expect(closure("NSTCheckGrader").contains("_CBLAS"))
    }

    @Test func theParserSeesDependenciesAndProducts() {
        let manifest = """
        .target(name: "A", dependencies: ["B", "C"]),
        .target(name: "D"),
        .executableTarget(name: "E", dependencies: [
            "A", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        """
        let declared = PackageGraph.declaredDependencies(manifest)
        #expect(declared == ["A": ["B", "C"], "D": [], "E": ["A", "ArgumentParser"]])
    }
}
