import Testing
import Foundation
@testable import NSTQuiz

/// The interactive quiz's input: verdict then reason, multi-line answers, confirmation of a
/// one-word answer, self-grading, the list, and failed saves.
@Suite struct InteractiveTests {
    let bank = BankParser().parse(contentsOf: Paths.bank).bank!
    let grader = QuizGrader(formula: KeyEqualityGrader.forShippedBank())

    func session(_ lines: [String], only: [Int], store: ProgressStore? = nil) -> (QuizSession, ScriptedConsole, ProgressStore) {
        let store = store ?? ProgressStore(url: Paths.tempDir().appendingPathComponent("p.json"))
        let c = ScriptedConsole(lines)
        return (QuizSession(bank: bank, grader: grader, store: store, console: c, options: .init(only: only)), c, store)
    }

    @Test func trueFalseAsksTheVerdictThenTheReason() {
        let (s, c, store) = session(["I am not sure", "false", "VGG is pretrained on ImageNet and", "only the image is optimised.", "", ""], only: [9])
        #expect(s.run() == .finished)
        let t = c.text
        #expect(t.contains("Is that true or false?") && t.contains("(No attempt used.)"))
        #expect(c.output.contains("why> "))
        #expect(t.contains("Yes, false. Your explanation covers every key idea."))
        let saved = ProgressStore(url: store.url).load(bank: bank.id)
        #expect(saved[9].attempts == 1 && saved[9].grade?.score == 1)
        #expect(saved[9].lastAnswer?.hasPrefix("answer: false\n") == true)
    }

    @Test func choiceReadsThePhrasingAtAnswer() {
        let (s, c, _) = session(["The second one used only three layers", "Deeper layers see larger patches, so bigger swirls and the same colours.", "", ""], only: [12])
        #expect(s.run() == .finished)
        #expect(c.text.contains("Yes, first."))
    }

    /// An option named by its letter, its place or its text at `answer>` is taken, not met
    /// with "Which option?".
    @Test(arguments: ["A", "the upper one", "the first image"])
    func choiceTakesAnOptionsLetterPlaceOrText(_ line: String) {
        let (s, c, _) = session([line, "Deeper layers see larger patches, so bigger swirls.", "", ""], only: [12])
        #expect(s.run() == .finished)
        #expect(!c.text.contains("Which option?") && c.text.contains("Yes, first."), "\(line)")
    }

    @Test func multiLineTextEndsWithAnEmptyLine() {
        let (s, c, store) = session(["It measures the difference between the feature maps", "of the generated image and the photograph,",
                                     "and the optimiser minimises it.", "", ""], only: [1])
        #expect(s.run() == .finished)
        #expect(c.output.filter { $0 == "  ...> " }.count == 3)
        let saved = ProgressStore(url: store.url).load(bank: bank.id)
        #expect(saved[1].grade?.score == 1 && saved[1].lastAnswer?.components(separatedBy: "\n").count == 3)
    }

    @Test func aOneWordTextAnswerAsksForConfirmation() {
        let (s, c, store) = session(["features", "", "n", "It compares the features of the two images and is minimised.", "", ""], only: [1])
        #expect(s.run() == .finished)
        #expect(c.text.contains("Only one word: is that your whole answer?"))
        let saved = ProgressStore(url: store.url).load(bank: bank.id)
        #expect(saved[1].attempts == 1 && saved[1].grade?.score == 1)
    }

    @Test func selfGradingIsKeptBesideTheAutomaticScore() {
        let (s, c, store) = session(["It compares the two images.", "", "1 2 3"], only: [1])
        #expect(s.run() == .finished)
        let t = c.text
        #expect(t.contains("Key ideas:\n  1. compares the generated image with the photograph"))
        #expect(t.contains("Self-graded: 1/1 (automatic: 0.33)."))
        #expect(t.contains("Q1   0.33/1   partial  (self-graded 1)"))
        #expect(t.contains("Self-graded total: 1/1"))
        #expect(ProgressStore(url: store.url).load(bank: bank.id)[1].selfScore == 1)
    }

    @Test func listShowsStatusAndScore() {
        let (s, _, store) = session(["F - P", "hint", "quit"], only: [2, 5])
        _ = s.run()
        let (again, _, _) = session([], only: [2, 5, 9], store: store)
        let list = again.list()
        #expect(list.contains("Q2   formula   1/1     done (correct)"))
        #expect(list.contains("Q5   formula   –/1     started (0 of 3 attempts, 1 hint)"))
        #expect(list.contains("Q9   truefalse –/1     not started"))
        #expect(list.contains("1 of 3 done; score 1/3."))
    }

    /// A read-only state folder: the save fails, the answers stay in memory, nothing
    /// claims they were saved, and the student may save elsewhere.
    @Test func aFailedSaveIsAnErrorAndOffersAnotherPlace() throws {
        let dir = Paths.tempDir()
        let blocker = dir.appendingPathComponent("state")
        try Data("a file where a folder should be".utf8).write(to: blocker)
        let store = ProgressStore(url: blocker.appendingPathComponent("p.json"))
        let elsewhere = dir.appendingPathComponent("rescue.json")
        let (s, c, _) = session(["F - P", "quit", elsewhere.path], only: [2, 3], store: store)
        #expect(s.run() == .quit)
        #expect(s.saveFailed)
        #expect(s.progress[2].done)
        #expect(c.warnings.count == 1 && c.warnings[0].contains("cannot save progress to") && c.warnings[0].contains("kept in memory"))
        #expect(!c.text.contains("Progress saved to \(store.url.path)"))
        #expect(c.text.contains("Progress saved to \(elsewhere.path)."))
        let rescued = try JSONDecoder().decode(NSTQuiz.Progress.self, from: Data(contentsOf: elsewhere))
        #expect(rescued[2].done)
    }
}

@Suite struct BatchTests {
    let bank = BankParser().parse(contentsOf: Paths.bank).bank!
    let grader = QuizGrader(formula: KeyEqualityGrader.forShippedBank())

    @Test func aFolderBecomesAGradebook() throws {
        let dir = Paths.tempDir()
        try Data("== answer 2 ==\nF - P\n== answer 1 ==\ndifference feature minimise\n".utf8).write(to: dir.appendingPathComponent("ann.answers"))
        try Data("== answer 2 ==\nP - F\n".utf8).write(to: dir.appendingPathComponent("bob, jr.answers"))
        try Data("not an answers file".utf8).write(to: dir.appendingPathComponent("zed.answers"))
        let batch = AnswersBatch.grade(paths: [dir.path], bank: bank, grader: grader, maxBytes: 1 << 20)
        #expect(batch.reports.count == 2 && batch.failures.count == 1)
        let rows = batch.csv(bank: bank).components(separatedBy: "\r\n")
        #expect(rows[0].hasPrefix("Student,File,Q1 (1),Q2 (1),") && rows[0].hasSuffix(",Total (12),Needs review"))
        // "difference feature minimise": a keyword list, a sure 0.
        #expect(rows[1].hasPrefix("ann,") && rows[1].contains(",0,1,") && rows[1].hasSuffix(",1,no"))
        #expect(rows[2].hasPrefix("\"bob, jr\",") && rows[2].hasSuffix(",0,no"))
        // The file that could not be read has its row too, with no scores and why.
        #expect(rows[3].hasPrefix("zed,") && rows[3].contains(",yes: could not be read (line "), "\(rows)")
        #expect(batch.summary() == "Graded 2 files; 1 could not be read; 0 need review.")
    }

    /// OWASP's CSV-injection list: a cell that begins with =, +, -, @, tab or CR is read by a
    /// spreadsheet as a formula, so it is written with a leading apostrophe.
    @Test(arguments: ["=HYPERLINK(\"evil.example\";\"x\")+cmd", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
    func aStudentNameThatLooksLikeAFormulaIsWrittenAsText(name: String) throws {
        let dir = Paths.tempDir()
        try Data("== answer 2 ==\nF - P\n".utf8).write(to: dir.appendingPathComponent(name + ".answers"))
        let batch = AnswersBatch.grade(paths: [dir.path], bank: bank, grader: grader, maxBytes: 1 << 20)
        let csv = batch.csv(bank: bank)
        let row = csv.components(separatedBy: "\r\n")[1...].joined(separator: "\r\n")
        #expect(row.hasPrefix("'" + name.prefix(1)) || row.hasPrefix("\"'" + name.prefix(1)), "\(row)")
        for cell in [",=", ",+", ",-", ",@", ",\t", ",\""] where cell != ",\"" {
            #expect(!row.contains(cell), "a cell starts with \(cell.dropFirst()): \(row)")
        }
    }

    /// A `;` is the separator in some locales: a cell holding one is quoted, so `a;=1+1`
    /// cannot become a formula cell there.
    @Test func aCellWithASemicolonIsQuoted() throws {
        let dir = Paths.tempDir()
        try Data("== answer 2 ==\nF - P\n".utf8).write(to: dir.appendingPathComponent("a;=1+1.answers"))
        let batch = AnswersBatch.grade(paths: [dir.path], bank: bank, grader: grader, maxBytes: 1 << 20)
        let row = batch.csv(bank: bank).components(separatedBy: "\r\n")[1]
        #expect(row.hasPrefix("\"a;=1+1\","), "\(row)")
    }

    @Test func aGradebookOverAnAnswersFileOrTheBankIsRefused() throws {
        let dir = Paths.tempDir()
        let answers = dir.appendingPathComponent("bob.answers").path
        try Data("== answer 2 ==\nF - P\n".utf8).write(to: URL(fileURLWithPath: answers))
        for target in [answers, bank.file] {
            #expect(throws: (any Error).self) { try AnswersBatch.checkGradebook(target, answers: [answers], bank: bank) }
        }
        #expect(throws: (any Error).self) { try AnswersBatch.checkGradebook(answers, answers: [dir.path], bank: bank) }
        try AnswersBatch.checkGradebook(dir.appendingPathComponent("grades.csv").path, answers: [dir.path], bank: bank)
    }
}
