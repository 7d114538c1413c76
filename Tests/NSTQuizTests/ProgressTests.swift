import Testing
import Foundation
@testable import NSTQuiz

@Suite struct ProgressStoreTests {
    @Test func xdgStateHomeOrLocalState() {
        #expect(ProgressStore.stateDirectory(environment: ["XDG_STATE_HOME": "/x/state", "HOME": "/h"]).path == "/x/state/nst")
        #expect(ProgressStore.stateDirectory(environment: ["XDG_STATE_HOME": "relative", "HOME": "/h"]).path == "/h/.local/state/nst")
        #expect(ProgressStore.forBank("b", environment: ["HOME": "/h"]).url.path == "/h/.local/state/nst/progress/b.json")
    }

    @Test func saveLoadRoundTripLeavesNoTemporaries() throws {
        let dir = Paths.tempDir()
        let store = ProgressStore(url: dir.appendingPathComponent("p/b.json"))
        var p = store.load(bank: "b")
        #expect(p.questions.isEmpty)
        p[3].attempts = 2; p[3].done = true
        p = try store.save(p)
        #expect(p.revision == 1)
        #expect(ProgressStore(url: store.url).load(bank: "b") == p)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("p").path) == ["b.json"])
    }

    @Test func aSymlinkPlantedAtTheOldTemporaryNameIsNeverFollowed() throws {
        // The temporary file used to be `.b.json.tmp-PID`, opened with O_TRUNC: a symlink
        // planted there made a save overwrite whatever it pointed to. Plant one at that name
        // (and the same with a suffix) and save: the file it points to is untouched.
        let dir = Paths.tempDir()
        let victim = dir.appendingPathComponent("victim.txt")
        try Data("precious".utf8).write(to: victim)
        let url = dir.appendingPathComponent("b.json")
        for name in [".b.json.tmp-\(getpid())", ".b.json.tmp"] {
            try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent(name), withDestinationURL: victim)
        }
        var p = ProgressStore(url: url).load(bank: "b")
        p[1].attempts = 1
        _ = try ProgressStore(url: url).save(p)
        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious")
        #expect(ProgressStore(url: url).load(bank: "b")[1].attempts == 1)
    }

    @Test func corruptFileIsSetAsideWithAWarning() throws {
        let dir = Paths.tempDir()
        let url = dir.appendingPathComponent("b.json")
        try Data("{ not json".utf8).write(to: url)
        let store = ProgressStore(url: url)
        let p = store.load(bank: "b")
        #expect(p.questions.isEmpty)
        #expect(store.warnings.count == 1 && store.warnings[0].contains("could not be read (") && store.warnings[0].contains("); it was moved to"))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(names.count == 1 && names[0].hasPrefix("b.json.corrupt-"))
        #expect(try String(contentsOf: dir.appendingPathComponent(names[0]), encoding: .utf8) == "{ not json")
    }

    @Test func anotherBanksFileIsNotTakenAsOurs() throws {
        let dir = Paths.tempDir()
        let url = dir.appendingPathComponent("b.json")
        try ProgressStore(url: url).save(Progress(bank: "other"))
        let store = ProgressStore(url: url)
        _ = store.load(bank: "b")
        #expect(store.warnings.first?.contains("moved to") ?? false)
    }

    @Test func concurrentWriterGetsAWarningAndItsAnswersAreKept() throws {
        let url = Paths.tempDir().appendingPathComponent("b.json")
        let a = ProgressStore(url: url), b = ProgressStore(url: url)
        var pa = a.load(bank: "b"), pb = b.load(bank: "b")
        pa[1].done = true
        pa = try a.save(pa)
        pb[2].done = true
        pb = try b.save(pb)   // b has not seen a's save
        #expect(b.warnings.count == 1)
        #expect(b.warnings[0].contains("another nst quiz process") && b.warnings[0].contains("question(s) 1 are kept"))
        let final = ProgressStore(url: url).load(bank: "b")
        #expect(final[1].done && final[2].done && final.revision == 2)
        #expect(a.warnings.isEmpty)
    }

    @Test func resetRemovesTheFile() throws {
        let store = ProgressStore(url: Paths.tempDir().appendingPathComponent("b.json"))
        #expect(try store.reset() == false)
        try store.save(Progress(bank: "b"))
        #expect(try store.reset() == true)
        #expect(!FileManager.default.fileExists(atPath: store.url.path))
    }

    @Test func unwritableFolderThrowsAClearError() {
        #expect {
            try ProgressStore.writeAtomically(Data("x".utf8), to: URL(fileURLWithPath: "/proc/nst-cannot/b.json"))
        } throws: { e in "\(e)".contains("nst-cannot") || "\(e)".contains("proc") }
    }
}

@Suite struct SessionTests {
    let bank = BankParser().parse(contentsOf: Paths.bank).bank!
    let grader = QuizGrader(formula: KeyEqualityGrader.forShippedBank())

    func session(_ lines: [String], store: ProgressStore, only: [Int]? = nil, seed: UInt64? = nil) -> (QuizSession, ScriptedConsole) {
        let c = ScriptedConsole(lines)
        return (QuizSession(bank: bank, grader: grader, store: store, console: c, options: .init(only: only, shuffleSeed: seed)), c)
    }

    @Test func hintsSkipGiveupAndScore() {
        let store = ProgressStore(url: Paths.tempDir().appendingPathComponent("p.json"))
        let (s, c) = session(["hint", "hint", "hint", "hint", "F ? P", "P - F", "F - P",
                              "skip",
                              "giveup"], store: store, only: [2, 3, 5])
        #expect(s.run() == .finished)
        let t = c.text
        #expect(t.contains("Hint 1 of 3:") && t.contains("Hint 3 of 3:") && t.contains("No more hints"))
        #expect(t.contains("(No attempt used; try again.)"))
        #expect(t.contains("Read as: ⟨P - F⟩") && t.contains("2 attempts left."))
        #expect(t.contains("Model answer:\n  F - P"))
        #expect(t.contains("Skipped."))
        #expect(t.contains("Q2   1/1      correct") && t.contains("Q3   0/1      not answered") && t.contains("Q5   0/1      gave up"))
        #expect(t.contains("Total: 1/3"))
        #expect(t.contains("Skipped: question 3."))
        let saved = ProgressStore(url: store.url).load(bank: bank.id)
        #expect(saved[2].attempts == 2 && saved[2].hintsShown == 3 && saved[2].done)
        #expect(!saved[3].done && saved[5].gaveUp)
    }

    @Test func formulaAttemptsRunOut() {
        let store = ProgressStore(url: Paths.tempDir().appendingPathComponent("p.json"))
        let (s, c) = session(["P", "F", "P - F"], store: store, only: [2])
        _ = s.run()
        #expect(c.text.contains("1 attempt left.") && c.text.contains("Score: 0/1.") && c.text.contains("Model answer"))
        #expect(s.progress[2].done && s.progress[2].attempts == 3)
    }

    @Test func quitAndResumeAtTheSameQuestion() {
        let store = ProgressStore(url: Paths.tempDir().appendingPathComponent("p.json"))
        let (s1, c1) = session(["skip", "F - P", "hint", "quit"], store: store)
        #expect(s1.run() == .quit)
        #expect(c1.text.contains("Question 3 (3 of 12)"))
        let (s2, c2) = session([], store: ProgressStore(url: store.url))
        #expect(s2.run() == .inputEnded)
        #expect(c2.text.contains("Resuming: 1 of 12 done, score 1/12 so far."))
        #expect(c2.text.contains("Question 1 (1 of 12)"))  // skipped, so asked again first
        #expect(!c2.text.contains("Question 2 ("))
        let (s3, c3) = session(["skip"], store: ProgressStore(url: store.url))
        #expect(s3.run() == .inputEnded)
        #expect(c3.text.contains("Question 3 (3 of 12)") && c3.text.contains("Hint 1: "))  // the hint seen before is shown again
    }

    @Test func shuffleIsSeeded() {
        let store = ProgressStore(url: Paths.tempDir().appendingPathComponent("p.json"))
        let a = session([], store: store, seed: 7).0.order.map(\.number)
        let b = session([], store: store, seed: 7).0.order.map(\.number)
        let c = session([], store: store, seed: 8).0.order.map(\.number)
        #expect(a == b && a != c && a.sorted() == Array(1...12))
    }

    @Test func reviewShowsWhatLostPoints() {
        let store = ProgressStore(url: Paths.tempDir().appendingPathComponent("p.json"))
        _ = session(["F - P", "P", "P", "P"], store: store, only: [2, 3]).0.run()
        let (s, c) = session([], store: ProgressStore(url: store.url))
        #expect(s.review() == 1)
        #expect(c.text.contains("Question 3 · 0/1") && c.text.contains("Your answer: P") && c.text.contains("Model answer:\n  F - P"))
    }

    /// What a PNG file begins with: question images must, to be shown.
    static let pngSignature = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])

    @Test func presentImagesAreShownUnderNamesThatDoNotGiveTheAnswerAway() throws {
        let dir = Paths.tempDir()
        var b = bank
        let i = b.questions.firstIndex { $0.number == 12 }!
        for (k, name) in ["layers-5.png", "layers-3.png"].enumerated() {
            let path = dir.appendingPathComponent(name).path
            try (Self.pngSignature + Data("png \(name)".utf8)).write(to: URL(fileURLWithPath: path))
            b.questions[i].images[k].path = path
        }
        let store = ProgressStore(url: dir.appendingPathComponent("state/progress/p.json"))
        let c = ScriptedConsole([])
        var shown: [ImageAttachment] = []
        let s = QuizSession(bank: b, grader: grader, store: store, console: c, options: .init(only: [12]),
                            renderImages: { shown = $0; return QuizSession.imagePaths($0) })
        _ = s.run()
        #expect(shown.map(\.label) == ["first", "second"])
        #expect(shown.map { URL(fileURLWithPath: $0.path).lastPathComponent } == ["neural-style-transfer-first.png", "neural-style-transfer-second.png"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: shown[0].path)) == Self.pngSignature + Data("png layers-5.png".utf8))
        #expect(!c.text.contains("layers-5"))
    }

    @Test func missingImagesSayHowToMakeThem() {
        // An empty folder of its own: the bank's default (out/style-depth, under the working
        // directory) holds the images once the experiment has been run in this checkout.
        let empty = Paths.tempDir()
        let store = ProgressStore(url: empty.appendingPathComponent("state/p.json"))
        let c = ScriptedConsole([])
        let s = QuizSession(bank: bank, grader: grader, store: store, console: c, options: .init(only: [12], imagesDirectory: empty.path))
        _ = s.run()
        #expect(c.text.contains("The images for “first” and “second” are not generated yet (looked in \(empty.path), \(empty.path)/style-depth)."), "\(c.text)")
        #expect(!c.text.contains("layers-5"))  // the file names would give the answer away
        #expect(c.text.contains("nst experiment style-depth"))
    }
}

@Suite struct ProgressRangeTests {
    func load(_ json: String) throws -> (NSTQuiz.Progress, ProgressStore, URL) {
        let dir = Paths.tempDir()
        let url = dir.appendingPathComponent("b.json")
        try Data(json.utf8).write(to: url)
        let store = ProgressStore(url: url)
        return (store.load(bank: "b"), store, dir)
    }

    /// Valid JSON with values no session can write: set aside as corrupt, never trusted.
    @Test(arguments: [
        #"{"format":1,"bank":"b","revision":9223372036854775807,"questions":{}}"#,
        #"{"format":1,"bank":"b","revision":0,"questions":{"1":{"attempts":9223372036854775807,"hintsShown":0,"done":false,"gaveUp":false}}}"#,
        #"{"format":1,"bank":"b","revision":0,"questions":{"1":{"attempts":0,"hintsShown":-5,"done":false,"gaveUp":false}}}"#,
        #"{"format":1,"bank":"b","revision":0,"questions":{"1":{"attempts":-1000,"hintsShown":0,"done":false,"gaveUp":false}}}"#,
        #"{"format":1,"bank":"b","revision":0,"questions":{"1":{"attempts":1,"hintsShown":0,"done":true,"gaveUp":false,"grade":{"score":1e300,"max":1,"verdict":"correct","feedback":"","diagnosis":[]}}}}"#,
        #"{"format":1,"bank":"b","revision":0,"questions":{"x":{"attempts":0,"hintsShown":0,"done":false,"gaveUp":false}}}"#,
    ])
    func impossibleValuesSetTheFileAside(_ json: String) throws {
        let (p, store, dir) = try load(json)
        #expect(p.questions.isEmpty && p.revision == 0)
        let warning = store.warnings.first ?? ""
        #expect(warning.contains("out of range") || warning.contains("not a question number"), "\(store.warnings)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).contains { $0.hasPrefix("b.json.corrupt-") })
    }

    @Test func twoFilesSetAsideInOneSecondBothSurvive() throws {
        let dir = Paths.tempDir()
        let url = dir.appendingPathComponent("b.json")
        for text in ["first junk", "second junk"] {
            try Data(text.utf8).write(to: url)
            _ = ProgressStore(url: url).load(bank: "b")
        }
        let aside = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("b.json.corrupt-") }
        #expect(aside.count == 2)
        let contents = Set(try aside.map { try String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8) })
        #expect(contents == ["first junk", "second junk"])
    }

    @Test func olderProgressFilesWithoutTheNewFieldsStillRead() throws {
        let (p, store, _) = try load(#"{"format":1,"bank":"b","revision":3,"questions":{"2":{"attempts":1,"hintsShown":1,"done":true,"gaveUp":false,"grade":{"score":0.5,"max":1,"verdict":"partial","feedback":"f","diagnosis":[]}}}}"#)
        #expect(store.warnings.isEmpty && p.revision == 3 && p[2].grade?.score == 0.5 && p[2].selfScore == nil)
    }

    @Test func saveErrorsNameTheFolderWithoutFoundationText() throws {
        let dir = Paths.tempDir()
        let file = dir.appendingPathComponent("not-a-folder")
        try Data("x".utf8).write(to: file)
        let store = ProgressStore(url: file.appendingPathComponent("b.json"))
        #expect(throws: ProgressError.self) { try store.save(NSTQuiz.Progress(bank: "b")) }
        do { try store.save(NSTQuiz.Progress(bank: "b")) } catch {
            let text = "\(error)"
            #expect(text.contains(file.path) && text.contains("not a folder") && !text.contains("NSCocoaErrorDomain"))
        }
    }
}
