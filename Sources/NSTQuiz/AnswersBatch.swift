import Foundation
import NSTFileIO

/// Grading a class at once: many answers files (or folders of them) in one process, with a
/// gradebook CSV. Identical formula answers are checked once (students often type the same
/// formula), which is what keeps a thousand files fast.
public struct AnswersBatch: Sendable {
    public var reports: [Report]
    /// Files that could not be read or parsed (each with file:line and a fix).
    public var failures: [FileDiagnostic]

    /// `paths`: answers files, or folders whose `*.answers` files are graded in name order.
    public static func grade(paths: [String], bank: Bank, grader: QuizGrader, maxBytes: Int) -> AnswersBatch {
        let (files, unreadable) = answersFiles(paths)
        var failures = unreadable
        let cached = QuizGrader(formula: CachingFormulaGrader(grader.formula))
        // Files are graded in parallel (each on its own), then reported in name order.
        let results = ResultSlots<Swift.Result<Report, FileDiagnostic>>(count: files.count)
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            results[i] = gradeOne(files[i], bank: bank, grader: cached, maxBytes: maxBytes)
        }
        var reports: [Report] = []
        for r in results.values {
            switch r {
            case .success(let report): reports.append(report)
            case .failure(let d): failures.append(d)
            case nil: break
            }
        }
        return AnswersBatch(reports: reports, failures: failures)
    }

    /// The answers files `paths` name: each file as given, each folder's `*.answers` files in
    /// name order; a folder that cannot be listed or holds none is a failure.
    static func answersFiles(_ paths: [String]) -> (files: [String], failures: [FileDiagnostic]) {
        var files: [String] = []
        var failures: [FileDiagnostic] = []
        for path in paths {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                let listing: [String]
                do { listing = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
                    failures.append(FileDiagnostic(SourceLocation(file: path, line: 0, column: 0),
                                                   "the folder cannot be listed (\(CLIError.foundation(error).why))",
                                                   fix: "check its permissions"))
                    continue
                }
                let names = listing.filter { $0.hasSuffix(".answers") }.sorted()
                if names.isEmpty {
                    failures.append(FileDiagnostic(SourceLocation(file: path, line: 0, column: 0), "the folder holds no .answers files",
                                                   fix: "name answers files like student-17.answers"))
                }
                files += names.map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        return (files, failures)
    }

    static func gradeOne(_ file: String, bank: Bank, grader: QuizGrader, maxBytes: Int) -> Swift.Result<Report, FileDiagnostic> {
        switch BoundedFile.read(file, maxBytes: maxBytes) {
        case .failure(let problem):
            return .failure(FileDiagnostic(SourceLocation(file: file, line: problem.tooLarge ? 1 : 0, column: problem.tooLarge ? 1 : 0),
                problem.tooLarge ? problem.message : "cannot read the answers file: \(problem.message)",
                fix: problem.tooLarge ? "an answers file is small text; raise the limit with --max-bank-bytes" : "check the path; the format is in docs/quiz.md"))
        case .success(let data):
            do {
                return .success(Report.grade(try AnswersFile.parse(data: data, file: file, bank: bank, maxBytes: maxBytes), bank: bank, grader: grader))
            } catch let d as FileDiagnostic {
                return .failure(d)
            } catch {
                return .failure(FileDiagnostic(SourceLocation(file: file, line: 0, column: 0), "\(error)", fix: "check the file"))
            }
        }
    }

    public func json() -> String {
        struct All: Codable { var reports: [Report]; var unreadable: [String] }
        return (try? JSONFormat.string(All(reports: reports, unreadable: failures.map(\.description)))) ?? "{}"
    }

    public func summary() -> String {
        let review = reports.filter { $0.questions.contains(where: \.needsReview) }.count
        return "Graded \(reports.count) file\(reports.count == 1 ? "" : "s")" + (failures.isEmpty ? "" : "; \(failures.count) could not be read")
            + "; \(review) need\(review == 1 ? "s" : "") review."
    }

    /// One row per file: the student (the file name without `.answers`), one column per
    /// question, the total, and whether any answer needs review. Comma-separated, quoted
    /// where needed (RFC 4180), with a header row: the shape Moodle's and Canvas's grade
    /// imports map column by column.
    public func csv(bank: Bank) -> String {
        // A cell a spreadsheet would read as a formula (=, +, -, @, tab or CR first: OWASP's
        // CSV-injection list) gets a leading apostrophe, so it is shown as text; a cell with a
        // separator of any locale (, or ;) is quoted.
        func field(_ raw: String) -> String {
            let s = raw.first.map { "=+-@\t\r".contains($0) } == true ? "'" + raw : raw
            return s.contains(where: { $0 == "," || $0 == ";" || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var rows = [(["Student", "File"] + bank.questions.map { "Q\($0.number) (\(Report.fmt($0.points)))" }
                     + ["Total (\(Report.fmt(bank.maxScore)))", "Needs review"]).map(field).joined(separator: ",")]
        for r in reports {
            let name = (r.answers as NSString).lastPathComponent
            let student = name.hasSuffix(".answers") ? String(name.dropLast(8)) : name
            let byNumber = Dictionary(uniqueKeysWithValues: r.questions.map { ($0.question, $0) })
            let scores = bank.questions.map { byNumber[$0.number].map { Report.fmt($0.score) } ?? "" }
            let review = r.questions.filter(\.needsReview).map { "Q\($0.question)" }.joined(separator: " ")
            rows.append(([student, r.answers] + scores + [Report.fmt(r.total.score), review.isEmpty ? "no" : "yes: " + review]).map(field).joined(separator: ","))
        }
        // One row per file given: a file that could not be read has no scores, and says why.
        for d in failures where !d.location.file.isEmpty {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: d.location.file, isDirectory: &isFolder), isFolder.boolValue { continue }
            let name = (d.location.file as NSString).lastPathComponent
            let student = name.hasSuffix(".answers") ? String(name.dropLast(8)) : name
            let blanks = [String](repeating: "", count: bank.questions.count + 1)
            rows.append(([student, d.location.file] + blanks + ["yes: could not be read (line \(d.location.line)): \(d.message)"]).map(field).joined(separator: ","))
        }
        return rows.joined(separator: "\r\n") + "\r\n"
    }
}

/// Remembers each (target, answer) the checker graded, so identical formulas are checked once.
final class CachingFormulaGrader: FormulaGrader, @unchecked Sendable {
    let inner: FormulaGrader
    private var cache: [String: FormulaOutcome] = [:]
    private let lock = NSLock()
    init(_ inner: FormulaGrader) { self.inner = inner }
    func grade(target: String, answer: String) -> FormulaOutcome {
        let key = target + "\u{0}" + answer
        lock.lock(); let hit = cache[key]; lock.unlock()
        if let hit { return hit }
        let o = inner.grade(target: target, answer: answer)
        lock.lock(); cache[key] = o; lock.unlock()
        return o
    }
    func parts(of answer: String) -> FormulaParts? { inner.parts(of: answer) }
    func replacingSymbol(_ symbol: String, with replacement: String, in answer: String) -> String? {
        inner.replacingSymbol(symbol, with: replacement, in: answer)
    }
}

/// Slots written by concurrent workers, one each.
final class ResultSlots<T>: @unchecked Sendable {
    private var slots: [T?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    subscript(i: Int) -> T? {
        get { lock.lock(); defer { lock.unlock() }; return slots[i] }
        set { lock.lock(); slots[i] = newValue; lock.unlock() }
    }
    var values: [T?] { lock.lock(); defer { lock.unlock() }; return slots }
}

extension AnswersBatch {
    /// What `nst quiz --answers` prints on standard output: for one file its report (text or
    /// JSON), for several (or a folder) every report and then the summary, or one JSON object.
    public func output(json: Bool, single: Bool) -> String? {
        if json { return single ? reports.first?.json() : self.json() }
        var parts: [String] = []
        // Several files: each report is headed by its file, so every block says whose it is.
        let texts = reports.map { single ? $0.text() : "── \(CLIError.escaped($0.answers)) ──\n" + $0.text() }
        if !texts.isEmpty { parts.append(texts.joined(separator: "\n\n")) }
        if !single { parts.append("\n" + summary()) }
        return parts.isEmpty ? nil : parts.joined(separator: "\n")
    }

    /// Refuses, before any grading, a gradebook path that is one of the files the batch
    /// reads (an answers file, one inside a given folder, or the bank) or that the file
    /// system cannot name.
    public static func checkGradebook(_ path: String, answers: [String], bank: Bank) throws(CLIError) {
        do { try OutputTransaction(inputs: [bank.file] + answersFiles(answers).files).checkTargets([path]) }
        catch { var e = error; e.what = e.what == "refusing to write over an input" ? "refusing to write the gradebook over an input" : "cannot write the gradebook"; throw e }
    }

    /// Writes the gradebook (`csv(bank:)`) whole or not at all.
    public func writeGradebook(bank: Bank, to path: String) throws {
        do { try OutputTransaction.write(Array(csv(bank: bank).utf8), to: path) }
        catch { var e = error; e.what = "cannot write the gradebook"; throw e }
    }
}

