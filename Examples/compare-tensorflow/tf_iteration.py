#!/usr/bin/env python3
"""Time one neural-style-transfer iteration in TensorFlow (CPU), for comparison with `nst bench`.

One iteration = VGG16 forward from the image to block5_conv2, the style and
content losses, and the gradient of the loss with respect to the input image
only (no weight gradients) -- the same work `nst bench` times.

Usage: [ONEDNN_DEFAULT_FPMATH_MODE=BF16] tf_iteration.py [LONGEST_SIDE=384] [ITERATIONS=10]
The image is 4:3 landscape: 384 -> width 384, height 288.
Prints one JSON line on stdout.
"""
import json
import os
import resource
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TF's start-up chatter off stderr
import tensorflow as tf  # noqa: E402

side = int(sys.argv[1]) if len(sys.argv) > 1 else 384
iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 10
warmup = 2
width, height = side, side * 3 // 4

STYLE = ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]
CONTENT = "block5_conv2"

# VGG16's convolutional stack with random weights: speed does not depend on the values.
vgg = tf.keras.applications.VGG16(weights=None, include_top=False, input_shape=(height, width, 3))
vgg.trainable = False
# A model whose outputs end at block5_conv2, so block5_conv3 and block5_pool are never computed.
model = tf.keras.Model(vgg.input, [vgg.get_layer(n).output for n in STYLE + [CONTENT]])


def gram(f):
    """G = FᵀF for a feature map F reshaped to (pixels, channels); no normalisation."""
    f = tf.reshape(f, (-1, f.shape[-1]))
    return tf.matmul(f, f, transpose_a=True)


# Fixed random targets, computed once: style Grams A (from a random style image) and content features P.
rng = tf.random.Generator.from_seed(0)
feats = model(rng.uniform((1, height, width, 3), 0.0, 255.0), training=False)
A = [gram(f) for f in feats[:-1]]
P = feats[-1]

image = tf.Variable(rng.uniform((1, height, width, 3), 0.0, 255.0))


@tf.function
def iteration():
    with tf.GradientTape() as tape:
        out = model(image, training=False)
        style = tf.add_n([tf.reduce_sum(tf.square(gram(f) - a)) for f, a in zip(out[:-1], A)])
        content = 0.5 * tf.reduce_sum(tf.square(out[-1] - P))
        loss = style + content
    return loss, tape.gradient(loss, image)  # gradient w.r.t. the image only


cpu_times = []  # process CPU time per iteration (all threads), like nst's iteration_cpu_s


def run_once():
    c0, t0 = time.process_time(), time.perf_counter()
    loss, grad = iteration()
    grad.numpy()  # make sure the result is materialised before stopping the clock
    t = time.perf_counter() - t0
    cpu_times.append(time.process_time() - c0)
    return t


for _ in range(warmup):  # tracing, graph optimisation, thread-pool start
    run_once()
del cpu_times[:]
times = [run_once() for _ in range(iterations)]

# 0 means "TF's default": intra-op = the CPUs this process may use.
intra = tf.config.threading.get_intra_op_parallelism_threads() or len(os.sched_getaffinity(0))
inter = tf.config.threading.get_inter_op_parallelism_threads()
print(json.dumps({
    "framework": "tensorflow",
    "version": tf.__version__,
    "keras_version": tf.keras.__version__,
    "width": width,
    "height": height,
    "iterations": iterations,
    "iteration_s": statistics.median(times),
    "iteration_min_s": min(times),
    "iteration_max_s": max(times),
    "iteration_cpu_s": statistics.median(cpu_times),
    "threads": intra,
    "inter_op_threads": inter or "default",
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # Linux: KiB
    # oneDNN's math mode: "BF16" runs fp32 convolutions and matmuls on bf16 inputs with fp32
    # accumulation (AVX512-BF16 or AMX where the CPU has them); unset = strict fp32.
    "fpmath_mode": os.environ.get("ONEDNN_DEFAULT_FPMATH_MODE", "STRICT"),
}))
