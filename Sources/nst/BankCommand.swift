import ArgumentParser
import Foundation
import NSTQuiz
import NSTCheckGrader
import NSTFileIO

struct BankCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bank",
        abstract: "Work with question banks (lint).",
        discussion: """
        A bank is a plain-text .quiz file; its format is described in docs/quiz.md.

        Examples:
          nst bank lint Quizzes/neural-style-transfer.quiz
        """,
        subcommands: [Lint.self]
    )

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lint",
            abstract: "Check a question bank: syntax, keys, options and rubrics.",
            discussion: """
            Reports every problem as file:line:column with a fix, then the number
            of questions. Checks the syntax and each kind's required fields; every
            formula key, numerically, with `nst check` against its target (a key
            that is not the right gradient is an error); that every choice
            question has a right option among its options; that every text and
            true/false rubric has key ideas; and runs every question's `test:`
            lines (an answer and the score it must get): a failing test is an
            error at its line. The format: docs/quiz.md.
            Exit status: 0 the bank is sound, 1 it has errors (or cannot be read).

            Examples:
              nst bank lint                     the built-in bank
              nst bank lint Quizzes/neural-style-transfer.quiz
              nst bank lint my-course.quiz
              nst bank lint my-course.quiz --json
            """
        )

        @Argument(help: ArgumentHelp("The bank to check. (default: the built-in bank)", valueName: "file"))
        var file: String?

        @Flag(help: "Print one JSON object (ok, questions, kinds, errors, diagnostics with file, line, column, message and fix) instead of the text.")
        var json = false

        @Option(name: .long, help: ArgumentHelp("Refuse banks larger than this.", valueName: "bytes"))
        var maxBankBytes: Int = 1 << 20

        func validate() throws {
            if maxBankBytes < 1 { throw ValidationError("--max-bank-bytes must be positive.") }
        }

        func run() throws {
            let linter = BankLinter(grader: CheckerGrader(), parser: BankParser(knownTargets: CheckerGrader.targets, maxBytes: maxBankBytes))
            let name = file ?? ShippedBank.displayName
            let result = file.map { linter.lint(contentsOf: URL(fileURLWithPath: $0), displayName: $0) }
                ?? linter.lint(data: ShippedBank.data, file: name)
            // A file that cannot be read at all (its one problem has no line) is an error, not a finding.
            if result.bank == nil, result.errors.count == 1, result.errors[0].location.line == 0 { throw result.errors[0] }
            if json {
                try printJSON(result.report(file: name))
            } else {
                for d in result.diagnostics { StandardStreams.writeError("\(d)\n") }
                try StandardStreams.writeOut(result.summary(file: name) + "\n")
            }
            if !result.ok { throw ExitCode(1) }
        }
    }
}
