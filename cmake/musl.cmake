# Toolchain for the static product build: Debian's musl-tools.
set(CMAKE_SYSTEM_NAME Linux)
find_program(MUSL_GCC musl-gcc)
if(NOT MUSL_GCC)
  message(FATAL_ERROR "musl-gcc not found: run scripts/deps.sh "
                      "(or configure with -DPINIT_STATIC=OFF for a dynamic development build)")
endif()
set(CMAKE_C_COMPILER ${MUSL_GCC})
