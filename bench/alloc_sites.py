#!/usr/bin/env python3
"""Groups the allocations `sable-bench-cycles --trace` printed by call site.

  build/bench/sable-bench-cycles --cycles 2 --trace 2>trace.txt
  bench/alloc_sites.py build/bench/sable-bench-cycles trace.txt [DEPTH]

Prints each distinct chain of the DEPTH (default 3) nearest sable frames with
its count, most frequent first. Frames outside the binary and the standard
library's are skipped.
"""
import collections
import re
import subprocess
import sys

if len(sys.argv) < 3:
    sys.exit(__doc__)
binary, trace = sys.argv[1], sys.argv[2]
depth = int(sys.argv[3]) if len(sys.argv) > 3 else 3
name = binary.rsplit('/', 1)[-1]
blocks = []
for block in open(trace).read().split('-- allocation ')[1:]:
    # Only frames of the benchmark binary itself: "path/name(+0xOFFSET)[...]".
    blocks.append(re.findall(re.escape(name) + r'\((?:[^+)]*)\+(0x[0-9a-f]+)\)', block))
addresses = sorted({a for b in blocks for a in b})
out = subprocess.run(['addr2line', '-f', '-C', '-e', binary] + addresses,
                     capture_output=True, text=True, check=True).stdout.split('\n')
function = {a: out[2 * i] for i, a in enumerate(addresses)}
skip = ('std::', '__gnu', 'operator new', 'void std', 'decltype', 'sable::bench', 'malloc', '??')
sites = collections.Counter()
for frames in blocks:
    names = [function[a] for a in frames if not function[a].startswith(skip)]
    names = [re.sub(r'\(.*', '', n) for n in names]
    sites[' <- '.join(names[:depth])] += 1
for site, count in sites.most_common():
    print(f'{count:5d}  {site}')
