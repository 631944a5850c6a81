/* sigfd.c - the signals pinit forwards, read from one signalfd.  See include/pinit/sigfd.h. */
#include "pinit/sigfd.h"

#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

void sigfd_set(sigset_t *set)
{
  /* every signal sigfillset() gives (the libc leaves out the numbers it reserves between
   * 31 and SIGRTMIN) but the three signal_forwardable() refuses: four calls, not one per
   * signal; tests/unit/test_sigfd.c holds this to signal_forwardable() signal by signal */
  sigfillset(set);
  sigdelset(set, SIGKILL);
  sigdelset(set, SIGSTOP);
  sigdelset(set, SIGCHLD);
}

int sigfd_open(void)
{
  sigset_t set, old;
  int fd, saved;

  sigfd_set(&set);
  if(sigprocmask(SIG_BLOCK, &set, &old) < 0)
    return -1;
  fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if(fd < 0) {
    saved = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    errno = saved;
  }
  return fd;
}

int sigfd_next(int fd)
{
  struct signalfd_siginfo si;
  ssize_t n;

  do
    n = read(fd, &si, sizeof(si));
  while(n < 0 && errno == EINTR);
  if(n < 0)
    return errno == EAGAIN ? 0 : -1;
  if(n != (ssize_t)sizeof(si)) {
    errno = EIO;
    return -1;
  }
  return (int)si.ssi_signo;
}
