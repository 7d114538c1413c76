import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `nst quiz` killed at random moments (SIGINT, SIGTERM or SIGKILL) while it answers and
/// saves: after every one, the progress file is absent (nothing saved yet) or a complete,
/// readable file, and the next session starts normally.
@Suite(.serialized) struct QuizSignalTests {
    @Test func fiftyRandomSignalsNeverLeaveABrokenProgressFile() throws {
        let state = QuizCLI.tempDir()
        defer { try? FileManager.default.removeItem(at: state) }
        let cwd = QuizCLI.emptyWorkingDirectory(in: state)
        let progress = state.appendingPathComponent("nst/progress/neural-style-transfer.json")
        var rng = SystemRandomNumberGenerator()
        var saved = 0
        for round in 1...50 {
            let p = Process()
            p.executableURL = NSTBinary.url
            p.arguments = ["quiz", "--bank", QuizCLI.bank]
            p.environment = QuizCLI.environment(state: state)
            p.currentDirectoryURL = cwd
            let input = Pipe()
            p.standardInput = input
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            // Give up on each question (a recorded answer: it is saved), skipping the prompts after.
            input.fileHandleForWriting.write(Data(String(repeating: "giveup\n\n\n", count: 12).utf8))
            usleep(UInt32.random(in: 0...300_000, using: &rng))
            let signal = [SIGINT, SIGTERM, SIGKILL].randomElement(using: &rng)!
            kill(p.processIdentifier, signal)
            try? input.fileHandleForWriting.close()
            p.waitUntilExit()
            #expect(p.terminationReason == .uncaughtSignal || p.terminationStatus < 128 || p.terminationStatus == 128 + signal,
                    "round \(round): status \(p.terminationStatus)")
            if let data = FileManager.default.contents(atPath: progress.path) {
                saved += 1
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
                #expect(object != nil, "round \(round), signal \(signal): the progress file is not complete JSON")
            }
        }
        #expect(saved > 0, "no run got as far as saving: the test proved nothing")
        // The next session reads the progress as it was left.
        let list = try QuizCLI.run(["quiz", "--bank", QuizCLI.bank, "--list"], state: state, in: cwd)
        #expect(list.status == 0, "\(list.stderr)")
        #expect(!list.stderr.contains("corrupt"), "\(list.stderr)")
    }

    @Test func aSittingThatSavedNothingDoesNotSayItSaved() throws {
        let state = QuizCLI.tempDir()
        defer { try? FileManager.default.removeItem(at: state) }
        let r = try QuizCLI.run(["quiz", "--bank", QuizCLI.bank], stdin: "skip\nskip\n", state: state, in: QuizCLI.emptyWorkingDirectory(in: state))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(QuizCLI.progress(state) == nil)
        #expect(!(r.stdout + r.stderr).contains("Progress saved"))
        #expect((r.stdout + r.stderr).contains("nothing saved"))
    }
}
