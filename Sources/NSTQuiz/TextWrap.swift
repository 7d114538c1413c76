/// Text wrapped to a terminal's width at spaces, so the terminal never breaks a word in two.
public enum TextWrap {
    /// Each line of `text` longer than `width` characters broken at spaces into lines of at
    /// most `width`, each continuation indented as its line was. A word longer than the width
    /// gets a line of its own, whole. Lines holding an escape sequence (images, colours) or a
    /// link (`://`, which must stay on one line to be opened), and lines that fit, are left
    /// as they are.
    public static func wrap(_ text: String, width: Int) -> String {
        guard width > 0 else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.count > width, !line.contains("\u{1B}"), line.firstRange(of: "://") == nil else { return String(line) }
            let indent = String(line.prefix { $0 == " " })
            var out: [String] = []
            var current = ""
            for word in line.dropFirst(indent.count).split(separator: " ", omittingEmptySubsequences: true) {
                if current.isEmpty { current = indent + word; continue }
                if current.count + 1 + word.count <= width { current += " " + word } else { out.append(current); current = indent + word }
            }
            if !current.isEmpty { out.append(current) }
            return out.joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
