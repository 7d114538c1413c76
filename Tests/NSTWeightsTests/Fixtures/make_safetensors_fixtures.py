# Makes the safetensors fixtures with the reference implementation (pip: safetensors, numpy),
# so the Swift reader is tested against files it did not write. Run from this folder:
#   python3 -m venv /tmp/v && /tmp/v/bin/pip install safetensors numpy && /tmp/v/bin/python make_safetensors_fixtures.py
import numpy as np
from safetensors.numpy import save_file

# dtypes.safetensors: one small tensor per float type, values chosen to be exact in F16/BF16.
values = np.array([[0.5, -1.25, 3.0], [65504.0 / 1024, -0.0078125, 2.0 ** -14]], dtype=np.float64)
save_file({
    "a.f32": values.astype(np.float32),
    "b.f16": values.astype(np.float16),
    "c.f64": values,
    "d.i64": np.array([1, -2, 3], dtype=np.int64),
    "e.scalar": np.array(7.5, dtype=np.float32),
    "f.empty": np.zeros((0, 4), dtype=np.float32),
}, "dtypes.safetensors", metadata={"format": "np", "note": "made by make_safetensors_fixtures.py"})

# tiny_vgg16.safetensors: a torchvision-named VGG16 with every conv 2 channels wide
# (13 layers, OIHW, no metadata: the torchvision defaults apply). Weight value at
# flat index i of layer N is N + i/1000, bias value is -N - i/1000.
idx = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
tensors = {}
cin = 3
for n in idx:
    w = (n + np.arange(2 * cin * 9) / 1000).reshape(2, cin, 3, 3).astype(np.float32)
    tensors[f"features.{n}.weight"] = w
    tensors[f"features.{n}.bias"] = (-n - np.arange(2) / 1000).astype(np.float32)
    cin = 2
tensors["classifier.0.weight"] = np.ones((3, 4), dtype=np.float32)
save_file(tensors, "tiny_vgg16.safetensors")
