import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT / SIGTERM during a long run: the handler only records the signal number (an
/// async-signal-safe store) and restores the default action, so a second Ctrl-C kills the
/// process at once. The run checks the flag between evaluations, writes the current image
/// and its sidecar, then exits with 128 + signal (130 for SIGINT, 143 for SIGTERM), the
/// shell convention for "terminated by a signal".
public enum StopSignal {
    nonisolated(unsafe) public static var received: Int32 = 0

    /// How long a run may take, after the signal, to save what it has and exit. A run stuck
    /// inside a library call never reaches the check between evaluations; when this much time
    /// has passed, the process says so and exits with 128 + signal anyway.
    public static let graceSeconds: UInt32 = 20

    public static func install() {
        received = 0
        unblock()
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { s in
                StopSignal.received = s
                signal(s, SIG_DFL)
            }
        }
        startWatchdog()
    }

    private static let watchdog: Void = {
        Thread.detachNewThread {
            while StopSignal.received == 0 { usleep(100_000) }
            sleep(graceSeconds)
            let message = "nst: stopped without saving: the run did not reach a point where it could stop within \(graceSeconds) s of the signal\n"
            _ = message.withCString { write(2, $0, strlen($0)) }
            _exit(128 + StopSignal.received)
        }
    }()

    private static func startWatchdog() { _ = watchdog }

    /// A parent may have started us with SIGINT/SIGTERM blocked (the mask is inherited across
    /// exec, and by our own children): unblock them, or no handler would ever run.
    public static func unblock() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    public static var requested: Bool { received != 0 }

    /// 130 for SIGINT, 143 for SIGTERM.
    public static var exitStatus: Int32 { 128 + received }
}
