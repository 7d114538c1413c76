#!/usr/bin/env bash
# Side-by-side speed of one style-transfer iteration: TensorFlow (CPU) vs `nst bench`,
# on this machine, at one image size (longest side, 4:3 landscape; default 384 → 384×288).
#
# One iteration = VGG16 forward to conv5_2 / block5_conv2, style Gram losses on
# conv1_1…conv5_1 plus the content loss on conv5_2, and the gradient w.r.t. the
# image only. Both sides use random weights and max pooling (Keras's VGG16), 2
# warm-up then 10 timed iterations, and report the median. The two run
# alternately for ROUNDS rounds so that drift in machine load hits both, in fp32 and
# in bf16 (TensorFlow: oneDNN's ONEDNN_DEFAULT_FPMATH_MODE=BF16; nst: --precision bf16).
#
# Nothing this script installs is part of the project: TensorFlow goes into a
# throwaway venv under ${TMPDIR:-/tmp}/nst-tf-venv (delete it when done).
#
# Usage: NST=path/to/nst bash run.sh [SIZE=384]
#   env: NST (default: nst on PATH), ROUNDS (3), REPEAT (10),
#        NST_BENCH_FLAGS (default: --random-weights --pooling max),
#        PRECISIONS (default: "fp32 bf16"; "fp32" alone on a CPU without AVX512-BF16)
set -euo pipefail

SIZE=${1:-384}
ROUNDS=${ROUNDS:-3}
REPEAT=${REPEAT:-${ITERATIONS:-10}}
NST=${NST:-nst}
NST_BENCH_FLAGS=${NST_BENCH_FLAGS:---random-weights --pooling max}
PRECISIONS=${PRECISIONS:-fp32 bf16}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VENV=${TMPDIR:-/tmp}/nst-tf-venv
OUT=${TMPDIR:-/tmp}/nst-tf-compare/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import tensorflow' 2>/dev/null; then
    echo "== creating $VENV and installing tensorflow-cpu (PyPI)" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q tensorflow-cpu || "$VENV/bin/pip" install -q tensorflow
fi
PY=$VENV/bin/python

# Each round runs, in turn: TensorFlow fp32, nst fp32, TensorFlow with oneDNN's bf16 math
# mode, nst --precision bf16 (the last two only where PRECISIONS includes bf16).
tf_env() { if [ "$1" = bf16 ]; then echo ONEDNN_DEFAULT_FPMATH_MODE=BF16; else echo ONEDNN_DEFAULT_FPMATH_MODE=STRICT; fi; }

echo "== CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); bf16 flags: $(grep -o -w -E 'avx512_bf16|amx_bf16' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "== load before: $(uptime)"
for round in $(seq 1 "$ROUNDS"); do
  for precision in $PRECISIONS; do
    tf_json=$OUT/tf-$precision-$SIZE-round$round.json
    nst_json=$OUT/nst-$precision-$SIZE-round$round.json
    env "$(tf_env "$precision")" "$PY" "$HERE/tf_iteration.py" "$SIZE" "$REPEAT" >"$tf_json" 2>"$OUT/tf-$precision-$SIZE-round$round.log"
    # shellcheck disable=SC2086  # NST_BENCH_FLAGS is a list of flags
    "$NST" bench --sizes "$SIZE" --repeat "$REPEAT" --json --precision "$precision" $NST_BENCH_FLAGS \
        >"$nst_json" 2>"$OUT/nst-$precision-$SIZE-round$round.log"
    # One summary line per round and precision: medians (min–max), median CPU time per
    # iteration, peak RSS, nst's roofline, ratio TF/nst.
    "$PY" - "$round" "$precision" "$tf_json" "$nst_json" <<'EOF'
import json, sys
r, precision, tf, nst = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3])), json.load(open(sys.argv[4]))
s = nst["sizes"][0]
print(f"round {r} {precision} {s['width']}x{s['height']}: "
      f"TF {tf['version']} ({tf['fpmath_mode']}) {tf['iteration_s']:.3f} s ({tf['iteration_min_s']:.3f}-{tf['iteration_max_s']:.3f}, "
      f"CPU {tf['iteration_cpu_s']:.3f} s, {tf['threads']} thr, RSS {tf['peak_rss_mib']:.0f} MiB) | "
      f"nst ({nst.get('precision', '?')}) {s['iteration_s']:.3f} s ({s['iteration_min_s']:.3f}-{s['iteration_max_s']:.3f}, "
      f"CPU {s['iteration_cpu_s']:.3f} s, {nst.get('threads', '?')} thr, RSS {s['peak_rss_mib']:.0f} MiB, roofline {nst['roofline_gflops']:.0f} GFLOP/s) | "
      f"TF/nst {tf['iteration_s'] / s['iteration_s']:.2f}x")
EOF
  done
done
echo "== load after: $(uptime)"
echo "== raw JSON and logs: $OUT"
