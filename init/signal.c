/* signal.c - signal names and the forwarding table.  See include/pinit/signal.h. */
#include "pinit/signal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct { int n; const char *name; } signal_table[] = {
  { SIGHUP, "HUP" },   { SIGINT, "INT" },     { SIGQUIT, "QUIT" },     { SIGILL, "ILL" },
  { SIGTRAP, "TRAP" }, { SIGABRT, "ABRT" },   { SIGBUS, "BUS" },       { SIGFPE, "FPE" },
  { SIGKILL, "KILL" }, { SIGUSR1, "USR1" },   { SIGSEGV, "SEGV" },     { SIGUSR2, "USR2" },
  { SIGPIPE, "PIPE" }, { SIGALRM, "ALRM" },   { SIGTERM, "TERM" },     { SIGSTKFLT, "STKFLT" },
  { SIGCHLD, "CHLD" }, { SIGCONT, "CONT" },   { SIGSTOP, "STOP" },     { SIGTSTP, "TSTP" },
  { SIGTTIN, "TTIN" }, { SIGTTOU, "TTOU" },   { SIGURG, "URG" },       { SIGXCPU, "XCPU" },
  { SIGXFSZ, "XFSZ" }, { SIGVTALRM, "VTALRM" }, { SIGPROF, "PROF" },   { SIGWINCH, "WINCH" },
  { SIGIO, "IO" },     { SIGPWR, "PWR" },     { SIGSYS, "SYS" },       { SIGIO, "POLL" },
  { SIGABRT, "IOT" },  { SIGCHLD, "CLD" },
};

static int parse_number(const char *s, int *out)
{
  char *end;
  long v;
  if(!*s)
    return -1;
  v = strtol(s, &end, 10);
  if(*end || v < 0 || v > 1000)
    return -1;
  *out = (int)v;
  return 0;
}

int signal_parse(const char *s)
{
  int n;

  if(!s || !*s)
    return -1;
  if(s[0] >= '0' && s[0] <= '9')
    return parse_number(s, &n) == 0 && n >= 1 && n < NSIG ? n : -1;
  if(!strncasecmp(s, "SIG", 3))
    s += 3;
  for(size_t i = 0; i < sizeof(signal_table) / sizeof(signal_table[0]); i++)
    if(!strcasecmp(s, signal_table[i].name))
      return signal_table[i].n;
  if(!strncasecmp(s, "RTMIN", 5) || !strncasecmp(s, "RTMAX", 5)) {
    int base = !strncasecmp(s, "RTMIN", 5) ? SIGRTMIN : SIGRTMAX;
    int off = 0;
    if(s[5] == '+' || s[5] == '-') {
      if(parse_number(s + 6, &off))
        return -1;
      off = s[5] == '-' ? -off : off;
    }
    else if(s[5])
      return -1;
    n = base + off;
    return n >= SIGRTMIN && n <= SIGRTMAX ? n : -1;
  }
  return -1;
}

const char *signal_name(int n, char *buf, size_t cap)
{
  for(size_t i = 0; i < sizeof(signal_table) / sizeof(signal_table[0]); i++) {
    if(signal_table[i].n == n) {
      snprintf(buf, cap, "%s", signal_table[i].name);
      return buf;
    }
  }
  if(n >= SIGRTMIN && n <= SIGRTMAX) {
    if(n == SIGRTMIN)
      snprintf(buf, cap, "RTMIN");
    else if(n == SIGRTMAX)
      snprintf(buf, cap, "RTMAX");
    else
      snprintf(buf, cap, "RTMIN+%d", n - SIGRTMIN);
  }
  else
    snprintf(buf, cap, "?");
  return buf;
}

int signal_forwardable(int n)
{
  if(n >= 1 && n <= 31)
    return n != SIGKILL && n != SIGSTOP && n != SIGCHLD;
  return n >= SIGRTMIN && n <= SIGRTMAX;
}

int signal_is_stop(int n)
{
  return n == SIGTERM || n == SIGINT;
}

/* The signal mask and ignored set pinit was started with, so every child gets them back. */

static sigset_t orig_mask;

void signal_save(void)
{
  sigprocmask(SIG_SETMASK, NULL, &orig_mask);
}

const sigset_t *signal_original_mask(void)
{
  return &orig_mask;
}

void signal_restore_child(void)
{
  sigprocmask(SIG_SETMASK, &orig_mask, NULL);
}
