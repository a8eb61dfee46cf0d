# ctest driver: install the build into a staging prefix, build tests/consumer against it with
# find_package(dfd) and, separately, with the compiler and pkg-config's flags alone; run both.
# Inputs: BUILD_DIR, SOURCE_DIR, VIDEO.
set(prefix "${BUILD_DIR}/consumer_stage")
set(consumer_build "${BUILD_DIR}/consumer_build")
file(REMOVE_RECURSE "${prefix}" "${consumer_build}")
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed: ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()
run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumer" -B "${consumer_build}" -G Ninja
    "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_BUILD_RPATH=${prefix}/lib)
run(${CMAKE_COMMAND} --build "${consumer_build}")
# HOME empty and DFD_MODELS unset: the default preset's models can only come from the install.
file(MAKE_DIRECTORY "${consumer_build}/home")
run(${CMAKE_COMMAND} -E env --unset=DFD_MODELS "HOME=${consumer_build}/home" "${consumer_build}/consumer" "${VIDEO}")
# The way a Makefile project builds against it: c++ main.cpp $(pkg-config --cflags --libs dfd).
execute_process(COMMAND ${CMAKE_COMMAND} -E env "PKG_CONFIG_PATH=${prefix}/lib/pkgconfig" pkg-config --libs --cflags dfd
                RESULT_VARIABLE rc OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config does not find the installed dfd.pc")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
run(c++ -std=c++17 "${SOURCE_DIR}/tests/consumer/main.cpp" ${flags} -o "${consumer_build}/consumer_pkg_config")
run(${CMAKE_COMMAND} -E env --unset=DFD_MODELS "HOME=${consumer_build}/home" "LD_LIBRARY_PATH=${prefix}/lib"
    "${consumer_build}/consumer_pkg_config" "${VIDEO}")
