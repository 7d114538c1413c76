import Testing
import Foundation

/// `--scales` end to end: one scale is today's run, byte for byte; several run through the
/// CLI and record their schedule; bad values are one-line errors; --help teaches it.
@Suite(.serialized) struct ScalesCommandTests {
    @Test func oneScaleIsTodaysRunByteForByte() throws {
        let f = try TransferFixture()
        let plain = try f.transfer([], output: "plain.png")
        let one = try f.transfer(["--scales", "1"], output: "one.png")
        #expect(plain.status == 0 && one.status == 0, "\(plain.stderr)\(one.stderr)")
        let a = try Data(contentsOf: URL(fileURLWithPath: f.path("plain.png")))
        let b = try Data(contentsOf: URL(fileURLWithPath: f.path("one.png")))
        #expect(!a.isEmpty && a == b)
        #expect(try f.sidecar("one.json")["schedule"] == nil)
    }

    @Test func twoScalesRunEndToEndAndRecordTheirSchedule() throws {
        let f = try TransferFixture()
        let r = try NSTBinary.run(["transfer", "--content", f.content, "--style", f.style, "--output", f.path("out.png"),
                                   "--random-weights", "--size", "48", "--scales", "2", "--scale-evaluations", "6,4",
                                   "--print-every", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let png = try Data(contentsOf: URL(fileURLWithPath: f.path("out.png")))
        #expect(TinyPNG.validSize(png).map { [$0.0, $0.1] } == [48, 36])
        let s = try f.sidecar()
        let schedule = s["schedule"] as? [[String: Int]]
        #expect(schedule == [["size": 34, "evaluations": 6], ["size": 48, "evaluations": 4]], "\(String(describing: s["schedule"]))")
        #expect((s["curve"] as? [Any])?.count == 10)
        #expect(s[path: "options", "max_evaluations"] as? Int == 10 && s[path: "options", "size"] as? Int == 48)
        // Progress names the scale and counts over the whole schedule.
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("label=transfer_·_scale_1/2,_34×") && $0.contains(" iter=6/10 ") }, "\(r.stderr)")
        #expect(lines.contains { $0.hasPrefix("label=transfer_·_scale_2/2,_48×36 iter=10/10 ") }, "\(r.stderr)")
    }

    @Test func theExperimentRecordsItsScheduleInMetricsAndSidecars() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nst-scales-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try NSTBinary.run(["experiment", "style-depth", "--random-weights", "--size", "64", "--scales", "2",
                                   "--iterations", "6", "-o", dir.path, "--print-every", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        let expected: [[String: Int]] = [["size": 45, "evaluations": 3], ["size": 64, "evaluations": 3]]
        for name in ["metrics.json", "layers-3.json", "layers-5.json"] {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(name))) as! [String: Any]
            #expect(json["schedule"] as? [[String: Int]] == expected, "\(name)")
        }
    }

    @Test(arguments: [(["--scales", "0"], "--scales"), (["--scales", "three"], "--scales"),
                      (["--scales", "2", "--scale-evaluations", "5"], "--scale-evaluations"),
                      (["--scales", "8", "--size", "32"], "--scales")])
    func malformedScalesAreOneLineErrors(_ c: ([String], String)) throws {
        let f = try TransferFixture()
        let r = try f.transfer(c.0)
        #expect(r.status != 0)
        let text = r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!text.contains("\n") && text.contains(c.1) && (text.contains("use ") || text.contains("e.g.")), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: f.path("out.png")))
    }

    @Test func theGridRefusesScales() throws {
        let r = try NSTBinary.run(["experiment", "style-depth", "--grid", "--scales", "2", "--random-weights"])
        #expect(r.status != 0 && r.stderr.contains("--scales applies to the two runs, not to --grid"), "\(r.stderr)")
    }

    @Test func helpDocumentsScalesWithAnExample() throws {
        // The experiment's --help has the flags and an example; transfer's has an example
        // and its --help-hidden the flags (its --help stays under 60 lines).
        let experiment = try NSTBinary.run(["experiment", "style-depth", "--help"])
        #expect(experiment.status == 0)
        #expect(experiment.stdout.contains("--scales <n>") && experiment.stdout.contains("--scale-evaluations"))
        #expect(experiment.stdout.contains("nst experiment style-depth --scales 3 --scale-evaluations 100,50,100"))
        let transfer = try NSTBinary.run(["transfer", "--help"])
        #expect(transfer.stdout.contains("--original-colors --scales 3\n"))
        let hidden = try NSTBinary.run(["transfer", "--help-hidden"])
        #expect(hidden.stdout.contains("--scales <n>") && hidden.stdout.contains("--scale-evaluations"))
    }
}
