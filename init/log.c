/* log.c - one line per message, one write(2) per line.  See include/pinit/log.h. */
#include "pinit/log.h"

#include <ctype.h>
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

/* Append s to buf[*len..cap) with JSON string escaping; never overflows. */
static void json_append(char *buf, size_t *len, size_t cap, const char *s)
{
  for(; *s && *len + 7 < cap; s++) {
    unsigned char c = (unsigned char)*s;
    if(c == '"' || c == '\\') {
      buf[(*len)++] = '\\';
      buf[(*len)++] = (char)c;
    }
    else if(c < 0x20) {
      *len += (size_t)snprintf(buf + *len, cap - *len, "\\u%04x", c);
    }
    else
      buf[(*len)++] = (char)c;
  }
}

void vplog(enum log_level lvl, const char *what, const char *fmt, va_list ap)
{
  char msg[LOG_LINE_MAX];
  char line[LOG_LINE_MAX + 256];
  size_t len = 0;
  int saved = errno;

  if(lvl > log_max)
    return;
  vsnprintf(msg, sizeof(msg), fmt, ap);
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
    memcpy(line + len, "\",\"msg\":\"", 9);
    len += 9;
    json_append(line, &len, sizeof(line) - 4, msg);
    memcpy(line + len, "\"}\n", 3);
    len += 3;
  }
  else {
    int n = what ? snprintf(line, sizeof(line) - 1, "pinit: %s: %s: %s", level_names[lvl], what, msg)
                 : snprintf(line, sizeof(line) - 1, "pinit: %s: %s", level_names[lvl], msg);
    len = n < 0 ? 0 : (size_t)n;
    if(len > sizeof(line) - 2)
      len = sizeof(line) - 2;
    line[len++] = '\n';
  }
  while(write(STDERR_FILENO, line, len) < 0 && errno == EINTR)
    ;
  errno = saved;
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
  for(size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
    size_t wl = strlen(words[w]);
    for(const char *p = name; *p; p++) {
      size_t i = 0;
      while(i < wl && p[i] && toupper((unsigned char)p[i]) == words[w][i])
        i++;
      if(i == wl)
        return 1;
    }
  }
  return 0;
}
