import Testing
import Foundation

/// End-to-end tests of `nst show`, run on the built binary with a controlled environment
/// (no terminal: stdout and stderr are pipes).
@Suite struct ShowCommandTests {
    /// The image fixtures of NSTImageTests.
    static func fixture(_ name: String) -> String {
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<2 { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("NSTImageTests/Fixtures").appendingPathComponent(name).path
    }

    static let environment = ["PATH": "/usr/bin:/bin", "COLUMNS": "80"]

    static func show(_ args: [String], environment: [String: String] = environment) throws -> NSTBinary.Output {
        try NSTBinary.run(["show"] + args, environment: environment)
    }

    @Test func helpTextIsExact() throws {
        let r = try Self.show(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout == Self.expectedHelp + "\n\n")   // ArgumentParser ends help with a blank line
    }

    /// Not a terminal: one line per image, `PATH W×H FORMAT`, format by content.
    @Test func listsImagesWhenNotATerminal() throws {
        let files = ["rgb.png", "progressive.jpg", "png-named.jpg", "cmyk.jpg"].map(Self.fixture)
        let r = try Self.show(files)
        #expect(r.status == 0)
        #expect(r.stderr == "")
        #expect(r.stdout == """
            \(files[0]) 8×6 PNG
            \(files[1]) 32×24 JPEG
            \(files[2]) 8×6 PNG
            \(files[3]) 16×16 JPEG

            """)
    }

    /// Bad files: one line each on stderr naming the file; the good ones still listed; status 1.
    @Test func unreadableImagesReportedOthersStillShown() throws {
        let good = Self.fixture("gray.png")
        let bad = ["truncated.jpg", "corrupt.png", "empty.png", "text.jpg", "huge.png", "picture.gif", "no-such.png"]
            .map(Self.fixture)
        let r = try Self.show([bad[0], good] + bad.dropFirst())
        #expect(r.status == 1)
        #expect(r.stdout == "\(good) 8×6 PNG\n")
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == bad.count)
        for (line, path) in zip(lines, bad) { #expect(line.hasPrefix("nst: error: cannot read the image (\(path)): "), "\(line)") }
        #expect(lines[0].contains("truncated JPEG file"))
        #expect(lines[1].contains("corrupt PNG file"))
        #expect(lines[2].contains("empty (0 bytes)"))
        #expect(lines[3].contains("not a PNG or JPEG image"))
        #expect(lines[4].contains("image too large: 100000×100000"))
        #expect(lines[5].contains("is a GIF image"))
        #expect(lines[6].contains("No such file or directory"))
    }

    @Test func limitsFromFlagsAndEnvironment() throws {
        let file = Self.fixture("baseline.jpg")
        let byFlag = try Self.show(["--max-image-side", "16", file])
        #expect(byFlag.status == 1)
        #expect(byFlag.stderr.contains("image too large: 32×24"))
        var env = Self.environment
        env["NST_MAX_IMAGE_PIXELS"] = "100"
        let byEnv = try Self.show([file], environment: env)
        #expect(byEnv.status == 1)
        #expect(byEnv.stderr.contains("exceeds the limit of 16384 pixels per side and 100 pixels in all"))
        let raised = try Self.show(["--max-image-pixels", "768", file], environment: env)
        #expect(raised.status == 0)
    }

    /// --draw always: half-block cells with 256-colour codes, fitted to --width, labels below.
    @Test func drawsHalfBlocksWhenAsked() throws {
        let files = [Self.fixture("resize-source.png"), Self.fixture("baseline.jpg")]
        let r = try Self.show(["--draw", "always", "--colors", "256", "--width", "40"] + files)
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        // 19 columns each: 97×61 → 19×12 px (6 rows); 32×24 → 19×14 px (7 rows); then labels.
        #expect(lines.count == 8)
        #expect(lines.dropLast().allSatisfy { $0.contains("▀") && $0.contains("\u{1B}[38;5;") && !$0.contains("38;2;") })
        #expect(lines.last == "resize-source.png…   baseline.jpg 32×24")
        #expect(lines.allSatisfy { Self.visibleWidth($0) <= 40 })
        let truecolor = try Self.show(["--draw", "always", "--colors", "truecolor", "--width", "40"] + files)
        #expect(truecolor.stdout.contains("\u{1B}[38;2;") && truecolor.stdout.contains("\u{1B}[48;2;"))
    }

    @Test func rowsLimitHeight() throws {
        let r = try Self.show(["--draw", "always", "--rows", "3", "--width", "80", Self.fixture("resize-source.png")])
        #expect(r.stdout.split(separator: "\n").count == 3 + 1)
    }

    @Test func badOptionsAreRefused() throws {
        let narrow = try Self.show(["--width", "3", Self.fixture("rgb.png")])
        #expect(narrow.status == 64)
        #expect(narrow.stderr.contains("--width 3 is too narrow; use 8 or more columns;"))
        let colors = try Self.show(["--colors", "16", Self.fixture("rgb.png")])
        #expect(colors.status == 64)
        #expect(colors.stderr.contains("auto"))
        let huge = try Self.show(["--width", "9223372036854775807", "--rows", "5", Self.fixture("rgb.png")])
        #expect(huge.status == 64)
        #expect(huge.stderr.contains("use at most 10000 columns"))
        let tall = try Self.show(["--rows", "99999", Self.fixture("rgb.png")])
        #expect(tall.status == 64)
        let none = try Self.show([])
        #expect(none.status == 64)
    }

    static func visibleWidth(_ s: String) -> Int {
        var n = 0, escape = false
        for u in s.unicodeScalars {
            if escape { if u == "m" { escape = false }; continue }
            if u == "\u{1B}" { escape = true; continue }
            n += 1
        }
        return n
    }

    static let expectedHelp = #"""
        OVERVIEW: Draw images side by side in the terminal.

        Each text cell shows two pixels with the half-block character ▀ (top pixel in
        the foreground colour, bottom pixel in the background), so images keep their
        shape. Images are only ever shrunk, with anti-aliasing.

        When standard output is not a terminal (a pipe or a file), nothing is drawn
        unless --draw always is given: each image gets one line instead, `PATH
        WIDTH×HEIGHT FORMAT`.

        Images that cannot be read get a one-line error naming the file on standard
        error; the others are still shown, and the exit status is 1.

        PNG and JPEG are read, whatever the file's extension. Images larger than the
        limits are refused before they are decoded; the environment variables
        NST_MAX_IMAGE_SIDE and NST_MAX_IMAGE_PIXELS set the same limits as the options
        below.

        Examples:
          nst show Examples/images/sea-turtle.jpg Examples/images/great-wave.jpg
          nst show --width 100 --colors 256 out/style-depth/figure.png
          nst show out/*.png > sizes.txt

        USAGE: nst show <image> ... [--width <width>] [--rows <rows>] [--colors <auto|truecolor|256>] [--draw <auto|always|never>] [--max-image-side <max-image-side>] [--max-image-pixels <max-image-pixels>]

        ARGUMENTS:
          <image>                 PNG or JPEG files.

        OPTIONS:
          --width <width>         Columns to use in all (default: the terminal's width,
                                  else $COLUMNS, else 80).
          --rows <rows>           Most text rows per image, each row two pixels
                                  (default: the terminal's height less 3, so a row of
                                  images fits on screen; unlimited when not a terminal).
          --colors <auto|truecolor|256>
                                  Colour codes: truecolor (24-bit), 256 (xterm
                                  palette), or auto (truecolor when $COLORTERM is
                                  truecolor or 24bit). (values: auto, truecolor, 256;
                                  default: auto)
          --draw <auto|always|never>
                                  Draw images (always), list them (never), or draw only
                                  when standard output is a terminal (auto). (values:
                                  auto, always, never; default: auto)
          --max-image-side <max-image-side>
                                  Refuse images with a side longer than this many
                                  pixels. (default: 16384)
          --max-image-pixels <max-image-pixels>
                                  Refuse images with more pixels than this. (default:
                                  50000000)
          -h, --help              Show help information.
        """#
}

/// `nst show` with standard output closed, full or cut short (#11): never a trap.
@Suite struct ShowOutputStreamTests {
    /// Runs `nst show IMAGE` through bash with `redirect` applied (stderr to a file); nst's
    /// own status, also through a pipe.
    static func show(redirect: String) throws -> (status: Int32, signalled: Bool, stderr: String) {
        let err = FileManager.default.temporaryDirectory.appendingPathComponent("nst-show-err-\(UUID().uuidString)").path
        defer { unlink(err) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", "\"$0\" show --draw never \"$1\" 2>\"$2\" \(redirect); exit ${PIPESTATUS[0]}", NSTBinary.url.path,
                       ShowCommandTests.fixture("rgb.png"), err]
        try p.run()
        p.waitUntilExit()
        return (p.terminationStatus, p.terminationReason == .uncaughtSignal,
                String(decoding: FileManager.default.contents(atPath: err) ?? Data(), as: UTF8.self))
    }

    @Test(arguments: [(">&-", "Bad file descriptor"), (">/dev/full", "No space left on device")])
    func aFailedWriteToStandardOutputExits74WithOneLine(redirect: String, why: String) throws {
        let r = try Self.show(redirect: redirect)
        #expect(!r.signalled && r.status == 74, "status \(r.status): \(r.stderr)")
        #expect(r.stderr == "nst: error: cannot write to standard output: \(why); " + (redirect == ">&-"
            ? "the stream was closed by the reader; run again with the output redirected to a file\n"
            : "free some disk space or write to another disk\n"), "\(r.stderr)")
    }

    @Test func helpToAFullStandardOutputExits74() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "exec \"$0\" show --help >/dev/full 2>/dev/null", NSTBinary.url.path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationReason == .exit && p.terminationStatus == 74)
    }

    @Test func aReaderThatStopsEarlyEndsQuietly() throws {
        let r = try Self.show(redirect: "| head -c 0")
        #expect(!r.signalled && r.status == 0 && r.stderr.isEmpty, "status \(r.status): \(r.stderr)")
    }
}
