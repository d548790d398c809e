#!/bin/sh
# Installs the q8 build tree into a scratch prefix, then builds and runs the
# consumer project against it with CMake (shared and static) and pkg-config.
# usage: run.sh BUILD_DIR SOURCE_DIR SCRATCH_DIR C_COMPILER
set -eu
build=$1 source=$2 scratch=$3 cc=$4
rm -rf "$scratch"
cmake --install "$build" --prefix "$scratch/prefix" > /dev/null
cmake -S "$source" -B "$scratch/build" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_PREFIX_PATH="$scratch/prefix" > /dev/null
cmake --build "$scratch/build" > /dev/null
LD_LIBRARY_PATH="$scratch/prefix/lib:$scratch/prefix/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}" \
  "$scratch/build/consumer"
"$scratch/build/consumer_static"
pc_dir=$(dirname "$(find "$scratch/prefix" -name q8.pc | head -n 1)")
# shellcheck disable=SC2046
"$cc" -o "$scratch/consumer_pc" "$source/consumer.c" \
  $(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs --static q8)
LD_LIBRARY_PATH="$(dirname "$pc_dir")" "$scratch/consumer_pc"
