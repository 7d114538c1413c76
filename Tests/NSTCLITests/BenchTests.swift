import Testing
import Foundation

@Suite("nst bench, end to end")
struct BenchTests {
    @Test func tinyRunWithRandomWeightsPrintsTheJSONContract() throws {
        let r = try NSTBinary.run(["bench", "--random-weights", "--sizes", "32,40", "--repeat", "1", "--warmup", "0",
                                   "--roofline-size", "128", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let roofline = try #require(object?["roofline_gflops"] as? Double)
        #expect(roofline > 0)
        let sizes = try #require(object?["sizes"] as? [[String: Any]])
        #expect(sizes.count == 2)
        #expect(sizes.last?["width"] as? Int == 40 && sizes.last?["height"] as? Int == 30)
        let s = sizes[0]
        #expect(s["size"] as? Int == 32 && s["width"] as? Int == 32 && s["height"] as? Int == 24)
        for key in ["iteration_s", "effective_gflops", "peak_rss_mib"] {
            #expect(((s[key] as? Double) ?? 0) > 0, "\(key)")
        }
        // The paired ratio: each iteration's effective GFLOP/s over an sgemm run right after it
        // (one iteration here, so the median is that one ratio).
        let ratio = try #require(s["paired_ratio_to_roofline"] as? [String: Double])
        let sgemm = try #require(s["paired_roofline_gflops"] as? [String: Double])
        let effective = try #require(s["effective_gflops"] as? Double)
        #expect((sgemm["median"] ?? 0) > 0 && ratio["min"] == ratio["max"])
        #expect(abs((ratio["median"] ?? 0) - effective / (sgemm["median"] ?? 1)) <= 1e-9 * (ratio["median"] ?? 1))
        // 32×24 through conv5_2: 4 × direct multiply-adds.
        #expect(abs(((s["gflop"] as? Double) ?? 0) - 4 * 223_100_928 / 1e9) < 1e-6)
        #expect(r.stderr.contains("roofline"))
        #expect(object?["repeat"] as? Int == 1)
    }

    /// --objective experiment: the experiment's objective on its images (from the package root),
    /// one JSON report per size with every phase, the bench iteration beside it and their ratio.
    @Test func experimentObjectivePrintsItsPhases() throws {
        let r = try NSTBinary.run(["bench", "--objective", "experiment", "--random-weights", "--sizes", "64", "--repeat", "2",
                                   "--warmup", "1", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let reports = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(reports.count == 1)
        let report = reports[0]
        #expect(report["width"] as? Int == 64 && report["evaluations"] as? Int == 2 && report["warmup"] as? Int == 1)
        let phases = try #require(report["phases"] as? [String: [String: Double]])
        #expect(Set(phases.keys) == ["vgg_forward", "vgg_backward", "outside_network"])
        #expect((phases["vgg_forward"]?["median"] ?? 0) > 0 && (phases["vgg_backward"]?["median"] ?? 0) > 0)
        let evaluation = try #require(report["evaluation_s"] as? [String: Double])
        let iteration = try #require(report["bench_iteration_s"] as? [String: Double])
        let ratio = try #require(report["ratio_to_bench"] as? Double)
        #expect(abs(ratio - (evaluation["median"] ?? 0) / (iteration["median"] ?? 1)) <= 1e-9 * ratio)
        let memory = try #require(report["memory"] as? [[String: Any]])
        #expect(memory.map { $0["stage"] as? String } == ["model load", "preparation", "targets", "run"])
        #expect(((report["peak_rss_mib"] as? Double) ?? 0) > 0 && ((report["prepare_s"] as? Double) ?? 0) > 0)

        let table = try NSTBinary.run(["bench", "--objective", "experiment", "--random-weights", "--sizes", "64", "--repeat", "1",
                                       "--warmup", "0"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("vgg_forward") && table.stdout.contains("evaluation ÷ iteration"), "\(table.stdout)")
    }

    @Test func withoutAModelItSaysWhichCommandFetchesOne() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("nst-bench-empty-\(getpid())")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        var env = ProcessInfo.processInfo.environment
        env["XDG_CACHE_HOME"] = empty.path
        let r = try NSTBinary.run(["bench", "--sizes", "32", "--repeat", "1", "--roofline-size", "64"], environment: env)
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("nst: error: ") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("nst model fetch") && r.stderr.contains("--random-weights"), "\(r.stderr)")
    }

    @Test func badOptionsAreRefusedWithTheFix() throws {
        let small = try NSTBinary.run(["bench", "--random-weights", "--sizes", "8"])
        #expect(small.status != 0 && small.stderr.contains("--sizes"))
        let notANumber = try NSTBinary.run(["bench", "--random-weights", "--sizes", "256,big"])
        #expect(notANumber.status != 0 && notANumber.stderr.contains("256,big") && notANumber.stderr.contains("e.g. --sizes 256,384,512"))
        let layer = try NSTBinary.run(["bench", "--random-weights", "--layer", "conv9_1"])
        #expect(layer.status != 0 && layer.stderr.contains("conv5_2") && layer.stderr.contains("block4_conv2"))
        let pooling = try NSTBinary.run(["bench", "--pooling", "median"])
        #expect(pooling.status != 0 && pooling.stderr.contains("max") && pooling.stderr.contains("avg"))
        // --iterations counts optimiser evaluations elsewhere; bench's old name for --repeat names the new one.
        let renamed = try NSTBinary.run(["bench", "--random-weights", "--iterations", "3"])
        #expect(renamed.status == 64 && renamed.stderr.contains("--repeat 10"), "\(renamed.stderr)")
    }
}
