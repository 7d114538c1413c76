/// Text wrapped to a terminal's width at spaces, so the terminal never breaks a word in two.
public enum TextWrap {
    /// `text` fitted to `width` characters a line, broken at spaces.
    ///
    /// - Prose that was wrapped for a wider screen (a run of lines with one indentation of at
    ///   most two spaces, no column layout, none of them a list item, at least one too long)
    ///   is reflowed as one paragraph, so it does not come out ragged.
    /// - Any other line longer than `width` is broken at spaces, each continuation indented
    ///   as its line was.
    /// - A word longer than the width gets a line of its own, whole. Lines holding an escape
    ///   sequence (images, colours) or a link (`://`, which must stay on one line to be
    ///   opened), and lines that fit, are left as they are.
    public static func wrap(_ text: String, width: Int) -> String {
        guard width > 0 else { return text }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var out: [String] = []
        var i = 0
        while i < lines.count {
            var j = i + 1
            if isProse(lines[i]) {
                while j < lines.count, isProse(lines[j]), indent(of: lines[j]) == indent(of: lines[i]) { j += 1 }
            }
            let block = lines[i..<j]
            if block.count > 1 && block.contains(where: { $0.count > width }) {
                out += fill(block.map { String($0.dropFirst(indent(of: $0).count)) }.joined(separator: " "),
                            indent: indent(of: lines[i]), width: width)
            } else {
                for line in block {
                    guard line.count > width, !line.contains("\u{1B}"), line.firstRange(of: "://") == nil else { out.append(line); continue }
                    out += fill(String(line.dropFirst(indent(of: line).count)), indent: indent(of: line), width: width)
                }
            }
            i = j
        }
        return out.joined(separator: "\n")
    }

    /// The words of `text` in lines of at most `width`, each starting with `indent`.
    static func fill(_ text: String, indent: String, width: Int) -> [String] {
        var out: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if current.isEmpty { current = indent + word; continue }
            if current.count + 1 + word.count <= width { current += " " + word } else { out.append(current); current = indent + word }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    static func indent(of line: String) -> String { String(line.prefix { $0 == " " }) }

    /// A line that may flow into its neighbours: text, not a blank line, a table row (two
    /// spaces inside), a list item, a formula display (indented more than two), an escape
    /// sequence or a link.
    static func isProse(_ line: String) -> Bool {
        let body = line.dropFirst(indent(of: line).count)
        guard !body.isEmpty, indent(of: line).count <= 2, !body.contains("  "), !line.contains("\u{1B}"),
              line.firstRange(of: "://") == nil else { return false }
        if let first = body.first, "-•*".contains(first) { return false }
        if body.prefix(while: \.isNumber).count > 0, body.dropFirst(body.prefix(while: \.isNumber).count).first == "." { return false }
        return true
    }
}
