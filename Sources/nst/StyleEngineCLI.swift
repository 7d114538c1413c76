import ArgumentParser
import Foundation
import NSTFileIO
import NSTStyle
import NSTStyleJobs
import NSTTerminal

/// What `transfer` and `experiment` share on the command line: progress on stderr and
/// Ctrl-C (`StopSignal`).
enum StyleEngineCLI {
    /// Progress bars on stderr, the stop-signal flag, and the test-only hold.
    static func hooks(printEvery: Int, options: StyleTransferOptions) -> StyleTransferJob.Hooks {
        .init(shouldStop: { StopSignal.requested }, stopBeforeRun: stopIfRequested,
              observe: { total, label in observer(total: total, label: label, printEvery: printEvery, options: options) },
              beforeRun: holdForTests)
    }

    /// After SIGINT/SIGTERM before the first evaluation: says that nothing was written
    /// (`unchanged` keep their previous contents) and exits 130/143. Does nothing otherwise.
    static func stopIfRequested(unchanged: [String]) throws {
        guard StopSignal.requested else { return }
        let names = unchanged.map(CLIError.escaped).joined(separator: " and ")
        StandardStreams.writeError("nst: interrupted before the first evaluation: nothing written (\(names) \(unchanged.count == 1 ? "is" : "are") unchanged)\n")
        throw ExitCode(StopSignal.exitStatus)
    }

    /// Test-only: with `NST_TEST_HOLD_BEFORE_RUN=1` in the environment (`EngineEnvironment`),
    /// says "nst: holding before the first evaluation" on stderr and waits (at most 60 s) for
    /// SIGINT/SIGTERM, so a test can signal a run exactly before its first evaluation.
    static func holdForTests() {
        guard EngineEnvironment().holdBeforeRun else { return }
        StandardStreams.writeError("nst: holding before the first evaluation\n")
        for _ in 0..<6000 where !StopSignal.requested { usleep(10_000) }
    }

    /// A progress bar on stderr for `total` evaluations (NSTTerminal.ProgressBar: a bar on a
    /// terminal, plain `key=value` lines every `printEvery` evaluations otherwise). A closed
    /// or full progress stream (`2>&-`, `2>&1 | head -n1`) stops the progress, never the run.
    static func observer(total: Int, label: String, printEvery: Int, options: StyleTransferOptions) -> RunObserver {
        let stream = ProgressStream(fd: STDERR_FILENO)
        let bar = ProgressBar(total: total, label: label, plainEvery: printEvery == 0 ? total : printEvery, output: { stream.write($0) })
        return .init(progress: { bar.update($0.evaluation, values: $0.displayValues(options)) }, finish: { bar.finish() })
    }
}
