#!/bin/sh
# Installs what building and testing q8 needs on Debian 12, as root: the
# toolchains (host, and the ARM cross compilers with qemu-user) and the
# system packages q8 links against, then the ARM builds of those packages
# (tools/fetch-arm-deps.sh). Does nothing when all are present, so it is
# cheap to run before every build.
set -eu
packages="build-essential cmake pkg-config libcpuinfo-dev libpthreadpool-dev libzip-dev \
libcmocka-dev libbenchmark-dev clang libclang-rt-14-dev valgrind \
gcc-aarch64-linux-gnu g++-aarch64-linux-gnu gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf qemu-user"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || true
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
"$(dirname "$0")/fetch-arm-deps.sh"
