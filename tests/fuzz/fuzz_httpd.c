/* libFuzzer target: httpd_parse_request() on arbitrary bytes.
 * Invariants: no crash and no read past `len` (ASan: the input is an exact-size buffer); the
 * verdict is one of the documented ones; "more" only below the size cap; a complete request
 * is GET or HEAD with a sane path inside the input; a verdict reached on a prefix does not
 * change when more bytes follow. */
#include "pinit/httpd.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_request(const char *buf, size_t len, int r, const struct httpd_request *q)
{
  switch(r) {
  case 0: case HTTPD_MORE: case 400: case 405: case 414: case 431: case 505: break;
  default: abort();
  }
  if(r == HTTPD_MORE && len >= HTTPD_REQUEST_MAX)
    abort();
  if(r != 0)
    return;
  if(q->method != HTTPD_GET && q->method != HTTPD_HEAD)
    abort();
  if(q->consumed == 0 || q->consumed > len || q->consumed > HTTPD_REQUEST_MAX)
    abort();
  if(!q->path || q->path_len == 0 || q->path_len > HTTPD_URI_MAX || q->path[0] != '/')
    abort();
  if(!(q->path_len == 1 && !strcmp(q->path, "/")) && (q->path < buf || q->path + q->path_len > buf + q->consumed))
    abort();
  for(size_t i = 0; i < q->path_len; i++)
    if((unsigned char)q->path[i] <= 0x20 || (unsigned char)q->path[i] >= 0x7f || q->path[i] == '?' || q->path[i] == '#')
      abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct httpd_request q, p;
  const char *buf = (const char *)data;
  int r = httpd_parse_request(buf, size, &q);

  check_request(buf, size, r, &q);
  /* the same verdict from a prefix that already had one */
  for(size_t k = size / 2; k < size; k += (size - k + 1) / 2) {
    int rk = httpd_parse_request(buf, k, &p);
    check_request(buf, k, rk, &p);
    if(rk != HTTPD_MORE && rk != r)
      abort();
    if(rk == 0 && (p.consumed != q.consumed || p.method != q.method || p.path_len != q.path_len))
      abort();
  }

  return 0;
}
