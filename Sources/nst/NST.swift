import ArgumentParser
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
        print(NSTVersion.string)
    }
}
