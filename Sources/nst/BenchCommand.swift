import ArgumentParser

// Placeholder until this command is built; registered in NST.swift.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engine's speed and memory."
    )

    func run() throws {
        throw ValidationError("nst bench is not built yet.")
    }
}
