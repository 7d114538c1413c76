import Foundation
import NSTImage
import NSTStyle
import NSTVGG

/// Coarse to fine (`--scales N`): one run optimised at a sequence of sizes that grow by √2
/// per scale up to the run's size, each scale starting from the previous scale's result.
///
/// - Sizes (longest side): s_k = round(size / √2^(N−1−k)) for k = 0…N−1, so the last scale
///   is `size` and the first size / √2^(N−1). N = 1 is the single run at `size`.
/// - Evaluations: `perScale` when given (one count per scale), else `total` split equally,
///   the remainder going to the smallest scales. The budget of the run is their sum.
/// - At scale k the content is the image read resized to s_k, and each style image is
///   resized to round(styleScale · s_k), the rule `StyleImages.prepare` applies at full size:
///   the style image at its full-size side × s_k / size, so a brush stroke covers the same
///   fraction of the picture at every scale. The targets P_l and A_l are recomputed from
///   these images at each scale (one forward pass per image and scale) with the one network
///   built for the full size (its `--normalize-vgg` factors included), so every scale
///   minimises the same objective, sampled at its size.
/// - Scale k + 1 starts from scale k's image upsampled with Lanczos-3 (`RGBImage.resized`).
public struct ScaleSchedule: Codable, Sendable, Equatable {
    public struct Scale: Codable, Sendable, Equatable {
        /// Longest side, in pixels.
        public var size: Int
        public var evaluations: Int
        public init(size: Int, evaluations: Int) { self.size = size; self.evaluations = evaluations }
    }
    public var scales: [Scale]

    /// The schedule of `count` scales up to `size` (see the type's rule). `perScale`, when
    /// given, has `count` entries; `total` ≥ `count` otherwise.
    public init(size: Int, count: Int, total: Int, perScale: [Int]? = nil) {
        precondition(count >= 1 && (perScale?.count ?? count) == count)
        let sizes = Self.sizes(size: size, count: count)
        let evaluations = perScale ?? (0..<count).map { total / count + ($0 < total % count ? 1 : 0) }
        scales = zip(sizes, evaluations).map { Scale(size: $0, evaluations: $1) }
    }

    /// One scale: `size` with `evaluations` (today's single run).
    public static func single(size: Int, evaluations: Int) -> ScaleSchedule {
        ScaleSchedule(size: size, count: 1, total: evaluations)
    }

    /// s_k = round(size / √2^(N−1−k)), k = 0…N−1.
    public static func sizes(size: Int, count: Int) -> [Int] {
        (0..<count).map { k in Int((Double(size) / pow(2.0.squareRoot(), Double(count - 1 - k))).rounded()) }
    }

    public var totalEvaluations: Int { scales.reduce(0) { $0 + $1.evaluations } }
    public var isSingle: Bool { scales.count == 1 }

    /// "" for one scale; else " · scale 2/3, 272×204" for scale `index` of images `width`×`height`.
    public func label(_ index: Int, width: Int, height: Int) -> String {
        isSingle ? "" : " · scale \(index + 1)/\(scales.count), \(width)×\(height)"
    }

    /// "3 scales: 192 px × 100, 272 px × 100, 384 px × 50 = 250 evaluations"
    public var summary: String {
        "\(scales.count) scale\(scales.count == 1 ? "" : "s"): "
            + scales.map { "\($0.size) px × \($0.evaluations)" }.joined(separator: ", ") + " = \(totalEvaluations) evaluations"
    }

    /// What one scale restyles: the content and styles at that scale's size and, when given,
    /// their features (see `run`).
    struct Inputs {
        var content: RGBImage
        var styles: [RGBImage]
        var features: ImageFeatures<Float>?
    }

    /// The inputs of every scale, each prepared once (however many runs share them).
    /// `content` and `styles` are the images as read; `prepared` are they at the full size
    /// (`StyleImages.prepare`) and `features`, when given, theirs: the last scale's inputs.
    /// Every other scale's images are those read resized by `StyleImages.prepare` to its size
    /// (`styleScale`: the run's), with `featuresOf` them when given.
    func inputs(content: RGBImage, styles: [RGBImage], prepared: (content: RGBImage, styles: [RGBImage]), styleScale: Double,
                features: ImageFeatures<Float>? = nil,
                featuresOf: ((RGBImage, [RGBImage]) -> ImageFeatures<Float>)? = nil) -> [Inputs] {
        scales.indices.map { k in
            if k == scales.count - 1 { return Inputs(content: prepared.content, styles: prepared.styles, features: features) }
            let images = StyleImages.prepare(content: content, styles: styles, size: scales[k].size, styleScale: styleScale)
            return Inputs(content: images.content, styles: images.styles, features: featuresOf?(images.content, images.styles))
        }
    }

    /// Runs `transfer` through the schedule on `inputs` (one per scale: `inputs(...)`); a
    /// scale's features, when given, must come from its images and `network`. With one scale
    /// this is exactly one `transfer`. `observe`
    /// gives the observer of scale k, whose progress counts evaluations over the whole
    /// schedule (evaluation, total). The result joins the scales: the last scale's image and
    /// best terms, every scale's curve in order, the evaluations and seconds summed. A stop
    /// during an earlier scale returns that scale's image upsampled to the full size.
    func run(network: StyleNetwork<VGG<Float>>, inputs: [Inputs], options: StyleTransferOptions,
             observe: (Int, String) -> RunObserver,
             shouldStop: @escaping () -> Bool, saveEvery: Int = 0,
             intermediate: @escaping (Int, RGBImage) -> Void = { _, _ in }) throws -> StyleTransferResult {
        precondition(inputs.count == scales.count, "ScaleSchedule.run: one input per scale")
        let full = inputs[inputs.count - 1].content
        if isSingle {
            return try observe(0, "").run(network: network, content: full, styles: inputs[0].styles, options: options,
                                          features: inputs[0].features, shouldStop: shouldStop, saveEvery: saveEvery, intermediate: intermediate)
        }
        var joined: StyleTransferResult? = nil
        for (k, scale) in scales.enumerated() {
            let last = k == scales.count - 1
            let images = inputs[k]
            var o = options
            o.size = scale.size
            o.maxEvaluations = scale.evaluations
            let start = joined.map { $0.image.resized(width: images.content.width, height: images.content.height) }
            let observer = observe(k, label(k, width: images.content.width, height: images.content.height))
            let offset = joined?.evaluations ?? 0, before = joined?.seconds ?? 0, total = totalEvaluations
            let overall = RunObserver(progress: { p in
                var q = p
                q.evaluation += offset; q.total = total; q.elapsedSeconds += before
                observer.progress(q)
            }, finish: observer.finish)
            let result = try overall.run(network: network, content: images.content, styles: images.styles, options: o,
                                         features: images.features, startImage: start, shouldStop: shouldStop)
            joined = joined.map { previous in
                var r = result
                r.curve = previous.curve + result.curve
                r.accepted = previous.accepted + result.accepted
                r.evaluations += previous.evaluations
                r.seconds += previous.seconds
                return r
            } ?? result
            if result.stopReason == .interrupted && !last {
                joined!.image = joined!.image.resized(width: full.width, height: full.height)
                break
            }
        }
        return joined!
    }
}
