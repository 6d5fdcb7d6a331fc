#!/usr/bin/env bash
# Starts a radio in a fresh dir, probes two controllers at once (distinct
# BD_ADDRs), stops it and checks btvirt and the socket files are gone.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dir=$work/radio
started_dirs+=("$dir")
sock=$("$vradio" --build-dir "$build" start "$dir") || fail "vradio start failed"
[[ $sock == "$dir/bt-server-le" ]] || fail "start printed '$sock', expected $dir/bt-server-le"
[[ -S $sock ]] || fail "no socket at $sock"
pid=$(<"$dir/btvirt.pid")
alive "$pid" || fail "btvirt (pid $pid) not running after start"
grep -q " $dir/bt-server-le\$" /proc/net/unix || fail "btvirt is not listening on $sock"

# Two controllers held at the same time: distinct addresses.
mapfile -t addrs < <("$probe" "$sock" --count 2 --timeout-ms 3000)
((${#addrs[@]} == 2)) || fail "probe --count 2 printed ${#addrs[@]} addresses"
for a in "${addrs[@]}"; do
  [[ $a =~ $addr_re ]] || fail "unexpected BD_ADDR '$a'"
done
[[ ${addrs[0]} != "${addrs[1]}" ]] || fail "two controllers share BD_ADDR ${addrs[0]}"

# Two separate probe runs both answer, and btvirt survives clients leaving.
a1=$("$probe" "$sock") || fail "first probe failed"
a2=$("$probe" "$sock") || fail "second probe failed"
[[ $a1 =~ $addr_re && $a2 =~ $addr_re ]] || fail "bad addresses '$a1' '$a2'"
alive "$pid" || fail "btvirt died after probes"

# A second start in the same dir is refused while the first runs.
if "$vradio" --build-dir "$build" start "$dir" >/dev/null 2>&1; then
  fail "second start in $dir succeeded"
fi
alive "$pid" || fail "btvirt died after refused second start"

"$vradio" stop "$dir" || fail "vradio stop failed"
alive "$pid" && fail "btvirt (pid $pid) still running after stop"
for f in "$dir"/bt-server-*; do
  [[ -e $f ]] && fail "socket file left behind: $f"
done
[[ -e $dir/btvirt.pid ]] && fail "btvirt.pid left behind"
if "$probe" "$sock" --timeout-ms 500 2>/dev/null; then
  fail "probe succeeded after stop"
fi
echo "vradio_smoke: OK (${addrs[*]})"
