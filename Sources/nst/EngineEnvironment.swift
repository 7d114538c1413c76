import Foundation
import NSTLayers
import NSTStyleJobs

/// The engine's settings that come from the environment, read here and nowhere below the
/// command line: the engine takes them as values (`ConvConfiguration`, available memory).
///
/// - `NST_CONV_ALGORITHM` (auto | im2col | winograd), `NST_WINOGRAD_TILE` (2 | 4 | 6) and
///   `NST_PRECISION` (fp32 | bf16 | bf16-backward | auto): how every network's convolutions
///   compute (docs/speed.md, docs/precision.md); a value they do not name means the default.
///   Where a command has `--precision`, the flag sets the precision.
/// - `NST_TEST_MEMINFO=FILE`: FILE is read instead of /proc/meminfo (tests of the memory check).
/// - `NST_TEST_HOLD_BEFORE_RUN=1`: a run waits before its first evaluation (tests of signals).
struct EngineEnvironment {
    var convolution: ConvConfiguration
    var meminfoFile: String?
    var holdBeforeRun: Bool

    init(_ environment: [String: String] = ProcessEnvironment.values) {
        convolution = ConvConfiguration(algorithm: ConvAlgorithm(setting: environment["NST_CONV_ALGORITHM"]),
                                        precision: Precision(setting: environment["NST_PRECISION"]),
                                        winogradTile: ConvConfiguration.winogradTile(setting: environment["NST_WINOGRAD_TILE"]))
        meminfoFile = environment["NST_TEST_MEMINFO"]
        holdBeforeRun = environment["NST_TEST_HOLD_BEFORE_RUN"] == "1"
    }

    /// The bytes this process may still use (`AvailableMemory.bytes`), nil when unknown.
    var availableMemory: Double? { AvailableMemory.bytes(meminfoFile: meminfoFile) }
}
