#!/usr/bin/env bash
# Fuzzes the weight-file readers with libFuzzer: safetensors, ONNX (protobuf), zip (+inflate).
#   bash Tests/Fuzz/weights/run.sh [seconds-per-target, default 60]
# Builds into .build-fuzz/ (separate from SwiftPM's .build), starts from the seed corpora in
# Tests/Fuzz/corpus/<target>/ (new inputs found go to .build-fuzz/corpus/<target>/), and writes
# crashing inputs to Tests/Fuzz/artifacts/ (git-ignored): turn each into a regression test.
set -euo pipefail
cd "$(dirname "$0")/../../.."
seconds="${1:-60}"
out=.build-fuzz
mkdir -p "$out" Tests/Fuzz/artifacts
swiftc -swift-version 6 -parse-as-library -sanitize=fuzzer,address -O -module-name NSTWeightsFuzz \
  -I Sources/_CZlib -I Sources/_CHDF5 -Xcc -I/usr/include/hdf5/serial \
  -L/usr/lib/x86_64-linux-gnu/hdf5/serial -lz -lhdf5_serial \
  Sources/NSTWeights/*.swift Tests/Fuzz/weights/FuzzWeights.swift -o "$out/fuzz-weights"
for target in safetensors onnx zip; do
  mkdir -p "$out/corpus/$target"
  echo "== $target ($seconds s)"
  SWIFT_BACKTRACE=enable=no NST_FUZZ_TARGET=$target "$out/fuzz-weights" \
    -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 \
    -artifact_prefix="Tests/Fuzz/artifacts/$target-" \
    "$out/corpus/$target" "Tests/Fuzz/corpus/$target" 2>&1 | grep -E "^(stat::number_of_executed_units|stat::new_units_added|Done|==[0-9]+==ERROR|SUMMARY)" || true
done
