import Foundation

/// The bank shipped with nst (Quizzes/neural-style-transfer.quiz), embedded in the binary
/// at build time, so an installed or copied `nst quiz` works from any folder.
public enum ShippedBank {
    /// The name used in messages and reports for the embedded copy.
    public static let displayName = "neural-style-transfer.quiz (built in)"
    public static var data: Data { Data(PackageResources.neural_style_transfer_quiz) }
}
