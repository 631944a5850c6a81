/* escape.h - the one place where text pinit did not write becomes safe to show: UTF-8
 * validation, JSON string escaping, terminal-safe text.  Used by the logs (log.c),
 * `pinit status` and `status --json` (status.c), the HTTP health bodies (httpd.c), the
 * metrics labels (metrics.c) and the child's STATUS= (notify.c).
 *
 * All functions are pure: no allocation, no I/O, thread-safe.  Output is always
 * NUL-terminated when cap > 0, never cut inside a character or an escape, and the return
 * value is the length written (excluding the NUL). */
#ifndef PINIT_ESCAPE_H
#define PINIT_ESCAPE_H

#include <stddef.h>

/* Length (1-4) of the well-formed UTF-8 character at s, of which n bytes are available;
 * 0 if s does not start one (a stray continuation byte, an overlong form, a surrogate, a
 * code point above U+10FFFF, or a sequence cut by n). */
size_t escape_utf8_len(const char *s, size_t n);

/* After a cut at a byte count: the length of s[0..len) without an incomplete UTF-8
 * sequence at its end. */
size_t escape_utf8_trim(const char *s, size_t len);

/* The body of a JSON string (without the quotes) for the NUL-terminated s: '"' and '\\'
 * escaped, C0 controls, DEL and C1 controls as \u00XX, bytes that are not UTF-8 as
 * \ufffd.  The result is valid JSON and safe to print on a terminal. */
size_t escape_json(char *out, size_t cap, const char *s);

/* Terminal-safe text for the NUL-terminated s: valid printable UTF-8 kept as is; C0
 * controls (tab and newline included), DEL, C1 controls and bytes that are not UTF-8 each
 * become '?'.  No escape sequence survives. */
size_t escape_text(char *out, size_t cap, const char *s);

#endif
