/// Gatys et al.'s normalised VGG ("we normalized the network by scaling the weights such
/// that the mean activation of each convolutional filter over images and positions is
/// equal to one").
///
/// With m_l[c] the mean of conv layer l's post-ReLU activation of channel c (over the
/// images and positions, each image weighted equally) in the original network:
///
///     W_l[c,:,:,:] ← W_l[c,:,:,:] / m_l[c]        b_l[c] ← b_l[c] / m_l[c]
///     W_{l+1}[:,c,:,:] ← W_{l+1}[:,c,:,:] · m_l[c]      (undo the scale at the next input)
///
/// Because ReLU(z/m) = ReLU(z)/m for m > 0 and max/avg pooling commute with a positive
/// per-channel scale, every activation of the new network is the old one divided by its
/// channel's mean: the network is unchanged up to per-channel scale, and each filter's mean
/// activation on these images becomes exactly 1. Filters that never fire (m = 0) keep scale 1.
/// What changes is the balance of the losses: E_l scales like 1/m⁴, so layers whose raw
/// activations are large (conv3–conv4 in ImageNet VGG) no longer dominate the style term.
public enum VGGNormalization {
    /// Per-channel means of one [C,H,W] activation.
    public static func channelMeans(_ storage: [Float], channels: Int) -> [Double] {
        let m = storage.count / channels
        var out = [Double](repeating: 0, count: channels)
        for c in 0..<channels {
            var s = 0.0
            for i in 0..<m { s += Double(storage[c * m + i]) }
            out[c] = s / Double(max(m, 1))
        }
        return out
    }

    /// The scale applied to each layer's output channels: 1/max(m, floor·m̄_l), where m̄_l is
    /// the layer's average channel mean; 1 for a dead filter.
    ///
    /// Why a floor (default 0.1): with statistics from only the run's two images, a filter
    /// that fires on the style image but almost never on the content gets a tiny m and is
    /// amplified up to ~100×. Measured on VGG16 at 192 px: such channels then dominate E_l
    /// while their ReLU is off everywhere on the content-initialised image, so they pass no
    /// gradient and E at relu1_1 and relu3_1 stayed constant to 4 digits over 60 L-BFGS
    /// evaluations. Capping the amplification at 10× the layer's typical scale keeps the
    /// per-layer balance Gatys wanted without that trap. floor = 0 is the exact rule.
    public static func scales(means: [[Double]], floor: Double = 0.1) -> [[Double]] {
        means.map { layer in
            let live = layer.filter { $0 > 0 && $0.isFinite }
            let typical = live.isEmpty ? 0 : live.reduce(0, +) / Double(live.count)
            return layer.map { m in m > 0 && m.isFinite ? 1 / max(m, floor * typical) : 1 }
        }
    }

    /// Rescale conv layers in network order. `weights[l]` is OIHW ([O, I, kh, kw] flattened),
    /// `biases[l]` is [O]; `scales[l][o]` multiplies layer l's output channel o (1/m).
    public static func rescale(weights: inout [[Float]], biases: inout [[Float]], outChannels: [Int],
                               scales: [[Double]]) {
        precondition(weights.count == biases.count && weights.count == outChannels.count && scales.count <= weights.count)
        for l in 0..<scales.count {
            let o = outChannels[l]
            let perOut = weights[l].count / o
            let inC = l == 0 ? 3 : outChannels[l - 1]
            let kernel = perOut / inC
            for oc in 0..<o {
                let s = scales[l][oc]
                for i in 0..<inC {
                    // The input channel i was scaled by scales[l-1][i]; undo it here.
                    let undo = l == 0 ? 1 : 1 / scales[l - 1][i]
                    let f = Float(s * undo)
                    let base = oc * perOut + i * kernel
                    for k in 0..<kernel { weights[l][base + k] *= f }
                }
                biases[l][oc] *= Float(s)
            }
        }
        // The first layer after the last rescaled one still sees scaled inputs: undo them.
        if scales.count < weights.count && !scales.isEmpty {
            let l = scales.count
            let o = outChannels[l]
            let perOut = weights[l].count / o
            let inC = outChannels[l - 1]
            let kernel = perOut / inC
            for oc in 0..<o {
                for i in 0..<inC {
                    let f = Float(1 / scales[l - 1][i])
                    let base = oc * perOut + i * kernel
                    for k in 0..<kernel { weights[l][base + k] *= f }
                }
            }
        }
    }
}
