#!/usr/bin/env bash
# Sets up a fresh machine and runs the main job: the quiz's 3-vs-5-style-layer
# experiment on the sea turtle and the Great Wave, written to out/style-depth/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release
.build/release/nst model fetch --if-missing
.build/release/nst experiment style-depth --output out/style-depth "$@"
