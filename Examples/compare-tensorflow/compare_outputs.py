#!/usr/bin/env python3
"""Do two frameworks compute the same iteration? Compares the loss and the image gradient that
tf_iteration.py and jax_iteration.py saved with --dump (same size, same weights, same images).

Usage: compare_outputs.py REFERENCE.npz OTHER.npz [--tolerance T] [--gradient-tolerance T]

Prints one line: the largest relative difference |L₁ − L₀| / |L₀| over the loss's six terms
(the style loss of each of conv1_1…conv5_1 and the content loss of conv5_2, each checked on
its own, since the style terms outweigh the content term by orders of magnitude) and the image
gradient's relative L2 difference ‖g₁ − g₀‖ / ‖g₀‖; exits 1 if either exceeds its tolerance.

- Loss terms, default 1e-4: both sides compute in fp32 in different orders, so the same work
  agrees to about 1e-7, while a different layer, pooling, loss or weight differs by far more.
- Gradient, default 1e-2: ReLU's and max pooling's derivatives jump. Where an activation lies
  within rounding of 0, or two pooled values within rounding of each other, fp32 in another
  order may take the other branch and send that element's whole upstream gradient elsewhere.
  A few such elements move the gradient by up to about 1e-3 at 384×288 (the same happens
  between either framework and a float64 evaluation; with softplus and sum pooling instead,
  fp32 and float64 agree to a few 1e-6). A gradient taken through different work (features
  before the ReLU, another pooling, another image) moves it by 5e-2 or far more. A wrong
  layer or loss scale may barely move it, since the largest style terms dominate it: the
  loss terms catch those.
"""
import argparse
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # leave no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from iteration_workload import TERMS  # noqa: E402

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("reference")
p.add_argument("other")
p.add_argument("--tolerance", type=float, default=1e-4, help="for the loss and each of its terms (default 1e-4)")
p.add_argument("--gradient-tolerance", type=float, default=1e-2, help="for the image gradient (default 1e-2)")
a = p.parse_args()

r, o = np.load(a.reference), np.load(a.other)
names = f"{r['framework']} vs {o['framework']}"
if str(r["weights"]) != str(o["weights"]):
    sys.exit(f"{names}: different weights ({r['weights']} / {o['weights']}); run both with the same --weights")
g0, g1 = r["gradient"].astype(np.float64), o["gradient"].astype(np.float64)
if g0.shape != g1.shape:
    sys.exit(f"{names}: gradients of different shapes {g0.shape} / {g1.shape}; run both at the same size")
t0, t1 = r["terms"], o["terms"]
term_rel = np.abs(t1 - t0) / np.abs(t0)
worst = int(np.argmax(term_rel))
loss_rel = abs(float(o["loss"]) - float(r["loss"])) / abs(float(r["loss"]))
grad_rel = np.linalg.norm(g1 - g0) / np.linalg.norm(g0)
ok = term_rel.max() <= a.tolerance and loss_rel <= a.tolerance and grad_rel <= a.gradient_tolerance
h, w = g0.shape[:2]
print(f"agreement {names} at {w}x{h}, weights {r['weights']}: loss {float(r['loss']):.7g} / {float(o['loss']):.7g}; "
      f"largest relative difference of a loss term {term_rel[worst]:.1e} ({TERMS[worst]}); "
      f"image gradient relative L2 difference {grad_rel:.1e} -> {'AGREE' if ok else 'DISAGREE'} (tolerances {a.tolerance:g} and {a.gradient_tolerance:g})")
sys.exit(0 if ok else 1)
