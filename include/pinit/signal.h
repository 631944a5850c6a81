/* signal.h - signal names and the forwarding table, pure (no allocation, no system call,
 * never blocks); and the mask pinit was started with (one sigprocmask(2) each). */
#ifndef PINIT_SIGNAL_H
#define PINIT_SIGNAL_H

#include <signal.h>
#include <stddef.h>

/* Parse "SIGUSR1", "USR1", "usr1", "10", "RTMIN", "RTMIN+3", "SIGRTMAX-1".
 * Returns the signal number (1 .. NSIG-1), or -1 if `s` names no signal. */
int signal_parse(const char *s);

/* Name of signal n without the SIG prefix ("TERM", "RTMIN+2"), written to buf (cap >= 16);
 * "?" for an invalid number.  Returns buf. */
const char *signal_name(int n, char *buf, size_t cap);

/* 1 if pinit forwards signal n to its child: every catchable signal 1-31 except SIGCHLD,
 * plus SIGRTMIN..SIGRTMAX.  0 for SIGKILL, SIGSTOP, SIGCHLD, the libc-reserved numbers
 * between 31 and SIGRTMIN, and out-of-range numbers. */
int signal_forwardable(int n);

/* 1 for the signals that ask pinit to stop (SIGTERM, SIGINT). */
int signal_is_stop(int n);

/* The mask and dispositions pinit was started with, so every child gets exactly that back.
 *
 * pinit receives signals through signalfds (sigfd.h, and libev's for SIGCHLD): the
 * watched signals are blocked and read from a descriptor, so pinit never changes a
 * disposition and a PID 1 in a namespace still receives signals with no handler
 * installed.  A child therefore inherits the dispositions pinit was started with (SIG_IGN
 * stays ignored across exec, as it was; there is no handler for exec to reset); only the
 * mask needs putting back, which signal_restore_child() does just before exec.  Whoever
 * changes a disposition in the supervisor must restore it in the child as well. */

/* Record the signal mask pinit was started with.  Call first thing in main, before libev
 * or anything else touches signals.  Never fails. */
void signal_save(void);

/* The mask recorded by signal_save(). */
const sigset_t *signal_original_mask(void);

/* In a forked child before exec: restore the original mask.  Async-signal-safe. */
void signal_restore_child(void);

#endif
