include(GNUInstallDirs)

# stronghold_floor(NAME SOURCES <files...> DEPENDS <targets...> [PRIVATE_DEPENDS <targets...>])
# One static library per floor. Its public headers live in <floor>/include/stronghold/<floor>/;
# a floor sees only the include directories of the floors it links, so an include of a
# higher floor fails to compile.
function(stronghold_floor name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS;PRIVATE_DEPENDS" ${ARGN})
  add_library(stronghold_${name} STATIC ${ARG_SOURCES})
  add_library(stronghold::${name} ALIAS stronghold_${name})
  set_target_properties(stronghold_${name} PROPERTIES EXPORT_NAME ${name})
  target_include_directories(stronghold_${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(stronghold_${name} PUBLIC ${ARG_DEPENDS} PRIVATE ${ARG_PRIVATE_DEPENDS})
  target_compile_features(stronghold_${name} PUBLIC cxx_std_20)
  install(TARGETS stronghold_${name} EXPORT strongholdTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endfunction()
