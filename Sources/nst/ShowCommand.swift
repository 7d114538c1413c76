import ArgumentParser
import Foundation
import NSTFileIO
import NSTImage
import NSTTerminal
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `nst show IMAGE…`: images side by side in the terminal, or a list when piped.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Draw images side by side in the terminal.",
        discussion: """
        Each text cell shows two pixels with the half-block character ▀ (top pixel in the \
        foreground colour, bottom pixel in the background), so images keep their shape. \
        Images are only ever shrunk, with anti-aliasing.

        When standard output is not a terminal (a pipe or a file), nothing is drawn unless \
        --draw always is given: each image gets one line instead, `PATH WIDTH×HEIGHT FORMAT`.

        Images that cannot be read get a one-line error naming the file on standard error; \
        the others are still shown, and the exit status is 1.

        PNG and JPEG are read, whatever the file's extension. Images larger than the limits \
        are refused before they are decoded; the environment variables NST_MAX_IMAGE_SIDE \
        and NST_MAX_IMAGE_PIXELS set the same limits as the options below.

        Examples:
          nst show Examples/images/sea-turtle.jpg Examples/images/great-wave.jpg
          nst show --width 100 --colors 256 out/style-depth/figure.png
          nst show out/*.png > sizes.txt
        """
    )

    enum Colors: String, ExpressibleByArgument, CaseIterable {
        case auto, truecolor
        case ansi256 = "256"
    }

    enum Draw: String, ExpressibleByArgument, CaseIterable {
        case auto, always, never
    }

    @Argument(help: ArgumentHelp("PNG or JPEG files.", valueName: "image"))
    var images: [String]

    @Option(help: "Columns to use in all (default: the terminal's width, else $COLUMNS, else 80).")
    var width: Int?

    @Option(help: "Most text rows per image, each row two pixels (default: the terminal's height less 3, so a row of images fits on screen; unlimited when not a terminal).")
    var rows: Int?

    @Option(help: ArgumentHelp("Colour codes: truecolor (24-bit), 256 (xterm palette), or auto (truecolor when $COLORTERM is truecolor or 24bit).",
                               valueName: "auto|truecolor|256"))
    var colors: Colors = .auto

    @Option(help: ArgumentHelp("Draw images (always), list them (never), or draw only when standard output is a terminal (auto).",
                               valueName: "auto|always|never"))
    var draw: Draw = .auto

    @Option(help: "Refuse images with a side longer than this many pixels.")
    var maxImageSide: Int = ImageLimits.default.maxSide

    @Option(help: "Refuse images with more pixels than this.")
    var maxImagePixels: Int = ImageLimits.default.maxPixels

    func validate() throws {
        if images.isEmpty { throw ValidationError("Give at least one image, e.g. `nst show Examples/images/sea-turtle.jpg`.") }
        if let width, width < 8 { throw ValidationError("--width \(width) is too narrow; use 8 or more columns.") }
        if let width, width > 10000 { throw ValidationError("--width \(width) is wider than any terminal; use at most 10000 columns.") }
        if let rows, rows < 1 { throw ValidationError("--rows must be at least 1 (got \(rows)).") }
        if let rows, rows > 10000 { throw ValidationError("--rows \(rows) is taller than any terminal; use at most 10000 rows.") }
        if maxImageSide < 1 { throw ValidationError("--max-image-side must be positive (got \(maxImageSide)).") }
        if maxImagePixels < 1 { throw ValidationError("--max-image-pixels must be positive (got \(maxImagePixels)).") }
    }

    func run() throws {
        var limits = ImageLimits.default
        limits.maxSide = maxImageSide
        limits.maxPixels = maxImagePixels

        let mode: TerminalColorMode = switch colors {
        case .auto: Terminal.colorMode(environment: ProcessEnvironment.values)
        case .truecolor: .truecolor
        case .ansi256: .ansi256
        }
        let maxRows = rows ?? Terminal.size(STDOUT_FILENO).map { max(4, $0.rows - 3) }
        let (out, failures) = ImageShow.render(paths: images, limits: limits, draw: draw == .always || (draw == .auto && Terminal.isTTY(STDOUT_FILENO)),
                                               mode: mode, width: width ?? Terminal.width(environment: ProcessEnvironment.values), maxRows: maxRows)
        for error in failures { StandardStreams.writeError(ErrorReport.cliError(for: error).description + "\n") }
        try StandardStreams.writeOut(out, readerMayStop: true)
        if !failures.isEmpty { throw ExitCode(1) }
    }
}
