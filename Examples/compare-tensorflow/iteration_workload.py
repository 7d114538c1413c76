"""The workload tf_iteration.py and jax_iteration.py both time, defined once (NumPy only).

One iteration = VGG16 forward from the image to conv5_2 (Keras: block5_conv2), each
convolution followed by its ReLU and 2×2 max pooling between blocks (Keras's VGG16),
the loss

    L = Σ_{l ∈ conv1_1…conv5_1} Σ_ij (G_l − A_l)²_ij  +  ½ Σ (F_conv5_2 − P)²,
    G_l = F_lᵀ F_l for F_l the layer's rectified features as a (pixels × channels) matrix,

and its gradient with respect to the image only (no weight gradients). A_l (the style
targets) and P (the content target) are computed once, from two fixed random images.

Both scripts take their weights, images and command line from here, so that on the same
arguments they compute the same loss and gradient up to floating-point rounding, and
`compare_outputs.py` can check that they do.
"""
import argparse
import json
import os
import resource
import statistics
import struct
import time

import numpy as np

# The convolutions up to conv5_2 in order: (nst name, Keras name, in channels, out channels,
# index in the nst model file's `features.N` tensors). A 2×2 max pool precedes each block's
# first convolution after block 1.
CONVS = [
    ("conv1_1", "block1_conv1", 3, 64, 0), ("conv1_2", "block1_conv2", 64, 64, 2),
    ("conv2_1", "block2_conv1", 64, 128, 5), ("conv2_2", "block2_conv2", 128, 128, 7),
    ("conv3_1", "block3_conv1", 128, 256, 10), ("conv3_2", "block3_conv2", 256, 256, 12),
    ("conv3_3", "block3_conv3", 256, 256, 14),
    ("conv4_1", "block4_conv1", 256, 512, 17), ("conv4_2", "block4_conv2", 512, 512, 19),
    ("conv4_3", "block4_conv3", 512, 512, 21),
    ("conv5_1", "block5_conv1", 512, 512, 24), ("conv5_2", "block5_conv2", 512, 512, 26),
]
STYLE = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"]
CONTENT = "conv5_2"
WARMUP = 2  # untimed calls first: tracing / compilation, thread-pool start, page-in


def starts_block(name):
    """True where a 2×2 max pool precedes the convolution (conv2_1, conv3_1, conv4_1, conv5_1)."""
    return name.endswith("_1") and name != "conv1_1"


def parse_args(framework, description):
    p = argparse.ArgumentParser(
        prog=f"{framework}_iteration.py", description=description,
        epilog="Prints one JSON line on stdout. Example: %(prog)s 384 10 --dump /tmp/out.npz")
    p.add_argument("size", nargs="?", type=int, default=384,
                   help="longest image side; the image is 4:3 landscape (384 → 384×288). Default 384.")
    p.add_argument("iterations", nargs="?", type=int, default=10,
                   help=f"timed iterations, after {WARMUP} untimed warm-ups. Default 10.")
    p.add_argument("--weights", metavar="FILE",
                   help="an nst model file (VGG16 .safetensors, e.g. ~/.cache/nst/models/vgg16.safetensors); "
                        "default: seeded random weights (the speed does not depend on the values)")
    p.add_argument("--dump", metavar="FILE.npz",
                   help="also save the last timed iteration's loss and image gradient there, for compare_outputs.py")
    a = p.parse_args()
    if a.size < 43:
        p.error("size must be at least 43 px: the height (3/4 of it) must be at least 32, "
                "since VGG16 pools 4 times before block 5 (and Keras's VGG16 refuses smaller inputs)")
    if a.iterations < 1:
        p.error("iterations must be at least 1")
    return a


def image_shape(side):
    """NHWC shape of the 4:3 landscape image whose longest side is `side` (nst bench's rule)."""
    return (1, max(1, side * 3 // 4), side, 3)


def images(side, seed=0):
    """The style image, the content image and the starting image, NHWC float32. The first two
    are uniform in [-120, 130), the range of mean-subtracted (Caffe-preprocessed) pixels, as in
    nst bench; the starting image has half their contrast, uniform in [-60, 65). Were it drawn
    like the style image, its Gram matrices would match the targets to about 1 %, so each
    style term would be a sum of squares of small differences of large, nearly equal sums,
    which fp32 gives to only a few 1e-6 at 384×288 (1e-7 with half the contrast), loosening
    what compare_outputs.py can check. The speed does not depend on the values."""
    rng = np.random.default_rng(seed)
    style, content, start = [rng.uniform(-120.0, 130.0, image_shape(side)).astype(np.float32) for _ in range(3)]
    return style, content, (start * np.float32(0.5)).astype(np.float32)


def random_weights(seed=0):
    """Seeded He-normal weights (std √(2 / (9·in))), HWIO kernels, zero biases: activations
    keep their scale through the stack, as trained weights do, so no value under- or overflows."""
    rng = np.random.default_rng(seed)
    out = []
    for _, _, cin, cout, _ in CONVS:
        w = rng.standard_normal((3, 3, cin, cout)) * np.sqrt(2.0 / (9 * cin))
        out.append((w.astype(np.float32), np.zeros(cout, np.float32)))
    return out


def read_safetensors(path):
    """{name: float32 array} from a .safetensors file (8-byte little-endian header length,
    a JSON header of dtype / shape / data_offsets, then the raw tensors)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name} is {entry['dtype']}; expected F32 (an nst model file)")
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[start:end], dtype="<f4").reshape(entry["shape"])
    return tensors


def model_weights(path):
    """The convolutions' weights from an nst VGG16 model file: `features.N.weight` [out, in, 3, 3]
    (PyTorch's OIHW) → HWIO, the layout of Keras kernels and of jax.lax with ('NHWC', 'HWIO', 'NHWC')."""
    t = read_safetensors(os.path.expanduser(path))
    out = []
    for name, _, cin, cout, i in CONVS:
        w, b = t.get(f"features.{i}.weight"), t.get(f"features.{i}.bias")
        if w is None or b is None or w.shape != (cout, cin, 3, 3):
            raise SystemExit(f"{path}: no features.{i}.weight of shape ({cout}, {cin}, 3, 3) for {name}; "
                             "expected an nst VGG16 model file (`nst model fetch` installs one)")
        out.append((np.ascontiguousarray(w.transpose(2, 3, 1, 0)), np.array(b, np.float32)))
    return out


def weights(args):
    return model_weights(args.weights) if args.weights else random_weights()


def weights_description(args):
    return os.path.abspath(os.path.expanduser(args.weights)) if args.weights else "random (He-normal, seed 0)"


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def time_iterations(step, iterations):
    """Calls step() WARMUP times untimed, then `iterations` times timed. step() must return
    its results as NumPy values, so the work is finished when the clock stops.
    → (wall seconds per call, process CPU seconds per call (all threads), the last result)"""
    for _ in range(WARMUP):
        result = step()
    times, cpu_times = [], []
    for _ in range(iterations):
        c0, t0 = time.process_time(), time.perf_counter()
        result = step()
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
    return times, cpu_times, result


TERMS = [f"style {n}" for n in STYLE] + [f"content {CONTENT}"]


def report(args, times, cpu_times, loss, terms, gradient, **framework_fields):
    """Prints the JSON line (timings as medians, min, max) and writes --dump: the loss, its
    terms (the five style losses, then the content loss: TERMS) and the image gradient [H, W, 3]."""
    _, height, width, _ = image_shape(args.size)
    if args.dump:
        np.savez(args.dump, loss=np.float64(loss), terms=np.asarray(terms, np.float64),
                 gradient=np.asarray(gradient, np.float32),
                 framework=framework_fields.get("framework", "?"), weights=weights_description(args))
    print(json.dumps({
        **framework_fields,
        "width": width,
        "height": height,
        "iterations": len(times),
        "warmup": WARMUP,
        "iteration_s": statistics.median(times),
        "iteration_min_s": min(times),
        "iteration_max_s": max(times),
        # process CPU time per iteration (all threads), like nst bench's iteration_cpu_s
        "iteration_cpu_s": statistics.median(cpu_times),
        "peak_rss_mib": peak_rss_mib(),
        "weights": weights_description(args),
        "loss": float(loss),
    }))
