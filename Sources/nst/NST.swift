import ArgumentParser
import Foundation
import NSTFileIO
import NSTTensor
import NSTVersion

@main
struct NST: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nst",
        abstract: "Neural style transfer, taught: a quiz, a gradient-formula checker and the real engine.",
        discussion: """
        Start with `nst quiz`. Check a gradient you derived with `nst check`.
        Regenerate the quiz's experiment with `nst experiment style-depth`.
        """,
        subcommands: [
            QuizCommand.self, CheckCommand.self, TransferCommand.self, ExperimentCommand.self,
            ShowCommand.self, ModelCommand.self, BankCommand.self, BenchCommand.self,
        ]
    )

    // A root flag rather than CommandConfiguration(version:), which would add --version to
    // every subcommand's --help.
    @Flag(name: .long, help: "Print nst's version and exit.")
    var version = false

    func run() throws {
        guard version else { throw CleanExit.helpRequest(self) }
        try StandardStreams.writeOut(NSTVersion.string + "\n")
    }

    /// The one error path: every command throws, and only this reports — one line
    /// `nst: error: …` (see `CLIError`) and exit 1 (runtime), 64 (usage) or 74 (I/O).
    /// Help and `--version`-style clean exits keep ArgumentParser's own output.
    static func main() {
        BLASRuntime.restartWithoutWorkerThreadsUnderAnAddressSpaceLimit(environment: ProcessEnvironment.values)
        ProcessEnvironment.configureProcess()
        StandardStreams.prepareProcess()
        let arguments = CommandLineRepair.negativeNumbersJoined(Array(CommandLine.arguments.dropFirst()))
        if let unknown = CommandLineRepair.unknownSubcommand(arguments, root: NST.self) { report(unknown) }
        var command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            if exitCode(for: error) == .success { cleanExit(error) }   // --help
            report(ErrorReport.usage(message(for: error), subcommand: arguments.first.flatMap { subcommandNames.contains($0) ? $0 : nil }))
        }
        do {
            try command.run()
            try StandardStreams.finishStandardOutput()
        } catch {
            if exitCode(for: error) == .success { cleanExit(error) }   // `--help` parses into a command that throws
            report(error)
        }
    }

    static var subcommandNames: [String] { configuration.subcommands.compactMap { $0.configuration.commandName } }

    /// Help and other clean exits: ArgumentParser's text on standard output, checked (a
    /// closed or full stdout is exit 74, as for every other output).
    static func cleanExit(_ error: Error) -> Never {
        let text = fullMessage(for: error)
        if !text.isEmpty {
            do { try StandardStreams.writeOut(text + "\n") } catch { report(error) }
        }
        Foundation.exit(exitCode(for: error).rawValue)
    }

    /// Prints `error` once (if it has a line to print) and exits with its status.
    static func report(_ error: Error) -> Never {
        if let code = error as? ExitCode { Foundation.exit(code.rawValue) }
        let e = (error as? CLIError) ?? ErrorReport.cliError(for: error)
        StandardStreams.writeError(e.description + "\n")
        Foundation.exit(e.exitStatus)
    }
}
