/* addr.c - host:port and listen addresses: brackets, hosts, ports.  See include/pinit/addr.h. */
#include "pinit/addr.h"
#include "pinit/escape.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int fail(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t cap, const char *fmt, ...)
{
  va_list ap;
  if(why && cap) {
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
  }
  return -1;
}

/* s[0..len) (at most `show` bytes of it) made safe to quote in a one-line reason */
static const char *shown(const char *s, size_t len, size_t show, char *out, size_t cap)
{
  char raw[64];
  size_t n = len < show ? len : show;
  if(n >= sizeof(raw))
    n = sizeof(raw) - 1;
  memcpy(raw, s, n);
  raw[n] = 0;
  escape_text(out, cap, raw);
  return out;
}

/* the C locale's classes, whatever the process locale */
static int is_digit(int c)
{
  return c >= '0' && c <= '9';
}

static int is_alnum(int c)
{
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_print(int c)
{
  return c >= 0x20 && c < 0x7f;
}

int addr_parse_port(const char *s, size_t len, unsigned *port)
{
  unsigned long val = 0;
  if(!len)
    return -1;
  for(size_t i = 0; i < len; i++) {
    if(!is_digit((unsigned char)s[i]))
      return -1;
    if(val <= 65535)
      val = val * 10 + (unsigned long)(s[i] - '0');
  }
  if(len > 5 || val < 1 || val > 65535) /* "0009400": more digits than any port has */
    return -2;
  *port = (unsigned)val;
  return 0;
}

/* a numeric IPv6 address s[0..len) */
static int is_v6(const char *s, size_t len)
{
  char buf[INET6_ADDRSTRLEN + 1];
  struct in6_addr a6;
  if(!len || len >= sizeof(buf))
    return 0;
  memcpy(buf, s, len);
  buf[len] = 0;
  return inet_pton(AF_INET6, buf, &a6) == 1;
}

static int is_host_char(int c)
{
  return is_alnum(c) || c == '-' || c == '.' || c == '_';
}

int addr_parse_hostport(const char *s, size_t len, struct addr_hostport *out, char *why, size_t cap)
{
  const char *host, *port;
  size_t hlen, plen;
  int v6 = 0, digits_dots = 0;
  char q[256];

  if(!len)
    return fail(why, cap, "missing HOST:PORT");
  if(s[0] == '[') {
    const char *close = memchr(s, ']', len);
    if(!close)
      return fail(why, cap, "missing ']' after the IPv6 address");
    host = s + 1;
    hlen = (size_t)(close - host);
    if(!is_v6(host, hlen))
      return fail(why, cap, "bad IPv6 address '%s'", shown(host, hlen, 60, q, sizeof(q)));
    if(close + 1 == s + len || close[1] != ':')
      return fail(why, cap, "missing :PORT after ']'");
    port = close + 2;
    v6 = 1;
  }
  else {
    const char *colon = NULL;
    int colons = 0;
    for(size_t i = 0; i < len; i++)
      if(s[i] == ':') {
        colon = s + i;
        colons++;
      }
    if(!colon)
      return fail(why, cap, "missing :PORT");
    if(colons > 1)
      return fail(why, cap, "an IPv6 address needs brackets: [ADDR]:PORT");
    host = s;
    hlen = (size_t)(colon - s);
    port = colon + 1;
    if(!hlen)
      return fail(why, cap, "missing host before ':'");
    if(hlen > ADDR_HOST_MAX)
      return fail(why, cap, "host name too long");
    digits_dots = 1;
    for(size_t i = 0; i < hlen; i++) {
      if(!is_host_char((unsigned char)host[i]))
        return fail(why, cap, "bad character '%c' in host name", is_print((unsigned char)host[i]) ? host[i] : '?');
      if(!is_digit((unsigned char)host[i]) && host[i] != '.')
        digits_dots = 0;
    }
    if(host[0] == '-' || host[0] == '.')
      return fail(why, cap, "host name cannot start with '%c'", host[0]);
    if(digits_dots) {
      char buf[ADDR_HOST_MAX + 1];
      struct in_addr a4;
      memcpy(buf, host, hlen);
      buf[hlen] = 0;
      if(inet_pton(AF_INET, buf, &a4) != 1)
        return fail(why, cap, "bad IPv4 address '%s'", buf);
    }
  }
  plen = (size_t)(s + len - port);
  if(!plen)
    return fail(why, cap, "missing port after ':'");
  switch(addr_parse_port(port, plen, &out->port)) {
  case -1:
    return fail(why, cap, "bad port '%s'", shown(port, plen, 20, q, sizeof(q)));
  case -2:
    return fail(why, cap, "port out of range (1-65535)");
  }
  memcpy(out->host, host, hlen);
  out->host[hlen] = 0;
  out->v6 = v6;
  out->numeric = v6 || digits_dots;
  return 0;
}

int addr_parse_listen(const char *text, unsigned default_port, struct sockaddr_storage *sa, socklen_t *len,
                      char *why, size_t cap)
{
  char host[INET6_ADDRSTRLEN + 1];
  const char *h, *port = NULL;
  size_t hlen;
  int family;
  unsigned p = default_port;
  struct sockaddr_storage ss;

  if(!text || !*text)
    return fail(why, cap, "empty (leave it unset to turn the endpoint off)");
  if(text[0] == '[') {
    const char *end = strchr(text, ']');
    if(!end)
      return fail(why, cap, "missing ']' after the IPv6 address");
    if(end[1] == ':')
      port = end + 2;
    else if(end[1])
      return fail(why, cap, "expected :PORT after ']'");
    h = text + 1;
    hlen = (size_t)(end - h);
    family = AF_INET6;
  }
  else {
    const char *colon = strchr(text, ':');
    if(colon && strchr(colon + 1, ':'))
      return fail(why, cap, "an IPv6 address goes in brackets, like [::]:9400");
    h = text;
    hlen = colon ? (size_t)(colon - text) : strlen(text);
    port = colon ? colon + 1 : NULL;
    family = AF_INET;
    if(!hlen) {
      h = "0.0.0.0";
      hlen = 7;
    }
  }
  if(!hlen || hlen >= sizeof(host))
    return fail(why, cap, family == AF_INET6 ? "not a numeric IPv6 address" : "not a numeric IPv4 address");
  memcpy(host, h, hlen);
  host[hlen] = '\0';
  if(port && addr_parse_port(port, strlen(port), &p) < 0)
    return fail(why, cap, "the port must be a number from 1 to 65535");
  memset(&ss, 0, sizeof(ss));
  if(family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)p);
    if(inet_pton(AF_INET, host, &in->sin_addr) != 1)
      return fail(why, cap,
                  "not a numeric IPv4 address like 0.0.0.0 or 127.0.0.1 (names are not resolved; IPv6 goes in brackets)");
    if(len)
      *len = sizeof(struct sockaddr_in);
  }
  else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)p);
    if(inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
      return fail(why, cap, "not a numeric IPv6 address like [::] or [::1]");
    if(len)
      *len = sizeof(struct sockaddr_in6);
  }
  if(sa)
    *sa = ss;
  return 0;
}
