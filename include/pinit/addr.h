/* addr.h - network addresses as operators write them in pinit's settings:
 *
 *   host:port   "HOST:PORT" or "[V6]:PORT" (probe and wait targets): HOST a name or a
 *               dotted IPv4 address, resolved later by whoever connects;
 *   listen      "A.B.C.D:PORT", "[V6]:PORT", ":PORT" (0.0.0.0), or either without ":PORT"
 *               (http.listen): numeric only, never resolved.
 *
 * The one place that splits brackets, hosts and ports; config.c (validation), httpd.c
 * (bind) and probes/probe.c (targets) call it.  Pure: no I/O, no allocation, no
 * resolver, thread-safe.  A failure writes a reason phrase to why (cap bytes, NUL-
 * terminated, cap 0 or why NULL: none); the caller names the setting it came from.
 */
#ifndef PINIT_ADDR_H
#define PINIT_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

#define ADDR_HOST_MAX 253           /* a DNS name's longest text form */

struct addr_hostport {
  char host[ADDR_HOST_MAX + 1];     /* without brackets, NUL-terminated */
  unsigned port;                    /* 1..65535 */
  int v6;                           /* written in brackets (an IPv6 address) */
  int numeric;                      /* an IPv6 or dotted IPv4 address: nothing to resolve */
};

/* The decimal port s[0..len): 1 to 5 digits, no sign or space.  Returns 0 and sets *port
 * (1..65535); -1 when empty or not all digits; -2 when out of range or over 5 digits. */
int addr_parse_port(const char *s, size_t len, unsigned *port);

/* "HOST:PORT" or "[V6]:PORT", the whole of s[0..len) (not NUL-terminated).  HOST: letters,
 * digits, '-', '.', '_', not starting with '-' or '.', at most ADDR_HOST_MAX bytes; all
 * digits and dots must be a valid IPv4 address; an IPv6 address must be numeric (no zone).
 * Returns 0 and fills *out; or -1 with a reason ("missing :PORT", "bad port '…'", …). */
int addr_parse_hostport(const char *s, size_t len, struct addr_hostport *out, char *why, size_t cap);

/* A listen address (the forms above; default_port when none is written: 0 is allowed
 * when sa is NULL, to check the text only).  Returns 0 and fills *sa and *len (either may
 * be NULL); or -1 with a reason ("not a numeric IPv4 address …", …). */
int addr_parse_listen(const char *text, unsigned default_port, struct sockaddr_storage *sa, socklen_t *len,
                      char *why, size_t cap);

#endif
