/* env.h - look a variable up in an environment block (envp: "NAME=value" strings, NULL-
 * terminated; envp itself may be NULL).  Pure: no allocation, no I/O, errno untouched.
 *
 * One rule for every caller: a name matches only up to its '=' ("PINIT" never matches
 * "PINIT_X=1"), the first entry wins (as getenv(3)), and NAME= (set, empty) is told apart
 * from a missing NAME by env_get; env_value treats both as "not given".  The returned
 * pointer points into envp's string: valid as long as that entry is. */
#ifndef PINIT_ENV_H
#define PINIT_ENV_H

#include <stddef.h>

/* The value of NAME: "" for "NAME=", NULL when no entry is named NAME. */
const char *env_get(char *const *envp, const char *name);

/* The same for the first `n` bytes of name (name need not be NUL-terminated there). */
const char *env_getn(char *const *envp, const char *name, size_t n);

/* The value of NAME when it is set and not empty; NULL when missing or "NAME=". */
const char *env_value(char *const *envp, const char *name);

#endif
