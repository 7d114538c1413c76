import Testing
import Foundation
@testable import NSTStyleJobs

@Suite struct MemoryEstimateTests {
    /// The model passes through the two measured peaks it was fitted to.
    @Test func reproducesTheMeasuredPeaks() {
        #expect(abs(MemoryEstimate.peakBytes(width: 1024, height: 768) - 1.66e9) < 0.01e9)
        #expect(abs(MemoryEstimate.peakBytes(width: 2048, height: 1536) - 4.87e9) < 0.01e9)
        // The extrapolation: "near 18 GB" at 4096.
        #expect(abs(MemoryEstimate.peakBytes(width: 4096, height: 3072) - 17.7e9) < 0.1e9)
    }

    @Test func largestSideFitsAndOneStepMoreDoesNot() throws {
        let available = 3e9, aspect = 0.75
        let side = try #require(MemoryEstimate.largestSide(fitting: available, aspect: aspect))
        #expect(side % 16 == 0)
        #expect(MemoryEstimate.peakBytes(width: side, height: Int(Double(side) * aspect)) <= available)
        #expect(MemoryEstimate.peakBytes(width: side + 16, height: Int(Double(side + 16) * aspect)) > available * 0.99)
        #expect(MemoryEstimate.largestSide(fitting: 0.5e9, aspect: aspect) == nil)   // below the base
    }

    @Test func readsMemAvailableFromAFakeMeminfo() throws {
        #expect(AvailableMemory.memAvailable(in: "MemTotal: 100 kB\nMemAvailable:      2048 kB\n") == Double(2048 * 1024))
        #expect(AvailableMemory.memAvailable(in: "MemTotal: 100 kB\n") == nil)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("meminfo-\(UUID().uuidString)").path
        try "MemAvailable: 1000 kB\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { unlink(file) }
        #expect(AvailableMemory.bytes(meminfoFile: file) == Double(1_024_000))
        #expect(AvailableMemory.bytes(meminfoFile: file + "-missing") == nil)
    }
}
