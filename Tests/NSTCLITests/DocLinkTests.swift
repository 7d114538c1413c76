import Foundation
import Testing

/// Relative links in the Markdown a user reads: every `[text](target)` and `![alt](target)`
/// outside code must name a file or folder of the checkout, and a `#fragment` must name a
/// heading of the Markdown file it points into (GitHub's anchors). Web links are not fetched.
enum MarkdownLinks {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// README.md, CHANGELOG.md, every .md under docs/, Examples/ and Quizzes/, and each
    /// module's README (Sources/<module>/README.md).
    static func documents() -> [URL] {
        var files = ["README.md", "CHANGELOG.md"].map { root.appendingPathComponent($0) }
        for folder in ["docs", "Examples", "Quizzes"] {
            let enumerator = FileManager.default.enumerator(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                if url.pathExtension == "md" { files.append(url) }
            }
        }
        files += moduleFolders().map { $0.appendingPathComponent("README.md") }
        return files.filter { FileManager.default.fileExists(atPath: $0.path) }.sorted { $0.path < $1.path }
    }

    /// The folders under Sources/, one per target.
    static func moduleFolders() -> [URL] {
        let sources = root.appendingPathComponent("Sources")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sources.path)) ?? []
        return names.sorted().map { sources.appendingPathComponent($0) }.filter {
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0.path, isDirectory: &isFolder) && isFolder.boolValue
        }
    }

    /// "Sources/<name>: problem" for a module folder without its README.md (Package.swift
    /// excludes one from every target in Sources/, and SwiftPM warns when it is missing) and
    /// for a system library's folder (the one holding a module map) with one (SwiftPM allows
    /// nothing there but the module map and its headers).
    static func readmeProblems(in folders: [URL]) -> [String] {
        folders.compactMap { folder in
            let isSystemLibrary = FileManager.default.fileExists(atPath: folder.appendingPathComponent("module.modulemap").path)
            let hasReadme = FileManager.default.fileExists(atPath: folder.appendingPathComponent("README.md").path)
            let place = "Sources/\(folder.lastPathComponent)"
            if isSystemLibrary && hasReadme { return "\(place): a system library's folder holds only its module map and headers; describe it in the README of the module that uses it" }
            if !isSystemLibrary && !hasReadme { return "\(place): no README.md (see docs/modules.md for what it says)" }
            return nil
        }
    }

    /// The link targets of `markdown`, with their line numbers, outside fenced code blocks and
    /// inline code spans.
    static func links(in markdown: String) -> [(line: Int, target: String)] {
        var found: [(Int, String)] = []
        var inFence = false
        for (index, rawLine) in markdown.components(separatedBy: "\n").enumerated() {
            if rawLine.trimmingCharacters(in: .whitespaces).hasPrefix("```") { inFence.toggle(); continue }
            if inFence { continue }
            // Drop inline code spans, then find "](" … ")".
            var line = ""
            var inCode = false
            for c in rawLine {
                if c == "`" { inCode.toggle(); continue }
                if !inCode { line.append(c) }
            }
            var rest = Substring(line)
            while let open = rest.range(of: "](") {
                let after = rest[open.upperBound...]
                guard let close = after.firstIndex(of: ")") else { break }
                var target = String(after[..<close]).trimmingCharacters(in: .whitespaces)
                if let space = target.firstIndex(of: " ") { target = String(target[..<space]) }   // [a](b "title")
                found.append((index + 1, target))
                rest = after[close...]
            }
        }
        return found
    }

    /// GitHub's anchor of a heading: lower case, spaces to hyphens, punctuation dropped.
    static func anchor(_ heading: String) -> String {
        let lowered = heading.lowercased()
        var out = ""
        for scalar in lowered.unicodeScalars {
            if scalar == " " { out.append("-") }
            else if scalar == "-" || scalar == "_" || CharacterSet.alphanumerics.contains(scalar) { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    static func anchors(ofMarkdownAt url: URL) -> Set<String> {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        var result: Set<String> = []
        var inFence = false
        for line in text.components(separatedBy: "\n") {
            if line.hasPrefix("```") { inFence.toggle(); continue }
            guard !inFence, line.hasPrefix("#") else { continue }
            let title = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
            var slug = anchor(title)
            var n = 1
            while result.contains(slug) { slug = anchor(title) + "-\(n)"; n += 1 }
            result.insert(slug)
        }
        return result
    }

    /// "file:line: target: problem" for every relative link of `markdown` (the text of `file`)
    /// that does not resolve.
    static func brokenLinks(in markdown: String, file: URL) -> [String] {
        var problems: [String] = []
        let folder = file.deletingLastPathComponent()
        for (line, target) in links(in: markdown) {
            if target.isEmpty || target.contains("://") || target.hasPrefix("mailto:") { continue }
            let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
            let path = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let fragment = parts.count > 1 ? String(parts[1]) : nil
            let destination = path.isEmpty ? file : (path.hasPrefix("/") ? root.appendingPathComponent(path) : folder.appendingPathComponent(path))
            let place = "\(file.path.replacingOccurrences(of: root.path + "/", with: "")):\(line): \(target)"
            guard FileManager.default.fileExists(atPath: destination.path) else {
                problems.append("\(place): no such file"); continue
            }
            if let fragment, destination.pathExtension == "md", !anchors(ofMarkdownAt: destination).contains(fragment) {
                problems.append("\(place): no heading with the anchor #\(fragment)")
            }
        }
        return problems
    }
}

@Suite("The documentation's links")
struct DocLinkTests {
    @Test func everyRelativeLinkResolves() throws {
        let documents = MarkdownLinks.documents()
        #expect(documents.contains { $0.lastPathComponent == "README.md" && $0.deletingLastPathComponent().path == MarkdownLinks.root.path })
        #expect(documents.count >= 10, "found only \(documents.map(\.lastPathComponent))")
        #expect(documents.contains { $0.path.hasSuffix("/Sources/NSTLayers/README.md") }, "the modules' READMEs are not checked")
        var problems: [String] = []
        for url in documents {
            problems += MarkdownLinks.brokenLinks(in: try String(contentsOf: url, encoding: .utf8), file: url)
        }
        #expect(problems.isEmpty, "broken links:\n\(problems.joined(separator: "\n"))")
    }

    /// Every module has its README, and no system library's folder has one.
    @Test func everyModuleFolderHasAReadme() {
        let folders = MarkdownLinks.moduleFolders()
        #expect(folders.count >= 10, "found only \(folders.map(\.lastPathComponent))")
        let problems = MarkdownLinks.readmeProblems(in: folders)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    /// The README check itself, on folders made for it: a module without a README and a
    /// system library with one are both found; a module with one and a bare system library pass.
    @Test func theReadmeCheckFindsBothMistakes() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("nst-readme-check-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let files = ["Good/README.md", "Good/a.swift", "Bare/a.swift", "_CGood/module.modulemap", "_CBad/module.modulemap", "_CBad/README.md"]
        for file in files {
            let url = base.appendingPathComponent(file)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data().write(to: url)
        }
        let problems = MarkdownLinks.readmeProblems(in: ["Good", "Bare", "_CGood", "_CBad"].map { base.appendingPathComponent($0) })
        #expect(problems.count == 2, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("Sources/Bare: no README.md") })
        #expect(problems.contains { $0.hasPrefix("Sources/_CBad: a system library's folder") })
    }

    /// The checker itself: it must see a missing file, a missing anchor and a link in a
    /// list item, and skip code, web links and a heading's own anchor.
    @Test func theCheckerFindsBrokenLinksAndOnlyThose() {
        let file = MarkdownLinks.root.appendingPathComponent("README.md")
        let markdown = """
        # Quick start
        - [fine](docs/weights.md) and [missing](docs/no-such-page.md)
        ![figure](docs/images/no-such.png) [anchor](#quick-start) [bad anchor](#no-such-heading)
        `[code](nowhere.md)` [web](https://example.com/x.md)
        ```
        [fenced](nowhere.md)
        ```
        """
        let problems = MarkdownLinks.brokenLinks(in: markdown, file: file)
        #expect(problems.count == 3, "\(problems)")
        #expect(problems.contains { $0.contains("docs/no-such-page.md: no such file") })
        #expect(problems.contains { $0.contains("docs/images/no-such.png: no such file") })
        #expect(problems.contains { $0.contains("#no-such-heading: no heading") })
        #expect(MarkdownLinks.anchor("`nst check`: check a gradient you derived") == "nst-check-check-a-gradient-you-derived")
    }

    /// Every dated file of docs/measurements/ is listed in that folder's README, so no
    /// measurement is out of reach of the index.
    @Test func everyMeasurementIsIndexed() throws {
        let folder = MarkdownLinks.root.appendingPathComponent("docs/measurements")
        let index = try String(contentsOf: folder.appendingPathComponent("README.md"), encoding: .utf8)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".md") && $0 != "README.md" }
        #expect(files.count >= 10, "\(files)")
        let unlisted = files.filter { !index.contains("](\($0))") }.sorted()
        #expect(unlisted.isEmpty, "docs/measurements/README.md does not list \(unlisted)")
    }

    /// `nst --version` prints the version CHANGELOG.md's newest release heading names.
    @Test func versionMatchesTheChangelog() throws {
        let r = try NSTBinary.run(["--version"])
        #expect(r.status == 0)
        let version = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(version.split(separator: ".").count == 3 && version.allSatisfy { $0.isNumber || $0 == "." }, "\(version)")
        let changelog = try String(contentsOf: MarkdownLinks.root.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
        let newest = changelog.components(separatedBy: "\n").first { $0.hasPrefix("## ") }
        #expect(newest?.hasPrefix("## \(version) ") == true, "CHANGELOG.md's newest heading: \(newest ?? "none")")
    }
}
