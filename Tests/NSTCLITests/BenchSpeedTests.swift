import Testing
import Foundation

@Suite("nst bench: algorithm and thread comparisons, end to end")
struct BenchSpeedTests {
    @Test func comparisonsAndScalingAppearInTheJSON() throws {
        let r = try NSTBinary.run(["bench", "--random-weights", "--sizes", "32,48", "--repeat", "1", "--warmup", "0",
                                   "--roofline-size", "128", "--compare-im2col", "--compare-threads", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(object?["conv_algorithm"] as? String == "auto")
        // Two sizes give a fitted exponent. Its value is a timing (noisy on a shared machine, so
        // not asserted here: speed targets live in the benchmark itself); it must be a number.
        #expect((object?["scaling_exponent"] as? Double)?.isFinite == true, "two sizes give a fitted exponent")
        let sizes = try #require(object?["sizes"] as? [[String: Any]])
        #expect(sizes.count == 2)
        for s in sizes {
            for key in ["im2col_iteration_s", "speedup_over_im2col", "one_thread_iteration_s", "thread_speedup"] {
                #expect(((s[key] as? Double) ?? 0) > 0, "\(key)")
            }
            // Winograd moves the gradient by rounding only: nonzero, and far below 1 %.
            let drift = try #require(s["im2col_gradient_relative_difference"] as? Double)
            #expect(drift > 0 && drift < 1e-2, "gradient vs im2col: \(drift)")
            let layers = try #require(s["layers"] as? [[String: Any]])
            #expect(layers.first?["layer"] as? String == "conv1_1" && layers.count == 12)
        }
        #expect(r.stderr.contains("im2col in the same run") && r.stderr.contains("1 thread in the same run"))
    }

    @Test func im2colAlgorithmRunsAndBadTileIsRefused() throws {
        let r = try NSTBinary.run(["bench", "--random-weights", "--sizes", "32", "--repeat", "1", "--warmup", "0",
                                   "--roofline-size", "64", "--conv-algorithm", "im2col"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("conv5_2"))
        let tile = try NSTBinary.run(["bench", "--random-weights", "--winograd-tile", "3"])
        #expect(tile.status != 0 && tile.stderr.contains("--winograd-tile"))
        let algorithm = try NSTBinary.run(["bench", "--random-weights", "--conv-algorithm", "fft"])
        #expect(algorithm.status != 0 && algorithm.stderr.contains("winograd"))
    }
}
