import Foundation
import NSTFileIO
import NSTQuiz

/// The bank `nst quiz` and `nst bank lint` read: `--bank FILE` when given, else the one built
/// into the binary, parsed with NSTCheck's targets.
public enum BankLocator {
    public static func isDirectory(_ path: String) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &d) && d.boolValue
    }

    /// Parses the bank. An unreadable bank throws its one problem, or prints its problems
    /// and throws a summary.
    public static func load(_ explicit: String?, maxBytes: Int) throws -> Bank {
        let parser = BankParser(knownTargets: CheckerGrader.targets, maxBytes: maxBytes)
        let parsed = explicit.map { parser.parse(contentsOf: URL(fileURLWithPath: $0), displayName: $0) }
            ?? parser.parse(data: ShippedBank.data, file: ShippedBank.displayName)
        // Warnings are for the bank's author (`nst bank lint` shows them), not for students.
        let errors = parsed.diagnostics.filter { $0.severity == .error }
        if parsed.bank == nil, errors.count == 1 { throw errors[0] }
        for d in errors { FileHandle.standardError.write(Data("\(d)\n".utf8)) }
        guard let bank = parsed.bank else {
            throw CLIError("the bank has \(errors.count) errors", file: explicit ?? ShippedBank.displayName, why: "", fix: "see them above (`nst bank lint` checks a bank)")
        }
        return bank
    }
}
