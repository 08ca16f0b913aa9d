# Locates libsecp256k1 (with its ecdh, recovery, extrakeys and schnorrsig modules).
# Creates the imported target Secp256k1::secp256k1.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_SECP256K1 QUIET libsecp256k1)
endif()
find_path(SECP256K1_INCLUDE_DIR NAMES secp256k1_schnorrsig.h HINTS ${PC_SECP256K1_INCLUDE_DIRS})
find_library(SECP256K1_LIBRARY NAMES secp256k1 HINTS ${PC_SECP256K1_LIBRARY_DIRS})
mark_as_advanced(SECP256K1_INCLUDE_DIR SECP256K1_LIBRARY)
set(Secp256k1_VERSION "${PC_SECP256K1_VERSION}")

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Secp256k1
  REQUIRED_VARS SECP256K1_LIBRARY SECP256K1_INCLUDE_DIR
  VERSION_VAR Secp256k1_VERSION)

if(Secp256k1_FOUND AND NOT TARGET Secp256k1::secp256k1)
  add_library(Secp256k1::secp256k1 UNKNOWN IMPORTED)
  set_target_properties(Secp256k1::secp256k1 PROPERTIES
    IMPORTED_LOCATION "${SECP256K1_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${SECP256K1_INCLUDE_DIR}")
endif()
