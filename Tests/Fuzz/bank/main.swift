// Fuzz target for the quiz's text parsers: the bank parser (BankParser), the answers-file
// parser (AnswersFile) and the graders that read free text (rubrics, true/false, choice).
//
// Built by scripts/fuzz.sh with `-sanitize=fuzzer,address -D NST_FUZZ`: main hands control
// to libFuzzer's LLVMFuzzerRunDriver. Built normally, the same binary replays files:
// `nst-fuzz-bank FILE|DIR…` runs each input once and checks the invariants.
import Foundation
import NSTQuiz

/// The shipped bank, for the answers files (found from this source file's location).
let shippedBank: Bank = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../Quizzes/neural-style-transfer.quiz").standardizedFileURL
    guard let bank = BankParser().parse(contentsOf: url).bank else { fatalError("cannot read \(url.path)") }
    return bank
}()

/// Formula answers are not checked numerically here (that is NSTFormula's own fuzz target):
/// every formula reads as invalid, which still runs the grading paths around it.
struct NoFormulas: FormulaGrader {
    func grade(target: String, answer: String) -> FormulaOutcome {
        FormulaOutcome(verdict: .invalid, diagnoses: [], echo: "", message: "not checked")
    }
}
let grader = QuizGrader(formula: NoFormulas())

func checkDiagnostic(_ d: FileDiagnostic, lines: Int) {
    precondition(d.location.file == "input", "file name lost: \(d)")
    precondition(d.location.line >= 1 && d.location.line <= lines + 1, "line out of range: \(d)")
    precondition(d.location.column >= 1, "column out of range: \(d)")
    precondition(!d.message.isEmpty && !d.fix.isEmpty, "message or fix missing: \(d)")
}

func checkOne(_ bytes: [UInt8]) {
    let data = Data(bytes)
    let lines = bytes.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }

    // As a bank: either a bank with no errors whose questions have what their kind needs,
    // or errors that each point into the input.
    let r = BankParser(maxBytes: 1 << 16).parse(data: data, file: "input")
    for d in r.diagnostics { checkDiagnostic(d, lines: lines) }
    if let bank = r.bank {
        precondition(r.errors.isEmpty && !bank.questions.isEmpty)
        precondition(Set(bank.questions.map(\.number)).count == bank.questions.count, "duplicate numbers")
        for q in bank.questions {
            precondition(!q.prompt.isEmpty)
            switch q.kind {
            case .formula: precondition(q.key != nil && q.target != nil)
            case .truefalse: precondition(q.answers.count == 1 && !q.rubric.isEmpty)
            case .choice: precondition(q.options.count >= 2 && !q.answers.isEmpty && q.answers.allSatisfy { a in q.options.contains { $0.name == a } })
            case .text: precondition(!q.rubric.isEmpty)
            }
            // Grading any answer against it stays within 0…points.
            let g = grader.grade(q, answer: String(decoding: bytes.prefix(2000), as: UTF8.self))
            precondition(g.score >= 0 && g.score <= q.points, "score out of range")
        }
    } else {
        precondition(!r.errors.isEmpty, "no bank and no error")
    }

    // As an answers file for the shipped bank.
    do {
        let file = try AnswersFile.parse(data: data, file: "input", bank: shippedBank, maxBytes: 1 << 16)
        let report = Report.grade(file, bank: shippedBank, grader: grader)
        precondition(report.score >= 0 && report.score <= report.max)
        precondition(report.questions.allSatisfy { $0.score >= 0 && $0.score <= $0.max })
        _ = report.json(); _ = report.text()
    } catch let d as FileDiagnostic {
        checkDiagnostic(d, lines: lines)
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    checkOne(size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : [])
    return 0
}

#if NST_FUZZ
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzTestOneInput(data, size) })
#else
var files: [String] = []
for arg in CommandLine.arguments.dropFirst() {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: arg, isDirectory: &isDirectory), isDirectory.boolValue {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: arg)) ?? []
        files += names.sorted().map { arg + "/" + $0 }
    } else {
        files.append(arg)
    }
}
if files.isEmpty {
    FileHandle.standardError.write(Data("usage: nst-fuzz-bank FILE|DIR… (replays inputs; scripts/fuzz.sh fuzzes)\n".utf8))
    exit(64)
}
for file in files {
    guard let data = FileManager.default.contents(atPath: file) else {
        FileHandle.standardError.write(Data("error: \(file): cannot read\n".utf8))
        exit(1)
    }
    checkOne([UInt8](data))
}
print("replayed \(files.count) inputs without a failure")
#endif
