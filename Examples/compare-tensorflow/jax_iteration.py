#!/usr/bin/env python3
"""Time one neural-style-transfer iteration in JAX (XLA CPU), for comparison with `nst bench`.

The workload (iteration_workload.py), as tf_iteration.py runs it: VGG16 forward from the image
to conv5_2 (3×3 'SAME' convolutions each followed by ReLU, 2×2 max pooling between blocks),
Gram style losses on conv1_1…conv5_1 plus the content loss on conv5_2, and the gradient of the
loss with respect to the image only: jax.jit(jax.value_and_grad(loss)), differentiating the
image argument alone, with the weights and targets passed as (undifferentiated) arguments.
Matrix products and convolutions run at fp32 precision ("highest").

Usage: jax_iteration.py [SIZE=384] [ITERATIONS=10] [--weights MODEL.safetensors] [--dump OUT.npz]
"""
import os
import sys
import time

sys.dont_write_bytecode = True  # leave no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iteration_workload as workload  # noqa: E402

args = workload.parse_args("jax", __doc__.splitlines()[0])
os.environ.setdefault("JAX_PLATFORMS", "cpu")
try:
    import jax
    import jax.numpy as jnp
    import jaxlib
except ImportError as e:
    sys.exit(f"jax_iteration.py: JAX is not installed for {sys.executable} ({e}); "
             'install it with: python3 -m pip install "jax[cpu]" (see README.md)')
import numpy as np  # noqa: E402

# fp32 products on every backend (on the CPU this is XLA's default; said here so it is explicit).
jax.config.update("jax_default_matmul_precision", "highest")

KEPT = workload.STYLE + [workload.CONTENT]


def features(params, x):
    """{layer: rectified features, NHWC} for the style and content layers; stops at conv5_2."""
    out = {}
    for (name, *_), (w, b) in zip(workload.CONVS, params):
        if workload.starts_block(name):
            x = jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
        x = jax.lax.conv_general_dilated(x, w, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
        x = jax.nn.relu(x + b)
        if name in KEPT:
            out[name] = x
    return out


def gram(f):
    """G = FᵀF for a feature map F reshaped to (pixels, channels); no normalisation."""
    f = f.reshape(-1, f.shape[-1])
    return f.T @ f


def loss(image, params, style_targets, content_target):
    """→ (the loss, its terms: the style loss per layer, then the content loss)"""
    out = features(params, image)
    terms = [jnp.sum(jnp.square(gram(out[n]) - a)) for n, a in zip(workload.STYLE, style_targets)]
    terms.append(0.5 * jnp.sum(jnp.square(out[workload.CONTENT] - content_target)))
    return sum(terms), jnp.stack(terms)


params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in workload.weights(args)]
style_image, content_image, start_image = workload.images(args.size)
targets = jax.jit(features)
style_out = targets(params, jnp.asarray(style_image))
A = [gram(style_out[n]) for n in workload.STYLE]                      # style targets, computed once
P = targets(params, jnp.asarray(content_image))[workload.CONTENT]     # content target
image = jnp.asarray(start_image)

iteration = jax.jit(jax.value_and_grad(loss, has_aux=True))  # gradient w.r.t. argument 0, the image, only

t0 = time.perf_counter()
compiled = iteration.lower(image, params, A, P).compile()  # compile once, outside the timing
compile_s = time.perf_counter() - t0


def step():
    (value, terms), grad = compiled(image, params, A, P)
    jax.block_until_ready((value, terms, grad))
    return np.asarray(value), np.asarray(terms), np.asarray(grad)  # materialised before the clock stops


times, cpu_times, (value, terms, gradient) = workload.time_iterations(step, args.iterations)

workload.report(
    args, times, cpu_times, value, terms, gradient[0],
    framework="jax",
    version=jax.__version__,
    jaxlib_version=jaxlib.__version__,
    backend=jax.default_backend(),
    devices=[str(d) for d in jax.devices()],
    # XLA's CPU runtime runs one intra-op thread pool over the CPUs this process may use.
    threads=len(os.sched_getaffinity(0)),
    matmul_precision="highest",
    compile_s=compile_s,
    precision="fp32",
)
