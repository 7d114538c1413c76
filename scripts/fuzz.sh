#!/usr/bin/env bash
# Fuzzes nst's parsers with libFuzzer + AddressSanitizer.
#
#   scripts/fuzz.sh [TARGET…] [--seconds N] [--jobs J]
#
# TARGET: formula derivation bank answers safetensors onnx zip png jpeg (default: all), N seconds each
# (default 600), J targets at a time (default 1). The targets are declared in Package.swift
# only under NST_FUZZ=1 (a plain `swift build`/`swift test` never builds them); here they are
# built with -sanitize=fuzzer,address under the scratch path .build-fuzz/ (git-ignored), and
# the script stops if one does not build. Each target starts from its committed seeds in
# Tests/Fuzz/corpus/<target>/ (only read) and grows its working corpus in
# .build-fuzz/corpus/<target>/. Crashing inputs land in Tests/Fuzz/artifacts/<target>/
# (git-ignored); re-run one with
#   .build-fuzz/debug/fuzz-<target> Tests/Fuzz/artifacts/<target>/crash-…
# then fix it and turn the input into a regression test. A summary line per target
# (executions, corpus size, crashes) is printed at the end and kept in .build-fuzz/<target>.log.
# Exits 1 if a target did not build, did not run, or crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
all=(formula derivation bank answers safetensors onnx zip png jpeg)
seconds=600
jobs=1
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *)
            if [[ " ${all[*]} " != *" $1 "* ]]; then
                echo "fuzz.sh: unknown target '$1'; targets: ${all[*]}" >&2; exit 2
            fi
            targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

case "$seconds" in ''|*[!0-9]*) echo "fuzz.sh: --seconds takes a whole number of seconds, e.g. --seconds 5" >&2; exit 2 ;; esac

echo "== building ${targets[*]} with libFuzzer + AddressSanitizer (.build-fuzz)"
mkdir -p .build-fuzz
for target in "${targets[@]}"; do
    rm -f ".build-fuzz/debug/fuzz-$target"   # a stale binary must not pass for a fresh build
    # "Cannot export local symbol" warnings come from the sanitizer runtime, not our code.
    if ! NST_FUZZ=1 swift build --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address \
            --product "fuzz-$target" > ".build-fuzz/build-$target.log" 2>&1; then
        grep -v "Cannot export local symbol" ".build-fuzz/build-$target.log" | tail -30 >&2
        echo "fuzz.sh: fuzz-$target did not build (full log: .build-fuzz/build-$target.log)" >&2
        exit 1
    fi
    [ -x ".build-fuzz/debug/fuzz-$target" ] || { echo "fuzz.sh: fuzz-$target did not build" >&2; exit 1; }
done

run() {
    local target=$1
    mkdir -p ".build-fuzz/corpus/$target" "Tests/Fuzz/artifacts/$target"
    # SWIFT_BACKTRACE=enable=no lets libFuzzer, not Swift's backtracer, handle a crash and
    # write its input. Leak detection is off: the Swift runtime's metadata caches, still
    # allocated at exit, are reported as leaks.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 ".build-fuzz/debug/fuzz-$target" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="Tests/Fuzz/artifacts/$target/" \
        ".build-fuzz/corpus/$target" "Tests/Fuzz/corpus/$target" > ".build-fuzz/$target.log" 2>&1 || true
}

echo "== fuzzing ${targets[*]}: $seconds s each, $jobs at a time"
running=0
for target in "${targets[@]}"; do
    run "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait

status=0
printf '%-12s %12s %12s %8s\n' target executions corpus crashes
for target in "${targets[@]}"; do
    log=".build-fuzz/$target.log"
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo "?")
    # libFuzzer's last "corp: N/SIZE": the inputs it keeps (seeds + new), and their size.
    corpus=$(tr '\r' '\n' < "$log" | grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' | tail -1 | cut -d' ' -f2 || true)
    crashes=$(ls "Tests/Fuzz/artifacts/$target" | wc -l)
    [ "$crashes" -eq 0 ] || status=1
    # A target that never started fuzzing (it failed at start-up) has no execution count.
    [ "$execs" != "?" ] || { echo "fuzz.sh: fuzz-$target did not run; see .build-fuzz/$target.log" >&2; status=1; }
    printf '%-12s %12s %12s %8s\n' "$target" "$execs" "${corpus:-?}" "$crashes"
done
exit $status
