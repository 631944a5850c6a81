/* signals.c - the signal mask pinit was started with, put back in every child.
 * See include/pinit/signals.h. */
#include "pinit/signals.h"

#include <stddef.h>

static sigset_t orig_mask;

void signals_save(void)
{
  sigprocmask(SIG_SETMASK, NULL, &orig_mask);
}

const sigset_t *signals_original_mask(void)
{
  return &orig_mask;
}

void signals_restore_child(void)
{
  sigprocmask(SIG_SETMASK, &orig_mask, NULL);
}
