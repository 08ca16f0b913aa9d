# Locates a system CAF 0.17.x (Debian's libcaf-dev ships no CMake package config).
# Creates imported targets CAF::core, CAF::io, CAF::openssl.
#   find_package(CAF 0.17 REQUIRED COMPONENTS core io)
# Hint: CAF_ROOT_DIR (a prefix holding include/ and lib/).
find_path(CAF_INCLUDE_DIR NAMES caf/config.hpp HINTS ${CAF_ROOT_DIR}/include)
mark_as_advanced(CAF_INCLUDE_DIR)

if(CAF_INCLUDE_DIR AND EXISTS "${CAF_INCLUDE_DIR}/caf/config.hpp")
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_version_line
       REGEX "^#define CAF_VERSION [0-9]+")
  string(REGEX MATCH "[0-9]+" _caf_version_number "${_caf_version_line}")
  math(EXPR _caf_major "${_caf_version_number} / 10000")
  math(EXPR _caf_minor "(${_caf_version_number} / 100) % 100")
  math(EXPR _caf_patch "${_caf_version_number} % 100")
  set(CAF_VERSION "${_caf_major}.${_caf_minor}.${_caf_patch}")
endif()

if(NOT CAF_FIND_COMPONENTS)
  set(CAF_FIND_COMPONENTS core)
endif()
find_package(Threads REQUIRED)
set(CAF_LIBRARIES "")
foreach(_component IN LISTS CAF_FIND_COMPONENTS)
  string(TOUPPER "${_component}" _upper)
  find_library(CAF_LIBRARY_${_upper} NAMES caf_${_component}
               HINTS ${CAF_ROOT_DIR}/lib ${CAF_ROOT_DIR}/lib64)
  mark_as_advanced(CAF_LIBRARY_${_upper})
  if(CAF_LIBRARY_${_upper} AND CAF_INCLUDE_DIR)
    set(CAF_${_component}_FOUND TRUE)
    list(APPEND CAF_LIBRARIES ${CAF_LIBRARY_${_upper}})
  else()
    set(CAF_${_component}_FOUND FALSE)
  endif()
endforeach()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CAF
  REQUIRED_VARS CAF_INCLUDE_DIR CAF_LIBRARIES
  VERSION_VAR CAF_VERSION
  HANDLE_COMPONENTS)

if(CAF_FOUND)
  if(CAF_core_FOUND AND NOT TARGET CAF::core)
    add_library(CAF::core UNKNOWN IMPORTED)
    set_target_properties(CAF::core PROPERTIES
      IMPORTED_LOCATION "${CAF_LIBRARY_CORE}"
      INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES Threads::Threads)
  endif()
  if(CAF_io_FOUND AND NOT TARGET CAF::io)
    add_library(CAF::io UNKNOWN IMPORTED)
    set_target_properties(CAF::io PROPERTIES
      IMPORTED_LOCATION "${CAF_LIBRARY_IO}"
      INTERFACE_LINK_LIBRARIES CAF::core)
  endif()
  if(CAF_openssl_FOUND AND NOT TARGET CAF::openssl)
    find_package(OpenSSL REQUIRED)
    add_library(CAF::openssl UNKNOWN IMPORTED)
    set_target_properties(CAF::openssl PROPERTIES
      IMPORTED_LOCATION "${CAF_LIBRARY_OPENSSL}"
      INTERFACE_LINK_LIBRARIES "CAF::io;OpenSSL::SSL;OpenSSL::Crypto")
  endif()
endif()
