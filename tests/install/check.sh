#!/usr/bin/env bash
# Installs the build to a temporary prefix and builds a program outside the
# repository against it twice: with find_package(sable) and with pkg-config.
# Each must build with only the installed files and run (it opens a missing
# controller and must get a transport error).
#   tests/install/check.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: check.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
missing="unix:$tmp/no-controller"

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
# Nothing from src/ is installed: the public headers are self-contained.
if find "$tmp/prefix/include" -name '*.hpp' | xargs grep -l '#include "\(common\|gap\|hci\|gatt\|smp\|store\|api\)/' ; then
  echo "check.sh: an installed header includes an internal one" >&2
  exit 1
fi

# 1. CMake package.
cp -r "$here/consumer" "$tmp/cmake-consumer"
cmake -S "$tmp/cmake-consumer" -B "$tmp/cmake-build" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cmake-build" >/dev/null
"$tmp/cmake-build/consumer" "$missing"

# 2. pkg-config.
PKG_CONFIG_PATH=$(dirname "$(find "$tmp/prefix" -name sable.pc)")
export PKG_CONFIG_PATH
# shellcheck disable=SC2046
c++ -o "$tmp/pc-consumer" "$here/consumer/main.cpp" $(pkg-config --cflags --libs sable)
"$tmp/pc-consumer" "$missing"
echo "check.sh: find_package and pkg-config consumers built and ran"
