import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How colours are written to the terminal.
public enum TerminalColorMode: String, Sendable, CaseIterable {
    /// 24-bit `ESC[38;2;r;g;bm` codes.
    case truecolor
    /// The xterm 256-colour palette (`ESC[38;5;nm`): 6×6×6 cube plus 24 greys.
    case ansi256 = "256"
}

/// Facts about the terminal a stream is attached to.
public enum Terminal {
    /// True when `fd` is a terminal (not a pipe or file).
    public static func isTTY(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Columns × rows of the terminal on `fd` (ioctl TIOCGWINSZ), or nil when `fd` is not a
    /// terminal or reports 0.
    public static func size(_ fd: Int32) -> (columns: Int, rows: Int)? {
        var ws = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0 else { return nil }
        return (Int(ws.ws_col), Int(ws.ws_row))
    }

    /// Usable width in columns: the terminal's (stdout, then stderr), else `$COLUMNS`,
    /// else 80.
    public static func width(environment: [String: String]) -> Int {
        if let s = size(STDOUT_FILENO) ?? size(STDERR_FILENO) { return s.columns }
        if let c = environment["COLUMNS"].flatMap({ Int($0) }), c > 0 { return c }
        return 80
    }

    /// Truecolour when `$COLORTERM` says `truecolor` or `24bit` (the convention terminals
    /// use to announce it), otherwise the 256-colour palette, which nearly every terminal has.
    public static func colorMode(environment: [String: String]) -> TerminalColorMode {
        let c = (environment["COLORTERM"] ?? "").lowercased()
        return c == "truecolor" || c == "24bit" ? .truecolor : .ansi256
    }

    /// Visible width of `s`: characters, skipping ANSI escape sequences (ESC [ … letter).
    public static func visibleWidth(_ s: String) -> Int {
        var n = 0
        var inEscape = false
        for u in s.unicodeScalars {
            if inEscape {
                if (0x40...0x7E).contains(u.value) && u != "[" { inEscape = false }
                continue
            }
            if u == "\u{1B}" { inEscape = true; continue }
            n += 1
        }
        return n
    }
}
