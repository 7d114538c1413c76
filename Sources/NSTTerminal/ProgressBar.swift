import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress of a long loop (optimisation iterations, downloads, …).
///
/// On a terminal: one line, redrawn in place (at most every `minRedrawInterval` seconds),
///
///     transfer ▕██████████▍         ▏ 52/100 loss=1.204e+05 style=9.9e+04 1.31 s/it ETA 1:03
///
/// Elsewhere (pipe, file, CI log): one plain, parseable line per update,
///
///     iter=52/100 loss=120400 style=99000 s_per_iter=1.31 eta_s=62.9
///
/// (prefixed by `label=<label>` when a label is set). Value names should be single words.
/// Seconds per iteration are the mean since the bar was created. Safe to call from any
/// thread: every method takes a lock, and lines are written with one write(2) each.
public final class ProgressBar: @unchecked Sendable {
    public enum Style: String, Sendable {
        /// `bar` when the output is a terminal, `plain` otherwise.
        case auto, bar, plain
    }

    public let total: Int
    public let label: String
    public let isBar: Bool
    private let fd: Int32
    private let fixedWidth: Int?
    private let minRedrawInterval: Double
    private let plainEvery: Int
    private let clock: @Sendable () -> Double
    private let output: @Sendable (String) -> Void
    private let lock = NSLock()
    private let startTime: Double
    private let startIteration: Int
    private var lastDraw = -Double.infinity
    private var lastLine = ""
    private var finished = false

    /// - Parameters:
    ///   - total: iterations in all (> 0).
    ///   - startIteration: where the loop starts (for resumed runs), so s/it stays honest.
    ///   - fd: where to write (default stderr, so stdout stays clean for results).
    ///   - width: columns for the bar (default: the terminal's, re-read at each redraw).
    ///   - plainEvery: in plain mode, print only every n-th iteration (and the last).
    ///   - clock, output: for tests; default the monotonic clock and write(2) to `fd`.
    public init(total: Int, label: String = "", style: Style = .auto, fd: Int32 = STDERR_FILENO,
                width: Int? = nil, startIteration: Int = 0, minRedrawInterval: Double = 0.1, plainEvery: Int = 1,
                clock: (@Sendable () -> Double)? = nil, output: (@Sendable (String) -> Void)? = nil) {
        precondition(total > 0, "progress total must be positive")
        self.total = total
        self.label = label
        self.fd = fd
        self.isBar = style == .bar || (style == .auto && Terminal.isTTY(fd))
        self.fixedWidth = width
        self.minRedrawInterval = minRedrawInterval
        self.plainEvery = max(1, plainEvery)
        self.clock = clock ?? { ProgressBar.monotonicSeconds() }
        self.output = output ?? { s in ProgressBar.writeAll(fd, s) }
        self.startIteration = startIteration
        self.startTime = self.clock()
    }

    /// Reports that `iteration` iterations are done, with named values (e.g. losses).
    public func update(_ iteration: Int, values: [(String, Double)] = []) {
        lock.lock(); defer { lock.unlock() }
        guard !finished else { return }
        let now = clock()
        if isBar {
            guard iteration >= total || now - lastDraw >= minRedrawInterval else { return }
            lastDraw = now
            lastLine = barLine(iteration, values, now)
            output("\r\u{1B}[2K" + lastLine)
        } else {
            guard iteration % plainEvery == 0 || iteration >= total else { return }
            output(plainLine(iteration, values, now) + "\n")
        }
    }

    /// Prints a line of text without breaking the bar (the bar is redrawn below it).
    public func message(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        if isBar && !lastLine.isEmpty && !finished {
            output("\r\u{1B}[2K" + text + "\n" + lastLine)
        } else {
            output(text + "\n")
        }
    }

    /// Ends the bar: on a terminal, leaves the last drawn line and moves to a new line,
    /// then prints `summary` if given. Later updates are ignored.
    public func finish(_ summary: String? = nil) {
        lock.lock(); defer { lock.unlock() }
        guard !finished else { return }
        finished = true
        var s = isBar && !lastLine.isEmpty ? "\n" : ""
        if let summary { s += summary + "\n" }
        if !s.isEmpty { output(s) }
    }

    // MARK: - Formatting

    /// Seconds per iteration and seconds left, once at least one iteration is done.
    func rates(_ iteration: Int, _ now: Double) -> (perIteration: Double, remaining: Double)? {
        let done = iteration - startIteration
        guard done > 0 else { return nil }
        let perIteration = (now - startTime) / Double(done)
        return (perIteration, perIteration * Double(max(0, total - iteration)))
    }

    func plainLine(_ iteration: Int, _ values: [(String, Double)], _ now: Double) -> String {
        var parts: [String] = []
        if !label.isEmpty { parts.append("label=" + label.replacingOccurrences(of: " ", with: "_")) }
        parts.append("iter=\(iteration)/\(total)")
        for (name, value) in values { parts.append("\(name)=\(Self.number(value))") }
        if let r = rates(iteration, now) {
            parts.append("s_per_iter=\(Self.number(r.perIteration))")
            parts.append("eta_s=\(Self.number(r.remaining))")
        }
        return parts.joined(separator: " ")
    }

    func barLine(_ iteration: Int, _ values: [(String, Double)], _ now: Double) -> String {
        let width = fixedWidth ?? Terminal.size(fd)?.columns ?? 80
        var right = " \(iteration)/\(total)"
        for (name, value) in values { right += " \(name)=\(Self.short(value))" }
        if let r = rates(iteration, now) {
            right += String(format: " %.2f s/it ETA ", r.perIteration) + Self.clockTime(r.remaining)
        }
        let left = label.isEmpty ? "" : label + " "
        // Keep one column free: writing into the last column makes some terminals wrap.
        let barWidth = width - 1 - left.count - right.count - 2
        var line: String
        if barWidth >= 10 {
            line = left + "▕" + Self.bar(Double(iteration) / Double(total), barWidth) + "▏" + right
        } else {
            line = left + right.dropFirst()
        }
        if line.count > width - 1 { line = String(line.prefix(max(0, width - 2))) + "…" }
        return line
    }

    /// A bar `width` cells long, `fraction` full, with eighth-block resolution.
    static func bar(_ fraction: Double, _ width: Int) -> String {
        let eighths = Int((min(1, max(0, fraction)) * Double(width * 8)).rounded(.down))
        let full = eighths / 8, partial = eighths % 8
        let partials = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        var s = String(repeating: "█", count: full) + partials[partial]
        s += String(repeating: " ", count: width - full - (partial > 0 ? 1 : 0))
        return s
    }

    /// Plain-mode number: shortest round-trippable-enough form (%.6g), "nan"/"inf" as such.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        return String(format: "%.6g", v)
    }

    /// Bar-mode number: 4 significant digits.
    static func short(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        return String(format: "%.4g", v)
    }

    /// 75 → "1:15", 3725 → "1:02:05".
    static func clockTime(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
                         : String(format: "%d:%02d", s / 60, s % 60)
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    static func writeAll(_ fd: Int32, _ s: String) {
        var bytes = Array(s.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }
}
