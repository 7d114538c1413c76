import Foundation

/// The one JSON configuration of everything nst writes (reports, progress, answers files,
/// sidecars, `--json`): keys sorted, so the same value always gives the same bytes and files
/// diff cleanly; slashes unescaped, so paths read as typed; and the non-finite numbers JSON
/// lacks written as the strings "inf", "-inf" and "nan" rather than failing the whole value.
/// What differs between uses is only the layout and, for the sidecars, snake_case keys.
public enum JSONFormat {
    public enum Layout: Sendable {
        /// Indented, one key a line: files people read.
        case pretty
        /// One line: a report a program reads line by line.
        case oneLine
    }

    public static func encoder(_ layout: Layout = .pretty, snakeCaseKeys: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = layout == .pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                                                     : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        if snakeCaseKeys { encoder.keyEncodingStrategy = .convertToSnakeCase }
        return encoder
    }

    /// `value` as JSON text.
    public static func string<T: Encodable>(_ value: T, _ layout: Layout = .pretty) throws -> String {
        String(decoding: try encoder(layout).encode(value), as: UTF8.self)
    }
}
