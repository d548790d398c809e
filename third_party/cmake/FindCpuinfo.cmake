# Finds cpuinfo (Debian's libcpuinfo-dev). Its own CMake package points at
# /usr/lib/lib/<triplet>/libclog.a, which does not exist, so q8 does not use
# it. Defines Cpuinfo::cpuinfo.
find_path(Cpuinfo_INCLUDE_DIR NAMES cpuinfo.h)
find_library(Cpuinfo_LIBRARY NAMES cpuinfo)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Cpuinfo REQUIRED_VARS Cpuinfo_LIBRARY Cpuinfo_INCLUDE_DIR)
if(Cpuinfo_FOUND AND NOT TARGET Cpuinfo::cpuinfo)
  add_library(Cpuinfo::cpuinfo UNKNOWN IMPORTED)
  set_target_properties(Cpuinfo::cpuinfo PROPERTIES
    IMPORTED_LOCATION "${Cpuinfo_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${Cpuinfo_INCLUDE_DIR}")
endif()
mark_as_advanced(Cpuinfo_INCLUDE_DIR Cpuinfo_LIBRARY)
