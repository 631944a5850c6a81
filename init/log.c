/* log.c - one line per message, one write(2) per line.  See include/pinit/log.h. */
#include "pinit/log.h"

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

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if s does not start one. */
static size_t utf8_len(const unsigned char *s)
{
  size_t n;
  if(s[0] < 0x80)
    return 1;
  if(s[0] >= 0xc2 && s[0] <= 0xdf)
    n = 2;
  else if(s[0] >= 0xe0 && s[0] <= 0xef)
    n = 3;
  else if(s[0] >= 0xf0 && s[0] <= 0xf4)
    n = 4;
  else
    return 0;
  for(size_t i = 1; i < n; i++)
    if((s[i] & 0xc0) != 0x80)
      return 0;
  if(n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
    return 0; /* overlong, or a UTF-16 surrogate */
  if(n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
    return 0;
  return n;
}

/* Append s to buf[*len..cap) with JSON string escaping; bytes that are not UTF-8 become
 * U+FFFD; never overflows and never splits a character. */
static void json_append(char *buf, size_t *len, size_t cap, const char *s)
{
  const unsigned char *p = (const unsigned char *)s;
  while(*p) {
    size_t n = utf8_len(p);
    if(*p == '"' || *p == '\\') {
      if(*len + 2 >= cap)
        break;
      buf[(*len)++] = '\\';
      buf[(*len)++] = (char)*p;
    }
    else if(*p < 0x20) {
      if(*len + 6 >= cap)
        break;
      *len += (size_t)snprintf(buf + *len, cap - *len, "\\u%04x", *p);
    }
    else if(!n) {
      if(*len + 6 >= cap)
        break;
      memcpy(buf + *len, "\\ufffd", 6);
      *len += 6;
      n = 1;
    }
    else {
      if(*len + n >= cap)
        break;
      memcpy(buf + *len, p, n);
      *len += n;
    }
    p += n ? n : 1;
  }
}

/* After a cut at a byte count: drop an incomplete UTF-8 sequence at the end of s[0..len). */
static size_t utf8_trim(const char *s, size_t len)
{
  size_t i = len, back = 0;
  while(i > 0 && back < 3 && ((unsigned char)s[i - 1] & 0xc0) == 0x80) {
    i--;
    back++;
  }
  if(i > 0 && (unsigned char)s[i - 1] >= 0xc0) {
    size_t need = (unsigned char)s[i - 1] >= 0xf0 ? 4 : (unsigned char)s[i - 1] >= 0xe0 ? 3 : 2;
    if(back + 1 < need)
      return i - 1;
  }
  return len;
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
      memmove(start + 3, at, strlen(at) + 1);
      memcpy(start, "***", 3);
      p = start + 3;
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

static void vplog_fields(enum log_level lvl, const char *what, const struct log_fields *f, const char *fmt,
                         va_list ap)
{
  char msg[LOG_LINE_MAX];
  char line[LOG_LINE_MAX + 256];
  size_t len = 0;
  int saved = errno, n;

  if(lvl > log_max)
    return;
  n = vsnprintf(msg, sizeof(msg), fmt, ap);
  if(n >= (int)sizeof(msg))
    msg[utf8_trim(msg, sizeof(msg) - 1)] = '\0';
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
      len = utf8_trim(line, sizeof(line) - 2);
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
