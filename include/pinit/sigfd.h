/* sigfd.h - the signals pinit forwards, read from one signalfd.
 *
 * One descriptor for every forwardable signal (signal_forwardable(): all catchable signals but
 * SIGCHLD, which libev's ev_child reads from its own signalfd).  Opening it blocks those
 * signals in the calling thread with one sigprocmask(2) and changes no disposition, so a
 * PID 1 in a namespace still receives them and a child gets its dispositions untouched.
 * One set-up for all of them, where one libev watcher per signal costs ~60 signalfd(2)
 * and sigprocmask(2) calls at start. */
#ifndef PINIT_SIGFD_H
#define PINIT_SIGFD_H

#include <signal.h>

/* The set of forwardable signals (exactly those signal_forwardable() accepts).  Pure. */
void sigfd_set(sigset_t *set);

/* Block the forwardable signals and return a non-blocking, close-on-exec signalfd for
 * them; the caller owns it.  Returns -1 with errno set (signalfd(2)'s) on failure, the
 * mask then being unchanged.  Never blocks. */
int sigfd_open(void);

/* The next pending signal read from fd: its number (> 0), 0 when none is pending, -1 with
 * errno on a read error.  Never blocks (fd is non-blocking). */
int sigfd_next(int fd);

#endif
