import NSTBench
import NSTTensor
import Testing

@Suite("NSTBench's arithmetic")
struct BenchArithmeticTests {
    @Test func statsTakeTheMiddleOfOddAndEvenSamples() {
        let odd = Stats([3, 1, 2])
        #expect(odd.median == 2 && odd.min == 1 && odd.max == 3)
        let even = Stats([4, 1, 3, 2])
        #expect(even.median == 2.5 && even.min == 1 && even.max == 4)
    }

    @Test func scalingExponentRecoversAPowerLaw() throws {
        let pixels: [Double] = [128 * 96, 256 * 192, 512 * 384]
        let linear = try #require(Bench.scalingExponent(pixels: pixels, seconds: pixels.map { 2e-6 * $0 }))
        #expect(abs(linear - 1) < 1e-12)
        let quadratic = try #require(Bench.scalingExponent(pixels: pixels, seconds: pixels.map { 1e-9 * $0 * $0 }))
        #expect(abs(quadratic - 2) < 1e-12)
        #expect(Bench.scalingExponent(pixels: [1000], seconds: [1]) == nil)
        #expect(Bench.scalingExponent(pixels: [1000, 1000], seconds: [1, 2]) == nil, "one size twice fits no slope")
    }

    @Test func relativeDifferenceIsTheL2RatioToTheReference() {
        let reference = Tensor<Float>(shape: [2, 2], storage: [3, 0, 0, 4])   // norm 5
        let moved = Tensor<Float>(shape: [2, 2], storage: [3, 0, 0, 1])      // differs by 3
        #expect(abs(relativeDifference(moved, reference) - 0.6) < 1e-12)
        #expect(relativeDifference(reference, reference) == 0)
    }
}
