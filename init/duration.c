/* duration.c - "250ms" / "10s" / "2m" <-> milliseconds.  See include/pinit/duration.h. */
#include "pinit/duration.h"
#include "pinit/strbuf.h"

#include <stdio.h>
#include <string.h>

#define DURATION_MAX_MS (30LL * 24 * 3600 * 1000)

int duration_parse(const char *s, int64_t *ms)
{
  int64_t total = 0;
  const char *p = s;

  if(!s || !*s)
    return -1;
  while(*p) {
    int64_t whole = 0, frac = 0, fracdiv = 1, unit;
    int digits = 0;
    while(*p >= '0' && *p <= '9') {
      whole = whole * 10 + (*p++ - '0');
      digits++;
      if(whole > DURATION_MAX_MS)
        return -1;
    }
    if(*p == '.') {
      p++;
      while(*p >= '0' && *p <= '9') {
        if(fracdiv < 1000000) {
          frac = frac * 10 + (*p - '0');
          fracdiv *= 10;
        }
        p++;
        digits++;
      }
    }
    if(!digits)
      return -1;
    if(!strncmp(p, "ms", 2)) {
      unit = 1;
      p += 2;
    }
    else if(*p == 's') {
      unit = 1000;
      p++;
    }
    else if(*p == 'm') {
      unit = 60 * 1000;
      p++;
    }
    else if(*p == 'h') {
      unit = 3600 * 1000;
      p++;
    }
    else if(!*p && p == s + strlen(s) && total == 0) {
      unit = 1000; /* a bare number is seconds */
    }
    else
      return -1;
    total += whole * unit + frac * unit / fracdiv;
    if(total > DURATION_MAX_MS)
      return -1;
  }
  *ms = total;
  return 0;
}

char *duration_format(int64_t ms, char *buf, size_t cap)
{
  struct strbuf sb;
  static const struct { int64_t ms; const char *unit; } units[] = {
    { 3600 * 1000, "h" }, { 60 * 1000, "m" }, { 1000, "s" }, { 1, "ms" }
  };

  if(!cap)
    return buf;
  strbuf_init(&sb, buf, cap);
  if(ms <= 0) {
    snprintf(buf, cap, "0s");
    return buf;
  }
  for(size_t i = 0; i < 4 && ms; i++) {
    if(ms >= units[i].ms) {
      if(strbuf_printf(&sb, "%lld%s", (long long)(ms / units[i].ms), units[i].unit))
        break;
      ms %= units[i].ms;
    }
  }
  return buf;
}
