# inih's settings, explicit.  Every option init/config.c relies on is set here, written to
# the generated header pinit_inih.h (config.c applies them before each parse), and checked
# against the inih this build links.
#
# Why not a build of inih from source: Debian's source package for it answers 404 on this
# machine's mirror (`apt-get source libinih`, checked again for issue 11) and no PyPI sdist
# vendors ini.c, so scripts/deps.sh takes Debian's libinih-dev build.  Debian patches inih
# so that its INI_* options are variables set at run time (ini_max_line, ini_use_stack...)
# instead of compile-time macros; config.c therefore sets every one of them itself, and the
# check below fails the configure step when the library is not such a build (an upstream
# build would silently ignore these settings and use its own compile-time ones).
set(PINIT_INI_MAX_LINE 4096)              # longest line + 4 ("line too long" past it)
set(PINIT_INI_USE_STACK 0)                # heap line buffer ...
set(PINIT_INI_ALLOW_REALLOC 1)            # ... that grows up to PINIT_INI_MAX_LINE
set(PINIT_INI_INITIAL_ALLOC 200)
set(PINIT_INI_STOP_ON_FIRST_ERROR 1)      # the first bad line is the one reported
set(PINIT_INI_ALLOW_MULTILINE 1)          # an indented line continues the key before it
set(PINIT_INI_ALLOW_BOM 1)                # a UTF-8 BOM (Windows editors) is skipped
set(PINIT_INI_START_COMMENT_PREFIXES ";#")  # "# x" and "; x" lines are comments
set(PINIT_INI_ALLOW_INLINE_COMMENTS 1)    # " ;" ends a value: "a = b ; note" gives "b"
set(PINIT_INI_INLINE_COMMENT_PREFIXES ";")  # ('#' inside a value stays: URL fragments)
set(PINIT_INI_ALLOW_NO_VALUE 0)           # a line without '=' is an error
configure_file(${CMAKE_CURRENT_LIST_DIR}/pinit_inih.h.in ${CMAKE_BINARY_DIR}/generated/pinit_inih.h @ONLY)
target_include_directories(pinit_core PRIVATE ${CMAKE_BINARY_DIR}/generated)

include(CheckCSourceCompiles)
if(PINIT_STATIC)
  set(CMAKE_REQUIRED_INCLUDES ${CMAKE_BINARY_DIR}/generated ${PINIT_DEPS_PREFIX}/include)
  set(CMAKE_REQUIRED_LIBRARIES ${PINIT_DEPS_PREFIX}/lib/libinih.a)
else()
  set(CMAKE_REQUIRED_INCLUDES ${CMAKE_BINARY_DIR}/generated ${PINIT_PC_INCLUDE_DIRS})
  set(CMAKE_REQUIRED_LIBRARIES ${PINIT_PC_LINK_LIBRARIES})
endif()
# Links only if every run-time option exists; the compile-time-only ones must have the
# values config.c's callback and allocation assume.
check_c_source_compiles([[
#include <stdbool.h>
#include <ini.h>
#include "pinit_inih.h"
_Static_assert(INI_HANDLER_LINENO == 0, "config.c's ini_cb has no line-number argument");
_Static_assert(INI_CALL_HANDLER_ON_NEW_SECTION == 0, "config.c's ini_cb expects a name on every call");
_Static_assert(INI_CUSTOM_ALLOCATOR == 0, "config.c uses malloc");
static int cb(void *u, const char *s, const char *n, const char *v) { return !u && s && n && v; }
int main(void)
{
  pinit_inih_setup();
  return ini_parse_string("b = c", cb, 0);
}
]] PINIT_INIH_RUNTIME_OPTIONS)
unset(CMAKE_REQUIRED_INCLUDES)
unset(CMAKE_REQUIRED_LIBRARIES)
if(NOT PINIT_INIH_RUNTIME_OPTIONS)
  message(FATAL_ERROR "inih: the library does not take its options at run time (Debian's "
          "libinih-dev does), or ini.h's compile-time options differ from what init/config.c "
          "needs; see cmake/inih.cmake (and CMakeFiles/CMakeError.log)")
endif()
