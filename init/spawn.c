/* spawn.c - fork and exec the main child.  See include/pinit/spawn.h. */
#include "pinit/spawn.h"
#include "pinit/child_fail.h"
#include "pinit/exitcode.h"
#include "pinit/signal.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

/* The lines a failing child writes, formatted before the fork (child_fail.h). */
struct child_lines {
  struct child_fail notify, cwd, drop, exec;
};

/* In the child: everything between fork and exec.  Only async-signal-safe calls.  Never
 * returns. */
static void child(const struct spawn_req *r, const struct child_lines *l)
{
  extern char **environ;

  setpgid(0, 0);
  /* SIGTTOU is still blocked here (pinit's mask), so a background tcsetpgrp is allowed */
  if(r->tty_fd >= 0)
    tcsetpgrp(r->tty_fd, getpid());
  signal_restore_child();
  if(r->notify_src >= 0) {
    if(r->notify_src == r->notify_fd)
      fcntl(r->notify_fd, F_SETFD, 0);
    else if(dup2(r->notify_src, r->notify_fd) < 0)
      child_fail_exit(&l->notify, errno, EXITCODE_CANNOT_EXEC);
  }
  if(r->cwd_fd >= 0 && fchdir(r->cwd_fd) < 0)
    child_fail_exit(&l->cwd, errno, EXITCODE_CANNOT_EXEC);
  if(r->drop) {
    if(setgroups((size_t)r->ngroups, r->groups) < 0 || setgid(r->gid) < 0 || setuid(r->uid) < 0)
      child_fail_exit(&l->drop, errno, EXITCODE_CANNOT_EXEC);
  }
  execvpe(r->argv[0], r->argv, (char *const *)(r->envp ? r->envp : environ));
  int e = errno;
  child_fail_exit(&l->exec, e, exitcode_exec_failure(e));
}

pid_t spawn_child(const struct spawn_req *req)
{
  struct child_lines l;
  pid_t pid;

  if(req->notify_src >= 0 && req->notify_src != req->notify_fd)
    child_fail_prepare(&l.notify, CHILD_FAIL_LOG, "spawn", "notify fd %d", req->notify_fd);
  if(req->cwd_fd >= 0)
    child_fail_prepare_msg(&l.cwd, CHILD_FAIL_LOG, "spawn", "cannot enter the working directory");
  if(req->drop)
    child_fail_prepare(&l.drop, CHILD_FAIL_LOG, "spawn", "cannot switch to uid %d gid %d", (int)req->uid,
                       (int)req->gid);
  child_fail_prepare_msg(&l.exec, CHILD_FAIL_LOG, "exec", req->argv[0]);
  pid = fork();
  if(pid == 0)
    child(req, &l);
  if(pid > 0)
    setpgid(pid, pid); /* also in the parent, so signals to the group work at once */
  return pid;
}
