import ArgumentParser

// Placeholder until this command is built; registered in NST.swift.
struct TransferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract: "Restyle an image (Gatys et al. 2015) on the CPU."
    )

    func run() throws {
        throw ValidationError("nst transfer is not built yet.")
    }
}
