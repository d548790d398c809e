# ARM64 Linux with Debian's aarch64-linux-gnu-gcc; tests run under qemu-aarch64.
# Needs tools/fetch-arm-deps.sh (the arm64 cpuinfo, pthreadpool, libzip, cmocka).
set(Q8_CROSS_TRIPLET aarch64-linux-gnu)
set(Q8_CROSS_DEB_ARCH arm64)
set(Q8_CROSS_PROCESSOR aarch64)
set(Q8_CROSS_QEMU qemu-aarch64)
set(Q8_CROSS_FLAGS "")
include(${CMAKE_CURRENT_LIST_DIR}/linux-cross.cmake)
