#!/usr/bin/env bash
# Sweeps the settings of `nst experiment style-depth` and tabulates, for each setting, how
# many times the style loss E_l of each image fell from the unstyled photo's, and the 5/3
# ratios at conv4_1 and conv5_1 (metrics.json's content_image and runs).
#
#   Examples/style-depth-sweep/run.sh                 # the default grid below
#   Examples/style-depth-sweep/run.sh 'b1e7|--style-weight 1e7' 'raw|--no-normalize-vgg --style-weight 1'
#
# Each argument is NAME|FLAGS; a flag given twice takes the later value, so FLAGS may override
# --iterations. Outputs go to out/sweep/NAME/ (figure.png there shows the pair). Environment: NST (the
# binary, default .build/release/nst), SIZE (384), ITERATIONS (150). The table (table.py,
# python3) covers every run under out/sweep/.
set -euo pipefail
cd "$(dirname "$0")/../.."
nst=${NST:-.build/release/nst}
size=${SIZE:-384}
iterations=${ITERATIONS:-150}
[ -x "$nst" ] || { echo "run.sh: $nst not found: swift build -c release first (or set NST)" >&2; exit 2; }
configs=("$@")
if [ ${#configs[@]} -eq 0 ]; then
  configs=(
    'b1e5|--style-weight 1e5'
    'b1e6|--style-weight 1e6'
    'b1e7|--style-weight 1e7'
    'b1e8|--style-weight 1e8'
    'raw-b1|--no-normalize-vgg --style-weight 1'
    'raw-b100|--no-normalize-vgg --style-weight 100'
  )
fi
mkdir -p out/sweep
for c in "${configs[@]}"; do
  name=${c%%|*}; flags=${c#*|}
  dir=out/sweep/$name
  echo "== $name: $flags" >&2
  # shellcheck disable=SC2086
  "$nst" experiment style-depth --size "$size" --iterations "$iterations" --output "$dir" --print-every 0 $flags >"$dir.log" 2>&1 \
    || { echo "run.sh: $name failed, see $dir.log" >&2; continue; }
done
python3 "$(dirname "$0")/table.py" out/sweep
