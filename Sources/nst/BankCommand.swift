import ArgumentParser
import Foundation
import NSTQuiz
import NSTCheckGrader

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
            Exit status: 0 the bank is sound, 1 it has errors.

            Examples:
              nst bank lint                     the built-in bank
              nst bank lint Quizzes/neural-style-transfer.quiz
              nst bank lint my-course.quiz
            """
        )

        @Argument(help: ArgumentHelp("The bank to check. (default: the built-in bank)", valueName: "file"))
        var file: String?

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
            for d in result.diagnostics { FileHandle.standardError.write(Data("\(d)\n".utf8)) }
            guard result.ok, let bank = result.bank else {
                let n = result.errors.count
                print("\(name): \(n) error\(n == 1 ? "" : "s")")
                throw ExitCode(1)
            }
            let formulas = bank.questions.filter { $0.kind == .formula }.count
            let counts = QuestionKind.allCases.map { k in "\(bank.questions.filter { $0.kind == k }.count) \(k.rawValue)" }
            print("\(name): OK, \(bank.questions.count) question\(bank.questions.count == 1 ? "" : "s") (\(counts.joined(separator: ", "))); \(formulas) formula key\(formulas == 1 ? "" : "s") checked by nst check")
            if result.testsRun > 0 {
                let categories = result.categories.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                print("\(result.testsRun) question test\(result.testsRun == 1 ? "" : "s") passed (\(categories))")
            }
        }
    }
}
