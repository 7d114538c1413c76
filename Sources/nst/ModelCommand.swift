import ArgumentParser

// Placeholder until this command is built; registered in NST.swift.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Install, import and inspect the pretrained VGG weights."
    )

    func run() throws {
        throw ValidationError("nst model is not built yet.")
    }
}
