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
        if let nl = text.firstIndex(of: "\n") { text = String(text[..<nl]) }
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

    /// `nst trasnfer` → "unknown command 'trasnfer'; did you mean transfer?" (exit 64), by the
    /// edit distance the bank parser's suggestions use.
    static func unknownSubcommand(_ args: [String], known: [String]) -> CLIError? {
        guard let first = args.first, !first.hasPrefix("-"), !known.contains(first), first != "help" else { return nil }
        let best = known.map { ($0, editDistance($0, first)) }.min { $0.1 < $1.1 }
        let fix = best.map { $0.1 <= max(2, first.count / 3) ? "did you mean `nst \($0.0)`?" : "" } ?? ""
        return CLIError("unknown command '\(first)'", why: "nst has \(known.joined(separator: ", "))",
                        fix: fix.isEmpty ? "see `nst --help`" : fix, kind: .usage)
    }
}
