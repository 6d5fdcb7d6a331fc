#!/usr/bin/env bash
# Prints the Cortex-M4 footprint per layer (text/data/bss, bytes) from the
# linker map of the footprint build (ports/footprint), and the totals.
#
#   cmake -S ports/footprint -B build-m4 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/arm-none-eabi.cmake
#   cmake --build build-m4 -j2
#   bench/footprint.sh build-m4            # or: bench/footprint.sh --build build-m4
#
# text = code + read-only data (flash), data = initialised RAM (also in flash),
# bss = zeroed RAM; static objects only (heap and stack are not counted).
# "core" is the sum of the sable layers; the crypto backend, the program, the
# C/C++ runtime and startup are reported apart.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd "$here/.." && pwd -P)
build=""
if [[ ${1:-} == --build ]]; then
  cd "$root"
  cmake -S ports/footprint -B "${2:?build dir}" \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/arm-none-eabi.cmake" >/dev/null
  cmake --build "$2" -j2 >/dev/null
  build=$2
else
  build=${1:-$root/build-m4}
fi
map=$build/footprint.map
[[ -f $map ]] || { echo "footprint.sh: no $map (build ports/footprint first)" >&2; exit 1; }

python3 - "$map" "${FOOTPRINT_FORMAT:-table}" <<'PY'
import re, sys
from collections import defaultdict

path, fmt = sys.argv[1], sys.argv[2]
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
    if m:
        return 'crypto (stub)' if m.group(1) == 'crypto_stub' else m.group(1)
    if 'main.cpp' in obj: return 'app (ports/footprint)'
    if re.search(r'lib(stdc\+\+|supc\+\+)', obj): return 'libstdc++'
    if re.search(r'lib(c|g|m|c_nano|g_nano|nosys)\.a', obj): return 'libc (newlib)'
    if 'libgcc' in obj: return 'libgcc'
    return 'startup'

sizes = defaultdict(lambda: {'text': 0, 'data': 0, 'bss': 0})
out = None        # output section being read
pending = None    # input section name waiting for its address line
started = False
for line in open(path, errors='replace'):
    if not started:
        started = line.startswith('Linker script and memory map')
        continue
    if line.startswith('/DISCARD/'):
        break
    m = re.match(r'^(\.\S+|COMMON)\s*(0x[0-9a-f]+)?', line)
    if m and not line.startswith(' '):
        out = m.group(1)
        pending = None
        continue
    if out is None or kind(out) is None:
        continue
    s = line.rstrip('\n')
    m = re.match(r'^ (\.\S+|COMMON)\s*$', s)
    if m:
        pending = m.group(1)
        continue
    m = re.match(r'^ (\.\S+|COMMON)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$', s)
    if m and (m.group(1) or pending):
        size = int(m.group(3), 16)
        sizes[owner(m.group(4))][kind(out)] += size
        pending = None
        continue
    m = re.match(r'^ \*fill\*\s+0x[0-9a-f]+\s+0x([0-9a-f]+)', s)
    if m:
        sizes['padding'][kind(out)] += int(m.group(1), 16)
    pending = None

core_layers = ['common', 'hci', 'l2cap', 'att', 'gatt', 'smp', 'gap', 'store']
others = ['crypto (stub)', 'app (ports/footprint)', 'libstdc++', 'libc (newlib)', 'libgcc',
          'startup', 'padding']
def row(name, d):
    return f"{name:24s} {d['text']:8d} {d['data']:6d} {d['bss']:6d}"
def add(names):
    t = {'text': 0, 'data': 0, 'bss': 0}
    for n in names:
        for k in t: t[k] += sizes[n][k]
    return t
if fmt == 'tsv':
    for n in core_layers + others:
        d = sizes[n]; print(f"{n}\t{d['text']}\t{d['data']}\t{d['bss']}")
    sys.exit(0)
print(f"{'layer':24s} {'text':>8s} {'data':>6s} {'bss':>6s}")
for n in core_layers: print(row(n, sizes[n]))
core = add(core_layers)
print(row('= core (sable)', core))
for n in others: print(row(n, sizes[n]))
total = add(list(sizes.keys()))
print(row('= image total', total))
print(f"core code (text+data) {core['text'] + core['data']} B; core state (data+bss) "
      f"{core['data'] + core['bss']} B; crypto backend is a stub (no mbedTLS for arm-none-eabi)")
print("(string literals are counted per object before the linker merges them: the total "
      "text is a few hundred bytes above arm-none-eabi-size's)")
PY
