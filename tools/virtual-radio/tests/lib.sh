# Shared helpers for the vradio tests (sourced). Usage of a test script:
#   bash tests/vradio_X.sh PATH/TO/vradio BUILD_DIR
# shellcheck shell=bash

if (($# != 2)); then
  echo "usage: $0 VRADIO_SCRIPT BUILD_DIR" >&2
  exit 2
fi
vradio=$1
build=$2
# shellcheck disable=SC2034 # used by the sourcing scripts
probe=$build/tools/virtual-radio/sable-hci-probe
# Keep socket paths short: sun_path holds 107 characters.
work=$(mktemp -d "${TMPDIR:-/tmp}/vradio-test.XXXXXX")
started_dirs=()

cleanup() {
  local d
  for d in "${started_dirs[@]}"; do
    "$vradio" stop "$d" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# True if pid is a live (not zombie) process.
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  local rest=${stat##*) }
  [[ ${rest%% *} != Z ]]
}

# shellcheck disable=SC2034
addr_re='^00:AA:01:[0-9A-F]{2}:00:42$'
