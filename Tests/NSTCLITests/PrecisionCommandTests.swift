import Foundation
import Testing

/// `--precision` end to end: recorded where the engine's options are (the sidecar, bench's
/// JSON), bf16 really changing the arithmetic where the CPU has AVX512-BF16 (and a note and
/// fp32 where not), bad values refused by every command that takes it.
@Suite(.serialized) struct PrecisionCommandTests {
    /// Whether /proc/cpuinfo lists AVX512-BF16 (the engine also checks the OS's ZMM support).
    static var cpuHasBF16: Bool {
        ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "").contains(" avx512_bf16")
    }

    func firstLoss(_ f: TransferFixture, _ precision: String, name: String) throws -> (total: Double, recorded: String?, stderr: String) {
        let r = try NSTBinary.run(["transfer", "--content", f.content, "--style", f.style, "--output", f.path("\(name).png"),
                                   "--random-weights", "--size", "32", "--iterations", "2", "--precision", precision])
        #expect(r.status == 0, "\(r.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: f.path("\(name).json")))
        let sidecar = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let curve = sidecar["curve"] as! [[String: Any]]
        return (curve[0]["total"] as! Double, sidecar[path: "options", "precision"] as? String, r.stderr)
    }

    @Test func transferRecordsThePrecisionThatRan() throws {
        let f = try TransferFixture()
        let fp32 = try firstLoss(f, "fp32", name: "fp32"), bf16 = try firstLoss(f, "bf16", name: "bf16")
        let auto = try firstLoss(f, "auto", name: "auto"), mixed = try firstLoss(f, "bf16-backward", name: "mixed")
        #expect(fp32.recorded == "fp32" && auto.recorded == "fp32")
        #expect(auto.total == fp32.total, "auto runs fp32")
        // The first loss comes from a forward pass alone, which bf16-backward runs in fp32.
        #expect(mixed.total == fp32.total, "bf16-backward's forward pass is fp32's")
        if Self.cpuHasBF16 {
            #expect(bf16.recorded == "bf16" && mixed.recorded == "bf16-backward")
            // The same first evaluation, in bf16: close to fp32's, and not equal to it.
            let relative = abs(bf16.total - fp32.total) / fp32.total
            #expect(relative > 0 && relative < 0.05, "bf16 \(bf16.total) against fp32 \(fp32.total)")
        } else {
            print("bf16 transfer checks skipped: /proc/cpuinfo lists no avx512_bf16")
            #expect(bf16.recorded == "fp32" && bf16.stderr.contains("--precision bf16") && bf16.stderr.contains("running fp32"))
            #expect(mixed.recorded == "fp32" && mixed.stderr.contains("--precision bf16-backward") && mixed.stderr.contains("running fp32"))
        }
    }

    @Test func benchRecordsThePrecision() throws {
        let r = try NSTBinary.run(["bench", "--random-weights", "--sizes", "32", "--repeat", "1", "--warmup", "0",
                                   "--roofline-size", "64", "--precision", "bf16", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(json["precision"] as? String == (Self.cpuHasBF16 ? "bf16" : "fp32"))
        #expect(r.stderr.contains("precision: \(Self.cpuHasBF16 ? "bf16" : "fp32") GEMMs"))
    }

    @Test(arguments: [["transfer"], ["experiment", "style-depth"], ["bench"]])
    func badValuesAreRefused(command: [String]) throws {
        let r = try NSTBinary.run(command + ["--precision", "fp16"])
        #expect(r.status == 64, "\(r.status)")
        #expect(r.stderr.contains("--precision") && r.stderr.contains("fp16"), "\(r.stderr)")
    }
}
