#!/usr/bin/env bash
# How far the fast convolutions move the experiment's result: the best total loss in
# EVALUATIONS L-BFGS evaluations of `nst transfer` (sea turtle + Great Wave, the experiment's
# 5-layer run: content layer CONTENT_LAYERS = relu5_2, every other option at its default),
# through im2col (the reference path) and through each configuration in CONFIGS, once per
# content weight in WEIGHTS. The weights are 1 and 1 ± a few 1e-6: the same objective up
# to rounding, so the spread of the im2col runs among themselves is the run-to-run chaos
# that any difference between configurations has to be read against.
#
# Per configuration it prints the best losses, their mean, standard deviation and range,
# the mean's difference from im2col's, and the paired differences (same weight).
# The runs of one weight go back to back, so a change in machine load hits all of them.
#
# Usage: NST=path/to/nst bash run.sh [SIZE=384]
#   env: NST (default: nst on PATH), EVALUATIONS (100),
#        WEIGHTS (default: 1 0.999999 1.000001 1.000002 0.999998 1.000003 0.999997 1.000004),
#        CONFIGS (default: auto; each of auto, f2, f4, f6 — f<m> = Winograd F(m×m) for every
#        layer of 16 channels or more — or bf16 / bf16-backward = auto with that --precision),
#        REFERENCE (the configuration the others are paired with; default im2col),
#        CONTENT, STYLE (default: Examples/images/),
#        CONTENT_LAYERS (relu5_2, the experiment's; relu4_2 is nst transfer's default),
#        TRANSFER_FLAGS (more flags for every `nst transfer`, e.g. "--pooling avg").
# Time: at 384 px 67–91 s per im2col run and 32–55 s per fast run on 2 cores.
set -euo pipefail

SIZE=${1:-384}
NST=${NST:-nst}
EVALUATIONS=${EVALUATIONS:-100}
WEIGHTS=${WEIGHTS:-1 0.999999 1.000001 1.000002 0.999998 1.000003 0.999997 1.000004}
CONFIGS=${CONFIGS:-auto}
REFERENCE=${REFERENCE:-im2col}
CONTENT_LAYERS=${CONTENT_LAYERS:-relu5_2}
TRANSFER_FLAGS=${TRANSFER_FLAGS:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CONTENT=${CONTENT:-$HERE/../images/sea-turtle.jpg}
STYLE=${STYLE:-$HERE/../images/great-wave.jpg}
OUT=${TMPDIR:-/tmp}/nst-accuracy-drift/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"

run() {  # run <config> <weight>: one transfer, its sidecar in $OUT/<config>-<weight>.json
    local config=$1 weight=$2 algorithm=auto tile= precision=fp32
    case $config in
        im2col) algorithm=im2col ;;
        auto) ;;
        f2|f4|f6) tile=${config#f} ;;
        bf16|bf16-backward) precision=$config ;;
        *) echo "run.sh: unknown configuration '$config' (use im2col, auto, f2, f4, f6, bf16 or bf16-backward)" >&2; exit 2 ;;
    esac
    local log=$OUT/$config-$weight.log
    # shellcheck disable=SC2086  # TRANSFER_FLAGS is a list of flags
    if ! NST_CONV_ALGORITHM=$algorithm NST_WINOGRAD_TILE=$tile "$NST" transfer --content "$CONTENT" --style "$STYLE" \
        --size "$SIZE" --iterations "$EVALUATIONS" --content-weight "$weight" --content-layers "$CONTENT_LAYERS" \
        --precision "$precision" --output "$OUT/$config-$weight.png" $TRANSFER_FLAGS >"$log" 2>&1; then
        echo "run.sh: nst transfer failed ($config, content weight $weight); the end of $log:" >&2
        tail -n 5 "$log" >&2
        exit 1
    fi
}

for image in "$CONTENT" "$STYLE"; do
    [ -f "$image" ] || { echo "run.sh: $image not found: the experiment images ship in Examples/images/; set CONTENT and STYLE for others" >&2; exit 2; }
done

echo "== load before: $(uptime)"
for weight in $WEIGHTS; do
    for config in $REFERENCE $CONFIGS; do
        run "$config" "$weight"
        echo "   $config, content weight $weight: done" >&2
    done
done
echo "== load after: $(uptime)"

python3 - "$OUT" "$WEIGHTS" "$REFERENCE" $CONFIGS <<'PY'
import json, statistics, sys
out, weights, configs = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
ref = configs[0]
def best(config, weight):
    d = json.load(open(f"{out}/{config}-{weight}.json"))
    return min(c["total"] for c in d["curve"]), d["seconds"]
runs = {c: [best(c, w) for w in weights] for c in configs}
reference = [loss for loss, _ in runs[ref]]
reference_mean = statistics.mean(reference)
for c in configs:
    losses = [loss for loss, _ in runs[c]]
    seconds = [s for _, s in runs[c]]
    mean = statistics.mean(losses)
    sd = statistics.stdev(losses) if len(losses) > 1 else 0.0
    print(f"{c}: best losses {' '.join(f'{x:.0f}' for x in losses)}")
    print(f"   mean {mean:.0f} ({(mean / reference_mean - 1) * 100:+.2f} % from {ref}'s), "
          f"sd {sd / mean * 100:.2f} %, range {(max(losses) - min(losses)) / mean * 100:.2f} %, "
          f"{min(seconds):.0f}–{max(seconds):.0f} s a run")
    if c != ref:
        pairs = [x / r - 1 for x, r in zip(losses, reference)]
        print(f"   ratio to {ref} (same weight): {' '.join(f'{x / r:.4f}' for x, r in zip(losses, reference))}")
        print(f"   paired with {ref}: {' '.join(f'{p * 100:+.2f}' for p in pairs)} % "
              f"(above in {sum(p > 0 for p in pairs)} of {len(pairs)})")
PY
echo "== sidecars and logs: $OUT"
