import Testing
import Foundation

/// Runs the built `nst` binary (a sibling of the test bundle in .build/<config>/).
enum NSTBinary {
    static var url: URL {
        var dir = Bundle.main.bundleURL
        // swift test runs the tests from .build/<triple>/<config>/; the binary sits there too.
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let u = candidate.appendingPathComponent("nst")
            if FileManager.default.isExecutableFile(atPath: u.path) { return u }
        }
        dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return dir.appendingPathComponent("nst")
    }

    struct Output { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ args: [String], stdin: String? = nil, environment: [String: String]? = nil) throws -> Output {
        let p = Process()
        p.executableURL = url
        p.arguments = args
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out; p.standardError = err; p.standardInput = inp
        try p.run()
        if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? inp.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

@Suite struct RootHelpTests {
    @Test func rootHelpNamesTheThreeThingsToDo() throws {
        let r = try NSTBinary.run(["--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("nst quiz"))
        #expect(r.stdout.contains("nst check"))
        #expect(r.stdout.contains("nst experiment style-depth"))
    }
}
