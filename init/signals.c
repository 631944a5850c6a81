/* signals.c - the signal mask and ignored set pinit was started with.
 * See include/pinit/signals.h. */
#include "pinit/signals.h"

#include <string.h>

static sigset_t orig_mask;
static sigset_t orig_ignored;

void signals_save(void)
{
  sigemptyset(&orig_ignored);
  sigprocmask(SIG_SETMASK, NULL, &orig_mask);
  for(int s = 1; s < NSIG; s++) {
    struct sigaction sa;
    if(s == SIGKILL || s == SIGSTOP)
      continue;
    if(sigaction(s, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
      sigaddset(&orig_ignored, s);
  }
}

const sigset_t *signals_original_mask(void)
{
  return &orig_mask;
}

void signals_restore_child(void)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sigemptyset(&sa.sa_mask);
  for(int s = 1; s < NSIG; s++) {
    if(s == SIGKILL || s == SIGSTOP)
      continue;
    sa.sa_handler = sigismember(&orig_ignored, s) ? SIG_IGN : SIG_DFL;
    sigaction(s, &sa, NULL);
  }
  sigprocmask(SIG_SETMASK, &orig_mask, NULL);
}
