# Defines the INTERFACE target pinit_deps: libev, inih, libcurl and libyaml.
#
# Static build (PINIT_STATIC=ON): the libraries come from the musl prefix that
# scripts/deps.sh fills (default /opt/pinit-deps/musl, PINIT_DEPS_PREFIX to change).
# Dynamic build: Debian's -dev packages.
add_library(pinit_deps INTERFACE)

if(PINIT_STATIC)
  if(NOT PINIT_DEPS_PREFIX)
    if(DEFINED ENV{PINIT_DEPS_PREFIX})
      set(PINIT_DEPS_PREFIX $ENV{PINIT_DEPS_PREFIX})
    else()
      set(PINIT_DEPS_PREFIX /opt/pinit-deps/musl)
    endif()
  endif()
  set(PINIT_DEPS_PREFIX ${PINIT_DEPS_PREFIX} CACHE PATH "prefix of the static musl libraries")
  foreach(lib curl ev inih yaml)
    if(NOT EXISTS ${PINIT_DEPS_PREFIX}/lib/lib${lib}.a)
      message(FATAL_ERROR "${PINIT_DEPS_PREFIX}/lib/lib${lib}.a is missing: run scripts/deps.sh first "
                          "(or configure with -DPINIT_STATIC=OFF for a dynamic development build)")
    endif()
  endforeach()
  # The libraries were built against musl: linking them into a glibc program would fail
  # late and obscurely (or, worse, link).  Catch a CC= from the environment early.
  include(CheckCSourceCompiles)
  check_c_source_compiles("#include <stdio.h>
#ifdef __GLIBC__
#error glibc
#endif
int main(void) { return 0; }" PINIT_CC_IS_MUSL)
  if(NOT PINIT_CC_IS_MUSL)
    message(FATAL_ERROR "PINIT_STATIC needs musl-gcc, but ${CMAKE_C_COMPILER} uses glibc "
                        "(unset CC, or configure with -DPINIT_STATIC=OFF)")
  endif()
  # SYSTEM, like /usr/include in the dynamic build: libev's ev_init()/ev_timer_set() macros
  # cast watcher pointers, which gcc -O2 -Wall reports as strict-aliasing violations in
  # the caller; with -Werror that would break only the static build.
  target_include_directories(pinit_deps SYSTEM INTERFACE ${PINIT_DEPS_PREFIX}/include)
  # musl's libc.a holds pthreads, libm and the resolver: nothing else to link.
  target_compile_definitions(pinit_deps INTERFACE CURL_STATICLIB)
  target_link_libraries(pinit_deps INTERFACE
    ${PINIT_DEPS_PREFIX}/lib/libcurl.a ${PINIT_DEPS_PREFIX}/lib/libev.a
    ${PINIT_DEPS_PREFIX}/lib/libinih.a ${PINIT_DEPS_PREFIX}/lib/libyaml.a)
else()
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(PINIT_PC REQUIRED IMPORTED_TARGET libcurl inih yaml-0.1)
  find_library(EV_LIBRARY ev REQUIRED)
  find_path(EV_INCLUDE ev.h REQUIRED)
  target_include_directories(pinit_deps INTERFACE ${EV_INCLUDE})
  target_link_libraries(pinit_deps INTERFACE PkgConfig::PINIT_PC ${EV_LIBRARY} m)
endif()
