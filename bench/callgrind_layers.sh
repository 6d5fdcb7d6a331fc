#!/usr/bin/env bash
# Instructions per operation by layer: callgrind_annotate both runs (N small
# and N large), take the difference of every function's self cost, divide by
# the operations between them, and sum by source folder (src/<layer>/), with
# C/C++ runtime and kernel-interface code apart.
#   bench/callgrind_layers.sh SMALL.out LARGE.out OPS
set -euo pipefail
small=$1 large=$2 ops=$3
annotate() { callgrind_annotate --threshold=100 --inclusive=no --auto=no "$1" 2>/dev/null; }
python3 - "$ops" <(annotate "$small") <(annotate "$large") <<'PY'
import re, sys
from collections import defaultdict
ops = float(sys.argv[1])
def load(path):
    out = defaultdict(int)
    for line in open(path):
        m = re.match(r'^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)$', line)
        if not m or ':' not in m.group(2): continue
        out[m.group(2).strip()] += int(m.group(1).replace(',', ''))
    return out
a, b = load(sys.argv[2]), load(sys.argv[3])
def layer(fn):
    m = re.search(r'(?:^|/)src/([a-z0-9_]+)/', fn)
    if m: return 'sable ' + m.group(1)
    if re.search(r'(^|/)bench/', fn): return 'bench program (pump, counters)'
    if re.search(r'(^|/)include/sable/', fn): return 'sable include'
    if 'c++' in fn or 'libstdc' in fn: return 'libstdc++ (inlined or library)'
    if re.search(r'libc|ld-linux|syscall|epoll|recv|send|read|write|malloc|free|mem|str', fn):
        return 'libc / syscalls'
    return 'other'
sums = defaultdict(float)
for k in set(a) | set(b):
    sums[layer(k)] += (b.get(k, 0) - a.get(k, 0)) / ops
total = sum(sums.values())
for k, v in sorted(sums.items(), key=lambda kv: -kv[1]):
    if abs(v) >= 1: print(f"{k:34s} {v:9.0f}")
print(f"{'= total':34s} {total:9.0f}")
PY
