import ArgumentParser

// Placeholder until this command is built; registered in NST.swift.
struct BankCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bank",
        abstract: "Work with question banks (lint)."
    )

    func run() throws {
        throw ValidationError("nst bank is not built yet.")
    }
}
