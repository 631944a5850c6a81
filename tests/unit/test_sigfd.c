/* Table tests for sigfd.c: the set is the forwarding table, and a blocked signal comes out
 * of the descriptor once. */
#include "pinit/signal.h"
#include "pinit/sigfd.h"
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

int main(void)
{
  sigset_t set, before, after;
  int fd;

  /* the set is signal_forwardable(), signal by signal */
  sigfd_set(&set);
  for(int s = 1; s < NSIG; s++)
    CHECK_INT(sigismember(&set, s) == 1, signal_forwardable(s));

  /* open: the forwardable signals are blocked, nothing else is */
  sigprocmask(SIG_SETMASK, NULL, &before);
  fd = sigfd_open();
  CHECK(fd >= 0);
  sigprocmask(SIG_SETMASK, NULL, &after);
  for(int s = 1; s < NSIG; s++)
    CHECK_INT(sigismember(&after, s) == 1, signal_forwardable(s) || sigismember(&before, s) == 1);

  /* nothing pending: 0; a raised signal: its number, once */
  CHECK_INT(sigfd_next(fd), 0);
  raise(SIGUSR1);
  raise(SIGRTMIN + 2);
  {
    int a = sigfd_next(fd), b = sigfd_next(fd);
    CHECK((a == SIGUSR1 && b == SIGRTMIN + 2) || (a == SIGRTMIN + 2 && b == SIGUSR1));
  }
  CHECK_INT(sigfd_next(fd), 0);

  /* a read error is -1 with errno */
  close(fd);
  errno = 0;
  CHECK_INT(sigfd_next(fd), -1);
  CHECK_INT(errno, EBADF);
  sigprocmask(SIG_SETMASK, &before, NULL);
  return unit_done("sigfd");
}
