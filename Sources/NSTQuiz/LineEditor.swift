import Foundation
import _CEdit

/// Line editing and history at the quiz prompt, through libedit's readline interface:
/// arrows move within the line, Up recalls an earlier answer (the previous attempt), and
/// a pasted line arrives whole. Used only when standard input is a terminal; pipes and
/// files are read plainly (`BoundedLineReader`). `StandardConsole(lineEditing: false)` turns
/// it off (nst: NST_NO_LINE_EDITING=1).
final class LineEditor {
    /// libedit decodes what is typed by the C library's character type (LC_CTYPE), which is
    /// "C" (ASCII) until the program sets it: every byte of a non-ASCII character would be
    /// dropped (N² read as N, ∂L/∂F as L/F). So LC_CTYPE is taken from the environment, as
    /// a terminal program should, and when that is not UTF-8 (no LANG, or LANG=C), C.UTF-8:
    /// the quiz itself writes UTF-8. Only LC_CTYPE changes; numbers print as before.
    init() {
        if !Self.characterTypeIsUTF8(setlocale(LC_CTYPE, "")) {
            _ = setlocale(LC_CTYPE, "C.UTF-8")
        }
    }

    static func characterTypeIsUTF8(_ locale: UnsafeMutablePointer<CChar>?) -> Bool {
        guard locale != nil, let codeset = nl_langinfo(nl_item(CODESET)) else { return false }
        let name = String(cString: codeset).lowercased()
        return name == "utf-8" || name == "utf8"
    }

    /// One line without its newline, or nil at end of input (Ctrl-D on an empty line).
    func readLine(prompt: String) -> String? {
        guard let line = readline(prompt) else { return nil }
        defer { free(line) }
        let text = String(cString: line)
        if !text.trimmingCharacters(in: .whitespaces).isEmpty { add_history(line) }
        return text
    }
}
