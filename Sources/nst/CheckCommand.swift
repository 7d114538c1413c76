import ArgumentParser

// Placeholder until this command is built; registered in NST.swift.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a gradient formula you derived against the engine's own loss."
    )

    func run() throws {
        throw ValidationError("nst check is not built yet.")
    }
}
