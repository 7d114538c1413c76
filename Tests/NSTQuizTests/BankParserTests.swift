import Testing
import Foundation
@testable import NSTQuiz
import NSTCheckGrader

@Suite struct ShippedBankTests {
    let result = BankParser().parse(contentsOf: Paths.bank, displayName: "neural-style-transfer.quiz")

    @Test func parsesWithoutDiagnostics() throws {
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let bank = try #require(result.bank)
        #expect(bank.questions.map(\.number) == Array(1...12))
        #expect(bank.id == "neural-style-transfer")
        #expect(bank.maxScore == 12)
    }

    @Test func kindsAndTargetsAreTheIssues() throws {
        let bank = try #require(result.bank)
        let kinds = Dictionary(uniqueKeysWithValues: bank.questions.map { ($0.number, $0.kind) })
        for n in [2, 3, 5, 6, 7] { #expect(kinds[n] == .formula) }
        for n in [9, 10] { #expect(kinds[n] == .truefalse) }
        for n in [1, 4, 8, 11] { #expect(kinds[n] == .text) }
        #expect(kinds[12] == .choice)
        let targets = bank.questions.compactMap { q in q.target.map { (q.number, $0) } }
        #expect(targets.map(\.0) == [2, 3, 5, 6, 7])
        #expect(targets.map(\.1) == ["content-layer", "content-total", "style-total", "total", "update"])
        #expect(bank.question(9)?.answers == ["false"])
        #expect(bank.question(10)?.answers == ["true"])
    }

    @Test func everyQuestionTeaches() throws {
        let bank = try #require(result.bank)
        for q in bank.questions {
            #expect(q.hints.count >= 2, "Q\(q.number) hints")
            #expect(!q.model.isEmpty && !q.explanation.isEmpty && !q.printedKeyError.isEmpty, "Q\(q.number)")
        }
        for n in [5, 6, 7, 8] { #expect(bank.question(n)!.printedKeyError.lowercased().hasPrefix("wrong") || n == 8) }
        #expect(bank.question(8)!.printedKeyError.hasPrefix("Simplified"))
    }

    @Test func questionTwelveShowsTheExperimentsImagesInTheBanksOrder() throws {
        let q = try #require(result.bank?.question(12))
        #expect(q.images == [ImageAttachment(label: "first", path: "out/style-depth/layers-5.png"),
                             ImageAttachment(label: "second", path: "out/style-depth/layers-3.png")])
        #expect(q.answers == ["first"])
        #expect(q.prompt.contains("all five layers"))
    }

    @Test func targetsAreNSTChecksTargets() {
        #expect(CheckerGrader.targets == ["content-layer", "content-total", "style-layer", "style-total", "total", "update"])
        #expect(BankLinter(grader: CheckerGrader()).parser.knownTargets == CheckerGrader.targets)
    }
}

/// Malformed banks: each gives an error at the right place with a fix, never a trap.
@Suite struct MalformedBankTests {
    static let header = "== question 1 ==\nkind: text\nprompt: Why?\nrubric: because\n"

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String; var text: String; var message: String; var line: Int; var column: Int
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "unterminated block", text: "== question 1 ==\nkind: text\nprompt: \"\"\"\nWhy?\nrubric: x\n",
             message: "never closed", line: 3, column: 9),
        Case(name: "duplicate number", text: header + "\n== question 1 ==\nkind: text\nprompt: again\nrubric: x\n",
             message: "question 1 is defined twice (first at line 1)", line: 6, column: 13),
        Case(name: "unknown kind", text: "== question 1 ==\nkind: essay\nprompt: Why?\n",
             message: "unknown kind `essay`", line: 2, column: 7),
        Case(name: "missing key", text: "== question 2 ==\nkind: formula\ntarget: total\nprompt: d/dF?\n",
             message: "has no `key:`", line: 1, column: 1),
        Case(name: "unknown target", text: "== question 2 ==\nkind: formula\ntarget: totl\nkey: F\nprompt: d/dF?\n",
             message: "unknown target `totl`", line: 3, column: 9),
        Case(name: "missing kind", text: "== question 3 ==\nprompt: hello\n", message: "has no `kind:`", line: 1, column: 1),
        Case(name: "unknown field", text: header + "hnt: look\n", message: "unknown field `hnt`", line: 5, column: 1),
        Case(name: "field of another kind", text: header + "key: F\n", message: "`key` does not belong in a text question", line: 5, column: 1),
        Case(name: "empty rubric", text: "== question 1 ==\nkind: text\nprompt: Why?\n", message: "empty rubric", line: 1, column: 1),
        Case(name: "empty rubric phrase", text: "== question 1 ==\nkind: text\nprompt: Why?\nrubric: a |  | b\n",
             message: "empty phrase", line: 4, column: 12),
        Case(name: "choice without a right option", text: "== question 1 ==\nkind: choice\nprompt: ?\noption: a | x\noption: b | y\n",
             message: "has no right option", line: 1, column: 1),
        Case(name: "choice answer not an option", text: "== question 1 ==\nkind: choice\nprompt: ?\noption: a | x\noption: b | y\nanswer: c\n",
             message: "`answer: c` names no option", line: 6, column: 9),
        Case(name: "truefalse answer", text: "== question 1 ==\nkind: truefalse\nprompt: ?\nanswer: maybe\nrubric: x\n",
             message: "`true` or `false`", line: 4, column: 9),
        Case(name: "bad points", text: header + "points: -1\n", message: "positive number", line: 5, column: 9),
        Case(name: "field before first question", text: "prompt: hi\n" + header, message: "before the first question", line: 1, column: 1),
        Case(name: "malformed header", text: "== questoin 1 ==\nkind: text\n", message: "malformed header", line: 1, column: 1),
        Case(name: "header without number", text: "== question five ==\n", message: "not a question number", line: 1, column: 13),
        Case(name: "line without colon", text: header + "just some words\n", message: "expected `name: value`", line: 5, column: 1),
        Case(name: "empty file", text: "", message: "the bank has no questions", line: 1, column: 1),
        Case(name: "only comments", text: "# nothing here\n\n", message: "the bank has no questions", line: 1, column: 1),
        Case(name: "twice the same field", text: header + "prompt: again\n", message: "`prompt` is given twice", line: 5, column: 1),
    ]

    @Test(arguments: cases) func reportsWhereAndHow(_ c: Case) {
        let r = BankParser(knownTargets: CheckerGrader.targets).parse(text: c.text, file: "bad.quiz")
        #expect(r.bank == nil)
        let d = r.errors.first { $0.message.contains(c.message) }
        #expect(d != nil, "\(c.name): got \(r.diagnostics.map(\.description))")
        #expect(d?.location == SourceLocation(file: "bad.quiz", line: c.line, column: c.column), "\(c.name): \(String(describing: d))")
        #expect(d.map { !$0.fix.isEmpty } ?? false)
        #expect(d?.description.hasPrefix("bad.quiz:\(c.line):\(c.column): error: ") ?? false)
    }

    @Test func invalidUTF8NamesLineAndColumn() {
        var data = Data((Self.header + "hint: caf").utf8)
        data.append(contentsOf: [0xE9, 0x21, 0x0A])  // Latin-1 é
        let r = BankParser().parse(data: data, file: "latin1.quiz")
        #expect(r.bank == nil)
        #expect(r.errors.first?.location == SourceLocation(file: "latin1.quiz", line: 5, column: 10))
        #expect(r.errors.first?.message.contains("invalid UTF-8") ?? false)
    }

    @Test func nulByteIsRefused() {
        let r = BankParser().parse(data: Data((Self.header + "hint: a\u{0}b\n").utf8), file: "nul.quiz")
        #expect(r.errors.first?.message.contains("NUL") ?? false)
        #expect(r.errors.first?.location.line == 5)
    }

    @Test func hugeFileIsRefusedBeforeParsing() throws {
        let big = Data(repeating: UInt8(ascii: "#"), count: 2_000_000)
        let r = BankParser().parse(data: big, file: "big.quiz")
        #expect(r.errors.first?.message.contains("over the limit of 1048576 bytes") ?? false)
        #expect(r.errors.first?.fix.contains("--max-bank-bytes") ?? false)
        let dir = Paths.tempDir()
        let url = dir.appendingPathComponent("big.quiz")
        try big.write(to: url)
        let fromDisk = BankParser().parse(contentsOf: url, displayName: "big.quiz")
        #expect(fromDisk.errors.first?.message.contains("over the limit") ?? false)
        #expect(BankParser(maxBytes: 3_000_000).parse(data: big, file: "big.quiz").errors.first?.message == "the bank has no questions")
    }

    @Test func missingFileIsAnErrorNotACrash() {
        let r = BankParser().parse(contentsOf: URL(fileURLWithPath: "/nonexistent/x.quiz"), displayName: "x.quiz")
        #expect(r.errors.first?.message.contains("cannot read the bank") ?? false)
    }

    @Test func collectsSeveralErrorsInOnePass() {
        let text = "== question 1 ==\nkind: essay\nprompt: a\n\n== question 2 ==\nkind: text\nprompt: b\n"
        let r = BankParser().parse(text: text, file: "two.quiz")
        #expect(r.errors.count == 2)
        #expect(r.errors.map(\.location.line) == [2, 5])
    }

    @Test func blocksAreDedentedAndCommentsInsideKept() throws {
        let text = "== question 1 ==\nkind: text\nprompt: \"\"\"\n    line one\n      # not a comment\n    line three\n  \"\"\"\nrubric: x | y z\n"
        let r = BankParser().parse(text: text, file: "ok.quiz")
        let q = try #require(r.bank?.question(1))
        #expect(q.prompt == "line one\n  # not a comment\nline three")
        #expect(q.rubric == [RubricIdea(phrases: ["x", "y z"])])
    }

    /// Byte-level mutations of the shipped bank: whatever the parser is given, it returns.
    @Test func mutatedBanksNeverTrap() throws {
        let original = try Data(contentsOf: Paths.bank)
        var state: UInt64 = 12345
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
        for _ in 0..<200 {
            var d = original
            for _ in 0..<(1 + next() % 8) {
                let i = next() % d.count
                switch next() % 3 {
                case 0: d[i] = UInt8(next() % 256)
                case 1: d.remove(at: i)
                default: d.insert(contentsOf: [0x22, 0x22, 0x22, 0x0A], at: i)  // a stray """
                }
            }
            let r = BankParser().parse(data: d, file: "m.quiz")
            #expect(r.bank != nil || !r.errors.isEmpty)
        }
    }
}

@Suite struct BankLimitsTests {
    /// A bank of one enormous line (under the size limit) is handled quickly, not quadratically.
    @Test func longLinesAreCheap() {
        let name = String(repeating: "a", count: 200_000)
        let r = BankParser().parse(text: "== question 1 ==\n\(name): x\n", file: "long.quiz")
        #expect(r.errors.contains { $0.message.hasPrefix("unknown field") })
    }
}

@Suite struct BankFormatTests {
    let parser = BankParser()
    let q1 = "== question 1 ==\nkind: text\nprompt: p\nrubric: a\n"

    /// A block left open before the next question fails at the line where it opened.
    @Test func unclosedBlockBeforeTheNextQuestionFailsWhereItOpened() throws {
        let text = "== question 1 ==\nkind: text\nprompt: \"\"\"\nWhat is it?\n\n== question 2 ==\nkind: text\nprompt: p\nrubric: a\n"
        let r = parser.parse(text: text, file: "b.quiz")
        #expect(r.bank == nil)
        let e = try #require(r.errors.first)
        #expect(e.location.line == 3 && e.message.contains("not closed before the next question (line 6)"))
        #expect(r.errors.count == 1)   // no misleading "missing rubric" for question 1
    }

    @Test func unclosedBlockInTheShippedBankNamesTheBlock() throws {
        var text = try String(contentsOf: Paths.bank, encoding: .utf8)
        text = text.replacingOccurrences(of: "printed-key-error: \"\"\"\nMostly right.", with: "printed-key-error: \"\"\"\nMostly right.\n== question 99 ==")
        let lines = text.components(separatedBy: "\n")
        let opened = try #require(lines.firstIndex { $0 == "printed-key-error: \"\"\"" && true })
        // The slip: delete the closing quotes of question 4's printed-key-error.
        var broken = text.replacingOccurrences(of: "\n== question 99 ==", with: "")
        let q4close = "between filter responses (channels), summed over all positions, not between pixels.\n\"\"\"\n"
        broken = broken.replacingOccurrences(of: q4close, with: "between filter responses (channels), summed over all positions, not between pixels.\n")
        let r = parser.parse(text: broken, file: "nst.quiz")
        let e = try #require(r.errors.first)
        #expect(e.message.contains("`printed-key-error: \"\"\"` opened here is not closed before the next question"))
        _ = opened
    }

    @Test func byteOrderMarkAndOldLineEndingsAreRead() throws {
        for text in ["\u{FEFF}" + q1, q1.replacingOccurrences(of: "\n", with: "\r\n"), q1.replacingOccurrences(of: "\n", with: "\r")] {
            let r = parser.parse(text: text, file: "b.quiz")
            #expect(r.bank?.questions.count == 1, "\(r.diagnostics)")
        }
        let bank = try #require(parser.parse(text: q1, file: "b.quiz").bank)
        let answers = "\u{FEFF}== answer 1 ==\r\nit is a\r\n"
        #expect(try AnswersFile.parse(data: Data(answers.utf8), file: "a.answers", bank: bank).answers[1] == "it is a")
        let crOnly = "== answer 1 ==\rit is a\r"
        #expect(try AnswersFile.parse(data: Data(crOnly.utf8), file: "a.answers", bank: bank).answers[1] == "it is a")
    }

    @Test func oldSeedNoteNameIsReadWithAWarning() throws {
        let r = parser.parse(text: q1 + "seed-note: printed key was right\n", file: "b.quiz")
        #expect(r.bank?.questions[0].printedKeyError == "printed key was right")
        #expect(r.diagnostics.contains { $0.severity == .warning && $0.message.contains("printed-key-error") })
    }

    @Test func rubricLabelsAndTestsAreParsed() throws {
        let text = "== question 1 ==\nkind: text\nprompt: p\nrubric: a squared error = squar* | sum of squares\n"
            + "test: [stuffing] 0..0.33 | squared | note: keywords\ntest: >=0.5 | it is a squared error\\nover lines | review\n"
        let q = try #require(parser.parse(text: text, file: "b.quiz").bank?.questions.first)
        #expect(q.rubric[0].label == "a squared error" && q.rubric[0].phrases == ["squar*", "sum of squares"])
        #expect(q.tests.count == 2)
        #expect(q.tests[0].category == "stuffing" && q.tests[0].maximum == 0.33 && q.tests[0].note == "keywords")
        #expect(q.tests[1].minimum == 0.5 && q.tests[1].maximum == 1 && q.tests[1].review == true && q.tests[1].answer.contains("\n"))
    }

    @Test(arguments: [
        ("test: 2 | x", "is not a score range"),
        ("test: 0..0.5", "a test is `RANGE | ANSWER`"),
        ("test: [oops 1 | x", "is not closed"),
        ("test: 1 | x | maybe", "extra part"),
        ("rubric: = x", "label = phrase"),
        ("rubric: a ** b | ** c", "`**` (a gap of words)"),
        ("wrong: maximised = maximi*", "the `=> feedback` is missing"),
        ("wrong: maximi* => it is minimised", "needs a label"),
        ("wrong: maximised = maximi* =>   ", "feedback after `=>` is empty"),
        ("wrong: maximised = | x => it is minimised", "label = phrase"),
        ("wrong: maximised = a | | b => it is minimised", "empty phrase"),
    ])
    func malformedNewFields(_ line: String, _ expected: String) {
        let r = parser.parse(text: q1 + line + "\n", file: "b.quiz")
        #expect(r.bank == nil && r.errors.contains { $0.message.contains(expected) && $0.location.line == 5 }, "\(r.diagnostics)")
    }

    @Test func malformedMistakeInAFormulaQuestion() {
        let formula = "== question 1 ==\nkind: formula\ntarget: content-layer\nprompt: p\nkey: F - P\n"
        let r = parser.parse(text: formula + "mistake: w_1 ->  | m\n", file: "b.quiz")
        #expect(r.bank == nil && r.errors.contains { $0.message.contains("both sides of -> must be symbols") && $0.location.line == 6 }, "\(r.diagnostics)")
        let wrongKind = parser.parse(text: q1 + "mistake: w_1 -> w | m\n", file: "b.quiz")
        #expect(wrongKind.errors.contains { $0.message.contains("does not belong in a text question") })
    }

    @Test func lintFailsOnAFailingQuestionTestAtItsLine() throws {
        let linter = BankLinter(grader: CheckerGrader())
        let good = linter.lint(text: q1 + "test: 1 | a\ntest: 0 | b\n", file: "b.quiz")
        #expect(good.ok && good.testsRun == 2)
        let bad = linter.lint(text: q1 + "test: 1 | a\ntest: 1 | b\n", file: "b.quiz")
        #expect(!bad.ok)
        let e = try #require(bad.errors.first)
        #expect(e.location.line == 6 && e.message.contains("test of question 1 fails: scored 0 of the points, expected 1…1"))
    }

    /// Under --shuffle any question may come first: prompts define their symbols and
    /// restate equations instead of pointing to other questions.
    @Test func promptsStandAlone() throws {
        let bank = try #require(parser.parse(contentsOf: Paths.bank).bank)
        for q in bank.questions {
            let text = q.prompt + " " + q.hints.joined(separator: " ")
            #expect(text.range(of: #"question \d"#, options: [.regularExpression, .caseInsensitive]) == nil, "Q\(q.number) refers to another question")
            #expect(text.range(of: #"\(\d\)"#, options: .regularExpression) == nil, "Q\(q.number) refers to a numbered equation")
            if q.prompt.contains("Nₗ") { #expect(q.prompt.contains("Nₗ filters"), "Q\(q.number) uses Nₗ without defining it") }
        }
    }
}

@Suite struct BoundedFileTests {
    @Test func fifoDeviceAndFolderGiveTheTrueCause() throws {
        let dir = Paths.tempDir()
        let fifo = dir.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        guard case .failure(let f) = BoundedFile.read(fifo, maxBytes: 100) else { Issue.record("FIFO read"); return }
        #expect(f.message.contains("FIFO"))
        guard case .failure(let z) = BoundedFile.read("/dev/zero", maxBytes: 100) else { Issue.record("/dev/zero read"); return }
        #expect(z.message.contains("device") && !z.message.contains("permission"))
        guard case .failure(let d) = BoundedFile.read(dir.path, maxBytes: 100) else { Issue.record("folder read"); return }
        #expect(d.message.contains("folder"))
        let r = BankParser().parse(contentsOf: URL(fileURLWithPath: "/dev/zero"))
        #expect(r.errors.first?.message.contains("device") ?? false)
    }

    @Test func longInputLinesEndTheInputInsteadOfFillingMemory() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let junk = [UInt8](repeating: 0, count: 10_000)
        _ = junk.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        let reader = BoundedLineReader(fd: fds[0], maxLineBytes: 1000, maxTotalBytes: 1 << 20)
        if case .tooLong = reader.next() {} else { Issue.record("a 10 000-byte line was read whole") }
        close(fds[0])
    }

    @Test func linesEndAtLFCRLFAndLoneCR() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let text = Array("a\nb\r\nc\rd".utf8)
        _ = text.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        let reader = BoundedLineReader(fd: fds[0], maxLineBytes: 100, maxTotalBytes: 1000)
        #expect([reader.next(), reader.next(), reader.next(), reader.next(), reader.next()] == [.line("a"), .line("b"), .line("c"), .line("d"), .end])
        close(fds[0])
    }
}
