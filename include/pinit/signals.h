/* signals.h - what pinit was started with, so every child gets exactly that back.
 *
 * pinit receives signals through libev's signalfd mode: the watched signals are blocked and
 * read from a signalfd, so pinit never changes a disposition and a PID 1 in a namespace
 * still receives signals with no handler installed.  A forked child calls
 * signals_restore_child() just before exec: the original mask, and every disposition the
 * parent may have changed put back (SIG_IGN stays ignored across exec, as it was). */
#ifndef PINIT_SIGNALS_H
#define PINIT_SIGNALS_H

#include <signal.h>

/* Record the signal mask and the ignored set pinit was started with.  Call first thing in
 * main, before libev or anything else touches signals.  Never fails. */
void signals_save(void);

/* The mask recorded by signals_save(). */
const sigset_t *signals_original_mask(void);

/* In a forked child before exec: restore the original ignored set (every other
 * disposition to SIG_DFL) and the original mask.  Async-signal-safe. */
void signals_restore_child(void);

#endif
