/* exitcode.c - wait status -> exit code.  See include/pinit/exitcode.h. */
#include "pinit/exitcode.h"
#include "pinit/decimal.h"
#include "pinit/signal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

int exitcode_exec_failure(int err)
{
  return err == ENOENT || err == ENOTDIR || err == ENAMETOOLONG || err == ELOOP ? EXITCODE_NOT_FOUND
                                                                                : EXITCODE_CANNOT_EXEC;
}

int exitcode_remap_add(struct exitcode_remap *r, int code)
{
  if(code < 0 || code > 255)
    return -1;
  r->bits[code / 64] |= (uint64_t)1 << (code % 64);
  return 0;
}

static int remapped(const struct exitcode_remap *r, int code)
{
  return r && (r->bits[code / 64] >> (code % 64)) & 1;
}

int exitcode_from_status(int wstatus, const struct exitcode_remap *r)
{
  int code;
  if(WIFEXITED(wstatus))
    code = WEXITSTATUS(wstatus);
  else if(WIFSIGNALED(wstatus))
    code = (128 + WTERMSIG(wstatus)) & 0xff;
  else
    code = 1;
  return remapped(r, code) ? 0 : code;
}

const char *exitcode_describe(int wstatus, char *buf, unsigned cap)
{
  char name[16];
  if(WIFEXITED(wstatus)) { /* every exit: no printf, cut like snprintf */
    char t[5 + DECIMAL_MAX];
    size_t n = 5;
    memcpy(t, "exit ", 5);
    n += decimal_put(t + n, (unsigned)WEXITSTATUS(wstatus));
    if(cap) {
      n = n < cap ? n : cap - 1;
      memcpy(buf, t, n);
      buf[n] = '\0';
    }
  }
  else if(WIFSIGNALED(wstatus))
    snprintf(buf, cap, "signal %d (%s)%s", WTERMSIG(wstatus), signal_name(WTERMSIG(wstatus), name, sizeof(name)),
             WCOREDUMP(wstatus) ? ", core dumped" : "");
  else
    snprintf(buf, cap, "status 0x%x", (unsigned)wstatus);
  return buf;
}
