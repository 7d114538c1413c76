#!/usr/bin/env python3
"""Tabulates the sweep's runs (out/sweep/*/metrics.json) as Markdown.

For each run: how many times E_l fell from the photo's at conv1_1-conv3_1 (3-layer image /
5-layer image), the 5/3 ratios at conv4_1 and conv5_1, the content loss of both images, and,
from the accepted iterates recorded in the 5-layer run's curve, how far E_l at conv3_1 had
fallen after 50 and 100 evaluations (the effect of the evaluation budget).

    python3 Examples/style-depth-sweep/table.py [out/sweep]
"""
import glob, json, os, sys

root = sys.argv[1] if len(sys.argv) > 1 else "out/sweep"
shallow, deep = ["conv1_1", "conv2_1", "conv3_1"], ["conv4_1", "conv5_1"]


def fell_at(run, photo, layer, evaluation):
    """The photo's E_l over the last accepted iterate's at or before `evaluation`."""
    points = [p for p in run["curve"] if isinstance(p, dict) and p["evaluation"] <= evaluation and layer in p["style_loss"]]
    return photo[layer] / points[-1]["style_loss"][layer] if points else float("nan")


print("| run | settings | fell at conv1_1 / conv2_1 / conv3_1 (3-layer ; 5-layer) | 5/3 at conv4_1, conv5_1 | "
      "5-layer conv3_1 fell by eval 50 / 100 | content loss 3 ; 5 |")
print("|---|---|---|---|---|---|")
for path in sorted(glob.glob(os.path.join(root, "*", "metrics.json"))):
    m = json.load(open(path))
    photo = m["content_image"]["style_loss"]
    r3, r5 = m["runs"]["3"], m["runs"]["5"]
    o = m["options"]
    settings = "β %g, %s, %s pool, init %s, content %s, %d evals" % (
        o["style_weight"], "normalised" if m["normalize_vgg"] else "raw VGG", o["pooling"], o["init_mode"],
        m["content_layer"], r5["evaluations"])
    fell = lambda r: " / ".join("%.0f" % (photo[l] / r["style_loss"][l]) for l in shallow)
    ratios = ", ".join("%.2f" % (r5["style_loss"][l] / r3["style_loss"][l]) for l in deep)
    budget = " / ".join("%.0f" % fell_at(r5, photo, "conv3_1", e) for e in (50, 100))
    name = os.path.basename(os.path.dirname(path))
    print("| %s | %s | %s ; %s | %s | %s | %.3g ; %.3g |" % (
        name, settings, fell(r3), fell(r5), ratios, budget, r3["content_loss"], r5["content_loss"]))
