/* exec.c - exec probes: run a command in its own process group, exit 0 = healthy.
 * See include/pinit/probe.h.
 *
 * The child is reaped by libev (its SIGCHLD watcher calls waitpid(-1) and hands the
 * status to our ev_child for the pid), so there is no second reaping loop here.  On
 * timeout or cancel the group is SIGKILLed and our watcher stopped: libev still reaps
 * the zombie, and any other ev_child(0) watcher sees it as an ordinary exit.
 */
#include "internal.h"
#include "pinit/child_fail.h"
#include "pinit/exitcode.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void close_from(int lowfd)
{
#ifdef SYS_close_range
  if(syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0) == 0)
    return;
#endif
  struct rlimit rl;
  int max = 4096;
  if(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 65536)
    max = (int)rl.rlim_cur;
  for(int fd = lowfd; fd < max; fd++)
    close(fd);
}

/* In the child, after fork: only async-signal-safe calls (libcurl may have threads). */
static void __attribute__((noreturn)) child(const struct probe *p, int wfd, const struct child_fail *cf)
{
  char *argv[PROBE_ARGS_MAX + 1];
  struct sigaction sa;
  sigset_t none;
  const char *w = p->target.spec;
  int fd;

  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = SIG_DFL;
  for(int s = 1; s < NSIG; s++)
    if(s != SIGKILL && s != SIGSTOP)
      sigaction(s, &sa, NULL);
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  fd = open("/dev/null", O_RDONLY);
  if(fd < 0)
    close(0);
  else if(fd != 0) {
    dup2(fd, 0);
    close(fd);
  }
  dup2(wfd, 1);
  dup2(wfd, 2);
  close_from(3);
  for(int i = 0; i < p->target.argc; i++) {
    argv[i] = (char *)w;
    w += strlen(w) + 1;
  }
  argv[p->target.argc] = NULL;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if(p->envp)
    execvpe(argv[0], argv, p->envp);
  else
    execvp(argv[0], argv);

  int e = errno;
  child_fail_exit(cf, e, exitcode_exec_failure(e));
}

/* Read what is there; keep the first bytes, discard the rest.  Returns 1 at EOF/error. */
static int drain(struct probe *p)
{
  char buf[512];

  for(;;) {
    ssize_t n = read(p->out.fd, buf, sizeof(buf));
    if(n < 0 && errno == EINTR)
      continue;
    if(n < 0)
      return errno != EAGAIN;
    if(n == 0)
      return 1;
    size_t room = sizeof(p->output) - 1 - p->outlen;
    size_t take = (size_t)n < room ? (size_t)n : room;
    memcpy(p->output + p->outlen, buf, take);
    p->outlen += take;
  }
}

static void out_cb(struct ev_loop *loop, ev_io *w, int revents)
{
  struct probe *p = w->data;
  if(drain(p))
    ev_io_stop(loop, w);   /* keep the fd until the attempt ends */
}

static void release(struct probe *p)
{
  if(p->pid > 0) {
    kill(-p->pid, SIGKILL);
    kill(p->pid, SIGKILL);
  }
  ev_child_stop(p->loop, &p->child);
  ev_io_stop(p->loop, &p->out);
  if(p->out.fd >= 0)
    close(p->out.fd);
  ev_io_set(&p->out, -1, 0);
  p->pid = -1;
}

static void child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
  struct probe *p = w->data;
  int st = w->rstatus, ok = 0;
  char line[sizeof(p->output)];
  size_t n = 0;

  if(p->out.fd >= 0)
    drain(p);
  /* first non-empty line of output, control characters made blanks */
  const char *o = p->output;
  const char *end = p->output + p->outlen;
  while(o < end && (*o == '\n' || *o == '\r' || *o == ' '))
    o++;
  while(o < end && *o != '\n' && *o != '\r' && n < sizeof(line) - 1) {
    unsigned char c = (unsigned char)*o++;
    line[n++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
  }
  line[n] = 0;

  ev_child_stop(loop, w);
  kill(-p->pid, SIGKILL);   /* whatever it left behind in its group */
  p->pid = -1;              /* reaped already: release() must not kill that pid */
  release(p);
  if(WIFEXITED(st)) {
    ok = WEXITSTATUS(st) == 0;
    if(ok || !n)
      probe_reason(p, "exit %d", WEXITSTATUS(st));
    else
      probe_reason(p, "exit %d: %s", WEXITSTATUS(st), line);
  }
  else if(WIFSIGNALED(st))
    probe_reason(p, "killed by signal %d%s%s", WTERMSIG(st), n ? ": " : "", line);
  else
    probe_reason(p, "status %#x", st);
  probe_done(p, ok);
}

int exec_start(struct probe *p)
{
  int pfd[2], e;
  sigset_t all, old;
  pid_t pid;
  char buf[96];
  struct child_fail cf;

  if(pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0) {
    probe_reason(p, "pipe: %s", probe_strerror(errno, buf, sizeof(buf)));
    return -1;
  }
  child_fail_prepare_msg(&cf, CHILD_FAIL_PLAIN, "exec", p->target.spec); /* argv[0]: the first string */
  /* Block every signal across fork so no handler of ours runs in the child. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid = fork();
  if(pid == 0)
    child(p, pfd[1], &cf);
  e = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  close(pfd[1]);
  if(pid < 0) {
    close(pfd[0]);
    probe_reason(p, "fork: %s", probe_strerror(e, buf, sizeof(buf)));
    return -1;
  }
  setpgid(pid, pid);   /* both sides set it, so the group exists before we could kill it */
  p->pid = pid;
  p->outlen = 0;
  ev_child_init(&p->child, child_cb, pid, 0);
  p->child.data = p;
  ev_child_start(p->loop, &p->child);
  ev_io_init(&p->out, out_cb, pfd[0], EV_READ);
  p->out.data = p;
  ev_io_start(p->loop, &p->out);
  return 0;
}

void exec_stop(struct probe *p)
{
  release(p);
}
