/* probe.h - health and dependency probes: parse a target, run one attempt on a libev loop.
 *
 * Targets (probe_parse):
 *   tcp://HOST:PORT      TCP connect.  HOST is a name, an IPv4 address or [IPv6].
 *   HOST:PORT            the same (bde2020 SERVICE_PRECONDITION form); [::1]:6123 works.
 *   http://URL           HTTP GET; 2xx and 3xx are healthy, redirects are not followed,
 *   https://URL          the body is read up to 64 KiB and discarded.  https only if the
 *                        linked libcurl has TLS (otherwise a parse-time error).
 *   unix:///PATH         connect(2) to a unix stream socket; unix://@NAME is abstract.
 *   file:///PATH         the path exists (stat(2)).
 *   exec:CMD ARG...      run CMD (PATH lookup) with the arguments split on blanks, no shell:
 *                        quotes, $, |, ;, &, <, >, backquote, backslash and parentheses are
 *                        refused at parse time, so nobody believes they are interpreted (put
 *                        shell logic in a script).  Exit 0 is healthy.
 *
 * Running: one attempt at a time per struct probe, reported through one callback.
 *   - TCP and HTTP are libcurl transfers driven by the multi-socket API on the caller's
 *     loop (one multi handle per loop).  Names are resolved by libcurl's resolver (the
 *     threaded one in our builds), afresh on every attempt (no DNS cache), never by
 *     getaddrinfo on the loop thread.  No proxy from the environment, no signals.
 *   - exec forks; the child gets its own process group, stdin /dev/null, stdout+stderr
 *     into a pipe (the first line of output ends up in the failure reason), the default
 *     signal mask and dispositions, and no inherited fds >= 3.  On timeout, on cancel and
 *     when the attempt ends, SIGKILL goes to the whole group.  The child is reaped by
 *     libev's SIGCHLD handling (an ev_child watcher for its pid), so exec probes work only
 *     on the default loop and nothing else may reap with waitpid(pid) for them.
 *   - unix and file are checked on the next loop iteration (no timeout needed).
 *
 * libcurl rules: probe_global_init() runs curl_global_init(); call it once at start-up
 * before any thread exists (the first probe_start calls it if nobody did).  Nothing else
 * in pinit may use libcurl's global state.  libcurl's resolver threads (one per TCP/HTTP
 * attempt that resolves a name, created from the loop thread) only run getaddrinfo and
 * inherit the loop thread's signal mask.  So with EVFLAG_SIGNALFD every ev_signal watcher
 * (hence the blocked mask) must be in place before the first TCP/HTTP attempt, or a
 * process-directed signal may take its default action on a resolver thread; with libev's
 * default handler+pipe signals, that is harmless either way.  fork() for a child is safe
 * while resolver threads run, as long as the child only makes async-signal-safe calls
 * before exec (the threads do not exist in the child).
 *
 * Memory: a struct probe holds its watchers; the libcurl easy handle is created on the
 * first attempt and reused until probe_free().  libcurl itself allocates per transfer.
 */
#ifndef PINIT_PROBE_H
#define PINIT_PROBE_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum probe_kind { PROBE_TCP = 1, PROBE_HTTP, PROBE_UNIX, PROBE_FILE, PROBE_EXEC };

#define PROBE_SPEC_MAX   1024   /* longest target text accepted */
#define PROBE_NAME_MAX   256    /* display names longer than this are cut with "..." */
#define PROBE_ARGS_MAX   32     /* exec: most arguments, command included */
#define PROBE_REASON_MAX 192

/* A parsed target: plain data, safe to copy with '='. */
struct probe_target {
  enum probe_kind kind;
  int argc;                     /* exec: number of NUL-separated words in spec */
  unsigned port;                /* tcp: the port; http: the effective port */
  int numeric;                  /* tcp, http: the host is an IP address (no resolving) */
  char name[PROBE_NAME_MAX];    /* for logs: "jobmanager:6123", "[::1]:6123",
                                   "http://jm:8081/overview" (user:password hidden),
                                   "unix:///run/x.sock", "file:///tmp/ready", "exec:cmd a b" */
  char spec[PROBE_SPEC_MAX];    /* tcp: "http://HOST:PORT/" (what libcurl connects to);
                                   http: the URL as given; unix: the path ("@name" for
                                   abstract); file: the path; exec: the words, NUL-separated */
};

/* Parse errors: a reason without the target text (the caller names it). */
struct probe_error {
  char msg[160];
};

/* Parse `text` into *out.  Returns 0, or -1 with err->msg set and *out untouched.
 * Pure: no allocation that outlives the call, no I/O, never blocks, thread-safe. */
int probe_parse(const char *text, struct probe_target *out, struct probe_error *err);

/* Name of a kind: "tcp", "http", "unix", "file", "exec". */
const char *probe_kind_name(enum probe_kind kind);

struct probe;

/* Called once per successful probe_start(), from the loop (never from inside probe_start),
 * unless the attempt is cancelled first.  ok is 1 (healthy) or 0.  reason is a short
 * lower-case phrase: "connected", "HTTP 200", "exit 0", "exists" when ok; otherwise e.g.
 * "connection refused", "cannot resolve host", "HTTP 503", "timeout after 5s (resolving)",
 * "exit 1: <first output line>", "no such file".  reason is valid only during the call.
 * An HTTP attempt's status code is p->status (0 when no response came), for either ok.
 * The callback may call probe_start() again on this probe, and probe_cancel() or
 * probe_free() on this or any other probe. */
typedef void probe_cb(struct probe *p, int ok, const char *reason, void *arg);

struct probe {
  struct probe_target target;   /* copied by probe_init(); read-only for callers */
  /* private to probes/ from here on */
  struct ev_loop *loop;
  probe_cb *cb;
  void *arg;
  int64_t timeout_ms;
  int running;
  int ok;
  ev_timer deadline;            /* the attempt's timeout */
  ev_timer kick;                /* next-iteration work: local checks, deferred failures */
  void *easy;                   /* CURL *, created on first use, reused */
  void *multi;                  /* the per-loop libcurl context of the running attempt */
  size_t body;                  /* http: body bytes seen */
  int capped;                   /* http: body cap reached */
  char *keep;                   /* http: where the body is kept (probe_keep_body), or NULL */
  size_t keep_cap, kept;
  const char *post;             /* http: a JSON body to POST instead of a GET, or NULL */
  char *const *envp;            /* exec: the command's environment (probe_env), or NULL */
  long status;                  /* http: the attempt's HTTP status, 0 if none came (read it in
                                   the callback; reset by probe_start) */
  char errbuf[256];             /* CURLOPT_ERRORBUFFER (CURL_ERROR_SIZE) */
  ev_child child;               /* exec */
  ev_io out;                    /* exec: the output pipe */
  pid_t pid;
  size_t outlen;
  char output[128];             /* exec: start of the child's output */
  char reason[PROBE_REASON_MAX];
};

/* Initialise libcurl (curl_global_init).  Idempotent.  Returns 0, or -1 (errno ENOMEM or
 * EIO) with a logged error.  Not thread-safe: call from the main thread before threads.
 * Logs a warning once if the linked libcurl cannot resolve names asynchronously. */
int probe_global_init(void);

/* Release the per-loop libcurl state and libcurl itself.  Every probe must have been
 * freed.  For tidy exits and leak checkers; never needed otherwise.  A loop that ran TCP
 * or HTTP probes keeps a multi handle bound to it until then: destroy such a loop only
 * after this call. */
void probe_global_cleanup(void);

/* Prepare p for target t (copied).  Allocates nothing, cannot fail.  p must be new or
 * probe_free()d, and must not move in memory until probe_free() (libcurl and the
 * watchers point into it). */
void probe_init(struct probe *p, const struct probe_target *t);

/* Start one attempt on `loop` with a timeout of timeout_ms (> 0).  Returns 0: cb will be
 * called exactly once later (runtime failures such as fork() or socket() errors are
 * reported through cb as a failed attempt).  Returns -1 without calling cb if: errno
 * EBUSY, an attempt is running; EINVAL, timeout_ms <= 0, no cb, or an exec probe on a
 * loop other than the default loop.  Never blocks: an exec probe costs one fork(). */
int probe_start(struct probe *p, struct ev_loop *loop, int64_t timeout_ms, probe_cb *cb, void *arg);

/* HTTP only, before probe_start(): keep the start of each attempt's response body in buf
 * (at most cap-1 bytes, always NUL-terminated; p->kept is its length, also for a failed
 * attempt), so the callback can read it.  buf must outlive the probe's attempts; NULL stops
 * keeping.  A body longer than cap-1 bytes is cut there (the attempt still ends on the status
 * line); a caller that parses it must treat p->kept == cap-1 as "too long". */
void probe_keep_body(struct probe *p, char *buf, size_t cap);

/* HTTP only, before probe_start(): the attempts send `json` (Content-Type:
 * application/json) with POST instead of a GET; NULL goes back to GET.  json must outlive
 * the attempts. */
void probe_post_json(struct probe *p, const char *json);

/* EXEC only, before probe_start(): the command's environment (NULL-terminated "NAME=value";
 * NULL: pinit's own).  The supervisor gives exec probes the child's environment, as Docker
 * gives a HEALTHCHECK the container's.  envp must outlive the attempts. */
void probe_env(struct probe *p, char *const *envp);

/* 1 while an attempt is running. */
int probe_running(const struct probe *p);

/* Stop the running attempt, if any, without calling cb: watchers stopped, the transfer
 * removed (sockets closed), an exec child's group SIGKILLed (libev reaps it).  Never
 * blocks.  The probe can be started again. */
void probe_cancel(struct probe *p);

/* probe_cancel() and free the libcurl easy handle.  p may then be probe_init()ed again
 * or discarded. */
void probe_free(struct probe *p);

#endif
