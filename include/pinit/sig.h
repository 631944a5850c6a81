/* sig.h - signal names and the forwarding table.  Pure, no allocation, never blocks. */
#ifndef PINIT_SIG_H
#define PINIT_SIG_H

#include <stddef.h>

/* Parse "SIGUSR1", "USR1", "usr1", "10", "RTMIN", "RTMIN+3", "SIGRTMAX-1".
 * Returns the signal number (1 .. NSIG-1), or -1 if `s` names no signal. */
int sig_parse(const char *s);

/* Name of signal n without the SIG prefix ("TERM", "RTMIN+2"), written to buf (cap >= 16);
 * "?" for an invalid number.  Returns buf. */
const char *sig_name(int n, char *buf, size_t cap);

/* 1 if pinit forwards signal n to its child: every catchable signal 1-31 except SIGCHLD,
 * plus SIGRTMIN..SIGRTMAX.  0 for SIGKILL, SIGSTOP, SIGCHLD, the libc-reserved numbers
 * between 31 and SIGRTMIN, and out-of-range numbers. */
int sig_forwardable(int n);

/* 1 for the signals that ask pinit to stop (SIGTERM, SIGINT). */
int sig_is_stop(int n);

#endif
