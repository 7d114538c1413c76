import ArgumentParser

// Placeholder until this command is built; registered in NST.swift.
struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Regenerate the quiz's experiments."
    )

    func run() throws {
        throw ValidationError("nst experiment is not built yet.")
    }
}
