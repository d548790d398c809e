# Shared by the ARM toolchain files: cross-compile for Linux with Debian's
# cross gcc, find libraries only in the cross libc and in the ARM packages
# that tools/fetch-arm-deps.sh unpacks (build/arm-deps/<deb_arch>), and run
# target programs (tests, try_run) under qemu-user.
#
# Inputs: Q8_CROSS_TRIPLET (aarch64-linux-gnu), Q8_CROSS_DEB_ARCH (arm64),
# Q8_CROSS_PROCESSOR (aarch64), Q8_CROSS_QEMU (qemu-aarch64),
# Q8_CROSS_FLAGS (extra compile flags, may be empty).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${Q8_CROSS_PROCESSOR})
set(CMAKE_C_COMPILER ${Q8_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${Q8_CROSS_TRIPLET}-g++)
# Debian's multiarch folder (usr/lib/<triplet>) inside the unpacked packages;
# also where find_package looks for cmocka's config.
set(CMAKE_LIBRARY_ARCHITECTURE ${Q8_CROSS_TRIPLET})

get_filename_component(Q8_CROSS_DEPS "${CMAKE_CURRENT_LIST_DIR}/../../build/arm-deps/${Q8_CROSS_DEB_ARCH}"
                       ABSOLUTE)
if(NOT EXISTS "${Q8_CROSS_DEPS}/.unpacked")
  message(FATAL_ERROR "${Q8_CROSS_DEPS} is missing: run tools/fetch-arm-deps.sh (tools/install-deps.sh does)")
endif()
set(Q8_CROSS_SYSROOT /usr/${Q8_CROSS_TRIPLET})
set(Q8_CROSS_LIB_DIRS ${Q8_CROSS_DEPS}/usr/lib/${Q8_CROSS_TRIPLET} ${Q8_CROSS_DEPS}/lib/${Q8_CROSS_TRIPLET})

# Headers, libraries and packages from the target folders only; programs
# (cmake's helpers, python, ...) from the host.
set(CMAKE_FIND_ROOT_PATH ${Q8_CROSS_SYSROOT} ${Q8_CROSS_DEPS})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_C_FLAGS_INIT "${Q8_CROSS_FLAGS}")
set(CMAKE_CXX_FLAGS_INIT "${Q8_CROSS_FLAGS}")
# The libraries' own dependencies (libzip -> libz, libbz2, libssl) are found
# by the linker through rpath-link, not linked directly.
set(Q8_CROSS_LINK_FLAGS "")
foreach(dir ${Q8_CROSS_LIB_DIRS})
  string(APPEND Q8_CROSS_LINK_FLAGS " -Wl,-rpath-link,${dir}")
endforeach()
set(CMAKE_EXE_LINKER_FLAGS_INIT "${Q8_CROSS_LINK_FLAGS}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${Q8_CROSS_LINK_FLAGS}")

# qemu-user: -L gives the dynamic loader's root; the cross libc folder must
# come first in LD_LIBRARY_PATH (with the host's first, pthread_create hangs).
# The CPU is the emulator's default unless the test sets QEMU_CPU.
string(REPLACE ";" ":" Q8_CROSS_LD_PATH "${Q8_CROSS_SYSROOT}/lib;${Q8_CROSS_LIB_DIRS}")
set(CMAKE_CROSSCOMPILING_EMULATOR ${Q8_CROSS_QEMU} -L ${Q8_CROSS_SYSROOT} -E LD_LIBRARY_PATH=${Q8_CROSS_LD_PATH})
