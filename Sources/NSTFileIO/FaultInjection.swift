import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fault injection for `OutputTransaction`, for tests: a plan installed by the program (nst's
/// main installs the value of NST_TEST_FAULT; the unit tests install their own) and empty
/// otherwise, when every check below is false. A plan is a comma-separated list of
/// `operation:N`, each making the N-th such operation of the process (1-based) fail or stop:
/// - `write:N`   — the N-th file write fails with ENOSPC (as on a full disk);
/// - `fsync:N`   — the N-th fsync fails with EIO;
/// - `rename:N`  — the N-th rename into place fails with EIO;
/// - `kill-after-rename:N` — the process SIGKILLs itself right after the N-th rename
///   (a crash between the renames of a set).
/// This is how the tests reach the failure paths a real disk reaches only by bad luck.
public enum FaultInjection {
    enum Operation: String { case write, fsync, rename, killAfterRename = "kill-after-rename" }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var counts: [Operation: Int] = [:]
    nonisolated(unsafe) private static var plan: [Operation: Int] = [:]

    /// Replaces the plan and restarts the counts ("" removes every fault). Malformed items
    /// are ignored.
    public static func install(_ spec: String) {
        lock.lock(); defer { lock.unlock() }
        plan = parse(spec)
        counts = [:]
    }

    static func parse(_ spec: String) -> [Operation: Int] {
        var plan: [Operation: Int] = [:]
        for item in spec.split(separator: ",") {
            let parts = item.split(separator: ":")
            if parts.count == 2, let op = Operation(rawValue: String(parts[0])), let n = Int(parts[1]), n > 0 { plan[op] = n }
        }
        return plan
    }

    /// Counts one `op` and says whether it is the one to fail.
    static func hits(_ op: Operation) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard let n = plan[op] else { return false }
        counts[op, default: 0] += 1
        return counts[op] == n
    }
}
