import Testing

/// The help texts, exactly (COLUMNS=100). After a deliberate change, regenerate with
/// `scripts/style-help-golden.py .build/debug/nst`.
@Suite struct TransferHelpTests {
    static let transfer = #"""
OVERVIEW: Restyle an image (Gatys et al. 2015) on the CPU.

Minimises, over the image x, through VGG:
  α·Σ ½Σ(F−P)²  +  β·Σ_l w_l·Σ(G−A)²/(4N²M²)  +  tv·TV(x)
The content loss ½Σ(F−P)² and the style loss E_l = Σ(G−A)²/(4N²M²)
(G = FFᵀ) are exactly the quiz's. Other implementations normalise
differently (jcjohnson divides the Gram matrix by N·M, Keras uses other
scales), so their α/β values do not carry over: tune them here.

Progress goes to stderr: a bar on a terminal, otherwise one parseable
line every --print-every evaluations. Ctrl-C (or SIGTERM) writes the
current image and its sidecar, then exits (status 130/143); before the
first evaluation it writes nothing. The image and out.json change
together (docs/robustness.md), and never over an input. out.json
records every option, the seed, the model and its SHA-256, the loss
curve, the time and the image's SHA-256.

Examples:
  nst transfer --content turtle.jpg --style wave.jpg -o out.png
  nst transfer --content c.jpg --style a.jpg --style b.jpg \
    --style-blend-weights 3,1
  nst transfer --content c.jpg --style s.jpg --original-colors
  nst transfer --content c.jpg --style s.jpg --optimizer adam \
    --learning-rate 5 --iterations 500

USAGE: nst transfer [<options>] --content <content> --style <style> ...

OPTIONS:
  --content <content>     Content image (PNG or JPEG).
  --style <style>         Style image; repeat for several (blended, see --style-blend-weights).
  -o, --output <output>   Output PNG; the sidecar goes beside it (out.png → out.json). (default:
                          out.png)
  --content-layers <content-layers>
                          Comma-separated content layers (relu4_2 = after the ReLU, conv4_2 =
                          before; Keras block4_conv2 means relu4_2, its output being rectified).
                          (default: relu4_2)
  --style-layers <style-layers>
                          Comma-separated style layers. (default:
                          relu1_1,relu2_1,relu3_1,relu4_1,relu5_1)
  --style-layer-weights <weights>
                          w_l, comma-separated, one per style layer (default: 1 each).
  --style-blend-weights <weights>
                          One weight per --style image; normalised to sum 1 (default: equal).
  --size <size>           Longest side of the output image, in pixels. (default: 384)
  --iterations <iterations>
                          Budget in loss+gradient evaluations (one VGG forward+backward each).
                          (default: 300)
  --save-every <save-every>
                          Also write out_<N>.png every N evaluations (0 = never). (default: 0)
  --content-weight <content-weight>
                          α: weight of the content loss ½Σ(F−P)². (default: 1.0)
  --style-weight <β>      β: weight of the style loss Σ_l w_l·Σ(G−A)²/(4N²M²) (default: 1e5 for
                          transfer, 1e7 for the experiment).
  --tv-weight <tv-weight> Weight of the total-variation (smoothness) loss; 0 turns it off.
                          (default: 0.0)
  --init <init>           Start from the content image, white noise (from --seed) or the style
                          image. (values: content, noise, style; default: content)
  --optimizer <optimizer> lbfgs (quasi-Newton, Armijo line search) or adam. (values: lbfgs, adam;
                          default: lbfgs)
  --learning-rate <rate>  Step size: L-BFGS's trial step (default 1) or Adam's per-pixel step in
                          the model's input units (default 10 for 0–255 models).
  --lbfgs-history <lbfgs-history>
                          L-BFGS history size m (curvature pairs kept). (default: 10)
  --line-search <line-search>
                          L-BFGS step rule: armijo (backtracking, loss never rises) or none (fixed
                          step, as jcjohnson's default). (values: armijo, none; default: armijo)
  --pooling <pooling>     Pooling in VGG: max (as trained) or avg (Gatys et al.'s choice; smoother,
                          so runs that differ only in rounding stay closer). (values: max, avg;
                          default: max)
  --style-scale <style-scale>
                          Style images are resized to this times --size (longest side). (default:
                          1.0)
  --original-colors       Keep the content's colours: transfer luminance only (YIQ).
  --seed <seed>           Seed of the random number generator (noise init, --random-weights).
                          (default: 0)
  --normalize-vgg/--no-normalize-vgg
                          Gatys' normalised VGG: rescale each conv layer so every filter's mean
                          activation over this run's content and style images is 1 (same network up
                          to per-channel scale). Changes the loss scale: β ≈ 1e5 with it, ≈ 1
                          without. (default: --normalize-vgg)
  --normalize-floor <normalize-floor>
                          With --normalize-vgg: divide each filter by max(its mean, this × the
                          layer's average mean), so filters that barely fire on these images are
                          not amplified more than 1/this. (default: 0.1)
  --normalize-gradients   jcjohnson's per-layer gradient normalisation: divide each layer's
                          gradient by its L1 norm (forces --line-search none).
  --print-every <print-every>
                          Without a terminal: print a progress line every N evaluations (0 = only
                          the last). (default: 10)
  --model <model>         Model: a .safetensors path or an installed model's name (default: the
                          installed vgg16).
  --precision <fp32|bf16|auto>
                          Arithmetic of the convolutions' matrix products: fp32 (the reference),
                          bf16 (inputs rounded to bf16, sums in fp32: about twice as fast on CPUs
                          with AVX512-BF16, fp32 elsewhere; experimental: L-BFGS does not yet
                          descend with it on the default convolutions) or auto (fp32). See
                          docs/precision.md. (values: fp32, bf16, auto; default: auto)
  -h, --help              Show help information.
"""#

    @Test func transferHelpIsExactly() throws {
        let r = try NSTBinary.run(["transfer", "--help"], environment: ["COLUMNS": "100"])
        #expect(r.status == 0)
        #expect(r.stdout == Self.transfer + "\n\n")
    }

    static let styleDepth = #"""
OVERVIEW: The quiz's question 12: first 3 vs all 5 style layers, everything else identical.

Restyles the sea turtle with the Great Wave twice, everything identical
but the style layers: conv1_1–conv3_1 (first 3), then conv1_1–conv5_1
(all 5; each name means the layer's rectified output). Then it scores
the photo and both images with the same network at all five layers:
E_l = Σ(G−A)²/(4N²M²), the quiz's style loss. Shallow layers see fine
texture, deep layers larger structure: expect both images to take on
the painting's brush texture, and only the 5-layer one its swirls and
crests (its E_l at conv4_1 and conv5_1 well below the 3-layer one's).

Writes one complete set into --output-dir (a folder of its own; an
interrupted or failed run leaves the previous set untouched):
  layers-3.png, layers-5.png   the two images, with .json sidecars
  figure.png     photo | painting | 3 layers | 5 layers, with credits
  curves.svg     objective and E_l per layer against evaluation
  metrics.json   E_l of the photo and of both images, content loss
  report.html    all of it in one page
and prints the table, one sentence that reads it, and the report's
path. Images: Examples/images/ (credits in its README.md).

Examples:
  nst experiment style-depth
  nst experiment style-depth --style-weight 1e6 --output-dir out/b1e6

USAGE: nst experiment style-depth <options>

OPTIONS:
  --content <content>     Content image. (default: Examples/images/sea-turtle.jpg)
  --style <style>         Style image. (default: Examples/images/great-wave.jpg)
  --output-dir <dir>      Folder for the images, figure, metrics and report (default:
                          out/style-depth; out/style-grid with --grid).
  --content-layer <content-layer>
                          Content layer (block5_conv2 in the TensorFlow tutorial). (default:
                          conv5_2)
  --activation <activation>
                          What a layer name means: relu = the rectified output (Gatys' Caffe model,
                          Keras' blockN_convM), conv = before the ReLU. (values: relu, conv;
                          default: relu)
  --size <pixels>         Longest side of the images, in pixels (default: 384; 128 with --grid).
  --iterations <n>        Evaluations per run, one VGG forward+backward each (default: 250; 100 per
                          cell with --grid).
  --grid                  Gatys et al.'s Fig. 3 instead: rows match the first 1…5 style layers,
                          columns use --style-weight ÷10, ×1 and ×10; writes grid.png and grid.json.
  --content-weight <content-weight>
                          α: weight of the content loss ½Σ(F−P)². (default: 1.0)
  --style-weight <β>      β: weight of the style loss Σ_l w_l·Σ(G−A)²/(4N²M²) (default: 1e5 for
                          transfer, 1e7 for the experiment).
  --tv-weight <tv-weight> Weight of the total-variation (smoothness) loss; 0 turns it off.
                          (default: 0.0)
  --init <init>           Start from the content image, white noise (from --seed) or the style
                          image. (values: content, noise, style; default: content)
  --optimizer <optimizer> lbfgs (quasi-Newton, Armijo line search) or adam. (values: lbfgs, adam;
                          default: lbfgs)
  --learning-rate <rate>  Step size: L-BFGS's trial step (default 1) or Adam's per-pixel step in
                          the model's input units (default 10 for 0–255 models).
  --lbfgs-history <lbfgs-history>
                          L-BFGS history size m (curvature pairs kept). (default: 10)
  --line-search <line-search>
                          L-BFGS step rule: armijo (backtracking, loss never rises) or none (fixed
                          step, as jcjohnson's default). (values: armijo, none; default: armijo)
  --pooling <pooling>     Pooling in VGG: max (as trained) or avg (Gatys et al.'s choice; smoother,
                          so runs that differ only in rounding stay closer). (values: max, avg;
                          default: max)
  --style-scale <style-scale>
                          Style images are resized to this times --size (longest side). (default:
                          1.0)
  --original-colors       Keep the content's colours: transfer luminance only (YIQ).
  --seed <seed>           Seed of the random number generator (noise init, --random-weights).
                          (default: 0)
  --normalize-vgg/--no-normalize-vgg
                          Gatys' normalised VGG: rescale each conv layer so every filter's mean
                          activation over this run's content and style images is 1 (same network up
                          to per-channel scale). Changes the loss scale: β ≈ 1e5 with it, ≈ 1
                          without. (default: --normalize-vgg)
  --normalize-floor <normalize-floor>
                          With --normalize-vgg: divide each filter by max(its mean, this × the
                          layer's average mean), so filters that barely fire on these images are
                          not amplified more than 1/this. (default: 0.1)
  --normalize-gradients   jcjohnson's per-layer gradient normalisation: divide each layer's
                          gradient by its L1 norm (forces --line-search none).
  --print-every <print-every>
                          Without a terminal: print a progress line every N evaluations (0 = only
                          the last). (default: 10)
  --model <model>         Model: a .safetensors path or an installed model's name (default: the
                          installed vgg16).
  --precision <fp32|bf16|auto>
                          Arithmetic of the convolutions' matrix products: fp32 (the reference),
                          bf16 (inputs rounded to bf16, sums in fp32: about twice as fast on CPUs
                          with AVX512-BF16, fp32 elsewhere; experimental: L-BFGS does not yet
                          descend with it on the default convolutions) or auto (fp32). See
                          docs/precision.md. (values: fp32, bf16, auto; default: auto)
  -h, --help              Show help information.
"""#

    @Test func styleDepthHelpIsExactly() throws {
        let r = try NSTBinary.run(["experiment", "style-depth", "--help"], environment: ["COLUMNS": "100"])
        #expect(r.status == 0)
        #expect(r.stdout == Self.styleDepth + "\n\n")
    }

}
