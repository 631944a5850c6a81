/* Table tests for httpd.c's pure part: the request parser. */
#include "pinit/httpd.h"
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>

#define G HTTPD_GET
#define H HTTPD_HEAD
#define MORE HTTPD_MORE

static const struct {
  const char *in;
  int want;
  int method;        /* checked when want is 0 */
  const char *path;  /* checked when want is 0 */
} cases[] = {
  /* complete GET / HEAD requests */
  { "GET / HTTP/1.1\r\n\r\n", 0, G, "/" },
  { "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n", 0, G, "/metrics" },
  { "HEAD /health HTTP/1.1\r\nHost: a:9400\r\nAccept: */*\r\nUser-Agent: curl/7.88.1\r\n\r\n", 0, H, "/health" },
  { "GET /health/live HTTP/1.1\nHost: a\n\n", 0, G, "/health/live" },                /* bare LF */
  { "GET /health/ready HTTP/1.1\r\nHost: a\n\r\n", 0, G, "/health/ready" },          /* mixed */
  { "\r\n\r\nGET / HTTP/1.1\r\n\r\n", 0, G, "/" },                                   /* leading empty lines */
  { "\nGET / HTTP/1.1\r\n\r\n", 0, G, "/" },
  { "GET /metrics?name[]=x HTTP/1.1\r\n\r\n", 0, G, "/metrics" },                    /* query dropped */
  { "GET /metrics#frag HTTP/1.1\r\n\r\n", 0, G, "/metrics" },
  { "GET /a%20b HTTP/1.1\r\n\r\n", 0, G, "/a%20b" },
  { "GET http://pinit:9400/health/live HTTP/1.1\r\n\r\n", 0, G, "/health/live" },   /* absolute form */
  { "GET HTTP://pinit HTTP/1.1\r\n\r\n", 0, G, "/" },
  { "GET https://pinit?x HTTP/1.1\r\n\r\n", 0, G, "/" },
  { "GET http://[::1]:9400/metrics?a HTTP/1.1\r\n\r\n", 0, G, "/metrics" },
  { "GET / HTTP/1.9\r\n\r\n", 0, G, "/" },                                           /* a later 1.x */
  { "GET / HTTP/1.1\r\nX-Empty:\r\nX-Tab:\ta\tb \r\nX-UTF8: caf\xC3\xA9\r\n\r\n", 0, G, "/" },
  { "GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 0, G, "/" },                   /* body ignored */

  /* incomplete */
  { "", MORE, 0, NULL },
  { "\r\n", MORE, 0, NULL },
  { "G", MORE, 0, NULL },
  { "GET", MORE, 0, NULL },
  { "GET ", MORE, 0, NULL },
  { "GET /health", MORE, 0, NULL },
  { "GET / ", MORE, 0, NULL },
  { "GET / HTTP/1", MORE, 0, NULL },
  { "GET / HTTP/1.1", MORE, 0, NULL },
  { "GET / HTTP/1.1\r", MORE, 0, NULL },
  { "GET / HTTP/1.1\r\n", MORE, 0, NULL },
  { "GET / HTTP/1.1\r\nHost", MORE, 0, NULL },
  { "GET / HTTP/1.1\r\nHost: a", MORE, 0, NULL },
  { "GET / HTTP/1.1\r\nHost: a\r\n", MORE, 0, NULL },
  { "GET / HTTP/1.1\r\nHost: a\r\n\r", MORE, 0, NULL },

  /* other methods: 405 once the request line is complete */
  { "POST / HTTP/1.1\r\n", 405, 0, NULL },
  { "POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 405, 0, NULL },
  { "PUT /health HTTP/1.1\r\n\r\n", 405, 0, NULL },
  { "DELETE / HTTP/1.0\r\n\r\n", 405, 0, NULL },
  { "OPTIONS * HTTP/1.1\r\n\r\n", 405, 0, NULL },
  { "CONNECT pinit:9400 HTTP/1.1\r\n\r\n", 405, 0, NULL },
  { "PATCH / HTTP/1.1\r\n\r\n", 405, 0, NULL },
  { "get / HTTP/1.1\r\n\r\n", 405, 0, NULL },                                         /* case matters */
  { "BREW /pot HTTP/1.1\r\n\r\n", 405, 0, NULL },
  { "POST / HTTP/1.1", MORE, 0, NULL },                                              /* not yet */

  /* HTTP/0.9 and other versions */
  { "GET /\r\n", 400, 0, NULL },
  { "GET /\n", 400, 0, NULL },
  { "GET / HTTP/2.0\r\n\r\n", 505, 0, NULL },
  { "GET / HTTP/0.9\r\n\r\n", 505, 0, NULL },
  { "GET / HTTP/3.0\r\n", 505, 0, NULL },
  { "GET / HTTP/1\r\n", 400, 0, NULL },
  { "GET / HTTP/1.\r\n", 400, 0, NULL },
  { "GET / HTTP/1.12\r\n", 400, 0, NULL },
  { "GET / HTTP/11.1\r\n", 400, 0, NULL },
  { "GET / http/1.1\r\n", 400, 0, NULL },
  { "GET / HTTP/1.1 \r\n", 400, 0, NULL },
  { "GET / HTTPS/1.1\r\n", 400, 0, NULL },
  { "GET / PRI\r\n", 400, 0, NULL },

  /* malformed */
  { "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, 0, NULL },                             /* h2 preface */
  { "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400, 0, NULL },                  /* TLS hello */
  { " GET / HTTP/1.1\r\n\r\n", 400, 0, NULL },
  { "GET  / HTTP/1.1\r\n\r\n", 400, 0, NULL },
  { "GET\t/ HTTP/1.1\r\n\r\n", 400, 0, NULL },
  { "GET /a b HTTP/1.1\r\n\r\n", 400, 0, NULL },
  { "GET /\x01 HTTP/1.1\r\n\r\n", 400, 0, NULL },
  { "GET /\x7f HTTP/1.1\r\n\r\n", 400, 0, NULL },
  { "GET /caf\xC3\xA9 HTTP/1.1\r\n\r\n", 400, 0, NULL },                             /* raw non-ASCII */
  { "GET abc HTTP/1.1\r\n\r\n", 400, 0, NULL },
  { "GET * HTTP/1.1\r\n\r\n", 400, 0, NULL },
  { "GET http:// HTTP/1.1\r\n\r\n", 400, 0, NULL },
  { "GET http:///x HTTP/1.1\r\n\r\n", 400, 0, NULL },
  { "GET ftp://h/x HTTP/1.1\r\n\r\n", 400, 0, NULL },
  { "GET / HTTP/1.1\rX", 400, 0, NULL },                                              /* bare CR */
  { "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400, 0, NULL },
  { "GET / HTTP/1.1\r\nHost\r\n\r\n", 400, 0, NULL },
  { "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, 0, NULL },
  { "GET / HTTP/1.1\r\n: a\r\n\r\n", 400, 0, NULL },
  { "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 400, 0, NULL },                         /* obs-fold */
  { "GET / HTTP/1.1\r\n\tA: b\r\n\r\n", 400, 0, NULL },
  { "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", 400, 0, NULL },
  { "GET / HTTP/1.1\r\nA(b: c\r\n\r\n", 400, 0, NULL },
  { "ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\n\r\n", 400, 0, NULL },                          /* method > 16 */
  { "GET\r\n\r\n", 400, 0, NULL },
  { "\x01", 400, 0, NULL },
  { "\r\r", 400, 0, NULL },
};

static void test_table(void)
{
  for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const char *in = cases[i].in;
    size_t len = strlen(in);
    struct httpd_request q;
    int r = httpd_parse_request(in, len, &q);
    if(r != cases[i].want)
      fprintf(stderr, "case %zu: %s\n", i, in);
    CHECK_INT(r, cases[i].want);
    if(r == 0 && cases[i].want == 0) {
      char path[256];
      CHECK_INT(q.method, cases[i].method);
      snprintf(path, sizeof(path), "%.*s", (int)q.path_len, q.path);
      CHECK_STR(path, cases[i].path);
      CHECK(q.consumed <= len && q.consumed > 0);
      CHECK(q.consumed == len || !strcmp(in + q.consumed, "abc"));
    }
    /* fed byte by byte: every shorter prefix asks for more, or already has the verdict */
    for(size_t k = 0; k < len; k++) {
      int rk = httpd_parse_request(in, k, &q);
      if(rk != HTTPD_MORE && rk != cases[i].want) {
        fprintf(stderr, "case %zu prefix %zu: %d\n", i, k, rk);
        CHECK_INT(rk, cases[i].want);
      }
    }
  }
}

static char big[HTTPD_REQUEST_MAX + 4096];

static void test_limits(void)
{
  struct httpd_request q;
  size_t n;

  /* a target of exactly HTTPD_URI_MAX is fine, one more byte is 414, found early */
  n = (size_t)snprintf(big, sizeof(big), "GET /");
  memset(big + n, 'a', HTTPD_URI_MAX - 1);
  n += HTTPD_URI_MAX - 1;
  n += (size_t)snprintf(big + n, sizeof(big) - n, " HTTP/1.1\r\n\r\n");
  CHECK_INT(httpd_parse_request(big, n, &q), 0);
  CHECK_INT(q.path_len, HTTPD_URI_MAX);
  n = (size_t)snprintf(big, sizeof(big), "GET /");
  memset(big + n, 'a', HTTPD_URI_MAX);
  CHECK_INT(httpd_parse_request(big, n + HTTPD_URI_MAX, &q), 414);      /* no line end needed */
  CHECK_INT(httpd_parse_request(big, n + HTTPD_URI_MAX - 1, &q), HTTPD_MORE);
  n = (size_t)snprintf(big, sizeof(big), "HEAD /");
  memset(big + n, 'b', 3000);
  CHECK_INT(httpd_parse_request(big, n + 3000, &q), 414);
  CHECK_INT(q.method, HTTPD_HEAD);                                       /* known for the reply */
  n = (size_t)snprintf(big, sizeof(big), "POST /");
  memset(big + n, 'b', 3000);
  CHECK_INT(httpd_parse_request(big, n + 3000, &q), 414);

  /* headers that never end: more until the buffer is full, then 431 */
  n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nX-Long: ");
  memset(big + n, 'x', sizeof(big) - n);
  CHECK_INT(httpd_parse_request(big, HTTPD_REQUEST_MAX - 1, &q), HTTPD_MORE);
  CHECK_INT(httpd_parse_request(big, HTTPD_REQUEST_MAX, &q), 431);
  CHECK_INT(httpd_parse_request(big, sizeof(big), &q), 431);
  /* many short headers too */
  n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\n");
  while(n + 8 < sizeof(big))
    n += (size_t)snprintf(big + n, sizeof(big) - n, "A: b\r\n");
  CHECK_INT(httpd_parse_request(big, HTTPD_REQUEST_MAX, &q), 431);
  /* a request that just fits */
  n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nX: ");
  memset(big + n, 'x', HTTPD_REQUEST_MAX - n - 4);
  memcpy(big + HTTPD_REQUEST_MAX - 4, "\r\n\r\n", 4);
  CHECK_INT(httpd_parse_request(big, HTTPD_REQUEST_MAX, &q), 0);
  CHECK_INT(q.consumed, HTTPD_REQUEST_MAX);
  /* nothing but empty lines */
  for(n = 0; n + 2 <= HTTPD_REQUEST_MAX; n += 2)
    memcpy(big + n, "\r\n", 2);
  CHECK_INT(httpd_parse_request(big, n, &q), 400);
  CHECK_INT(httpd_parse_request(big, n - 2, &q), HTTPD_MORE);
}

/* the default listen port is clear of Flink's */
static void test_default_port(void)
{
  CHECK(HTTPD_DEFAULT_PORT != 8081 && (HTTPD_DEFAULT_PORT < 6121 || HTTPD_DEFAULT_PORT > 6125) &&
        (HTTPD_DEFAULT_PORT < 9249 || HTTPD_DEFAULT_PORT > 9260));
}

int main(void)
{
  test_table();
  test_limits();
  test_default_port();
  return unit_done("test_httpd");
}
