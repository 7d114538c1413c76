import Foundation
import Testing
import NSTStyle
import NSTStyleJobs
import NSTStyleFlags

/// The flags map one-to-one onto StyleTransferOptions, and bad values are refused with the
/// flag's name, before anything runs (parsed in process: no subprocess needed).
@Suite struct StyleFlagsTests {
    func transferOptions(_ arguments: [String]) throws -> StyleTransferOptions {
        try StyleTransferOptions(images: .parse(arguments.isEmpty ? ["--content", "c.png", "--style", "s.png"] : arguments),
                                 layers: .parse([]), loss: .parse([]), optimiser: .parse([]), engine: .parse([]))
    }

    @Test func theDefaultsAreStyleTransferOptionsDefaults() throws {
        let o = try transferOptions([])
        var expected = StyleTransferOptions()
        expected.precision = o.precision
        // The defaults are the network's names (relu4_2: the rectified output).
        #expect(o == expected)
        #expect(o.contentLayers == ["relu4_2"] && o.styleLayers.first == "relu1_1")
        // --precision auto is recorded as the precision that runs: fp32 today.
        #expect(o.precision.rawValue == "fp32")
    }

    @Test func eachGroupSetsItsOwnFields() throws {
        let o = try StyleTransferOptions(
            images: .parse(["--content", "c.png", "--style", "a.png", "--style", "b.png", "--size", "256", "--iterations", "12",
                            "--style-blend-weights", "3,1"]),
            layers: .parse(["--content-layers", "relu5_2", "--style-layers", "relu1_1, relu2_1", "--style-layer-weights", "1,0.5"]),
            loss: .parse(["--content-weight", "2", "--style-weight", "1e6", "--tv-weight", "0.1"]),
            optimiser: .parse(["--init", "noise", "--optimizer", "adam", "--seed", "7", "--learning-rate", "3"]),
            engine: .parse(["--pooling", "avg", "--style-scale", "0.5", "--no-normalize-vgg", "--original-colors"]))
        #expect(o.size == 256 && o.maxEvaluations == 12 && o.styleBlendWeights == [3, 1])
        #expect(o.contentLayers == ["relu5_2"] && o.styleLayers == ["relu1_1", "relu2_1"] && o.styleLayerWeights == [1, 0.5])
        #expect(o.contentWeight == 2 && o.styleWeight == 1e6 && o.tvWeight == 0.1)
        #expect(o.initMode == .noise && o.optimizer == .adam && o.seed == 7 && o.learningRate == 3)
        #expect(o.pooling == .avg && o.styleScale == 0.5 && !o.normalizeVGG && o.originalColors)
    }

    @Test func theExperimentHasItsOwnStyleWeightSizeAndBudget() throws {
        let o = StyleTransferOptions(experiment: try .parse([]), loss: try .parse([]), optimiser: try .parse([]), engine: try .parse([]))
        #expect(o.styleWeight == StyleDepthExperiment.defaultStyleWeight && o.size == 384 && o.maxEvaluations == 250)
        let grid = try StyleDepthOptions.parse(["--grid"])
        #expect(grid.runSize == 128 && grid.runIterations == 100 && grid.outputFolder(dataFolder: URL(fileURLWithPath: "/data/nst")).path == "/data/nst/style-grid")
        let given = StyleTransferOptions(experiment: try .parse(["--size", "200"]), loss: try .parse(["--style-weight", "5"]),
                                         optimiser: try .parse([]), engine: try .parse([]))
        #expect(given.size == 200 && given.styleWeight == 5)
        #expect(try StyleDepthOptions.parse(["--output-dir", "x"]).outputFolder(dataFolder: URL(fileURLWithPath: "/data/nst")).lastPathComponent == "x")
        #expect(try StyleDepthOptions.parse([]).outputFolder(dataFolder: URL(fileURLWithPath: "/data/nst")).path == "/data/nst/style-depth")
        // Without --content / --style, the images built into nst; with them, the files.
        let defaults = try StyleDepthOptions.parse([])
        #expect(defaults.contentInput == .builtIn(.seaTurtle) && defaults.styleInput == .builtIn(.greatWave))
        #expect(try StyleDepthOptions.parse(["--content", "a.png"]).contentInput == .file("a.png"))
    }

    /// Each bad value is refused naming its flag (malformed input never reaches a run).
    @Test(arguments: [
        (["--content", "c.png", "--style", "s.png", "--size", "8"], "--size"),
        (["--content", "c.png", "--style", "s.png", "--iterations", "0"], "--iterations"),
        (["--content", "c.png", "--style", "s.png", "-o", "out.jpg"], "--output"),
        (["--content", "c.png", "--style", "a.png", "--style-blend-weights", "1,2"], "--style-blend-weights"),
        (["--content", "c.png", "--style", "a.png", "--style-blend-weights", "0"], "--style-blend-weights"),
        (["--content", "c.png", "--style", "a.png", "--style-blend-weights", "x"], "--style-blend-weights"),
    ])
    func badImageOptionsAreRefusedNamingTheFlag(_ arguments: [String], _ flag: String) {
        #expect { _ = try TransferImageOptions.parse(arguments) } throws: { TransferImageOptions.message(for: $0).contains(flag) }
    }

    @Test(arguments: [
        (["--content-weight", "-1"], "--content-weight"),
        (["--style-weight", "nan"], "--style-weight"),
        (["--tv-weight", "inf"], "--tv-weight"),
    ])
    func badWeightsAreRefusedNamingTheFlag(_ arguments: [String], _ flag: String) {
        #expect { _ = try LossWeightOptions.parse(arguments) } throws: { LossWeightOptions.message(for: $0).contains(flag) }
    }

    @Test func badLayersAndEngineValuesAreRefused() {
        #expect { _ = try LayerOptions.parse(["--style-layers", " , "]) } throws: { LayerOptions.message(for: $0).contains("--style-layers") }
        #expect { _ = try LayerOptions.parse(["--style-layers", "a,b", "--style-layer-weights", "1"]) } throws: {
            LayerOptions.message(for: $0).contains("1 values for 2 style layers")
        }
        #expect { _ = try EngineOptions.parse(["--style-scale", "9"]) } throws: { EngineOptions.message(for: $0).contains("--style-scale") }
        #expect { _ = try OptimiserOptions.parse(["--lbfgs-history", "0"]) } throws: { OptimiserOptions.message(for: $0).contains("--lbfgs-history") }
        #expect { _ = try StyleDepthOptions.parse(["--content-layers", "conv4_2,conv5_2"]) } throws: {
            StyleDepthOptions.message(for: $0).contains("one content layer")
        }
        #expect { _ = try StyleDepthOptions.parse(["--output", "a", "--output-dir", "b"]) } throws: {
            StyleDepthOptions.message(for: $0).contains("former name")
        }
    }

    @Test func weightsPrintAsPowersOfTenInHelp() {
        #expect(powerOfTen(1e7) == "1e7" && powerOfTen(1) == "1e0" && powerOfTen(0.5) == "0.5")
        #expect(commaList(" a, b,,c ") == ["a", "b", "c"])
    }
}
