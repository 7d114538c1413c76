import Foundation

/// The one error a command reports to its user: a single line on standard error,
///
///     nst: error: <what> (<file>[:line:col]): <why>; <fix>
///
/// and an exit status that tells scripts what kind of failure it was (sysexits.h):
/// - `.runtime` → 1: the input or the run is wrong (a corrupt image, a diverging loss);
/// - `.usage` → 64: the command line is wrong (a bad flag value, an unknown command);
/// - `.io` → 74: reading or writing a file or stream failed (full disk, closed stdout).
///
/// Contract: `line` never contains a control character (paths with a newline, tab or
/// escape are printed escaped, e.g. `a\nb.png`), so one error is always one line. The
/// root command prints it once; commands only throw it. No usage text is ever added.
public struct CLIError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        case runtime, usage, io
        /// 1, 64, 74.
        public var exitStatus: Int32 {
            switch self {
            case .runtime: 1
            case .usage: 64
            case .io: 74
            }
        }
    }

    /// What failed, e.g. "cannot write the output".
    public var what: String
    /// The file concerned, as the user named it (nil when there is none).
    public var file: String?
    /// 1-based place in `file`, when known.
    public var line: Int?
    public var column: Int?
    /// Why it failed, e.g. "No space left on device"; empty only for errors that carry
    /// their whole message in `what` (then the line is `nst: error: <what>`).
    public var why: String
    /// What to do about it; may be empty when nothing useful can be said.
    public var fix: String
    public var kind: Kind

    public init(_ what: String, file: String? = nil, line: Int? = nil, column: Int? = nil,
                why: String, fix: String, kind: Kind = .runtime) {
        self.what = what; self.file = file; self.line = line; self.column = column
        self.why = why; self.fix = fix; self.kind = kind
    }

    public var exitStatus: Int32 { kind.exitStatus }

    /// The full line, without a trailing newline.
    public var description: String {
        var s = "nst: error: " + Self.escaped(what)
        if let file {
            s += " (" + Self.escaped(file)
            if let line { s += ":\(line)" + (column.map { ":\($0)" } ?? "") }
            s += ")"
        }
        if !why.isEmpty { s += ": " + Self.escaped(Self.withoutFinalPeriod(why)) }
        if !fix.isEmpty { s += "; " + Self.escaped(Self.withoutFinalPeriod(fix)) }
        return s
    }

    /// The parts are joined with ": " and "; ", so a sentence's final period is dropped.
    static func withoutFinalPeriod(_ s: String) -> String {
        s.hasSuffix(".") && !s.hasSuffix("..") ? String(s.dropLast()) : s
    }

    /// `text` with every control character (C0, DEL, C1) written as an escape: `\n`, `\r`,
    /// `\t`, `\\` stays `\`, others as `\u{1B}`. Printable Unicode is kept as is.
    public static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0) || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// An I/O failure with the system's reason for `code` (an errno value) and the usual
    /// fix for that reason.
    public static func io(_ what: String, file: String?, errno code: Int32) -> CLIError {
        CLIError(what, file: file, why: String(cString: strerror(code)), fix: fix(forErrno: code), kind: .io)
    }

    /// A Foundation file error (FileManager, Data, …) as one line, without its
    /// "Error Domain=NSCocoaErrorDomain Code=…" text: the path from the user info, the
    /// system's reason from the underlying POSIX error (or the Cocoa code's nearest errno).
    /// `what` replaces the default "cannot read the file" / "cannot write the file".
    public static func foundation(_ error: Error, what: String? = nil) -> CLIError {
        let ns = error as NSError
        let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        var code: Int32 = 0
        if ns.domain == NSPOSIXErrorDomain { code = Int32(ns.code) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain { code = Int32(underlying.code) }
        if code == 0 {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileNoSuchFile, .fileReadNoSuchFile: code = ENOENT
            case .fileWriteNoPermission, .fileReadNoPermission: code = EACCES
            case .fileWriteOutOfSpace: code = ENOSPC
            case .fileWriteVolumeReadOnly: code = EROFS
            case .fileWriteFileExists: code = EEXIST
            default: code = EIO
            }
        }
        let reading = ns.domain == NSCocoaErrorDomain && (256..<300).contains(ns.code)   // NSFileRead… codes
        return io(what ?? (reading ? "cannot read the file" : "cannot write the file"), file: path, errno: code)
    }

    /// The usual remedy for a failed file operation.
    public static func fix(forErrno code: Int32) -> String {
        switch code {
        case ENOSPC, EDQUOT: "free some disk space or write to another disk"
        case EFBIG: "the file size limit (ulimit -f) is too small: raise it or write elsewhere"
        case EACCES, EPERM, EROFS: "choose a folder you can write to"
        case EISDIR: "give a file name, not a folder"
        case ENOENT, ENOTDIR: "check the path (create the folder first)"
        case ELOOP: "the path is a symbolic link; give the real file"
        case EPIPE, EBADF: "the stream was closed by the reader; run again with the output redirected to a file"
        case ENAMETOOLONG: "use a shorter name"
        case EEXIST: "a file is in the way: remove it or choose another path"
        default: "check the disk and the path, then run again"
        }
    }
}
