/* libFuzzer target: addr_parse_port(), addr_parse_hostport() and addr_parse_listen() on
 * arbitrary bytes.  Invariants: no crash and no read past `size` (ASan: the input is an
 * exact-size buffer); an accepted port is 1..65535; an accepted HOST:PORT has a non-empty
 * NUL-terminated host that parses back to the same result when written out again; an
 * accepted listen address is IPv4 or IPv6 with the right length; a refusal has a one-line
 * reason. */
#include "pinit/addr.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_why(const char *why, size_t cap)
{
  if(!why[0] || !memchr(why, 0, cap) || strchr(why, '\n'))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *s = (const char *)data;
  struct addr_hostport hp, back;
  char why[256], text[ADDR_HOST_MAX + 16];
  unsigned port = 0;

  if(addr_parse_port(s, size, &port) == 0 && (port < 1 || port > 65535))
    abort();

  why[0] = '\0';
  if(addr_parse_hostport(s, size, &hp, why, sizeof(why)) == 0) {
    size_t n = strnlen(hp.host, sizeof(hp.host));
    if(!n || n > ADDR_HOST_MAX || hp.port < 1 || hp.port > 65535 || (hp.v6 && !hp.numeric))
      abort();
    snprintf(text, sizeof(text), hp.v6 ? "[%s]:%u" : "%s:%u", hp.host, hp.port);
    if(addr_parse_hostport(text, strlen(text), &back, NULL, 0) < 0 || strcmp(back.host, hp.host) ||
       back.port != hp.port || back.v6 != hp.v6 || back.numeric != hp.numeric)
      abort();
  }
  else
    check_why(why, sizeof(why));

  if(size < 128) {
    struct sockaddr_storage sa;
    socklen_t len = 0;
    memcpy(text, data, size);
    text[size] = '\0';
    why[0] = '\0';
    if(addr_parse_listen(text, 9400, &sa, &len, why, sizeof(why)) == 0) {
      if(sa.ss_family == AF_INET && len == sizeof(struct sockaddr_in))
        port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
      else if(sa.ss_family == AF_INET6 && len == sizeof(struct sockaddr_in6))
        port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
      else
        abort();
      if(port < 1)
        abort();
    }
    else
      check_why(why, sizeof(why));
  }
  return 0;
}
