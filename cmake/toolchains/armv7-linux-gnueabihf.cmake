# ARMv7-A with NEON, hard-float Linux, with Debian's arm-linux-gnueabihf-gcc;
# tests run under qemu-arm. NEON is enabled globally: every ARMv7 device q8
# targets has it, and src/kernels/neon/ needs it.
# Needs tools/fetch-arm-deps.sh (the armhf cpuinfo, pthreadpool, libzip, cmocka).
set(Q8_CROSS_TRIPLET arm-linux-gnueabihf)
set(Q8_CROSS_DEB_ARCH armhf)
set(Q8_CROSS_PROCESSOR armv7l)
set(Q8_CROSS_QEMU qemu-arm)
set(Q8_CROSS_FLAGS "-march=armv7-a -mfpu=neon -mfloat-abi=hard")
include(${CMAKE_CURRENT_LIST_DIR}/linux-cross.cmake)
