/* Table tests for addr.c: ports, HOST:PORT and listen addresses. */
#include "pinit/addr.h"
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#define DEFAULT_PORT 9400

static void test_port(void)
{
  static const struct { const char *in; int rc; unsigned port; } pc[] = {
    { "1", 0, 1 },
    { "80", 0, 80 },
    { "65535", 0, 65535 },
    { "08081", 0, 8081 },
    { "", -1, 0 },
    { "+80", -1, 0 },
    { "-1", -1, 0 },
    { " 80", -1, 0 },
    { "80 ", -1, 0 },
    { "8o", -1, 0 },
    { "0", -2, 0 },
    { "00000", -2, 0 },
    { "65536", -2, 0 },
    { "99999999999999999999999", -2, 0 },
    { "009400", -2, 0 },
  };
  for(size_t i = 0; i < sizeof(pc) / sizeof(pc[0]); i++) {
    unsigned port = 7;
    int rc = addr_parse_port(pc[i].in, strlen(pc[i].in), &port);
    if(rc != pc[i].rc)
      fprintf(stderr, "port case '%s'\n", pc[i].in);
    CHECK_INT(rc, pc[i].rc);
    CHECK_INT(port, pc[i].rc ? 7 : pc[i].port); /* untouched on failure */
  }
}

static void test_hostport(void)
{
  static const struct {
    const char *in;
    const char *host;   /* NULL: refused, why starts with `why` */
    unsigned port;
    int v6, numeric;
    const char *why;
  } hc[] = {
    { "jobmanager:6123", "jobmanager", 6123, 0, 0, NULL },
    { "flink_jm-1.pipeline.svc:8081", "flink_jm-1.pipeline.svc", 8081, 0, 0, NULL },
    { "10.0.0.7:5432", "10.0.0.7", 5432, 0, 1, NULL },
    { "[::1]:6123", "::1", 6123, 1, 1, NULL },
    { "[::ffff:10.0.0.1]:1", "::ffff:10.0.0.1", 1, 1, 1, NULL },
    { "10a.0.0.1:80", "10a.0.0.1", 80, 0, 0, NULL },        /* not all digits: a name */
    { "", NULL, 0, 0, 0, "missing HOST:PORT" },
    { "jobmanager", NULL, 0, 0, 0, "missing :PORT" },
    { ":80", NULL, 0, 0, 0, "missing host" },
    { "jobmanager:", NULL, 0, 0, 0, "missing port" },
    { "jobmanager:6x", NULL, 0, 0, 0, "bad port" },
    { "jobmanager:70000", NULL, 0, 0, 0, "port out of range" },
    { "jobmanager:0", NULL, 0, 0, 0, "port out of range" },
    { "::1:80", NULL, 0, 0, 0, "an IPv6 address needs brackets" },
    { "[::1", NULL, 0, 0, 0, "missing ']'" },
    { "[::1]", NULL, 0, 0, 0, "missing :PORT" },
    { "[::1]x80", NULL, 0, 0, 0, "missing :PORT" },
    { "[]:80", NULL, 0, 0, 0, "bad IPv6" },
    { "[fe80::1%eth0]:80", NULL, 0, 0, 0, "bad IPv6" },
    { "[1.2.3.4]:80", NULL, 0, 0, 0, "bad IPv6" },
    { "1.2.3.999:80", NULL, 0, 0, 0, "bad IPv4" },
    { "300:80", NULL, 0, 0, 0, "bad IPv4" },
    { "-jm:80", NULL, 0, 0, 0, "host name cannot start" },
    { ".jm:80", NULL, 0, 0, 0, "host name cannot start" },
    { "j m:80", NULL, 0, 0, 0, "bad character ' '" },
    { "j\x01m:80", NULL, 0, 0, 0, "bad character '?'" },
    { "http://jm:80", NULL, 0, 0, 0, "an IPv6 address needs brackets" },
    { "[\n::1]:80", NULL, 0, 0, 0, "bad IPv6 address '?::1'" },        /* one line, whatever came in */
    { "jm:8\x1b[2J", NULL, 0, 0, 0, "bad port '8?[2J'" },
  };
  for(size_t i = 0; i < sizeof(hc) / sizeof(hc[0]); i++) {
    struct addr_hostport hp;
    char why[200] = "";
    int rc = addr_parse_hostport(hc[i].in, strlen(hc[i].in), &hp, why, sizeof(why));
    if(rc != (hc[i].host ? 0 : -1) || (!hc[i].host && strncmp(why, hc[i].why, strlen(hc[i].why))))
      fprintf(stderr, "hostport case '%s': %s\n", hc[i].in, why);
    CHECK_INT(rc, hc[i].host ? 0 : -1);
    if(!hc[i].host) {
      CHECK(!strncmp(why, hc[i].why, strlen(hc[i].why)));
      CHECK_INT(addr_parse_hostport(hc[i].in, strlen(hc[i].in), &hp, NULL, 0), -1); /* no message wanted */
      continue;
    }
    CHECK_STR(hp.host, hc[i].host);
    CHECK_INT(hp.port, hc[i].port);
    CHECK_INT(hp.v6, hc[i].v6);
    CHECK_INT(hp.numeric, hc[i].numeric);
  }
  {
    /* s is not NUL-terminated: only len bytes count */
    struct addr_hostport hp;
    CHECK_INT(addr_parse_hostport("jm:80garbage", 5, &hp, NULL, 0), 0);
    CHECK_INT(hp.port, 80);
    /* the longest name fits, one more byte is refused */
    char name[ADDR_HOST_MAX + 8];
    memset(name, 'a', ADDR_HOST_MAX);
    memcpy(name + ADDR_HOST_MAX, ":1", 3);
    CHECK_INT(addr_parse_hostport(name, strlen(name), &hp, NULL, 0), 0);
    CHECK_INT(strlen(hp.host), ADDR_HOST_MAX);
    memset(name, 'a', ADDR_HOST_MAX + 1);
    memcpy(name + ADDR_HOST_MAX + 1, ":1", 3);
    CHECK_INT(addr_parse_hostport(name, strlen(name), &hp, NULL, 0), -1);
  }
}

static void test_listen(void)
{
  static const struct { const char *in; int ok, family; unsigned port; const char *addr; } lc[] = {
    { "0.0.0.0:9400", 1, AF_INET, 9400, "0.0.0.0" },
    { "127.0.0.1:9400", 1, AF_INET, 9400, "127.0.0.1" },
    { "10.1.2.3:1", 1, AF_INET, 1, "10.1.2.3" },
    { "0.0.0.0:65535", 1, AF_INET, 65535, "0.0.0.0" },
    { ":9500", 1, AF_INET, 9500, "0.0.0.0" },
    { "127.0.0.1", 1, AF_INET, DEFAULT_PORT, "127.0.0.1" },
    { "[::]:9400", 1, AF_INET6, 9400, "::" },
    { "[::1]:8080", 1, AF_INET6, 8080, "::1" },
    { "[::1]", 1, AF_INET6, DEFAULT_PORT, "::1" },
    { "[::ffff:127.0.0.1]:9400", 1, AF_INET6, 9400, "::ffff:127.0.0.1" },
    { "", 0, 0, 0, NULL },
    { ":", 0, 0, 0, NULL },
    { "localhost:9400", 0, 0, 0, NULL },
    { "pinit", 0, 0, 0, NULL },
    { "1.2.3:80", 0, 0, 0, NULL },
    { "1.2.3.4.5:80", 0, 0, 0, NULL },
    { "256.1.1.1:80", 0, 0, 0, NULL },
    { "1.2.3.4:0", 0, 0, 0, NULL },
    { "1.2.3.4:65536", 0, 0, 0, NULL },
    { "1.2.3.4:123456", 0, 0, 0, NULL },
    { "1.2.3.4:0009400", 0, 0, 0, NULL },
    { "1.2.3.4:", 0, 0, 0, NULL },
    { "1.2.3.4:abc", 0, 0, 0, NULL },
    { "1.2.3.4:+80", 0, 0, 0, NULL },
    { "1.2.3.4:-1", 0, 0, 0, NULL },
    { "1.2.3.4: 80", 0, 0, 0, NULL },
    { " 1.2.3.4:80", 0, 0, 0, NULL },
    { "::1:9400", 0, 0, 0, NULL },
    { "::", 0, 0, 0, NULL },
    { "[::1", 0, 0, 0, NULL },
    { "[::1]x", 0, 0, 0, NULL },
    { "[::1]:", 0, 0, 0, NULL },
    { "[]:80", 0, 0, 0, NULL },
    { "[1.2.3.4]:80", 0, 0, 0, NULL },
    { "[fe80::1%eth0]:80", 0, 0, 0, NULL },
    { "http://0.0.0.0:9400", 0, 0, 0, NULL },
  };
  for(size_t i = 0; i < sizeof(lc) / sizeof(lc[0]); i++) {
    struct sockaddr_storage sa;
    socklen_t len = 0;
    char why[200] = "", addr[64] = "";
    int r = addr_parse_listen(lc[i].in, DEFAULT_PORT, &sa, &len, why, sizeof(why));
    if(r != (lc[i].ok ? 0 : -1))
      fprintf(stderr, "listen case %s: %s\n", lc[i].in, why);
    CHECK_INT(r, lc[i].ok ? 0 : -1);
    if(!lc[i].ok) {
      CHECK(why[0] && !strchr(why, '\n'));
      CHECK_INT(addr_parse_listen(lc[i].in, 0, NULL, NULL, why, sizeof(why)), -1);
      continue;
    }
    CHECK_INT(sa.ss_family, lc[i].family);
    if(lc[i].family == AF_INET) {
      struct sockaddr_in *in = (struct sockaddr_in *)&sa;
      CHECK_INT(len, sizeof(*in));
      CHECK_INT(ntohs(in->sin_port), lc[i].port);
      inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
    }
    else {
      struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;
      CHECK_INT(len, sizeof(*in6));
      CHECK_INT(ntohs(in6->sin6_port), lc[i].port);
      inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
    }
    CHECK_STR(addr, lc[i].addr);
    CHECK_INT(addr_parse_listen(lc[i].in, 0, NULL, NULL, why, sizeof(why)), 0);
  }
  {
    char why[200];
    CHECK_INT(addr_parse_listen(NULL, 0, NULL, NULL, why, sizeof(why)), -1);
    CHECK_INT(addr_parse_listen("x", 0, NULL, NULL, NULL, 0), -1); /* no message wanted */
  }
}

int main(void)
{
  test_port();
  test_hostport();
  test_listen();
  return unit_done("test_addr");
}
