#!/usr/bin/env bash
# The spread table of issue 31: whether a bf16 mode changes the result of the style-depth
# experiment by more than fp32's own chaos does. For each precision in PRECISIONS and each
# content weight in WEIGHTS (1 and 1 ± 1e-6, 2e-6: the same objective up to rounding, so the
# fp32 runs' spread is the objective's own chaos) it runs the whole experiment,
#   nst experiment style-depth -o OUT/<precision>-<weight> --precision P --content-weight W
# one at a time (never two at once), skipping a folder that already holds a metrics.json,
# then prints the table and the verdict of `spread.py` (see README.md for the bar).
#
# Usage: NST=path/to/nst OUT=folder bash spread.sh [more experiment flags, e.g. --scales 3 ...]
#   env: NST (default: nst on PATH), OUT (default: ${TMPDIR:-/tmp}/nst-bf16-spread),
#        PRECISIONS (default: fp32 bf16-backward bf16; fp32 is the reference and must be first),
#        WEIGHTS (default: 1 0.999999 1.000001 0.999998 1.000002).
# Time: at the defaults (384 px, 2 × 250 evaluations) 2–3 minutes an experiment on 2 cores:
# 15 experiments, 35–45 minutes. It does not run in CI.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NST=${NST:-nst}
OUT=${OUT:-${TMPDIR:-/tmp}/nst-bf16-spread}
PRECISIONS=${PRECISIONS:-fp32 bf16-backward bf16}
WEIGHTS=${WEIGHTS:-1 0.999999 1.000001 0.999998 1.000002}
mkdir -p "$OUT"

echo "== load before: $(uptime)" >&2
for weight in $WEIGHTS; do
    for precision in $PRECISIONS; do
        dir=$OUT/$precision-$weight
        if [ -f "$dir/metrics.json" ]; then
            echo "   $precision, content weight $weight: kept from an earlier run" >&2
            continue
        fi
        log=$OUT/$precision-$weight.log
        start=$(date +%s)
        if ! "$NST" experiment style-depth -o "$dir" --precision "$precision" --content-weight "$weight" "$@" \
            >"$log" 2>&1; then
            echo "spread.sh: the experiment failed ($precision, content weight $weight); the end of $log:" >&2
            tail -n 5 "$log" >&2
            exit 1
        fi
        echo "   $precision, content weight $weight: done in $(( $(date +%s) - start )) s" >&2
    done
done
echo "== load after: $(uptime)" >&2

python3 "$HERE/spread.py" "$OUT" --precisions $PRECISIONS --weights $WEIGHTS
