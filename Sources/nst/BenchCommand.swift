import ArgumentParser
import Foundation
import NSTTensor
import NSTLayers
import NSTVGG
import NSTWeights
import NSTTerminal
import NSTStyle

/// `nst bench`: the engine's speed next to the machine's BLAS peak, measured in the same run.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engine's speed and memory.",
        discussion: """
        First the roofline: the GFLOP/s of one large cblas_sgemm (n×n×n, 2n³ FLOP) on 1 thread \
        and on all threads. Then, per image size, one style-transfer iteration as the experiment \
        runs it: VGG forward from the image to --layer (default conv5_2) keeping the style layers \
        conv1_1…conv5_1 and the content layer, content + style losses, and the backward pass to \
        the image (no weight gradients). Times are median, min and max over --iterations runs \
        after --warmup runs, with a per-convolution breakdown, and the process's CPU time per \
        iteration (all threads; unlike wall time, not inflated when another process takes a core).

        Effective GFLOP/s = the direct-convolution FLOP count of the iteration (2 FLOP per \
        multiply-add, forward plus the same again for the input gradient) ÷ iteration time, so it \
        is comparable across algorithms and with the roofline. The roofline is measured again \
        after each size, and each size is compared with the higher of the two around it (each \
        the best of a few calls): the strict ratio. The paired ratio runs the same sgemm right \
        after each timed iteration, for as long as the iteration took and split over nst's \
        workers as the engine's own products are, and takes the median of the iterations' ratios \
        to it, so that both sides of each ratio see much the same load from other processes. \
        Peak RSS is the process's high-water mark while that size ran (reset per size), less the \
        roofline sgemm's matrices.

        Needs a model (`nst model fetch`), or --random-weights to time random weights of the same \
        shapes. Run it on a quiet machine: other processes on the same cores distort every number.

        Convolutions run by --conv-algorithm (default auto: Winograd F(6×6,3×3) for up to 256 \
        channels on maps of 4096 pixels or more, else F(4×4,3×3), but F(2×2,3×3) for 512 channels \
        on maps under 1024 pixels; im2col for conv1_1's 3 input channels). \
        --compare-im2col and --compare-threads time each size again with im2col and on 1 thread \
        in the same run; --compare-im2col also gives how far the image's gradient moves from \
        im2col's (relative L2: the accuracy the speed costs). Two or more sizes also give the \
        fitted exponent of time ∝ pixels^k.

        Examples:
          nst bench --random-weights
          nst bench --sizes 384 --iterations 10 --json
          nst bench --sizes 256 384 512 --compare-im2col --compare-threads
          nst bench --sizes 128 256 512 1024 --iterations 3
        """
    )

    @Option(name: [.customLong("sizes"), .customLong("size")], parsing: .upToNextOption,
            help: ArgumentHelp("Longest image sides to time, separated by spaces or commas; the image is 4:3 landscape (384 → 384×288).",
                               valueName: "px"))
    var sizeArguments: [String] = ["256", "384", "512"]

    /// --sizes as numbers (nil entries are not numbers).
    var sizes: [Int?] { sizeArguments.flatMap { $0.split(separator: ",") }.map { Int($0.trimmingCharacters(in: .whitespaces)) } }

    @Option(name: .long, help: "Timed iterations per size.")
    var iterations: Int = 10

    @Option(name: .long, help: "Untimed iterations first (page-in, BLAS thread start).")
    var warmup: Int = 2

    @Option(name: .long, help: "Deepest layer of the iteration (VGG or Keras name); it is also the content layer.")
    var layer: String = "conv5_2"

    @Option(name: .long, help: "Model file or installed model name (default: the installed default model).")
    var model: String?

    @Flag(name: .long, help: "Use random VGG16 weights instead of an installed model (speed is the same).")
    var randomWeights = false

    @Option(name: .long, help: "Pooling between blocks: max, as VGG16 was trained and as nst transfer and nst experiment run by default, or avg (Gatys et al.'s choice).")
    var pooling: Pooling = StyleTransferOptions().pooling

    @Option(name: .long, help: "n of the n×n×n roofline sgemm.")
    var rooflineSize: Int = 2048

    @Flag(name: .long, help: "Print one JSON object instead of the table.")
    var json = false

    @Option(name: .long, help: "Convolution algorithm: auto (Winograd where channels ≥ 16, im2col for conv1_1), im2col (direct multiply count, GEMM), winograd (every layer).")
    var convAlgorithm: BenchConvAlgorithm = .auto

    @Option(name: .long, help: "Winograd output tile: 0 = per layer (see above), 2, 4 or 6.")
    var winogradTile: Int = 0

    @Flag(name: .long, help: "Also time every size with --conv-algorithm im2col in the same run and print the speed-up.")
    var compareIm2col = false

    @Flag(name: .long, help: "Also time every size on 1 thread (BLAS and nst's own workers) and print the speed-up of all threads.")
    var compareThreads = false

    func validate() throws {
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 != nil && (32...4096).contains($0!) }) else {
            throw ValidationError("--sizes \(sizeArguments.joined(separator: " ")): each size must be a whole number of pixels from 32 to 4096 (VGG16 pools 4 times before block 5; 32 px is the smallest that reaches it), e.g. --sizes 256,384,512")
        }
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be 0 or more") }
        guard (64...8192).contains(rooflineSize) else { throw ValidationError("--roofline-size must be between 64 and 8192") }
        do { _ = try VGGArchitecture.vgg19.resolve(layer) } catch { throw ValidationError("--layer: \(error)") }
        guard [0, 2, 4, 6].contains(winogradTile) else { throw ValidationError("--winograd-tile must be 0, 2, 4 or 6") }
        if randomWeights && model != nil { throw ValidationError("--random-weights and --model exclude each other") }
    }

    func run() throws {
        let log: (String) -> Void = { line in
            if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
        }
        let weights: VGGWeights<Float>
        let modelDescription: String
        if randomWeights {
            weights = VGGWeights<Float>.random(architecture: .vgg16, seed: 1)
            modelDescription = "random VGG16 weights"
        } else {
            let url: URL
            do { url = try ModelStore.resolve(model) } catch {
                throw BenchError(description: "\(error)\n(or run `nst bench --random-weights` to time random weights of the same shapes)")
            }
            let (w, info) = try VGGWeights<Float>.load(url)
            weights = w
            modelDescription = "\(info.architecture.rawValue) from \(info.path)"
        }
        // The roofline is OpenBLAS's own: one call on 1 thread, then on all cores with its thread
        // pool. The engine then runs OpenBLAS single-threaded and splits the work itself.
        let allThreads = Parallel.workers
        log("roofline: sgemm \(rooflineSize)×\(rooflineSize)×\(rooflineSize)…")
        let probe = RooflineProbe(n: rooflineSize)   // allocated once: the rooflines and the paired samples
        let roofline1 = probe.bestGFLOPS(threads: 1)
        let rooflineAll = probe.bestGFLOPS(threads: allThreads)
        let kernels = BLASRuntime.coreName + (BLASRuntime.override != nil ? " (chosen by nst: this OpenBLAS fell back to its generic Prescott kernels on this CPU)" : "")
        log(String(format: "roofline: %.1f GFLOP/s on 1 thread, %.1f GFLOP/s on %d threads; ", roofline1, rooflineAll, allThreads) + "OpenBLAS kernels " + kernels)

        let architecture = weights.architecture
        let deepest = try architecture.resolve(layer)
        let styleLayers = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"]
            .filter { architecture.layerNames.firstIndex(of: $0)! <= architecture.layerNames.firstIndex(of: deepest)! }
        let net = VGG(architecture: architecture, weights: weights, pooling: pooling)
        log("model: \(modelDescription); iteration = forward to \(deepest), style \(styleLayers.joined(separator: ",")), content \(deepest), backward to the image; \(pooling.rawValue) pooling")

        net.workspace.algorithm = convAlgorithm.algorithm
        net.workspace.winogradTile = winogradTile
        var results: [SizeResult] = []
        // Each size's ratio is taken against the higher of the rooflines measured just before and
        // just after it: on a shared machine the peak drifts, and the higher one is the stricter.
        var rooflineBefore = rooflineAll
        for size in sizes.compactMap({ $0 }) {
            let width = size, height = max(1, size * 3 / 4)
            var r = measure(net: net, width: width, height: height, styleLayers: styleLayers, deepest: deepest, label: "bench \(width)x\(height)",
                            probe: probe, paired: true)
            r.size = size
            r.algorithm = convAlgorithm.rawValue
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
            if !json {
                for row in r.layers {
                    print(String(format: "        %-8@ %6.2f GFLOP  forward %.4f s (%5.1f GFLOP/s)  backward %.4f s (%5.1f GFLOP/s)",
                                 row.layer as NSString, row.gflop, row.forward_s, row.forward_gflops, row.backward_s, row.backward_gflops))
                }
                print(String(format: "        ReLU/pooling (forward, outside the convolutions): %.4f s", max(0, r.otherForward)))
            }
            if compareIm2col && convAlgorithm != .im2col {
                net.workspace.algorithm = .im2col
                let base = measure(net: net, width: width, height: height, styleLayers: styleLayers, deepest: deepest, label: "im2col \(width)x\(height)", probe: probe)
                net.workspace.algorithm = convAlgorithm.algorithm
                r.im2colIteration = base.iteration.median
                r.im2colGradientDifference = relativeDifference(r.gradient, base.gradient)
                if !json {
                    for (row, b) in zip(r.layers, base.layers) {
                        print(String(format: "        %-8@ im2col forward %.4f s, backward %.4f s → %@ %.2f×, %.2f× faster",
                                     row.layer as NSString, b.forward_s, b.backward_s, convAlgorithm.rawValue as NSString,
                                     b.forward_s / row.forward_s, b.backward_s / row.backward_s))
                    }
                }
                log(String(format: "      im2col in the same run: iteration %.3f s (min %.3f, max %.3f) = %.2f× roofline; %@ is %.2f× faster; peak RSS %.0f MiB; the image's gradient differs from im2col's by %.1e (relative L2)",
                           base.iteration.median, base.iteration.min, base.iteration.max, base.effectiveGFLOPS / r.roofline,
                           convAlgorithm.rawValue as NSString, base.iteration.median / r.iteration.median, base.peakRSSMiB,
                           r.im2colGradientDifference ?? .nan))
            }
            if compareThreads {
                let threads = Parallel.workers
                Parallel.limit = 1
                let single = measure(net: net, width: width, height: height, styleLayers: styleLayers, deepest: deepest, label: "1 thread \(width)x\(height)", probe: probe)
                Parallel.limit = nil
                r.oneThreadIteration = single.iteration.median
                log(String(format: "      1 thread in the same run: iteration %.3f s (min %.3f, max %.3f); %d threads are %.2f× faster",
                           single.iteration.median, single.iteration.min, single.iteration.max, threads, single.iteration.median / r.iteration.median))
            }
            results.append(r)
        }
        var scalingExponent: Double? = nil
        if results.count >= 2 {
            // Least-squares slope of log(time) against log(pixels): 1 = linear in pixel count.
            let xs = results.map { Foundation.log(Double($0.width * $0.height)) }, ys = results.map { Foundation.log($0.iteration.median) }
            let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
            let sxy = zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }, sxx = xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
            if sxx > 0 {
                scalingExponent = sxy / sxx
                log(String(format: "scaling: iteration time ∝ pixels^%.3f (least squares over %d sizes)", sxy / sxx, results.count))
            }
        }
        if json {
            let report = Report(roofline_gflops: rooflineAll, roofline_gflops_1thread: roofline1, threads: allThreads, blas_kernels: BLASRuntime.coreName,
                                model: modelDescription, layer: deepest, pooling: pooling.rawValue,
                                iterations: iterations, warmup: warmup, conv_algorithm: convAlgorithm.rawValue,
                                winograd_tile: winogradTile, scaling_exponent: scalingExponent,
                                sizes: results.map { $0.json() })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }

    /// Times warm-up + iterations of one size with the network's current settings; when
    /// `paired`, the probe's sgemm runs on nst's workers right after each timed iteration (see
    /// `SizeResult.paired`). Peak RSS leaves out the probe's matrices, resident all along.
    func measure(net: VGG<Float>, width: Int, height: Int, styleLayers: [String], deepest: String, label: String,
                 probe: RooflineProbe, paired pairing: Bool = false) -> SizeResult {
        let architecture = net.architecture
        PeakMemory.reset()
        let workload = Workload(net: net, width: width, height: height, styleLayers: styleLayers, contentLayer: deepest)
        var forward: [Double] = [], backward: [Double] = [], total: [Double] = [], cpu: [Double] = []
        var perLayer: [String: [Double]] = [:]   // "conv1_1 forward" → seconds per iteration
        var paired: [Double] = []   // the sgemm's GFLOP/s right after each timed iteration
        var gradient = Tensor<Float>(shape: [0])
        net.recordsLayerTimes = true
        let progress = ProgressBar(total: warmup + iterations, label: label)
        for i in 0..<(warmup + iterations) {
            let cpu0 = ProcessCPUTime.seconds()
            let (f, b, dx) = workload.iteration()
            if i == warmup + iterations - 1 { gradient = dx }   // kept from the last one only: memory as before
            let cpuSeconds = ProcessCPUTime.seconds() - cpu0
            progress.update(i + 1, values: [("iteration_s", f + b)])
            if i >= warmup {
                forward.append(f); backward.append(b); total.append(f + b); cpu.append(cpuSeconds)
                for t in net.layerTimes { perLayer["\(t.layer) \(t.pass)", default: []].append(t.seconds) }
                if pairing { paired.append(probe.gflops(threads: nil, forAtLeast: f + b)) }
            }
        }
        net.recordsLayerTimes = false
        progress.finish()
        var layerRows: [LayerRow] = []
        for (name, macs) in architecture.convMultiplyAddsPerLayer(width: width, height: height) {
            guard let f = perLayer["\(name) forward"] else { continue }
            let fwd = Stats(f).median, bwd = perLayer["\(name) backward"].map { Stats($0).median } ?? 0
            let gflop = 2 * Double(macs) / 1e9
            layerRows.append(LayerRow(layer: name, gflop: gflop, forward_s: fwd, backward_s: bwd,
                                      forward_gflops: gflop / fwd, backward_gflops: bwd > 0 ? gflop / bwd : 0))
        }
        let otherForward = Stats(forward).median - layerRows.reduce(0) { $0 + $1.forward_s }
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

/// A failure that is not a usage mistake (no usage text after it).
struct BenchError: Error, CustomStringConvertible {
    var description: String
}

/// One size's iteration: fixed random content/style targets, a random image, timed forward and
/// (losses + backward).
private struct Workload {
    let net: VGG<Float>
    let x: Tensor<Float>
    let keep: Set<String>
    let styleTargets: [String: Tensor<Float>]
    let contentLayer: String
    let contentTarget: Tensor<Float>

    init(net: VGG<Float>, width: Int, height: Int, styleLayers: [String], contentLayer: String) {
        var rng = SplitMix64(seed: 42)
        // Images in the preprocessed range of Caffe VGG (≈ ±128).
        let style = Tensor<Float>.uniform([3, height, width], in: -120...130, using: &rng)
        let content = Tensor<Float>.uniform([3, height, width], in: -120...130, using: &rng)
        self.net = net
        self.x = Tensor<Float>.uniform([3, height, width], in: -120...130, using: &rng)
        self.keep = Set(styleLayers + [contentLayer])
        self.contentLayer = contentLayer
        let s = net.forward(style, keep: Set(styleLayers))
        var targets: [String: Tensor<Float>] = [:]
        for name in styleLayers { targets[name] = Gram.forward(Self.matrix(s[name]!)) }
        self.styleTargets = targets
        self.contentTarget = Self.matrix(net.forward(content, keep: [contentLayer])[contentLayer]!)
    }

    static func matrix(_ a: Tensor<Float>) -> Tensor<Float> { a.reshaped([a.shape[0], a.shape[1] * a.shape[2]]) }

    /// (forward seconds, losses + backward seconds, the image's gradient)
    func iteration() -> (Double, Double, Tensor<Float>) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let acts = net.forward(x, keep: keep)
        let t1 = DispatchTime.now().uptimeNanoseconds
        var d: [String: Tensor<Float>] = [:]
        let c = acts[contentLayer]!
        d[contentLayer] = ContentLoss.backward(Self.matrix(c), contentTarget).reshaped(c.shape)
        for (name, target) in styleTargets {
            let a = acts[name]!
            let g = StyleLoss.backward(Self.matrix(a), target, dE: 1e3).reshaped(a.shape)
            if d[name] == nil { d[name] = g } else { d[name]!.add(g) }
        }
        let dx = net.backward(d)
        precondition(dx.shape == x.shape)
        let t2 = DispatchTime.now().uptimeNanoseconds
        return (Double(t1 - t0) / 1e9, Double(t2 - t1) / 1e9, dx)
    }
}

struct Stats: Encodable {
    var median: Double, min: Double, max: Double
    init(_ xs: [Double]) {
        let s = xs.sorted()
        median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        min = s.first!
        max = s.last!
    }
}

struct SizeResult {
    var size: Int, width: Int, height: Int
    var forward: Stats, backward: Stats, iteration: Stats
    /// The process's CPU time per iteration (all threads): unlike wall time, not inflated when
    /// another process takes the cores.
    var cpu: Stats
    var gflop: Double, effectiveGFLOPS: Double, peakRSSMiB: Double
    var layers: [LayerRow]
    var otherForward: Double
    /// The image's gradient from the last iteration (same image and targets for every algorithm).
    var gradient: Tensor<Float>
    var algorithm = ""
    /// ‖∇ − ∇_im2col‖ / ‖∇_im2col‖ of the image's gradient.
    var im2colGradientDifference: Double? = nil
    var im2colIteration: Double? = nil
    var oneThreadIteration: Double? = nil
    /// The roofline this size is compared with (the higher of those measured around it).
    var roofline = 0.0
    /// Each timed iteration's effective GFLOP/s over the GFLOP/s of sgemm calls run right after
    /// it for as long as it took (ratio), and those sgemm GFLOP/s (roofline): on a shared
    /// machine, a ratio of two figures taken seconds apart also measures what the neighbours
    /// did in between; taken back to back over equal spans, both see much the same load.
    var paired: (ratio: Stats, roofline: Stats)? = nil

    struct JSON: Encodable {
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

    func json() -> JSON {
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

/// ‖a − b‖ / ‖b‖ (L2, accumulated in Double).
func relativeDifference(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Double {
    precondition(a.shape == b.shape, "gradients of different shapes: \(a.shape) vs \(b.shape)")
    var diff = 0.0, norm = 0.0
    for (x, y) in zip(a.storage, b.storage) { let d = Double(x) - Double(y); diff += d * d; norm += Double(y) * Double(y) }
    return norm > 0 ? (diff / norm).squareRoot() : diff.squareRoot()
}

/// One convolution's median times (fused ReLU included in forward; ReLU mask included in backward).
struct LayerRow: Encodable {
    var layer: String, gflop: Double, forward_s: Double, backward_s: Double, forward_gflops: Double, backward_gflops: Double
}

private struct Report: Encodable {
    var roofline_gflops: Double, roofline_gflops_1thread: Double, threads: Int, blas_kernels: String
    var model: String, layer: String, pooling: String, iterations: Int, warmup: Int
    var conv_algorithm: String, winograd_tile: Int, scaling_exponent: Double?
    var sizes: [SizeResult.JSON]
}

/// One n×n×n cblas_sgemm (2n³ FLOP) with its operands allocated once, timed a call at a time.
final class RooflineProbe {
    let n: Int
    let a: Tensor<Float>, b: Tensor<Float>
    var c: [Float]

    init(n: Int) {
        var rng = SplitMix64(seed: 7)
        self.n = n
        a = .uniform([n, n], using: &rng)
        b = .uniform([n, n], using: &rng)
        c = [Float](repeating: 0, count: n * n)
    }

    /// The three matrices' memory, all of it resident once the first call has written c.
    var residentMiB: Double { Double(3 * n * n * MemoryLayout<Float>.stride) / 1048576 }

    /// GFLOP/s of back-to-back calls, as many as take `seconds` (at least one): on OpenBLAS's
    /// own `threads` (put back to 1 afterwards: the engine parallelises itself), or with
    /// `threads` nil split over nst's workers by `parallelGemm`, OpenBLAS on 1 thread, as the
    /// engine runs its own products. The paired samples use the latter: after a call on its
    /// own threads, OpenBLAS's idle workers spin for a while and took CPU from the iteration
    /// that follows (its CPU time per iteration rose by ≈ 10 %).
    func gflops(threads: Int?, forAtLeast seconds: Double = 0) -> Double {
        if let threads { BLASThreads.set(threads) }
        defer { if threads != nil { BLASThreads.set(1) } }
        let n = self.n
        var calls = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        a.storage.withUnsafeBufferPointer { ap in
            b.storage.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    repeat {
                        if threads == nil {
                            Float.parallelGemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: ap.baseAddress!, lda: n,
                                               b: bp.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
                        } else {
                            Float.gemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: ap.baseAddress!, lda: n,
                                       b: bp.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
                        }
                        calls += 1
                        elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    } while elapsed < seconds
                }
            }
        }
        return 2 * Double(n) * Double(n) * Double(n) * Double(calls) / elapsed / 1e9
    }
}

extension RooflineProbe {
    /// The roofline: best-of-runs GFLOP/s on OpenBLAS's own `threads`, after one warm-up call.
    func bestGFLOPS(threads: Int) -> Double {
        let runs = max(2, min(6, Int(4e9 / Double(2 * n * n * n))))
        return (0...runs).map { _ in gflops(threads: threads) }.dropFirst().max()!
    }
}

/// CPU time of the whole process (every thread), in seconds.
enum ProcessCPUTime {
    static func seconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

/// The process's peak resident memory (Linux: VmHWM, reset through /proc/self/clear_refs).
enum PeakMemory {
    static func reset() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    static func peakMiB() -> Double {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kib = Double(line.split(separator: " ").dropFirst().first ?? "") {
            return kib / 1024
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}

/// --conv-algorithm values.
enum BenchConvAlgorithm: String, ExpressibleByArgument, CaseIterable {
    case auto, im2col, winograd
    var algorithm: ConvAlgorithm { ConvAlgorithm(rawValue: rawValue)! }
}

