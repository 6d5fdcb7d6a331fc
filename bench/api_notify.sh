#!/usr/bin/env bash
# The public API's notify path against the core's, on one btvirt, in one run
# (issue 17 item 5). Both servers notify 1-octet values (MTU 23) to
# sable-bench-sink, which checks that every sequence number arrives in order:
#   core  sable-bench-server: gap::Host::notify on the loop thread, one per
#         returned ACL buffer (bench/e2e.sh's "notify 1 B")
#   api   sable-bench-api-notify: characteristic.set_value(v).notify() from the
#         application's thread through sable::Device (queue full: 1 ms sleep)
# Prints the rate of each (and api/core), the API's heap allocations per
# notification (over its notify loop), and with --callgrind the instructions
# per notification of each server process under valgrind --tool=callgrind:
# whole process, (I(10000) - I(2000)) / 8000, the same method as e2e.sh.
#
#   bench/api_notify.sh [--build-dir BUILD] [--count N] [--callgrind] [--out DIR]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd "$here/.." && pwd -P)
build=$root/build
count=10000
callgrind=0
out=""
while (($#)); do
  case $1 in
    --build-dir) build=$(cd "$2" && pwd -P); shift 2 ;;
    --count) count=$2; shift 2 ;;
    --callgrind) callgrind=1; shift ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--build-dir BUILD] [--count N] [--callgrind] [--out DIR]" >&2; exit 2 ;;
  esac
done
bin=$build/bench
out=${out:-$build/bench-results}
mkdir -p "$out"
for b in sable-bench-server sable-bench-sink sable-bench-api-notify; do
  [[ -x $bin/$b ]] || { echo "api_notify.sh: $bin/$b missing (cmake --build $build --target bench)" >&2; exit 1; }
done
vradio=$root/tools/virtual-radio/vradio
tries=3

radio_dir=""
tmp=$(mktemp -d /tmp/sable-bench-api.XXXXXX)
cleanup() {
  [[ -n $radio_dir ]] && "$vradio" stop "$radio_dir" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<"$2" | head -1; }

# run_pair WHICH N [PREFIX...]: prints "server-line|sink-line"; rc 0 when clean.
run_pair() {
  local which=$1 n=$2
  shift 2
  local server=("$bin/sable-bench-server" --mode notify)
  [[ $which == api ]] && server=("$bin/sable-bench-api-notify")
  "$@" "${server[@]}" --hci "unix:$sock" --size 1 --count "$n" --timeout 300 \
    >"$tmp/server.out" 2>"$tmp/server.err" &
  local spid=$! src=0 rrc=0
  sleep 0.3
  local sink_line
  sink_line=$("$bin/sable-bench-sink" --hci "unix:$sock" --mode notify --size 1 --count "$n" \
    --timeout 300 2>"$tmp/sink.err" | grep '^RESULT' || true)
  wait "$spid" || src=$?
  local server_line
  server_line=$(grep '^RESULT' "$tmp/server.out" || true)
  [[ -n $sink_line && -n $server_line ]] || rrc=1
  [[ $(field lost "$sink_line") == 0 && $(field ooo "$sink_line") == 0 ]] || rrc=1
  [[ $(field received "$sink_line") == "$n" ]] || rrc=1
  ((src == 0)) || rrc=1
  echo "$server_line|$sink_line"
  return $rrc
}

radio_dir=$(mktemp -d /tmp/sable-bench-radio.XXXXXX)
sock=$("$vradio" --build-dir "$build" start "$radio_dir")
results=$out/api_notify.tsv
echo -e "test\trate\tcpu_us_per_op\tallocs_per_op\tlost\tooo\tvalid" >"$results"
printf '%-14s %10s %10s %10s %6s %5s %s\n' test "ops/s" "cpu us/op" "allocs/op" lost ooo valid
declare -A rate=()
for which in core api; do
  valid=no
  line=""
  for ((i = 1; i <= tries; i++)); do
    if line=$(run_pair "$which" "$count"); then valid=yes; break; fi
  done
  server_line=${line%%|*}
  sink_line=${line#*|}
  rate[$which]=$(field rate "$sink_line")
  allocs=$(field allocs_per_op "$server_line")
  printf '%-14s %10s %10s %10s %6s %5s %s\n' "$which notify 1B" "${rate[$which]:--}" \
    "$(field cpu_us_per_op "$server_line")" "${allocs:--}" "$(field lost "$sink_line")" \
    "$(field ooo "$sink_line")" "$valid"
  echo -e "$which-notify-1B\t${rate[$which]:-0}\t$(field cpu_us_per_op "$server_line")\t${allocs:-}\t$(field lost "$sink_line")\t$(field ooo "$sink_line")\t$valid" >>"$results"
  [[ $valid == yes ]] || { echo "  (INVALID after $tries tries: $server_line)" >&2; cat "$tmp"/*.err >&2; }
done
awk -v a="${rate[api]:-0}" -v c="${rate[core]:-0}" \
  'BEGIN { if (c > 0) printf "api / core rate: %.2f\n", a / c }'

if ((callgrind)); then
  command -v valgrind >/dev/null || { echo "api_notify.sh: valgrind not installed" >&2; exit 1; }
  cg=$out/callgrind
  mkdir -p "$cg"
  cgres=$out/api_notify_callgrind.tsv
  echo -e "test\tI2000\tI10000\tinstructions_per_op" >"$cgres"
  echo
  printf '%-14s %14s %14s %12s\n' test "Ir N=2000" "Ir N=10000" "Ir/op"
  for which in core api; do
    declare -A ir=()
    for n in 2000 10000; do
      f=$cg/$which-notify-1B.$n.out
      for ((i = 1; i <= tries; i++)); do
        run_pair "$which" "$n" valgrind --tool=callgrind --callgrind-out-file="$f" >/dev/null && break
      done
      ir[$n]=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$f")
    done
    per=$(awk -v a="${ir[2000]}" -v b="${ir[10000]}" 'BEGIN{printf "%.0f", (b-a)/8000}')
    printf '%-14s %14s %14s %12s\n' "$which notify 1B" "${ir[2000]}" "${ir[10000]}" "$per"
    echo -e "$which-notify-1B\t${ir[2000]}\t${ir[10000]}\t$per" >>"$cgres"
  done
fi
echo "results: $results"
