#!/usr/bin/env python3
"""Time one neural-style-transfer iteration in TensorFlow (CPU), for comparison with `nst bench`.

The workload (iteration_workload.py): Keras's VGG16 forward from the image to block5_conv2,
Gram style losses on block1_conv1…block5_conv1 plus the content loss on block5_conv2, and the
gradient of the loss with respect to the input image only, in a compiled tf.function.

Usage: [ONEDNN_DEFAULT_FPMATH_MODE=BF16] tf_iteration.py [SIZE=384] [ITERATIONS=10]
                                                         [--weights MODEL.safetensors] [--dump OUT.npz]
"""
import os
import sys

sys.dont_write_bytecode = True  # leave no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iteration_workload as workload  # noqa: E402

args = workload.parse_args("tf", __doc__.splitlines()[0])
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TF's start-up chatter off stderr
try:
    import tensorflow as tf
except ImportError as e:
    sys.exit(f"tf_iteration.py: TensorFlow is not installed for {sys.executable} ({e}); "
             "install it with: python3 -m pip install tensorflow-cpu (see README.md)")

_, height, width, _ = workload.image_shape(args.size)
keras_name = {name: keras for name, keras, *_ in workload.CONVS}

# Keras's VGG16 convolutional stack (each conv layer includes its ReLU; max pooling), with the
# workload's weights, cut at block5_conv2 so block5_conv3 and block5_pool are never computed.
vgg = tf.keras.applications.VGG16(weights=None, include_top=False, input_shape=(height, width, 3))
vgg.trainable = False
for (name, _, _, _, _), (w, b) in zip(workload.CONVS, workload.weights(args)):
    vgg.get_layer(keras_name[name]).set_weights([w, b])
model = tf.keras.Model(vgg.input, [vgg.get_layer(keras_name[n]).output for n in workload.STYLE + [workload.CONTENT]])


def gram(f):
    """G = FᵀF for a feature map F reshaped to (pixels, channels); no normalisation."""
    f = tf.reshape(f, (-1, f.shape[-1]))
    return tf.matmul(f, f, transpose_a=True)


style_image, content_image, start_image = workload.images(args.size)
A = [gram(f) for f in model(style_image, training=False)[:-1]]  # style targets, computed once
P = model(content_image, training=False)[-1]                    # content target
image = tf.Variable(start_image)


@tf.function
def iteration():
    with tf.GradientTape() as tape:
        out = model(image, training=False)
        terms = [tf.reduce_sum(tf.square(gram(f) - a)) for f, a in zip(out[:-1], A)]  # style, per layer
        terms.append(0.5 * tf.reduce_sum(tf.square(out[-1] - P)))                      # content
        loss = tf.add_n(terms)
    return loss, tf.stack(terms), tape.gradient(loss, image)  # gradient w.r.t. the image only


def step():
    loss, terms, grad = iteration()
    return loss.numpy(), terms.numpy(), grad.numpy()  # materialised before the clock stops


times, cpu_times, (loss, terms, gradient) = workload.time_iterations(step, args.iterations)

# 0 means "TF's default": intra-op = the CPUs this process may use.
intra = tf.config.threading.get_intra_op_parallelism_threads() or len(os.sched_getaffinity(0))
inter = tf.config.threading.get_inter_op_parallelism_threads()
workload.report(
    args, times, cpu_times, loss, terms, gradient[0],
    framework="tensorflow",
    version=tf.__version__,
    keras_version=tf.keras.__version__,
    threads=intra,
    inter_op_threads=inter or "default",
    # oneDNN's math mode: "BF16" runs fp32 convolutions and matmuls on bf16 inputs with fp32
    # accumulation (AVX512-BF16 or AMX where the CPU has them); unset = strict fp32.
    fpmath_mode=os.environ.get("ONEDNN_DEFAULT_FPMATH_MODE", "STRICT"),
    precision="bf16" if os.environ.get("ONEDNN_DEFAULT_FPMATH_MODE", "").upper() == "BF16" else "fp32",
)
