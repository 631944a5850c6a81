/* strbuf.c - bounded, whole-or-nothing string building.  See include/pinit/strbuf.h. */
#include "pinit/strbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void strbuf_init(struct strbuf *sb, char *buf, size_t cap)
{
  sb->buf = buf;
  sb->cap = cap;
  sb->len = 0;
  sb->cut = 0;
  if(cap)
    buf[0] = '\0';
}

static int drop(struct strbuf *sb)
{
  sb->cut = 1;
  if(sb->cap)
    sb->buf[sb->len] = '\0';
  return -1;
}

int strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
  va_list ap;
  int n, saved = errno;

  if(sb->cut || !sb->cap)
    return drop(sb);
  va_start(ap, fmt);
  n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
  va_end(ap);
  errno = saved;
  if(n < 0 || (size_t)n >= sb->cap - sb->len)
    return drop(sb);
  sb->len += (size_t)n;
  return 0;
}

int strbuf_add(struct strbuf *sb, const char *s, size_t n)
{
  if(sb->cut || !sb->cap || n >= sb->cap - sb->len)
    return drop(sb);
  memcpy(sb->buf + sb->len, s, n);
  sb->len += n;
  sb->buf[sb->len] = '\0';
  return 0;
}
