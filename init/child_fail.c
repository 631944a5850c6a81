/* child_fail.c - a forked child's last words before exec, async-signal-safe.
 * See include/pinit/child_fail.h. */
#include "pinit/child_fail.h"
#include "pinit/decimal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Where the reason goes in the formatted line: printable ASCII that neither log format
 * escapes.  The last occurrence is ours (the message comes first). */
#define MARK "{reason}"

static const struct { int err; const char *text; } reasons[] = {
  { ENOENT, "No such file or directory" },
  { EACCES, "Permission denied" },
  { ENOEXEC, "Exec format error" },
  { ENOTDIR, "Not a directory" },
  { ENAMETOOLONG, "File name too long" },
  { ELOOP, "Too many levels of symbolic links" },
  { EISDIR, "Is a directory" },
  { ETXTBSY, "Text file busy" },
  { E2BIG, "Argument list too long" },
  { ENOMEM, "Out of memory" },
  { EPERM, "Operation not permitted" },
  { EINVAL, "Invalid argument" },
  { EBADF, "Bad file descriptor" },
  { EIO, "I/O error" },
  { EMFILE, "No file descriptors available" },
  { ENFILE, "Too many open files in system" },
  { EAGAIN, "Resource temporarily unavailable" },
  { EFAULT, "Bad address" },
};

const char *child_fail_reason(int err)
{
  for(size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
    if(reasons[i].err == err)
      return reasons[i].text;
  return NULL;
}

void child_fail_prepare(struct child_fail *cf, enum child_fail_style style, const char *what, const char *fmt, ...)
{
  char msg[LOG_LINE_MAX];
  va_list ap;
  int saved = errno, n;
  size_t len = 0;

  va_start(ap, fmt);
  n = vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if(n < 0)
    msg[0] = '\0';
  if(style == CHILD_FAIL_LOG)
    len = log_render(cf->line, sizeof(cf->line), LOG_ERROR, what, "%s: " MARK, msg);
  else {
    n = snprintf(cf->line, sizeof(cf->line), "pinit: %s: %s: " MARK "\n", what, msg);
    len = n < 0 ? 0 : (size_t)n < sizeof(cf->line) ? (size_t)n : sizeof(cf->line) - 1;
  }
  cf->len = len;
  cf->at = len;
  for(size_t i = len; i >= sizeof(MARK) - 1; i--)
    if(!memcmp(cf->line + i - (sizeof(MARK) - 1), MARK, sizeof(MARK) - 1)) {
      /* cut the mark out: the reason is inserted at `at` */
      cf->at = i - (sizeof(MARK) - 1);
      memmove(cf->line + cf->at, cf->line + i, len - i);
      cf->len = len - (sizeof(MARK) - 1);
      break;
    }
  errno = saved;
}

/* Append n bytes of s at cf->line + cf->len. */
static void put(struct child_fail *cf, const char *s, size_t n)
{
  memcpy(cf->line + cf->len, s, n);
  cf->len += n;
}

void child_fail_prepare_msg(struct child_fail *cf, enum child_fail_style style, const char *what,
                            const char *msg)
{
  size_t wl = strlen(what), ml = strlen(msg);

  /* only where log_render/snprintf would leave the message as is (errors are never
   * filtered): text, no URL to redact, far from any cut; anything else goes the printf way */
  if((style == CHILD_FAIL_LOG && log_format_get() != LOG_TEXT) ||
     wl + ml + 32 > LOG_LINE_MAX || strstr(msg, "://")) {
    child_fail_prepare(cf, style, what, "%s", msg);
    return;
  }
  cf->len = 0;
  put(cf, "pinit: ", 7);
  if(style == CHILD_FAIL_LOG)
    put(cf, "error: ", 7);
  put(cf, what, wl);
  put(cf, ": ", 2);
  put(cf, msg, ml);
  put(cf, ": ", 2);
  cf->at = cf->len;
  put(cf, "\n", 1);
}

void child_fail_exit(const struct child_fail *cf, int err, int code)
{
  char out[sizeof(cf->line) + 64];
  const char *why = child_fail_reason(err);
  size_t n = 0, wl;

  memcpy(out, cf->line, cf->at);
  n = cf->at;
  if(cf->at < cf->len) { /* the mark was found (a cut line has no place for a reason) */
    if(why) {
      wl = strlen(why);
      memcpy(out + n, why, wl);
      n += wl;
    }
    else {
      memcpy(out + n, "errno ", 6);
      n += 6;
      n += decimal_put(out + n, (unsigned)err);
    }
  }
  memcpy(out + n, cf->line + cf->at, cf->len - cf->at);
  n += cf->len - cf->at;
  while(write(STDERR_FILENO, out, n) < 0 && errno == EINTR)
    ;
  _exit(code);
}
