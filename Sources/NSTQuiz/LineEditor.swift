import Foundation
import _CEdit

/// Line editing and history at the quiz prompt, through libedit's readline interface:
/// arrows move within the line, Up recalls an earlier answer (the previous attempt), and
/// a pasted line arrives whole. Used only when standard input is a terminal; pipes and
/// files are read plainly (`BoundedLineReader`). `NST_NO_LINE_EDITING=1` turns it off.
final class LineEditor {
    static func make(environment: [String: String] = ProcessInfo.processInfo.environment) -> LineEditor? {
        environment["NST_NO_LINE_EDITING"] == "1" ? nil : LineEditor()
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
