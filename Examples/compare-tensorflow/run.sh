#!/usr/bin/env bash
# Side-by-side speed and memory of one style-transfer iteration: TensorFlow (CPU), JAX (XLA CPU)
# and `nst bench`, on this machine, at one image size (longest side, 4:3 landscape; 384 → 384×288).
#
# One iteration = VGG16 forward to conv5_2 / block5_conv2, Gram style losses on
# conv1_1…conv5_1 plus the content loss on conv5_2, and the gradient w.r.t. the image only
# (iteration_workload.py). Every run does 2 untimed warm-ups, then --repeat timed iterations,
# and reports their median. The runs ALTERNATE within each round, for --rounds rounds, so
# that drift in the machine's load hits every side; each runs under /usr/bin/time -v for
# its whole process's peak RSS. Before the timed rounds (and in each round, on the timed
# runs' own results) TensorFlow's and JAX's loss terms and image gradients are compared.
#
# Usage: bash run.sh [--nst PATH] [--rounds N] [--size PX] [--repeat N] [--runs "LIST"]
#                    [--model FILE] [--install] [--no-check] [SIZE]
#   --nst PATH     the nst binary (default: $NST, else nst on PATH); a release build
#   --rounds N     alternating rounds (default 3)
#   --size PX      longest image side (default 384); a bare number is the size too
#   --repeat N     timed iterations per run (default 10)
#   --runs LIST    runs per round, in order (default "tf-fp32 nst-fp32 jax-fp32 nst-bf16
#                  nst-bf16-backward"; also tf-bf16: TensorFlow with ONEDNN_DEFAULT_FPMATH_MODE=BF16)
#   --model FILE   an nst VGG16 model file for every side (default: random weights; the speed
#                  does not depend on the values)
#   --install      first create the two venvs below and pip install TensorFlow and JAX there
#   --no-check     skip the agreement check before the rounds
#   env: TF_PYTHON, JAX_PYTHON (interpreters; default: the venvs below if they exist, else
#        python3), TF_PACKAGE (tensorflow-cpu), JAX_PACKAGE (jax[cpu]), NST_BENCH_FLAGS
#        (extra flags for nst bench), TMPDIR
# Nothing this script installs is part of the project: the venvs are
# ${TMPDIR:-/tmp}/nst-tf-venv and ${TMPDIR:-/tmp}/nst-jax-venv (delete them when done).
# A framework that is not installed is skipped with a message; so are the bf16 runs of nst
# on a CPU without AVX512-BF16.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NST=${NST:-nst}
ROUNDS=${ROUNDS:-3}
SIZE=384
REPEAT=${REPEAT:-10}
RUNS=${RUNS:-tf-fp32 nst-fp32 jax-fp32 nst-bf16 nst-bf16-backward}
MODEL=
INSTALL=0
CHECK=1
COMMAND="bash Examples/compare-tensorflow/run.sh$(printf ' %q' "$@")"
usage() { sed -n '/^# Usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case $1 in
        --nst) NST=${2:?--nst needs a path}; shift 2 ;;
        --rounds) ROUNDS=${2:?--rounds needs a number}; shift 2 ;;
        --size) SIZE=${2:?--size needs a number}; shift 2 ;;
        --repeat) REPEAT=${2:?--repeat needs a number}; shift 2 ;;
        --runs) RUNS=${2:?--runs needs a list}; shift 2 ;;
        --model) MODEL=${2:?--model needs a file}; shift 2 ;;
        --install) INSTALL=1; shift ;;
        --no-check) CHECK=0; shift ;;
        -h|--help) usage 0 ;;
        [0-9]*) SIZE=$1; shift ;;
        *) echo "run.sh: unknown argument '$1'" >&2; usage ;;
    esac
done
for n in "$ROUNDS" "$SIZE" "$REPEAT"; do
    case $n in ''|*[!0-9]*) echo "run.sh: '$n' is not a whole number (--rounds, --size, --repeat)" >&2; exit 2 ;; esac
done
for run in $RUNS; do
    case $run in tf-fp32|tf-bf16|jax-fp32|nst-fp32|nst-bf16|nst-bf16-backward) ;;
        *) echo "run.sh: unknown run '$run' in --runs; known: tf-fp32 tf-bf16 jax-fp32 nst-fp32 nst-bf16 nst-bf16-backward" >&2; exit 2 ;;
    esac
done
[ -z "$MODEL" ] || [ -f "$MODEL" ] || { echo "run.sh: --model $MODEL: no such file (nst's default model: ~/.cache/nst/models/vgg16.safetensors)" >&2; exit 2; }

TF_VENV=${TMPDIR:-/tmp}/nst-tf-venv
JAX_VENV=${TMPDIR:-/tmp}/nst-jax-venv
if [ "$INSTALL" = 1 ]; then
    for pair in "$TF_VENV ${TF_PACKAGE:-tensorflow-cpu}" "$JAX_VENV ${JAX_PACKAGE:-jax[cpu]}"; do
        venv=${pair%% *} package=${pair#* }
        echo "== pip install $package into $venv" >&2
        [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
        "$venv/bin/pip" install -q "$package"
    done
fi
TF_PYTHON=${TF_PYTHON:-$( [ -x "$TF_VENV/bin/python" ] && echo "$TF_VENV/bin/python" || echo python3 )}
JAX_PYTHON=${JAX_PYTHON:-$( [ -x "$JAX_VENV/bin/python" ] && echo "$JAX_VENV/bin/python" || echo python3 )}

# Which sides can run here; the others are dropped from RUNS with a message.
HAS_BF16=$(grep -q -w avx512_bf16 /proc/cpuinfo 2>/dev/null && echo 1 || echo 0)
have_tf=0 have_jax=0 have_nst=0
"$TF_PYTHON" -c 'import tensorflow' >/dev/null 2>&1 && have_tf=1
"$JAX_PYTHON" -c 'import jax' >/dev/null 2>&1 && have_jax=1
command -v "$NST" >/dev/null 2>&1 && "$NST" --version >/dev/null 2>&1 && have_nst=1
kept=
for run in $RUNS; do
    case $run in
        tf-*) [ $have_tf = 1 ] || { echo "== skipping $run: TensorFlow is not installed for $TF_PYTHON (pip install tensorflow-cpu; or run.sh --install; or set TF_PYTHON)"; continue; } ;;
        jax-*) [ $have_jax = 1 ] || { echo "== skipping $run: JAX is not installed for $JAX_PYTHON (pip install \"jax[cpu]\"; or run.sh --install; or set JAX_PYTHON)"; continue; } ;;
        nst-*) [ $have_nst = 1 ] || { echo "== skipping $run: no nst binary at '$NST' (swift build -c release, then --nst .build/release/nst)"; continue; } ;;
    esac
    case $run in
        *-bf16*) [ "$HAS_BF16" = 1 ] || { echo "== skipping $run: this CPU has no AVX512-BF16 (nst would run fp32)"; continue; } ;;
    esac
    kept="$kept $run"
done
RUNS=${kept# }
[ -n "$RUNS" ] || { echo "run.sh: nothing to run" >&2; exit 1; }
TIME=(/usr/bin/time -v -o)
[ -x /usr/bin/time ] || { echo "== /usr/bin/time not found (Debian: apt-get install time): peak RSS is each side's own report"; TIME=(); }

OUT=${TMPDIR:-/tmp}/nst-compare/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
PY_FLAGS=() NST_FLAGS=(--random-weights)
[ -z "$MODEL" ] || { PY_FLAGS=(--weights "$MODEL"); NST_FLAGS=(--model "$MODEL"); }

# One run: RUN ROUND [extra python flags] → OUT/RUN-roundN.{json,log,time}; 1 when it failed.
run_one() {
    local run=$1 round=$2; shift 2
    local base=$OUT/$run-round$round cmd
    case $run in
        tf-fp32) cmd=(env ONEDNN_DEFAULT_FPMATH_MODE=STRICT "$TF_PYTHON" "$HERE/tf_iteration.py" "$SIZE" "$REPEAT" "${PY_FLAGS[@]}" "$@") ;;
        tf-bf16) cmd=(env ONEDNN_DEFAULT_FPMATH_MODE=BF16 "$TF_PYTHON" "$HERE/tf_iteration.py" "$SIZE" "$REPEAT" "${PY_FLAGS[@]}" "$@") ;;
        jax-fp32) cmd=("$JAX_PYTHON" "$HERE/jax_iteration.py" "$SIZE" "$REPEAT" "${PY_FLAGS[@]}" "$@") ;;
        # shellcheck disable=SC2086  # NST_BENCH_FLAGS is a list of flags
        nst-*) cmd=("$NST" bench --sizes "$SIZE" --repeat "$REPEAT" --warmup 2 --json --precision "${run#nst-}"
                    --pooling max "${NST_FLAGS[@]}" ${NST_BENCH_FLAGS:-}) ;;
    esac
    echo "${cmd[*]}" >"$base.cmd"
    if [ ${#TIME[@]} -gt 0 ]; then
        "${TIME[@]}" "$base.time" "${cmd[@]}" >"$base.json" 2>"$base.log" || { echo "== $run failed in round $round: see $base.log"; rm -f "$base.json"; return 1; }
    else
        "${cmd[@]}" >"$base.json" 2>"$base.log" || { echo "== $run failed in round $round: see $base.log"; rm -f "$base.json"; return 1; }
    fi
}

# TensorFlow's and JAX's loss terms and image gradients on the same inputs and weights.
agree() {
    "$JAX_PYTHON" "$HERE/compare_outputs.py" "$1" "$2" || echo "== WARNING: TensorFlow and JAX disagree: they are not timing the same computation"
}

{
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'). Command: \`${NST_BENCH_FLAGS:+NST_BENCH_FLAGS=\"$NST_BENCH_FLAGS\" }$COMMAND\` (runs in each round: $RUNS; rounds: $ROUNDS; timed iterations per run: $REPEAT, after 2 warm-ups; weights: ${MODEL:-random, seeded})."
echo
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1) (family $(lscpu | sed -n 's/^CPU family: *//p' | head -n 1), model $(lscpu | sed -n 's/^Model: *//p' | head -n 1)), $(nproc) CPUs available ($(lscpu | sed -n 's/^Thread(s) per core: *//p') thread(s) per core, L2 $(lscpu | sed -n 's/^L2 cache: *//p'), L3 $(lscpu | sed -n 's/^L3 cache: *//p'))."
echo "bf16/AMX flags: $(grep -o -w -E 'avx512f|avx512_bf16|avx512_fp16|amx_bf16|amx_tile|amx_int8' /proc/cpuinfo | sort -u | tr '\n' ' ')(avx512_bf16: $([ "$HAS_BF16" = 1 ] && echo yes || echo no); AMX: $(grep -q -w amx_tile /proc/cpuinfo && echo yes || echo no))."
echo "Versions: nst $([ $have_nst = 1 ] && "$NST" --version || echo -), TensorFlow $([ $have_tf = 1 ] && "$TF_PYTHON" -c 'import os; os.environ["TF_CPP_MIN_LOG_LEVEL"]="3"; import tensorflow as t; print(t.__version__)' 2>/dev/null || echo -), JAX $([ $have_jax = 1 ] && "$JAX_PYTHON" -c 'import jax, jaxlib; print(jax.__version__, "/ jaxlib", jaxlib.__version__)' 2>/dev/null || echo -), Python $(python3 -c 'import platform; print(platform.python_version())')."
echo "Code: nst commit $(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$HERE" diff --quiet HEAD -- 2>/dev/null || echo ' with uncommitted changes') (the nst binary: $NST)."
echo "Load before: $(uptime | sed 's/.*load average/load average/')."
} | tee "$OUT/header.md"

if [ "$CHECK" = 1 ] && [ $have_tf = 1 ] && [ $have_jax = 1 ]; then
    echo "== agreement check (one run each, 2 iterations)"
    "$TF_PYTHON" "$HERE/tf_iteration.py" "$SIZE" 2 "${PY_FLAGS[@]}" --dump "$OUT/check-tf.npz" >/dev/null 2>"$OUT/check-tf.log" &&
    "$JAX_PYTHON" "$HERE/jax_iteration.py" "$SIZE" 2 "${PY_FLAGS[@]}" --dump "$OUT/check-jax.npz" >/dev/null 2>"$OUT/check-jax.log" &&
    agree "$OUT/check-tf.npz" "$OUT/check-jax.npz" | tee "$OUT/agreement.txt" ||
    echo "== agreement check failed to run: see $OUT/check-*.log"
fi

for round in $(seq 1 "$ROUNDS"); do
    for run in $RUNS; do
        dump=()
        case $run in tf-fp32|jax-fp32) dump=(--dump "$OUT/$run-round$round.npz") ;; esac
        run_one "$run" "$round" "${dump[@]}" &&
            python3 "$HERE/summarize.py" line "$run" "$round" "$OUT/$run-round$round.json" "$OUT/$run-round$round.time"
    done
    if [ -f "$OUT/tf-fp32-round$round.npz" ] && [ -f "$OUT/jax-fp32-round$round.npz" ]; then
        agree "$OUT/tf-fp32-round$round.npz" "$OUT/jax-fp32-round$round.npz" | sed "s/^/round $round: /" | tee -a "$OUT/agreement.txt"
    fi
done
echo "Load after: $(uptime | sed 's/.*load average/load average/')." | tee -a "$OUT/header.md"

{
    echo
    echo "## Paste into the measurement file"
    echo
    cat "$OUT/header.md"
    # shellcheck disable=SC2086  # RUNS is a list of run names
    python3 "$HERE/summarize.py" tables "$OUT" $RUNS
    if [ -f "$OUT/agreement.txt" ]; then
        echo
        echo "Agreement of TensorFlow and JAX (same weights and images; \`compare_outputs.py\`):"
        echo
        sed 's/^/- /' "$OUT/agreement.txt"
    fi
    echo
    echo "Raw JSON, /usr/bin/time reports and logs: \`$OUT\`."
} | tee "$OUT/summary.md"
