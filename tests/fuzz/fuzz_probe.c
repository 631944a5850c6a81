/* libFuzzer target: probe_parse() and wait_list_parse() on arbitrary bytes.
 * Invariants: no crash; results are NUL-terminated and of a known kind; a TCP target's
 * name and an exec target's name parse back to the same target. */
#include "pinit/probe.h"
#include "pinit/wait.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(const struct probe_target *t)
{
  if(t->kind < PROBE_TCP || t->kind > PROBE_EXEC)
    abort();
  if(!memchr(t->name, 0, sizeof(t->name)) || !memchr(t->spec, 0, sizeof(t->spec)))
    abort();
  if(t->kind == PROBE_EXEC && (t->argc < 1 || t->argc > PROBE_ARGS_MAX))
    abort();
  if(t->kind == PROBE_TCP && (t->port < 1 || t->port > 65535))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char text[PROBE_SPEC_MAX + 64];
  struct probe_target t, back, list[8];
  struct probe_error err;

  if(size >= sizeof(text))
    size = sizeof(text) - 1;
  memcpy(text, data, size);
  text[size] = 0;

  if(probe_parse(text, &t, &err) == 0) {
    check(&t);
    size_t nl = strlen(t.name);
    int cut = nl == sizeof(t.name) - 1;
    if(!cut && (t.kind == PROBE_TCP || t.kind == PROBE_EXEC)) {
      if(probe_parse(t.name, &back, &err) != 0)
        abort();
      if(back.kind != t.kind || back.argc != t.argc || memcmp(back.spec, t.spec, sizeof(t.spec)) != 0)
        abort();
    }
  }
  else if(!memchr(err.msg, 0, sizeof(err.msg)) || !err.msg[0])
    abort();

  int n = wait_list_parse(text, list, 8, &err);
  if(n > 8)
    abort();
  for(int i = 0; i < n; i++)
    check(&list[i]);
  return 0;
}
