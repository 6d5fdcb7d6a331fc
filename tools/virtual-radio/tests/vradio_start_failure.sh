#!/usr/bin/env bash
# A radio whose LE controller cannot come up (AF_ALG emulation switched off,
# so btvirt closes every LE client) must not count as started even though its
# socket file exists: start fails with a one-line reason, btvirt is killed.
# Also checks the probe's errors and the missing-shim error.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Probe: missing socket.
if err=$("$probe" "$work/missing" 2>&1); then fail "probe of a missing socket succeeded"; fi
[[ $err == *"cannot connect"* ]] || fail "unexpected probe error: $err"

# Missing shim: clear error, nothing started.
if err=$(SABLE_AFALG_SHIM=$work/nope.so "$vradio" start "$work/noshim" 2>&1); then
  fail "start without shim succeeded"
fi
[[ $err == *"libsable_afalg_shim.so not found"* ]] || fail "unexpected error: $err"

dir=$work/radio
started_dirs+=("$dir")
set +e
out=$(SABLE_AFALG_SHIM_NO_CRYPTO=1 SABLE_VRADIO_START_TIMEOUT_MS=1500 \
  "$vradio" --build-dir "$build" start "$dir" 2>"$work/err")
rc=$?
set -e
((rc != 0)) || fail "start succeeded without AF_ALG: '$out'"
[[ -z $out ]] || fail "failed start printed '$out' on stdout"
head -n 1 "$work/err" | grep -q "no controller answered HCI_Reset" ||
  fail "unexpected start error: $(cat "$work/err")"
grep -q "connection closed by the controller" "$work/err" ||
  fail "start error does not show why the probe failed: $(cat "$work/err")"
[[ -e $dir/btvirt.pid ]] && fail "btvirt.pid left after failed start"
[[ -e $dir/bt-server-le ]] && fail "socket left after failed start"
grep -q " $dir/bt-server-le\$" /proc/net/unix && fail "btvirt still listening after failed start"
echo "vradio_start_failure: OK"
