import Testing
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT / SIGTERM in the middle of `nst experiment style-depth` (two runs: first 3, then
/// first 5 style layers): the run in progress writes its current image and sidecar before
/// the process exits with 128 + signal; a run already finished keeps its files. (The same for
/// `nst transfer` is in TransferCommandTests.) Tiny random-weights network, 32 px.
@Suite("interrupting experiment style-depth", .serialized)
struct ExperimentInterruptTests {
    /// Starts the experiment, waits until stderr shows `marker`, sends `signal`, and returns
    /// the exit status, stderr and the output folder.
    func interrupt(when marker: String, with signal: Int32, iterations: Int = 1_000_000) throws -> (status: Int32, stderr: String, out: URL) {
        let f = try TransferFixture()
        let out = URL(fileURLWithPath: f.path("out"))
        let log = URL(fileURLWithPath: f.path("stderr.txt"))
        let args = ["experiment", "style-depth", "--content", f.content, "--style", f.style, "--output-dir", out.path,
                    "--random-weights", "--size", "32", "--iterations", "\(iterations)", "--print-every", "1"]
        // Through `sh -c 'exec …'`: stderr goes straight to a file we can poll, and the pid is nst's.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "exec \"$0\" \"$@\" 2>\"\(log.path)\" >/dev/null", NSTBinary.url.path] + args
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        var text = ""
        while Date() < deadline, !text.contains(marker) {
            usleep(20_000)
            text = String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self)
        }
        #expect(text.contains(marker), "never saw \(marker): \(text.suffix(500))")
        kill(p.processIdentifier, signal)
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self), out)
    }

    func sidecar(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
    }

    @Test func sigintDuringTheFirstRunWritesItsImageAndSidecar() throws {
        let r = try interrupt(when: "iter=3/", with: SIGINT)
        #expect(r.status == 130, "\(r.stderr.suffix(500))")
        let png = try Data(contentsOf: r.out.appendingPathComponent("layers-3.png"))
        #expect(TinyPNG.validSize(png)?.0 == 32)
        let s = try sidecar(r.out.appendingPathComponent("layers-3.json"))
        #expect(s["stop_reason"] as? String == "interrupted")
        #expect((s["evaluations"] as? Int ?? 0) >= 3)
        #expect(!FileManager.default.fileExists(atPath: r.out.appendingPathComponent("layers-5.png").path))
        #expect(r.stderr.contains("interrupted: wrote \(r.out.appendingPathComponent("layers-3.png").path)"))
    }

    @Test func sigtermDuringTheSecondRunKeepsTheFirstAndWritesTheSecond() throws {
        // A budget the first run finishes in a few seconds and the second is still far from.
        let r = try interrupt(when: "label=5_layers iter=3/", with: SIGTERM, iterations: 60)
        #expect(r.status == 143, "\(r.stderr.suffix(500))")
        for n in [3, 5] {
            let png = try Data(contentsOf: r.out.appendingPathComponent("layers-\(n).png"))
            #expect(TinyPNG.validSize(png)?.0 == 32)
        }
        #expect(try sidecar(r.out.appendingPathComponent("layers-5.json"))["stop_reason"] as? String == "interrupted")
    }
}
