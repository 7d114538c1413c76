import Foundation

extension StandardStreams {
    /// Standard input as text without its final newline, or nil when it holds more than
    /// `maxScalars` Unicode scalars (reading stops there: at most 4 bytes a scalar more).
    /// Invalid UTF-8 becomes U+FFFD.
    public static func readInput(maxScalars: Int) -> String? {
        let cap = 4 * (maxScalars + 1) + 2   // room for a final CR LF
        var data = Data()
        while data.count < cap {
            let chunk = FileHandle.standardInput.readData(ofLength: cap - data.count)
            if chunk.isEmpty { break }
            data.append(chunk)
        }
        var s = String(decoding: data, as: UTF8.self)
        while s.hasSuffix("\n") || s.hasSuffix("\r") { s.removeLast() }
        if s.unicodeScalars.count > maxScalars { return nil }
        if data.count >= cap, !FileHandle.standardInput.readData(ofLength: 1).isEmpty { return nil }
        return s
    }
}
