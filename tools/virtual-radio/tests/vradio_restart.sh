#!/usr/bin/env bash
# Start-up liveness: until vradio's child has exec'd btvirt its command name
# is not "btvirt"; start must not take that for "btvirt exited" (it did, about
# one start in ten). A slow wrapper widens that window so the check is
# deterministic; then 30 real start/stop cycles must all succeed. Also: a
# child that never becomes a controller is killed on time-out, and a child
# that dies is reported with how it ended.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export SABLE_AFALG_SHIM=$build/tools/virtual-radio/libsable_afalg_shim.so
export SABLE_HCI_PROBE=$probe
real_btvirt=${SABLE_BTVIRT:-$(command -v btvirt || echo /usr/bin/btvirt)}
[[ -x $real_btvirt ]] || fail "btvirt not found ($real_btvirt)"

# make_btvirt NAME BODY: an executable "btvirt" stand-in in $work.
make_btvirt() {
  printf '#!/usr/bin/env bash\n%s\n' "$2" >"$work/$1"
  chmod +x "$work/$1"
}

# 1. btvirt that takes 0.5 s to exec: start waits for it and succeeds.
make_btvirt slow-btvirt "sleep 0.5; exec '$real_btvirt' \"\$@\""
dir=$work/slow
started_dirs+=("$dir")
sock=$(SABLE_BTVIRT=$work/slow-btvirt "$vradio" start "$dir" 2>"$work/err") ||
  fail "start with a slow btvirt failed: $(cat "$work/err")"
[[ $sock == "$dir/bt-server-le" ]] || fail "start printed '$sock'"
pid=$(<"$dir/btvirt.pid")
"$vradio" stop "$dir" || fail "stop after slow start failed"
alive "$pid" && fail "btvirt (pid $pid) still running after stop"

# 2. A child that never answers is killed on time-out, although it never
# became btvirt (before, it was left running).
make_btvirt hang-btvirt "echo \$\$ >'$work/hang.pid'; exec sleep 30"
dir=$work/hang
started_dirs+=("$dir")
if SABLE_BTVIRT=$work/hang-btvirt SABLE_VRADIO_START_TIMEOUT_MS=600 \
  "$vradio" start "$dir" >/dev/null 2>"$work/err"; then
  fail "start with a btvirt that never answers succeeded"
fi
head -n 1 "$work/err" | grep -q "no controller answered HCI_Reset" ||
  fail "unexpected error: $(cat "$work/err")"
[[ -s $work/hang.pid ]] || fail "hanging btvirt never ran"
hang_pid=$(<"$work/hang.pid")
alive "$hang_pid" && fail "start left its child (pid $hang_pid) running"
[[ -e $dir/btvirt.pid ]] && fail "btvirt.pid left after failed start"

# 3. A child that dies is reported as such, with its exit status.
make_btvirt dead-btvirt "exit 3"
dir=$work/dead
started_dirs+=("$dir")
if SABLE_BTVIRT=$work/dead-btvirt "$vradio" start "$dir" >/dev/null 2>"$work/err"; then
  fail "start with a btvirt that exits succeeded"
fi
head -n 1 "$work/err" | grep -q "btvirt exited during start-up (exit status 3)" ||
  fail "unexpected error: $(cat "$work/err")"

# 4. Repeated real starts and stops in fresh dirs all succeed.
cycles=30
for ((i = 1; i <= cycles; i++)); do
  dir=$work/c$i
  started_dirs+=("$dir")
  sock=$("$vradio" start "$dir" 2>"$work/err") ||
    fail "start $i of $cycles failed: $(cat "$work/err")"
  [[ $sock == "$dir/bt-server-le" ]] || fail "start $i printed '$sock'"
  pid=$(<"$dir/btvirt.pid")
  "$vradio" stop "$dir" || fail "stop $i of $cycles failed"
  alive "$pid" && fail "btvirt (pid $pid) still running after stop $i"
done
echo "vradio_restart: OK ($cycles start/stop cycles)"
