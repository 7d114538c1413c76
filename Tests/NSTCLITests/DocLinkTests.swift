import Foundation
import Testing

/// Relative links in the Markdown a user reads: every `[text](target)` and `![alt](target)`
/// outside code must name a file or folder of the checkout, and a `#fragment` must name a
/// heading of the Markdown file it points into (GitHub's anchors). Web links are not fetched.
enum MarkdownLinks {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// README.md, CHANGELOG.md and every .md under docs/, Examples/ and Quizzes/.
    static func documents() -> [URL] {
        var files = ["README.md", "CHANGELOG.md"].map { root.appendingPathComponent($0) }
        for folder in ["docs", "Examples", "Quizzes"] {
            let enumerator = FileManager.default.enumerator(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                if url.pathExtension == "md" { files.append(url) }
            }
        }
        return files.filter { FileManager.default.fileExists(atPath: $0.path) }.sorted { $0.path < $1.path }
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
        var problems: [String] = []
        for url in documents {
            problems += MarkdownLinks.brokenLinks(in: try String(contentsOf: url, encoding: .utf8), file: url)
        }
        #expect(problems.isEmpty, "broken links:\n\(problems.joined(separator: "\n"))")
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
