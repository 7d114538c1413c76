import Testing

/// The help texts, exactly (COLUMNS=100). After a deliberate change, regenerate with
/// `scripts/style-help-golden.py .build/debug/nst`.
@Suite struct TransferHelpTests {
    static let transfer = #"""
OVERVIEW: Restyle an image (Gatys et al. 2015) on the CPU.

Minimises over the image x, through VGG:
  α·Σ ½Σ(F−P)²  +  β·Σ_l w_l·Σ(G−A)²/(4N²M²)  +  tv·TV(x)
with the quiz's losses (other implementations scale them differently,
so their α/β do not carry over). Progress goes to stderr; Ctrl-C writes
the current image. out.json records every option, the model and the
loss curve. More options: --help-hidden and docs/cli.md.

Examples:
  nst transfer --content turtle.jpg --style wave.jpg -o out.png
  nst transfer --content c.jpg --style s.jpg --original-colors --scales 3
  nst transfer --content c.jpg --style a.jpg --style b.jpg --style-blend-weights 3,1

USAGE: nst transfer [<options>] --content <content> --style <style> ...

IMAGES:
  --content <content>     Content image (PNG or JPEG).
  --style <style>         Style image; repeat for several (blended, see --style-blend-weights).
  -o, --output <output>   Output PNG; the sidecar goes beside it (out.png → out.json). (default:
                          out.png)
  --size <px>             Longest side of the output image, in pixels. (default: 384)
  --iterations <n>        Optimiser evaluations (one VGG forward+backward each). (default: 300)

LAYERS:
  --content-layers <layers>
                          Comma-separated content layers (see --activation). (default: relu4_2)
  --style-layers <layers> Comma-separated style layers. (default:
                          relu1_1,relu2_1,relu3_1,relu4_1,relu5_1)
  --activation <activation>
                          relu: rectified outputs (relu4_2; the paper's conv4_2 means it too);
                          conv: maps before the ReLU. (values: relu, conv; default: relu)

LOSS:
  --content-weight <α>    α: weight of the content loss ½Σ(F−P)². (default: 1.0)
  --style-weight <β>      β: weight of the style loss Σ_l w_l·Σ(G−A)²/(4N²M²) (default: 1e5 for
                          transfer, 1e7 for the experiment).
  --tv-weight <w>         Weight of the total-variation (smoothness) loss; 0 turns it off.
                          (default: 0.0)

OPTIMISER:
  --init <init>           Start from the content image, white noise (from --seed) or the style
                          image. (values: content, noise, style; default: content)
  --optimizer <optimizer> lbfgs (quasi-Newton, Armijo line search) or adam. (values: lbfgs, adam;
                          default: lbfgs)
  --seed <seed>           Seed of every random draw (noise init, --random-weights); the same seed
                          gives the same image. (default: 0)

ENGINE:
  --model <model>         A .safetensors path or an installed model's name (default: the installed
                          vgg16).
  --original-colors       Keep the content's colours: transfer luminance only (YIQ).
  --print-every <n>       Without a terminal: a progress line every n evaluations (0: only the
                          last). (default: 10)

OPTIONS:
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
but the style layers: relu1_1–relu3_1 (first 3), then relu1_1–relu5_1
(all 5: the rectified outputs the paper calls conv1_1 …). Then it scores
the photo and both images with the same network at all five layers:
E_l = Σ(G−A)²/(4N²M²), the quiz's style loss. Shallow layers see fine
texture, deep layers larger structure: expect both images to take on
the painting's brush texture, and only the 5-layer one its swirls and
crests (its E_l at relu4_1 and relu5_1 well below the 3-layer one's).

Writes one complete set into --output (a folder of its own; an
interrupted or failed run leaves the previous set untouched):
  layers-3.png, layers-5.png   the two images, with .json sidecars
  figure.png     photo | painting | 3 layers | 5 layers, with credits
  curves.svg     objective and E_l per layer against evaluation
  metrics.json   E_l of the photo and of both images, content loss
  report.html    all of it in one page
and prints the table, one sentence that reads it, and the report's
path. The default folder, ~/.local/share/nst/style-depth (under
$XDG_DATA_HOME if set), is where `nst quiz` looks for question 12's
images. The two images are built into nst, so it runs from any folder
(files and credits: Examples/images/ in the source).

Examples:
  nst experiment style-depth
  nst experiment style-depth --size 192          a quarter of the pixels
  nst experiment style-depth --style-weight 1e6 -o out/b1e6
  nst experiment style-depth --scales 3 --scale-evaluations 100,50,100
              coarse to fine: 192, 272 and 384 px, 250 evaluations per run

USAGE: nst experiment style-depth <options>

EXPERIMENT:
  --content <image>       Content image (default: the sea turtle built into nst).
  --style <image>         Style image (default: the Great Wave built into nst).
  -o, --output <dir>      Folder for the images, figure, metrics and report (default:
                          ~/.local/share/nst/style-depth, where `nst quiz` finds them; …/style-grid
                          with --grid).
  --content-layers <layer>
                          The content layer (one: block5_conv2 in the TensorFlow tutorial).
  --activation <activation>
                          relu: rectified outputs (relu4_2; the paper's conv4_2 means it too);
                          conv: maps before the ReLU. (values: relu, conv; default: relu)
  --size <pixels>         Longest side of the images, in pixels (default: 384; 128 with --grid).
  --iterations <n>        Optimiser evaluations per run, one VGG forward+backward each (default:
                          250; 100 per cell with --grid).
  --grid                  Gatys et al.'s Fig. 3 instead: rows match the first 1…5 style layers,
                          columns use --style-weight ÷10, ×1 and ×10; writes grid.png and grid.json.

LOSS:
  --content-weight <α>    α: weight of the content loss ½Σ(F−P)². (default: 1.0)
  --style-weight <β>      β: weight of the style loss Σ_l w_l·Σ(G−A)²/(4N²M²) (default: 1e5 for
                          transfer, 1e7 for the experiment).
  --tv-weight <w>         Weight of the total-variation (smoothness) loss; 0 turns it off.
                          (default: 0.0)

OPTIMISER:
  --init <init>           Start from the content image, white noise (from --seed) or the style
                          image. (values: content, noise, style; default: content)
  --optimizer <optimizer> lbfgs (quasi-Newton, Armijo line search) or adam. (values: lbfgs, adam;
                          default: lbfgs)
  --seed <seed>           Seed of every random draw (noise init, --random-weights); the same seed
                          gives the same image. (default: 0)

ENGINE:
  --model <model>         A .safetensors path or an installed model's name (default: the installed
                          vgg16).
  --original-colors       Keep the content's colours: transfer luminance only (YIQ).
  --print-every <n>       Without a terminal: a progress line every n evaluations (0: only the
                          last). (default: 10)

COARSE TO FINE:
  --scales <n>            Coarse to fine: optimise at n sizes growing by √2 up to --size (the
                          smallest is --size/√2^(n−1)), each starting from the previous result
                          upsampled; 1 (the default) is one size. The budget is split equally, the
                          rest to the small scales (e.g. --scales 3 --iterations 250 at 384 px: 192
                          px × 84, 272 px × 83, 384 px × 83). (default: 1)
  --scale-evaluations <counts>
                          With --scales n: n comma-separated evaluation counts, smallest size first
                          (e.g. 100,50,100); their sum replaces --iterations.

OPTIONS:
  -h, --help              Show help information.
"""#

    @Test func styleDepthHelpIsExactly() throws {
        let r = try NSTBinary.run(["experiment", "style-depth", "--help"], environment: ["COLUMNS": "100"])
        #expect(r.status == 0)
        #expect(r.stdout == Self.styleDepth + "\n\n")
    }

}
