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

extension PackageGraph {
    /// The dependency block of docs/modules.md (the fenced block after "## Dependencies, one
    /// way"): `A → B, C` lines, continued on indented lines; a line without an arrow lists
    /// modules with no dependencies; text in parentheses is commentary.
    static func documentedDependencies(moduleMap markdown: String) -> [String: Set<String>] {
        guard let heading = markdown.range(of: "## Dependencies, one way"),
              let open = markdown.range(of: "```\n", range: heading.upperBound..<markdown.endIndex),
              let close = markdown.range(of: "```", range: open.upperBound..<markdown.endIndex) else { return [:] }
        func names(_ list: Substring) -> [String] {
            list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        var result: [String: Set<String>] = [:]
        var current: String?
        for line in markdown[open.upperBound..<close.lowerBound].split(separator: "\n") {
            let text = line.replacing(/\([^)]*\)/, with: "")
            if let arrow = text.firstIndex(of: "→") {
                let name = text[..<arrow].trimmingCharacters(in: .whitespaces)
                result[name] = Set(names(text[text.index(after: arrow)...]))
                current = name
            } else if text.first == " ", let name = current {
                result[name, default: []].formUnion(names(text[...]))
            } else {
                for name in names(text[...]) { result[name] = [] }
                current = nil
            }
        }
        return result
    }

    /// The modules named at the start of the bullets of a module README's "## Dependencies"
    /// section, before the dash (`- \`NSTVGG\` and \`NSTWeights\` — why`); nil when the
    /// README has no such section.
    static func documentedDependencies(moduleREADME markdown: String) -> Set<String>? {
        guard let heading = markdown.range(of: "\n## Dependencies\n") else { return nil }
        let section = markdown[heading.upperBound...].split(separator: "\n## ", maxSplits: 1).first ?? ""
        var names: Set<String> = []
        for line in section.split(separator: "\n") where line.hasPrefix("- `") {
            let head = line.split(separator: " — ", maxSplits: 1).first ?? line
            for (i, part) in head.split(separator: "`", omittingEmptySubsequences: false).enumerated() where i % 2 == 1 {
                names.insert(String(part))
            }
        }
        return names
    }

    /// The dependency block of Package.swift's header comment: its lines indented by three
    /// spaces after `//`, in docs/modules.md's syntax.
    static func documentedDependencies(manifestHeader manifest: String) -> [String: Set<String>] {
        let header = manifest.components(separatedBy: "import PackageDescription").first ?? ""
        let block = header.split(separator: "\n").filter { $0.hasPrefix("//   ") }.map { $0.dropFirst(5) }.joined(separator: "\n")
        return documentedDependencies(moduleMap: "## Dependencies, one way\n```\n\(block)\n```\n")
    }

    /// The modules of the first column of the first Markdown table after `heading` whose
    /// header row starts with `| module |` (`` `NSTTensor` `` or `[NSTTensor](…)`).
    static func tableModules(_ markdown: String, after heading: String) -> [String] {
        guard let h = markdown.range(of: heading),
              let table = markdown.range(of: "| module |", range: h.upperBound..<markdown.endIndex) else { return [] }
        var names: [String] = []
        for line in markdown[table.lowerBound...].split(separator: "\n").dropFirst(2) {
            guard line.hasPrefix("|") else { break }
            let cell = line.split(separator: "|", omittingEmptySubsequences: false)[1]
            if let name = cell.firstMatch(of: /[`\[]([A-Za-z_][A-Za-z0-9_]*)[`\]]/)?.1 { names.append(String(name)) }
        }
        return names
    }

    /// The library and executable targets whose dependencies the docs must state.
    static func documentedTargets(_ declared: [String: Set<String>]) -> [String] {
        declared.keys.filter { ($0.hasPrefix("NST") || $0 == "nst") && !$0.hasSuffix("Tests") }.sorted()
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

    /// docs/modules.md and each module's README say what Package.swift declares, so a
    /// newcomer's map cannot drift from the build.
    @Test func theModuleMapAndTheModuleREADMEsStateTheDeclaredDependencies() throws {
        let declared = PackageGraph.declaredDependencies(try String(contentsOf: PackageGraph.root.appendingPathComponent("Package.swift"), encoding: .utf8))
        let map = PackageGraph.documentedDependencies(
            moduleMap: try String(contentsOf: PackageGraph.root.appendingPathComponent("docs/modules.md"), encoding: .utf8))
        let targets = PackageGraph.documentedTargets(declared)
        #expect(targets.count >= 18, "\(targets)")
        for target in targets {
            #expect(map[target] == declared[target], "docs/modules.md: \(target) → \(map[target]?.sorted() ?? []), Package.swift: \(declared[target]?.sorted() ?? [])")
            let readme = PackageGraph.root.appendingPathComponent("Sources/\(target)/README.md")
            let listed = PackageGraph.documentedDependencies(moduleREADME: try String(contentsOf: readme, encoding: .utf8))
            #expect(listed == declared[target],
                    "Sources/\(target)/README.md lists \(listed?.sorted() ?? []) under ## Dependencies, Package.swift declares \(declared[target]?.sorted() ?? [])")
        }
        #expect(Set(map.keys) == Set(targets), "docs/modules.md names \(Set(map.keys).symmetricDifference(targets).sorted()) that are not targets, or misses them")
    }

    /// Package.swift's header comment lists each target's dependencies as its target does,
    /// and the module tables of the README and docs/modules.md name every target once: a
    /// new module needs its lines in each, and a removed one leaves none behind.
    @Test func theManifestHeaderAndTheModuleTablesAgreeWithTheTargets() throws {
        let manifest = try String(contentsOf: PackageGraph.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let declared = PackageGraph.declaredDependencies(manifest)
        let targets = PackageGraph.documentedTargets(declared)
        let header = PackageGraph.documentedDependencies(manifestHeader: manifest)
        for target in targets {
            #expect(header[target] == declared[target], "Package.swift's header: \(target) → \(header[target]?.sorted() ?? []), its target: \(declared[target]?.sorted() ?? [])")
        }
        #expect(Set(header.keys) == Set(targets), "Package.swift's header names \(Set(header.keys).symmetricDifference(targets).sorted()) that are not targets, or misses them")
        let readme = try String(contentsOf: PackageGraph.root.appendingPathComponent("README.md"), encoding: .utf8)
        let map = try String(contentsOf: PackageGraph.root.appendingPathComponent("docs/modules.md"), encoding: .utf8)
        for (name, listed) in [("README.md", PackageGraph.tableModules(readme, after: "The modules depend one way")),
                               ("docs/modules.md", PackageGraph.tableModules(map, after: "## The modules"))] {
            #expect(listed.count == Set(listed).count, "\(name)'s module table names a module twice: \(listed)")
            #expect(Set(listed) == Set(targets), "\(name)'s module table: \(Set(listed).symmetricDifference(targets).sorted()) differ from the targets")
        }
    }

    @Test func theModuleMapParserReadsContinuationsAndCommentary() {
        let markdown = """
        ## Dependencies, one way

        ```
        A, B        (no dependencies)

        C (the tool) → A, B   (a note, with a comma)
                       D
        E → A
        ```
        """
        #expect(PackageGraph.documentedDependencies(moduleMap: markdown) == ["A": [], "B": [], "C": ["A", "B", "D"], "E": ["A"]])
        let readme = "# X\n\n## Dependencies\n\n- `A` — why, unlike `Z`.\n  more\n- `B` and `C` — why.\n\n## Design notes\n\n- `D` — not a dependency.\n"
        #expect(PackageGraph.documentedDependencies(moduleREADME: readme) == ["A", "B", "C"])
        #expect(PackageGraph.documentedDependencies(moduleREADME: "# X\n") == nil)
        let manifest = "// swift-tools-version: 6.0\n// A → B: prose, not the block\n//\n//   A, B   (none)\n//   C → A,\n//       B\n//\n// more prose\nimport PackageDescription\n//   D → A\n"
        #expect(PackageGraph.documentedDependencies(manifestHeader: manifest) == ["A": [], "B": [], "C": ["A", "B"]])
        let table = "## The modules\n\n| module | what |\n|---|---|\n| [A](a.md) | x |\n| `B` | y, `C` |\n\nafter\n| `D` | z |\n"
        #expect(PackageGraph.tableModules(table, after: "## The modules") == ["A", "B"])
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
