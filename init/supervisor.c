/* supervisor.c - stage 1 (config, waits) -> stage 2 (supervise, reap) -> stage 3 (stop, drain).
 * The thin libev glue around the pure state machine of supervise.c.  See supervisor.h. */
#include "pinit/supervisor.h"
#include "pinit/exitcode.h"
#include "pinit/clock.h"
#include "pinit/control.h"
#include "pinit/drain.h"
#include "pinit/env_block.h"
#include "pinit/evalloc.h"
#include "pinit/health.h"
#include "pinit/duration.h"
#include "pinit/httpd.h"
#include "pinit/log.h"
#include "pinit/metrics.h"
#include "pinit/notify.h"
#include "pinit/signal.h"
#include "pinit/sigfd.h"
#include "pinit/spawn.h"
#include "pinit/check.h"
#include "pinit/status.h"
#include "pinit/supervise.h"
#include "pinit/wait.h"

#include <dirent.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define DRAIN_POLL_S 0.05
#define DRAIN_KILL_WAIT_MS 2000

struct run {
  struct ev_loop *loop;
  const struct supervisor_spec *spec;
  struct config *cfg;
  struct supervise sv;
  struct exitcode_remap remap;
  struct env_block env; /* the child's: spec->child_env (or pinit's own) + NOTIFY_SOCKET */
  int cwd_fd, tty_fd;
  int *inherited; /* fds >= 3 pinit was started with (malloc'd at the first one) */
  int ninherited;
  int inherited_closed;

  ev_timer supervise_timer;
  ev_periodic far; /* see supervisor_run_config */
  ev_child child_w;
  ev_io sig_w; /* the forwardable signals, one signalfd (sigfd.h) */

  /* stage 3 */
  int draining, drain_killed, exit_code;
  struct clock_mono drain_deadline;
  ev_timer drain_tick;

  uint64_t reaped;

  /* dependency waits */
  struct waiter waiter;
  size_t nwait;
  int waiting;

  struct notify notify; /* readiness from the child: a notify pipe, or NOTIFY_SOCKET */

  struct control_server ctl;

  /* last, what a plain run never writes (health_init() leaves an unused one alone): the
   * fields above, written by every run, share as few pages as can be.
   * liveness and readiness: */
  struct health live, ready;
  /* the role's hooks (supervisor.h): a stop held for them, what they add to status and metrics
   * (written only by a Flink role) */
  int stop_held, stop_sig;
  char job_text[512], job_json[STATUS_JSON_JOB + 1], job_metrics[METRICS_EXTRA_MAX], live_note[128];
  struct probe_target wait_targets[WAIT_MAX_TARGETS];
};

static void apply(struct run *r, struct supervise_actions a);

static void step(struct run *r, enum supervise_event_type type, int arg, pid_t pid, int status)
{
  struct supervise_event ev = { type, arg, pid, status };
  apply(r, supervise_step(&r->sv, &ev, clock_mono_now()));
}

/* ---- stage 3: drain ------------------------------------------------------------------ */

static void finish_loop(struct run *r)
{
  ev_timer_stop(r->loop, &r->drain_tick);
  ev_break(r->loop, EVBREAK_ALL);
}

static void drain_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
  struct run *r = w->data;
  struct clock_mono now = clock_mono_now();
  int left = drain_signal(0, 0);

  if(left <= 0) {
    log_debug("drain", "all processes gone");
    finish_loop(r);
    return;
  }
  if(!r->drain_killed && clock_mono_diff(now, r->drain_deadline) >= 0) {
    log_warn("drain", "%d process%s still running after the grace period: SIGKILL", left, left == 1 ? "" : "es");
    drain_signal(SIGKILL, 0);
    r->drain_killed = 1;
    r->drain_deadline = clock_mono_add(now, DRAIN_KILL_WAIT_MS);
  }
  else if(r->drain_killed && clock_mono_diff(now, r->drain_deadline) >= 0) {
    log_error("drain", "%d process%s survived SIGKILL; exiting anyway", left, left == 1 ? "" : "es");
    finish_loop(r);
  }
}

/* The main child is done: SIGTERM everything else, wait for it (bounded), then exit. */
static void begin_drain(struct run *r, int code)
{
  struct clock_mono now = clock_mono_now();
  int64_t grace = r->cfg->stop_timeout_ms;
  int left;

  r->exit_code = code;
  r->draining = 1;
  left = drain_signal(SIGTERM, 0);
  if(left <= 0) {
    ev_break(r->loop, EVBREAK_ALL);
    return;
  }
  if(clock_mono_is_set(r->sv.stop_requested_at) && r->sv.want == SV_WANT_DOWN) {
    /* one budget for the whole stop: what the main child left of it, at least 1 s */
    grace = clock_mono_diff(clock_mono_add(r->sv.stop_requested_at, r->cfg->stop_timeout_ms), now);
    if(grace < 1000)
      grace = r->cfg->stop_timeout_ms < 1000 ? r->cfg->stop_timeout_ms : 1000;
  }
  log_info("drain", "%d process%s left: SIGTERM, SIGKILL in %lldms", left, left == 1 ? "" : "es", (long long)grace);
  r->drain_deadline = clock_mono_add(now, grace);
  ev_timer_init(&r->drain_tick, drain_tick_cb, DRAIN_POLL_S, DRAIN_POLL_S);
  r->drain_tick.data = r;
  ev_timer_start(r->loop, &r->drain_tick);
}

/* ---- stage 2: the child -------------------------------------------------------------- */

static void close_inherited(struct run *r)
{
  if(r->inherited_closed)
    return;
  for(int i = 0; i < r->ninherited; i++)
    close(r->inherited[i]);
  free(r->inherited);
  r->inherited = NULL;
  r->inherited_closed = 1;
}

static void do_spawn(struct run *r)
{
  struct spawn_req req = {
    .argv = r->spec->argv,
    .envp = r->env.v,
    .cwd_fd = r->cwd_fd,
    .tty_fd = r->tty_fd,
    .notify_src = r->notify.wr,
    .notify_fd = r->cfg->notify_fd,
    .drop = r->spec->drop,
    .uid = r->spec->uid,
    .gid = r->spec->gid,
  };
  gid_t own[1] = { r->spec->gid };
  pid_t pid;

  if(r->spec->hooks && r->spec->hooks->before_spawn)
    r->spec->hooks->before_spawn(r->spec->hooks->arg);
  req.groups = r->spec->ngroups ? r->spec->groups : own;
  req.ngroups = r->spec->ngroups ? r->spec->ngroups : 1;
  pid = spawn_child(&req);
  if(pid < 0) {
    log_error("spawn", "%s: fork: %s", r->spec->argv[0], strerror(errno));
    step(r, SV_EV_SPAWN_FAILED, errno, 0, 0);
    return;
  }
  /* the child has the caller's fds now; a supervisor that will respawn keeps them for the
   * next incarnation, a tini-style run closes them */
  if(r->cfg->policy == POLICY_NEVER)
    close_inherited(r);
  notify_set_child(&r->notify, pid);
  step(r, SV_EV_SPAWNED, 0, pid, 0);
}

static void kill_child(struct run *r, int sig, int group)
{
  pid_t pid = r->sv.pid;
  char name[16];
  if(pid <= 0)
    return;
  log_debug("signal", "%s to %s %d", signal_name(sig, name, sizeof(name)), group ? "group" : "pid", (int)pid);
  if(group) {
    if(kill(-pid, sig) < 0)
      kill(pid, sig);
  }
  else
    kill(pid, sig);
  if(sig != SIGKILL && sig != SIGCONT && group)
    kill(-pid, SIGCONT);
}

static void supervise_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
  struct run *r = w->data;
  ev_now_update(loop);
  step(r, SV_EV_TIMER, 0, 0, 0);
}


/* ---- probes (health.c) --------------------------------------------------------------- */

static void health_report(void *arg, struct health *h, int ok)
{
  struct run *r = arg;
  ev_now_update(r->loop);
  step(r, h->event, ok, 0, 0);
}

/* ---- dependency waits --------------------------------------------------------------- */

static void wait_done(struct waiter *w, int ok, void *arg)
{
  struct run *r = arg;
  r->waiting = 0;
  ev_now_update(r->loop);
  step(r, SV_EV_WAIT_DONE, ok, 0, 0);
}

static void start_waits(struct run *r)
{
  struct wait_options o;
  wait_options_default(&o);
  o.timeout_ms = r->cfg->wait_timeout_ms;
  o.interval_ms = r->cfg->wait_interval_ms;
  if(wait_init(&r->waiter, r->wait_targets, r->nwait, &o) < 0 || wait_start(&r->waiter, r->loop, wait_done, r) < 0) {
    log_error("wait", "cannot start: %s", strerror(errno));
    step(r, SV_EV_WAIT_DONE, 0, 0, 0);
    return;
  }
  r->waiting = 1;
}

/* ---- readiness notification from the child (notify.c) -------------------------------- */

static void notify_ready(void *arg)
{
  struct run *r = arg;
  ev_now_update(r->loop);
  if(!r->sv.ready) /* once per transition, however often the child says it */
    log_info("notify", "%s says it is ready", r->sv.name);
  step(r, SV_EV_READY, 1, 0, 0);
}

/* ---- stop, possibly held by the role's hooks (a savepoint first) ---------------------- */

static void stop_go(void *arg)
{
  struct run *r = arg;
  r->stop_held = 0;
  ev_now_update(r->loop);
  step(r, SV_EV_STOP, r->stop_sig, 0, 0);
}

static void request_stop(struct run *r, int sig)
{
  const struct supervisor_hooks *h = r->spec->hooks;
  if(r->stop_held) {
    h->release_stop(h->arg, "stop asked again");
    stop_go(r);
    return;
  }
  r->stop_sig = sig;
  if(h && h->hold_stop && supervise_running(&r->sv) && r->sv.state != SV_STOPPING && r->sv.want == SV_WANT_UP &&
     h->hold_stop(h->arg, r->loop, stop_go, r)) {
    r->stop_held = 1;
    health_stop(&r->live, r->loop); /* no liveness restart in the middle of it */
    return;
  }
  step(r, SV_EV_STOP, sig, 0, 0);
}

/* ---- the control socket ------------------------------------------------------------- */

static void fill_view(struct run *r, struct status_view *v, char *deps, size_t cap)
{
  v->sv = &r->sv;
  v->now = clock_mono_now();
  v->reaped = r->reaped;
  v->message = r->notify.message;
  v->child_state = supervise_running(&r->sv) ? drain_proc_state(r->sv.pid) : 0;
  v->job = v->job_json = v->live_note = NULL;
  if(r->spec->hooks && r->spec->hooks->describe) {
    r->spec->hooks->describe(r->spec->hooks->arg, clock_wall_now().ms /* ages for a person */, r->job_text,
                             sizeof(r->job_text), r->job_json, sizeof(r->job_json));
    v->job = r->job_text;
    v->job_json = r->job_json;
  }
  if(r->spec->hooks && r->spec->hooks->live_note) {
    r->spec->hooks->live_note(r->spec->hooks->arg, r->live_note, sizeof(r->live_note));
    v->live_note = r->live_note[0] ? r->live_note : NULL;
  }
  if(!r->nwait)
    snprintf(deps, cap, "none");
  else if(r->waiting) {
    size_t len = (size_t)snprintf(deps, cap, "waiting: ");
    wait_missing(&r->waiter, deps + len, cap - len);
  }
  else
    snprintf(deps, cap, r->sv.state == SV_WAITING ? "pending" : "ok");
  v->deps = deps;
}

static int control_handler(void *arg, enum control_verb verb, uid_t peer, char *text, size_t cap)
{
  struct run *r = arg;
  struct status_view v;
  char deps[512];

  fill_view(r, &v, deps, sizeof(deps));
  switch(verb) {
  case CTL_LIVE:
    return check_live(&v, text, cap);
  case CTL_READY:
    return check_ready(&v, text, cap);
  case CTL_STATUS:
    status_line(&v, text, cap);
    return supervise_running(&r->sv) ? 0 : EXITCODE_STATUS_NOT_RUNNING;
  case CTL_STATUS_JSON:
    status_json(&v, text, cap);
    return supervise_running(&r->sv) ? 0 : EXITCODE_STATUS_NOT_RUNNING;
  case CTL_RESTART:
  case CTL_STOP:
    if(peer != 0 && peer != getuid()) {
      snprintf(text, cap, "refused: uid %d may not %s (only root or uid %d)", (int)peer,
               verb == CTL_STOP ? "stop" : "restart", (int)getuid());
      log_warn("control", "%s", text);
      return EXITCODE_NOPERM;
    }
    log_info("control", "%s requested by uid %d", verb == CTL_STOP ? "stop" : "restart", (int)peer);
    if(verb == CTL_STOP) {
      snprintf(text, cap, "stopping %s", r->sv.name);
      if(!r->draining)
        request_stop(r, 0);
    }
    else {
      snprintf(text, cap, r->sv.want == SV_WANT_DOWN ? "not restarting %s: it is being stopped" : "restarting %s",
               r->sv.name);
      step(r, SV_EV_RESTART, 0, 0, 0);
    }
    return 0;
  }
  return EXITCODE_USAGE;
}

/* The control socket, before anything is started.  A supervisor (PID 1, or with a restart
 * policy) never runs without it, since its healthcheck depends on it: it refuses to start
 * (78).  A tini-style run outside a container, where another pinit may own the name, goes
 * on quietly. */
static int run_control_start(struct run *r)
{
  char name[CTL_NAME_MAX];
  control_socket_name(r->cfg->control_socket, name, sizeof(name));
  if(control_server_start(&r->ctl, r->loop, name, control_handler, r) == 0) {
    log_debug("control", "listening on %s", name);
    return 0;
  }
  if(getpid() == 1 || r->cfg->policy != POLICY_NEVER) {
    log_error("control", "control.socket: cannot listen on %s: %s (%s)", name, strerror(errno),
              errno == EADDRINUSE ? (name[0] == '@' ? "another supervisor in this network namespace has that name; give each its own"
                                                    : "a live socket or a file that is not a socket is at that path")
                                  : "pinit check would have nothing to ask");
    return -1;
  }
  log_debug("control", "cannot listen on %s: %s (pinit check/status will not reach this supervisor)", name,
            strerror(errno));
  return 0;
}

/* The health and metrics endpoint reads the same view, plus what only metrics show. */
static void http_fill(void *arg, struct httpd_view *v)
{
  struct run *r = arg;

  fill_view(r, &v->status, v->deps, sizeof(v->deps));
  v->metrics.waiter = r->waiter.items ? &r->waiter : NULL;
  v->metrics.zombies_reaped = r->reaped;
  v->metrics.wall_minus_mono_ms = clock_wall_now().ms - v->status.now.ms; /* display only */
  if(r->spec->hooks && r->spec->hooks->metrics) {
    r->spec->hooks->metrics(r->spec->hooks->arg, r->job_metrics, sizeof(r->job_metrics));
    v->metrics.extra = r->job_metrics;
  }
}

static void apply(struct run *r, struct supervise_actions a)
{
  if(a.flags & SV_ACT_WAIT_CANCEL) {
    wait_cancel(&r->waiter);
    r->waiting = 0;
  }
  if(a.flags & SV_ACT_PROBES_STOP) {
    health_stop(&r->live, r->loop);
    health_stop(&r->ready, r->loop);
  }
  if(a.flags & SV_ACT_KILL) {
    kill_child(r, a.signal, a.group);
    /* a stopped child cannot act on a stop signal: continue it (the group gets SIGCONT
     * in kill_child already), as s6 does */
    if(!a.group && a.signal != SIGKILL && a.signal != SIGCONT)
      kill_child(r, SIGCONT, 0);
  }
  if(a.flags & SV_ACT_TIMER_STOP)
    ev_timer_stop(r->loop, &r->supervise_timer);
  if(a.flags & SV_ACT_SPAWN)
    do_spawn(r);
  if(a.flags & SV_ACT_WAIT)
    start_waits(r);
  if(a.flags & SV_ACT_TIMER) {
    /* a relative ev_timer runs on libev's monotonic clock; libev's cached time may lag, so
     * refresh it first (an early firing is re-armed by supervise_step in any case) */
    double in = (double)clock_mono_diff(a.timer_at, clock_mono_now()) / 1000.0;
    ev_now_update(r->loop);
    ev_timer_stop(r->loop, &r->supervise_timer);
    ev_timer_set(&r->supervise_timer, in > 0 ? in : 0, 0);
    ev_timer_start(r->loop, &r->supervise_timer);
  }
  if(a.flags & SV_ACT_PROBES_START) {
    health_start(&r->live, r->loop);
    health_start(&r->ready, r->loop);
  }
  if(a.flags & SV_ACT_EXIT)
    begin_drain(r, a.exit_code);
}

static void child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
  struct run *r = w->data;
  if(w->rpid == r->sv.pid && r->sv.pid > 0) {
    notify_set_child(&r->notify, 0);
    ev_now_update(loop);
    if(r->stop_held) { /* it went away during the savepoint: the stop goes on, no restart */
      r->spec->hooks->release_stop(r->spec->hooks->arg, "the child exited");
      stop_go(r);
    }
    step(r, SV_EV_EXITED, 0, w->rpid, w->rstatus);
    return;
  }
  r->reaped++;
  if(r->spec->opts && r->spec->opts->warn_reaped)
    log_warn("reap", "reaped orphan pid %d", (int)w->rpid);
  else
    log_debug("reap", "reaped pid %d", (int)w->rpid);
}

static void on_signal(struct run *r, int signum)
{
  char name[16];

  ev_now_update(r->loop);
  if(signal_is_stop(signum)) {
    if(!r->draining) {
      log_info("signal", "%s: stopping", signal_name(signum, name, sizeof(name)));
      request_stop(r, signum);
    }
    return;
  }
  if(r->sv.pid > 0)
    kill_child(r, signum, r->sv.group);
  else
    log_debug("signal", "%s: no child to forward it to", signal_name(signum, name, sizeof(name)));
}

static void signal_cb(struct ev_loop *loop, ev_io *w, int revents)
{
  int signum;
  while((signum = sigfd_next(w->fd)) > 0)
    on_signal(w->data, signum);
}

/* ---- stage 1 ------------------------------------------------------------------------- */

/* Back-off jitter in [0,1): xorshift64, seeded from the clock and the pid.  Not for
 * security; it only keeps a fleet of containers from restarting in lockstep. */
static double jitter(void)
{
  static uint64_t x;
  if(!x) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    x = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^ 0x9e3779b97f4a7c15ULL;
  }
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return (double)(x >> 11) / 9007199254740992.0;
}

/* Add fd to the inherited list; the list is allocated at the first one, so a run that
 * inherits nothing allocates nothing.  Returns -1 when out of memory. */
static int add_inherited(struct run *r, int fd, int *cap)
{
  if(r->ninherited == *cap) {
    int *more = realloc(r->inherited, sizeof(int) * (size_t)(*cap ? *cap * 2 : 16));
    if(!more)
      return -1;
    r->inherited = more;
    *cap = *cap ? *cap * 2 : 16;
  }
  r->inherited[r->ninherited++] = fd;
  return 0;
}

/* (noinline, like health_init(): its buffer stays off supervisor_run_config()'s frame, which is
 * live under every callback of the loop; a plain run's stack is then a page shorter)
 * Inherited descriptors >= 3, recorded before pinit opens anything of its own: the
 * entries of /proc/self/fd read with getdents64 into a stack buffer (no DIR, no heap).
 * Without /proc, every possible descriptor number is tried (bounded by RLIMIT_NOFILE). */
__attribute__((noinline)) static void record_inherited(struct run *r)
{
  int d = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC), cap = 0;
  char buf[1024];
  long n;

  if(d < 0) {
    long max = sysconf(_SC_OPEN_MAX);
    for(long fd = 3; fd < (max > 0 && max < (1 << 20) ? max : 1024); fd++)
      if(fcntl((int)fd, F_GETFD) >= 0 && add_inherited(r, (int)fd, &cap) < 0)
        return;
    return;
  }
  while((n = syscall(SYS_getdents64, d, buf, sizeof(buf))) > 0) {
    for(long off = 0; off < n;) {
      const char *name = buf + off + 19; /* struct linux_dirent64: ino 8, off 8, reclen 2, type 1 */
      unsigned short reclen;
      int fd = 0;
      memcpy(&reclen, buf + off + 16, sizeof(reclen));
      off += reclen;
      if(*name < '0' || *name > '9')
        continue;
      for(; *name >= '0' && *name <= '9' && fd < (1 << 24); name++)
        fd = fd * 10 + (*name - '0');
      if(fd >= 3 && fd != d && add_inherited(r, fd, &cap) < 0) {
        close(d);
        return;
      }
    }
  }
  close(d);
}

static void setup_process(struct run *r)
{
  const struct run_opts *o = r->spec->opts;

  if(getpid() != 1) {
    if(prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
      log_warn("reap", "not PID 1 and cannot register as child subreaper (%s): orphans will not be reaped",
               strerror(errno));
  }
  if(o && o->pdeath_signal) {
    if(prctl(PR_SET_PDEATHSIG, o->pdeath_signal) < 0)
      log_warn("pdeath", "cannot set the parent-death signal: %s", strerror(errno));
  }
}

int supervisor_run_config(const struct supervisor_spec *spec, struct config *cfg)
{
  /* one per process, zero-initialised by being static: no memset, so pages of it that are
   * never used (the wait targets, most watchers) are never touched */
  static _Alignas(4096) struct run run; /* its first fields, written by every run, on one page */
  struct run *r = &run;

  r->spec = spec;
  r->cfg = cfg;
  if(spec->opts)
    r->remap = spec->opts->remap;
  record_inherited(r);
  setup_process(r);

  r->cwd_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  r->tty_fd = isatty(STDIN_FILENO) ? STDIN_FILENO : -1;
  if(chdir("/") < 0)
    log_debug("run", "chdir /: %s", strerror(errno));

  /* libcurl's global init before any thread exists; then the loop.  Signals arrive
   * through a signalfd: blocked, so no disposition changes and no handler runs on a
   * resolver thread (threads created later inherit the blocked mask). */
  if(probe_global_init() < 0)
    return 1;
  evalloc_install(); /* the loop's first arrays from a static arena, not the heap */
  r->loop = ev_default_loop(EVFLAG_NOENV | EVFLAG_SIGNALFD);
  if(!r->loop) {
    log_error("run", "cannot create the event loop");
    return 1;
  }
  {
    int fd = sigfd_open();
    if(fd < 0) {
      log_error("run", "cannot receive signals (signalfd): %s", strerror(errno));
      return 1;
    }
    ev_io_init(&r->sig_w, signal_cb, fd, EV_READ);
    r->sig_w.data = r;
    ev_io_start(r->loop, &r->sig_w);
  }
  /* a periodic far in the future makes libev watch for clock jumps with a timerfd, which
   * lets it sleep ~17 days instead of waking every 60 s: zero idle wake-ups */
  ev_periodic_init(&r->far, NULL, 1e12, 0, NULL);
  ev_periodic_start(r->loop, &r->far);
  ev_child_init(&r->child_w, child_cb, 0, 0);
  r->child_w.data = r;
  ev_child_start(r->loop, &r->child_w);
  ev_timer_init(&r->supervise_timer, supervise_timer_cb, 0, 0);
  r->supervise_timer.data = r;

  supervise_init(&r->sv, spec->name, cfg, &r->remap);
  r->sv.rand01 = jitter;
  /* the child's environment, complete before the exec probes point at it */
  env_block_init(&r->env, spec->child_env ? spec->child_env : environ);
  if(notify_start(&r->notify, r->loop, cfg->notify_fd, cfg->notify_socket, notify_ready, r) == 0 &&
     r->notify.sock >= 0 && env_block_set(&r->env, "NOTIFY_SOCKET", r->notify.name) < 0) {
    log_error("notify", "NOTIFY_SOCKET: %s", strerror(errno));
    return 1;
  }
  health_init(&r->live, &cfg->liveness, SV_EV_LIVENESS, "liveness", &r->sv, spec->hooks, r->env.v, health_report, r);
  health_init(&r->ready, &cfg->readiness, SV_EV_READINESS, "readiness", &r->sv, spec->hooks, r->env.v, health_report,
              r);
  if(cfg->wait_targets[0]) {
    struct probe_error perr;
    int n = wait_list_parse(cfg->wait_targets, r->wait_targets, WAIT_MAX_TARGETS, &perr);
    if(n < 0) {
      log_error("config", "wait.targets: %s", perr.msg);
      return EXITCODE_CONFIG;
    }
    /* the same target from two sources (a role default and SERVICE_PRECONDITION) once */
    for(int i = 0; i < n; i++)
      for(int j = i + 1; j < n; j++)
        if(!strcmp(r->wait_targets[i].name, r->wait_targets[j].name)) {
          r->wait_targets[j--] = r->wait_targets[--n];
        }
    r->nwait = (size_t)n;
  }
  if(run_control_start(r) < 0)
    return EXITCODE_CONFIG;
  if(cfg->http_listen[0]) {
    static struct httpd_server http; /* not in struct run: its buffers stay untouched until used */
    char why[256];
    if(httpd_start(&http, r->loop, cfg->http_listen, http_fill, r, why, sizeof(why)) < 0) {
      if(errno == EINVAL) {
        log_error("config", "%s", why);
        return EXITCODE_CONFIG;
      }
      log_error("http", "%s (health and metrics endpoint off)", why);
    }
    else
      log_info("http", "listening on %s: /health, /health/live, /health/ready, /metrics", cfg->http_listen);
  }
  apply(r, supervise_step(&r->sv, &(struct supervise_event){ SV_EV_START, 0, 0, 0 }, clock_mono_now()));
  if(!r->draining || ev_is_active(&r->drain_tick))
    ev_run(r->loop, 0);
  return r->exit_code;
}

int supervisor_run(const struct supervisor_spec *spec, char **envp)
{
  static struct config cfg;
  static struct env_block env;
  struct supervisor_spec with_env = *spec;
  struct config_error err;
  const struct run_opts *o = spec->opts;
  enum log_level lvl;

  env_block_init(&env, envp);
  if(config_load_secret_files(&env, &err) || config_load(&cfg, spec->role_defaults, env.v, &err)) {
    log_error("config", "%s", err.msg);
    return EXITCODE_CONFIG;
  }
  if(o) {
    cfg.group |= o->group;
    cfg.subreaper |= o->subreaper;
    cfg.verbosity += o->verbosity;
  }
  lvl = cfg.log_level_set ? cfg.log_level : cfg.policy != POLICY_NEVER ? LOG_INFO : LOG_WARN;
  if(cfg.verbosity && !cfg.log_level_set)
    lvl = (enum log_level)(LOG_WARN + cfg.verbosity > LOG_DEBUG ? LOG_DEBUG : LOG_WARN + cfg.verbosity);
  log_setup(lvl, cfg.log_format);
  with_env.child_env = env.v;
  return supervisor_run_config(&with_env, &cfg);
}
