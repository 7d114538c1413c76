#!/usr/bin/env bash
# Runs libFuzzer targets: scripts/fuzz.sh [SECONDS] [TARGET…]   (default: 600 s, every
# `nst-fuzz-*` executable target in Package.swift).
#
# Each target is built with -sanitize=fuzzer,address under its own scratch path
# (.build-fuzz/), seeded from Tests/Fuzz/corpus/<name>/ (committed), growing its working
# corpus in .build-fuzz/corpus/<name>/. Crashes go to Tests/Fuzz/artifacts/<name>/ (ignored
# by git); re-run one with a plain build: `swift run nst-fuzz-<name> Tests/Fuzz/artifacts/<name>/crash-…`,
# fix it, and add the input to the target's regression tests.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(grep -o 'name: "nst-fuzz-[a-z-]*"' Package.swift | sed 's/name: "\(.*\)"/\1/')
fi
for target in "${targets[@]}"; do
    name=${target#nst-fuzz-}
    echo "== $target: building with libFuzzer + AddressSanitizer"
    swift build --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DNST_FUZZ --product "$target"
    mkdir -p ".build-fuzz/corpus/$name" "Tests/Fuzz/artifacts/$name"
    echo "== $target: fuzzing for $seconds s"
    # SWIFT_BACKTRACE=enable=no: let libFuzzer, not Swift's backtracer, handle crashes and
    # write the crash file.
    SWIFT_BACKTRACE=enable=no ".build-fuzz/debug/$target" \
        -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
        -artifact_prefix="Tests/Fuzz/artifacts/$name/" \
        ".build-fuzz/corpus/$name" "Tests/Fuzz/corpus/$name"
done
