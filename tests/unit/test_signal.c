/* Table tests for signal.c: names <-> numbers, the forwarding table, the stop signals. */
#include "pinit/signal.h"
#include "unit.h"

#include <ctype.h>
#include <signal.h>

int main(void)
{
  char buf[32], tmp[40];

  /* 1..31: every standard signal has a name, and the name (bare, SIG-prefixed, lower
   * case) parses back to the number */
  for(int n = 1; n <= 31; n++) {
    signal_name(n, buf, sizeof(buf));
    CHECK(strcmp(buf, "?") != 0);
    CHECK_INT(signal_parse(buf), n);
    snprintf(tmp, sizeof(tmp), "SIG%s", buf);
    CHECK_INT(signal_parse(tmp), n);
    for(char *p = tmp; *p; p++)
      *p = (char)tolower((unsigned char)*p);
    CHECK_INT(signal_parse(tmp), n);
    snprintf(tmp, sizeof(tmp), "%d", n);
    CHECK_INT(signal_parse(tmp), n);
  }
  /* the real-time range round-trips too */
  for(int n = SIGRTMIN; n <= SIGRTMAX; n++) {
    signal_name(n, buf, sizeof(buf));
    CHECK_INT(signal_parse(buf), n);
    snprintf(tmp, sizeof(tmp), "SIG%s", buf);
    CHECK_INT(signal_parse(tmp), n);
    snprintf(tmp, sizeof(tmp), "%d", n);
    CHECK_INT(signal_parse(tmp), n);
  }
  /* the libc-reserved numbers between 31 and SIGRTMIN have no name */
  for(int n = 32; n < SIGRTMIN; n++)
    CHECK_STR(signal_name(n, buf, sizeof(buf)), "?");

  static const struct { int n; const char *name; } names[] = {
    { SIGHUP, "HUP" }, { SIGINT, "INT" }, { SIGQUIT, "QUIT" }, { SIGKILL, "KILL" }, { SIGUSR1, "USR1" },
    { SIGSEGV, "SEGV" }, { SIGTERM, "TERM" }, { SIGCHLD, "CHLD" }, { SIGABRT, "ABRT" }, { SIGIO, "IO" },
    { SIGSTOP, "STOP" }, { SIGTSTP, "TSTP" }, { SIGWINCH, "WINCH" }, { SIGSYS, "SYS" },
    { 0, "?" }, { -1, "?" }, { NSIG, "?" }, { 1000, "?" },
  };
  for(unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    CHECK_STR(signal_name(names[i].n, buf, sizeof(buf)), names[i].name);
  CHECK_STR(signal_name(SIGRTMIN, buf, sizeof(buf)), "RTMIN");
  CHECK_STR(signal_name(SIGRTMAX, buf, sizeof(buf)), "RTMAX");
  CHECK_STR(signal_name(SIGRTMIN + 2, buf, sizeof(buf)), "RTMIN+2");
  snprintf(tmp, sizeof(tmp), "RTMIN+%d", SIGRTMAX - 1 - SIGRTMIN);
  CHECK_STR(signal_name(SIGRTMAX - 1, buf, 16), tmp); /* fits the documented cap of 16 */
  /* returns buf */
  CHECK(signal_name(SIGTERM, buf, sizeof(buf)) == buf);

  static const struct { const char *in; int want; } parses[] = {
    { "TERM", SIGTERM }, { "SIGTERM", SIGTERM }, { "sigterm", SIGTERM }, { "SigTerm", SIGTERM },
    { "KILL", SIGKILL }, { "9", SIGKILL }, { "USR1", SIGUSR1 }, { "SIGUSR2", SIGUSR2 },
    { "IOT", SIGABRT }, { "CLD", SIGCHLD }, { "POLL", SIGIO }, { "STKFLT", SIGSTKFLT }, { "PWR", SIGPWR },
    { "1", 1 }, { "31", 31 }, { "64", NSIG > 64 ? 64 : -1 },
    /* not signals */
    { "", -1 }, { "0", -1 }, { "-1", -1 }, { "-9", -1 }, { "10x", -1 }, { "1000", -1 }, { "99999999999", -1 },
    { "SIG", -1 }, { "SIGSIGTERM", -1 }, { "NOPE", -1 }, { "TERM ", -1 }, { " TERM", -1 }, { "TERMX", -1 },
    { "RTMIN+", -1 }, { "RTMIN-1", -1 }, { "RTMAX+1", -1 }, { "RTMIN+x", -1 }, { "RTMINX", -1 },
    { "RTMIN+1000", -1 }, { "RTMIN+-1", -1 }, { "RT", -1 }, { "?", -1 },
  };
  for(unsigned i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
    int got = signal_parse(parses[i].in);
    if(got != parses[i].want)
      fprintf(stderr, "signal_parse(\"%s\") = %d, want %d\n", parses[i].in, got, parses[i].want);
    CHECK_INT(got, parses[i].want);
  }
  CHECK_INT(signal_parse(NULL), -1);
  CHECK_INT(signal_parse("RTMIN"), SIGRTMIN);
  CHECK_INT(signal_parse("rtmin+3"), SIGRTMIN + 3);
  CHECK_INT(signal_parse("SIGRTMIN+3"), SIGRTMIN + 3);
  CHECK_INT(signal_parse("RTMAX"), SIGRTMAX);
  CHECK_INT(signal_parse("SIGRTMAX-1"), SIGRTMAX - 1);
  CHECK_INT(signal_parse("RTMAX-0"), SIGRTMAX);
  snprintf(tmp, sizeof(tmp), "RTMIN+%d", SIGRTMAX - SIGRTMIN);
  CHECK_INT(signal_parse(tmp), SIGRTMAX);
  snprintf(tmp, sizeof(tmp), "RTMIN+%d", SIGRTMAX - SIGRTMIN + 1);
  CHECK_INT(signal_parse(tmp), -1);
  snprintf(tmp, sizeof(tmp), "RTMAX-%d", SIGRTMAX - SIGRTMIN + 1);
  CHECK_INT(signal_parse(tmp), -1);
  snprintf(tmp, sizeof(tmp), "%d", NSIG);
  CHECK_INT(signal_parse(tmp), -1);

  /* forwarding table, over the whole range and beyond */
  for(int n = -2; n <= NSIG + 2; n++) {
    int want = (n >= 1 && n <= 31 && n != SIGKILL && n != SIGSTOP && n != SIGCHLD) ||
               (n >= SIGRTMIN && n <= SIGRTMAX);
    if(signal_forwardable(n) != want)
      fprintf(stderr, "signal_forwardable(%d) = %d, want %d\n", n, signal_forwardable(n), want);
    CHECK_INT(signal_forwardable(n), want);
  }
  /* the named ones, spelled out */
  CHECK_INT(signal_forwardable(SIGKILL), 0);
  CHECK_INT(signal_forwardable(SIGSTOP), 0);
  CHECK_INT(signal_forwardable(SIGCHLD), 0);
  CHECK_INT(signal_forwardable(32), 0);
  CHECK_INT(signal_forwardable(SIGRTMIN - 1), 0);
  CHECK_INT(signal_forwardable(SIGRTMIN), 1);
  CHECK_INT(signal_forwardable(SIGRTMAX), 1);
  CHECK_INT(signal_forwardable(SIGTERM), 1);
  CHECK_INT(signal_forwardable(SIGHUP), 1);
  CHECK_INT(signal_forwardable(SIGWINCH), 1);
  CHECK_INT(signal_forwardable(SIGUSR1), 1);
  CHECK_INT(signal_forwardable(0), 0);

  /* stop signals: TERM and INT only */
  for(int n = 0; n < NSIG; n++)
    CHECK_INT(signal_is_stop(n), n == SIGTERM || n == SIGINT);
  return unit_done("sig");
}
