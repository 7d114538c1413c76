#!/usr/bin/env python3
"""run.sh's report: one line per run as it finishes, and the tables at the end (Markdown,
ready to paste into a dated measurement file). Standard library only.

  summarize.py line RUN ROUND RESULT.json TIME.txt   one run's line
  summarize.py tables OUT_DIR RUN...                  the tables over every round in OUT_DIR

A run is FRAMEWORK-PRECISION (tf-fp32, tf-bf16, jax-fp32, nst-fp32, nst-bf16,
nst-bf16-backward); its files in OUT_DIR are RUN-roundN.json (the script's or `nst bench
--json`'s output) and RUN-roundN.time (`/usr/bin/time -v`'s report).
"""
import glob
import json
import os
import re
import statistics
import sys

NAMES = {"tf": "TensorFlow", "jax": "JAX", "nst": "nst"}


def load(json_path, time_path):
    """→ {s, min, max, cpu, rss_self, rss_time, version, precision, threads} for one run."""
    with open(json_path) as f:
        d = json.load(f)
    if "sizes" in d:  # nst bench --json
        s = d["sizes"][0]
        r = {"s": s["iteration_s"], "min": s["iteration_min_s"], "max": s["iteration_max_s"],
             "cpu": s["iteration_cpu_s"], "rss_self": s["peak_rss_mib"], "version": None,
             "precision": d.get("precision", "?"), "threads": d.get("threads", "?"),
             "size": f"{s['width']}x{s['height']}"}
    else:
        r = {"s": d["iteration_s"], "min": d["iteration_min_s"], "max": d["iteration_max_s"],
             "cpu": d["iteration_cpu_s"], "rss_self": d["peak_rss_mib"], "version": d.get("version"),
             "precision": d.get("precision", "?"), "threads": d.get("threads", "?"),
             "size": f"{d['width']}x{d['height']}"}
    r["rss_time"] = None
    if time_path and os.path.exists(time_path):
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(time_path).read())
        if m:
            r["rss_time"] = int(m.group(1)) / 1024
    return r


def rss(r):
    return r["rss_time"] if r["rss_time"] is not None else r["rss_self"]


def label(run, version=None):
    framework, precision = run.split("-", 1)
    name = NAMES.get(framework, framework)
    return f"{name} {version} {precision}" if version else f"{name} {precision}"


def line(run, round_, json_path, time_path):
    r = load(json_path, time_path)
    rss_time = f"{r['rss_time']:.0f} MiB (time -v)" if r["rss_time"] is not None else "n/a (no /usr/bin/time)"
    print(f"round {round_} {label(run, r['version'])} {r['size']}: {r['s']:.3f} s per iteration "
          f"(min {r['min']:.3f}, max {r['max']:.3f}; CPU {r['cpu']:.3f} s; {r['threads']} threads; "
          f"ran {r['precision']}), peak RSS {rss_time}, {r['rss_self']:.0f} MiB self-reported")


def tables(out, runs):
    results = {}  # (run, round) -> result
    for run in runs:
        for path in glob.glob(os.path.join(out, f"{run}-round*.json")):
            m = re.search(r"-round(\d+)\.json$", path)
            try:
                results[(run, int(m.group(1)))] = load(path, path[:-5] + ".time")
            except (ValueError, KeyError, OSError):
                pass  # a failed run: its cell stays empty
    runs = [r for r in runs if any(k[0] == r for k in results)]
    if not runs:
        print("no results")
        return
    rounds = sorted({k[1] for k in results})
    version = {run: next((results[k]["version"] for k in results if k[0] == run), None) for run in runs}
    head = "| round | " + " | ".join(label(r, version[r]) for r in runs) + " |"
    rule = "|---" * (len(runs) + 1) + "|"

    def table(title, cell):
        print(f"\n{title}\n\n{head}\n{rule}")
        for n in rounds:
            print(f"| {n} | " + " | ".join(cell(results[(r, n)]) if (r, n) in results else "—" for r in runs) + " |")

    table("Seconds per iteration (median of each run's timed iterations):", lambda r: f"{r['s']:.3f} s")
    table("Process CPU seconds per iteration (all threads; median):", lambda r: f"{r['cpu']:.3f} s")
    table("Peak RSS of the whole process (`/usr/bin/time -v`, MiB):", lambda r: f"{rss(r):.0f}")

    # Speed-ups of nst, per round: the other side's time ÷ nst's.
    pairs = [(a, b) for a, b in [("tf-fp32", "nst-fp32"), ("jax-fp32", "nst-fp32"), ("tf-bf16", "nst-bf16"),
                                 ("nst-fp32", "nst-bf16"), ("nst-fp32", "nst-bf16-backward")] if a in runs and b in runs]
    if pairs:
        print("\nRatios, per round (time of the first ÷ time of the second; > 1: the second is faster):\n")
        print("| round | " + " | ".join(f"{label(a)} ÷ {label(b)}" for a, b in pairs) + " |")
        print("|---" * (len(pairs) + 1) + "|")
        for n in rounds:
            print(f"| {n} | " + " | ".join(
                f"{results[(a, n)]['s'] / results[(b, n)]['s']:.2f}×" if (a, n) in results and (b, n) in results else "—"
                for a, b in pairs) + " |")
        meds = []
        for a, b in pairs:
            ratios = [results[(a, n)]["s"] / results[(b, n)]["s"] for n in rounds if (a, n) in results and (b, n) in results]
            if ratios:
                meds.append(f"{label(a)} ÷ {label(b)} {statistics.median(ratios):.2f}× (range {min(ratios):.2f}–{max(ratios):.2f})")
        print("\nMedian over rounds: " + "; ".join(meds) + ".")


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "line":
        line(*sys.argv[2:6])
    elif len(sys.argv) >= 4 and sys.argv[1] == "tables":
        tables(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
