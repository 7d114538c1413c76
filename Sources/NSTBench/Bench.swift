import Foundation
import NSTTensor
import NSTLayers
import NSTVGG

/// What `nst bench` measures: the engine's style-transfer iteration at several image sizes,
/// next to the machine's sgemm peak measured in the same run.
public struct BenchSettings: Sendable {
    /// Longest image sides; each image is 4:3 landscape (384 → 384×288).
    public var sizes: [Int]
    /// Timed repetitions of the iteration per size.
    public var repetitions: Int
    /// Untimed repetitions first (page-in, BLAS thread start).
    public var warmup: Int
    /// Deepest layer of the iteration; also its content layer.
    public var layer: String
    public var pooling: Pooling
    /// n of the n×n×n roofline sgemm.
    public var rooflineSize: Int
    public var algorithm: ConvAlgorithm
    /// Winograd output tile: 0 = chosen per layer, else 2, 4 or 6.
    public var winogradTile: Int
    /// Also time every size with im2col, and how far the image's gradient moves from im2col's.
    public var compareIm2col: Bool
    /// Also time every size on one worker.
    public var compareThreads: Bool
    /// The convolutions' GEMM arithmetic (the precision that runs: `Precision.effective`).
    public var precision: Precision = .fp32

    public init(sizes: [Int], repetitions: Int = 10, warmup: Int = 2, layer: String = "conv5_2", pooling: Pooling,
                rooflineSize: Int = 2048, algorithm: ConvAlgorithm = .auto, winogradTile: Int = 0,
                compareIm2col: Bool = false, compareThreads: Bool = false) {
        self.sizes = sizes
        self.repetitions = repetitions
        self.warmup = warmup
        self.layer = layer
        self.pooling = pooling
        self.rooflineSize = rooflineSize
        self.algorithm = algorithm
        self.winogradTile = winogradTile
        self.compareIm2col = compareIm2col
        self.compareThreads = compareThreads
    }
}

/// Where a bench run reports while it runs. `log` gets the summary lines (roofline, one line
/// per size and comparison); `detail` the per-layer lines; `progress(label, total)` returns
/// the callback of one size's progress (repetitions done, seconds of the last one) and the
/// one that ends it.
public struct BenchOutput {
    public var log: (String) -> Void
    public var detail: (String) -> Void
    public var progress: (_ label: String, _ total: Int) -> (update: (Int, Double) -> Void, finish: () -> Void)

    public init(log: @escaping (String) -> Void, detail: @escaping (String) -> Void,
                progress: @escaping (String, Int) -> (update: (Int, Double) -> Void, finish: () -> Void)) {
        self.log = log
        self.detail = detail
        self.progress = progress
    }
}

/// One convolution's median times (fused ReLU included in forward; ReLU mask included in backward).
public struct LayerRow: Encodable, Sendable {
    public var layer: String, gflop: Double, forward_s: Double, backward_s: Double, forward_gflops: Double, backward_gflops: Double
}

/// One size's measurements.
public struct SizeResult {
    public var size: Int, width: Int, height: Int
    public var forward: Stats, backward: Stats, iteration: Stats
    /// The process's CPU time per iteration (all threads).
    public var cpu: Stats
    public var gflop: Double, effectiveGFLOPS: Double, peakRSSMiB: Double
    public var layers: [LayerRow]
    /// Forward time outside the convolutions (ReLU, pooling).
    public var otherForward: Double
    /// The image's gradient from the last iteration (same image and targets for every algorithm).
    public var gradient: Tensor<Float>
    public var algorithm = ""
    /// ‖∇ − ∇_im2col‖ / ‖∇_im2col‖ of the image's gradient.
    public var im2colGradientDifference: Double? = nil
    public var im2colIteration: Double? = nil
    public var oneThreadIteration: Double? = nil
    /// The roofline this size is compared with (the higher of those measured around it).
    public var roofline = 0.0
    /// Each timed iteration's effective GFLOP/s over the GFLOP/s of sgemm calls run right after
    /// it for as long as it took (ratio), and those sgemm GFLOP/s (roofline): a ratio of two
    /// figures taken seconds apart also measures what other processes did in between; taken
    /// back to back over equal spans, both see much the same load.
    public var paired: (ratio: Stats, roofline: Stats)? = nil

    public struct JSON: Encodable {
        var size: Int, width: Int, height: Int
        var iteration_s: Double, iteration_min_s: Double, iteration_max_s: Double, iteration_cpu_s: Double
        var roofline_gflops: Double
        var forward_s: Stats, backward_s: Stats
        var gflop: Double, effective_gflops: Double, ratio_to_roofline: Double, peak_rss_mib: Double
        var layers: [LayerRow]
        var conv_algorithm: String
        var im2col_iteration_s: Double?, speedup_over_im2col: Double?, im2col_gradient_relative_difference: Double?
        var one_thread_iteration_s: Double?, thread_speedup: Double?
        var paired_ratio_to_roofline: Stats?, paired_roofline_gflops: Stats?
    }

    public func json() -> JSON {
        JSON(size: size, width: width, height: height, iteration_s: iteration.median, iteration_min_s: iteration.min,
             iteration_max_s: iteration.max, iteration_cpu_s: cpu.median, roofline_gflops: roofline, forward_s: forward, backward_s: backward, gflop: gflop,
             effective_gflops: effectiveGFLOPS, ratio_to_roofline: effectiveGFLOPS / roofline, peak_rss_mib: peakRSSMiB,
             layers: layers, conv_algorithm: algorithm,
             im2col_iteration_s: im2colIteration, speedup_over_im2col: im2colIteration.map { $0 / iteration.median },
             im2col_gradient_relative_difference: im2colGradientDifference,
             one_thread_iteration_s: oneThreadIteration, thread_speedup: oneThreadIteration.map { $0 / iteration.median },
             paired_ratio_to_roofline: paired?.ratio, paired_roofline_gflops: paired?.roofline)
    }
}

/// A whole bench run, as `nst bench --json` prints it.
public struct BenchReport: Encodable {
    public var roofline_gflops: Double, roofline_gflops_1thread: Double, threads: Int, blas_kernels: String
    public var model: String, layer: String, pooling: String, `repeat`: Int, warmup: Int
    public var conv_algorithm: String, winograd_tile: Int, scaling_exponent: Double?
    public var precision: String
    public var sizes: [SizeResult.JSON]
}

public enum Bench {
    /// The style layers of the iteration: conv1_1 … conv5_1, as deep as `deepest` reaches.
    static func styleLayers(_ architecture: VGGArchitecture, through deepest: String) -> [String] {
        let last = architecture.layerNames.firstIndex(of: deepest)!
        return ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"].filter { architecture.layerNames.firstIndex(of: $0)! <= last }
    }

    /// Measures the roofline, then every size of `settings` (and its comparisons), reporting
    /// to `output` as it goes. `modelDescription` names the weights in the report.
    public static func run(weights: VGGWeights<Float>, modelDescription: String, settings: BenchSettings,
                           output: BenchOutput) throws -> BenchReport {
        let log = output.log
        // The roofline is OpenBLAS's own: one call on 1 thread, then on all cores with its thread
        // pool. The engine then runs OpenBLAS single-threaded and splits the work itself.
        let allThreads = Parallel.workers
        let n = settings.rooflineSize
        log("roofline: sgemm \(n)×\(n)×\(n)…")
        let probe = RooflineProbe(n: n)   // allocated once: the rooflines and the paired samples
        let roofline1 = probe.bestGFLOPS(threads: 1)
        let rooflineAll = probe.bestGFLOPS(threads: allThreads)
        let kernels = BLASRuntime.coreName + (BLASRuntime.override != nil ? " (chosen by nst: this OpenBLAS fell back to its generic Prescott kernels on this CPU)" : "")
        log(String(format: "roofline: %.1f GFLOP/s on 1 thread, %.1f GFLOP/s on %d threads; ", roofline1, rooflineAll, allThreads) + "OpenBLAS kernels " + kernels)

        let architecture = weights.architecture
        let deepest = try architecture.resolve(settings.layer)
        let styleLayers = styleLayers(architecture, through: deepest)
        let net = VGG(architecture: architecture, weights: weights, pooling: settings.pooling)
        log("model: \(modelDescription); iteration = forward to \(deepest), style \(styleLayers.joined(separator: ",")), content \(deepest), backward to the image; \(settings.pooling.rawValue) pooling")

        net.workspace.algorithm = settings.algorithm
        net.workspace.winogradTile = settings.winogradTile
        net.workspace.precision = settings.precision
        log("precision: \(settings.precision.rawValue) GEMMs in the convolutions")
        let timer = SizeTimer(net: net, styleLayers: styleLayers, deepest: deepest, probe: probe,
                              warmup: settings.warmup, repetitions: settings.repetitions, progress: output.progress)
        var results: [SizeResult] = []
        // Each size's ratio is taken against the higher of the rooflines measured just before and
        // just after it: on a shared machine the peak drifts, and the higher one is the stricter.
        var rooflineBefore = rooflineAll
        for size in settings.sizes {
            let width = size, height = max(1, size * 3 / 4)
            var r = timer.measure(width: width, height: height, label: "bench \(width)x\(height)", paired: true)
            r.size = size
            r.algorithm = settings.algorithm.rawValue
            let rooflineAfter = probe.bestGFLOPS(threads: allThreads)
            r.roofline = max(rooflineBefore, rooflineAfter)
            rooflineBefore = rooflineAfter
            log(String(format: "%4d  %4d×%-4d  forward %.3f s  backward %.3f s  iteration %.3f s (min %.3f, max %.3f; CPU %.3f s)  %.1f GFLOP → %.1f GFLOP/s effective = %.2f× roofline (%.1f, the higher of before/after)  peak RSS %.0f MiB",
                       size, width, height, r.forward.median, r.backward.median, r.iteration.median, r.iteration.min, r.iteration.max,
                       r.cpu.median, r.gflop, r.effectiveGFLOPS, r.effectiveGFLOPS / r.roofline, r.roofline, r.peakRSSMiB))
            if let paired = r.paired {
                log(String(format: "      paired with the sgemm right after each iteration, as long as it: %.2f× roofline (median of the iterations' ratios; min %.2f, max %.2f), the sgemm at %.1f GFLOP/s (median; min %.1f, max %.1f)",
                           paired.ratio.median, paired.ratio.min, paired.ratio.max, paired.roofline.median, paired.roofline.min, paired.roofline.max))
            }
            for row in r.layers {
                output.detail(String(format: "        %-8@ %6.2f GFLOP  forward %.4f s (%5.1f GFLOP/s)  backward %.4f s (%5.1f GFLOP/s)",
                                     row.layer as NSString, row.gflop, row.forward_s, row.forward_gflops, row.backward_s, row.backward_gflops))
            }
            output.detail(String(format: "        ReLU/pooling (forward, outside the convolutions): %.4f s", max(0, r.otherForward)))
            if settings.compareIm2col && settings.algorithm != .im2col {
                net.workspace.algorithm = .im2col
                let base = timer.measure(width: width, height: height, label: "im2col \(width)x\(height)")
                net.workspace.algorithm = settings.algorithm
                r.im2colIteration = base.iteration.median
                r.im2colGradientDifference = relativeDifference(r.gradient, base.gradient)
                for (row, b) in zip(r.layers, base.layers) {
                    output.detail(String(format: "        %-8@ im2col forward %.4f s, backward %.4f s → %@ %.2f×, %.2f× faster",
                                         row.layer as NSString, b.forward_s, b.backward_s, settings.algorithm.rawValue as NSString,
                                         b.forward_s / row.forward_s, b.backward_s / row.backward_s))
                }
                log(String(format: "      im2col in the same run: iteration %.3f s (min %.3f, max %.3f) = %.2f× roofline; %@ is %.2f× faster; peak RSS %.0f MiB; the image's gradient differs from im2col's by %.1e (relative L2)",
                           base.iteration.median, base.iteration.min, base.iteration.max, base.effectiveGFLOPS / r.roofline,
                           settings.algorithm.rawValue as NSString, base.iteration.median / r.iteration.median, base.peakRSSMiB,
                           r.im2colGradientDifference ?? .nan))
            }
            if settings.compareThreads {
                let threads = Parallel.workers
                Parallel.limit = 1
                let single = timer.measure(width: width, height: height, label: "1 thread \(width)x\(height)")
                Parallel.limit = nil
                r.oneThreadIteration = single.iteration.median
                log(String(format: "      1 thread in the same run: iteration %.3f s (min %.3f, max %.3f); %d threads are %.2f× faster",
                           single.iteration.median, single.iteration.min, single.iteration.max, threads, single.iteration.median / r.iteration.median))
            }
            results.append(r)
        }
        let exponent = scalingExponent(pixels: results.map { Double($0.width * $0.height) },
                                        seconds: results.map { $0.iteration.median })
        if let exponent {
            log(String(format: "scaling: iteration time ∝ pixels^%.3f (least squares over %d sizes)", exponent, results.count))
        }
        return BenchReport(roofline_gflops: rooflineAll, roofline_gflops_1thread: roofline1, threads: allThreads,
                           blas_kernels: BLASRuntime.coreName, model: modelDescription, layer: deepest,
                           pooling: settings.pooling.rawValue, repeat: settings.repetitions, warmup: settings.warmup,
                           conv_algorithm: settings.algorithm.rawValue, winograd_tile: settings.winogradTile,
                           scaling_exponent: exponent, precision: settings.precision.rawValue, sizes: results.map { $0.json() })
    }

    /// Least-squares slope of log(seconds) against log(pixels), from two distinct sizes up:
    /// 1 = time linear in the pixel count; nil for fewer sizes.
    public static func scalingExponent(pixels: [Double], seconds: [Double]) -> Double? {
        precondition(pixels.count == seconds.count, "one time per size")
        guard pixels.count >= 2 else { return nil }
        let xs = pixels.map { Foundation.log($0) }, ys = seconds.map { Foundation.log($0) }
        let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
        let sxy = zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }, sxx = xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        return sxx > 0 ? sxy / sxx : nil
    }
}

/// Times one size's iterations with the network's current settings.
struct SizeTimer {
    let net: VGG<Float>
    let styleLayers: [String]
    let deepest: String
    let probe: RooflineProbe
    let warmup: Int, repetitions: Int
    let progress: (String, Int) -> (update: (Int, Double) -> Void, finish: () -> Void)

    /// Warm-up + timed repetitions of one size; when `paired`, the probe's sgemm runs on nst's
    /// workers right after each timed iteration (see `SizeResult.paired`). Peak RSS leaves out
    /// the probe's matrices, resident all along.
    func measure(width: Int, height: Int, label: String, paired pairing: Bool = false) -> SizeResult {
        let architecture = net.architecture
        PeakMemory.reset()
        let workload = Workload(net: net, width: width, height: height, styleLayers: styleLayers, contentLayer: deepest)
        var forward: [Double] = [], backward: [Double] = [], total: [Double] = [], cpu: [Double] = []
        var perLayer: [String: [Double]] = [:]   // "conv1_1 forward" → seconds per iteration
        var paired: [Double] = []   // the sgemm's GFLOP/s right after each timed iteration
        var gradient = Tensor<Float>(shape: [0])
        net.recordsLayerTimes = true
        let bar = progress(label, warmup + repetitions)
        for i in 0..<(warmup + repetitions) {
            let cpu0 = ProcessCPUTime.seconds()
            let (f, b, dx) = workload.iteration()
            if i == warmup + repetitions - 1 { gradient = dx }   // kept from the last one only
            let cpuSeconds = ProcessCPUTime.seconds() - cpu0
            bar.update(i + 1, f + b)
            if i >= warmup {
                forward.append(f); backward.append(b); total.append(f + b); cpu.append(cpuSeconds)
                for t in net.layerTimes { perLayer["\(t.layer) \(t.pass)", default: []].append(t.seconds) }
                if pairing { paired.append(probe.gflops(threads: nil, forAtLeast: f + b)) }
            }
        }
        net.recordsLayerTimes = false
        bar.finish()
        var layerRows: [LayerRow] = []
        for (name, macs) in architecture.convMultiplyAddsPerLayer(width: width, height: height) {
            guard let f = perLayer["\(name) forward"] else { continue }
            let fwd = Stats(f).median, bwd = perLayer["\(name) backward"].map { Stats($0).median } ?? 0
            let gflop = 2 * Double(macs) / 1e9
            layerRows.append(LayerRow(layer: name, gflop: gflop, forward_s: fwd, backward_s: bwd,
                                      forward_gflops: gflop / fwd, backward_gflops: bwd > 0 ? gflop / bwd : 0))
        }
        let otherForward = Stats(forward).median - layerRows.reduce(0) { $0 + $1.forward_s }
        // Direct-convolution FLOP: 2 per multiply-add, forward plus the same for the input gradient.
        let flop = 4.0 * Double((try? architecture.convMultiplyAdds(through: deepest, width: width, height: height)) ?? 0)
        var r = SizeResult(size: width, width: width, height: height, forward: Stats(forward), backward: Stats(backward),
                           iteration: Stats(total), cpu: Stats(cpu), gflop: flop / 1e9,
                           effectiveGFLOPS: flop / 1e9 / Stats(total).median, peakRSSMiB: PeakMemory.peakMiB() - probe.residentMiB,
                           layers: layerRows, otherForward: otherForward, gradient: gradient)
        if !paired.isEmpty {
            r.paired = (Stats(zip(total, paired).map { flop / 1e9 / $0.0 / $0.1 }), Stats(paired))
        }
        return r
    }
}
