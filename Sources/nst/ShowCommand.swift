import ArgumentParser

// Placeholder until this command is built; registered in NST.swift.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Draw images side by side in the terminal."
    )

    func run() throws {
        throw ValidationError("nst show is not built yet.")
    }
}
