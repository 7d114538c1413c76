import Foundation
import Testing
@testable import NSTWeights

/// Randomly damaged copies of valid files (flipped bytes, overwritten runs, cuts) through every
/// reader: each must either parse or fail with a WeightFileError — a trap would kill the test
/// process. A cheap, deterministic stand-in for the fuzzers of issue 7 that runs in CI.
@Suite struct MutationTests {
    /// xorshift64*, seeded: the same mutations every run.
    struct RNG {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    }

    func mutants(of data: Data, count: Int, seed: UInt64) -> [Data] {
        var rng = RNG(state: seed)
        var result: [Data] = []
        for _ in 0 ..< count {
            var d = data
            switch rng.below(4) {
            case 0:                                        // flip a few bytes
                for _ in 0 ... rng.below(4) { d[rng.below(d.count)] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            case 1:                                        // overwrite a run with 0xFF or 0x00
                let start = rng.below(d.count), length = min(d.count - start, 1 + rng.below(16))
                let byte: UInt8 = rng.below(2) == 0 ? 0xFF : 0
                d.replaceSubrange(start ..< start + length, with: repeatElement(byte, count: length))
            case 2:                                        // cut
                d = d.prefix(rng.below(d.count))
            default:                                       // insert random bytes
                let at = rng.below(d.count)
                d.insert(contentsOf: (0 ..< 1 + rng.below(8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            }
            result.append(d)
        }
        return result
    }

    func survives(_ mutants: [Data], _ parse: (Data) throws -> Void) -> (parsed: Int, refused: Int) {
        var parsed = 0, refused = 0
        for m in mutants {
            do { try parse(m); parsed += 1 } catch is WeightFileError { refused += 1 } catch {
                Issue.record("unexpected error type: \(error)")
            }
        }
        return (parsed, refused)
    }

    @Test func safetensors() throws {
        let data = try Data(contentsOf: fixture("tiny_vgg16.safetensors"))
        let r = survives(mutants(of: data, count: 1500, seed: 1)) { _ = try SafeTensorsFile.parse($0, file: "m") }
        #expect(r.refused > 0 && r.parsed + r.refused == 1500)
    }

    @Test func onnx() throws {
        let data = try Data(contentsOf: fixture("tiny_vgg16.onnx"))
        let r = survives(mutants(of: data, count: 1500, seed: 2)) { _ = try ONNXModel.parse($0, file: "m") }
        #expect(r.refused > 0 && r.parsed + r.refused == 1500)
    }

    @Test func zip() throws {
        let data = try Data(contentsOf: fixture("tiny_fetch.whl"))
        let r = survives(mutants(of: data, count: 1500, seed: 3)) {
            _ = try ZipArchive(data: $0, file: "m").extract(DefaultModel.onnxMember)
        }
        #expect(r.refused > 0 && r.parsed + r.refused == 1500)
    }
}
