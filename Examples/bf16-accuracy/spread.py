#!/usr/bin/env python3
"""The spread table of issue 31 from the experiment folders spread.sh wrote, and the verdict.

Reads OUT/<precision>-<weight>/metrics.json for every precision and content weight and prints,
per experiment, the ten quantities of the bar (README.md):
  total 3, total 5         the final objective of each run (its last accepted evaluation)
  3/photo r1 r2 r3         3-layer image's E_l ÷ the photo's at relu1_1, relu2_1, relu3_1
  5/photo r1 r2 r3         the same for the 5-layer image
  5/3 r4 r5                5-layer image's E_l ÷ the 3-layer image's at relu4_1, relu5_1
(and, outside the bar, how many of each run's evaluations the line search accepted)
then the reference's range (min..max over its weights) and, for every other precision, each
value outside that range and the verdict: it passes when all its values lie within the range.

Usage: spread.py OUT --precisions fp32 bf16-backward bf16 --weights 1 0.999999 ...
  (the first precision is the reference). --reference-out DIR and --reference-weights W ...
  take the reference's experiments from another folder and weights (e.g. to set a second fp32
  series, at other weights, against the first: how often the bar fails fp32 itself).
"""
import argparse
import json
import os
import statistics
import sys

SHALLOW = ["relu1_1", "relu2_1", "relu3_1"]
DEEP = ["relu4_1", "relu5_1"]
QUANTITIES = (["total 3", "total 5"]
              + [f"3/photo {l[4:]}" for l in SHALLOW] + [f"5/photo {l[4:]}" for l in SHALLOW]
              + [f"5/3 {l[4:]}" for l in DEEP])


def layer(losses, name):
    """E_l at `name`, whether the file names it relu… or conv…."""
    for key in (name, "conv" + name[4:]):
        if key in losses:
            return losses[key]
    raise KeyError(f"no E_l at {name} (has {', '.join(losses)})")


def quantities(path):
    """The ten quantities of one experiment, and the precision and schedule it records."""
    with open(path) as f:
        m = json.load(f)
    runs, photo = m["runs"], m["content_image"]["style_loss"]
    values = [runs[d]["curve"][-1]["total"] for d in ("3", "5")]
    for d in ("3", "5"):
        values += [layer(runs[d]["style_loss"], l) / layer(photo, l) for l in SHALLOW]
    values += [layer(runs["5"]["style_loss"], l) / layer(runs["3"]["style_loss"], l) for l in DEEP]
    accepted = [len(runs[d]["curve"]) for d in ("3", "5")]
    return values, accepted, m.get("options", {}).get("precision")


def fmt(x):
    return f"{x:,.0f}".replace(",", " ") if x >= 1000 else f"{x:.4g}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--precisions", nargs="+", required=True)
    p.add_argument("--weights", nargs="+", required=True)
    p.add_argument("--reference-out", help="folder of the reference's experiments (default: OUT)")
    p.add_argument("--reference-weights", nargs="+", help="the reference's content weights (default: --weights)")
    a = p.parse_args()

    reference = a.precisions[0]
    # One series per precision; the first, the reference, may come from its own folder and weights
    # (so fp32 can be set against fp32 at other weights: the bar's own false-alarm rate).
    series = [(precision, a.reference_out or a.out, a.reference_weights or a.weights) if i == 0
              else (precision, a.out, a.weights) for i, precision in enumerate(a.precisions)]
    rows, problems = [], []   # rows[i]: [(weight, values, accepted)] of series i
    for precision, folder, weights in series:
        found = []
        for weight in weights:
            path = os.path.join(folder, f"{precision}-{weight}", "metrics.json")
            if not os.path.exists(path):
                problems.append(f"missing: {path}")
                continue
            values, accepted, recorded = quantities(path)
            if recorded != precision:
                problems.append(f"{path}: records precision {recorded!r}, not {precision!r} "
                                "(bf16 runs as fp32 on a CPU without AVX512-BF16)")
            found.append((weight, values, accepted))
        rows.append(found)
    for problem in problems:
        print("spread.py: " + problem, file=sys.stderr)

    header = ["precision", "α"] + QUANTITIES + ["accepted 3, 5"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for (precision, _, _), found in zip(series, rows):
        for weight, values, accepted in found:
            print(f"| {precision} | {weight} | " + " | ".join(fmt(x) for x in values)
                  + f" | {', '.join(map(str, accepted))} |")

    ref = [values for _, values, _ in rows[0]]
    if len(ref) < 2:
        print(f"spread.py: fewer than two {reference} experiments: no range to judge against", file=sys.stderr)
        return 1
    low = [min(v[i] for v in ref) for i in range(len(QUANTITIES))]
    high = [max(v[i] for v in ref) for i in range(len(QUANTITIES))]
    print(f"| **{reference} range** | | " + " | ".join(f"{fmt(l)}..{fmt(h)}" for l, h in zip(low, high)) + " | |")
    print(f"| {reference} spread (max/min − 1) | | "
          + " | ".join(f"{(h / l - 1) * 100:.1f} %" for l, h in zip(low, high)) + " | |")

    print()
    for (precision, _, weights), found in zip(series[1:], rows[1:]):
        outside = []
        for w, values, _ in found:
            for i, x in enumerate(values):
                if not low[i] <= x <= high[i]:
                    side = "above" if x > high[i] else "below"
                    edge = high[i] if x > high[i] else low[i]
                    outside.append(f"α={w} {QUANTITIES[i]}: {fmt(x)} ({(x / edge - 1) * 100:+.1f} % {side} the range)")
        total = len(found) * len(QUANTITIES)
        complete = len(found) == len(weights)
        verdict = "PASSES" if complete and not outside else "FAILS" if outside else "INCOMPLETE"
        print(f"{precision}: {total - len(outside)} of {total} values within {reference}'s range: {verdict}")
        for line in outside:
            print("   " + line)
        if len(found) >= 2:  # not part of the bar: where the mode's mean sits, in the reference's sd
            parts = []
            for i, q in enumerate(QUANTITIES):
                r = [v[i] for v in ref]
                mean, ref_mean, ref_sd = statistics.mean(v[i] for _, v, _ in found), statistics.mean(r), statistics.stdev(r)
                parts.append(f"{q} {(mean / ref_mean - 1) * 100:+.1f} % ({(mean - ref_mean) / ref_sd:+.1f} sd)")
            print(f"   mean against {reference}'s mean (in {reference}'s standard deviations; not the bar): " + "; ".join(parts))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
