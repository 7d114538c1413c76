import Foundation
import NSTFileIO
import NSTImage
import NSTTensor
import NSTWeights

/// Where nst reads its environment: the modules below the command line read none. What they
/// need arrives as parameters (the terminal's COLUMNS and COLORTERM, XDG_STATE_HOME for the
/// quiz's progress, PATH for pip, NST_NO_LINE_EDITING, NST_QUIZ_SLOW_SAVE_MS) or as a setting
/// made once here, first thing in `main`, for what every command shares (the model folder,
/// the image limits, the user's OpenBLAS kernels, the test hook NST_TEST_FAULT).
/// The engine's own variables (NST_CONV_ALGORITHM, …) are read in EngineEnvironment.swift.
enum ProcessEnvironment {
    static let values = ProcessInfo.processInfo.environment

    /// The settings every command shares; called first thing in `main` (after a restart under
    /// an address-space limit, which `BLASRuntime` may make).
    static func configureProcess() {
        BLASRuntime.userChoseCoreType = values["OPENBLAS_CORETYPE"] != nil
        ModelStore.cacheDirectory = ModelStore.cacheDirectory(environment: values)
        ImageLimits.default = ImageLimits.fromEnvironment(values)
        // The end-to-end tests' way to make a file write fail (see FaultInjection); unset, no fault.
        FaultInjection.install(values["NST_TEST_FAULT"] ?? "")
    }

    /// PATH, where `nst model fetch` looks for pip.
    static var searchPath: String { values["PATH"] ?? PipDownload.defaultSearchPath }

    /// Line editing at the quiz's prompt, unless NST_NO_LINE_EDITING=1.
    static var lineEditing: Bool { values["NST_NO_LINE_EDITING"] != "1" }

    /// A pause in milliseconds after each piece of a progress save: only the end-to-end test
    /// that kills a save half-way sets it (NST_QUIZ_SLOW_SAVE_MS).
    static var progressSavePauseMs: Int { values["NST_QUIZ_SLOW_SAVE_MS"].flatMap { Int($0) } ?? 0 }
}
