#!/usr/bin/env python3
"""Worded verdicts before and after: grades Examples/answers/adversarial/*-[a-g].answers
with two nst binaries (`nst quiz --answers FILE --json`) and prints, by category and half
(tuning: -a/-c files, held-out: -b/-d, the red team's answers: redteam-*-e, the third
round's held-out answers: -f, its attacks on that round's rules: -g; the fourth round's: -h;
a blind set written from the questions alone: blind-*-i), how many scores fall in the careful grader's range
(each answer's `# expect: LO..HI`), how many are sure (not needs_review), and how many are
confidently wrong (out of range and sure).

    python3 scripts/worded-verdicts.py OLD_NST NEW_NST [--redteam DIR]

With --redteam DIR, it also grades the answers listed in DIR/answers*.py (each a list `A` of
(question, category, low, high, answer), the outside red team's format) and prints the same
counts by their category, and for their realistic and adversarial answers.
"""
import json, re, subprocess, sys, glob, os, collections
files = sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'Examples/answers/adversarial/*-[abcdefghi].answers')))
expect = {}
for f in files:
    cur = None
    for line in open(f):
        m = re.match(r'== answer (\d+) ==', line)
        if m: cur = int(m.group(1)); continue
        m = re.match(r'# expect: ([\d.]+)\.\.([\d.]+)', line)
        if m and cur: expect[(f, cur)] = (float(m.group(1)), float(m.group(2)))
def cat(f):
    b = os.path.basename(f); c, h = b.rsplit('-', 1)
    if h[0] == 'e': return 'red team: ' + c.removeprefix('redteam-'), 'red team'
    if h[0] in 'fg': return c, ('round 3 held-out' if h[0] == 'f' else 'round 3 attacks')
    if h[0] == 'h': return c, 'round 4'
    if h[0] == 'i': return re.sub(r'\d+$', '', c.removeprefix('blind-')), 'blind set'
    c = {'phrasing': 'free true/false & choice', 'ownwords': 'paraphrase (own words)', 'paraphrase': 'paraphrase (rubric words)',
         'grader': 'grader instructions', 'misconception': 'fluent misconception', 'stuffing': 'keyword stuffing'}.get(c, c)
    return c, ('tuning' if h[0] in 'ac' else 'held-out')
def run(binary):
    st = collections.defaultdict(lambda: [0,0,0,0])
    for f in files:
        j = json.loads(subprocess.run([binary, 'quiz', '--answers', f, '--json'], capture_output=True, text=True).stdout)
        for q in j['questions']:
            k = (f, q['question'])
            if k not in expect: continue
            lo, hi = expect[k]; fr = q['score']/q['max']; inr = lo-0.005 <= fr <= hi+0.005; sure = not q['needs_review']
            c, h = cat(f)
            for key in [(c, h), ('all', h), ('all', 'every file')] + ([(c, 'both'), ('all', 'both')] if h in ('tuning', 'held-out') else []):
                s = st[key]; s[0]+=1; s[1]+=inr; s[2]+=sure; s[3]+= (not inr and sure)
    return st
def run_redteam(binary, folder):
    import tempfile
    items = []
    for p in sorted(glob.glob(os.path.join(folder, 'answers*.py'))):
        g = {}; exec(open(p).read(), g); items += g['A']
    st = collections.defaultdict(lambda: [0,0,0,0])
    realistic = {'paraphrase', 'expert', 'hedged', 'phrasing', 'numbers', 'partial', 'terse'}
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for i, (q, c, lo, hi, text) in enumerate(items):
            paths.append(os.path.join(d, f'{i:03d}.answers'))
            open(paths[-1], 'w').write(f'== answer {q} ==\n{text}\n')
        j = json.loads(subprocess.run([binary, 'quiz', '--answers', *paths, '--json'], capture_output=True, text=True).stdout)
        by = {os.path.basename(r['answers']): r for r in j['reports']}
        for i, (q, c, lo, hi, text) in enumerate(items):
            e = next(x for x in by[f'{i:03d}.answers']['questions'] if x['question'] == q)
            fr = e['score']/e['max']; inr = lo-0.005 <= fr <= hi+0.005; sure = not e['needs_review']
            for key in [(c, 'red team (outside)'), ('all', 'red team (outside)'),
                        ('realistic' if c in realistic else 'adversarial', 'red team (outside)')]:
                s = st[key]; s[0]+=1; s[1]+=inr; s[2]+=sure; s[3]+= (not inr and sure)
    return st
old, new = run(sys.argv[1]), run(sys.argv[2])
if '--redteam' in sys.argv:
    folder = sys.argv[sys.argv.index('--redteam') + 1]
    for target, binary in [(old, sys.argv[1]), (new, sys.argv[2])]:
        target.update(run_redteam(binary, folder))
for half in ['both', 'tuning', 'held-out', 'red team', 'round 3 held-out', 'round 3 attacks', 'round 4', 'blind set', 'every file', 'red team (outside)']:
    if not any(k[1] == half for k in new): continue
    print(f"\n{half}:\n| category | in range before | in range after | sure before | sure after | confident wrong before | after |\n|---|---|---|---|---|---|---|")
    for key in sorted(k for k in new if k[1] == half):
        o, n = old[key], new[key]
        print(f"| {key[0]} | {o[1]}/{o[0]} | {n[1]}/{n[0]} | {o[2]}/{o[0]} | {n[2]}/{n[0]} | {o[3]} | {n[3]} |")
