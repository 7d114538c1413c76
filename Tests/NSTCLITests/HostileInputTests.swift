import Testing
import Foundation

/// Crafted bad inputs through the real command line: each is refused with one line that names
/// the file (and line/column where there is one), with an exit status that is non-zero and
/// below 128 — never a trap (a signal), never a hang (a 60 s watchdog kills the process and
/// fails the test). Cases already covered elsewhere end to end are not repeated here:
/// 100 000-deep and NUL-byte formulas, `F^1e308` and division by zero (CheckCommandTests),
/// unterminated blocks and unknown kinds (QuizCommandTests), truncated/empty weight files
/// (ModelCommandTests), truncated, corrupt and 100000×100000 PNGs (ShowCommandTests).
@Suite("hostile input end to end")
struct HostileInputTests {
    struct Result { var status: Int32; var signalled: Bool; var stdout: String; var stderr: String }

    /// Runs nst with `stdin` bytes from a file and its output into files (no pipe can fill up),
    /// killing it after `timeout` seconds.
    static func run(_ args: [String], stdin: Data = Data(), environment extra: [String: String] = [:], timeout: Double = 60,
                    executable: URL = NSTBinary.url) throws -> Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nst-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (inURL, outURL, errURL) = (dir.appendingPathComponent("in"), dir.appendingPathComponent("out"), dir.appendingPathComponent("err"))
        try stdin.write(to: inURL)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        // An empty model cache and state directory: nothing from the user's machine.
        env["XDG_CACHE_HOME"] = dir.appendingPathComponent("cache").path
        env["XDG_STATE_HOME"] = dir.appendingPathComponent("state").path
        for (k, v) in extra { env[k] = v }
        p.environment = env
        p.standardInput = try FileHandle(forReadingFrom: inURL)
        p.standardOutput = try FileHandle(forWritingTo: outURL)
        p.standardError = try FileHandle(forWritingTo: errURL)
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        let hung = p.isRunning
        if hung { p.terminate(); kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        #expect(!hung, "nst \(args.joined(separator: " ")) still running after \(timeout) s")
        // Watchdog: no signal is ever sent here, so an exit ≥ 128 or by a signal is a trap.
        #expect(p.terminationReason == .exit && p.terminationStatus < 128,
                "nst \(args.joined(separator: " ")) trapped: status \(p.terminationStatus), reason \(p.terminationReason.rawValue)")
        return Result(status: p.terminationStatus, signalled: p.terminationReason == .uncaughtSignal,
                      stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                      stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// Refused cleanly: exit status 1…127, not a signal, and exactly one line of `stream`
    /// contains every one of `parts` (the file name, the place, the problem).
    static func expectRefused(_ r: Result, onStdout: Bool = false, _ parts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!r.signalled && r.status > 0 && r.status < 128, "status \(r.status), signalled \(r.signalled); stderr: \(r.stderr)", sourceLocation: sourceLocation)
        let text = onStdout ? r.stdout : r.stderr
        let lines = text.split(separator: "\n").filter { line in parts.allSatisfy { line.contains($0) } }
        #expect(lines.count == 1, "no single line with \(parts) in: \(text.prefix(2000))", sourceLocation: sourceLocation)
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func scratch(_ name: String, _ data: Data) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nst-hostile-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    // MARK: formulas (`nst check --answer -` reads the formula from standard input)

    static func check(_ formula: Data) throws -> Result {
        try run(["check", "--target", "content-layer", "--answer", "-"], stdin: formula)
    }

    @Test func oneMegabyteFormulaIsRefusedByLength() throws {
        // Standard input is read only up to the limit, so the message gives the limit, not
        // the whole length.
        let long = String(repeating: "F + ", count: 262_144) + "P"        // 1 MB + 1
        let r = try Self.check(Data(long.utf8))
        Self.expectRefused(r, ["nst: error:", "more than 2000 characters", "the limit is 2000"])
        #expect(r.status == 2)
    }

    @Test func nestingPastTheDepthLimitIsRefused() throws {
        let deep = String(repeating: "(", count: 150) + "F" + String(repeating: ")", count: 150)
        let r = try Self.check(Data(deep.utf8))
        Self.expectRefused(r, onStdout: true, ["column 101", "nests more than 100"])
    }

    @Test func invalidUTF8InAFormulaIsAnUnexpectedCharacter() throws {
        let r = try Self.check(Data([0x46, 0x20, 0x2D, 0x20, 0xFF, 0xFE, 0x20, 0x50, 0x0A]))   // "F - \xFF\xFE P"
        Self.expectRefused(r, onStdout: true, ["column 5", "unexpected character U+FFFD"])
    }

    // MARK: banks (`nst bank lint FILE`)

    static func lint(_ text: String, _ extra: [String] = []) throws -> (Result, String) {
        let path = try scratch("bad.quiz", Data(text.utf8))
        return (try run(["bank", "lint", path] + extra), path)
    }

    @Test func duplicateQuestionNumbersNameBothPlaces() throws {
        let q = "== question 1 ==\nkind: text\nprompt: Why?\nrubric: because\n\n"
        let (r, path) = try Self.lint(q + q)
        Self.expectRefused(r, ["\(path):6:", "question 1", "line 1"])
    }

    @Test func formulaKeyWithAShapeErrorIsRefusedAtItsColumn() throws {
        // F and P are both Nₗ×Mₗ: the matrix product F·P does not exist.
        let (r, path) = try Self.lint("== question 2 ==\nkind: formula\ntarget: content-layer\nprompt: d/dF\nkey: F*P\n")
        Self.expectRefused(r, ["\(path):5:", "error"])
    }

    @Test func bankOverTheSizeLimitIsRefusedWithTheFlagThatRaisesIt() throws {
        let (r, path) = try Self.lint(String(repeating: "# comment\n", count: 200), ["--max-bank-bytes", "1000"])
        Self.expectRefused(r, ["\(path):1:1:", "2000 bytes, over the limit of 1000 bytes"])
        #expect(r.stderr.contains("raise the limit with --max-bank-bytes"))
    }

    // MARK: weight files (`nst model info FILE`)

    /// 8-byte little-endian header length (declared or the real one), JSON header, data.
    static func safetensors(_ header: String, data: Int = 0, declaredLength: UInt64? = nil) -> Data {
        let h = Array(header.utf8)
        var out = Data()
        withUnsafeBytes(of: (declaredLength ?? UInt64(h.count)).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: h)
        out.append(contentsOf: [UInt8](repeating: 0, count: data))
        return out
    }

    static let f32x2 = #"{"dtype":"F32","shape":[2],"data_offsets":"#

    @Test(arguments: [
        ("overlap", #"{"a":\#(f32x2)[0,8]},"b":\#(f32x2)[4,12]}}"#, 12, nil, "overlaps tensor \"a\""),
        ("hole", #"{"a":\#(f32x2)[0,8]},"b":\#(f32x2)[12,20]}}"#, 20, nil, "a hole of 4 bytes"),
        ("header-past-end", "{}", 0, 1000, "runs past the end of the file"),
        ("header-100MB", "{}", 0, 100_000_001, "exceeds the 100 MB limit"),
        ("shape-overflow", #"{"a":{"dtype":"F32","shape":[\#(Int.max / 2),\#(Int.max / 2)],"data_offsets":[0,8]}}"#, 8, nil, "overflows"),
    ] as [(String, String, Int, UInt64?, String)])
    func craftedSafetensorsAreRefused(name: String, header: String, data: Int, declared: UInt64?, problem: String) throws {
        let path = try Self.scratch("\(name).safetensors", Self.safetensors(header, data: data, declaredLength: declared))
        Self.expectRefused(try Self.run(["model", "info", path]), [path, problem])
    }

    // MARK: images (`nst show FILE`; fixtures from NSTImageTests)

    static func image(_ name: String) -> String {
        root.appendingPathComponent("Tests/NSTImageTests/Fixtures/\(name)").path
    }

    @Test(arguments: [
        ("zero.png", "its header declares 0×"), ("zero.jpg", "Empty JPEG image"), ("truncated.png", "truncated PNG"),
        ("huge.jpg", "image too large: 65500×65500"),
    ])
    func badImagesAreRefused(name: String, problem: String) throws {
        let path = Self.image(name)
        Self.expectRefused(try Self.run(["show", path]), [path, problem])
    }

    /// 100000×100000 declared: refused from the header, before anything is allocated. Under
    /// a 4 GB address-space limit (the pixels would take 120 GB) it still answers with the
    /// one-line error rather than dying of a failed allocation.
    @Test func hugeDeclaredImageIsRefusedBeforeAllocating() throws {
        let path = Self.image("huge.png")
        let r = try Self.run(["-c", "ulimit -v 4000000 && exec \"$0\" show \"$1\"", NSTBinary.url.path, path],
                             executable: URL(fileURLWithPath: "/bin/sh"))
        Self.expectRefused(r, [path, "image too large: 100000×100000"])
    }

    // MARK: non-regular files and huge inputs (#13, #14)

    /// A FIFO with no writer: opening it for reading would block forever.
    @Test(arguments: [["show"], ["transfer", "--style", "STYLE", "--random-weights", "--content"]])
    func aFIFOAsAnImageIsRefusedAtOnce(prefix: [String]) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nst-fifo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let fifo = dir.appendingPathComponent("pipe.png").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let style = Self.image("rgb.png")
        let r = try Self.run(prefix.map { $0 == "STYLE" ? style : $0 } + [fifo], timeout: 20)
        Self.expectRefused(r, [fifo, "FIFO", "not a regular file"])
        #expect(r.stderr.hasPrefix("nst: error: "))
    }

    @Test func aCharacterDeviceAsAnImageIsRefused() throws {
        Self.expectRefused(try Self.run(["show", "/dev/zero"], timeout: 20), ["/dev/zero", "character device"])
    }

    /// 3 GB of zeros (sparse) with the file-size limit raised past it, under a 2 GB
    /// address-space limit: the first 16 bytes already say it is no image, so nothing more
    /// is read. Reading it whole first (as before) cannot fit in 2 GB.
    @Test func aHugeFileThatIsNoImageIsRefusedFromItsFirstBytes() throws {
        let path = try Self.scratch("zeros.png", Data())
        #expect(truncate(path, 3_000_000_000) == 0)
        defer { unlink(path) }
        let r = try Self.run(["-c", "ulimit -v 2000000 && exec \"$0\" show \"$1\"", NSTBinary.url.path, path],
                             environment: ["NST_MAX_IMAGE_BYTES": "4000000000"], timeout: 30,
                             executable: URL(fileURLWithPath: "/bin/sh"))
        Self.expectRefused(r, [path, "not a PNG or JPEG image", "zero bytes"])
    }

    // MARK: weight values and offsets (#18)

    /// A VGG16-shaped safetensors file with one channel per conv layer, every value 0.1 but
    /// the last bias, which is `last`.
    static func tinyVGG16(last: Float) -> Data {
        let indices = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
        var entries: [String] = [], values: [Float] = []
        for (i, n) in indices.enumerated() {
            let inputs = i == 0 ? 3 : 1
            entries.append(#""features.\#(n).weight":{"dtype":"F32","shape":[1,\#(inputs),3,3],"data_offsets":[\#(values.count * 4),\#((values.count + inputs * 9) * 4)]}"#)
            values += [Float](repeating: 0.1, count: inputs * 9)
            entries.append(#""features.\#(n).bias":{"dtype":"F32","shape":[1],"data_offsets":[\#(values.count * 4),\#((values.count + 1) * 4)]}"#)
            values.append(i == indices.count - 1 ? last : 0.1)
        }
        var data = safetensors("{" + entries.joined(separator: ",") + "}")
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    @Test func nanWeightsAreRefusedWhereTheModelIsRead() throws {
        let good = try Self.scratch("good.safetensors", Self.tinyVGG16(last: 0.1))
        #expect(try Self.run(["model", "info", good]).status == 0)
        let path = try Self.scratch("nan.safetensors", Self.tinyVGG16(last: .nan))
        let problem = "\"features.28.bias\" (conv5_3): element 0 is nan"
        Self.expectRefused(try Self.run(["model", "info", path]), [path, problem])
        Self.expectRefused(try Self.run(["model", "import", path]), [path, problem])
        // transfer names the file, not --learning-rate.
        let transfer = try Self.run(["transfer", "--content", Self.image("rgb.png"), "--style", Self.image("rgb.png"),
                                     "--model", path, "--size", "32", "-o", path + ".png"])
        Self.expectRefused(transfer, [path, "features.28.bias", "element 0 is nan"])
        #expect(!transfer.stderr.contains("--learning-rate"))
    }

    /// A 1 GB (sparse) file with a valid header holding one conv layer, under a 1.7 GB
    /// address-space limit: read in ranges, it costs its Float values once and is refused
    /// for its layout in one line; mapped whole and then copied (as before), it needed twice
    /// that and died of a failed allocation.
    @Test func aHugeWeightFileIsReadInRangesNotWhole() throws {
        let out = 9_259_259, bytes = out * 27 * 4   // features.0.weight [out, 3, 3, 3] F32 ≈ 1 GB
        let header = #"{"features.0.weight":{"dtype":"F32","shape":[\#(out),3,3,3],"data_offsets":[0,\#(bytes)]}}"#
        let path = try Self.scratch("big.safetensors", Self.safetensors(header))
        defer { unlink(path) }
        #expect(truncate(path, off_t(8 + header.utf8.count + bytes)) == 0)
        let r = try Self.run(["-c", "ulimit -v 1700000 && exec \"$0\" model info \"$1\"", NSTBinary.url.path, path],
                             timeout: 120, executable: URL(fileURLWithPath: "/bin/sh"))
        Self.expectRefused(r, [path, "found 1 conv layers"])
    }

    @Test func anOffsetOf2To64Minus1IsAnOffsetError() throws {
        let header = #"{"a":\#(Self.f32x2)[0,18446744073709551615]}}"#
        let path = try Self.scratch("offset.safetensors", Self.safetensors(header, data: 8))
        let r = try Self.run(["model", "info", path])
        Self.expectRefused(r, [path, "data_offsets", "past the end of the data section"])
        #expect(!r.stderr.contains("JSON"))
    }
}
