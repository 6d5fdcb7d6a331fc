#!/usr/bin/env bash
# Two radios started at once in two dirs both answer and do not collide:
# each has its own btvirt and sockets, and stopping one leaves the other up.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export SABLE_AFALG_SHIM=$build/tools/virtual-radio/libsable_afalg_shim.so
export SABLE_HCI_PROBE=$probe
a=$work/a
b=$work/b
started_dirs+=("$a" "$b")
"$vradio" start "$a" >"$work/a.out" 2>&1 &
pa=$!
"$vradio" start "$b" >"$work/b.out" 2>&1 &
pb=$!
wait "$pa" || fail "start of radio a failed: $(cat "$work/a.out")"
wait "$pb" || fail "start of radio b failed: $(cat "$work/b.out")"
[[ $(<"$work/a.out") == "$a/bt-server-le" ]] || fail "radio a printed '$(<"$work/a.out")'"
[[ $(<"$work/b.out") == "$b/bt-server-le" ]] || fail "radio b printed '$(<"$work/b.out")'"

pid_a=$(<"$a/btvirt.pid")
pid_b=$(<"$b/btvirt.pid")
[[ $pid_a != "$pid_b" ]] || fail "both radios report pid $pid_a"
alive "$pid_a" || fail "btvirt a is not running"
alive "$pid_b" || fail "btvirt b is not running"

# Separate airs: each radio hands out its first slot to a lone client.
addr_a=$("$probe" "$a/bt-server-le") || fail "radio a does not answer"
addr_b=$("$probe" "$b/bt-server-le") || fail "radio b does not answer"
[[ $addr_a =~ $addr_re && $addr_b =~ $addr_re ]] || fail "bad addresses '$addr_a' '$addr_b'"
# Holding 3 controllers on a must not use up slots on b.
mapfile -t held < <("$probe" "$a/bt-server-le" --count 3)
((${#held[@]} == 3)) || fail "radio a gave ${#held[@]} of 3 controllers"
[[ $("$probe" "$b/bt-server-le") == "00:AA:01:00:00:42" ]] || fail "radio b not on its own slots"

"$vradio" stop "$a" || fail "stop a failed"
alive "$pid_a" && fail "btvirt a still running"
alive "$pid_b" || fail "stopping radio a killed radio b"
[[ -S $b/bt-server-le ]] || fail "stopping radio a removed radio b's socket"
"$probe" "$b/bt-server-le" >/dev/null || fail "radio b stopped answering after a was stopped"
"$vradio" stop "$b" || fail "stop b failed"
alive "$pid_b" && fail "btvirt b still running"
echo "vradio_parallel: OK ($addr_a, $addr_b)"
