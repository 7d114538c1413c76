import Foundation
import NSTTensor
import NSTLayers
import NSTImage
import NSTVGG
import NSTStyle
import NSTStyleJobs

/// What `nst bench --objective experiment` measured: the experiment's own 5-layer run (its
/// StyleObjective and L-BFGS, on its images and normalised network), evaluation by evaluation
/// and phase by phase, then bench's iteration on the same network, layers and size, so the two
/// are compared in one run.
public struct ObjectivePhaseReport: Encodable {
    public var size: Int, width: Int, height: Int
    public var warmup: Int, evaluations: Int
    /// Seconds before the first evaluation: loading the model, the network's preparation (the
    /// images resized, the normalisation pass over them) and the run's content and style targets.
    public var model_load_s: Double, prepare_s: Double, targets_s: Double
    /// Per timed evaluation: median, min, max seconds of each phase (`EvaluationPhase` names).
    public var phases: [String: Stats]
    /// Wall seconds per evaluation, and the process's CPU seconds per evaluation (all threads).
    public var evaluation_s: Stats, evaluation_cpu_s: Stats
    /// Bench's iteration (forward, losses' gradients, backward) on the same network and layers.
    public var bench_iteration_s: Stats, bench_iteration_cpu_s: Stats
    /// Median evaluation ÷ median bench iteration.
    public var ratio_to_bench: Double
    /// The process's high-water mark over preparation and the run (the bench iteration after it
    /// allocates no more).
    public var peak_rss_mib: Double
    /// The high-water mark and the resident memory after each stage, in order: the model
    /// loaded, the network prepared, the targets built, the run done.
    public var memory: [MemoryCheckpoint]

    public struct MemoryCheckpoint: Encodable {
        public var stage: String, peak_rss_mib: Double, rss_mib: Double
        static func now(_ stage: String) -> MemoryCheckpoint {
            MemoryCheckpoint(stage: stage, peak_rss_mib: PeakMemory.peakMiB(), rss_mib: PeakMemory.residentMiB())
        }
    }

    /// The per-phase table `nst bench --objective experiment` prints.
    public var table: String {
        var lines: [String] = []
        lines.append(String(format: "experiment objective at %d×%d: %d timed evaluations after %d warm-up (5 style layers, content conv5_2, L-BFGS)",
                            width, height, evaluations, warmup))
        lines.append(String(format: "before the first evaluation: model load %.3f s, network preparation %.3f s, targets %.3f s",
                            model_load_s, prepare_s, targets_s))
        lines.append("  phase            median s   min s     max s     share of the median evaluation")
        for phase in EvaluationPhase.allCases {
            guard let s = phases[phase.rawValue] else { continue }
            lines.append("  " + phase.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)
                         + String(format: "  %.4f     %.4f    %.4f    %5.1f %%", s.median, s.min, s.max, 100 * s.median / evaluation_s.median))
        }
        lines.append(String(format: "  evaluation       %.4f     %.4f    %.4f    CPU %.0f %%", evaluation_s.median, evaluation_s.min,
                            evaluation_s.max, 100 * evaluation_cpu_s.median / evaluation_s.median))
        lines.append(String(format: "bench iteration, same network, layers and size: %.4f s (min %.4f, max %.4f), CPU %.0f %%; evaluation ÷ iteration = %.2f×",
                            bench_iteration_s.median, bench_iteration_s.min, bench_iteration_s.max,
                            100 * bench_iteration_cpu_s.median / bench_iteration_s.median, ratio_to_bench))
        lines.append("memory (peak RSS, RSS) after: " + memory.map { String(format: "%@ %.0f, %.0f MiB", $0.stage as NSString, $0.peak_rss_mib, $0.rss_mib) }
            .joined(separator: "; "))
        return lines.joined(separator: "\n")
    }
}

public enum ObjectiveBench {
    /// Prepares the experiment's network and 5-layer run (its default options at `size`), runs
    /// `warmup + repetitions` evaluations of its objective under L-BFGS on a `TimedNetwork`, then
    /// `warmup + repetitions` bench iterations on the same network and layers.
    /// `loadModel` is timed (once per call).
    public static func run(loadModel: () throws -> StyleModel, content: RGBImage, style: RGBImage, size: Int,
                           warmup: Int, repetitions: Int, convolution: ConvConfiguration = ConvConfiguration()) throws -> ObjectivePhaseReport {
        PeakMemory.reset()
        var options = StyleTransferOptions()
        options.styleWeight = StyleDepthExperiment.defaultStyleWeight
        options.size = size
        options.maxEvaluations = warmup + repetitions
        var memory: [ObjectivePhaseReport.MemoryCheckpoint] = []
        var loadSeconds = 0.0, prepareSeconds = 0.0
        // As `nst experiment` does: the loaded model lives only until the network is built,
        // which keeps the weights it needs, up to the deepest layer the experiment uses.
        let (network, images, layers) = try { () throws -> (StyleNetwork<VGG<Float>>, (content: RGBImage, styles: [RGBImage]), StyleDepthExperiment.Layers) in
            var t0 = Date()
            let model = try loadModel()
            loadSeconds = Date().timeIntervalSince(t0)
            memory.append(.now("model load"))
            let layers = try StyleDepthExperiment.layers(of: model, contentLayer: "conv5_2", activation: .relu)
            t0 = Date()
            let images = StyleImages.prepare(content: content, styles: [style], size: options.size, styleScale: options.styleScale)
            let network = model.truncated(through: layers.all).styleNetwork(options: options, content: images.content, styles: images.styles,
                                                                            convolution: convolution)
            prepareSeconds = Date().timeIntervalSince(t0)
            return (network, images, layers)
        }()
        memory.append(.now("preparation"))
        let experiment = StyleDepthExperiment(network: network, content: images.content, style: images.styles[0], options: options, layers: layers)
        let runOptions = experiment.options(for: .five)
        let t0 = Date()
        let features = network.features(content: images.content, styles: images.styles,
                                        contentLayers: runOptions.contentLayers, styleLayers: runOptions.styleLayers)
        let targetsSeconds = Date().timeIntervalSince(t0)
        memory.append(.now("targets"))

        // The same network, its passes timed from outside; each evaluation's span runs from the
        // end of the previous one (or the start), so the optimiser's share is in it.
        let timed = TimedNetwork(network.features)
        var evaluations: [PhaseTimes] = []
        var cpuAtEnd: [Double] = []
        var wallAtEnd: [Double] = []
        var callbacks = TransferCallbacks()
        var previousEnd = Date().timeIntervalSinceReferenceDate
        callbacks.progress = { _ in
            let now = Date().timeIntervalSinceReferenceDate
            evaluations.append(timed.finishEvaluation(seconds: now - previousEnd))
            previousEnd = now
            cpuAtEnd.append(ProcessCPUTime.seconds()); wallAtEnd.append(now)
        }
        let result = try transfer(network: StyleNetwork(features: timed, preprocessing: network.preprocessing), content: images.content,
                                  styles: images.styles, options: runOptions, features: features, callbacks: callbacks)
        memory.append(.now("run"))
        let peak = PeakMemory.peakMiB()
        guard result.evaluations == warmup + repetitions, evaluations.count == result.evaluations else {
            throw ObjectiveBenchError(description: "the run stopped after \(result.evaluations) of \(warmup + repetitions) evaluations (\(result.stopReason.rawValue)); use fewer --repeat")
        }
        let timedEvaluations = Array(evaluations.dropFirst(warmup))
        var phases: [String: Stats] = [:]
        for phase in EvaluationPhase.allCases { phases[phase.rawValue] = Stats(timedEvaluations.map { $0[phase] }) }
        let spans = (warmup..<result.evaluations).map { k in k == 0 ? timedEvaluations[0].total : wallAtEnd[k] - wallAtEnd[k - 1] }
        let cpus = (warmup..<result.evaluations).map { k in k == 0 ? timedEvaluations[0].total : cpuAtEnd[k] - cpuAtEnd[k - 1] }

        let width = images.content.width, height = images.content.height
        let workload = Workload(net: network.features, width: width, height: height, styleLayers: runOptions.styleLayers,
                                contentLayer: runOptions.contentLayers[0])
        var iterations: [Double] = [], iterationCPU: [Double] = []
        for i in 0..<(warmup + repetitions) {
            let c0 = ProcessCPUTime.seconds()
            let (f, b, _) = workload.iteration()
            if i >= warmup { iterations.append(f + b); iterationCPU.append(ProcessCPUTime.seconds() - c0) }
        }
        let evaluation = Stats(spans), iteration = Stats(iterations)
        return ObjectivePhaseReport(size: size, width: width, height: height, warmup: warmup, evaluations: repetitions,
                                    model_load_s: loadSeconds, prepare_s: prepareSeconds, targets_s: targetsSeconds, phases: phases,
                                    evaluation_s: evaluation, evaluation_cpu_s: Stats(cpus),
                                    bench_iteration_s: iteration, bench_iteration_cpu_s: Stats(iterationCPU),
                                    ratio_to_bench: evaluation.median / iteration.median, peak_rss_mib: peak, memory: memory)
    }
}

/// The objective run ended before its evaluations were done.
public struct ObjectiveBenchError: Error, CustomStringConvertible {
    public var description: String
}
