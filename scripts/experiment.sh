#!/usr/bin/env bash
# Sets up a fresh machine and runs the main job: the quiz's 3-vs-5-style-layer
# experiment on the sea turtle and the Great Wave, written to ~/.local/share/nst/style-depth/
# (under $XDG_DATA_HOME if set), where `nst quiz` finds it; pass -o DIR to write elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release
.build/release/nst model fetch --if-missing
.build/release/nst experiment style-depth "$@"
