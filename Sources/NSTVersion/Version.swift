/// The version of nst: what `nst --version` prints and what files nst writes (sidecars,
/// metrics) record as the tool that wrote them. Changed only in a release commit, together
/// with CHANGELOG.md's heading for that release.
public enum NSTVersion {
    /// Semantic version: major.minor.patch.
    public static let string = "0.9.0"
}
