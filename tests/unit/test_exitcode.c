/* Table tests for exitcode.c: wait statuses built by hand, as the kernel encodes them
 * (exit N -> N << 8, killed by S -> S, core dump adds 0x80, stopped by S -> S << 8 | 0x7f). */
#include "pinit/exitcode.h"
#include "unit.h"

#include <errno.h>
#include <signal.h>

#define ST_EXIT(n) ((n) << 8)
#define ST_SIG(s) (s)
#define ST_CORE(s) ((s) | 0x80)
#define ST_STOPPED(s) (((s) << 8) | 0x7f)

int main(void)
{
  struct exitcode_remap none = { { 0 } }, r = { { 0 } };
  char buf[64], tmp[64];

  /* every code passes through unchanged, with or without an (empty) remap set */
  for(int n = 0; n < 256; n++) {
    CHECK_INT(exitcode_from_status(ST_EXIT(n), NULL), n);
    CHECK_INT(exitcode_from_status(ST_EXIT(n), &none), n);
  }
  /* death by signal: 128 + S, core dump or not, real-time signals included */
  for(int s = 1; s < NSIG; s++) {
    if(s == 0x7f)
      continue;
    CHECK_INT(exitcode_from_status(ST_SIG(s), NULL), 128 + s);
    CHECK_INT(exitcode_from_status(ST_CORE(s), NULL), 128 + s);
  }
  CHECK_INT(exitcode_from_status(ST_SIG(SIGKILL), NULL), 137);
  CHECK_INT(exitcode_from_status(ST_SIG(SIGTERM), NULL), 143);
  CHECK_INT(exitcode_from_status(ST_SIG(SIGINT), NULL), 130);

  /* the remap set: range, and the 64-bit word boundaries */
  CHECK_INT(exitcode_remap_add(&r, -1), -1);
  CHECK_INT(exitcode_remap_add(&r, 256), -1);
  CHECK_INT(exitcode_remap_add(&r, 1000), -1);
  for(int n = 0; n < 256; n++)
    CHECK_INT(exitcode_from_status(ST_EXIT(n), &r), n); /* failed adds changed nothing */
  static const int chosen[] = { 2, 63, 64, 127, 128, 143, 191, 192, 255 };
  for(unsigned i = 0; i < sizeof(chosen) / sizeof(chosen[0]); i++)
    CHECK_INT(exitcode_remap_add(&r, chosen[i]), 0);
  CHECK_INT(exitcode_remap_add(&r, 143), 0); /* twice is fine */
  for(int n = 0; n < 256; n++) {
    int is_chosen = 0;
    for(unsigned i = 0; i < sizeof(chosen) / sizeof(chosen[0]); i++)
      is_chosen |= chosen[i] == n;
    CHECK_INT(exitcode_from_status(ST_EXIT(n), &r), is_chosen ? 0 : n);
  }
  /* signal deaths are remapped by their 128+S code too (tini does the same) */
  CHECK_INT(exitcode_from_status(ST_SIG(SIGTERM), &r), 0);  /* 143 chosen */
  CHECK_INT(exitcode_from_status(ST_SIG(SIGKILL), &r), 137);
  CHECK_INT(exitcode_from_status(ST_SIG(64), &r), 0);       /* 192 chosen */
  CHECK_INT(exitcode_from_status(ST_SIG(SIGHUP), &r), 129);
  /* code 0 remapped: still 0 */
  {
    struct exitcode_remap z = { { 0 } };
    CHECK_INT(exitcode_remap_add(&z, 0), 0);
    CHECK_INT(exitcode_from_status(ST_EXIT(0), &z), 0);
    CHECK_INT(exitcode_from_status(ST_EXIT(1), &z), 1);
  }

  /* describe */
  CHECK_STR(exitcode_describe(ST_EXIT(0), buf, sizeof(buf)), "exit 0");
  CHECK_STR(exitcode_describe(ST_EXIT(3), buf, sizeof(buf)), "exit 3");
  CHECK_STR(exitcode_describe(ST_EXIT(255), buf, sizeof(buf)), "exit 255");
  CHECK_STR(exitcode_describe(ST_SIG(SIGKILL), buf, sizeof(buf)), "signal 9 (KILL)");
  CHECK_STR(exitcode_describe(ST_SIG(SIGTERM), buf, sizeof(buf)), "signal 15 (TERM)");
  CHECK_STR(exitcode_describe(ST_CORE(SIGSEGV), buf, sizeof(buf)), "signal 11 (SEGV), core dumped");
  CHECK_STR(exitcode_describe(ST_CORE(SIGABRT), buf, sizeof(buf)), "signal 6 (ABRT), core dumped");
  snprintf(tmp, sizeof(tmp), "signal %d (RTMIN+1)", SIGRTMIN + 1);
  CHECK_STR(exitcode_describe(ST_SIG(SIGRTMIN + 1), buf, sizeof(buf)), tmp);
  CHECK_STR(exitcode_describe(ST_STOPPED(SIGSTOP), buf, sizeof(buf)), "status 0x137f");
  CHECK(exitcode_describe(ST_EXIT(1), buf, sizeof(buf)) == buf);
  /* cut to cap as snprintf cuts, NUL-terminated */
  CHECK_STR(exitcode_describe(ST_EXIT(255), buf, 7), "exit 2");
  CHECK_STR(exitcode_describe(ST_EXIT(255), buf, 9), "exit 255");
  CHECK_STR(exitcode_describe(ST_EXIT(0), buf, 1), "");
  buf[0] = 'x';
  exitcode_describe(ST_EXIT(0), buf, 0);
  CHECK(buf[0] == 'x');
  /* truncated, never overrun */
  memset(buf, 'Z', sizeof(buf));
  exitcode_describe(ST_CORE(SIGSEGV), buf, 8);
  CHECK_STR(buf, "signal ");
  CHECK(buf[8] == 'Z');

  /* exec failures: the shell's codes, the same for the main child and exec probes */
  static const struct { int err, code; } exec_cases[] = {
    { ENOENT, 127 }, { ENOTDIR, 127 }, { ENAMETOOLONG, 127 }, { ELOOP, 127 },
    { EACCES, 126 }, { ENOEXEC, 126 }, { EISDIR, 126 }, { ETXTBSY, 126 }, { E2BIG, 126 },
    { ENOMEM, 126 }, { EPERM, 126 }, { 0, 126 },
  };
  for(unsigned i = 0; i < sizeof(exec_cases) / sizeof(exec_cases[0]); i++)
    CHECK_INT(exitcode_exec_failure(exec_cases[i].err), exec_cases[i].code);
  CHECK_INT(EXITCODE_NOT_FOUND, 127);
  CHECK_INT(EXITCODE_CANNOT_EXEC, 126);
  CHECK_INT(EXITCODE_USAGE, 64);
  CHECK_INT(EXITCODE_CONFIG, 78);
  return unit_done("exitcode");
}
