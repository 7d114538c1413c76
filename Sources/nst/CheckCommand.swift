import ArgumentParser
import Foundation
import NSTCheck
import NSTFileIO
import NSTQuiz
import NSTVGG
import NSTWeights

extension CheckTarget: ExpressibleByArgument {}

/// Where the check's F, P and A come from.
enum BindingsChoice: String, CaseIterable, ExpressibleByArgument {
    /// Real VGG activations when a model is installed, random tensors otherwise.
    case auto
    case random
    case model
}

/// `nst check`: verify a typed gradient formula against the engine's own loss.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a gradient formula you derived against the engine's own loss.",
        discussion: FormulaLanguageHelp.text
    )

    @Option(help: "The quantity your answer is (see TARGETS).")
    var target: CheckTarget?

    // `.unconditional`: the value may start with a minus (--answer -P+F, --answer "-(P - F)").
    @Option(parsing: .unconditional, help: ArgumentHelp("Your formula, in the language above (- reads it from standard input).", valueName: "formula"))
    var answer: String?

    @Option(help: ArgumentHelp("A derivation to check row by row: LHS = e1 then = e_k a line, or a LaTeX aligned block (- reads standard input; see docs/derivations.md).", valueName: "file"))
    var derivation: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("A custom scalar loss to differentiate instead of a target.", valueName: "formula"))
    var loss: String?

    @Option(help: ArgumentHelp("With --loss: the matrix to differentiate by (F, P or A).", valueName: "symbol"))
    var wrt: String?

    @Flag(help: "Print one JSON object (verdict, max_rel_error, diagnosis, shape, expected_shape, …).")
    var json = false

    @Option(help: "Seed of the random draws (the same seed gives the same draws).")
    var seed: UInt64 = 0

    @Option(help: "Independent draws the answer must match on.")
    var draws: Int = 3

    @Option(help: "The VGG layer whose activations are used when a model is installed.")
    var layer: String = "relu1_1"

    @Option(help: "Where F, P, A come from: a model's activations or seeded random tensors.")
    var bindings: BindingsChoice = .auto

    func validate() throws {
        if derivation != nil {
            if answer != nil || loss != nil || wrt != nil {
                throw ValidationError("--derivation checks a whole derivation; give it without --answer, --loss or --wrt.")
            }
            guard (1...10).contains(draws) else {
                throw ValidationError("--draws must be between 1 and 10 with --derivation (got \(draws)).")
            }
            return
        }
        if answer == nil {
            throw ValidationError("Give --answer FORMULA (with --target or --loss), or --derivation FILE.")
        }
        if target == nil && loss == nil {
            throw ValidationError("Give --target T (one of \(CheckTarget.allCases.map(\.rawValue).joined(separator: ", "))) or --loss EXPR --wrt X.")
        }
        if target != nil && loss != nil {
            throw ValidationError("Give either --target or --loss, not both.")
        }
        if loss != nil && wrt == nil {
            throw ValidationError("--loss needs --wrt X: the matrix to differentiate by (F, P or A).")
        }
        if wrt != nil && loss == nil {
            throw ValidationError("--wrt goes with --loss; a --target already says what to differentiate.")
        }
        if bindings != .random {
            do { _ = try VGGArchitecture.vgg19.resolve(layer) } catch { throw ValidationError("--layer: \(error)") }
        }
        guard (1...20).contains(draws) else {
            throw ValidationError("--draws must be between 1 and 20 (got \(draws)).")
        }
    }

    /// The check could not be set up: the error's line, then exit 3 (as --help and
    /// docs/checker.md say), so a script never takes it for an incorrect answer (1).
    func cannotSetUp(_ error: CLIError) throws -> Never {
        StandardStreams.writeError(error.description + "\n")
        throw ExitCode(3)
    }

    /// Standard input, up to `limit` characters; more is unreadable input (exit 2).
    static func standardInput(holding what: String, limit: Int) throws -> String {
        guard let read = StandardStreams.readInput(maxScalars: limit) else {
            StandardStreams.writeError("nst: error: \(what) on standard input is too long: it holds more than \(limit) characters (the limit is \(limit)); shorten it\n")
            throw ExitCode(2)
        }
        return read
    }

    /// The most bytes of a derivation read (the parser's own limit is in characters).
    static let maxDerivationBytes = 80_000

    func runDerivation(_ path: String) throws {
        let text: String
        let limit = DerivationOptions().limits.maxLength
        if path == "-" {
            text = try Self.standardInput(holding: "the derivation", limit: limit)
        } else {
            switch BoundedFile.read(path, maxBytes: Self.maxDerivationBytes) {
            case .success(let data):
                guard let s = String(data: data, encoding: .utf8) else {
                    throw CLIError("cannot read the derivation", file: path, why: "it is not UTF-8 text", fix: "save it as UTF-8 text")
                }
                text = s
            case .failure(let problem):
                throw CLIError("cannot read the derivation", file: path, why: problem.message,
                               fix: problem.tooLarge ? "a derivation is a few rows: shorten it" : "check the path")
            }
        }
        let checker = DerivationChecker(options: DerivationOptions(seed: seed, draws: draws, target: target))
        let report = checker.check(text)
        try StandardStreams.writeOut((json ? report.json : report.text) + "\n")
        switch report.verdict {
        case .correct: return
        case .incorrect: throw ExitCode(1)
        case .invalid: throw ExitCode(2)
        }
    }

    func run() throws {
        if let derivation { return try runDerivation(derivation) }
        guard let answer else { throw ExitCode(2) }
        var options = CheckOptions(seed: seed, draws: draws, layer: layer)
        var activations: (any ActivationSource)?
        if bindings != .random {
            if let model = ModelStore.defaultModel() {
                do {
                    activations = try VGGActivations(modelURL: model, layer: layer)
                } catch let error as CheckSetupError {
                    // A layer the installed model does not have is the user's to fix, never a
                    // quiet switch to random data.
                    try cannotSetUp(CLIError("cannot check at --layer \(layer)", file: model.path, why: error.description,
                                             fix: "choose a layer of the installed model (relu1_1 … relu5_3 for VGG16), or use --bindings random"))
                } catch {
                    if bindings == .model { try cannotSetUp(CLIError("cannot use the model", file: model.path, why: "\(error)", fix: "run `\(ModelStore.fetchCommand)` again, or use --bindings random")) }
                    options.bindingsNote = "the model could not be used: \(error)"
                }
            } else if bindings == .model {
                try cannotSetUp(CLIError("no model installed", why: "--bindings model needs one", fix: "run `\(ModelStore.fetchCommand)`, or use --bindings random"))
            } else {
                options.bindingsNote = "no model installed (`\(ModelStore.fetchCommand)` installs one)"
            }
        }
        options.bindings = activations == nil ? .random : .model
        let checker = Checker(options: options, activations: activations)
        let limit = options.limits.maxLength
        let typed: String
        if answer == "-" {
            typed = try Self.standardInput(holding: "the formula", limit: limit)
        } else {
            typed = answer
        }
        let report: CheckReport
        if let target {
            report = checker.check(target: target, answer: typed)
        } else {
            report = checker.check(loss: loss!, wrt: wrt!, answer: typed)
        }
        try StandardStreams.writeOut((json ? report.json : report.text) + "\n")
        switch report.verdict {
        case .correct: return
        case .incorrect: throw ExitCode(1)
        case .invalid: throw ExitCode(2)
        }
    }
}
