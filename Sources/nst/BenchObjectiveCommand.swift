import ArgumentParser
import Foundation
import NSTBench
import NSTImage
import NSTStyle
import NSTStyleJobs

/// --objective values.
enum BenchObjective: String, ExpressibleByArgument, CaseIterable {
    case engine, experiment
}

extension BenchCommand {
    /// `nst bench --objective experiment`: `ObjectiveBench` at each size, its table (or JSON).
    func runExperimentObjective() throws {
        let content = try StyleDepthExperiment.defaultContent.read(flag: "--content")
        let style = try StyleDepthExperiment.defaultStyle.read(flag: "--style")
        var reports: [ObjectivePhaseReport] = []
        for size in sizes.compactMap({ $0 }) {
            let report = try ObjectiveBench.run(
                loadModel: { try StyleModel.load(model: model, randomWeights: randomWeights, seed: 0) },
                content: content, style: style, size: size, warmup: warmup, repetitions: repetitions,
                convolution: EngineEnvironment().convolution)
            if !json { print(report.table) }
            reports.append(report)
        }
        if json { try printJSON(reports) }
    }
}
