/* spawn.c - fork and exec the main child.  See include/pinit/spawn.h. */
#include "pinit/spawn.h"
#include "pinit/log.h"
#include "pinit/signals.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int spawn_exec_failure_code(int e)
{
  return e == ENOENT || e == ENOTDIR || e == ENAMETOOLONG || e == ELOOP ? 127 : 126;
}

/* In the child: everything between fork and exec.  Only async-signal-safe calls (and
 * plog, which takes no locks).  Never returns. */
static void child(const struct spawn_req *r)
{
  extern char **environ;
  int e;

  setpgid(0, 0);
  /* SIGTTOU is still blocked here (pinit's mask), so a background tcsetpgrp is allowed */
  if(r->tty_fd >= 0)
    tcsetpgrp(r->tty_fd, getpid());
  signals_restore_child();
  if(r->notify_src >= 0) {
    if(r->notify_src == r->notify_fd)
      fcntl(r->notify_fd, F_SETFD, 0);
    else if(dup2(r->notify_src, r->notify_fd) < 0) {
      plog(LOG_ERROR, "spawn", "notify fd %d: %s", r->notify_fd, strerror(errno));
      _exit(126);
    }
  }
  if(r->cwd_fd >= 0 && fchdir(r->cwd_fd) < 0) {
    plog(LOG_ERROR, "spawn", "cannot enter the working directory: %s", strerror(errno));
    _exit(126);
  }
  if(r->drop) {
    if(setgroups((size_t)r->ngroups, r->groups) < 0 || setgid(r->gid) < 0 || setuid(r->uid) < 0) {
      plog(LOG_ERROR, "spawn", "cannot switch to uid %d gid %d: %s", (int)r->uid, (int)r->gid, strerror(errno));
      _exit(126);
    }
  }
  execvpe(r->argv[0], r->argv, (char *const *)(r->envp ? r->envp : environ));
  e = errno;
  plog(LOG_ERROR, "exec", "%s: %s", r->argv[0], strerror(e));
  _exit(spawn_exec_failure_code(e));
}

pid_t spawn_child(const struct spawn_req *req)
{
  pid_t pid = fork();
  if(pid == 0)
    child(req);
  if(pid > 0)
    setpgid(pid, pid); /* also in the parent, so signals to the group work at once */
  return pid;
}
