import ArgumentParser
import Foundation
import NSTFileIO
import NSTImage
import NSTQuiz
import NSTWeights

/// Turns whatever a command threw into the one `CLIError` the root reports.
enum ErrorReport {
    static func cliError(for error: Error) -> CLIError {
        switch error {
        case let e as CLIError:
            return e
        case let e as ImageError:
            return e.cliError
        case let e as FileDiagnostic:
            return fileDiagnostic(e)
        case let e as WeightFileError:
            return CLIError("cannot use the weights", file: e.file, why: e.problem, fix: "")
        case let e as ValidationError:
            return usage(e.message, subcommand: nil)
        case let e as CocoaError:
            return CLIError.foundation(e)
        default:
            let ns = error as NSError
            if ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain { return CLIError.foundation(ns) }
            return CLIError(String(describing: error), why: "", fix: "")
        }
    }

    /// A bad command line: one line, exit 64, pointing at the command's help.
    static func usage(_ message: String, subcommand: String?) -> CLIError {
        var text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
        // One line: ArgumentParser lists the valid values below "Please provide one of the
        // following:", one "- value" line each; they are kept, separated by commas.
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = lines.dropFirst().filter { $0.hasPrefix("- ") }.map { String($0.dropFirst(2)) }
        text = lines.first ?? ""
        if !values.isEmpty { text += " " + values.joined(separator: ", ") }
        return CLIError("invalid command line", why: text, fix: "see `nst \(subcommand.map { $0 + " " } ?? "")--help`", kind: .usage)
    }

    /// A bank or answers file problem (`file:line:column: error: …` with its fix) as one line.
    static func fileDiagnostic(_ d: FileDiagnostic) -> CLIError {
        let parts = d.message.split(separator: ": ", maxSplits: 1).map(String.init)
        let l = d.location
        return CLIError(parts[0], file: l.file, line: l.line > 0 ? l.line : nil, column: l.line > 0 ? l.column : nil,
                        why: parts.count > 1 ? parts[1] : "", fix: d.fix)
    }
}

/// Small repairs to the command line before ArgumentParser sees it.
enum CommandLineRepair {
    /// `--size -5` → `--size=-5`: ArgumentParser takes "-5" for a flag and says "Missing value";
    /// joined, the option's own check says what is wrong with the number. Only a token that
    /// is entirely a negative number, right after a `--long` option without `=`, is joined.
    static func negativeNumbersJoined(_ args: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--" { out += args[i...]; break }
            if a.hasPrefix("--"), !a.contains("="), i + 1 < args.count, isNegativeNumber(args[i + 1]) {
                out.append(a + "=" + args[i + 1]); i += 2; continue
            }
            out.append(a); i += 1
        }
        return out
    }

    static func isNegativeNumber(_ s: String) -> Bool {
        s.count > 1 && s.hasPrefix("-") && Double(s) != nil
    }

    /// An unknown command at any level, with the nearest known one by the edit distance the
    /// bank parser's suggestions use (exit 64): `nst trasnfer`, `nst experiment style-dept`,
    /// `nst model fecth`, `nst help trasnfer` → "unknown command 'trasnfer'; did you mean
    /// `nst transfer`?". Under a command with a default subcommand (`nst model` is `nst model
    /// info`) a word may be that subcommand's argument (a model's name), so only a near miss
    /// of a subcommand's name is refused there.
    static func unknownSubcommand(_ args: [String], root: ParsableCommand.Type) -> CLIError? {
        var rest = args[...]
        let help = rest.first == "help"
        if help { rest = rest.dropFirst() }
        var command = root
        var path = [root.configuration.commandName ?? "nst"]
        while let word = rest.first, !word.hasPrefix("-") {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty else { return nil }
            if let next = subcommands.first(where: { $0._commandName == word }) {
                command = next; path.append(word); rest = rest.dropFirst(); continue
            }
            let known = subcommands.map { $0._commandName }
            let best = known.map { ($0, editDistance($0, word)) }.min { $0.1 < $1.1 }
            let near = best.flatMap { $0.1 <= max(2, word.count / 3) ? $0.0 : nil }
            if command.configuration.defaultSubcommand != nil && !help && near == nil { return nil }
            let place = path.joined(separator: " ")
            return CLIError("unknown command '\(word)'", why: "\(place) has \(known.joined(separator: ", "))",
                            fix: near.map { "did you mean `\(place) \($0)`?" } ?? "see `\(place) --help`", kind: .usage)
        }
        return nil
    }
}
