# Toolchain for the static product build: Debian's musl-tools.
set(CMAKE_SYSTEM_NAME Linux)
find_program(MUSL_GCC musl-gcc REQUIRED)
set(CMAKE_C_COMPILER ${MUSL_GCC})
