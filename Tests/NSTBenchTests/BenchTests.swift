import Foundation
import NSTBench
import NSTTensor
import NSTVGG
import NSTImage
import NSTRandom
import NSTStyle
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

/// The experiment objective's timing wraps the network from outside: it changes nothing
/// the run computes, and each evaluation's phases add up to its span.
@Suite("TimedNetwork")
struct TimedNetworkTests {
    static func network() -> VGG<Float> {
        VGG(architecture: .vgg16, weights: VGGWeights<Float>.random(architecture: .vgg16, channels: [4, 4, 5, 5, 6], seed: 3), pooling: .max)
    }
    static func image(seed: UInt64) -> RGBImage {
        var rng = SplitMix64(seed: seed)
        return RGBImage(width: 16, height: 12, pixels: (0..<(3 * 16 * 12)).map { _ in Float(rng.nextUnit()) })
    }

    @Test func timingARunChangesNothingAndCoversEveryEvaluation() throws {
        var o = StyleTransferOptions()
        o.contentLayers = ["relu2_2"]
        o.styleLayers = ["relu1_1", "relu2_1", "relu3_1"]
        o.styleWeight = 100
        o.maxEvaluations = 6
        let content = Self.image(seed: 1), styles = [Self.image(seed: 2)]
        let plain = try transfer(network: StyleNetwork(features: Self.network(), preprocessing: .torchvision), content: content, styles: styles, options: o)
        let timed = TimedNetwork(Self.network())
        var evaluations: [PhaseTimes] = []
        var callbacks = TransferCallbacks()
        var last = Date()
        callbacks.progress = { _ in
            evaluations.append(timed.finishEvaluation(seconds: Date().timeIntervalSince(last)))
            last = Date()
        }
        let result = try transfer(network: StyleNetwork(features: timed, preprocessing: .torchvision), content: content, styles: styles,
                                  options: o, callbacks: callbacks)
        #expect(result.curve == plain.curve && result.image == plain.image)
        #expect(evaluations.count == result.evaluations)
        for e in evaluations {
            #expect(e[.vggForward] > 0 && e[.vggBackward] > 0 && e[.outsideNetwork] >= 0)
        }
    }

    /// The rest of a span is what the network did not take; a span shorter than the network's
    /// share (clock granularity) leaves no negative rest.
    @Test func theRestIsTheSpanLessTheNetwork() {
        let timed = TimedNetwork(Self.network())
        let x = Tensor<Float>(shape: [3, 12, 16], repeating: 0.5)
        _ = timed.forward(x, keep: ["relu1_1"])
        let forward = timed.current[.vggForward]
        #expect(forward > 0 && timed.current[.vggBackward] == 0)
        let times = timed.finishEvaluation(seconds: forward + 2)
        #expect(abs(times[.outsideNetwork] - 2) < 1e-12 && times[.vggForward] == forward)
        #expect(timed.current == PhaseTimes())
        #expect(timed.finishEvaluation(seconds: 0)[.outsideNetwork] == 0)
    }
}
