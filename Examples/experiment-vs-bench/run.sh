#!/usr/bin/env bash
# Does the experiment evaluate at the engine's speed? Runs, in turn, `nst bench` (one
# iteration: VGG16 to conv5_2, style conv1_1…conv5_1, content conv5_2, gradient to the
# image) and `nst experiment style-depth` at its defaults (384×288), and prints for each
# round the bench iteration, the experiment's seconds per evaluation in its 3- and 5-layer
# runs, their ratio to bench, the experiment's process CPU (% of one core) and peak RSS
# (both from /usr/bin/time -v), and its wall time end to end.
#
# Usage: NST=path/to/nst bash run.sh [ROUNDS=1]
#   env: NST (default: nst on PATH), EXTRA (flags for both, e.g. "--precision bf16"),
#        OUT (default: a timestamped folder under ${TMPDIR:-/tmp}/nst-experiment-vs-bench)
# Needs the model (`nst model fetch`) and GNU time (/usr/bin/time, Debian's `time`).
# Run it on a quiet machine: another process on the same cores slows whichever side runs.
set -euo pipefail
ROUNDS=${1:-1}
NST=${NST:-nst}
EXTRA=${EXTRA:-}
OUT=${OUT:-${TMPDIR:-/tmp}/nst-experiment-vs-bench/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
[ -x /usr/bin/time ] || { echo "run.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

echo "== CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
echo "== nst: $("$NST" --version)  extra flags: ${EXTRA:-none}"
# Older builds named the experiment's output folder --output-dir.
if "$NST" experiment style-depth --help | grep -q -- '--output-dir'; then OUTPUT_FLAG=--output-dir; else OUTPUT_FLAG=--output; fi
echo "== load before: $(uptime)"
for round in $(seq 1 "$ROUNDS"); do
    # shellcheck disable=SC2086  # EXTRA is a list of flags
    "$NST" bench --sizes 384 --repeat 10 --json $EXTRA >"$OUT/bench-$round.json" 2>"$OUT/bench-$round.log"
    # shellcheck disable=SC2086
    /usr/bin/time -v -o "$OUT/experiment-$round.time" \
        "$NST" experiment style-depth "$OUTPUT_FLAG" "$OUT/experiment-$round" $EXTRA >"$OUT/experiment-$round.log" 2>&1
    python3 - "$round" "$OUT/bench-$round.json" "$OUT/experiment-$round/metrics.json" "$OUT/experiment-$round.time" <<'EOF'
import json, re, sys
r, bench, metrics, timefile = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), open(sys.argv[4]).read()
it = bench["sizes"][0]["iteration_s"]
def field(name):
    return re.search(re.escape(name) + r": (.*)", timefile).group(1).strip()
cpu = field("Percent of CPU this job got")
rss_mib = int(field("Maximum resident set size (kbytes)")) / 1024
wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
runs = metrics["runs"]
per = {k: runs[k]["seconds"] / runs[k]["evaluations"] for k in sorted(runs)}
print(f"round {r}: bench {it:.3f} s/iteration (peak RSS {bench['sizes'][0]['peak_rss_mib']:.0f} MiB) | experiment "
      + ", ".join(f"{k} layers {v:.3f} s/evaluation ({v / it:.2f}x bench)" for k, v in per.items())
      + f" | CPU {cpu}, peak RSS {rss_mib:.0f} MiB, wall {wall}")
EOF
done
echo "== load after: $(uptime)"
echo "== raw output: $OUT"
