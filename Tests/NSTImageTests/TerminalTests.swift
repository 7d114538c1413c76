import Testing
import Foundation
import NSTImage
@testable import NSTTerminal

@Suite struct TerminalImageRendererTests {
    @Test func xtermPaletteIndices() {
        #expect(TerminalImageRenderer.xterm256(255, 0, 0) == 196)
        #expect(TerminalImageRenderer.xterm256(255, 255, 255) == 231)
        #expect(TerminalImageRenderer.xterm256(0, 0, 0) == 16)
        #expect(TerminalImageRenderer.xterm256(128, 128, 128) == 244)   // grey ramp beats cube (135)
        #expect(TerminalImageRenderer.xterm256(95, 135, 175) == 16 + 36 * 1 + 6 * 2 + 3)
        #expect(TerminalImageRenderer.xterm256(250, 252, 255) == 231)
    }

    /// Top pixel is the foreground of "▀", bottom pixel the background.
    @Test func halfBlockCellsExact() {
        var img = RGBImage(width: 1, height: 3, color: RGBColor(1, 0, 0))
        img[0, 1] = RGBColor(0, 0, 1)
        let t = TerminalImageRenderer(mode: .truecolor).lines(for: img)
        #expect(t == ["\u{1B}[38;2;255;0;0m\u{1B}[48;2;0;0;255m▀\u{1B}[0m",
                      "\u{1B}[38;2;255;0;0m\u{1B}[49m▀\u{1B}[0m"])   // odd height: default background
        let p = TerminalImageRenderer(mode: .ansi256).lines(for: img)
        #expect(p[0] == "\u{1B}[38;5;196m\u{1B}[48;5;21m▀\u{1B}[0m")
    }

    @Test func unchangedColoursAreNotRepeated() {
        let img = RGBImage(width: 3, height: 2, color: .white)
        let line = TerminalImageRenderer(mode: .truecolor).lines(for: img)[0]
        #expect(line == "\u{1B}[38;2;255;255;255m\u{1B}[48;2;255;255;255m▀▀▀\u{1B}[0m")
    }

    @Test func sideBySideFitsWidthAndLabels() {
        let a = RGBImage(width: 64, height: 48, color: RGBColor(1, 0, 0))
        let b = RGBImage(width: 30, height: 60, color: RGBColor(0, 1, 0))
        let r = TerminalImageRenderer(mode: .truecolor)
        let out = r.renderSideBySide([(a, "first.png"), (b, "a-rather-long-label-for-b.jpg")], width: 40)
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { Terminal.visibleWidth($0) <= 40 })
        // Columns of 19: a → 19×14 px (7 rows), b → 19 px wide would need 38 rows of pixels: 19 rows.
        #expect(lines.count == 19 + 1)
        #expect(lines.last!.hasPrefix("first.png"))
        #expect(lines.last!.hasSuffix("a-rather-long-labe…"))   // cut to the 19-column width
        #expect(lines[0].contains("255;0;0") && lines[0].contains("0;255;0"))
        #expect(!lines[10].contains("255;0;0") && lines[10].contains("0;255;0"))   // a has ended
    }

    @Test func narrowTerminalWrapsIntoBands() {
        let img = RGBImage(width: 8, height: 4, color: .black)
        let out = TerminalImageRenderer(mode: .ansi256)
            .renderSideBySide([(img, "a"), (img, "b"), (img, "c")], width: 20, minColumns: 16)
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.count == 3 * (2 + 1))
        #expect(lines[2] == "a" && lines[5] == "b" && lines[8] == "c")
    }

    @Test func maxRowsLimitsHeight() {
        let img = RGBImage(width: 100, height: 100, color: .black)
        let rows = TerminalImageRenderer(mode: .truecolor).render(img, columns: 80, maxRows: 10)
        #expect(rows.count == 10)
        #expect(Terminal.visibleWidth(rows[0]) == 20)
    }

    @Test func absurdSizesAreClampedNotTrapped() {
        let img = RGBImage(width: 4, height: 4, color: .white)
        let r = TerminalImageRenderer(mode: .truecolor)
        #expect(r.render(img, columns: Int.max, maxRows: Int.max).count == 2)
        #expect(r.render(img, columns: 0, maxRows: 0).count == 1)
        let out = r.renderSideBySide([(img, "x")], width: Int.max, gap: Int.max, minColumns: Int.max, maxRows: Int.max)
        #expect(out.split(separator: "\n").count == 3)
    }

    @Test func visibleWidthAndColorMode() {
        #expect(Terminal.visibleWidth("\u{1B}[38;2;1;2;3mab\u{1B}[0m▀") == 3)
        #expect(Terminal.colorMode(environment: ["COLORTERM": "truecolor"]) == .truecolor)
        #expect(Terminal.colorMode(environment: ["COLORTERM": "24bit"]) == .truecolor)
        #expect(Terminal.colorMode(environment: [:]) == .ansi256)
        #expect(Terminal.width(environment: ["COLUMNS": "123"]) > 0)
    }
}

/// Collects output and serves a settable clock.
final class FakeTerminal: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    private var now = 0.0
    var output: String { lock.lock(); defer { lock.unlock() }; return text }
    func write(_ s: String) { lock.lock(); text += s; lock.unlock() }
    func setTime(_ t: Double) { lock.lock(); now = t; lock.unlock() }
    func time() -> Double { lock.lock(); defer { lock.unlock() }; return now }
}

@Suite struct ProgressBarTests {
    func make(_ style: ProgressBar.Style, _ t: FakeTerminal, total: Int = 10, plainEvery: Int = 1, label: String = "") -> ProgressBar {
        ProgressBar(total: total, label: label, style: style, width: 70, plainEvery: plainEvery,
                    clock: { t.time() }, output: { t.write($0) })
    }

    @Test func plainLinesAreParseable() {
        let t = FakeTerminal()
        let bar = make(.plain, t, label: "style transfer")
        bar.update(0, values: [("loss", 5)])
        t.setTime(10)
        bar.update(5, values: [("loss", 1234.5), ("style", 1e-7)])
        bar.finish("done")
        #expect(t.output == """
            label=style_transfer iter=0/10 loss=5
            label=style_transfer iter=5/10 loss=1234.5 style=1e-07 s_per_iter=2 eta_s=10
            done

            """)
    }

    @Test func plainEverySkipsButKeepsTheLast() {
        let t = FakeTerminal()
        let bar = make(.plain, t, total: 7, plainEvery: 3)
        for i in 1...7 { bar.update(i) }
        let iters = t.output.split(separator: "\n").map { $0.split(separator: " ")[0] }
        #expect(iters == ["iter=3/7", "iter=6/7", "iter=7/7"])
    }

    @Test func barRedrawsOneLineAndFitsTheWidth() {
        let t = FakeTerminal()
        let bar = make(.bar, t, label: "transfer")
        t.setTime(1); bar.update(5, values: [("loss", 120400), ("style", 99000)])
        t.setTime(1.01); bar.update(6)            // within 0.1 s: not redrawn
        t.setTime(2); bar.update(10, values: [("loss", 1)])   // the last one always is
        bar.finish()
        let draws = t.output.components(separatedBy: "\r\u{1B}[2K").filter { !$0.isEmpty }
        #expect(draws.count == 2)
        // Too little room for a 10-cell bar beside the values: the numbers win.
        #expect(draws[0] == "transfer 5/10 loss=1.204e+05 style=9.9e+04 0.20 s/it ETA 0:01")
        #expect(draws[1].hasPrefix("transfer ▕██████") && draws[1].contains("█▏ 10/10 loss=1 0.20 s/it ETA 0:00"))
        #expect(draws[1].hasSuffix("\n"))
        #expect(draws.allSatisfy { Terminal.visibleWidth($0.trimmingCharacters(in: .newlines)) <= 69 })
        #expect(!t.output.dropLast().contains("\n"))   // a single line until finish
    }

    @Test func messageKeepsTheBar() {
        let t = FakeTerminal()
        let bar = make(.bar, t)
        t.setTime(1); bar.update(1)
        bar.message("saved out.png")
        #expect(t.output.hasSuffix("\r\u{1B}[2Ksaved out.png\n" + bar.barLine(1, [], 1)))
    }

    @Test func barShapes() {
        #expect(ProgressBar.bar(0.5, 10) == "█████     ")
        #expect(ProgressBar.bar(0.53, 10) == "█████▎    ")   // 42 eighths
        #expect(ProgressBar.bar(1.5, 4) == "████")
        #expect(ProgressBar.clockTime(75) == "1:15" && ProgressBar.clockTime(3725) == "1:02:05")
        #expect(ProgressBar.number(.nan) == "nan")
    }

    @Test func concurrentUpdatesGiveWholeLines() async {
        let t = FakeTerminal()
        let bar = make(.plain, t, total: 400)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask { for i in 0..<100 { bar.update(worker * 100 + i + 1, values: [("loss", 1)]) } }
            }
        }
        let lines = t.output.split(separator: "\n")
        #expect(lines.count == 400)
        #expect(lines.allSatisfy { $0.hasPrefix("iter=") && $0.contains(" loss=1") })
    }
}
