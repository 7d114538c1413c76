import Testing
import Foundation

/// Question 12's images in a terminal, under a pseudo-terminal (util-linux `script`) whose
/// environment announces each image protocol: kitty and iTerm2 get the PNG file pixel for
/// pixel, sixel the image at its own size, any other terminal text cells with an enlarged view
/// of where the images differ; every path ends with file:// links to the neutral copies.
@Suite("question 12's images per terminal", .serialized)
struct QuestionImagesTests {
    struct Case: Sendable, CustomStringConvertible {
        var environment: [String: String]
        var marker: String
        var description: String { environment.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ") }
    }

    static let kitty = "\u{1B}_Gf=100,a=T,q=2,m=", iterm = "\u{1B}]1337;File=name=", sixel = "\u{1B}P0;1;0q\"1;1;24;16"

    static let cases: [Case] = [
        Case(environment: ["TERM": "xterm-kitty"], marker: kitty),
        Case(environment: ["TERM": "xterm-256color", "KITTY_WINDOW_ID": "1"], marker: kitty),
        Case(environment: ["TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"], marker: iterm),
        Case(environment: ["TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"], marker: iterm),
        Case(environment: ["TERM": "foot"], marker: sixel),
        Case(environment: ["TERM": "xterm", "NST_IMAGE_PROTOCOL": "sixel"], marker: sixel),
        Case(environment: ["TERM": "xterm-kitty", "NST_IMAGE_PROTOCOL": "cells"], marker: "Enlarged: the "),
        Case(environment: ["TERM": "xterm"], marker: "Enlarged: the "),
    ]

    @Test(arguments: cases)
    func eachTerminalGetsItsProtocol(_ c: Case) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            Issue.record("util-linux `script` is needed for the pseudo-terminal test"); return
        }
        let dir = try QuizImageTests().experimentFolder()
        let command = "cd '\(dir.path)' && exec '\(NSTBinary.url.path)' quiz --bank '\(QuizCLI.bank)' --only 12"
        let p = try LiveProcess(executable: URL(fileURLWithPath: "/usr/bin/script"), arguments: ["-qfec", command, "/dev/null"],
                                environment: QuizCLI.environment(state: dir, extra: c.environment.merging(["SHELL": "/bin/sh"]) { a, _ in a }))
        #expect(p.waitFor("answer> "))
        p.send("quit")
        #expect(p.waitFor("Stopped."))
        p.finish()
        let t = p.text
        #expect(t.contains(c.marker), "\(c): \(t.prefix(600))")
        for other in [Self.kitty, Self.iterm, Self.sixel, "Enlarged: the "] where other != c.marker {
            #expect(!t.contains(other), "\(c) also wrote \(other.debugDescription)")
        }
        #expect(t.contains("Open them at full size:\n  [first] file://\(dir.path)/nst/images/neural-style-transfer-first.png"), "\(t)")
        #expect(!t.contains("layers-5"))
        if c.marker == Self.kitty || c.marker == Self.iterm {
            // The PNG file itself, base64, whole: pixel for pixel.
            let png = try Data(contentsOf: dir.appendingPathComponent("out/style-depth/layers-5.png")).base64EncodedString()
            let payload = c.marker == Self.kitty
                ? t.components(separatedBy: Self.kitty).dropFirst().first.map { String($0.dropFirst(2).prefix { $0 != "\u{1B}" }) }
                : t.components(separatedBy: ":").first { $0.hasPrefix(String(png.prefix(16))) }.map { String($0.prefix { $0 != "\u{07}" }) }
            #expect(payload == png, "\(c)")
        }
    }
}
