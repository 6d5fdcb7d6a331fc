#!/usr/bin/env bash
# Chart of the end-to-end results beside the reference figures of issue 10
# (NimBLE, Bumble): notifications/s (unpinned and pinned) and user-space
# instructions per operation. Reads DIR/e2e.tsv and DIR/callgrind.tsv
# (written by bench/e2e.sh --callgrind) and writes DIR/performance.svg; with
# --text it prints a text rendering (gnuplot's dumb terminal) instead.
#   bench/chart.sh [--text] [DIR]        DIR defaults to build/bench-results
set -euo pipefail
text=0
[[ ${1:-} == --text ]] && { text=1; shift; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
dir=${1:-$here/../build/bench-results}
command -v gnuplot >/dev/null || { echo "chart.sh: install gnuplot-nox" >&2; exit 1; }
get() {  # placement test -> rate (0 if absent)
  awk -F'\t' -v p="$1" -v t="$2" '$1==p && $2==t {print $3; f=1} END{if(!f) print 0}' "$dir/e2e.tsv" | head -1
}
ir() { awk -F'\t' -v t="$1" '$1==t {print $4; f=1} END{if(!f) print 0}' "$dir/callgrind.tsv" 2>/dev/null | head -1; }
data=$(mktemp)
trap 'rm -f "$data" "$data.ir"' EXIT
# Columns: label, sable, NimBLE, Bumble, raw ceiling (stream)
cat >"$data" <<EOT
"1 B unpinned" $(get unpinned notify-1B) 17900 19200 $(get unpinned raw-stream)
"244 B unpinned" $(get unpinned notify-244B) 8900 8700 $(get unpinned raw-stream)
"1 B pinned" $(get pinned notify-1B) 0 12400 $(get pinned raw-stream)
"244 B pinned" $(get pinned notify-244B) 0 7200 $(get pinned raw-stream)
EOT
cat >"$data.ir" <<EOT
"notify 1 B" $(ir notify-1B) 7813
"notify 244 B" $(ir notify-244B) 14308
"read" $(ir read) 10038
EOT
if ((text)); then
  term="set terminal dumb size 100,28 ansi"
  termfile=""
else
  term="set terminal svg size 1000,420 dynamic font 'sans,11'"
  termfile="set output '$dir/performance.svg'"
fi
gnuplot <<EOG
$term
$termfile
set multiplot layout 1,2
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top right
set yrange [0:*]
set title "notifications/s on btvirt (0 = not measured)"
plot '$data' using 2:xtic(1) title 'sable', '' using 3 title 'NimBLE', '' using 4 title 'Bumble', '' using 5 title 'raw ceiling'
set title "user-space instructions per operation (callgrind)"
plot '$data.ir' using 2:xtic(1) title 'sable', '' using 3 title 'NimBLE'
unset multiplot
EOG
((text)) || echo "chart: $dir/performance.svg"
