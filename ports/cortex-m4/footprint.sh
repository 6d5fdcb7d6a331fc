#!/usr/bin/env bash
# Prints the firmware's footprint per layer (text/data/bss, bytes) from its
# linker map: the same section accounting as bench/footprint.sh (the
# measurement issue's script), with this firmware's layers: the sable core,
# the parts of src/ the port reuses (H4 deframer, the public API of
# src/api/*.cpp, uuid128), the crypto
# binding (src/crypto), mbedTLS, the port (public API on the run loop, bond
# store, DRBG), board support, the C/C++ runtime replacements
# (runtime/: console printf through our formatter, operator new, no
# exceptions), the program, and the C/C++ libraries. Then check-image's
# lines: forbidden runtime symbols (exceptions, floating point, newlib's
# printf) and the log format strings in the image by level.
#
#   ports/cortex-m4/footprint.sh [BUILD_DIR]       (default: <repo>/build-cm4)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
build=${1:-$here/../../build-cm4}
map=$build/sable-firmware.map
[[ -f $map ]] || {
  echo "footprint.sh: no $map (build ports/cortex-m4 first)" >&2
  exit 1
}

python3 - "$map" <<'PY'
import re, sys
from collections import defaultdict

TEXT = ('.text', '.rodata', '.init', '.fini', '.ARM.exidx', '.ARM.extab', '.eh_frame')
DATA = ('.data', '.init_array', '.fini_array', '.preinit_array')
BSS = ('.bss', '.tbss', 'COMMON')

def kind(section):
    if section.startswith(BSS): return 'bss'
    if section.startswith(DATA): return 'data'
    if section.startswith(TEXT): return 'text'
    return None

def owner(obj):
    m = re.search(r'libsable_([a-z0-9_]+)\.a\(', obj)
    if m: return m.group(1)
    if 'libmbedcrypto_cm4.a' in obj: return 'mbedTLS 2.28'
    if 'main.cpp' in obj: return 'app (secure-server main.cpp)'
    if re.search(r'lib(stdc\+\+|supc\+\+)', obj): return 'libstdc++'
    if re.search(r'lib(c|g|m|nosys)(_nano)?\.a', obj): return 'libc (newlib)'
    if 'libgcc' in obj: return 'libgcc'
    return 'other'

sizes = defaultdict(lambda: {'text': 0, 'data': 0, 'bss': 0})
out = pending = None
started = False
for line in open(sys.argv[1], errors='replace'):
    if not started:
        started = line.startswith('Linker script and memory map')
        continue
    if line.startswith('/DISCARD/'): break
    m = re.match(r'^(\.\S+|COMMON)\s*(0x[0-9a-f]+)?', line)
    if m and not line.startswith(' '):
        out, pending = m.group(1), None
        continue
    if out is None or kind(out) is None: continue
    s = line.rstrip('\n')
    m = re.match(r'^ (\.\S+|COMMON)\s*$', s)
    if m:
        pending = m.group(1)
        continue
    m = re.match(r'^ (\.\S+|COMMON)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$', s)
    if m and (m.group(1) or pending):
        sizes[owner(m.group(4))][kind(out)] += int(m.group(3), 16)
        pending = None
        continue
    m = re.match(r'^ \*fill\*\s+0x[0-9a-f]+\s+0x([0-9a-f]+)', s)
    if m: sizes['padding'][kind(out)] += int(m.group(1), 16)
    pending = None

core = ['common', 'hci', 'l2cap', 'att', 'gatt', 'smp', 'gap', 'store']
reused = ['transport_h4', 'api', 'api_strings', 'crypto']
rest = ['mbedTLS 2.28', 'port', 'board', 'runtime', 'app (secure-server main.cpp)', 'libstdc++',
        'libc (newlib)', 'libgcc', 'other', 'padding']
def row(n, d): return f"{n:30s} {d['text']:8d} {d['data']:6d} {d['bss']:6d}"
def add(names):
    t = {'text': 0, 'data': 0, 'bss': 0}
    for n in names:
        for k in t: t[k] += sizes[n][k]
    return t
print(f"{'layer':30s} {'text':>8s} {'data':>6s} {'bss':>6s}")
for n in core: print(row(n, sizes[n]))
c = add(core)
print(row('= core (sable)', c))
for n in reused: print(row(n, sizes[n]))
for n in rest: print(row(n, sizes[n]))
print(row('= image total', add(list(sizes.keys()))))
print(f"core code (text+data) {c['text'] + c['data']} B; core state (data+bss) {c['data'] + c['bss']} B")
PY
level=$(sed -n 's/^SABLE_LOG_LEVEL:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
"$here/check-image" "$build/sable-firmware.elf" $level
