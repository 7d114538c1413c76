import Foundation

/// Draws by key, made once (thread-safe: a checker is Sendable and may be shared).
final class DrawCache: @unchecked Sendable {
    private var draws: [String: Draw] = [:]
    private let lock = NSLock()

    func draw(_ key: String, make: () throws -> Draw) rethrows -> Draw {
        lock.lock()
        if let d = draws[key] { lock.unlock(); return d }
        lock.unlock()
        let d = try make()
        lock.lock()
        draws[key] = d
        lock.unlock()
        return d
    }
}
