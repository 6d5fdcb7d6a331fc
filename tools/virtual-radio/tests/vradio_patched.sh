#!/usr/bin/env bash
# sable-btvirt (our patches to BlueZ's emulator) under vradio: starts with
# --emulator patched, answers the probe with distinct controllers, passes the
# raw-HCI checks of le5_emulator_test, and stops; an unknown emulator name is
# refused with a clear message.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

dir=$work/p
sock=$("$vradio" --build-dir "$build" --emulator patched start "$dir") || fail "start --emulator patched"
started_dirs+=("$dir")
[[ $sock == "$dir/bt-server-le" ]] || fail "start printed '$sock'"
[[ $(cat "/proc/$(cat "$dir/btvirt.pid")/comm") == sable-btvirt ]] || fail "the radio is not sable-btvirt"
"$build/tools/virtual-radio/sable_le5_emulator_test" "$sock" || fail "le5_emulator_test"
"$vradio" stop "$dir" || fail "stop"

if out=$("$vradio" --build-dir "$build" --emulator nonsense start "$work/x" 2>&1); then
  fail "an unknown emulator was accepted"
fi
[[ $out == *"unknown emulator 'nonsense'"* ]] || fail "unhelpful message: $out"
echo "ok"
