import Foundation

/// nst's per-user data folder: `$XDG_DATA_HOME/nst`, or `~/.local/share/nst` when
/// XDG_DATA_HOME is unset, empty or relative (as the XDG Base Directory spec says). What a
/// command writes there by default (the experiment's images, which question 12 shows) is
/// found again from any working folder.
///
/// The environment is a parameter: the command line reads it once and passes it down.
public enum UserDataFolder {
    public static func url(environment: [String: String]) -> URL {
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("nst", isDirectory: true)
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".local/share/nst", isDirectory: true)
    }
}
