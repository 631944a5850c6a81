/* log.c - one line per message, one write(2) per line.  See include/pinit/log.h. */
#include "pinit/log.h"
#include "pinit/escape.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_max = LOG_WARN;
static enum log_format log_fmt = LOG_TEXT;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_setup(enum log_level max, enum log_format fmt)
{
  log_max = max;
  log_fmt = fmt;
}

enum log_level log_level_get(void)
{
  return log_max;
}

enum log_format log_format_get(void)
{
  return log_fmt;
}

int log_level_parse(const char *s, enum log_level *out)
{
  for(int i = 0; i < 4; i++) {
    if(!strcasecmp(s, level_names[i]) || (s[0] == '0' + i && !s[1])) {
      *out = (enum log_level)i;
      return 0;
    }
  }
  if(!strcasecmp(s, "warning")) {
    *out = LOG_WARN;
    return 0;
  }
  return -1;
}

/* Append s to buf[*len..cap) as the body of a JSON string (escape.h). */
static void json_append(char *buf, size_t *len, size_t cap, const char *s)
{
  if(*len < cap)
    *len += escape_json(buf + *len, cap - *len, s);
}

void log_redact_userinfo(char *s)
{
  char *p = s;
  while((p = strstr(p, "://"))) {
    char *start = p + 3, *q = start, *at = NULL;
    /* userinfo ends at '@' before the end of the authority */
    while(*q && !strchr("/?# '\"\n", *q)) {
      if(*q == '@')
        at = q;
      q++;
    }
    if(at && at > start) {
      /* "***", or as many stars as there were bytes: the text never grows (a message
       * fills its buffer, and "://a@" must not push it past the end) */
      size_t stars = (size_t)(at - start) < 3 ? (size_t)(at - start) : 3;
      memset(start, '*', stars);
      memmove(start + stars, at, strlen(at) + 1);
      p = start + stars;
    }
    else
      p = start;
  }
}

static void vplog_fields(enum log_level lvl, const char *what, const struct log_fields *f, const char *fmt,
                         va_list ap) __attribute__((format(printf, 4, 0)));

void vplog(enum log_level lvl, const char *what, const char *fmt, va_list ap)
{
  vplog_fields(lvl, what, NULL, fmt, ap);
}

void plog_fields(enum log_level lvl, const char *what, const struct log_fields *f, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vplog_fields(lvl, what, f, fmt, ap);
  va_end(ap);
}

/* The whole line, newline included, into out[0..cap) (cut to cap); returns its length. */
static size_t vrender(char *out, size_t cap, enum log_level lvl, const char *what, const struct log_fields *f,
                      const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));
static size_t vrender(char *out, size_t cap, enum log_level lvl, const char *what, const struct log_fields *f,
                      const char *fmt, va_list ap)
{
  char msg[LOG_LINE_MAX];
  char line[LOG_LINE_MAX + 256];
  size_t len = 0;
  int n;

  n = vsnprintf(msg, sizeof(msg), fmt, ap);
  if(n >= (int)sizeof(msg))
    msg[escape_utf8_trim(msg, sizeof(msg) - 1)] = '\0';
  /* a URL's user:password never reaches a log, whoever passed it */
  log_redact_userinfo(msg);
  if(log_fmt == LOG_JSON) {
    struct timespec ts;
    struct tm tm;
    char stamp[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    len = (size_t)snprintf(line, sizeof(line), "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"component\":\"",
                           stamp, ts.tv_nsec / 1000000, level_names[lvl]);
    json_append(line, &len, sizeof(line) - 16, what ? what : "pinit");
    memcpy(line + len, "\",\"message\":\"", 13);
    len += 13;
    json_append(line, &len, sizeof(line) - 160, msg);
    line[len++] = '"';
    if(f && f->pid > 0)
      len += (size_t)snprintf(line + len, sizeof(line) - len, ",\"pid\":%d", f->pid);
    if(f && f->exit_code >= 0)
      len += (size_t)snprintf(line + len, sizeof(line) - len, ",\"exit_code\":%d", f->exit_code);
    if(f && f->state) {
      memcpy(line + len, ",\"state\":\"", 10);
      len += 10;
      json_append(line, &len, sizeof(line) - 96, f->state);
      line[len++] = '"';
    }
    if(f && f->target) {
      char t[LOG_LINE_MAX / 4];
      snprintf(t, sizeof(t), "%s", f->target);
      log_redact_userinfo(t);
      memcpy(line + len, ",\"target\":\"", 11);
      len += 11;
      json_append(line, &len, sizeof(line) - 4, t);
      line[len++] = '"';
    }
    memcpy(line + len, "}\n", 2);
    len += 2;
  }
  else {
    n = what ? snprintf(line, sizeof(line) - 1, "pinit: %s: %s: %s", level_names[lvl], what, msg)
             : snprintf(line, sizeof(line) - 1, "pinit: %s: %s", level_names[lvl], msg);
    len = n < 0 ? 0 : (size_t)n;
    if(len > sizeof(line) - 2)
      len = escape_utf8_trim(line, sizeof(line) - 2);
    line[len++] = '\n';
  }
  if(len > cap)
    len = cap;
  memcpy(out, line, len);
  return len;
}

static void vplog_fields(enum log_level lvl, const char *what, const struct log_fields *f, const char *fmt,
                         va_list ap)
{
  char line[LOG_LINE_MAX + 256];
  size_t len;
  int saved = errno;

  if(lvl > log_max)
    return;
  len = vrender(line, sizeof(line), lvl, what, f, fmt, ap);
  while(write(STDERR_FILENO, line, len) < 0 && errno == EINTR)
    ;
  errno = saved;
}

size_t log_render(char *out, size_t cap, enum log_level lvl, const char *what, const char *fmt, ...)
{
  va_list ap;
  size_t len;
  int saved = errno;
  if(lvl > log_max)
    return 0;
  va_start(ap, fmt);
  len = vrender(out, cap, lvl, what, NULL, fmt, ap);
  va_end(ap);
  errno = saved;
  return len;
}

void plog(enum log_level lvl, const char *what, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vplog(lvl, what, fmt, ap);
  va_end(ap);
}

int log_is_secret_name(const char *name)
{
  static const char *const words[] = { "PASSWORD", "SECRET", "KEY", "TOKEN", "PASSWD", "CREDENTIAL" };
  /* ASCII upper case inline, and the words tried only where their first letter is: this
   * runs for every *_FILE variable at start */
#define UP(c) ((c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 'A' : (c))
  for(const char *p = name; *p; p++) {
    char c = (char)UP(*p);
    if(c != 'P' && c != 'S' && c != 'K' && c != 'T' && c != 'C')
      continue;
    for(size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
      size_t i = 1;
      if(words[w][0] != c)
        continue;
      while(words[w][i] && p[i] && UP(p[i]) == words[w][i])
        i++;
      if(!words[w][i])
        return 1;
    }
  }
  return 0;
#undef UP
}
