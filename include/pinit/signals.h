/* signals.h - what pinit was started with, so every child gets exactly that back.
 *
 * pinit receives signals through signalfds (sigfd.h, and libev's for SIGCHLD): the
 * watched signals are blocked and read from a descriptor, so pinit never changes a
 * disposition and a PID 1 in a namespace still receives signals with no handler
 * installed.  A child therefore inherits the dispositions pinit was started with (SIG_IGN
 * stays ignored across exec, as it was; there is no handler for exec to reset); only the
 * mask needs putting back, which signals_restore_child() does just before exec.  Whoever
 * changes a disposition in the supervisor must restore it in the child as well. */
#ifndef PINIT_SIGNALS_H
#define PINIT_SIGNALS_H

#include <signal.h>

/* Record the signal mask pinit was started with.  Call first thing in main, before libev
 * or anything else touches signals.  Never fails. */
void signals_save(void);

/* The mask recorded by signals_save(). */
const sigset_t *signals_original_mask(void);

/* In a forked child before exec: restore the original mask.  Async-signal-safe. */
void signals_restore_child(void);

#endif
