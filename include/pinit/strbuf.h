/* strbuf.h - a bounded string builder over a caller's buffer.  No allocation, no I/O,
 * never blocks, errno untouched.
 *
 * Each append is kept whole or not at all: what does not fit is dropped, the text stays
 * NUL-terminated, and the builder is "cut" - every later append is refused too, so a list
 * never skips an item and goes on with a shorter one.  Callers that want to say "and N
 * more" count the refused appends. */
#ifndef PINIT_STRBUF_H
#define PINIT_STRBUF_H

#include <stddef.h>

struct strbuf {
  char *buf;    /* the caller's buffer; not owned */
  size_t cap;   /* its size; 0: nothing is ever kept (and buf is never written) */
  size_t len;   /* bytes kept, buf[len] == '\0' when cap > 0 */
  int cut;      /* 1 once an append did not fit */
};

/* Start an empty string in buf[0..cap). */
void strbuf_init(struct strbuf *sb, char *buf, size_t cap);

/* Append the formatted text.  Returns 0 when kept, -1 when dropped (did not fit, an
 * earlier append was dropped, or a format error). */
int strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append n bytes of s (which need not be NUL-terminated).  Returns 0 or -1, as above. */
int strbuf_add(struct strbuf *sb, const char *s, size_t n);

#endif
