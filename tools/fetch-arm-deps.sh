#!/bin/sh
# Fetches the ARM (arm64 and armhf) builds of the libraries q8 and its tests
# link against and unpacks them under build/arm-deps/<arch>, where the
# toolchain files in cmake/toolchains/ look for them. Debian's arm64/armhf
# -dev packages cannot be installed next to the amd64 ones (they share
# /usr/include files), so they are downloaded and unpacked, not installed;
# libc comes from the cross toolchains (libc6-dev-*-cross). Run as root (or
# with sudo available): it adds the foreign architectures to dpkg. Does
# nothing when both folders are already unpacked.
set -eu
cd "$(dirname "$0")/.."
deps_root=build/arm-deps
# libzip4 depends on libbz2-1.0, libssl3 and zlib1g (and libc6, from the cross
# toolchain); the others depend on libc6 only.
packages="libcpuinfo0 libcpuinfo-dev libpthreadpool0 libpthreadpool-dev libcmocka0 libcmocka-dev \
libzip4 libzip-dev zlib1g zlib1g-dev libbz2-1.0 libssl3"
stamp_text="$packages"

unpacked() { [ -f "$deps_root/$1/.unpacked" ] && [ "$(cat "$deps_root/$1/.unpacked")" = "$stamp_text" ]; }

if unpacked arm64 && unpacked armhf; then exit 0; fi

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
added=""
for arch in arm64 armhf; do
  if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    $SUDO dpkg --add-architecture "$arch"
    added=yes
  fi
done

# apt-get update can exit nonzero when one foreign index is broken on the
# mirror (it happens for armhf security); the packages needed are still found.
update_indexes() { $SUDO apt-get update -qq || true; }
[ -n "$added" ] && update_indexes

for arch in arm64 armhf; do
  unpacked "$arch" && continue
  echo "fetching $arch libraries into $deps_root/$arch"
  dir="$deps_root/$arch"
  rm -rf "$dir" "$dir.debs"
  mkdir -p "$dir.debs"
  # apt-get download writes into the current directory; world-writable so
  # that apt's unprivileged _apt user can write there when run as root.
  chmod 777 "$dir.debs"
  names=""
  for p in $packages; do names="$names $p:$arch"; done
  # shellcheck disable=SC2086
  if ! (cd "$dir.debs" && apt-get download -qq $names); then
    update_indexes
    # shellcheck disable=SC2086
    (cd "$dir.debs" && apt-get download -qq $names)
  fi
  for deb in "$dir.debs"/*.deb; do dpkg-deb -x "$deb" "$dir"; done
  rm -rf "$dir.debs"
  printf '%s\n' "$stamp_text" > "$dir/.unpacked"
done
