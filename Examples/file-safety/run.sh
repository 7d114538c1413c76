#!/usr/bin/env bash
# Runs the file-safety probes of docs/measurements/2026-12-07-file-safety.md against the nst binary $1,
# in a fresh temporary folder, and prints one line per probe. Runs some commands under ulimit -v.
ROOT=$(cd "$(dirname "$0")/../.." && pwd); N=$(realpath "$1"); W=$(mktemp -d /tmp/repro26.XXXXXX); cd "$W"
IMG=$ROOT/Examples/images; T="--size 32 --iterations 5 --random-weights"
FIX=$ROOT/Tests/NSTWeightsTests/Fixtures
cp $IMG/sea-turtle.jpg c.jpg; cp $IMG/great-wave.jpg s.jpg
say(){ printf '%-44s %s\n' "$1" "$2"; }
# 1 planted journal
mkdir -p shared home; echo junk > home/junk.txt; echo thesis > home/thesis.txt
printf '%s\0%s\0' $W/home/junk.txt $W/home/thesis.txt > shared/.nst-commit-999999-0123456789abcdef
printf '%s\0%s\0' $W/home/junk.txt $W/home/thesis.txt > shared/.nst-commit-999998-0
$N transfer --content c.jpg --style s.jpg -o shared/out.png $T >/dev/null 2>&1
say "1 planted journal: thesis.txt holds" "$(cat home/thesis.txt 2>/dev/null || echo '(gone)')"
# 2a save-every over the content
cp c.jpg out_2.png; h=$(md5sum < out_2.png)
$N transfer --content out_2.png --style s.jpg -o out.png $T --save-every 2 >/dev/null 2>&1; st=$?
say "2a --save-every over content: exit, content" "$st, $([ "$h" = "$(md5sum < out_2.png)" ] && echo kept || echo OVERWRITTEN)"
# 2b csv over answers
printf '== answer 9 ==\nanswer: false\nx\n' > bob.answers; h=$(md5sum < bob.answers)
$N quiz --answers bob.answers --csv bob.answers >/dev/null 2>&1; st=$?
say "2b --csv over the answers file: exit, file" "$st, $([ "$h" = "$(md5sum < bob.answers)" ] && echo kept || echo OVERWRITTEN)"
# 2c sidecar over --model
echo '{"w":1}' > w.json
$N transfer --content c.jpg --style s.jpg --model w.json -o w.png --size 32 --iterations 2 >/dev/null 2>&1; st=$?
say "2c sidecar over --model w.json: exit, file" "$st, $(cat w.json | head -c 12 | tr '\n' ' ')"
# 3 CSV injection
mkdir cls; printf '== answer 9 ==\nanswer: false\nx\n' > 'cls/=HYPERLINK("evil.example";"x")+cmd.answers'
$N quiz --answers cls --csv g.csv >/dev/null 2>&1
say "3 gradebook cell" "$(sed -n 2p g.csv | cut -c1-40)"
# 4a long sidecar name
L=$(printf 'a%.0s' $(seq 251)); $N transfer --content c.jpg --style s.jpg -o "$L.png" $T > 4a.out 2>&1; st=$?
say "4a 251-byte name: exit, leftovers" "$st, $(ls -A | grep -c 'nst-\|^a\{200\}')"
rm -f a*.png a*.json .a* .nst-commit-* 2>/dev/null
# 4b 250 + save-every
L=$(printf 'b%.0s' $(seq 250)); $N transfer --content c.jpg --style s.jpg -o "$L.png" $T --save-every 2 > 4b.out 2>&1; st=$?
say "4b 250-byte name, --save-every 2: exit, msg" "$st, $(grep -c 'error\|warning' 4b.out) error/warning lines"
rm -f b*.png b*.json 2>/dev/null
# 5a ulimit -v 400000 transfer
( ulimit -v 400000; timeout -s KILL 30 $N transfer --content c.jpg --style s.jpg -o u.png $T >/dev/null 2>5a.err ); st=$?
say "5a ulimit -v 400000 transfer: exit" "$st ($( [ $st = 137 ] && echo HUNG || head -c 70 5a.err))"
( ulimit -v 200000; timeout -s KILL 15 $N --version >/dev/null 2>&1 ); st=$?
say "5b ulimit -v 200000 --version: exit" "$st$( [ $st = 137 ] && echo ' HUNG')"
# 5d keras zip bomb
python3 - <<'PY'
import zipfile
with zipfile.ZipFile('bomb.keras','w',zipfile.ZIP_DEFLATED) as z:
    z.writestr('config.json','{}'); z.writestr('metadata.json','{}')
    z.writestr('model.weights.h5', b'\0'*(1<<30))
PY
before=$(ls -A ${TMPDIR:-/tmp} | grep -c nst-keras)
( ulimit -v 1500000; XDG_CACHE_HOME=$W/c1 timeout -s KILL 60 $N model import bomb.keras >/dev/null 2>5d.err ); st=$?
say "5d 1 MB keras bomb (ulimit -v 1500000): exit" "$st: $(head -c 90 5d.err)"
# 6a import interrupted
M=$($N model path 2>/dev/null)
XDG_CACHE_HOME=$W/c2 $N model import "$M" --name x >/dev/null 2>6a.err & p=$!; sleep 0.1; kill -INT $p; wait $p; st=$?
say "6a import + SIGINT: exit, temp files left" "$st, $(ls -A $W/c2/nst/models 2>/dev/null | grep -c nst-tmp)"
# 7a experiment in an unwritable place
timeout -s KILL 120 $N experiment style-depth --content c.jpg --style s.jpg -o /proc/nst-repro --size 32 --iterations 2 --random-weights > 7a.out 2>&1; st=$?
say "7a experiment -o /proc/…: exit, ran first?" "$st, $(grep -c 'label=' 7a.out) progress lines; $(tail -1 7a.out | cut -c1-60)"
# 7b cache that is a file
echo x > cachefile; XDG_CACHE_HOME=$W/cachefile $N model import $FIX/tiny_vgg16.onnx > 7b.out 2>&1
say "7b XDG_CACHE_HOME=<file>" "$(head -c 110 7b.out)"
cd /; rm -rf "$W"
