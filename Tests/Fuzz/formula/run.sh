#!/bin/sh
# Fuzz the formula language (parser + shape checker + evaluator + printers) with libFuzzer.
#   Tests/Fuzz/formula/run.sh [seconds]      (default 60)
# Builds Tests/Fuzz/formula (its own package; Sources/NSTFormula is a symlink to the real module)
# under .build-fuzz/formula with -sanitize=fuzzer,address. New inputs go to .build-fuzz/corpus/formula; the
# committed seeds in Tests/Fuzz/corpus/formula are only read. Crashes land in Tests/Fuzz/artifacts/
# (git-ignored); turn each into a regression test in Tests/NSTFormulaTests.
set -eu
cd "$(dirname "$0")/../../.."
seconds="${1:-60}"
swift build --package-path Tests/Fuzz/formula --scratch-path .build-fuzz/formula -Xswiftc -sanitize=fuzzer,address 2>&1 | grep -v "Cannot export local symbol" || true
mkdir -p .build-fuzz/corpus/formula Tests/Fuzz/artifacts
# libFuzzer needs Swift's backtracer off to write its crash files; leak detection is off because
# the Swift runtime's metadata caches still allocated at exit are reported as leaks.
SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 .build-fuzz/formula/debug/FormulaFuzz \
    .build-fuzz/corpus/formula Tests/Fuzz/corpus/formula \
    -max_total_time="$seconds" -max_len=2500 -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 \
    -artifact_prefix=Tests/Fuzz/artifacts/formula- -print_final_stats=1
