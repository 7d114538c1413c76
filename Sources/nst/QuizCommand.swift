import ArgumentParser

// Placeholder until this command is built; registered in NST.swift.
struct QuizCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quiz",
        abstract: "Take the twelve-question quiz on neural style transfer."
    )

    func run() throws {
        throw ValidationError("nst quiz is not built yet.")
    }
}
