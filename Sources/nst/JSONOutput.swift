import Foundation
import NSTFileIO

/// `--json` output: one value, pretty-printed with sorted keys, on standard output.
func printJSON<T: Encodable>(_ value: T) throws {
    print(try JSONFormat.string(value))
}
