/* internal.h - what the probe kinds share inside probes/.  Not a public contract: only
 * the probes/ sources include it.  Each kind implements start (0, or -1 with p->reason set: the
 * failure is then reported on the next loop iteration) and stop (no callback). */
#ifndef PINIT_PROBES_INTERNAL_H
#define PINIT_PROBES_INTERNAL_H

#include "pinit/probe.h"

/* probe.c: end the running attempt and call the callback once (p is not touched after
 * the callback returns).  The kind must already have released its resources. */
void probe_done(struct probe *p, int ok);

/* probe.c: printf into p->reason. */
void probe_reason(struct probe *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* probe.c: strerror(e) with a lower-case first letter, into buf. */
const char *probe_strerror(int e, char *buf, size_t cap);

/* http.c: TCP (connect-only) and HTTP transfers through libcurl multi on libev. */
int http_global_init(void);
void http_global_cleanup(void);
int http_start(struct probe *p);
void http_stop(struct probe *p);
void http_free(struct probe *p);
/* "timeout after 5s (resolving|connecting|waiting for the response)" into p->reason,
 * from the running transfer's progress. */
void http_timeout_reason(struct probe *p);

/* exec.c: a child process in its own group, reaped through ev_child. */
int exec_start(struct probe *p);
void exec_stop(struct probe *p);

/* local.c: unix-socket connect and file existence, checked at once (never block). */
void local_check(struct probe *p);

#endif
