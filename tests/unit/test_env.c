/* Table tests for env.c: set, empty, missing, prefixes, duplicates, odd names. */
#include "pinit/env.h"
#include "unit.h"

#include <errno.h>

int main(void)
{
  char *envp[] = { "AAB=0", "A=1", "EMPTY=", "AB=2", "DUP=first", "DUP=second", "X==eq", "NOEQ", "=odd", "SP= v ", NULL };
  static const struct {
    const char *name;
    const char *get;    /* env_get: NULL = missing */
    const char *value;  /* env_value */
  } cases[] = {
    { "A", "1", "1" },
    { "AB", "2", "2" },          /* not A's value: the name ends at '=' */
    { "ABC", NULL, NULL },
    { "AA", NULL, NULL },        /* nor the other way round */
    { "EMPTY", "", NULL },       /* set and empty: env_get says so, env_value does not */
    { "MISSING", NULL, NULL },
    { "DUP", "first", "first" }, /* the first entry wins, as getenv */
    { "X", "=eq", "=eq" },
    { "NOEQ", NULL, NULL },      /* an entry without '=' is no variable */
    { "", "odd", "odd" },
    { "A=1", NULL, NULL },       /* a name with '=' matches nothing */
    { "SP", " v ", " v " },      /* values as they are */
  };
  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const char *g = env_get(envp, cases[i].name), *v = env_value(envp, cases[i].name);
    if(cases[i].get)
      CHECK_STR(g, cases[i].get);
    else
      CHECK(g == NULL);
    if(cases[i].value)
      CHECK_STR(v, cases[i].value);
    else
      CHECK(v == NULL);
  }
  /* a length-bounded name, as ${NAME} inside a longer string */
  CHECK_STR(env_getn(envp, "ABC", 2), "2");
  CHECK_STR(env_getn(envp, "A}", 1), "1");
  CHECK(env_getn(envp, "EMPTYX", 5) && !*env_getn(envp, "EMPTYX", 5));
  /* a NULL or empty block */
  CHECK(env_get(NULL, "A") == NULL);
  CHECK(env_value(NULL, "A") == NULL);
  char *none[] = { NULL };
  CHECK(env_get(none, "A") == NULL);
  /* errno untouched */
  errno = EINTR;
  env_get(envp, "MISSING");
  CHECK_INT(errno, EINTR);
  return unit_done("env");
}
