/* spawn.h - fork and exec the main child.
 *
 * The child gets: its own process group (the foreground group of `tty_fd` when that is a
 * terminal), the signal mask and ignored set pinit was started with (signal.h), the
 * caller's working directory (via `cwd_fd`), pinit's environment (or `envp`), the caller's
 * fds, optionally a notify fd, and optionally another identity (uid/gid/supplementary
 * groups).  If exec fails the child writes one log line naming the command (child_fail.h)
 * and exits 127 (not found) or 126 (found but not executable), the codes a shell uses
 * (exitcode_exec_failure); a failure before exec (notify fd, working directory, identity)
 * exits 126 with a line saying which step failed. */
#ifndef PINIT_SPAWN_H
#define PINIT_SPAWN_H

#include <sys/types.h>

struct spawn_req {
  char *const *argv;    /* argv[0] is looked up in PATH */
  char *const *envp;    /* NULL: pinit's environment */
  int cwd_fd;           /* directory to fchdir to, or -1 */
  int tty_fd;           /* a terminal to hand the foreground to, or -1 */
  int notify_src;       /* fd to dup2 onto notify_fd in the child, or -1 */
  int notify_fd;
  int drop;             /* 1: setgroups(groups), setgid(gid), setuid(uid) before exec */
  uid_t uid;
  gid_t gid;
  const gid_t *groups;
  int ngroups;
};

/* Fork and exec.  Returns the child's pid, or -1 with errno from fork(2).  The parent does
 * not wait for the exec: its failure shows up as the child's exit status.  Never blocks
 * (one fork).  `req` and what it points to are only read. */
pid_t spawn_child(const struct spawn_req *req);

#endif
